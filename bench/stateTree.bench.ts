// The state tree (IAVL format, @qos/store multi-store) on a large store: committed random
// updates/s in blocks, proof generations/s, verifications/s, bytes on disk per key, the issue's
// goals, a CPU profile of the update and proof paths; @ethereumjs/trie (in-memory) and the
// machine's raw sha256 rate beside them.
// Run: npx vitest bench --run --config vitest.bench.config.ts bench/stateTree.bench.ts
// Knobs: BENCH_TREE_KEYS (1,000,000), BENCH_TREE_ETH_KEYS (100,000), BENCH_TREE_BLOCKS (5),
// BENCH_TREE_BLOCK (10,000), BENCH_TREE_PROOFS (20,000), BENCH_TREE_VERIFY (5,000),
// BENCH_TREE_CACHE (500,000 nodes), BENCH_TREE_PROFILE (1; 0 skips the profile).

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { iavlSpec as confioIavlSpec, verifyMembership as confioVerify, ics23 } from "@confio/ics23";
import { Trie } from "@ethereumjs/trie";
import { iavlSpec, sha256, sha256Into, verifyMembership } from "@qos/crypto";
import { openMultiStore, openNodeDb } from "@qos/store";
import { afterAll, bench, describe } from "vitest";
import { saveBenchSection } from "./benchResults.ts";
import { type CpuProfile, summarizeCpuProfile } from "./cpuProfile.ts";

function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const KEYS = envNumber("BENCH_TREE_KEYS", 1_000_000);
/**
 * @ethereumjs/trie builds its own trie at this size (batch of puts, the fastest its API allows).
 * At 1,000,000 keys its batch load alone ran over 14 minutes here, so the default is smaller;
 * its put rate hardly changed between 100,000 and 300,000 keys (bench/README.md).
 */
const ETH_KEYS = Math.min(envNumber("BENCH_TREE_ETH_KEYS", 100_000), KEYS);
const CACHE = envNumber("BENCH_TREE_CACHE", 500_000);
const PROFILE = process.env.BENCH_TREE_PROFILE !== "0";
const BLOCKS = envNumber("BENCH_TREE_BLOCKS", 5);
const BLOCK = envNumber("BENCH_TREE_BLOCK", 10_000);
const PROOFS = envNumber("BENCH_TREE_PROOFS", 20_000);
const VERIFY = envNumber("BENCH_TREE_VERIFY", 5_000);
const LOAD_CHUNK = 100_000;
const ONCE = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };

const log = (line: string) => process.stderr.write(`[stateTree] ${line}\n`);

/** A fast deterministic byte source (xorshift), so both trees get identical data. */
function bytesSource(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = s & 0xff;
    }
    return out;
  };
}

/** Cosmos-like keys: a 1-byte prefix and a 20-byte address; 64-byte values. */
function makeKeys(n: number): Uint8Array[] {
  const next = bytesSource(0x5eed);
  const keys: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = next(21);
    k[0] = 0x01;
    keys[i] = k;
  }
  return keys;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const GOALS = { updates: 50_000, proofs: 20_000, ratio: 10 };
const rows: string[][] = [];
const notes: string[] = [];
const profiles: string[] = [];

/** A V8 CPU profile (the sampler of node --cpu-prof, 200 µs) of `fn`, taken in-process. */
async function profile(fn: () => void): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  fn();
  const { profile: p } = await session.post("Profiler.stop");
  await session.post("Profiler.disable");
  session.disconnect();
  return p as unknown as CpuProfile;
}

/** Top self-time functions; the profiler's own start/stop (node:inspector) is left out. */
function profileTable(title: string, p: CpuProfile): string {
  const s = summarizeCpuProfile(p, process.cwd(), 14);
  const own = (fn: string) => fn.includes("node:inspector");
  const busy = s.totalMs - s.idleMs - s.top.filter((e) => own(e.fn)).reduce((a, e) => a + e.ms, 0);
  const lines = s.top
    .filter((e) => !own(e.fn))
    .slice(0, 12)
    .map((e) => `  ${((100 * e.ms) / busy).toFixed(1).padStart(5)}%  ${e.fn}`);
  return `Profile, ${title}: top self time (% of ${fmt(busy)} ms busy)\n${lines.join("\n")}`;
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "qos-tree-bench-"));
  try {
    const keys = makeKeys(KEYS);
    const values = bytesSource(0xbeef);
    const pick = bytesSource(0xf00d);
    const randomIndex = () => {
      const b = pick(4);
      return (
        ((b[0] as number) * 0x1000000 +
          ((b[1] as number) << 16) +
          ((b[2] as number) << 8) +
          (b[3] as number)) %
        KEYS
      );
    };

    // raw limit: sha256 of 64-byte inputs (what a tree node hash costs at least)
    const input = values(64);
    const H = 1_000_000;
    let t = performance.now();
    for (let i = 0; i < H; i++) sha256(input);
    const shaPerSec = H / ((performance.now() - t) / 1000);
    const digest = new Uint8Array(32);
    t = performance.now();
    for (let i = 0; i < H; i++) sha256Into(digest, input);
    const shaIntoPerSec = H / ((performance.now() - t) / 1000);

    // --- @qos/store multi-store ---
    const db = openNodeDb({ path: join(dir, "data") });
    const ms = openMultiStore({ db, storeNames: ["bench"], cacheSize: CACHE });
    const w = ms.working("bench");
    t = performance.now();
    for (let i = 0; i < KEYS; i += LOAD_CHUNK) {
      for (let j = i; j < Math.min(KEYS, i + LOAD_CHUNK); j++)
        w.set(keys[j] as Uint8Array, values(64));
      db.writeBlock((batch) => ms.commit(batch));
    }
    const loadSec = (performance.now() - t) / 1000;
    log(`loaded ${fmt(KEYS)} keys in ${loadSec.toFixed(1)} s`);

    const block = () => {
      for (let i = 0; i < BLOCK; i++) w.set(keys[randomIndex()] as Uint8Array, values(64));
      db.writeBlock((batch) => ms.commit(batch));
    };
    block(); // warm-up, not timed
    const blockTimes: number[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const start = performance.now();
      for (let i = 0; i < BLOCK; i++) w.set(keys[randomIndex()] as Uint8Array, values(64));
      db.writeBlock((batch) => ms.commit(batch));
      blockTimes.push(performance.now() - start);
    }
    const updatesPerSec = (BLOCKS * BLOCK) / (blockTimes.reduce((a, b) => a + b, 0) / 1000);
    const dataBytes = statSync(join(dir, "data", "data.mdb")).size;

    const view = ms.at();
    const root = view.storeRoots.get("bench") as Uint8Array;
    const proofKeys = Array.from({ length: PROOFS }, () => keys[randomIndex()] as Uint8Array);
    const proofs: { key: Uint8Array; value: Uint8Array; bytes: Uint8Array }[] = [];
    t = performance.now();
    for (const key of proofKeys) {
      const r = view.prove("bench", key);
      proofs.push({ key, value: r.value as Uint8Array, bytes: r.proofOps[0]?.data as Uint8Array });
    }
    const provesPerSec = PROOFS / ((performance.now() - t) / 1000);

    const sample = proofs.slice(0, VERIFY);
    t = performance.now();
    for (const p of sample) {
      if (!verifyMembership(iavlSpec, root, p.bytes, p.key, p.value).ok)
        throw new Error("rejected");
    }
    const ourVerifyPerSec = sample.length / ((performance.now() - t) / 1000);
    t = performance.now();
    for (const p of sample) {
      const decoded = ics23.CommitmentProof.decode(p.bytes);
      if (!confioVerify(decoded, confioIavlSpec, root, p.key, p.value)) throw new Error("rejected");
    }
    const confioVerifyPerSec = sample.length / ((performance.now() - t) / 1000);
    if (PROFILE) {
      // after the timed runs (the sampler costs time): two more blocks, then proofs
      const updateProfile = await profile(() => {
        block();
        block();
      });
      const proveView = ms.at();
      const proofProfile = await profile(() => {
        for (let i = 0; i < Math.min(PROOFS, 10_000); i++)
          proveView.prove("bench", keys[randomIndex()] as Uint8Array);
      });
      profiles.push(
        profileTable("update + commit (2 blocks)", updateProfile),
        profileTable("proof generation", proofProfile),
      );
    }
    ms.close();
    await db.close();

    // --- @ethereumjs/trie, same keys and workload, default in-memory DB ---
    const trie = await Trie.create();
    const eValues = bytesSource(0xbeef);
    const ePick = bytesSource(0xf00d);
    const eIndex = () => {
      const b = ePick(4);
      return (
        ((b[0] as number) * 0x1000000 +
          ((b[1] as number) << 16) +
          ((b[2] as number) << 8) +
          (b[3] as number)) %
        ETH_KEYS
      );
    };
    t = performance.now();
    for (let i = 0; i < ETH_KEYS; i += LOAD_CHUNK) {
      const ops = [];
      for (let j = i; j < Math.min(ETH_KEYS, i + LOAD_CHUNK); j++) {
        ops.push({ type: "put" as const, key: keys[j] as Uint8Array, value: eValues(64) });
      }
      await trie.batch(ops);
      trie.root();
    }
    const eLoadSec = (performance.now() - t) / 1000;
    log(`ethereumjs: loaded ${fmt(ETH_KEYS)} keys in ${eLoadSec.toFixed(1)} s`);
    const eTimes: number[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const start = performance.now();
      for (let i = 0; i < BLOCK; i++) await trie.put(keys[eIndex()] as Uint8Array, eValues(64));
      trie.root();
      eTimes.push(performance.now() - start);
    }
    const eUpdatesPerSec = (BLOCKS * BLOCK) / (eTimes.reduce((a, b) => a + b, 0) / 1000);
    const eProofKeys = Array.from(
      { length: Math.min(PROOFS, 5_000) },
      () => keys[eIndex()] as Uint8Array,
    );
    t = performance.now();
    for (const key of eProofKeys) await trie.createProof(key);
    const eProvesPerSec = eProofKeys.length / ((performance.now() - t) / 1000);

    const ratio = updatesPerSec / eUpdatesPerSec;
    const met = (ok: boolean) => (ok ? "met" : "NOT met");
    rows.push(
      [
        `committed random updates/s (blocks of ${fmt(BLOCK)}, writeBlock each)`,
        fmt(updatesPerSec),
        fmt(eUpdatesPerSec),
        ratio.toFixed(1),
        `>= ${fmt(GOALS.updates)}/s: ${met(updatesPerSec >= GOALS.updates)}; ratio >= ${GOALS.ratio}: ${met(ratio >= GOALS.ratio)}`,
      ],
      [
        `initial load keys/s (commits of ${fmt(LOAD_CHUNK)})`,
        fmt(KEYS / loadSec),
        fmt(ETH_KEYS / eLoadSec),
        (KEYS / loadSec / (ETH_KEYS / eLoadSec)).toFixed(1),
        "",
      ],
      [
        "proof generations/s (ics23:iavl + ics23:simple / createProof)",
        fmt(provesPerSec),
        fmt(eProvesPerSec),
        (provesPerSec / eProvesPerSec).toFixed(1),
        `>= ${fmt(GOALS.proofs)}/s: ${met(provesPerSec >= GOALS.proofs)}`,
      ],
      ["proof verifications/s, @qos/crypto verifier", fmt(ourVerifyPerSec), "", "", ""],
      ["proof verifications/s, @confio/ics23 0.6.8", fmt(confioVerifyPerSec), "", "", ""],
      ["bytes on disk per live key (data.mdb / keys)", fmt(dataBytes / KEYS), "in memory", "", ""],
      ["raw: sha256 of 64 bytes/s, new array each (one core)", fmt(shaPerSec), "", "", ""],
      ["raw: sha256Into of 64 bytes/s, reused output", fmt(shaIntoPerSec), "", "", ""],
    );
    notes.push(
      `Ours: ${fmt(KEYS)} keys (21-byte keys, 64-byte values), node cache ${fmt(CACHE)}; ethereumjs: its own trie of ${fmt(ETH_KEYS)} of the same keys (batch of puts; BENCH_TREE_ETH_KEYS). ` +
        `${BLOCKS} blocks of ${fmt(BLOCK)} random updates after one untimed block; block times ${blockTimes.map((x) => x.toFixed(0)).join(", ")} ms (ours), ${eTimes.map((x) => x.toFixed(0)).join(", ")} ms (ethereumjs, no disk).`,
      "Our updates include hashing, LMDB node writes and one synced commit per block; ethereumjs keeps everything in a Map.",
      `Machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}; load average at the end ${loadavg()[0]?.toFixed(2)}.`,
      ...profiles,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("state tree: IAVL multi-store vs @ethereumjs/trie (figures in the summary)", () => {
  let ran = false;
  bench(
    `${KEYS.toLocaleString("en-US")} keys: updates, proofs, verifications, disk`,
    async () => {
      if (ran) return;
      ran = true;
      await run();
    },
    ONCE,
  );
});

afterAll(() => {
  if (rows.length === 0) return;
  const header = ["figure", "@qos/store tree", "@ethereumjs/trie", "ratio", "goal"];
  const title = "State tree (IAVL format, LMDB) beside @ethereumjs/trie and raw sha256";
  if (!saveBenchSection({ file: import.meta.filename, title, header, rows, notes })) {
    const widths = header.map((h, i) =>
      Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)),
    );
    const line = (r: readonly string[]) =>
      r.map((c, i) => c.padEnd(widths[i] as number)).join(" | ");
    process.stdout.write(
      `\n${title}\n\n${line(header)}\n${rows.map(line).join("\n")}\n${notes.join("\n")}\n`,
    );
  }
});
