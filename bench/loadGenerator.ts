// Load generator for a running node (or several): C clients in closed loops (broadcast_tx_sync
// of unique kvstore txs or of a given tx source, or `health`), each a keep-alive HTTP connection
// with one call at a time or a websocket with up to `pipeline` calls in flight (as tm-load-test
// drives CometBFT); commit times from a websocket NewBlock subscription.

import { createHash } from "node:crypto";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { WebSocket } from "ws";
import { percentile } from "./benchStats.ts";

/** A JSON-RPC reply as the load generator sees it. */
interface RpcReply {
  readonly result?: { readonly code?: number; readonly log?: string };
  readonly error?: { readonly message: string; readonly data?: string };
}

/** A JSON-RPC endpoint; `post` sends a request whose id is `id` and resolves with its reply. */
export interface KeepAliveRpc {
  post(body: string, id: number): Promise<RpcReply>;
  close(): void;
}

/** `connections` keep-alive sockets to one JSON-RPC endpoint; each `post` uses a free one. */
export function createKeepAliveRpc(url: string, connections: number): KeepAliveRpc {
  const u = new URL(url);
  const agent = new Agent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
  });
  return {
    post: (body) =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            host: u.hostname,
            port: u.port,
            path: "/",
            method: "POST",
            headers: {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              try {
                resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcReply);
              } catch (e) {
                reject(e);
              }
            });
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/**
 * One websocket to `url`/websocket; calls are matched to replies by id, so many can be in
 * flight (the node admits a connection's broadcasts in the order they arrive).
 */
export async function createWebSocketRpc(url: string): Promise<KeepAliveRpc> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/websocket`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const pending = new Map<number, { resolve(r: RpcReply): void; reject(e: Error): void }>();
  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  ws.on("message", (raw: Buffer) => {
    const reply = JSON.parse(raw.toString("utf8")) as RpcReply & { readonly id?: number };
    const p = pending.get(reply.id ?? -1);
    if (p === undefined) return;
    pending.delete(reply.id as number);
    p.resolve(reply);
  });
  ws.on("close", () => failAll(new Error("websocket closed")));
  ws.on("error", (e) => failAll(e));
  return {
    post: (body, id) =>
      new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        ws.send(body);
      }),
    close: () => ws.close(),
  };
}

/**
 * Txs to send instead of kvstore ones (e.g. pre-signed app txs). Client c sends `next(c)` in
 * order and resends a tx refused with "mempool is full" before its next new one, so txs that
 * must reach CheckTx in order (account sequences) keep their order when they all belong to c —
 * with calls in flight, as long as they are fewer than the txs between two of one account's.
 */
export interface TxSource {
  /** Client c's next tx in base64, or undefined when c has no more (it then stops). */
  next(client: number): string | undefined;
  /** Size of one tx in bytes (for the summary). */
  readonly txBytes: number;
}

export interface TxLoadOptions {
  /** The node's RPC base URL, e.g. http://127.0.0.1:26657 (its NewBlock events time commits). */
  readonly rpc: string;
  /** Spread the clients over these RPC URLs (client c → rpcs[c % n]); default [rpc]. */
  readonly rpcs?: readonly string[];
  /** Txs to send; default unique kvstore `tag.cc.seq=<32 v>` txs. */
  readonly txSource?: TxSource;
  readonly connections: number;
  /**
   * Over websockets, calls each connection keeps in flight (its "lanes", each a closed loop
   * over the connection's tx source); absent: keep-alive HTTP, one call at a time.
   */
  readonly pipeline?: number;
  /** Load before the measuring window opens (JIT, mempool and block size settle). */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Makes keys unique across runs against the same chain. */
  readonly tag: string;
  /** Pause of one client after a rejected tx (mempool full), so rejections do not spin. */
  readonly rejectBackoffMs?: number;
}

export interface TxLoadResult {
  readonly connections: number;
  /** Calls in flight per connection (websockets), or undefined for HTTP one at a time. */
  readonly pipeline: number | undefined;
  readonly txBytes: number;
  /** Length of the window the committed figures are over (first to last block event in it). */
  readonly windowS: number;
  /** broadcast_tx_sync calls answered per second in the window (accepted + rejected). */
  readonly offeredPerS: number;
  readonly acceptedPerS: number;
  /** broadcast_tx_sync calls answered in the window. */
  readonly answered: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly committedPerS: number;
  readonly blocks: number;
  readonly blocksPerS: number;
  readonly txsPerBlock: number;
  readonly maxTxsPerBlock: number;
  /** Broadcast (request sent) to the NewBlock event carrying the tx, over txs committed in the window. */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly latencySamples: number;
  /** Txs committed from the start of the load to the end of the window (state size for replays). */
  readonly committedTotal: number;
  /** broadcast_tx_sync round trip (request to CheckTx answer) in the window. */
  readonly broadcastRttMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /**
   * Silences: gaps of at least STALL_MS between consecutive broadcast answers in the window
   * (the node answering nothing, e.g. while it executes a block). Total and share of the window.
   */
  readonly stallMsPerBlock: number;
  readonly stallPct: number;
  /** Mean bytes of the block's txs (tx + proto framing) per block in the window. */
  readonly blockTxBytes: number;
  /** Heights of the counted blocks (after the first of the window, to the last); 0 when none. */
  readonly fromHeight: number;
  readonly toHeight: number;
  /** Clients whose tx source ran dry before the window closed (the figure is then low). */
  readonly clientsOutOfTxs: number;
  /**
   * From the header of the last block with txs to its last tx being found by `tx` (the node
   * indexes committed blocks behind consensus): how far the tx index trailed at the end of the
   * load. NaN when no block had txs or the node has no index.
   */
  readonly indexLagMs: number;
}

/** A gap between broadcast answers at least this long counts as the node being stalled. */
export const STALL_MS = 50;

interface BlockSeen {
  readonly at: number;
  readonly height: number;
  readonly txs: readonly string[];
}

interface NewBlockMessage {
  readonly result?: {
    readonly data?: {
      readonly value?: {
        readonly header?: { readonly height?: string };
        readonly block?: {
          readonly header?: { readonly height?: string };
          readonly data?: { readonly txs?: readonly string[] | null };
        };
      };
    };
  };
  readonly error?: { readonly message: string; readonly data?: string };
}

/**
 * Opens a websocket and reports each new block's height and arrival time: from
 * `tm.event='NewBlock'` events, with the block's txs, or with `headersOnly` from
 * `tm.event='NewBlockHeader'` events, with no txs (`blockTxs` fetches them later). A NewBlock
 * event carries every tx and its result with its events (megabytes for a block of thousands of
 * txs), which the node encodes on its main thread: a watcher of headers alone costs it little.
 */
export async function subscribeNewBlocks(
  rpc: string,
  onBlock: (b: BlockSeen) => void,
  headersOnly = false,
): Promise<{ close(): void }> {
  const event = headersOnly ? "NewBlockHeader" : "NewBlock";
  const ws = new WebSocket(`${rpc.replace(/^http/, "ws")}/websocket`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const subscribed = new Promise<void>((resolve, reject) => {
    ws.on("message", (raw: Buffer) => {
      const at = performance.now();
      const msg = JSON.parse(raw.toString("utf8")) as NewBlockMessage;
      if (msg.error !== undefined) {
        reject(new Error(`${event} subscription: ${msg.error.message} ${msg.error.data ?? ""}`));
        return;
      }
      const value = msg.result?.data?.value;
      const header = headersOnly ? value?.header : value?.block?.header;
      if (header === undefined) {
        resolve(); // the subscribe call's own (empty) reply
        return;
      }
      onBlock({ at, height: Number(header.height ?? 0), txs: value?.block?.data?.txs ?? [] });
    });
  });
  ws.send(
    JSON.stringify({
      jsonrpc: "2.0",
      id: "bench-newblock",
      method: "subscribe",
      params: { query: `tm.event='${event}'` },
    }),
  );
  await subscribed;
  return { close: () => ws.close() };
}

/** The txs (base64) of the block at `height`, from the node's `block` call. */
export async function blockTxs(rpc: string, height: number): Promise<readonly string[]> {
  const res = await fetch(rpc, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "block",
      params: { height: String(height) },
    }),
  });
  const reply = (await res.json()) as {
    result?: { block?: { data?: { txs?: readonly string[] | null } } };
    error?: { message: string; data?: string };
  };
  if (reply.error !== undefined)
    throw new Error(`block ${height}: ${reply.error.message} ${reply.error.data ?? ""}`);
  return reply.result?.block?.data?.txs ?? [];
}

/** See TxLoadResult.indexLagMs: polls `tx` for the last committed block's last tx. */
async function indexLag(rpc: string, headers: readonly BlockSeen[]): Promise<number> {
  for (let i = headers.length - 1; i >= 0; i--) {
    const h = headers[i] as BlockSeen;
    const txs = await blockTxs(rpc, h.height);
    const last = txs[txs.length - 1];
    if (last === undefined) continue;
    const hash = createHash("sha256").update(Buffer.from(last, "base64")).digest("base64");
    const deadline = performance.now() + 120_000;
    while (performance.now() < deadline) {
      const res = await fetch(rpc, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tx", params: { hash } }),
      });
      const reply = (await res.json()) as { result?: unknown; error?: { data?: string } };
      if (reply.result !== undefined) return performance.now() - h.at;
      if (reply.error?.data?.includes("indexing is disabled") === true) return Number.NaN;
      await new Promise((r) => setTimeout(r, 20));
    }
    return Number.NaN;
  }
  return Number.NaN;
}

/**
 * Runs `connections` closed-loop clients sending unique `key=value` txs with
 * broadcast_tx_sync for warmup + duration, and measures commits from NewBlock events.
 */
export async function runTxLoad(opts: TxLoadOptions): Promise<TxLoadResult> {
  const backoff = opts.rejectBackoffMs ?? 20;
  const sentAt = new Map<string, number>(); // base64 tx -> performance.now() at send
  const headers: BlockSeen[] = [];
  // Headers only while the load runs (see subscribeNewBlocks); the txs are fetched after it.
  const sub = await subscribeNewBlocks(opts.rpc, (b) => headers.push(b), true);
  const urls = opts.rpcs ?? [opts.rpc];
  const lanes = opts.pipeline ?? 1;
  const rpcs =
    opts.pipeline === undefined
      ? urls.map((u) => createKeepAliveRpc(u, Math.ceil(opts.connections / urls.length)))
      : await Promise.all(
          Array.from({ length: opts.connections }, (_, c) =>
            createWebSocketRpc(urls[c % urls.length] as string),
          ),
        );
  const value = "v".repeat(32);
  const source = opts.txSource;
  const txBytes = source?.txBytes ?? Buffer.byteLength(`${opts.tag}.00.000000=${value}`);
  let clientsOutOfTxs = 0;

  const t0 = performance.now();
  const winStart = t0 + opts.warmupMs;
  const winEnd = winStart + opts.durationMs;
  let stopping = false;
  let answered = 0;
  let accepted = 0;
  let rejected = 0;
  const rejectedByReason: Record<string, number> = {};
  const rtts: number[] = [];
  const commitLatency = new Map<string, number>(); // filled when the block arrives
  const answerTimes: number[] = [];

  let nextId = 0;
  const retries: string[][] = Array.from({ length: opts.connections }, () => []);
  const client = async (c: number, lane: number): Promise<void> => {
    let seq = 0;
    const prefix = `${opts.tag}.${String(c).padStart(2, "0")}.${lane}.`;
    const rpc = rpcs[c % rpcs.length] as KeepAliveRpc;
    while (!stopping) {
      let b64: string;
      if (source === undefined) {
        b64 = Buffer.from(`${prefix}${String(seq).padStart(6, "0")}=${value}`).toString("base64");
      } else {
        const next = retries[c]?.shift() ?? source.next(c);
        if (next === undefined) {
          if (performance.now() < winEnd) clientsOutOfTxs++;
          return;
        }
        b64 = next;
      }
      seq++;
      const id = ++nextId;
      const body = `{"jsonrpc":"2.0","id":${id},"method":"broadcast_tx_sync","params":{"tx":"${b64}"}}`;
      const sent = performance.now();
      sentAt.set(b64, sent);
      let reason: string | null = null;
      try {
        const reply = await rpc.post(body, id);
        if (reply.error !== undefined) reason = reply.error.data ?? reply.error.message;
        else if (reply.result?.code !== 0)
          reason = `code ${reply.result?.code}: ${reply.result?.log}`;
      } catch (e) {
        reason = `transport: ${(e as Error).message}`;
      }
      const done = performance.now();
      if (done >= winStart && done <= winEnd) {
        answered++;
        answerTimes.push(done);
        rtts.push(done - sent);
        if (reason === null) accepted++;
        else {
          rejected++;
          const key = reason.replace(/\d+/g, "N").slice(0, 80);
          rejectedByReason[key] = (rejectedByReason[key] ?? 0) + 1;
        }
      }
      if (reason !== null) {
        sentAt.delete(b64);
        // The client's refused txs go out again before its new ones, in the order their refusals
        // came (the mempool refuses a connection's broadcasts in arrival order), so an account's
        // txs keep their order.
        if (source !== undefined && reason.includes("mempool is full")) retries[c]?.push(b64);
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
  };

  const clients = Array.from({ length: opts.connections * lanes }, (_, i) =>
    client(i % opts.connections, Math.floor(i / opts.connections)),
  );
  await new Promise((r) => setTimeout(r, winEnd - t0));
  stopping = true;
  await Promise.all(clients);
  // The block that closes the window may still be in flight: wait for one more event.
  const lastCount = headers.length;
  const deadline = performance.now() + 5_000;
  while (headers.length === lastCount && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  sub.close();
  for (const r of rpcs) r.close();
  const indexLagMs = await indexLag(opts.rpc, headers);
  const blocks: BlockSeen[] = [];
  for (const h of headers) blocks.push({ ...h, txs: await blockTxs(opts.rpc, h.height) });

  for (const b of blocks) {
    for (const tx of b.txs) {
      const s = sentAt.get(tx);
      if (s !== undefined) commitLatency.set(tx, b.at - s);
    }
  }
  let committedTotal = 0;
  for (const b of blocks) if (b.at <= winEnd) committedTotal += b.txs.length;

  const inWindow = blocks.filter((b) => b.at >= winStart && b.at <= winEnd);
  const first = inWindow[0];
  const last = inWindow[inWindow.length - 1];
  const counted = inWindow.slice(1); // blocks after the first one: (first, last]
  const spanS = first !== undefined && last !== undefined ? (last.at - first.at) / 1000 : 0;
  let committed = 0;
  let maxTxs = 0;
  let txByteSum = 0;
  const latencies: number[] = [];
  for (const b of counted) {
    committed += b.txs.length;
    maxTxs = Math.max(maxTxs, b.txs.length);
    for (const tx of b.txs) {
      const l = commitLatency.get(tx);
      if (l !== undefined) latencies.push(l);
      const n = Buffer.byteLength(tx, "base64");
      txByteSum += 1 + (n < 128 ? 1 : 2) + n;
    }
  }
  latencies.sort((a, b) => a - b);
  rtts.sort((a, b) => a - b);
  answerTimes.sort((a, b) => a - b);
  let stallMs = 0;
  let prev = winStart;
  for (const t of [...answerTimes, winEnd]) {
    if (t - prev >= STALL_MS) stallMs += t - prev;
    prev = t;
  }
  const windowS = opts.durationMs / 1000;
  return {
    connections: opts.connections,
    pipeline: opts.pipeline,
    txBytes,
    windowS: spanS,
    offeredPerS: answered / windowS,
    acceptedPerS: accepted / windowS,
    answered,
    rejected,
    rejectedByReason,
    committedPerS: spanS > 0 ? committed / spanS : 0,
    blocks: counted.length,
    blocksPerS: spanS > 0 ? counted.length / spanS : 0,
    txsPerBlock: counted.length > 0 ? committed / counted.length : 0,
    maxTxsPerBlock: maxTxs,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? Number.NaN,
    },
    latencySamples: latencies.length,
    committedTotal,
    indexLagMs,
    broadcastRttMs: {
      p50: percentile(rtts, 0.5),
      p99: percentile(rtts, 0.99),
      max: rtts[rtts.length - 1] ?? Number.NaN,
    },
    blockTxBytes: counted.length > 0 ? txByteSum / counted.length : 0,
    stallMsPerBlock: counted.length > 0 ? stallMs / counted.length : Number.NaN,
    stallPct: (100 * stallMs) / opts.durationMs,
    fromHeight: counted[0]?.height ?? 0,
    toHeight: last?.height ?? 0,
    clientsOutOfTxs,
  };
}

export interface HealthLoadResult {
  readonly connections: number;
  readonly perS: number;
  readonly rttMs: { readonly p50: number; readonly p99: number };
  readonly errors: number;
}

/** The RPC transport alone: `connections` closed-loop clients calling `health` for durationMs. */
export async function runHealthLoad(
  rpcUrl: string,
  connections: number,
  durationMs: number,
  warmupMs = 500,
): Promise<HealthLoadResult> {
  const rpc = createKeepAliveRpc(rpcUrl, connections);
  const body = `{"jsonrpc":"2.0","id":1,"method":"health","params":{}}`;
  const t0 = performance.now();
  const winStart = t0 + warmupMs;
  const winEnd = winStart + durationMs;
  let stopping = false;
  let count = 0;
  let errors = 0;
  const rtts: number[] = [];
  const client = async (): Promise<void> => {
    while (!stopping) {
      const sent = performance.now();
      let ok = true;
      try {
        ok = (await rpc.post(body, 1)).error === undefined;
      } catch {
        ok = false;
      }
      const done = performance.now();
      if (done >= winStart && done <= winEnd) {
        count++;
        rtts.push(done - sent);
        if (!ok) errors++;
      }
    }
  };
  const clients = Array.from({ length: connections }, () => client());
  await new Promise((r) => setTimeout(r, winEnd - t0));
  stopping = true;
  await Promise.all(clients);
  rpc.close();
  rtts.sort((a, b) => a - b);
  return {
    connections,
    perS: count / (durationMs / 1000),
    rttMs: { p50: percentile(rtts, 0.5), p99: percentile(rtts, 0.99) },
    errors,
  };
}
