// `qos keys`: add, recover, list, show, export, import and delete keys of a keyring (file, test or
// memory backend) under the node home, with Cosmos SDK conventions for flags and output.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { entropyToMnemonic, RANDOM_PASSPHRASE_BYTES, randomSecretToPassphrase } from "@qos/crypto";
import { randomBytes } from "@qos/crypto/random";
import { toBase64 } from "@qos/types";
import { type Command, InvalidArgumentError } from "commander";
import {
  createKeyring,
  isKeyringBackend,
  KEYRING_TEST_PASSWORD,
  type KeyRecord,
  type Keyring,
} from "../keyring/keyring.ts";
import { KEYRING_ERROR, keyringError } from "../keyring/keyringError.ts";
import { checkKeyName } from "../keyring/keyStorage.ts";
import {
  createTerminalInput,
  readPasswordFile,
  type TerminalInput,
} from "../keyring/terminalInput.ts";

/** Environment variable with the file keyring's password (for scripts). */
export const KEYRING_PASSWORD_ENV = "QOS_KEYRING_PASSWORD";
/** Entropy of a new mnemonic: 32 bytes, 24 words. */
const NEW_MNEMONIC_ENTROPY_BYTES = 32;

interface KeyringFlags {
  keyringBackend: string;
  keyringPasswordFile?: string;
  output: string;
}

interface AddFlags extends KeyringFlags {
  recover?: boolean;
  randomPassphrase?: boolean;
  bip39Passphrase?: boolean;
  interactive?: boolean;
  account: number;
  index: number;
  prefix?: string;
  backup: boolean;
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function err(text: string): void {
  process.stderr.write(`${text}\n`);
}

function homeOf(cmd: Command): string {
  return resolve(cmd.optsWithGlobals<{ home: string }>().home);
}

function childNumber(value: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(value) || Number(value) >= 2 ** 31) {
    throw new InvalidArgumentError("must be an integer in [0, 2147483647]");
  }
  return Number(value);
}

function withKeyringFlags(cmd: Command): Command {
  return cmd
    .option("--keyring-backend <backend>", "where keys live: file, test or memory", "file")
    .option(
      "--keyring-password-file <path>",
      `file backend: read the password from this file (else $${KEYRING_PASSWORD_ENV} or a prompt)`,
    )
    .option("--output <format>", "text or json", "text");
}

function checkOutput(o: KeyringFlags): "text" | "json" {
  if (o.output !== "text" && o.output !== "json") {
    throw new Error(`--output must be text or json, not "${o.output}"`);
  }
  return o.output;
}

/** The file backend's password: --keyring-password-file, then the environment, then a prompt. */
async function keyringPassword(
  o: KeyringFlags,
  input: TerminalInput,
  confirm: boolean,
): Promise<string | undefined> {
  if (o.keyringBackend !== "file") return undefined;
  if (o.keyringPasswordFile !== undefined) return readPasswordFile(o.keyringPasswordFile);
  const env = process.env[KEYRING_PASSWORD_ENV];
  if (env !== undefined && env !== "") return env;
  if (!input.interactive) return undefined;
  const pw = await input.secret("Enter keyring passphrase: ");
  if (confirm && (await input.secret("Re-enter keyring passphrase: ")) !== pw) {
    throw keyringError(KEYRING_ERROR.weakPassword, "the two passphrases do not match");
  }
  return pw;
}

function openKeyring(o: KeyringFlags, home: string, password?: string): Keyring {
  if (!isKeyringBackend(o.keyringBackend)) {
    throw keyringError(
      KEYRING_ERROR.invalidBackend,
      `unknown keyring backend "${o.keyringBackend}" (file, test or memory)`,
    );
  }
  return createKeyring({
    backend: o.keyringBackend,
    home,
    ...(password !== undefined ? { password } : {}),
  });
}

/** The SDK's JSON form of a secp256k1 public key (cosmos.crypto.secp256k1.PubKey in an Any). */
export function pubKeyJson(pubKey: Uint8Array): string {
  return JSON.stringify({ "@type": "/cosmos.crypto.secp256k1.PubKey", key: toBase64(pubKey) });
}

function recordJson(r: KeyRecord): Record<string, string> {
  return { name: r.name, type: r.type, address: r.address, pubkey: pubKeyJson(r.pubKey) };
}

/** The SDK's text (YAML) form of a key list. */
function recordText(r: KeyRecord): string {
  return [
    `- address: ${r.address}`,
    `  name: ${r.name}`,
    `  pubkey: '${pubKeyJson(r.pubKey)}'`,
    `  type: ${r.type}`,
  ].join("\n");
}

async function addKey(name: string, o: AddFlags, cmd: Command): Promise<void> {
  const format = checkOutput(o);
  checkKeyName(name);
  if (o.recover === true && o.randomPassphrase === true) {
    throw new Error("--random-passphrase makes a new secret; it cannot be used with --recover");
  }
  const input = createTerminalInput();
  const home = homeOf(cmd);
  if (openKeyring(o, home).has(name)) {
    throw keyringError(KEYRING_ERROR.keyExists, `a key named '${name}' already exists`);
  }
  let mnemonic: string;
  if (o.recover === true) {
    mnemonic = await input.secret("Enter your bip39 mnemonic: ");
  } else {
    mnemonic = entropyToMnemonic(randomBytes(NEW_MNEMONIC_ENTROPY_BYTES));
  }
  let passphrase = "";
  if (o.randomPassphrase === true) {
    passphrase = randomSecretToPassphrase(randomBytes(RANDOM_PASSPHRASE_BYTES));
  } else if (o.bip39Passphrase === true || o.interactive === true) {
    passphrase = await input.secret("Enter your bip39 passphrase (empty for none): ");
  }
  const password = await keyringPassword(o, input, true);
  const record = openKeyring(o, home, password).add({
    name,
    mnemonic,
    passphrase,
    account: o.account,
    index: o.index,
    ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
  });
  const showSecrets = o.recover !== true && o.backup;
  if (format === "json") {
    const json: Record<string, string> = recordJson(record);
    if (showSecrets) {
      json.mnemonic = mnemonic;
      if (o.randomPassphrase === true) json.bip39_passphrase = passphrase;
    }
    out(JSON.stringify(json));
    return;
  }
  out(recordText(record));
  if (!showSecrets) return;
  err("\n**Important** write this mnemonic phrase in a safe place.");
  err("It is the only way to recover your account if you ever forget your password.\n");
  err(mnemonic);
  if (o.randomPassphrase === true) {
    err(
      "\n**Important** this key also uses a random BIP39 passphrase (the wallet's second secret).",
    );
    err("Keep it apart from the mnemonic: both are needed to recover the account.\n");
    err(passphrase);
  }
}

function addFlags(cmd: Command, recover: boolean): Command {
  withKeyringFlags(cmd)
    .option(
      "--bip39-passphrase",
      "ask for a BIP39 passphrase (hidden prompt, or the next line of stdin)",
    )
    .option("--interactive", "same as --bip39-passphrase (Cosmos SDK name)")
    .option("--account <n>", "BIP44 account: m/44'/389'/<account>'/0/<index>", childNumber, 0)
    .option("--index <n>", "BIP44 address index", childNumber, 0)
    .option("--prefix <hrp>", "bech32 address prefix (a business chain's own)", "qosacc");
  if (!recover) {
    cmd
      .option("--recover", "recover a key from a mnemonic read from stdin or a hidden prompt")
      .option(
        "--random-passphrase",
        "also draw a 256-bit random BIP39 passphrase from the OS (shown once, needed to recover)",
      )
      .option("--no-backup", "do not print the new mnemonic (and random passphrase)");
  }
  return cmd;
}

export function registerKeysCommands(program: Command): void {
  const keys = program
    .command("keys")
    .description("manage the keys of a keyring (<home>/keyring-file, <home>/keyring-test)");

  addFlags(
    keys
      .command("add")
      .argument("<name>", "key name")
      .description("create a key from a new 24-word mnemonic (or --recover an existing one)"),
    false,
  ).action((name: string, o: AddFlags, cmd: Command) => addKey(name, o, cmd));

  addFlags(
    keys
      .command("recover")
      .argument("<name>", "key name")
      .description("restore a key from its mnemonic (stdin or a hidden prompt)"),
    true,
  ).action((name: string, o: AddFlags, cmd: Command) =>
    addKey(name, { ...o, recover: true, backup: false }, cmd),
  );

  withKeyringFlags(keys.command("list").description("list all keys")).action(
    (o: KeyringFlags, cmd: Command) => {
      const records = openKeyring(o, homeOf(cmd)).list();
      if (checkOutput(o) === "json") out(JSON.stringify(records.map(recordJson)));
      else if (records.length === 0) out("No records were found in keyring");
      else out(records.map(recordText).join("\n"));
    },
  );

  withKeyringFlags(
    keys
      .command("show")
      .argument("<name>", "key name")
      .description("show a key's address and public key")
      .option("-a, --address", "print the address only")
      .option("-p, --pubkey", "print the public key only"),
  ).action((name: string, o: KeyringFlags & { address?: boolean; pubkey?: boolean }, cmd) => {
    if (o.address === true && o.pubkey === true) {
      throw new Error("--address and --pubkey cannot be used together");
    }
    const r = openKeyring(o, homeOf(cmd)).get(name);
    if (o.address === true) out(r.address);
    else if (o.pubkey === true) out(pubKeyJson(r.pubKey));
    else if (checkOutput(o) === "json") out(JSON.stringify(recordJson(r)));
    else out(recordText(r));
  });

  withKeyringFlags(
    keys
      .command("export")
      .argument("<name>", "key name")
      .description(
        "print the key's Web3 Secret Storage v3 JSON, still encrypted under the keyring's password",
      ),
  ).action((name: string, o: KeyringFlags, cmd: Command) => {
    process.stdout.write(openKeyring(o, homeOf(cmd)).exportKeystore(name));
  });

  withKeyringFlags(
    keys
      .command("import")
      .argument("<name>", "key name")
      .argument("<file>", "a v3 keystore JSON file (qos keys export, geth, ethers)")
      .description("import a v3 keystore file, re-encrypted under this keyring's password")
      .option(
        "--import-password-file <path>",
        "the key file's password (default: a prompt, else the keyring's password)",
      )
      .option("--prefix <hrp>", "bech32 address prefix (default: the file's own, else qosacc)"),
  ).action(
    async (
      name: string,
      file: string,
      o: KeyringFlags & { importPasswordFile?: string; prefix?: string },
      cmd: Command,
    ) => {
      checkKeyName(name);
      const json = readFileSync(file, "utf8");
      const input = createTerminalInput();
      const password = await keyringPassword(o, input, false);
      let filePassword: string | undefined;
      if (o.importPasswordFile !== undefined) filePassword = readPasswordFile(o.importPasswordFile);
      else if (input.interactive)
        filePassword = await input.secret("Enter the key file's password: ");
      else filePassword = password ?? KEYRING_TEST_PASSWORD;
      const r = openKeyring(o, homeOf(cmd), password).importKeystore(name, json, filePassword, {
        ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
      });
      if (checkOutput(o) === "json") out(JSON.stringify(recordJson(r)));
      else out(recordText(r));
    },
  );

  withKeyringFlags(
    keys
      .command("delete")
      .argument("<name>", "key name")
      .description("delete a key")
      .option("-y, --yes", "do not ask for confirmation"),
  ).action(async (name: string, o: KeyringFlags & { yes?: boolean }, cmd: Command) => {
    const keyring = openKeyring(o, homeOf(cmd));
    keyring.get(name);
    if (o.yes !== true) {
      const answer = await createTerminalInput().line(
        "Key reference will be deleted. Continue? [y/N] ",
      );
      if (!/^y(es)?$/i.test(answer.trim())) {
        err("Aborted.");
        process.exitCode = 1;
        return;
      }
    }
    keyring.delete(name);
    err("Key deleted forever (uh oh!)");
  });
}
