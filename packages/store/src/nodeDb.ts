// The node's one LMDB environment (data dir): named tables (LMDB sub-databases) and
// writeBlock, the single synchronous, durable LMDB transaction a block's writes share.

import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { compareBytes, utf8Decode, utf8Encode } from "@qos/types";
import { type Database, open, type RootDatabase } from "lmdb";
import { checkLmdbDataFile } from "./lmdbDataFile.ts";
import { storeError } from "./storeErrors.ts";

/** Layout version written at creation; a data dir with another one is refused. */
export const NODE_DB_SCHEMA = "qos-store/1";

/**
 * Table names in use. Names are `<owner>/<table>`: `block/*` (block store), `state/*`
 * (state store), `meta/*` (this file); the versioned state tree will take `tree/*`.
 */
export const NODE_DB_TABLES = {
  meta: "meta/info",
  blockMeta: "block/meta",
  blockBody: "block/body",
  blockPart: "block/part",
  blockCommit: "block/commit",
  blockSeenCommit: "block/seen-commit",
  blockResults: "block/results",
  blockHashToHeight: "block/hash-height",
  blockHeightToHash: "block/height-hash",
  stateValidators: "state/validators",
  stateConsensusParams: "state/consensus-params",
  stateCurrent: "state/current",
} as const;

/** LMDB's default maximum key size (lmdb-js 3.x without a larger pageSize). */
export const MAX_KEY_BYTES = 1978;
const MAX_TABLES = 64;
const TABLE_NAME = /^[a-z0-9][a-z0-9_.-]*\/[a-z0-9][a-z0-9_.-]*$/;
const SCHEMA_KEY = utf8Encode("schema");

/**
 * Proof that code runs inside `writeBlock`: every write takes one. It is dead once its
 * writeBlock callback returns, and using it after that (or from another NodeDb) is a bug.
 */
export interface WriteBatch {
  readonly db: NodeDb;
  /** True while the writeBlock callback that received this batch is running. */
  readonly live: boolean;
}

export interface TableRange {
  /** Lowest key included. */
  readonly gte?: Uint8Array;
  /** Keys below this one only. */
  readonly lt?: Uint8Array;
  /** Descending key order. */
  readonly reverse?: boolean;
  readonly limit?: number;
}

export interface TableEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** One named LMDB sub-database with binary keys (byte order) and binary values. */
export interface Table {
  readonly name: string;
  get(key: Uint8Array): Uint8Array | undefined;
  has(key: Uint8Array): boolean;
  /** Keys of the range in byte order (or reversed); lazy. */
  keys(range?: TableRange): Iterable<Uint8Array>;
  entries(range?: TableRange): Iterable<TableEntry>;
  /** First key in byte order, if any. */
  firstKey(): Uint8Array | undefined;
  lastKey(): Uint8Array | undefined;
  put(batch: WriteBatch, key: Uint8Array, value: Uint8Array): void;
  /** True when the key existed. */
  remove(batch: WriteBatch, key: Uint8Array): boolean;
}

export interface NodeDb {
  readonly path: string;
  readonly closed: boolean;
  /**
   * The table `name`, created on first use. Call it at startup, not inside writeBlock
   * (creating a sub-database needs its own transaction).
   */
  table(name: string): Table;
  /**
   * Runs `fn` in one LMDB write transaction and commits it. On return the commit is on disk:
   * the data pages were fdatasync'ed and the meta page written with O_DSYNC (LMDB's default
   * sync mode; lmdb-js `overlappingSync` is off). If `fn` throws, nothing is written and the
   * error is rethrown. Reads inside `fn` see its own writes. `fn` must be synchronous.
   */
  writeBlock<T>(fn: (batch: WriteBatch) => T): T;
  /** Flushes and closes the environment. Further use throws store_closed. */
  close(): Promise<void>;
}

export interface NodeDbOptions {
  /** The LMDB environment directory (data.mdb and lock.mdb live in it). */
  readonly path: string;
  /** Initial map size in bytes; lmdb-js grows the map by itself when it is not set. */
  readonly mapSize?: number;
}

/**
 * Opens (creating if needed) the node's LMDB environment at `opts.path`. A path that cannot be
 * used gives store_open_failed, a damaged data file store_corrupt, another layout version
 * store_schema_mismatch; none of them crash the process.
 */
export function openNodeDb(opts: NodeDbOptions): NodeDb {
  const path = opts.path;
  prepareDir(path);
  const dataFile = join(path, "data.mdb");
  if (existsSync(dataFile)) {
    const stat = statSync(dataFile);
    if (!stat.isFile()) {
      throw storeError("store_open_failed", `${dataFile} is not a regular file`, { path });
    }
    if (stat.size > 0) checkLmdbDataFile(dataFile);
  }
  let root: RootDatabase;
  try {
    root = open({
      path,
      maxDbs: MAX_TABLES,
      overlappingSync: false,
      noSync: false,
      noMetaSync: false,
      ...(opts.mapSize !== undefined ? { mapSize: opts.mapSize } : {}),
    });
  } catch (cause) {
    throw storeError(
      "store_open_failed",
      `cannot open LMDB environment at ${path}: ${errText(cause)}`,
      {
        path,
      },
    );
  }
  const db = new NodeDbImpl(path, root);
  try {
    db.checkSchema();
  } catch (error) {
    void root.close();
    throw error;
  }
  return db;
}

function prepareDir(path: string): void {
  try {
    if (existsSync(path)) {
      if (!statSync(path).isDirectory()) {
        throw storeError("store_open_failed", `${path} exists and is not a directory`, { path });
      }
    } else {
      mkdirSync(path, { recursive: true });
    }
  } catch (cause) {
    if (cause instanceof Error && cause.name === "QosError") throw cause;
    throw storeError("store_open_failed", `cannot create data dir ${path}: ${errText(cause)}`, {
      path,
    });
  }
}

class Batch implements WriteBatch {
  readonly db: NodeDbImpl;
  live = true;
  constructor(db: NodeDbImpl) {
    this.db = db;
  }
}

class NodeDbImpl implements NodeDb {
  readonly path: string;
  closed = false;
  private readonly root: RootDatabase;
  private readonly tables = new Map<string, TableImpl>();
  private active: Batch | null = null;

  constructor(path: string, root: RootDatabase) {
    this.path = path;
    this.root = root;
  }

  checkSchema(): void {
    const meta = this.table(NODE_DB_TABLES.meta);
    const stored = meta.get(SCHEMA_KEY);
    if (stored === undefined) {
      this.writeBlock((batch) => meta.put(batch, SCHEMA_KEY, utf8Encode(NODE_DB_SCHEMA)));
      return;
    }
    const text = utf8Decode(stored);
    if (text !== NODE_DB_SCHEMA) {
      throw storeError(
        "store_schema_mismatch",
        `data dir ${this.path} has layout ${JSON.stringify(text)}, this build reads ${NODE_DB_SCHEMA}`,
        { path: this.path, found: text, expected: NODE_DB_SCHEMA },
      );
    }
  }

  assertOpen(): void {
    if (this.closed) throw storeError("store_closed", `node db ${this.path} is closed`);
  }

  assertBatch(batch: WriteBatch): void {
    this.assertOpen();
    if (batch !== this.active || !(batch instanceof Batch) || !batch.live) {
      throw storeError(
        "store_batch_misuse",
        "write outside its writeBlock callback (or with a batch of another NodeDb)",
      );
    }
  }

  table(name: string): Table {
    this.assertOpen();
    const existing = this.tables.get(name);
    if (existing) return existing;
    if (!TABLE_NAME.test(name)) {
      throw storeError(
        "store_invalid_argument",
        `bad table name ${JSON.stringify(name)}: use owner/table`,
      );
    }
    if (this.active) {
      throw storeError(
        "store_batch_misuse",
        `table ${name} opened inside writeBlock; open tables at startup`,
      );
    }
    let dbi: Database<Uint8Array, Uint8Array>;
    try {
      dbi = this.root.openDB<Uint8Array, Uint8Array>(name, {
        keyEncoding: "binary",
        encoding: "binary",
      });
    } catch (cause) {
      throw storeError(
        "store_open_failed",
        `cannot open table ${name} in ${this.path}: ${errText(cause)}`,
        {
          path: this.path,
          table: name,
        },
      );
    }
    const table = new TableImpl(this, name, dbi);
    this.tables.set(name, table);
    return table;
  }

  writeBlock<T>(fn: (batch: WriteBatch) => T): T {
    this.assertOpen();
    if (this.active) throw storeError("store_batch_misuse", "writeBlock called inside writeBlock");
    const batch = new Batch(this);
    this.active = batch;
    try {
      return this.root.transactionSync(() => {
        const result = fn(batch);
        if (isThenable(result)) {
          throw storeError("store_batch_misuse", "the writeBlock callback must be synchronous");
        }
        return result;
      });
    } finally {
      batch.live = false;
      this.active = null;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.active) throw storeError("store_batch_misuse", "close() inside writeBlock");
    this.closed = true;
    await this.root.close();
  }
}

class TableImpl implements Table {
  readonly name: string;
  private readonly owner: NodeDbImpl;
  private readonly dbi: Database<Uint8Array, Uint8Array>;

  constructor(owner: NodeDbImpl, name: string, dbi: Database<Uint8Array, Uint8Array>) {
    this.owner = owner;
    this.name = name;
    this.dbi = dbi;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.owner.assertOpen();
    const value = this.dbi.get(key);
    return value === undefined ? undefined : asUint8Array(value);
  }

  has(key: Uint8Array): boolean {
    this.owner.assertOpen();
    return this.dbi.doesExist(key);
  }

  keys(range: TableRange = {}): Iterable<Uint8Array> {
    this.owner.assertOpen();
    return mapIterable(this.rawRange(range, false), (e) => e.key);
  }

  entries(range: TableRange = {}): Iterable<TableEntry> {
    this.owner.assertOpen();
    return this.rawRange(range, true);
  }

  firstKey(): Uint8Array | undefined {
    for (const key of this.keys({ limit: 1 })) return key;
    return undefined;
  }

  lastKey(): Uint8Array | undefined {
    for (const key of this.keys({ reverse: true, limit: 1 })) return key;
    return undefined;
  }

  put(batch: WriteBatch, key: Uint8Array, value: Uint8Array): void {
    this.owner.assertBatch(batch);
    checkKey(key);
    this.dbi.putSync(key, value);
  }

  remove(batch: WriteBatch, key: Uint8Array): boolean {
    this.owner.assertBatch(batch);
    checkKey(key);
    return this.dbi.removeSync(key);
  }

  private *rawRange(range: TableRange, withValues: boolean): Generator<TableEntry> {
    const { gte, lt, reverse = false, limit } = range;
    if (limit !== undefined && limit <= 0) return;
    // lmdb-js: forward ranges are [start, end); reverse ones start at the greatest key <= start
    // (exclusiveStart: < start) and stop before `end`. The lower bound is checked here so that
    // `gte` stays inclusive in both directions.
    const options = reverse
      ? { reverse: true, ...(lt ? { start: lt, exclusiveStart: true } : {}) }
      : { ...(gte ? { start: gte } : {}), ...(lt ? { end: lt } : {}) };
    let count = 0;
    const source = withValues ? this.dbi.getRange(options) : this.dbi.getKeys(options);
    for (const item of source as Iterable<unknown>) {
      const key = asUint8Array(
        withValues ? (item as { key: Uint8Array }).key : (item as Uint8Array),
      );
      if (reverse && gte && compareBytes(key, gte) < 0) return;
      const value = withValues ? asUint8Array((item as { value: Uint8Array }).value) : EMPTY;
      yield { key, value };
      count++;
      if (limit !== undefined && count >= limit) return;
    }
  }
}

const EMPTY = new Uint8Array(0);

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > MAX_KEY_BYTES) {
    throw storeError("store_invalid_argument", `table keys are 1..${MAX_KEY_BYTES} bytes`);
  }
}

/** lmdb-js hands out Buffers (fresh copies for get/getRange); callers get plain Uint8Array views. */
function asUint8Array(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function* mapIterable<A, B>(source: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const a of source) yield f(a);
}

function isThenable(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function errText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
