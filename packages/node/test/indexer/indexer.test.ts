import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex, utf8Encode } from "@qos/types";
import fc from "fast-check";
import { open, type RootDatabase } from "lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QueryCondition } from "../../src/events/query.ts";
import { type EventMap, matchesQuery } from "../../src/events/queryMatch.ts";
import type { IndexEvent } from "../../src/indexer/eventIndex.ts";
import {
  type BlockIndexEntry,
  createIndexer,
  type Indexer,
  type TxIndexEntry,
} from "../../src/indexer/indexer.ts";
import { WORLD_KEYS, WORLD_TYPES, worldQueryArb, worldValueArb } from "../events/arbitraries.ts";

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

const eventsArb: fc.Arbitrary<IndexEvent[]> = fc.array(
  fc.record({
    type: fc.constantFrom(...WORLD_TYPES, ""),
    attributes: fc.array(
      fc.record({
        key: fc.constantFrom(...WORLD_KEYS),
        value: worldValueArb,
        index: fc.boolean(),
      }),
      { maxLength: 4 },
    ),
  }),
  { maxLength: 4 },
);

/** The event map CometBFT's indexer makes searchable for a tx: indexed attributes + height + hash. */
function indexedMap(events: readonly IndexEvent[], own: Record<string, string[]>): EventMap {
  const map: Record<string, string[]> = { ...own };
  for (const e of events) {
    if (e.type === "") continue;
    for (const a of e.attributes) {
      const composite = `${e.type}.${a.key}`;
      if (a.key === "" || a.index !== true || Object.hasOwn(own, composite)) continue;
      map[composite] ??= [];
      map[composite].push(a.value);
    }
  }
  return map;
}

const HEIGHTS = 60;
let dir: string;
let root: RootDatabase;
let indexer: Indexer;
const txs: TxIndexEntry[] = [];
const blocks: BlockIndexEntry[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "qos-indexer-"));
  root = open({ path: dir, maxDbs: 8 });
  indexer = createIndexer({}, { root });
  const perBlock = fc.sample(
    fc.tuple(fc.nat({ max: 9 }), fc.array(eventsArb, { minLength: 10, maxLength: 10 }), eventsArb),
    {
      numRuns: HEIGHTS,
      seed: 42,
    },
  );
  for (const [h, [count, eventLists, blockEvents]] of perBlock.entries()) {
    const height = BigInt(h + 1);
    const blockTxs: TxIndexEntry[] = [];
    for (let i = 0; i < count; i++) {
      const txBytes = utf8Encode(`tx-${height}-${i}`);
      blockTxs.push({
        height,
        index: i,
        hash: sha256(txBytes),
        txBytes,
        resultBytes: utf8Encode(`result-${height}-${i}`),
        events: eventLists[i] ?? [],
      });
    }
    const block = { height, events: blockEvents };
    if (h % 2 === 0) await indexer.indexFinalizedBlock(block, blockTxs);
    else {
      await indexer.indexTxs(blockTxs);
      await indexer.indexBlock(block);
    }
    txs.push(...blockTxs);
    blocks.push(block);
  }
});

afterAll(async () => {
  await root.close();
  rmSync(dir, { recursive: true, force: true });
});

function txMap(tx: TxIndexEntry): EventMap {
  return indexedMap(tx.events, {
    "tx.height": [tx.height.toString()],
    "tx.hash": [toHex(tx.hash)],
  });
}

function blockMap(b: BlockIndexEntry): EventMap {
  return indexedMap(b.events, { "block.height": [b.height.toString()] });
}

const heightConditionArb = (tag: string): fc.Arbitrary<QueryCondition> =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom("=", "<", "<=", ">", ">=" as const),
        fc.integer({ min: 0, max: HEIGHTS + 2 }),
        fc.boolean(),
      )
      .map(([op, n, frac]) => ({
        tag,
        op,
        operand: { type: "number" as const, text: frac ? `${n}.5` : String(n) },
      })),
    fc.constantFrom(
      { tag, op: "EXISTS" as const },
      { tag, op: "=" as const, operand: { type: "string" as const, text: "7" } },
      { tag, op: "CONTAINS" as const, operand: { type: "string" as const, text: "1" } },
    ),
  );

describe("tx indexer", () => {
  it("indexed a few hundred txs", () => {
    expect(txs.length).toBeGreaterThan(200);
  });

  it("getTx returns what was indexed", () => {
    for (const tx of txs.slice(0, 50)) {
      const got = indexer.getTx(tx.hash);
      expect(got).toEqual({
        height: tx.height,
        index: tx.index,
        hash: tx.hash,
        txBytes: tx.txBytes,
        resultBytes: tx.resultBytes,
        code: 0,
      });
    }
    expect(indexer.getTx(new Uint8Array(32))).toBeUndefined();
  });

  it("search = brute-force filter with matchesQuery (property)", () => {
    const hashCondition = fc.constantFrom(...txs.slice(0, 20)).map(
      (tx): QueryCondition => ({
        tag: "tx.hash",
        op: "=",
        operand: { type: "string", text: toHex(tx.hash) },
      }),
    );
    const hashContains = fc.constantFrom("AB", "0", "FF").map(
      (text): QueryCondition => ({
        tag: "tx.hash",
        op: "CONTAINS",
        operand: { type: "string", text },
      }),
    );
    const typeOnly = fc.constantFrom<QueryCondition>(
      { tag: "tx", op: "EXISTS" },
      { tag: "transfer", op: "EXISTS" },
    );
    let nonEmpty = 0;
    fc.assert(
      fc.property(
        worldQueryArb([heightConditionArb("tx.height"), hashCondition, hashContains, typeOnly]),
        fc.constantFrom("asc", "desc" as const),
        (query, orderBy) => {
          const want = txs.filter((tx) => matchesQuery(query, txMap(tx)));
          if (orderBy === "desc") want.reverse();
          const got = indexer.searchTxs(query, { perPage: 10_000, orderBy });
          expect(got.ok).toBe(true);
          if (!got.ok) return;
          expect(got.value.total).toBe(want.length);
          expect(got.value.items.map((t) => toHex(t.hash))).toEqual(want.map((t) => toHex(t.hash)));
          if (want.length > 0) nonEmpty++;
        },
      ),
      { numRuns: 600, seed: 1 },
    );
    expect(nonEmpty).toBeGreaterThan(100);
  });

  it("pages through results ordered by (height, index)", () => {
    const all = indexer.searchTxs("tx.height >= 1", { perPage: 10_000 });
    expect(all.ok && all.value.total).toBe(txs.length);
    const page2 = indexer.searchTxs("tx.height >= 1", { page: 2, perPage: 7, orderBy: "desc" });
    expect(page2.ok).toBe(true);
    if (!page2.ok) return;
    const expected = [...txs].reverse().slice(7, 14);
    expect(page2.value.total).toBe(txs.length);
    expect(page2.value.items.map((t) => [t.height, t.index])).toEqual(
      expected.map((t) => [t.height, t.index]),
    );
    const past = indexer.searchTxs("tx.height >= 1", { page: 1000, perPage: 30 });
    expect(past.ok && past.value.items).toEqual([]);
  });

  it("finds tx.hash case-insensitively", () => {
    const tx = txs[3] as TxIndexEntry;
    const r = indexer.searchTxs(`tx.hash = '${toHex(tx.hash).toLowerCase()}'`);
    expect(r.ok && r.value.items.map((t) => t.index)).toEqual([tx.index]);
  });

  it("returns the parse error for a bad query", () => {
    const r = indexer.searchTxs("tx.height >");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("QUERY_SYNTAX");
      expect(r.error.message).toMatch(/^offset 11: got end of query/);
    }
  });
});

describe("tx indexer edge cases (own database)", () => {
  let edgeDir: string;
  let edgeRoot: RootDatabase;
  let idx: Indexer;

  beforeAll(() => {
    edgeDir = mkdtempSync(join(tmpdir(), "qos-indexer-edge-"));
    edgeRoot = open({ path: edgeDir, maxDbs: 8 });
    idx = createIndexer({ txDbName: "t", blockDbName: "b" }, { root: edgeRoot });
  });

  afterAll(async () => {
    await edgeRoot.close();
    rmSync(edgeDir, { recursive: true, force: true });
  });

  function entry(
    height: bigint,
    index: number,
    txText: string,
    events: IndexEvent[],
    code = 0,
  ): TxIndexEntry {
    const txBytes = utf8Encode(txText);
    return {
      height,
      index,
      hash: sha256(txBytes),
      txBytes,
      resultBytes: new Uint8Array([code]),
      events,
      code,
    };
  }

  it("handles long values, NUL bytes and the reserved keys", async () => {
    const long = "v".repeat(5000);
    const nul = "a\u0000b\u0001c";
    await idx.indexTx(
      entry(1n, 0, "long", [
        {
          type: "big",
          attributes: [
            { key: "value", value: long, index: true },
            { key: "nul", value: nul, index: true },
          ],
        },
        { type: "tx", attributes: [{ key: "height", value: "999", index: true }] },
      ]),
    );
    await idx.indexTx(
      entry(1n, 1, "long2", [
        { type: "big", attributes: [{ key: "value", value: `${long}x`, index: true }] },
      ]),
    );
    const eq = idx.searchTxs(`big.value = '${long}'`);
    expect(eq.ok && eq.value.items.map((t) => t.index)).toEqual([0]);
    const contains = idx.searchTxs("big.value CONTAINS 'vx'");
    expect(contains.ok && contains.value.items.map((t) => t.index)).toEqual([1]);
    const withNul = idx.searchTxs(`big.nul = '${nul}'`);
    expect(withNul.ok && withNul.value.total).toBe(1);
    const reserved = idx.searchTxs("tx.height = 999");
    expect(reserved.ok && reserved.value.total).toBe(0);
  });

  it("keeps a successful result over a later failed one, and follows a re-indexed tx", async () => {
    const ok = entry(5n, 0, "dup", [
      { type: "m", attributes: [{ key: "k", value: "ok", index: true }] },
    ]);
    await idx.indexTx(ok);
    await idx.indexTx({ ...ok, height: 6n, code: 7, events: [] });
    expect(idx.getTx(ok.hash)?.height).toBe(5n);
    // A successful re-execution at a later height replaces it; the old position is stale.
    await idx.indexTx({ ...ok, height: 7n, index: 2 });
    expect(idx.getTx(ok.hash)?.height).toBe(7n);
    const r = idx.searchTxs("m.k = 'ok'");
    expect(r.ok && r.value.items.map((t) => [t.height, t.index])).toEqual([[7n, 2]]);
    const byHeight = idx.searchTxs("tx.height = 5");
    expect(byHeight.ok && byHeight.value.total).toBe(0);
  });

  it("rejects malformed entries", async () => {
    await expect(idx.indexTx(entry(-1n, 0, "neg", []))).rejects.toThrow(/height -1 out of range/);
    await expect(idx.indexTx(entry(1n, -1, "neg", []))).rejects.toThrow(/tx index -1 out of range/);
  });
});

describe("block indexer", () => {
  it("search = brute-force filter with matchesQuery (property)", () => {
    let nonEmpty = 0;
    fc.assert(
      fc.property(
        worldQueryArb([
          heightConditionArb("block.height"),
          fc.constantFrom<QueryCondition>({ tag: "block", op: "EXISTS" }),
        ]),
        (query) => {
          const want = blocks.filter((b) => matchesQuery(query, blockMap(b))).map((b) => b.height);
          const got = indexer.searchBlocks(query, { perPage: 10_000 });
          expect(got.ok).toBe(true);
          if (!got.ok) return;
          expect(got.value.heights).toEqual(want);
          expect(got.value.total).toBe(want.length);
          if (want.length > 0) nonEmpty++;
        },
      ),
      { numRuns: 400, seed: 2 },
    );
    expect(nonEmpty).toBeGreaterThan(60);
  });

  it("answers block.height ranges in order and knows which heights it has", () => {
    const r = indexer.searchBlocks("block.height > 10 AND block.height <= 13", { orderBy: "desc" });
    expect(r.ok && r.value.heights).toEqual([13n, 12n, 11n]);
    expect(indexer.hasBlock(1n)).toBe(true);
    expect(indexer.hasBlock(BigInt(HEIGHTS + 1))).toBe(false);
  });
});
