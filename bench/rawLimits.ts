// The ceilings a node figure is compared with, measured on this machine in the same run: the
// kvstore app alone in-process (checkTx, finalizeBlock+commit) and a durable LMDB writeBlock.

import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { create, toBinary } from "@bufbuild/protobuf";
import { createKvStoreApp } from "@qos/app";
import { execTxResultToProto } from "@qos/node";
import { createBlockStore, createStateStore, openNodeDb } from "@qos/store";
import { FinalizeBlockRecordSchema, utf8Encode } from "@qos/types";

/** `n` unique kvstore txs shaped like the load generator's (`tag.cc.seq=<32 v>`). */
export function makeKvTxs(tag: string, n: number, from = 0): Uint8Array[] {
  const value = "v".repeat(32);
  return Array.from({ length: n }, (_, i) =>
    utf8Encode(
      `${tag}.${String(i % 100).padStart(2, "0")}.${String(from + i).padStart(6, "0")}=${value}`,
    ),
  );
}

export interface CheckTxLimit {
  readonly perS: number;
  readonly calls: number;
}

/** app.checkTx of unique txs, one at a time (as the mempool calls it), for about durationMs. */
export async function measureAppCheckTx(durationMs: number): Promise<CheckTxLimit> {
  const app = createKvStoreApp({ memory: true });
  try {
    const txs = makeKvTxs("chk", 50_000);
    for (let i = 0; i < 2_000; i++) await app.checkTx({ tx: txs[i] as Uint8Array, type: "new" });
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < durationMs) {
      for (let i = 0; i < 1_000; i++) {
        await app.checkTx({ tx: txs[calls % txs.length] as Uint8Array, type: "new" });
        calls++;
      }
      now = performance.now();
    }
    return { perS: calls / ((now - start) / 1000), calls };
  } finally {
    await app.close();
  }
}

export interface FinalizeLimit {
  readonly txsPerBlock: number;
  readonly blocks: number;
  readonly txsPerS: number;
  readonly msPerBlock: number;
  /** ms per block over the last quarter of the blocks (the state is largest there). */
  readonly msPerBlockAtEnd: number;
  /** The encoded FinalizeBlockRecord of the last block (what the node stores as results). */
  readonly resultsBytes: Uint8Array;
}

const NO_COMMIT = { round: 0, votes: [] } as const;

/**
 * finalizeBlock + commit of `blocks` blocks of `txsPerBlock` unique set txs on a fresh
 * in-process kvstore (memory mode: LMDB in a temporary directory, each commit flushed), so the
 * state grows as it did in the node. Stops early once `maxMs` is spent.
 */
export async function measureAppFinalize(
  txsPerBlock: number,
  blocks: number,
  maxMs: number,
): Promise<FinalizeLimit> {
  const app = createKvStoreApp({ memory: true });
  try {
    const time = { seconds: 1_700_000_000n, nanos: 0 };
    await app.initChain({
      time,
      chainId: "bench",
      consensusParams: {},
      validators: [],
      appStateBytes: new Uint8Array(),
      initialHeight: 1n,
    });
    const hash = new Uint8Array(32);
    let total = 0;
    let done = 0;
    const perBlock: number[] = [];
    let last: Awaited<ReturnType<typeof app.finalizeBlock>> | undefined;
    const start = performance.now();
    for (let h = 1; h <= blocks; h++) {
      const txs = makeKvTxs("fin", txsPerBlock, (h - 1) * txsPerBlock);
      const t = performance.now();
      last = await app.finalizeBlock({
        txs,
        decidedLastCommit: NO_COMMIT,
        misbehavior: [],
        hash,
        height: BigInt(h),
        time,
        nextValidatorsHash: hash,
        proposerAddress: hash.subarray(0, 20),
      });
      await app.commit();
      const now = performance.now();
      perBlock.push(now - t);
      total += txsPerBlock;
      done = h;
      if (now - start > maxMs) break;
    }
    const elapsed = perBlock.reduce((a, b) => a + b, 0);
    const tail = perBlock.slice(Math.floor((perBlock.length * 3) / 4));
    const record = create(FinalizeBlockRecordSchema, {
      events: [],
      txResults: (last?.txResults ?? []).map(execTxResultToProto),
      validatorUpdates: [],
      appHash: last?.appHash ?? new Uint8Array(32),
    });
    return {
      txsPerBlock,
      blocks: done,
      txsPerS: total / (elapsed / 1000),
      msPerBlock: elapsed / done,
      msPerBlockAtEnd: tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length),
      resultsBytes: toBinary(FinalizeBlockRecordSchema, record),
    };
  } finally {
    await app.close();
  }
}

export interface WriteBlockLimit {
  readonly perS: number;
  readonly msPerBlock: number;
  readonly blockBytes: number;
  readonly writes: number;
}

/**
 * @qos/store writeBlock (one synced LMDB transaction) of a block the size the node stored:
 * block bytes split in 64 KB parts, meta, two commits, the results record, validators, params
 * and state. `parentDir` puts the database on the same disk as the node's home.
 */
export async function measureWriteBlock(
  parentDir: string,
  blockBytes: number,
  resultsBytes: Uint8Array,
  durationMs: number,
): Promise<WriteBlockLimit> {
  const dir = mkdtempSync(join(parentDir, "qos-bench-lmdb-"));
  const db = openNodeDb({ path: join(dir, "node-db") });
  try {
    const blocks = createBlockStore(db);
    const states = createStateStore(db);
    const fill = (n: number, seed: number) =>
      Uint8Array.from({ length: n }, (_, i) => (i * seed + 1) & 0xff);
    const body = fill(blockBytes, 3);
    const parts: Uint8Array[] = [];
    for (let o = 0; o < body.length; o += 65_536) parts.push(body.subarray(o, o + 65_536));
    const commit = fill(150, 13);
    const validators = fill(110, 5);
    const params = fill(60, 7);
    const state = fill(600, 11);
    let height = 0n;
    let writes = 0;
    const start = performance.now();
    let now = start;
    while (now - start < durationMs || writes < 20) {
      height += 1n;
      const hash = new Uint8Array(32);
      new DataView(hash.buffer).setBigUint64(0, height);
      db.writeBlock((batch) => {
        blocks.saveBlock(batch, {
          height,
          hash,
          blockBytes: body,
          parts,
          metaBytes: fill(330, 17),
          lastCommitBytes: height === 1n ? null : commit,
          seenCommitBytes: commit,
        });
        blocks.saveResults(batch, height, resultsBytes);
        states.saveValidators(batch, height + 1n, validators);
        states.saveConsensusParams(batch, height, params);
        states.saveState(batch, state);
      });
      writes++;
      now = performance.now();
    }
    const elapsed = (now - start) / 1000;
    return { perS: writes / elapsed, msPerBlock: (elapsed * 1000) / writes, blockBytes, writes };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
