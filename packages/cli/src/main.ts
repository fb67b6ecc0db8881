#!/usr/bin/env node
// The `qos` command: node operation (init, start, genesis, devnet) and the client commands
// (keys, query, tx); `testnet` joins when its issue lands.

import { homedir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { registerDevnetCommands } from "./commands/devnetCommand.ts";
import { registerGenesisCommands } from "./commands/genesisCommands.ts";
import { registerKeysCommands } from "./commands/keysCommand.ts";
import { registerNodeCommands } from "./commands/nodeCommands.ts";
import { registerQueryCommands } from "./commands/queryCommands.ts";
import { registerTxCommands } from "./commands/txCommands.ts";

const program = new Command();
program
  .name("qos")
  .description("QOS node and client")
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

registerNodeCommands(program, join(homedir(), ".qos"));
registerDevnetCommands(program);
registerGenesisCommands(program);
registerKeysCommands(program);
registerQueryCommands(program);
registerTxCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
