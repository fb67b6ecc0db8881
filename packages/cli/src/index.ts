export { parseConfigOverrides, registerNodeCommands } from "./commands/nodeCommands.ts";
