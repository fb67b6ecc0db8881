// The node's home directory: `qos init` (config, genesis, keys, signing state) and
// `qos unsafe-reset-all`. The layout is CometBFT's, so operators find things where
// they expect them.

import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { ed25519Address } from "@qos/crypto";
import { randomBytes } from "@qos/crypto/random";
import { defaultConsensusParams, PublicKeySchema, QosError, toHexLower } from "@qos/types";
import {
  defaultConfigInput,
  encodeConfigToml,
  homePath,
  loadConfig,
  type NodeConfig,
  updateConfigFile,
} from "./config.ts";
import { saveFileAtomic } from "./fileUtil.ts";
import { type GenesisDoc, loadGenesis, saveGenesis } from "./genesis.ts";
import {
  generateEd25519Key,
  loadNodeKey,
  loadValidatorKey,
  nodeIdFromPublicKey,
  saveNodeKey,
  saveValidatorKey,
} from "./keyFiles.ts";

export const HomeErrorCode = {
  Exists: "home/exists",
} as const;

/** The voting power `qos init` gives the single genesis validator. */
export const INIT_VALIDATOR_POWER = 10n;

export interface InitOptions {
  readonly home: string;
  readonly chainId?: string;
  readonly moniker: string;
  /** Genesis time in milliseconds since the epoch (defaults to now). */
  readonly genesisTimeMs?: number;
  readonly appState?: unknown;
}

export interface InitResult {
  readonly nodeId: string;
  readonly validatorAddress: Uint8Array;
  readonly chainId: string;
  readonly created: readonly string[];
}

/** CometBFT's initial priv_validator_state.json. */
export const INITIAL_SIGN_STATE_JSON = `${JSON.stringify({ height: "0", round: 0, step: 0 }, null, 2)}\n`;

/**
 * Creates whatever of the home directory is missing (existing keys and genesis are
 * kept, as `cometbft init` does) and returns the identities.
 */
export function initHome(opts: InitOptions): InitResult {
  const { home } = opts;
  const created: string[] = [];
  mkdirSync(join(home, "config"), { recursive: true });
  mkdirSync(join(home, "data"), { recursive: true, mode: 0o700 });

  const configFile = join(home, "config", "config.toml");
  if (!existsSync(configFile)) {
    saveFileAtomic(configFile, encodeConfigToml(defaultConfigInput(opts.moniker)));
    created.push(configFile);
  }
  const config = loadConfig(home);
  if (!config.ok) throw config.error;
  const paths = configPaths(home, config.value);

  if (!existsSync(paths.nodeKey)) {
    saveNodeKey(paths.nodeKey, generateEd25519Key());
    created.push(paths.nodeKey);
  }
  if (!existsSync(paths.validatorKey)) {
    saveValidatorKey(paths.validatorKey, generateEd25519Key());
    created.push(paths.validatorKey);
  }
  if (!existsSync(paths.signState)) {
    saveFileAtomic(paths.signState, INITIAL_SIGN_STATE_JSON, 0o600);
    created.push(paths.signState);
  }
  const nodeKey = loadNodeKey(paths.nodeKey);
  if (!nodeKey.ok) throw nodeKey.error;
  const valKey = loadValidatorKey(paths.validatorKey);
  if (!valKey.ok) throw valKey.error;

  let chainId: string;
  if (existsSync(paths.genesis)) {
    const g = loadGenesis(paths.genesis);
    if (!g.ok) throw g.error;
    chainId = g.value.chainId;
    if (opts.chainId !== undefined && opts.chainId !== chainId) {
      throw new QosError(
        HomeErrorCode.Exists,
        `${paths.genesis} already exists for chain ${chainId}; remove it to start another chain`,
      );
    }
  } else {
    chainId = opts.chainId ?? `test-chain-${toHexLower(randomBytes(3))}`;
    const ms = opts.genesisTimeMs ?? Date.now();
    const doc: GenesisDoc = {
      genesisTime: create(TimestampSchema, {
        seconds: BigInt(Math.floor(ms / 1000)),
        nanos: (ms % 1000) * 1_000_000,
      }),
      chainId,
      initialHeight: 1n,
      consensusParams: defaultConsensusParams(),
      validators: [
        {
          address: ed25519Address(valKey.value.publicKey),
          pubKey: create(PublicKeySchema, {
            sum: { case: "ed25519", value: valKey.value.publicKey },
          }),
          power: INIT_VALIDATOR_POWER,
          name: opts.moniker,
        },
      ],
      appHash: new Uint8Array(),
      appState: opts.appState ?? {},
    };
    saveGenesis(paths.genesis, doc);
    created.push(paths.genesis);
  }
  return {
    nodeId: nodeIdFromPublicKey(nodeKey.value.publicKey),
    validatorAddress: valKey.value.address,
    chainId,
    created,
  };
}

export interface HomePaths {
  readonly genesis: string;
  readonly nodeKey: string;
  readonly validatorKey: string;
  readonly signState: string;
  readonly dataDir: string;
  readonly wal: string;
}

export function configPaths(home: string, config: NodeConfig): HomePaths {
  return {
    genesis: homePath(home, config.genesis_file),
    nodeKey: homePath(home, config.node_key_file),
    validatorKey: homePath(home, config.priv_validator_key_file),
    signState: homePath(home, config.priv_validator_state_file),
    dataDir: homePath(home, config.db_dir),
    wal: homePath(home, config.consensus.wal_file),
  };
}

/**
 * `unsafe-reset-all`: removes blocks, state, WAL, index and application data, and resets
 * the double-sign guard to height 0. Keys, config and genesis stay. Only safe on a chain
 * that is being restarted from genesis: otherwise the validator could double-sign.
 */
export function unsafeResetAll(home: string): readonly string[] {
  const config = loadConfig(home);
  if (!config.ok) throw config.error;
  const paths = configPaths(home, config.value);
  const removed: string[] = [];
  if (existsSync(paths.dataDir)) {
    for (const entry of readdirSync(paths.dataDir)) {
      const p = join(paths.dataDir, entry);
      if (p === paths.signState) continue;
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    }
  }
  rmSync(paths.wal, { recursive: true, force: true });
  saveFileAtomic(paths.signState, INITIAL_SIGN_STATE_JSON, 0o600);
  return removed;
}

export interface TestnetOptions {
  /** Output directory; node i lives in `<dir>/node<i>`. */
  readonly dir: string;
  readonly validators: number;
  /** Extra non-validator nodes (full nodes) after the validators. */
  readonly fullNodes?: number;
  readonly chainId: string;
  /** Host every node listens on and dials (a local testnet: 127.0.0.1). */
  readonly host?: string;
  /** Node i listens for p2p on basePort + 10·i and for RPC on basePort + 10·i + 1. */
  readonly basePort?: number;
  readonly genesisTimeMs?: number;
  /** Power of each validator (default 10). */
  readonly power?: bigint;
  /** Extra `section.key` config values for every node. */
  readonly config?: Readonly<Record<string, string>>;
  /** The genesis `app_state` (default `{}`). */
  readonly appState?: unknown;
}

export interface TestnetNode {
  readonly home: string;
  readonly moniker: string;
  readonly nodeId: string;
  readonly validator: boolean;
  readonly p2pPort: number;
  readonly rpcPort: number;
}

/**
 * `qos testnet`: homes, keys and one shared genesis for N validators (and full nodes) on
 * distinct ports, each with every other node as a persistent peer.
 */
export function createTestnet(opts: TestnetOptions): TestnetNode[] {
  const host = opts.host ?? "127.0.0.1";
  const basePort = opts.basePort ?? 26656;
  const total = opts.validators + (opts.fullNodes ?? 0);
  const genesisTimeMs = opts.genesisTimeMs ?? Date.now();
  const nodes: TestnetNode[] = [];
  const validators: GenesisDoc["validators"][number][] = [];
  for (let i = 0; i < total; i++) {
    const home = join(opts.dir, `node${i}`);
    if (existsSync(join(home, "config", "genesis.json"))) {
      throw new QosError(
        HomeErrorCode.Exists,
        `${home} already holds a node; choose another output directory`,
      );
    }
    const res = initHome({ home, chainId: opts.chainId, moniker: `node${i}`, genesisTimeMs });
    const isValidator = i < opts.validators;
    if (isValidator) {
      const config = loadConfig(home);
      if (!config.ok) throw config.error;
      const key = loadValidatorKey(configPaths(home, config.value).validatorKey);
      if (!key.ok) throw key.error;
      validators.push({
        address: key.value.address,
        pubKey: create(PublicKeySchema, { sum: { case: "ed25519", value: key.value.publicKey } }),
        power: opts.power ?? INIT_VALIDATOR_POWER,
        name: `node${i}`,
      });
    }
    nodes.push({
      home,
      moniker: `node${i}`,
      nodeId: res.nodeId,
      validator: isValidator,
      p2pPort: basePort + 10 * i,
      rpcPort: basePort + 10 * i + 1,
    });
  }
  const genesis = loadGenesis(join(nodes[0]?.home ?? opts.dir, "config", "genesis.json"));
  if (!genesis.ok) throw genesis.error;
  const shared: GenesisDoc = {
    ...genesis.value,
    validators,
    ...(opts.appState !== undefined ? { appState: opts.appState } : {}),
  };
  for (const n of nodes) {
    saveGenesis(join(n.home, "config", "genesis.json"), shared);
    const peers = nodes.filter((p) => p !== n).map((p) => `${p.nodeId}@${host}:${p.p2pPort}`);
    const updated = updateConfigFile(n.home, {
      "p2p.laddr": `tcp://${host}:${n.p2pPort}`,
      "rpc.laddr": `tcp://${host}:${n.rpcPort}`,
      "p2p.persistent_peers": peers.join(","),
      "p2p.allow_duplicate_ip": "true",
      ...(opts.config ?? {}),
    });
    if (!updated.ok) throw updated.error;
  }
  return nodes;
}
