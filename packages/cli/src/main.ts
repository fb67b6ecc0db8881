#!/usr/bin/env node
// The `qos` command: node operation (init, start, genesis, testnet, devnet) and the client
// commands (keys, query, tx). Each group's module is loaded only when its command runs, so a
// client command does not pay for loading the node (libp2p, the RPC server, …).

import { homedir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";

const program = new Command();
program
  .name("qos")
  .description("QOS node and client")
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) })
  .option("--home <dir>", "node home directory", join(homedir(), ".qos"));

/** The command groups, in help order: the top-level command names and how to register them. */
const GROUPS: { readonly names: readonly string[]; register(): Promise<void> }[] = [
  {
    names: ["init", "start", "show-node-id", "show-validator", "unsafe-reset-all", "version"],
    register: async () =>
      (await import("./commands/nodeCommands.ts")).registerNodeCommands(program),
  },
  {
    names: ["testnet", "devnet"],
    register: async () =>
      (await import("./commands/devnetCommand.ts")).registerDevnetCommands(program),
  },
  {
    names: ["genesis"],
    register: async () =>
      (await import("./commands/genesisCommands.ts")).registerGenesisCommands(program),
  },
  {
    names: ["keys"],
    register: async () => (await import("./commands/keysCommand.ts")).registerKeysCommands(program),
  },
  {
    names: ["query", "q"],
    register: async () => {
      (await import("./commands/queryCommands.ts")).registerQueryCommands(program);
    },
  },
  {
    names: ["tx"],
    register: async () => (await import("./commands/txCommands.ts")).registerTxCommands(program),
  },
];

/** The first argument that is a command name (skipping `--home DIR`), if any. */
function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--home") i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

async function main(): Promise<void> {
  const name = commandName(process.argv.slice(2));
  const group = GROUPS.find((g) => name !== undefined && g.names.includes(name));
  // No or an unknown command: register everything so help and "unknown command" list them all.
  for (const g of group !== undefined ? [group] : GROUPS) await g.register();
  await program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
