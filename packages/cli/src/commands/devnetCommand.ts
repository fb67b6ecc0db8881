// `qos testnet` (homes for a local network) and `qos devnet`, the local network `npm start`
// runs: N validators as separate `qos start` processes on loopback, data kept in --dir.

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createTestnet, type TestnetNode } from "@qos/node";
import type { Command } from "commander";
import { NODE_RUNTIME_FLAGS } from "../nodeRuntime.ts";
import { createTestnetAccounts, type TestnetAccount, testnetAppState } from "./testnetAccounts.ts";

export const DEVNET_CHAIN_ID = "qos-devnet";

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new Error(`${what} must be an integer from 1 to 64, got ${text}`);
  return n;
}

type AppName = "qos" | "kvstore";

function appName(text: string): AppName {
  if (text !== "qos" && text !== "kvstore")
    throw new Error(`--app must be qos or kvstore, got ${text}`);
  return text;
}

/**
 * Homes for a local network: with the QOS app, each validator also gets a funded account key
 * (`node<i>` in its test keyring) and the node's minimum gas prices.
 */
function createLocalNetwork(opts: {
  dir: string;
  validators: number;
  fullNodes: number;
  chainId: string;
  host?: string;
  basePort: number;
  app: AppName;
  minimumGasPrices: string;
}): { nodes: TestnetNode[]; accounts: TestnetAccount[] } {
  for (let i = 0; i < opts.validators + opts.fullNodes; i++) {
    if (existsSync(join(opts.dir, `node${i}`, "config", "genesis.json")))
      throw new Error(
        `${join(opts.dir, `node${i}`)} already holds a node; choose another output directory`,
      );
  }
  const accounts = opts.app === "qos" ? createTestnetAccounts(opts.dir, opts.validators) : [];
  const nodes = createTestnet({
    dir: opts.dir,
    validators: opts.validators,
    fullNodes: opts.fullNodes,
    chainId: opts.chainId,
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    basePort: opts.basePort,
    config: {
      "app.name": opts.app,
      ...(opts.app === "qos" ? { "app.minimum-gas-prices": opts.minimumGasPrices } : {}),
    },
    ...(opts.app === "qos" ? { appState: testnetAppState(accounts) } : {}),
  });
  return { nodes, accounts };
}

function printAccounts(accounts: readonly TestnetAccount[]): void {
  for (const a of accounts) {
    out(
      `${a.name}  account ${a.address}  ${a.uqos / 1_000_000n} QOS  (key ${a.name}: --keyring-backend test --home ${a.home})`,
    );
  }
}

export function registerDevnetCommands(program: Command): void {
  program
    .command("testnet")
    .description("write homes, keys and a shared genesis for a local network of validators")
    .option("--v <n>", "number of validators", "4")
    .option("--n <n>", "number of extra full nodes", "0")
    .option("--o <dir>", "output directory (node i in <dir>/node<i>)", "./mytestnet")
    .option("--chain-id <id>", "chain id", "qos-testnet")
    .option(
      "--starting-port <port>",
      "node i listens for p2p on port+10·i and RPC on port+10·i+1",
      "26656",
    )
    .option("--host <ip>", "address every node listens on and dials", "127.0.0.1")
    .option("--app <name>", "the application: qos, or kvstore (the test app)", "qos")
    .option(
      "--minimum-gas-prices <prices>",
      "each node's minimum gas prices (QOS app)",
      "0.025uqos",
    )
    .action(
      (opts: {
        v: string;
        n: string;
        o: string;
        chainId: string;
        startingPort: string;
        host: string;
        app: string;
        minimumGasPrices: string;
      }) => {
        const { nodes, accounts } = createLocalNetwork({
          dir: resolve(opts.o),
          validators: positiveInt(opts.v, "--v"),
          fullNodes: opts.n === "0" ? 0 : positiveInt(opts.n, "--n"),
          chainId: opts.chainId,
          host: opts.host,
          basePort: Number(opts.startingPort),
          app: appName(opts.app),
          minimumGasPrices: opts.minimumGasPrices,
        });
        printAccounts(accounts);
        for (const n of nodes) {
          out(
            `${n.moniker}  ${n.validator ? "validator" : "full node"}  id ${n.nodeId}  p2p ${n.p2pPort}  rpc ${n.rpcPort}  home ${n.home}`,
          );
        }
        out(`start each node with: qos start --home <home>`);
      },
    );

  program
    .command("devnet")
    .description("run a local network of validators as separate processes (Ctrl-C stops it)")
    .option("--dir <dir>", "where the devnet's node homes live", "devnet")
    .option("--validators <n>", "number of validators", "4")
    .option(
      "--starting-port <port>",
      "node i uses ports port+10·i (p2p) and port+10·i+1 (RPC)",
      "26656",
    )
    .option("--reset", "start over from a new genesis (deletes the devnet's data)")
    .option(
      "--app <name>",
      "the application of a new devnet: qos, or kvstore (the test app)",
      "qos",
    )
    .action(
      async (opts: {
        dir: string;
        validators: string;
        startingPort: string;
        reset?: boolean;
        app: string;
      }) => {
        const dir = resolve(opts.dir);
        if (opts.reset === true) rmSync(dir, { recursive: true, force: true });
        const count = positiveInt(opts.validators, "--validators");
        const basePort = Number(opts.startingPort);
        if (!existsSync(join(dir, "node0", "config", "genesis.json"))) {
          const { accounts } = createLocalNetwork({
            dir,
            validators: count,
            fullNodes: 0,
            chainId: DEVNET_CHAIN_ID,
            basePort,
            app: appName(opts.app),
            minimumGasPrices: "0.025uqos",
          });
          out(`created a ${count}-validator devnet in ${dir} (chain ${DEVNET_CHAIN_ID})`);
          printAccounts(accounts);
        }
        const homes = readdirSync(dir)
          .filter((d) => /^node\d+$/.test(d))
          .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
          .map((d) => join(dir, d));
        const main = resolve(import.meta.dirname, "..", "main.js");
        const children: ChildProcess[] = homes.map((home) => {
          const log = createWriteStream(join(home, "node.log"), { flags: "a" });
          const child = spawn(
            process.execPath,
            [...NODE_RUNTIME_FLAGS, main, "start", "--home", home],
            {
              stdio: ["ignore", "pipe", "pipe"],
            },
          );
          child.stdout?.pipe(log);
          child.stderr?.pipe(log);
          return child;
        });
        homes.forEach((home, i) => {
          out(
            `node${i}: RPC http://127.0.0.1:${basePort + 10 * i + 1}  (log ${join(home, "node.log")})`,
          );
        });
        out("press Ctrl-C to stop the devnet");
        let stopping = false;
        const exited = children.map(
          (c) => new Promise<number | null>((r) => c.once("exit", (code) => r(code))),
        );
        const stop = () => {
          if (stopping) return;
          stopping = true;
          out("stopping the devnet…");
          for (const c of children) c.kill("SIGTERM");
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        const first = await Promise.race(exited.map((p, i) => p.then((code) => ({ code, i }))));
        if (!stopping) {
          out(`node${first.i} exited with code ${first.code}; see its log. Stopping the others.`);
          stop();
        }
        await Promise.all(exited);
        process.exitCode = stopping && first.code === 0 ? 0 : (first.code ?? 1);
      },
    );
}
