// Pre-flight check of an LMDB data file before lmdb-js opens it. lmdb-js 3.x crashes the
// process (SIGSEGV) when mdb_env_open fails on a file that is not LMDB, and an LMDB file
// cut short before a page its newest meta points to would SIGBUS on first read, so both are
// turned into errors here.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { storeError } from "./storeErrors.ts";

// Layout of a meta page on 64-bit builds of the LMDB that lmdb-js 3.x bundles (data format 2),
// read from its mdb.c (MDB_page_header, MDB_meta, MDB_db):
//   page header: pgno u64 @0, txnid u64 @8, pad u16 @16, flags u16 @18, lower/upper @20
//   meta @24: magic u32 @24, version u32 @28, address u64 @32, mapsize u64 @40,
//             dbs[2] (48 bytes each) @48 (dbs[0].md_pad = page size, u32 @48;
//             md_root u64 at +40: free-list root @88, main root @136),
//             last_pg u64 @144, txnid u64 @152
// last_pg is the highest page *allocated*, not the highest written: a page allocated and freed
// in one transaction is never written, so a healthy file may end before last_pg. The root
// pages of the newest meta are always written, so the file must reach the higher of them.
const P_META = 0x08;
const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
const OFF_FLAGS = 18;
const OFF_MAGIC = 24;
const OFF_VERSION = 28;
const OFF_PSIZE = 48;
const OFF_FREE_ROOT = 88;
const OFF_MAIN_ROOT = 136;
const OFF_LAST_PG = 144;
/** P_INVALID: the root of an empty database. */
const NO_PAGE = 0xffff_ffff_ffff_ffffn;
const OFF_TXNID = 152;
const META_BYTES = 160;

export interface LmdbMeta {
  readonly pageSize: number;
  readonly lastPage: bigint;
  /** The highest root page (free list or main database), or -1 when both are empty. */
  readonly highestRoot: bigint;
  readonly txnId: bigint;
}

/**
 * Checks `file` (an LMDB data.mdb) that exists and is not empty. Returns the newest meta, or
 * throws store_corrupt naming the file and what is wrong with it.
 */
export function checkLmdbDataFile(file: string): LmdbMeta {
  if (endianness() !== "LE") {
    // The on-disk layout is native-endian; the checks below are written for little-endian hosts.
    return { pageSize: 0, lastPage: 0n, highestRoot: -1n, txnId: 0n };
  }
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const first = readMeta(fd, file, 0, size);
    const second = readMeta(fd, file, first.pageSize, size);
    if (second.pageSize !== first.pageSize) {
      throw corrupt(file, "the two meta pages disagree on the page size");
    }
    const newest = second.txnId > first.txnId ? second : first;
    if (newest.highestRoot > newest.lastPage) {
      throw corrupt(
        file,
        `the newest meta page (txn ${newest.txnId}) has a root beyond its last page`,
      );
    }
    const needed = (newest.highestRoot + 1n) * BigInt(newest.pageSize);
    if (BigInt(size) < needed) {
      throw corrupt(
        file,
        `file is ${size} bytes but the root pages of its newest meta page (txn ${newest.txnId}) ` +
          `need ${needed} bytes: the file was truncated`,
      );
    }
    return newest;
  } finally {
    closeSync(fd);
  }
}

function readMeta(fd: number, file: string, offset: number, size: number): LmdbMeta {
  if (size < offset + META_BYTES) {
    throw corrupt(file, `file is ${size} bytes, too short for a meta page at offset ${offset}`);
  }
  const buf = new Uint8Array(META_BYTES);
  const got = readSync(fd, buf, 0, META_BYTES, offset);
  if (got !== META_BYTES) throw corrupt(file, `short read of the meta page at offset ${offset}`);
  const view = new DataView(buf.buffer);
  if (
    (view.getUint16(OFF_FLAGS, true) & P_META) === 0 ||
    view.getUint32(OFF_MAGIC, true) !== MDB_MAGIC
  ) {
    throw corrupt(file, `no LMDB meta page at offset ${offset}: not an LMDB data file`);
  }
  const version = view.getUint32(OFF_VERSION, true) & 0xffff;
  if (version !== MDB_DATA_VERSION) {
    throw corrupt(file, `LMDB data format ${version}, expected ${MDB_DATA_VERSION}`);
  }
  const pageSize = view.getUint32(OFF_PSIZE, true);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw corrupt(file, `meta page at offset ${offset} has an invalid page size ${pageSize}`);
  }
  let highestRoot = -1n;
  for (const off of [OFF_FREE_ROOT, OFF_MAIN_ROOT]) {
    const root = view.getBigUint64(off, true);
    if (root !== NO_PAGE && root > highestRoot) highestRoot = root;
  }
  return {
    pageSize,
    lastPage: view.getBigUint64(OFF_LAST_PG, true),
    highestRoot,
    txnId: view.getBigUint64(OFF_TXNID, true),
  };
}

function corrupt(file: string, why: string) {
  return storeError("store_corrupt", `LMDB data file ${file} is damaged: ${why}`, { file });
}
