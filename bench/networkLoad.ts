// Load generator for several nodes at once: closed-loop clients spread over the nodes send
// unique kvstore txs with broadcast_tx_sync; commit times come from websocket Tx events (one
// subscription per client, filtered on its keys), block times from one NewBlock subscription.

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { WebSocket } from "ws";
import { percentile } from "./benchStats.ts";
import { createKeepAliveRpc, type KeepAliveRpc, subscribeNewBlocks } from "./loadGenerator.ts";

export interface NetworkLoadOptions {
  /** RPC base URLs; client c sends to rpcs[c % rpcs.length] (and hears its Tx events there). */
  readonly rpcs: readonly string[];
  /** The node whose NewBlock events time the blocks (default rpcs[0]). */
  readonly blocksFrom?: string;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Makes keys unique across runs against one chain. */
  readonly tag: string;
  /** Called when the measuring window opens and closes (metric and CPU snapshots). */
  readonly onWindow?: (edge: "start" | "end") => void;
  /** Pause of one client after a refused tx (mempool full), so refusals do not spin. */
  readonly rejectBackoffMs?: number;
}

export interface NetworkLoadResult {
  readonly connections: number;
  readonly nodes: number;
  readonly txBytes: number;
  /** First to last NewBlock of the window. */
  readonly windowS: number;
  /** broadcast_tx_sync calls answered per second in the window (accepted + refused). */
  readonly offeredPerS: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly committedPerS: number;
  /** Txs in the blocks of the window (after the first one). */
  readonly committedInWindow: number;
  readonly blocks: number;
  readonly blocksPerMin: number;
  readonly txsPerBlock: number;
  readonly maxTxsPerBlock: number;
  /** Broadcast sent → the Tx event at the node it was sent to, for Tx events in the window. */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly latencySamples: number;
  /** Txs committed from the start of the load to the end of the window. */
  readonly committedTotal: number;
  /** Tx subscriptions the node cancelled (slow client); their txs have no latency sample. */
  readonly cancelledSubscriptions: number;
}

interface TxEventMessage {
  readonly result?: {
    readonly data?: { readonly value?: { readonly TxResult?: { readonly tx?: string } } };
  };
  readonly error?: { readonly message: string; readonly data?: string };
}

/** A websocket subscribed to `query`; `onTx` gets each Tx event's base64 tx and arrival time. */
async function subscribeTxs(
  rpc: string,
  query: string,
  onTx: (b64: string, at: number) => void,
  onCancel: () => void,
): Promise<{ close(): void }> {
  const ws = new WebSocket(`${rpc.replace(/^http/, "ws")}/websocket`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let subscribed = false;
  await new Promise<void>((resolve, reject) => {
    ws.on("message", (raw: Buffer) => {
      const at = performance.now();
      const msg = JSON.parse(raw.toString("utf8")) as TxEventMessage;
      if (msg.error !== undefined) {
        if (!subscribed) reject(new Error(`subscribe ${query}: ${msg.error.message}`));
        else onCancel();
        return;
      }
      const tx = msg.result?.data?.value?.TxResult?.tx;
      if (tx === undefined) {
        subscribed = true;
        resolve();
        return;
      }
      onTx(tx, at);
    });
    ws.send(
      JSON.stringify({ jsonrpc: "2.0", id: "bench-tx", method: "subscribe", params: { query } }),
    );
  });
  return { close: () => ws.close() };
}

/**
 * Runs `connections` closed-loop clients over the nodes for warmup + duration and measures
 * commits: committed txs/s and blocks/min from NewBlock events, latency from Tx events.
 */
export async function runNetworkLoad(opts: NetworkLoadOptions): Promise<NetworkLoadResult> {
  const backoff = opts.rejectBackoffMs ?? 20;
  const value = "v".repeat(32);
  const txBytes = Buffer.byteLength(`${opts.tag}.c00.000000=${value}`);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const blocks: { at: number; height: number; txs: number }[] = [];
  let cancelled = 0;
  const t0 = performance.now();
  const winStart = t0 + opts.warmupMs;
  const winEnd = winStart + opts.durationMs;

  const subs: { close(): void }[] = [];
  const rpcs = new Map<string, KeepAliveRpc>();
  const close = () => {
    for (const s of subs) s.close();
    for (const r of rpcs.values()) r.close();
  };
  try {
    subs.push(
      await subscribeNewBlocks(opts.blocksFrom ?? (opts.rpcs[0] as string), (b) =>
        blocks.push({ at: b.at, height: b.height, txs: b.txs.length }),
      ),
    );
    const clientNode = (c: number) => opts.rpcs[c % opts.rpcs.length] as string;
    for (let c = 0; c < opts.connections; c++) {
      const prefix = `${opts.tag}.c${String(c).padStart(2, "0")}.`;
      subs.push(
        await subscribeTxs(
          clientNode(c),
          `tm.event='Tx' AND app.key CONTAINS '${prefix}'`,
          (b64, at) => {
            const sent = sentAt.get(b64);
            if (sent === undefined) return;
            sentAt.delete(b64);
            if (at >= winStart && at <= winEnd) latencies.push(at - sent);
          },
          () => {
            cancelled++;
          },
        ),
      );
    }
    for (const url of new Set(opts.rpcs)) {
      const perNode = Math.ceil(opts.connections / opts.rpcs.length);
      rpcs.set(url, createKeepAliveRpc(url, perNode));
    }

    let stopping = false;
    let answered = 0;
    let rejected = 0;
    const rejectedByReason: Record<string, number> = {};
    const client = async (c: number): Promise<void> => {
      const rpc = rpcs.get(clientNode(c)) as KeepAliveRpc;
      const prefix = `${opts.tag}.c${String(c).padStart(2, "0")}.`;
      for (let seq = 0; !stopping; seq++) {
        const b64 = Buffer.from(`${prefix}${String(seq).padStart(6, "0")}=${value}`).toString(
          "base64",
        );
        const body = `{"jsonrpc":"2.0","id":${seq},"method":"broadcast_tx_sync","params":{"tx":"${b64}"}}`;
        sentAt.set(b64, performance.now());
        let reason: string | null = null;
        try {
          const reply = await rpc.post(body, seq);
          if (reply.error !== undefined) reason = reply.error.data ?? reply.error.message;
          else if (reply.result?.code !== 0)
            reason = `code ${reply.result?.code}: ${reply.result?.log}`;
        } catch (e) {
          reason = `transport: ${(e as Error).message}`;
        }
        const done = performance.now();
        if (done >= winStart && done <= winEnd) {
          answered++;
          if (reason !== null) {
            rejected++;
            const key = reason.replace(/\d+/g, "N").slice(0, 80);
            rejectedByReason[key] = (rejectedByReason[key] ?? 0) + 1;
          }
        }
        if (reason !== null) {
          sentAt.delete(b64);
          await new Promise((r) => setTimeout(r, backoff));
        }
      }
    };
    const startTimer = setTimeout(() => opts.onWindow?.("start"), opts.warmupMs);
    const clients = Array.from({ length: opts.connections }, (_, c) => client(c));
    await new Promise((r) => setTimeout(r, winEnd - t0));
    opts.onWindow?.("end");
    clearTimeout(startTimer);
    stopping = true;
    await Promise.all(clients);
    // The block closing the window may still be on its way.
    const seen = blocks.length;
    const deadline = performance.now() + 5_000;
    while (blocks.length === seen && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }

    const inWindow = blocks.filter((b) => b.at >= winStart && b.at <= winEnd);
    const first = inWindow[0];
    const last = inWindow[inWindow.length - 1];
    const counted = inWindow.slice(1); // the txs of blocks after the first, over first→last
    const committed = counted.reduce((a, b) => a + b.txs, 0);
    const spanS = first !== undefined && last !== undefined ? (last.at - first.at) / 1000 : 0;
    latencies.sort((a, b) => a - b);
    return {
      connections: opts.connections,
      nodes: opts.rpcs.length,
      txBytes,
      windowS: spanS,
      offeredPerS: answered / (opts.durationMs / 1000),
      rejected,
      rejectedByReason,
      committedPerS: spanS > 0 ? committed / spanS : 0,
      committedInWindow: committed,
      blocks: counted.length,
      blocksPerMin: spanS > 0 ? (counted.length / spanS) * 60 : 0,
      txsPerBlock: counted.length > 0 ? committed / counted.length : 0,
      maxTxsPerBlock: counted.reduce((a, b) => Math.max(a, b.txs), 0),
      latencyMs: {
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        max: latencies[latencies.length - 1] ?? Number.NaN,
      },
      latencySamples: latencies.length,
      committedTotal: blocks.filter((b) => b.at <= winEnd).reduce((a, b) => a + b.txs, 0),
      cancelledSubscriptions: cancelled,
    };
  } finally {
    close();
  }
}

/** utime + stime of a process in ms from /proc (Linux, USER_HZ 100); NaN when unreadable. */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (ms) the whole machine spent busy so far, from /proc/stat (USER_HZ 100); NaN if unreadable. */
export function machineBusyMs(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const [user, nice, system, _idle, _iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10
    );
  } catch {
    return Number.NaN;
  }
}

/** Sum of `cometbft_p2p_message_send_bytes_total` per channel from a node's /metrics text. */
export function sendBytesByChannel(metricsText: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith("cometbft_p2p_message_send_bytes_total{")) continue;
    const ch = /chID="([^"]+)"/.exec(line)?.[1] ?? "?";
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(v)) out.set(ch, (out.get(ch) ?? 0) + v);
  }
  return out;
}

/** Every node's send bytes per channel, summed over the nodes. */
export async function gossipBytes(metricsUrls: readonly string[]): Promise<Map<string, number>> {
  const total = new Map<string, number>();
  await Promise.all(
    metricsUrls.map(async (url) => {
      const text = await (await fetch(url)).text();
      for (const [ch, v] of sendBytesByChannel(text)) total.set(ch, (total.get(ch) ?? 0) + v);
    }),
  );
  return total;
}
