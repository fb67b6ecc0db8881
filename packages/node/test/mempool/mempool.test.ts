import { create, toBinary } from "@bufbuild/protobuf";
import {
  createKvStoreApp,
  type ExecTxResult,
  encodeKvValidatorTx,
  type KvStoreApp,
  type ValidatorUpdate,
} from "@qos/app";
import { sha256 } from "@qos/crypto";
import { computeProtoSizeForTxs, DataSchema, utf8Encode } from "@qos/types";
import fc from "fast-check";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMempool, type Mempool, type MempoolOptions } from "../../src/mempool/mempool.ts";
import { createMempoolMetrics } from "../../src/mempool/mempoolMetrics.ts";
import { createTxCache } from "../../src/mempool/txCache.ts";

const enc = utf8Encode;
const logger = pino({ level: "silent" });
const pk = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const GENESIS_VALS: ValidatorUpdate[] = [
  { pubKey: { type: "ed25519", key: pk(1) }, power: 10n },
  { pubKey: { type: "ed25519", key: pk(2) }, power: 10n },
];

let app: KvStoreApp;
let height: bigint;

beforeEach(async () => {
  app = createKvStoreApp({ memory: true });
  height = 0n;
  await app.initChain({
    time: { seconds: 0n, nanos: 0 },
    chainId: "mempool-test",
    consensusParams: {},
    validators: GENESIS_VALS,
    appStateBytes: enc("{}"),
    initialHeight: 1n,
  });
});

afterEach(async () => {
  await app.close();
});

function newMempool(opts: Partial<MempoolOptions> = {}, registry?: Registry): Mempool {
  return createMempool(opts, {
    app,
    logger,
    metrics: registry === undefined ? null : createMempoolMetrics(registry),
  });
}

/** Runs a block through the app and then the mempool, as the node does at commit. */
async function commitBlock(mempool: Mempool, txs: Uint8Array[]): Promise<readonly ExecTxResult[]> {
  height++;
  const res = await app.finalizeBlock({
    txs,
    decidedLastCommit: { round: 0, votes: [] },
    misbehavior: [],
    hash: new Uint8Array(32),
    height,
    time: { seconds: height, nanos: 0 },
    nextValidatorsHash: new Uint8Array(32),
    proposerAddress: new Uint8Array(20),
  });
  await mempool.lock();
  try {
    await app.commit();
    await mempool.update(height, txs, res.txResults);
  } finally {
    mempool.unlock();
  }
  return res.txResults;
}

async function add(mempool: Mempool, tx: string | Uint8Array, sender?: string) {
  const bytes = typeof tx === "string" ? enc(tx) : tx;
  return mempool.checkTx(bytes, sender === undefined ? {} : { sender });
}

function errorOf(r: Awaited<ReturnType<Mempool["checkTx"]>>): { code: string; message: string } {
  if (r.ok) throw new Error(`expected an error, got code ${r.value.code}`);
  return { code: r.error.code, message: r.error.message };
}

describe("mempool: admission", () => {
  it("adds a tx the app accepts, keyed by its sha256, with CheckTx's gasWanted", async () => {
    const mempool = newMempool();
    const res = await add(mempool, "a=1", "peer1");
    expect(res.ok && res.value.code).toBe(0);
    expect(mempool.size()).toBe(1);
    expect(mempool.sizeBytes()).toBe(3);
    expect(mempool.has(sha256(enc("a=1")))).toBe(true);
    const entry = mempool.get(sha256(enc("a=1")));
    expect(entry).toMatchObject({ tx: enc("a=1"), gasWanted: 1n, priority: 0n, height: 0n });
    expect([...(entry?.senders ?? [])]).toEqual(["peer1"]);
    expect(mempool.txs()).toEqual([enc("a=1")]);
  });

  it("returns the app's response for an invalid tx, does not add it, and lets it be sent again", async () => {
    const mempool = newMempool();
    const first = await add(mempool, "a=b=c");
    expect(first.ok).toBe(true);
    expect(first.ok && first.value).toMatchObject({
      code: 1,
      log: `invalid tx format: more than one '=' in "a=b=c"`,
    });
    expect(mempool.size()).toBe(0);
    const second = await add(mempool, "a=b=c");
    expect(second.ok && second.value.code).toBe(1); // the app saw it again: not cached
  });

  it("with keepInvalidTxsInCache an invalid tx is refused by the cache the second time", async () => {
    const mempool = newMempool({ keepInvalidTxsInCache: true });
    expect((await add(mempool, "a=b=c")).ok).toBe(true);
    expect(errorOf(await add(mempool, "a=b=c"))).toEqual({
      code: "tx_in_cache",
      message: "tx already exists in cache",
    });
  });

  it("refuses duplicates from the cache and records the extra sender", async () => {
    const mempool = newMempool();
    await add(mempool, "k=v", "p1");
    expect(errorOf(await add(mempool, "k=v", "p2"))).toEqual({
      code: "tx_in_cache",
      message: "tx already exists in cache",
    });
    expect([...(mempool.get(sha256(enc("k=v")))?.senders ?? [])]).toEqual(["p1", "p2"]);
    // Two copies at once: the second is refused once the first is in.
    const [x, y] = await Promise.all([add(mempool, "z=1"), add(mempool, "z=1")]);
    expect(x.ok).toBe(true);
    expect(errorOf(y).code).toBe("tx_in_cache");
    expect(mempool.size()).toBe(2);
  });

  it("without a cache (cacheSize 0) a held tx is still refused", async () => {
    const mempool = newMempool({ cacheSize: 0 });
    await add(mempool, "k=v");
    expect(errorOf(await add(mempool, "k=v"))).toEqual({
      code: "tx_in_mempool",
      message: "tx already exists in mempool",
    });
  });

  it("refuses empty and oversized txs with CometBFT's message", async () => {
    const mempool = newMempool();
    expect(errorOf(await add(mempool, new Uint8Array()))).toEqual({
      code: "tx_empty",
      message: "tx is empty",
    });
    const big = new Uint8Array(1048577).fill(0x61);
    expect(errorOf(await add(mempool, big))).toEqual({
      code: "tx_too_large",
      message: "tx too large. Max size is 1048576, but got 1048577",
    });
    const small = newMempool({ maxTxBytes: 4 });
    expect(errorOf(await add(small, "abcde")).message).toBe(
      "tx too large. Max size is 4, but got 5",
    );
    expect((await add(small, "abcd")).ok).toBe(true);
  });

  it("refuses txs when full by count or by bytes; a refused tx may come back later", async () => {
    const mempool = newMempool({ size: 2 });
    await add(mempool, "a=1");
    await add(mempool, "b=2");
    expect(errorOf(await add(mempool, "c=3"))).toEqual({
      code: "mempool_full",
      message: "mempool is full: number of txs 2 (max: 2), total txs bytes 6 (max: 1073741824)",
    });
    await commitBlock(mempool, [enc("a=1")]);
    expect((await add(mempool, "c=3")).ok).toBe(true); // not left in the cache

    const byBytes = newMempool({ maxTxsBytes: 10 });
    await add(byBytes, "aaaa=1"); // 6 bytes
    expect(errorOf(await add(byBytes, "bbbb=2")).message).toBe(
      "mempool is full: number of txs 1 (max: 5000), total txs bytes 6 (max: 10)",
    );
    expect((await add(byBytes, "cc=2")).ok).toBe(true); // 6 + 4 = 10 fits
  });

  it("serialises concurrent checkTx calls: txs keep their call order", async () => {
    const mempool = newMempool();
    const txs = Array.from({ length: 60 }, (_, i) => enc(`key${i}=${i}`));
    const results = await Promise.all(txs.map((tx) => mempool.checkTx(tx)));
    expect(results.every((r) => r.ok && r.value.code === 0)).toBe(true);
    expect(mempool.txs()).toEqual(txs);
  });

  it("property: any interleaving of valid, invalid and duplicate txs keeps first-call order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("a=1", "b=2", "c", "x=y=z", "d=4", "e"), { maxLength: 20 }),
        async (texts) => {
          const mempool = newMempool();
          await Promise.all(texts.map((t) => add(mempool, t)));
          const expected = [...new Set(texts)].filter((t) => t !== "x=y=z").map(enc);
          expect(mempool.txs()).toEqual(expected);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("an app pre-check runs concurrently, yet txs are admitted in call order", async () => {
    // The kvstore app with a pre-check whose duration varies (later txs often finish first),
    // as signature verification on a worker thread does.
    const started: string[] = [];
    let running = 0;
    let overlap = 0;
    const slowApp = {
      checkTx: app.checkTx.bind(app),
      async preCheckTx(tx: Uint8Array) {
        started.push(new TextDecoder().decode(tx));
        running++;
        overlap = Math.max(overlap, running);
        await new Promise((r) => setTimeout(r, (tx.length * 7) % 11));
        running--;
      },
    };
    const mempool = createMempool({}, { app: slowApp, logger, metrics: null });
    const txs = Array.from({ length: 40 }, (_, i) => enc(`k${i}=${"v".repeat(1 + (i % 9))}`));
    const results = await Promise.all(txs.map((tx) => mempool.checkTx(tx)));
    expect(results.every((r) => r.ok && r.value.code === 0)).toBe(true);
    expect(mempool.txs()).toEqual(txs);
    expect(overlap).toBeGreaterThan(1);
    // A tx already known skips the pre-check.
    await mempool.checkTx(txs[0] as Uint8Array);
    expect(started).toHaveLength(40);
  });

  it("reports an app failure as app_error and forgets the tx", async () => {
    const failing = createMempool(
      {},
      {
        app: {
          checkTx: (req) =>
            req.tx[0] === 0x21 ? Promise.reject(new Error("boom")) : app.checkTx(req),
        },
        logger,
        metrics: null,
      },
    );
    expect(errorOf(await failing.checkTx(enc("!x")))).toEqual({
      code: "app_error",
      message: "application CheckTx failed: boom",
    });
    expect(failing.size()).toBe(0);
    expect(errorOf(await failing.checkTx(enc("!x"))).code).toBe("app_error"); // not cached
  });
});

describe("mempool: reaping", () => {
  it("reaps in arrival order within maxBytes (proto size) and maxGas, stopping at the first misfit", async () => {
    const mempool = newMempool();
    const txs = ["a=1", "bbbbbbbbbb=2", "c=3", "d=4"].map(enc);
    for (const tx of txs) await mempool.checkTx(tx);
    // Sizes in Data: 5, 14, 5, 5.
    expect(mempool.reapMaxBytesMaxGas(-1n, -1n)).toEqual(txs);
    expect(mempool.reapMaxBytesMaxGas(29n, -1n)).toEqual(txs);
    expect(mempool.reapMaxBytesMaxGas(28n, -1n)).toEqual(txs.slice(0, 3));
    expect(mempool.reapMaxBytesMaxGas(18n, -1n)).toEqual(txs.slice(0, 1)); // c would fit, but FIFO stops
    expect(mempool.reapMaxBytesMaxGas(4n, -1n)).toEqual([]);
    expect(mempool.reapMaxBytesMaxGas(-1n, 2n)).toEqual(txs.slice(0, 2)); // gasWanted 1 each
    expect(mempool.reapMaxBytesMaxGas(-1n, 0n)).toEqual([]);
    expect(mempool.reapMaxBytesMaxGas(19n, 1n)).toEqual(txs.slice(0, 1));
  });

  it("reapMaxTxs takes the first n; negative takes all", async () => {
    const mempool = newMempool();
    const txs = ["a=1", "b=2", "c=3"].map(enc);
    for (const tx of txs) await mempool.checkTx(tx);
    expect(mempool.reapMaxTxs(2)).toEqual(txs.slice(0, 2));
    expect(mempool.reapMaxTxs(0)).toEqual([]);
    expect(mempool.reapMaxTxs(10)).toEqual(txs);
    expect(mempool.reapMaxTxs(-1)).toEqual(txs);
  });

  it("computeProtoSizeForTxs equals the encoded size of tendermint.types.Data", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (txs) => {
        const encoded = toBinary(DataSchema, create(DataSchema, { txs }));
        expect(computeProtoSizeForTxs(txs)).toBe(encoded.length);
      }),
    );
    expect(computeProtoSizeForTxs([new Uint8Array(1048576)])).toBe(1 + 3 + 1048576);
  });
});

describe("mempool: update and recheck", () => {
  it("removes committed txs and keeps them out afterwards (replay protection)", async () => {
    const mempool = newMempool();
    for (const t of ["a=1", "b=2", "c=3"]) await add(mempool, t);
    await commitBlock(mempool, [enc("a=1"), enc("c=3")]);
    expect(mempool.txs()).toEqual([enc("b=2")]);
    expect(mempool.height()).toBe(1n);
    expect(errorOf(await add(mempool, "a=1")).code).toBe("tx_in_cache");
    // A tx committed through another node's block is kept out too.
    await commitBlock(mempool, [enc("z=9")]);
    expect(errorOf(await add(mempool, "z=9")).code).toBe("tx_in_cache");
  });

  it("a tx sent while a block committing it is being applied does not re-enter", async () => {
    const mempool = newMempool();
    await mempool.lock();
    const pending = add(mempool, "r=1"); // waits for the lock
    await mempool.update(1n, [enc("r=1")], [{ code: 0 }]);
    mempool.unlock();
    expect(errorOf(await pending).code).toBe("tx_in_cache");
    expect(mempool.size()).toBe(0);
  });

  it("a tx that failed in the block leaves the cache and may be sent again", async () => {
    const mempool = newMempool();
    await add(mempool, "a=1");
    await mempool.lock();
    await mempool.update(1n, [enc("a=1")], [{ code: 5 }]);
    mempool.unlock();
    expect(mempool.size()).toBe(0);
    expect((await add(mempool, "a=1")).ok).toBe(true);
  });

  it("rechecks the remaining txs in order and evicts those that became invalid", async () => {
    const registry = new Registry();
    const mempool = newMempool({}, registry);
    const removeTwo = encodeKvValidatorTx(pk(2), 0n);
    const removeOne = encodeKvValidatorTx(pk(1), 0n);
    for (const tx of [removeTwo, enc("a=1"), removeOne, enc("b=2")]) {
      const r = await mempool.checkTx(tx);
      expect(r.ok && r.value.code).toBe(0);
    }
    // The block removes validator 2; removing validator 1 now would empty the set.
    await commitBlock(mempool, [removeTwo]);
    expect(mempool.txs()).toEqual([enc("a=1"), enc("b=2")]);
    const again = await mempool.checkTx(removeOne); // evicted txs leave the cache
    expect(again.ok && again.value).toMatchObject({
      code: 3,
      log: `cannot remove the last validator ${Buffer.from(pk(1)).toString("base64")}`,
    });
    const text = await registry.metrics();
    expect(text).toMatch(/^cometbft_mempool_evicted_txs 1$/m);
    expect(text).toMatch(/^cometbft_mempool_recheck_times 1$/m);
    expect(text).toMatch(/^cometbft_mempool_size 2$/m);
  });

  it("with recheck off the remaining txs stay", async () => {
    const mempool = newMempool({ recheck: false });
    const removeTwo = encodeKvValidatorTx(pk(2), 0n);
    const removeOne = encodeKvValidatorTx(pk(1), 0n);
    await mempool.checkTx(removeTwo);
    await mempool.checkTx(removeOne);
    await commitBlock(mempool, [removeTwo]);
    expect(mempool.txs()).toEqual([removeOne]);
  });

  it("update needs the lock and one result per tx", async () => {
    const mempool = newMempool();
    await expect(mempool.update(1n, [], [])).rejects.toThrow(/call lock\(\) first/);
    expect(() => mempool.unlock()).toThrow(/not locked/);
    await mempool.lock();
    await expect(mempool.update(1n, [enc("a")], [])).rejects.toThrow(/1 txs but 0 results/);
    mempool.unlock();
  });

  it("lock waits for queued checkTx calls and holds later ones until unlock", async () => {
    const mempool = newMempool();
    const early = [add(mempool, "a=1"), add(mempool, "b=2")];
    await mempool.lock();
    expect(mempool.size()).toBe(2); // queued before the lock: already done
    let lateDone = false;
    const late = add(mempool, "c=3").then((r) => {
      lateDone = true;
      return r;
    });
    // Let every queued microtask and I/O callback run: the late call must still wait.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(lateDone).toBe(false);
    expect(mempool.reapMaxTxs(-1)).toEqual([enc("a=1"), enc("b=2")]);
    await mempool.update(1n, [enc("a=1")], [{ code: 0 }]);
    mempool.unlock();
    await Promise.all([...early, late]);
    expect(mempool.txs()).toEqual([enc("b=2"), enc("c=3")]);
  });
});

describe("mempool: txs available, flush, remove, metrics", () => {
  it("fires txs-available once per height: on the first tx, or after an update leaving txs", async () => {
    const mempool = newMempool();
    let fired = 0;
    const off = mempool.onTxsAvailable(() => {
      fired++;
    });
    await add(mempool, "a=1");
    await add(mempool, "b=2");
    expect(fired).toBe(1);
    await commitBlock(mempool, [enc("a=1")]); // b=2 remains
    expect(fired).toBe(2);
    await add(mempool, "c=3");
    expect(fired).toBe(2);
    await commitBlock(mempool, [enc("b=2"), enc("c=3")]); // empty afterwards
    expect(fired).toBe(2);
    await add(mempool, "d=4");
    expect(fired).toBe(3);
    off();
    await commitBlock(mempool, []);
    expect(fired).toBe(3);
  });

  it("onTxAdded reports each added tx", async () => {
    const mempool = newMempool();
    const seen: string[] = [];
    mempool.onTxAdded((t) => seen.push(Buffer.from(t.tx).toString()));
    await add(mempool, "a=1");
    await add(mempool, "bad=x=y");
    await add(mempool, "a=1");
    expect(seen).toEqual(["a=1"]);
  });

  it("removeTxByKey drops one tx (the cache still knows it); flush drops all and the cache", async () => {
    const mempool = newMempool();
    for (const t of ["a=1", "b=2", "c=3"]) await add(mempool, t);
    expect(mempool.removeTxByKey(sha256(enc("b=2")))).toBe(true);
    expect(mempool.removeTxByKey(sha256(enc("b=2")))).toBe(false);
    expect(mempool.txs()).toEqual([enc("a=1"), enc("c=3")]);
    expect(mempool.sizeBytes()).toBe(6);
    expect(errorOf(await add(mempool, "b=2")).code).toBe("tx_in_cache");
    mempool.flush();
    expect(mempool.size()).toBe(0);
    expect(mempool.sizeBytes()).toBe(0);
    expect((await add(mempool, "a=1")).ok).toBe(true);
  });

  it("exports CometBFT's metric names", async () => {
    const registry = new Registry();
    const mempool = newMempool({ size: 2 }, registry);
    await add(mempool, "a=1");
    await add(mempool, "bb=22");
    await add(mempool, "x=y=z"); // refused as full before the app sees it: rejected, not failed
    const mempool2Registry = new Registry();
    const m2 = newMempool({}, mempool2Registry);
    await add(m2, "x=y=z");
    const text = await registry.metrics();
    expect(text).toMatch(/^cometbft_mempool_size 2$/m);
    expect(text).toMatch(/^cometbft_mempool_size_bytes 8$/m);
    expect(text).toMatch(/^cometbft_mempool_rejected_txs 1$/m);
    expect(text).toMatch(/^cometbft_mempool_failed_txs 0$/m);
    expect(text).toMatch(/^cometbft_mempool_tx_size_bytes_count 2$/m);
    expect(text).toMatch(/^cometbft_mempool_tx_size_bytes_bucket\{le="3"\} 1$/m);
    expect(await mempool2Registry.metrics()).toMatch(/^cometbft_mempool_failed_txs 1$/m);
  });
});

describe("txCache", () => {
  it("is an LRU of the given capacity", () => {
    const cache = createTxCache(2);
    expect(cache.push("a")).toBe(true);
    expect(cache.push("b")).toBe(true);
    expect(cache.push("a")).toBe(false); // a becomes most recent
    expect(cache.push("c")).toBe(true); // evicts b
    expect(cache.has("b")).toBe(false);
    expect(cache.has("a")).toBe(true);
    expect(cache.size).toBe(2);
    cache.remove("a");
    expect(cache.has("a")).toBe(false);
    cache.reset();
    expect(cache.size).toBe(0);
    const none = createTxCache(0);
    expect(none.push("a")).toBe(true);
    expect(none.push("a")).toBe(true);
  });

  it("agrees with a plain LRU model over random push/remove/reset sequences", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("push" as const), key: fc.integer({ min: 0, max: 9 }) }),
            fc.record({ op: fc.constant("remove" as const), key: fc.integer({ min: 0, max: 9 }) }),
            fc.record({ op: fc.constant("reset" as const), key: fc.constant(0) }),
          ),
          { maxLength: 200 },
        ),
        (capacity, ops) => {
          const cache = createTxCache(capacity);
          let model: string[] = []; // least recently used first
          for (const { op, key } of ops) {
            const k = String(key);
            if (op === "push") {
              const had = model.includes(k);
              model = model.filter((m) => m !== k);
              if (!had && model.length >= capacity) model.shift();
              model.push(k);
              expect(cache.push(k)).toBe(!had);
            } else if (op === "remove") {
              model = model.filter((m) => m !== k);
              cache.remove(k);
            } else {
              model = [];
              cache.reset();
            }
            expect(cache.size).toBe(model.length);
            for (let i = 0; i < 10; i++)
              expect(cache.has(String(i))).toBe(model.includes(String(i)));
          }
        },
      ),
    );
  });
});
