// The ceilings a node figure is compared with, measured on this machine in the same run: the
// kvstore or QOS app alone in-process (checkTx, finalizeBlock+commit), a durable LMDB
// writeBlock, and raw secp256k1 verification (libsecp256k1 without our wrapper).

import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { create, toBinary } from "@bufbuild/protobuf";
import { createKvStoreApp, createQosApp } from "@qos/app";
import { secp256k1PublicKey, secp256k1Sign, secp256k1Verify, sha256 } from "@qos/crypto";
import { execTxResultToProto } from "@qos/node";
import { createBlockStore, createStateStore, openMultiStore, openNodeDb } from "@qos/store";
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

export interface SecpVerifyLimit {
  /** Raw libsecp256k1 ecdsaVerify + sha256 of the message, per second (one thread). */
  readonly rawPerS: number;
  /** @qos/crypto secp256k1Verify (shape and low-S checks, sha256, native verify), per second. */
  readonly qosPerS: number;
}

/**
 * secp256k1 verifications per second on this machine, one thread: the raw native call (the
 * ceiling for signature checks) and our wrapper, over 64 keys and ~250-byte messages (a
 * MsgSend SignDoc's size), each for about durationMs.
 */
export function measureSecp256k1Verify(durationMs: number): SecpVerifyLimit {
  const require = createRequire(import.meta.url);
  const libsecp = require("secp256k1/bindings.js") as {
    ecdsaVerify(sig: Uint8Array, digest: Uint8Array, pk: Uint8Array): boolean;
  };
  const keys = Array.from({ length: 64 }, (_, i) => sha256(utf8Encode(`verify-key-${i}`)));
  const pubs = keys.map((k) => secp256k1PublicKey(k));
  const msgs = keys.map((_, i) => Uint8Array.from({ length: 250 }, (_, j) => (i * 31 + j) & 255));
  const sigs = keys.map((k, i) => secp256k1Sign(k, msgs[i] as Uint8Array));
  const rate = (verify: (i: number) => boolean): number => {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < durationMs) {
      for (let k = 0; k < 500; k++, n++) {
        if (!verify(n & 63)) throw new Error("secp256k1 bench signature did not verify");
      }
      now = performance.now();
    }
    return n / ((now - start) / 1000);
  };
  const raw = (i: number) =>
    libsecp.ecdsaVerify(
      sigs[i] as Uint8Array,
      sha256(msgs[i] as Uint8Array),
      pubs[i] as Uint8Array,
    );
  const ours = (i: number) =>
    secp256k1Verify(pubs[i] as Uint8Array, msgs[i] as Uint8Array, sigs[i] as Uint8Array);
  rate(raw); // warm-up
  return { rawPerS: rate(raw), qosPerS: rate(ours) };
}

export interface QosAppLimit {
  readonly txsPerBlock: number;
  readonly blocks: number;
  /** checkTx (type new: decode, ante, signature verify) of every tx, one at a time, per second. */
  readonly checkTxPerS: number;
  /** finalizeBlock + persist (one LMDB writeBlock) + commit, txs per second (signatures cached). */
  readonly finalizePerS: number;
  /** Both, as the node runs them: each tx checked once then executed once. */
  readonly bothPerS: number;
  /** Txs of these blocks that did not return code 0 (should be 0: the txs are valid). */
  readonly failed: number;
  readonly firstFailure: string;
}

/**
 * The QOS app alone in-process on the real multi-store over LMDB in a temporary directory
 * (`parentDir`), run the node's way: every tx of a block through checkTx, then finalizeBlock,
 * writeBlock(persist), commit. `tx(n)` is the n-th tx in an order the app accepts (sequences
 * ascending per account); stops after `blocks` blocks or once maxMs is spent.
 */
export async function measureQosApp(opts: {
  readonly parentDir: string;
  readonly chainId: string;
  readonly appState: unknown;
  readonly tx: (n: number) => Uint8Array | undefined;
  readonly txsPerBlock: number;
  readonly blocks: number;
  readonly maxMs: number;
}): Promise<QosAppLimit> {
  const dir = mkdtempSync(join(opts.parentDir, "qos-bench-app-"));
  const db = openNodeDb({ path: join(dir, "node-db") });
  const app = createQosApp(
    { chainId: opts.chainId },
    { openStore: (storeNames) => openMultiStore({ db, storeNames }) },
  );
  try {
    const time = { seconds: 1_700_000_000n, nanos: 0 };
    await app.initChain({
      time,
      chainId: opts.chainId,
      consensusParams: {},
      validators: [],
      appStateBytes: utf8Encode(JSON.stringify(opts.appState)),
      initialHeight: 1n,
    });
    const hash = new Uint8Array(32);
    let checkMs = 0;
    let finalizeMs = 0;
    let txs = 0;
    let failed = 0;
    let firstFailure = "";
    let done = 0;
    const start = performance.now();
    for (let h = 1; h <= opts.blocks; h++) {
      const block: Uint8Array[] = [];
      for (let i = 0; i < opts.txsPerBlock; i++) {
        const tx = opts.tx(txs + i);
        if (tx === undefined) break;
        block.push(tx);
      }
      if (block.length === 0) break;
      const t0 = performance.now();
      for (const tx of block) await app.checkTx({ tx, type: "new" });
      const t1 = performance.now();
      const res = await app.finalizeBlock({
        txs: block,
        decidedLastCommit: NO_COMMIT,
        misbehavior: [],
        hash,
        height: BigInt(h),
        time: { seconds: time.seconds + BigInt(h), nanos: 0 },
        nextValidatorsHash: hash,
        proposerAddress: hash.subarray(0, 20),
      });
      db.writeBlock((batch) => app.persist(batch));
      await app.commit();
      const t2 = performance.now();
      for (const r of res.txResults) {
        if (r.code === 0) continue;
        failed++;
        if (firstFailure === "") firstFailure = `code ${r.code} ${r.codespace}: ${r.log}`;
      }
      checkMs += t1 - t0;
      finalizeMs += t2 - t1;
      txs += block.length;
      done = h;
      if (t2 - start > opts.maxMs) break;
    }
    return {
      txsPerBlock: opts.txsPerBlock,
      blocks: done,
      checkTxPerS: txs / (checkMs / 1000),
      finalizePerS: txs / (finalizeMs / 1000),
      bothPerS: txs / ((checkMs + finalizeMs) / 1000),
      failed,
      firstFailure,
    };
  } finally {
    await app.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
