// Watches a set of nodes over RPC while a test runs: every height's block hash on every node
// (two different blocks at one height is a fork), each node's height, and the longest time
// the chain's highest height stood still.

import { performance } from "node:perf_hooks";
import { rpcCall, sleep } from "./harness.ts";

export interface ForkEvidence {
  readonly height: bigint;
  readonly first: { readonly node: number; readonly hash: string };
  readonly other: { readonly node: number; readonly hash: string };
}

export interface HeightSample {
  /** ms since the watch started. */
  readonly atMs: number;
  readonly height: bigint;
}

/** A stretch in which the highest height did not move. */
export interface Stall {
  readonly fromMs: number;
  readonly toMs: number;
  readonly height: bigint;
}

export interface ChainWatchOptions {
  readonly rpcs: readonly string[];
  /** Whether node i is worth asking now (e.g. its process runs); default always. */
  readonly isUp?: (i: number) => boolean;
  /** Pause between polls (default 250 ms). */
  readonly intervalMs?: number;
  /** Stalls longer than this are kept in `stalls()` (default 5 s). */
  readonly reportStallsOverMs?: number;
}

export interface ChainWatch {
  /** The latest height each node reported (0n before its first answer). */
  heights(): bigint[];
  maxHeight(): bigint;
  /** Heights 1..scanned(i) of node i have had their hashes compared. */
  scanned(i: number): bigint;
  /** The block hash first seen at `height`. */
  hashAt(height: bigint): string | undefined;
  forks(): readonly ForkEvidence[];
  /** Node i's height over time (one sample per poll that reached it). */
  samples(i: number): readonly HeightSample[];
  /** The longest time (ms) the highest height stood still, including the current stretch (up to stop()). */
  maxStallMs(): number;
  stalls(): readonly Stall[];
  /** ms since the watch started. */
  elapsedMs(): number;
  /** Polls every node once more (and waits for it). */
  pollNow(): Promise<void>;
  stop(): Promise<void>;
}

/** The largest of some heights (0n for none). */
export function highest(heights: readonly bigint[]): bigint {
  let top = 0n;
  for (const h of heights) if (h > top) top = h;
  return top;
}

interface MetaReply {
  block_metas: { block_id: { hash: string }; header: { height: string } }[];
}

/** Starts polling at once; the first poll completes before the promise resolves. */
export async function startChainWatch(opts: ChainWatchOptions): Promise<ChainWatch> {
  const n = opts.rpcs.length;
  const isUp = opts.isUp ?? (() => true);
  const interval = opts.intervalMs ?? 250;
  const reportOver = opts.reportStallsOverMs ?? 5_000;
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const heights: bigint[] = Array.from({ length: n }, () => 0n);
  const scanned: bigint[] = Array.from({ length: n }, () => 0n);
  const samples: HeightSample[][] = Array.from({ length: n }, () => []);
  const hashes = new Map<bigint, { node: number; hash: string }>();
  const forks: ForkEvidence[] = [];
  const stalls: Stall[] = [];
  let maxHeight = 0n;
  let lastProgressMs = 0;
  let maxStall = 0;
  let stopped = false;
  /** When stop() was called: the current stretch ends there. */
  let stoppedAtMs: number | null = null;

  function progress(height: bigint, at: number): void {
    if (height <= maxHeight) return;
    const stall = at - lastProgressMs;
    if (stall > maxStall) maxStall = stall;
    if (stall > reportOver) stalls.push({ fromMs: lastProgressMs, toMs: at, height: maxHeight });
    maxHeight = height;
    lastProgressMs = at;
  }

  async function pollNode(i: number): Promise<void> {
    if (!isUp(i)) return;
    const rpc = opts.rpcs[i] as string;
    const st = await rpcCall<{ sync_info: { latest_block_height: string } }>(
      rpc,
      "status",
      {},
      2_000,
    );
    const h = BigInt(st.sync_info.latest_block_height);
    const at = now();
    heights[i] = h;
    samples[i]?.push({ atMs: at, height: h });
    progress(h, at);
    // Compare the new heights' hashes, at most 200 per poll (20 per /blockchain call).
    const target = h < (scanned[i] as bigint) + 200n ? h : (scanned[i] as bigint) + 200n;
    while ((scanned[i] as bigint) < target) {
      const lo = (scanned[i] as bigint) + 1n;
      const hi = lo + 19n < target ? lo + 19n : target;
      const r = await rpcCall<MetaReply>(
        rpc,
        "blockchain",
        { minHeight: String(lo), maxHeight: String(hi) },
        5_000,
      );
      const got = new Map(r.block_metas.map((m) => [BigInt(m.header.height), m.block_id.hash]));
      for (let height = lo; height <= hi; height++) {
        const hash = got.get(height);
        if (hash === undefined) throw new Error(`node${i} has no block meta at ${height}`);
        const first = hashes.get(height);
        if (first === undefined) hashes.set(height, { node: i, hash });
        else if (first.hash !== hash) forks.push({ height, first, other: { node: i, hash } });
      }
      scanned[i] = hi;
    }
  }

  async function pollAll(): Promise<void> {
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        pollNode(i).catch(() => undefined /* down, restarting or busy: next poll */),
      ),
    );
  }

  await pollAll();
  const loop = (async () => {
    while (!stopped) {
      await sleep(interval);
      if (!stopped) await pollAll();
    }
  })();

  return {
    heights: () => [...heights],
    maxHeight: () => maxHeight,
    scanned: (i) => scanned[i] ?? 0n,
    hashAt: (h) => hashes.get(h)?.hash,
    forks: () => forks,
    samples: (i) => samples[i] ?? [],
    maxStallMs: () => Math.max(maxStall, (stoppedAtMs ?? now()) - lastProgressMs),
    stalls: () => stalls,
    elapsedMs: now,
    pollNow: pollAll,
    async stop() {
      stoppedAtMs ??= now();
      stopped = true;
      await loop;
    },
  };
}
