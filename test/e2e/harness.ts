// End-to-end harness: real `qos` processes on loopback, built from packages/cli/dist
// (npm test builds first). Helpers to init homes, start/kill nodes and wait on RPC.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  headerHash,
  type ValidatorSet,
  validatorFromProto,
  validatorSetFromValidators,
  verifyCommit,
} from "@qos/consensus";
import {
  configPaths,
  type HomePaths,
  loadConfig,
  loadNodeKey,
  nodeIdFromPublicKey,
} from "@qos/node";
import {
  decodeLastSignState,
  type LastSignStateValue,
  scanWalSegment,
  WAL_DEFAULTS,
} from "@qos/store";
import {
  type Commit,
  decodeWireMessage,
  equalBytes,
  type Header,
  signedHeaderFromJson,
  toHex,
  validatorFromJson,
  type WALMessage,
  WALMessageSchema,
} from "@qos/types";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import WebSocket from "ws";
import { NODE_RUNTIME_FLAGS } from "../../packages/cli/src/nodeRuntime.ts";

export const CLI = resolve(import.meta.dirname, "../../packages/cli/dist/main.js");

export function makeTempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs the CLI to completion and returns stdout; throws with stderr on a non-zero exit. */
export function qos(args: readonly string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return await new Promise((resolveFree) => {
    const srv = createServer();
    srv.once("error", () => resolveFree(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolveFree(true)));
  });
}

/**
 * A base port P such that P + step·i and P + step·i + 1 are free for i < count (the layout
 * `qos testnet --starting-port P` uses with step 10).
 */
export async function freePortBlock(count: number, step = 10): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) {
      ok = (await portIsFree(base + step * i)) && (await portIsFree(base + step * i + 1));
    }
    if (ok) return base;
  }
  throw new Error("no free block of ports found");
}

export interface RunningNode {
  readonly proc: ChildProcess;
  readonly rpc: string;
  output(): string;
  /** Resolves with the next output line matching `pattern` (lines written after the call). */
  nextLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop) and wait for the exit code. */
  stop(): Promise<number | null>;
}

export function startNode(
  home: string,
  rpcPort: number,
  extraArgs: readonly string[] = [],
): RunningNode {
  return spawnCli(
    ["start", "--home", home, "--rpc.laddr", `tcp://127.0.0.1:${rpcPort}`, ...extraArgs],
    rpcPort,
  );
}

/** Spawns a long-running `qos` command (start, devnet) whose RPC listens on 127.0.0.1:rpcPort. */
export function spawnCli(args: readonly string[], rpcPort: number): RunningNode {
  const proc = spawn(process.execPath, [...NODE_RUNTIME_FLAGS, CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const lineWaiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const partial = { stdout: "", stderr: "" };
  const onData = (stream: "stdout" | "stderr") => (d: Buffer) => {
    const text = d.toString("utf8");
    out += text;
    if (lineWaiters.size === 0) {
      partial[stream] = "";
      return;
    }
    const lines = (partial[stream] + text).split("\n");
    partial[stream] = lines.pop() ?? "";
    for (const line of lines) {
      for (const w of lineWaiters) {
        if (w.pattern.test(line)) {
          lineWaiters.delete(w);
          w.resolve(line);
        }
      }
    }
  };
  proc.stdout?.on("data", onData("stdout"));
  proc.stderr?.on("data", onData("stderr"));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return {
    proc,
    rpc: `http://127.0.0.1:${rpcPort}`,
    output: () => out,
    nextLine: (pattern, timeoutMs = 30_000) =>
      new Promise((resolveLine, reject) => {
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        };
        const timer = setTimeout(() => {
          lineWaiters.delete(waiter);
          reject(new Error(`no output line matching ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        lineWaiters.add(waiter);
      }),
    kill: async () => {
      proc.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      proc.kill("SIGTERM");
      return await exited;
    },
  };
}

export async function rpcCall<T = unknown>(
  base: string,
  method: string,
  params: Record<string, unknown> = {},
  timeoutMs?: number,
): Promise<T> {
  const res = await fetch(base, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    ...(timeoutMs !== undefined ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string; data?: string } };
  if (body.error !== undefined)
    throw new Error(`${method}: ${body.error.message} ${body.error.data ?? ""}`);
  return body.result as T;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

export async function latestHeight(base: string, timeoutMs?: number): Promise<bigint> {
  const st = await rpcCall<{ sync_info: { latest_block_height: string } }>(
    base,
    "status",
    {},
    timeoutMs,
  );
  return BigInt(st.sync_info.latest_block_height);
}

export async function waitForHeight(
  base: string,
  height: bigint,
  timeoutMs = 30_000,
): Promise<bigint> {
  return await waitFor(
    `height ${height} at ${base}`,
    async () => {
      const h = await latestHeight(base);
      return h >= height ? h : undefined;
    },
    timeoutMs,
  );
}

export function gitRoot(): string {
  return resolve(import.meta.dirname, "../..");
}

// ---- Crash and restart helpers (the crash-safety test; usable by any e2e test) ------------

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence. */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
}

export function createPrng(seed: number): Prng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/** The on-disk paths of a home (from its config.toml). */
export function nodePaths(home: string): HomePaths {
  const config = loadConfig(home, {});
  if (!config.ok) throw config.error;
  return configPaths(home, config.value);
}

/** priv_validator_state.json of a home, decoded (the node must not be writing it). */
export function readSignState(home: string): LastSignStateValue {
  const path = nodePaths(home).signState;
  return decodeLastSignState(readFileSync(path, "utf8"), path);
}

/** Orders two last-sign states by (height, round, step). */
export function compareSignState(a: LastSignStateValue, b: LastSignStateValue): number {
  if (a.height !== b.height) return a.height < b.height ? -1 : 1;
  if (a.round !== b.round) return a.round < b.round ? -1 : 1;
  return a.step - b.step;
}

export interface WalContents {
  /** Every decodable `qos.node.v1.WALMessage` record, oldest first. */
  readonly messages: WALMessage[];
  /** #ENDHEIGHT markers, in log order. */
  readonly endHeights: bigint[];
  /** Records whose payload is not a WALMessage. */
  readonly undecodable: number;
  /** A torn tail (partial last record) the scan stopped at, if any. */
  readonly tornTail: string | null;
}

/**
 * Reads a stopped node's consensus WAL read-only, segment by segment (openWAL would repair a
 * torn tail; this only reports it). Corruption before the head segment's tail throws.
 */
export function readWal(home: string): WalContents {
  const dir = nodePaths(home).wal;
  const names = readdirSync(dir)
    .filter((n) => /^wal\.\d{10}$/.test(n))
    .sort();
  const messages: WALMessage[] = [];
  const endHeights: bigint[] = [];
  let undecodable = 0;
  let tornTail: string | null = null;
  names.forEach((name, i) => {
    const scan = scanWalSegment(readFileSync(join(dir, name)), WAL_DEFAULTS.maxRecordBytes);
    for (const r of scan.records) {
      if (r.entry.kind === "endHeight") {
        endHeights.push(r.entry.height);
        continue;
      }
      const m = decodeWireMessage(WALMessageSchema, r.entry.payload);
      if (m.ok) messages.push(m.value);
      else undecodable++;
    }
    if (scan.problem !== null) {
      const where = `${name} offset ${scan.problem.offset}: ${scan.problem.reason}`;
      if (i !== names.length - 1 || !scan.problem.tornTail)
        throw new Error(`WAL is corrupt at ${where}`);
      tornTail = where;
    }
  });
  return { messages, endHeights, undecodable, tornTail };
}

export interface BlockMetaSummary {
  readonly height: bigint;
  /** Upper-case hex block hash. */
  readonly hash: string;
  readonly numTxs: number;
}

/** Block metas of [minHeight, maxHeight] via `/blockchain` (20 per call), ascending. */
export async function blockMetas(
  base: string,
  minHeight: bigint,
  maxHeight: bigint,
): Promise<BlockMetaSummary[]> {
  const out: BlockMetaSummary[] = [];
  for (let hi = maxHeight; hi >= minHeight; hi -= 20n) {
    const lo = hi - 19n > minHeight ? hi - 19n : minHeight;
    const res = await rpcCall<{
      block_metas: { block_id: { hash: string }; header: { height: string }; num_txs: string }[];
    }>(base, "blockchain", { minHeight: String(lo), maxHeight: String(hi) });
    for (const m of res.block_metas) {
      out.push({
        height: BigInt(m.header.height),
        hash: m.block_id.hash,
        numTxs: Number(m.num_txs),
      });
    }
  }
  return out.sort((a, b) => (a.height < b.height ? -1 : a.height > b.height ? 1 : 0));
}

/** The process has exited (by itself or by a signal). */
export function hasExited(node: RunningNode): boolean {
  return node.proc.exitCode !== null || node.proc.signalCode !== null;
}

// ---- Single-node chains and raw JSON-RPC (the RPC e2e tests; usable by any e2e test) ------

export interface SingleNodeChain {
  readonly home: string;
  readonly chainId: string;
  readonly node: RunningNode;
  /** `http://127.0.0.1:<port>`. */
  readonly rpc: string;
  /** `ws://127.0.0.1:<port>` (cosmjs appends `/websocket`). */
  readonly ws: string;
  /** Stops the node (SIGTERM, SIGKILL if it hangs) and removes the home. Idempotent. */
  close(): Promise<void>;
}

/**
 * `qos init` a fresh home and `qos start` it on a free loopback port with
 * `--consensus.timeout_commit 200ms` (plus `extraArgs`); resolves once block 1 is committed.
 */
export async function startSingleNodeChain(opts: {
  readonly prefix: string;
  readonly chainId: string;
  readonly moniker?: string;
  readonly extraArgs?: readonly string[];
  /** The application (`qos init --app`; default kvstore, whose txs most e2e tests send). */
  readonly app?: "qos" | "kvstore";
  /** Runs on the fresh home after `qos init`, before `qos start` (e.g. `setGenesisAppState`). */
  readonly prepareHome?: (home: string) => void;
}): Promise<SingleNodeChain> {
  const dir = makeTempDir(opts.prefix);
  let node: RunningNode | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      try {
        if (node !== undefined) await stopOrKill(node);
      } finally {
        dir.remove();
      }
    })();
    return closing;
  };
  try {
    qos([
      "init",
      "--home",
      dir.path,
      "--chain-id",
      opts.chainId,
      "--moniker",
      opts.moniker ?? "e2e",
      "--app",
      opts.app ?? "kvstore",
    ]);
    // A free loopback p2p port too, so parallel nodes never compete for 26656. Written into
    // config.toml: the CLI's override flags do not take a section name with a digit (p2p).
    setConfigValue(dir.path, "p2p", "laddr", `tcp://127.0.0.1:${await freePort()}`);
    opts.prepareHome?.(dir.path);
    const port = await freePort();
    node = startNode(dir.path, port, [
      "--consensus.timeout_commit",
      "200ms",
      ...(opts.extraArgs ?? []),
    ]);
    const started = node;
    await waitFor("the node's first block", async () => {
      if (started.proc.exitCode !== null || started.proc.signalCode !== null)
        throw new Error(`node exited:\n${started.output()}`);
      return (await latestHeight(started.rpc)) >= 1n ? true : undefined;
    });
    return {
      home: dir.path,
      chainId: opts.chainId,
      node: started,
      rpc: started.rpc,
      ws: `ws://127.0.0.1:${port}`,
      close,
    };
  } catch (e) {
    const out = node?.output() ?? "";
    await close();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nnode output:\n${out}`);
  }
}

/** Sets `[section] key = value` (a string) in a home's config.toml. */
export function setConfigValue(home: string, section: string, key: string, value: string): void {
  const path = join(home, "config", "config.toml");
  const config = parseToml(readFileSync(path, "utf8")) as Record<string, Record<string, unknown>>;
  const table = config[section];
  if (table === undefined || !(key in table))
    throw new Error(`config.toml has no ${section}.${key}`);
  table[key] = value;
  writeFileSync(path, `${stringifyToml(config)}\n`);
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopOrKill(node: RunningNode, graceMs = 10_000): Promise<void> {
  if (node.proc.exitCode !== null || node.proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => node.proc.once("exit", () => r()));
  node.proc.kill("SIGTERM");
  const timer = setTimeout(() => node.proc.kill("SIGKILL"), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

export interface JsonRpcReply<T = unknown> {
  /** The HTTP status. */
  readonly status: number;
  readonly id?: number | string | null;
  readonly result?: T;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: string };
}

/** POSTs a raw body to the JSON-RPC endpoint and returns the status and the parsed reply. */
export async function postRaw(base: string, body: string): Promise<JsonRpcReply> {
  const res = await fetch(base, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  return { status: res.status, ...(JSON.parse(text) as object) };
}

/** One JSON-RPC call that does not throw on an error reply (compare `rpcCall`). */
export async function rpcReply<T = unknown>(
  base: string,
  method: string,
  params: unknown = {},
): Promise<JsonRpcReply<T>> {
  return (await postRaw(
    base,
    JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  )) as JsonRpcReply<T>;
}

/** A URI GET (`/method?name=value`), with the query string exactly as given. */
export async function uriGet<T = unknown>(
  base: string,
  pathAndQuery: string,
): Promise<JsonRpcReply<T>> {
  const res = await fetch(`${base}/${pathAndQuery}`);
  const text = await res.text();
  return { status: res.status, ...(JSON.parse(text) as object) } as JsonRpcReply<T>;
}

/** Base64 of a UTF-8 string (a kvstore tx for broadcast_tx_*). */
export function txBase64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

export interface CommittedTx {
  readonly hash: string;
  readonly height: bigint;
  readonly index: number;
  readonly code: number;
  readonly log: string;
}

/** Polls `/tx` until the tx with this (hex) hash is indexed. */
export async function waitForTx(base: string, hashHex: string): Promise<CommittedTx> {
  const hash = Buffer.from(hashHex, "hex").toString("base64");
  return await waitFor(`tx ${hashHex}`, async () => {
    const r = await rpcReply<{
      hash: string;
      height: string;
      index: number;
      tx_result: { code?: number; log?: string };
    }>(base, "tx", { hash });
    if (r.result === undefined) return undefined;
    return {
      hash: r.result.hash,
      height: BigInt(r.result.height),
      index: r.result.index,
      code: r.result.tx_result.code ?? 0,
      log: r.result.tx_result.log ?? "",
    };
  });
}

/**
 * `/validators?height=h` (all pages) as raw JSON, decoded with @qos/types and built into a
 * @qos/consensus validator set (priorities as served). Also returns the raw entries.
 */
export async function validatorSetAt(
  base: string,
  height: bigint,
): Promise<{
  set: ValidatorSet;
  raw: { voting_power: string; proposer_priority?: string; address: string }[];
}> {
  const raw: { voting_power: string; proposer_priority?: string; address: string }[] = [];
  for (let page = 1; ; page++) {
    const r = await rpcCall<{ validators: typeof raw; total: string }>(base, "validators", {
      height: String(height),
      page: String(page),
      per_page: "100",
    });
    raw.push(...r.validators);
    if (raw.length >= Number(r.total) || r.validators.length === 0) break;
  }
  const vals = raw.map((j, i) => {
    const proto = validatorFromJson(j, `validators[${i}]`);
    if (!proto.ok) throw proto.error;
    const v = validatorFromProto(proto.value);
    if (!v.ok) throw v.error;
    return v.value;
  });
  const set = validatorSetFromValidators(vals);
  if (!set.ok) throw set.error;
  return { set: set.value, raw };
}

/** A raw websocket JSON-RPC session on `<ws>/websocket` (no client library in between). */
export interface WsSession {
  /** Sends a text frame as is (need not be valid JSON). */
  send(text: string): void;
  /** The next message (oldest first) that `match` accepts; earlier unmatched ones stay queued. */
  next<T = JsonRpcReply>(what: string, match: (msg: JsonRpcReply) => boolean): Promise<T>;
  /** Sends a request and waits for the reply with its id. */
  call<T = unknown>(id: number, method: string, params?: unknown): Promise<JsonRpcReply<T>>;
  close(): Promise<void>;
}

export async function openWsSession(wsBase: string): Promise<WsSession> {
  const ws = new WebSocket(`${wsBase}/websocket`);
  const inbox: JsonRpcReply[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data: Buffer) => {
    inbox.push({ status: 0, ...(JSON.parse(data.toString("utf8")) as object) });
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((res, rej) => {
    ws.once("open", () => res());
    ws.once("error", rej);
  });
  const next = async <T>(what: string, match: (msg: JsonRpcReply) => boolean): Promise<T> =>
    await new Promise<T>((res, rej) => {
      const check = () => {
        const i = inbox.findIndex(match);
        if (i >= 0) {
          waiters.delete(check);
          clearTimeout(timer);
          res(inbox.splice(i, 1)[0] as T);
        } else if (ws.readyState !== WebSocket.OPEN) {
          waiters.delete(check);
          clearTimeout(timer);
          rej(new Error(`websocket closed while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        rej(new Error(`no websocket message: ${what}`));
      }, 20_000);
      waiters.add(check);
      ws.once("close", check);
      check();
    });
  return {
    send: (text) => ws.send(text),
    next,
    call: async <T>(id: number, method: string, params: unknown = {}) => {
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
      return await next<JsonRpcReply<T>>(`reply ${id}`, (m) => m.id === id);
    },
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((res) => {
        ws.once("close", () => res());
        ws.close();
      });
    },
  };
}

// ---- Validator clusters (`qos testnet` homes run as processes; the cluster, partition and
// chaos tests) ------------------------------------------------------------------------------

/** Fast consensus timeouts for clusters on loopback (every start of a cluster node gets them). */
export const FAST_CONSENSUS_ARGS: readonly string[] = [
  "--consensus.timeout_commit",
  "200ms",
  "--consensus.timeout_propose",
  "1s",
];

export interface ClusterNode {
  readonly index: number;
  /** `node<index>`. */
  readonly moniker: string;
  readonly home: string;
  readonly nodeId: string;
  readonly validator: boolean;
  readonly p2pPort: number;
  readonly rpcPort: number;
  /** `http://127.0.0.1:<rpcPort>`. */
  readonly rpc: string;
  /** `id@127.0.0.1:<p2pPort>`. */
  readonly p2pAddress: string;
  /** The current process, or null when the node was never started. */
  process(): RunningNode | null;
  isRunning(): boolean;
  /** Output of every run of this node so far, oldest first. */
  output(): string;
}

export interface Cluster {
  readonly dir: string;
  readonly chainId: string;
  readonly nodes: readonly ClusterNode[];
  /** Starts (or restarts) node i; resolves once its RPC answers `/status`. */
  start(index: number, extraArgs?: readonly string[]): Promise<ClusterNode>;
  /** SIGKILL (a crash) and wait for the exit; nothing when not running. */
  kill(index: number): Promise<void>;
  /** SIGTERM (SIGKILL after a grace period) and wait for the exit. */
  stop(index: number): Promise<void>;
  /** The nodes whose process is running. */
  running(): ClusterNode[];
  /** The last `lines` output lines of each node (for failure messages). */
  logTail(lines?: number): string;
  /** Kills every process and removes the directory (unless QOS_E2E_KEEP is set). Idempotent. */
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** Temp directory prefix. */
  readonly prefix: string;
  readonly chainId: string;
  /** Validators (default 4). */
  readonly validators?: number;
  /** Extra full nodes after the validators (`qos testnet --n`; default 0). */
  readonly fullNodes?: number;
  /** Indices started now, in parallel (default: every validator). */
  readonly start?: readonly number[];
  /** Arguments every start of every node gets (default FAST_CONSENSUS_ARGS). */
  readonly nodeArgs?: readonly string[];
  /** The application (`qos testnet --app`; default kvstore, whose txs the cluster tests send). */
  readonly app?: "qos" | "kvstore";
}

/**
 * `qos testnet --v V --n N` into a temp directory on a free block of loopback ports (node i:
 * p2p P+10·i, RPC P+10·i+1; every node a persistent peer of every other), then starts the
 * chosen nodes as `qos start` processes. Call `close()` in afterAll.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const validators = opts.validators ?? 4;
  const fullNodes = opts.fullNodes ?? 0;
  const nodeArgs = opts.nodeArgs ?? FAST_CONSENSUS_ARGS;
  const dir = makeTempDir(opts.prefix);
  const total = validators + fullNodes;
  const base = await freePortBlock(total);
  qos([
    "testnet",
    "--v",
    String(validators),
    "--n",
    String(fullNodes),
    "--o",
    dir.path,
    "--chain-id",
    opts.chainId,
    "--starting-port",
    String(base),
    "--app",
    opts.app ?? "kvstore",
  ]);
  const procs: (RunningNode | null)[] = Array.from({ length: total }, () => null);
  const pastOutput: string[] = Array.from({ length: total }, () => "");
  const nodes: ClusterNode[] = Array.from({ length: total }, (_, i) => {
    const home = join(dir.path, `node${i}`);
    const nodeKey = loadNodeKey(nodePaths(home).nodeKey);
    if (!nodeKey.ok) throw nodeKey.error;
    const nodeId = nodeIdFromPublicKey(nodeKey.value.publicKey);
    const p2pPort = base + 10 * i;
    const rpcPort = base + 10 * i + 1;
    return {
      index: i,
      moniker: `node${i}`,
      home,
      nodeId,
      validator: i < validators,
      p2pPort,
      rpcPort,
      rpc: `http://127.0.0.1:${rpcPort}`,
      p2pAddress: `${nodeId}@127.0.0.1:${p2pPort}`,
      process: () => procs[i] ?? null,
      isRunning: () => {
        const p = procs[i];
        return p !== null && p !== undefined && !hasExited(p);
      },
      output: () => (pastOutput[i] ?? "") + (procs[i]?.output() ?? ""),
    };
  });
  const nodeAt = (i: number): ClusterNode => {
    const n = nodes[i];
    if (n === undefined) throw new Error(`the cluster has no node ${i}`);
    return n;
  };

  let closing: Promise<void> | undefined;
  const cluster: Cluster = {
    dir: dir.path,
    chainId: opts.chainId,
    nodes,
    async start(i, extraArgs = []) {
      const n = nodeAt(i);
      if (n.isRunning()) throw new Error(`${n.moniker} is already running`);
      const old = procs[i];
      if (old !== null && old !== undefined) pastOutput[i] += old.output();
      const proc = spawnCli(["start", "--home", n.home, ...nodeArgs, ...extraArgs], n.rpcPort);
      procs[i] = proc;
      await waitFor(
        `${n.moniker}'s RPC`,
        async () => {
          if (hasExited(proc))
            throw new Error(`${n.moniker} exited:\n${proc.output().slice(-4000)}`);
          await latestHeight(n.rpc, 2000);
          return true;
        },
        60_000,
      );
      return n;
    },
    async kill(i) {
      const p = procs[i];
      if (p !== null && p !== undefined && !hasExited(p)) await p.kill();
    },
    async stop(i) {
      const p = procs[i];
      if (p !== null && p !== undefined) await stopOrKill(p);
    },
    running: () => nodes.filter((n) => n.isRunning()),
    logTail(lines = 40) {
      return nodes
        .map((n) => {
          const tail = n.output().split("\n").slice(-lines).join("\n");
          return `---- ${n.moniker} (${n.isRunning() ? "running" : "stopped"}) ----\n${tail}`;
        })
        .join("\n");
    },
    close() {
      closing ??= (async () => {
        await Promise.all(
          procs.map(async (p) => {
            if (p !== null && !hasExited(p)) await p.kill();
          }),
        );
        if (process.env.QOS_E2E_KEEP === undefined) dir.remove();
      })();
      return closing;
    },
  };
  try {
    await Promise.all(
      (opts.start ?? nodes.filter((n) => n.validator).map((n) => n.index)).map((i) =>
        cluster.start(i),
      ),
    );
  } catch (e) {
    await cluster.close();
    throw e;
  }
  return cluster;
}

/** Heights of several nodes (null where the RPC does not answer). */
export async function heightsOf(bases: readonly string[]): Promise<(bigint | null)[]> {
  return await Promise.all(
    bases.map(async (b) => {
      try {
        return await latestHeight(b, 3000);
      } catch {
        return null;
      }
    }),
  );
}

/** Waits until every node has committed `height`; returns their heights. */
export async function waitForAllHeights(
  bases: readonly string[],
  height: bigint,
  timeoutMs = 60_000,
): Promise<bigint[]> {
  return await waitFor(
    `height ${height} on ${bases.join(", ")}`,
    async () => {
      const hs = await heightsOf(bases);
      return hs.every((h) => h !== null && h >= height) ? (hs as bigint[]) : undefined;
    },
    timeoutMs,
  );
}

export interface HeaderSummary {
  readonly height: bigint;
  /** Upper-case hex block hash. */
  readonly hash: string;
  /** Upper-case hex app hash in the header (the state after the previous block). */
  readonly appHash: string;
  readonly numTxs: number;
}

/** Block metas of [minHeight, maxHeight] via `/blockchain` with their headers' app hashes, ascending. */
export async function headerSummaries(
  base: string,
  minHeight: bigint,
  maxHeight: bigint,
): Promise<HeaderSummary[]> {
  const out: HeaderSummary[] = [];
  for (let hi = maxHeight; hi >= minHeight; hi -= 20n) {
    const lo = hi - 19n > minHeight ? hi - 19n : minHeight;
    const res = await rpcCall<{
      block_metas: {
        block_id: { hash: string };
        header: { height: string; app_hash: string };
        num_txs: string;
      }[];
    }>(base, "blockchain", { minHeight: String(lo), maxHeight: String(hi) });
    for (const m of res.block_metas) {
      out.push({
        height: BigInt(m.header.height),
        hash: m.block_id.hash,
        appHash: m.header.app_hash,
        numTxs: Number(m.num_txs),
      });
    }
  }
  return out.sort((a, b) => (a.height < b.height ? -1 : a.height > b.height ? 1 : 0));
}

export interface ChainComparison {
  /** Every node's latest height when read. */
  readonly heights: bigint[];
  /** Heights compared on at least two nodes. */
  readonly compared: number;
  /** Heights where two nodes hold different blocks (or different header app hashes). */
  readonly forks: { height: bigint; hashes: (string | null)[] }[];
}

/**
 * Reads every node's blocks 1..its latest height and compares them height by height: a fork is
 * a height where two nodes hold different block hashes (or header app hashes).
 */
export async function compareChains(bases: readonly string[]): Promise<ChainComparison> {
  const heights = await Promise.all(bases.map((b) => latestHeight(b, 5000)));
  const chains = await Promise.all(
    bases.map(async (b, i) => {
      const h = heights[i] as bigint;
      return h >= 1n ? await headerSummaries(b, 1n, h) : [];
    }),
  );
  const byHeight = chains.map((c) => new Map(c.map((s) => [s.height, s])));
  let max = 0n;
  for (const h of heights) if (h > max) max = h;
  const forks: ChainComparison["forks"] = [];
  let compared = 0;
  for (let h = 1n; h <= max; h++) {
    const here = byHeight.map((m) => m.get(h) ?? null);
    const present = here.filter((s): s is HeaderSummary => s !== null);
    if (present.length < 2) continue;
    compared++;
    const first = present[0] as HeaderSummary;
    if (present.some((s) => s.hash !== first.hash || s.appHash !== first.appHash)) {
      forks.push({ height: h, hashes: here.map((s) => (s === null ? null : s.hash)) });
    }
  }
  return { heights, compared, forks };
}

export interface VerifiedCommit {
  readonly height: bigint;
  readonly header: Header;
  readonly commit: Commit;
  /** Upper-case hex block hash. */
  readonly hash: string;
  /** Voting power of the signatures for the block. */
  readonly talliedPower: bigint;
  readonly validators: ValidatorSet;
}

/**
 * `/commit?height=h` checked as an independent light client would: the header hashes to the
 * commit's block id, the header's validators hash is `/validators?height=h`'s, and the commit
 * verifies with @qos/consensus `verifyCommit` against that set. Throws on any mismatch.
 */
export async function verifyCommitAt(
  base: string,
  chainId: string,
  height: bigint,
): Promise<VerifiedCommit> {
  const c = await rpcCall<{ signed_header: unknown }>(base, "commit", { height: String(height) });
  const sh = signedHeaderFromJson(c.signed_header);
  if (!sh.ok) throw sh.error;
  const { header, commit } = sh.value;
  if (header === undefined || commit === undefined)
    throw new Error(`${base} /commit ${height}: no header or commit`);
  if (header.height !== height || commit.height !== height)
    throw new Error(`${base} /commit ${height}: served height ${header.height}/${commit.height}`);
  if (header.chainId !== chainId)
    throw new Error(`${base} /commit ${height}: chain id ${header.chainId}`);
  const hash = headerHash(header);
  const committed = commit.blockId?.hash ?? new Uint8Array();
  if (hash === null || !equalBytes(hash, committed))
    throw new Error(`${base} /commit ${height}: the header does not hash to the commit's block id`);
  const { set } = await validatorSetAt(base, height);
  if (!equalBytes(set.hash(), header.validatorsHash))
    throw new Error(`${base} /commit ${height}: /validators does not match validators_hash`);
  const verdict = verifyCommit(chainId, set, commit.blockId, height, commit);
  if (!verdict.ok)
    throw new Error(`${base} /commit ${height} does not verify: ${verdict.error.message}`);
  return {
    height,
    header,
    commit,
    hash: toHex(hash),
    talliedPower: verdict.value.talliedPower,
    validators: set,
  };
}

/** broadcast_tx_sync of a kvstore tx; throws unless CheckTx accepted it. Returns the hex hash. */
export async function broadcastTx(base: string, text: string): Promise<string> {
  const r = await rpcCall<{ code: number; hash: string; log: string }>(base, "broadcast_tx_sync", {
    tx: txBase64(text),
  });
  if (r.code !== 0) throw new Error(`tx ${text} refused by ${base}: ${r.code} ${r.log}`);
  return r.hash;
}

// ---- Genesis app_state (the QOS-app e2e tests; usable by any e2e test) --------------------

/** Replaces `app_state` in a home's config/genesis.json (the node must not be running). */
export function setGenesisAppState(home: string, appState: unknown): void {
  const path = nodePaths(home).genesis;
  const doc = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  doc.app_state = appState;
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
}
