// `qos devnet`: the local chain `npm start` runs. For now one validator in ./devnet/node0
// (created on first use, kept across runs); the multi-validator network comes with p2p.

import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { initHome } from "@qos/node";
import type { Command } from "commander";
import { runNode } from "./runNode.ts";

export const DEVNET_CHAIN_ID = "qos-devnet";

export function registerDevnetCommand(program: Command): void {
  program
    .command("devnet")
    .description("run a local development chain (one validator, data kept in --dir)")
    .option("--dir <dir>", "where the devnet's node homes live", "devnet")
    .option("--rpc-port <port>", "RPC port of the node", "26657")
    .option("--reset", "start over from a new genesis (deletes the devnet's data)")
    .action(async (opts: { dir: string; rpcPort: string; reset?: boolean }) => {
      const home = join(resolve(opts.dir), "node0");
      if (opts.reset === true && existsSync(home)) {
        rmSync(home, { recursive: true, force: true });
      }
      if (!existsSync(join(home, "config", "genesis.json"))) {
        const res = initHome({ home, chainId: DEVNET_CHAIN_ID, moniker: "node0" });
        process.stdout.write(`created devnet node0 in ${home} (chain ${res.chainId})\n`);
      }
      await runNode(home, {
        "rpc.laddr": `tcp://127.0.0.1:${opts.rpcPort}`,
        "p2p.laddr": "tcp://127.0.0.1:26656",
        "consensus.timeout_commit": "1s",
      });
      process.stdout.write("press Ctrl-C to stop\n");
    });
}
