export { parseConfigOverrides, registerNodeCommands } from "./commands/nodeCommands.ts";
export {
  createKeyring,
  type KeyRecord,
  type Keyring,
  type KeyringBackend,
  type KeyringOptions,
  keyringDir,
} from "./keyring/keyring.ts";
