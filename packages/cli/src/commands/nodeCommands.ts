// Node operator commands: init, start, show-node-id, show-validator, unsafe-reset-all, version.

import { join, resolve } from "node:path";
import {
  ABCI_VERSION,
  COMETBFT_COMPAT_VERSION,
  configPaths,
  initHome,
  loadConfig,
  loadNodeKey,
  loadValidatorKey,
  nodeIdFromPublicKey,
  P2P_PROTOCOL,
  QOS_VERSION,
  unsafeResetAll,
  updateConfigFile,
} from "@qos/node";
import { BLOCK_PROTOCOL, toBase64, toHex } from "@qos/types";
import type { Command } from "commander";
import { runNode } from "./runNode.ts";

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function homeOf(cmd: Command): string {
  return resolve(cmd.optsWithGlobals<{ home: string }>().home);
}

/** Collects `--section.key value` / `--section.key=value` flags that override config.toml. */
export function parseConfigOverrides(args: readonly string[]): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const m = /^--([a-z0-9_]+(?:\.[a-z0-9_-]+)+|moniker|log_level|log_format)(?:=(.*))?$/.exec(arg);
    if (m === null) throw new Error(`unknown option: ${arg}`);
    if (m[2] !== undefined) {
      overrides[m[1] as string] = m[2];
    } else {
      const value = args[i + 1];
      if (value === undefined || value.startsWith("--"))
        throw new Error(`option ${arg} needs a value`);
      overrides[m[1] as string] = value;
      i++;
    }
  }
  return overrides;
}

/** The node commands; the program defines the global `--home` option. */
export function registerNodeCommands(program: Command): void {
  program
    .command("init")
    .description("create the home directory: config.toml, genesis.json, node and validator keys")
    .option(
      "--chain-id <id>",
      "chain id of a new genesis (default: test-chain- and 6 random hex digits)",
    )
    .option("--moniker <name>", "a human-readable name for this node", "qos-node")
    .option(
      "--app <name>",
      "the application of a new config.toml: qos, or kvstore (the test app)",
      "qos",
    )
    .action((opts: { chainId?: string; moniker: string; app: string }, cmd: Command) => {
      if (opts.app !== "qos" && opts.app !== "kvstore")
        throw new Error(`--app must be qos or kvstore, got ${opts.app}`);
      const home = homeOf(cmd);
      const res = initHome({
        home,
        moniker: opts.moniker,
        ...(opts.chainId !== undefined ? { chainId: opts.chainId } : {}),
      });
      const configFile = join(home, "config", "config.toml");
      if (res.created.includes(configFile)) {
        const set = updateConfigFile(home, { "app.name": opts.app });
        if (!set.ok) throw set.error;
      }
      for (const f of res.created) out(`created ${f}`);
      out(`home:              ${home}`);
      out(`chain id:          ${res.chainId}`);
      out(`node id:           ${res.nodeId}`);
      out(`validator address: ${toHex(res.validatorAddress)}`);
    });

  program
    .command("start")
    .description(
      "run the node (flags like --rpc.laddr or --consensus.timeout_commit override config.toml)",
    )
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption("-h, --help")
    .action(async (_opts: unknown, cmd: Command) => {
      const overrides = parseConfigOverrides(cmd.args);
      await runNode(homeOf(cmd), overrides);
    });

  program
    .command("show-node-id")
    .description("print this node's p2p id")
    .action((_o: unknown, cmd: Command) => {
      const home = homeOf(cmd);
      const config = loadConfig(home);
      if (!config.ok) throw config.error;
      const key = loadNodeKey(configPaths(home, config.value).nodeKey);
      if (!key.ok) throw key.error;
      out(nodeIdFromPublicKey(key.value.publicKey));
    });

  program
    .command("show-validator")
    .description("print this node's validator public key (CometBFT JSON)")
    .action((_o: unknown, cmd: Command) => {
      const home = homeOf(cmd);
      const config = loadConfig(home);
      if (!config.ok) throw config.error;
      const key = loadValidatorKey(configPaths(home, config.value).validatorKey);
      if (!key.ok) throw key.error;
      out(
        JSON.stringify({ type: "tendermint/PubKeyEd25519", value: toBase64(key.value.publicKey) }),
      );
    });

  program
    .command("unsafe-reset-all")
    .description(
      "delete all blocks, state, WAL and index data and reset the signing state (keeps keys and genesis)",
    )
    .action((_o: unknown, cmd: Command) => {
      for (const p of unsafeResetAll(homeOf(cmd))) out(`removed ${p}`);
      out("reset the private validator signing state to height 0");
    });

  program
    .command("version")
    .description("print the software and protocol versions")
    .option("--long", "print every protocol version")
    .action((opts: { long?: boolean }) => {
      if (opts.long !== true) {
        out(QOS_VERSION);
        return;
      }
      out(`qos: ${QOS_VERSION}`);
      out(`cometbft compatibility: ${COMETBFT_COMPAT_VERSION}`);
      out(`block protocol: ${BLOCK_PROTOCOL}`);
      out(`p2p protocol: ${P2P_PROTOCOL}`);
      out(`abci: ${ABCI_VERSION}`);
    });
}
