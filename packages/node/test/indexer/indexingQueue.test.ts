// The indexing queue with its real worker thread (the built dist/indexer/indexWorker.js, which
// `npm test` builds first) on a real LMDB environment in a temp dir: what the worker writes is
// what the main thread reads, byte for byte the same as indexing on the main thread.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { create } from "@bufbuild/protobuf";
import type { FinalizeBlockResponse } from "@qos/app";
import { type Block, BlockSchema, toHex, utf8Encode } from "@qos/types";
import { open, type RootDatabase } from "lmdb";
import { afterEach, describe, expect, it } from "vitest";
import { blockResultsOf } from "../../src/blockResults.ts";
import { createIndexer, type Indexer } from "../../src/indexer/indexer.ts";
import { createIndexingQueue } from "../../src/indexer/indexingQueue.ts";
import { createLogger } from "../../src/logger.ts";

const WORKER = pathToFileURL(join(import.meta.dirname, "../../dist/indexer/indexWorker.js"));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempIndex(): { path: string; root: RootDatabase; indexer: Indexer } {
  const dir = mkdtempSync(join(tmpdir(), "qos-index-queue-"));
  const path = join(dir, "tx_index");
  const root = open({ path, maxDbs: 8 });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => root.close());
  return { path, root, indexer: createIndexer({}, { root }) };
}

function logLines(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    format: "json",
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString("utf8"));
        done();
      },
    }),
  });
  return { logger, lines };
}

/** Block h with n txs `h-i=v`, and results whose events name the tx (indexed) and the block. */
function blockAt(h: number, n: number): { block: Block; res: FinalizeBlockResponse } {
  const txs = Array.from({ length: n }, (_, i) => utf8Encode(`k${h}-${i}=v${i}`));
  // The txs are views into one buffer, as a decoded block's are.
  const joined = new Uint8Array(txs.reduce((s, t) => s + t.length, 0));
  let at = 0;
  const views = txs.map((t) => {
    joined.set(t, at);
    at += t.length;
    return joined.subarray(at - t.length, at);
  });
  const block = create(BlockSchema, {
    header: { height: BigInt(h) },
    data: { txs: views },
  });
  const res: FinalizeBlockResponse = {
    events: [{ type: "block", attributes: [{ key: "h", value: String(h), index: true }] }],
    txResults: txs.map((_, i) => ({
      code: i % 5 === 4 ? 7 : 0,
      data: new Uint8Array([i]),
      log: "",
      info: "",
      gasWanted: 10n,
      gasUsed: 5n,
      events: [
        {
          type: "app",
          attributes: [
            { key: "key", value: `k${h}-${i}`, index: true },
            { key: "secret", value: "x", index: false },
          ],
        },
      ],
      codespace: "",
    })),
    validatorUpdates: [],
    appHash: new Uint8Array(32),
  };
  return { block, res };
}

describe("indexing queue", () => {
  it("indexes in a worker thread what the main thread then reads, the same as indexing here", async () => {
    const viaWorker = tempIndex();
    const here = tempIndex();
    const { logger, lines } = logLines();
    const queue = createIndexingQueue(
      { path: viaWorker.path, workerFile: WORKER },
      { indexer: viaWorker.indexer, logger },
    );
    const local = createIndexingQueue(
      { path: here.path, inThread: true },
      { indexer: here.indexer, logger },
    );
    expect(queue.usesWorker()).toBe(true);
    expect(local.usesWorker()).toBe(false);

    const blocks = [1, 2, 3, 4, 5].map((h) => blockAt(h, 40 * h));
    const order: number[] = [];
    // All queued at once; each resolves in height order, with its block readable.
    await Promise.all(
      blocks.map(async ({ block, res }) => {
        const results = blockResultsOf(block.data?.txs ?? [], res);
        const h = Number(block.header?.height);
        // A read before: the main thread holds a read snapshot from before the worker's write.
        expect(viaWorker.indexer.hasBlock(BigInt(h))).toBe(false);
        await Promise.all([queue.index(block, results), local.index(block, results)]);
        order.push(h);
        expect(viaWorker.indexer.hasBlock(BigInt(h))).toBe(true);
        const first = viaWorker.indexer.getTx(results.txHashes[0] as Uint8Array);
        expect(first?.height).toBe(BigInt(h));
      }),
    );
    expect(order).toEqual([1, 2, 3, 4, 5]);

    for (const { block, res } of blocks) {
      const results = blockResultsOf(block.data?.txs ?? [], res);
      for (const hash of results.txHashes) {
        const a = viaWorker.indexer.getTx(hash);
        const b = here.indexer.getTx(hash);
        expect(a).toBeDefined();
        expect(a).toEqual(b);
      }
    }
    for (const q of ["app.key = 'k3-7'", "block.h = '4'", "tx.height = 5", "app.key EXISTS"]) {
      const a = viaWorker.indexer.searchTxs(q, { perPage: 100 });
      const b = here.indexer.searchTxs(q, { perPage: 100 });
      expect(a.ok && b.ok).toBe(true);
      if (!a.ok || !b.ok) continue;
      expect(a.value.items.map((t) => toHex(t.hash))).toEqual(
        b.value.items.map((t) => toHex(t.hash)),
      );
    }
    const blocksFound = viaWorker.indexer.searchBlocks("block.h >= 2");
    expect(blocksFound.ok && blocksFound.value.total).toBe(4);
    // An attribute without `index: true` is not searchable.
    const hidden = viaWorker.indexer.searchTxs("app.secret = 'x'");
    expect(hidden.ok && hidden.value.total).toBe(0);

    await queue.close();
    await local.close();
    expect(queue.usesWorker()).toBe(false);
    expect(lines.filter((l) => l.includes('"level":50'))).toEqual([]);
  });

  it("falls back to the main thread when the worker dies, losing no block", async () => {
    const ix = tempIndex();
    const dir = mkdtempSync(join(tmpdir(), "qos-bad-worker-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const bad = join(dir, "badWorker.mjs");
    // Takes the first message, then dies as a worker thread can (an uncaught error).
    writeFileSync(
      bad,
      'import { parentPort } from "node:worker_threads";\n' +
        'parentPort.once("message", () => { throw new Error("index worker broke"); });\n',
    );
    const { logger, lines } = logLines();
    const queue = createIndexingQueue(
      { path: ix.path, workerFile: pathToFileURL(bad) },
      { indexer: ix.indexer, logger },
    );
    expect(queue.usesWorker()).toBe(true);
    const blocks = [1, 2, 3].map((h) => blockAt(h, 10));
    await Promise.all(
      blocks.map(({ block, res }) =>
        queue.index(block, blockResultsOf(block.data?.txs ?? [], res)),
      ),
    );
    expect(queue.usesWorker()).toBe(false);
    for (const h of [1n, 2n, 3n]) expect(ix.indexer.hasBlock(h)).toBe(true);
    expect(lines.some((l) => l.includes("index worker stopped"))).toBe(true);
    // Later blocks go on, on the main thread.
    const { block, res } = blockAt(4, 3);
    await queue.index(block, blockResultsOf(block.data?.txs ?? [], res));
    expect(ix.indexer.hasBlock(4n)).toBe(true);
    await queue.close();
  });
});
