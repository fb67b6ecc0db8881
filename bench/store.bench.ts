// @qos/store durability costs beside the disk's own limit: WAL appendSync (one fdatasync per
// record) next to raw writeSync + fdatasync/fsync of the same bytes in the same directory, and
// writeBlock (one synced LMDB transaction per block) next to a bare one-key LMDB commit.
// Run: npx vitest bench --run bench/store.bench.ts
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import {
  createBlockStore,
  createStateStore,
  encodeWalMessage,
  openNodeDb,
  openWAL,
  type SaveBlockInput,
} from "@qos/store";
import { open } from "lmdb";
import { afterAll, bench, describe } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "qos-store-bench-"));

const cpu = cpus();
console.log(
  `machine: ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}; files in ${dir}. ` +
    `"raw" rows are the same bytes written with plain fs calls: the disk's fsync ceiling.`,
);

// ~ a CometBFT precommit in the WAL (vote + peer id): 200 bytes.
const payload = Uint8Array.from({ length: 200 }, (_, i) => (i * 7) & 0xff);
const record = encodeWalMessage(payload);

const wal = openWAL({ dir: join(dir, "wal"), maxSegmentBytes: 64 * 1024 * 1024 });
const rawFd = openSync(join(dir, "raw.log"), "a");
const rawFd2 = openSync(join(dir, "raw2.log"), "a");

describe("WAL: one durable record (200-byte payload)", () => {
  bench("wal.appendSync (write + fdatasync)", () => {
    wal.appendSync(payload);
  });
  bench("raw fs.writeSync + fs.fdatasyncSync (same 209 bytes)", () => {
    writeSync(rawFd, record);
    fdatasyncSync(rawFd);
  });
  bench("raw fs.writeSync + fs.fsyncSync (same 209 bytes)", () => {
    writeSync(rawFd2, record);
    fsyncSync(rawFd2);
  });
});

describe("WAL: buffered record (no fsync)", () => {
  bench("wal.append", () => {
    wal.append(payload);
  });
  bench("raw fs.writeSync (same 209 bytes)", () => {
    writeSync(rawFd, record);
  });
});

const db = openNodeDb({ path: join(dir, "node-db") });
const blocks = createBlockStore(db);
const states = createStateStore(db);
const fill = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed) & 0xff);
const blockBody = fill(20 * 1024, 3);
const validators = fill(4 * 1024, 5); // ~ 40 validators
const state = fill(6 * 1024, 7);
let height = 0n;

function blockAt(h: bigint): SaveBlockInput {
  const hash = new Uint8Array(32);
  new DataView(hash.buffer).setBigUint64(0, h);
  return {
    height: h,
    hash,
    blockBytes: blockBody,
    parts: [blockBody],
    metaBytes: fill(300, 11),
    lastCommitBytes: h === 1n ? null : fill(40 * 110, 13), // 40 commit sigs
    seenCommitBytes: fill(40 * 110, 17),
  };
}

const rawEnv = open({ path: join(dir, "raw-lmdb"), overlappingSync: false, maxDbs: 4 });
const rawTable = rawEnv.openDB<Uint8Array, Uint8Array>({
  name: "t",
  keyEncoding: "binary",
  encoding: "binary",
});
let rawKey = 0;

describe("LMDB: one synced transaction per block", () => {
  bench("writeBlock: block 20 KB + 1 part + meta + commits + results + validators + state", () => {
    height += 1n;
    const input = blockAt(height);
    db.writeBlock((batch) => {
      blocks.saveBlock(batch, input);
      blocks.saveResults(batch, height, fill(512, 19));
      states.saveValidators(batch, height, validators);
      states.saveConsensusParams(batch, height, fill(100, 23));
      states.saveState(batch, state);
    });
  });
  bench("raw lmdb transactionSync with one 8-byte put (LMDB's commit floor)", () => {
    const key = new Uint8Array(8);
    new DataView(key.buffer).setUint32(4, rawKey++);
    rawEnv.transactionSync(() => {
      rawTable.putSync(key, key);
    });
  });
});

afterAll(async () => {
  wal.close();
  closeSync(rawFd);
  closeSync(rawFd2);
  await db.close();
  await rawEnv.close();
  rmSync(dir, { recursive: true, force: true });
});
