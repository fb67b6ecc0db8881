#!/usr/bin/env node
// The `qos` command: node operation (init, start, keys of the node) for now; client
// commands (keys, tx, query) and `testnet` join as their issues land.

import { homedir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { registerDevnetCommands } from "./commands/devnetCommand.ts";
import { registerGenesisCommands } from "./commands/genesisCommands.ts";
import { registerKeysCommands } from "./commands/keysCommand.ts";
import { registerNodeCommands } from "./commands/nodeCommands.ts";
import { registerQueryCommands } from "./commands/queryCommands.ts";

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

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
