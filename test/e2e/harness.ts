// End-to-end harness: real `qos` processes on loopback, built from packages/cli/dist
// (npm test builds first). Helpers to init homes, start/kill nodes and wait on RPC.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type ValidatorSet, validatorFromProto, validatorSetFromValidators } from "@qos/consensus";
import { configPaths, type HomePaths, loadConfig } from "@qos/node";
import {
  decodeLastSignState,
  type LastSignStateValue,
  scanWalSegment,
  WAL_DEFAULTS,
} from "@qos/store";
import {
  decodeWireMessage,
  validatorFromJson,
  type WALMessage,
  WALMessageSchema,
} from "@qos/types";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import WebSocket from "ws";

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
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
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
    ]);
    // A free loopback p2p port too, so parallel nodes never compete for 26656. Written into
    // config.toml: the CLI's override flags do not take a section name with a digit (p2p).
    setConfigValue(dir.path, "p2p", "laddr", `tcp://127.0.0.1:${await freePort()}`);
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
