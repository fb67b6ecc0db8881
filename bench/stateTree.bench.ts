// The state tree (IAVL format, @qos/store multi-store) on a large store: committed random
// updates/s in blocks, proof generations/s, verifications/s, bytes on disk per key; the same
// workload on @ethereumjs/trie (in-memory) and the machine's raw sha256 rate beside them.
// Run: npx vitest bench --run --config vitest.bench.config.ts bench/stateTree.bench.ts
// Knobs: BENCH_TREE_KEYS (1,000,000), BENCH_TREE_BLOCKS (5), BENCH_TREE_BLOCK (10,000),
// BENCH_TREE_PROOFS (20,000), BENCH_TREE_VERIFY (5,000).

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { iavlSpec as confioIavlSpec, verifyMembership as confioVerify, ics23 } from "@confio/ics23";
import { Trie } from "@ethereumjs/trie";
import { iavlSpec, sha256, verifyMembership } from "@qos/crypto";
import { openMultiStore, openNodeDb } from "@qos/store";
import { afterAll, bench, describe } from "vitest";
import { saveBenchSection } from "./benchResults.ts";

function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const KEYS = envNumber("BENCH_TREE_KEYS", 1_000_000);
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
const rows: string[][] = [];
const notes: string[] = [];

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

    // --- @qos/store multi-store ---
    const db = openNodeDb({ path: join(dir, "data") });
    const ms = openMultiStore({ db, storeNames: ["bench"], cacheSize: 500_000 });
    const w = ms.working("bench");
    t = performance.now();
    for (let i = 0; i < KEYS; i += LOAD_CHUNK) {
      for (let j = i; j < Math.min(KEYS, i + LOAD_CHUNK); j++)
        w.set(keys[j] as Uint8Array, values(64));
      db.writeBlock((batch) => ms.commit(batch));
    }
    const loadSec = (performance.now() - t) / 1000;
    log(`loaded ${fmt(KEYS)} keys in ${loadSec.toFixed(1)} s`);

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
        KEYS
      );
    };
    t = performance.now();
    for (let i = 0; i < KEYS; i += LOAD_CHUNK) {
      const ops = [];
      for (let j = i; j < Math.min(KEYS, i + LOAD_CHUNK); j++) {
        ops.push({ type: "put" as const, key: keys[j] as Uint8Array, value: eValues(64) });
      }
      await trie.batch(ops);
      trie.root();
    }
    const eLoadSec = (performance.now() - t) / 1000;
    const eTimes: number[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const start = performance.now();
      for (let i = 0; i < BLOCK; i++) await trie.put(keys[eIndex()] as Uint8Array, eValues(64));
      trie.root();
      eTimes.push(performance.now() - start);
    }
    const eUpdatesPerSec = (BLOCKS * BLOCK) / (eTimes.reduce((a, b) => a + b, 0) / 1000);
    t = performance.now();
    for (const key of proofKeys) await trie.createProof(key);
    const eProvesPerSec = PROOFS / ((performance.now() - t) / 1000);

    rows.push(
      [
        "committed random updates/s (blocks of " + fmt(BLOCK) + ", writeBlock each)",
        fmt(updatesPerSec),
        fmt(eUpdatesPerSec),
        (updatesPerSec / eUpdatesPerSec).toFixed(2),
      ],
      [
        "initial load keys/s (commits of " + fmt(LOAD_CHUNK) + ")",
        fmt(KEYS / loadSec),
        fmt(KEYS / eLoadSec),
        (eLoadSec / loadSec).toFixed(2),
      ],
      [
        "proof generations/s (ics23:iavl + ics23:simple / createProof)",
        fmt(provesPerSec),
        fmt(eProvesPerSec),
        (provesPerSec / eProvesPerSec).toFixed(2),
      ],
      ["proof verifications/s, @qos/crypto verifier", fmt(ourVerifyPerSec), "", ""],
      ["proof verifications/s, @confio/ics23 0.6.8", fmt(confioVerifyPerSec), "", ""],
      ["bytes on disk per live key (data.mdb / keys)", fmt(dataBytes / KEYS), "in memory", ""],
      ["raw limit: sha256 of 64 bytes /s (@qos/crypto, one core)", fmt(shaPerSec), "", ""],
    );
    notes.push(
      `${fmt(KEYS)} keys (21-byte keys, 64-byte values), ${BLOCKS} blocks of ${fmt(BLOCK)} random updates; ` +
        `block times ${blockTimes.map((x) => x.toFixed(0)).join(", ")} ms (ours), ${eTimes.map((x) => x.toFixed(0)).join(", ")} ms (ethereumjs, no disk).`,
      `Our updates include hashing, LMDB node writes and one synced commit per block; ethereumjs keeps everything in a Map.`,
      `Machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}.`,
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
  const header = ["figure", "@qos/store tree", "@ethereumjs/trie", "ratio"];
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
