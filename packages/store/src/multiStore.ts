// The multi-store: one versioned IAVL tree per module store, committed together as one version
// per block inside the caller's writeBlock, the app hash over their roots, read views of retained
// versions with two-step ICS-23 proofs, pruning, and snapshots (see tree/treeSnapshot.ts).

import { copyBytes, equalBytes, utf8Encode } from "@qos/types";
import type { KeyRange, KVEntry, KVReader, KVStore } from "./kvStore.ts";
import { multiStoreAppHash, storeRootProof } from "./multiStoreProof.ts";
import type { NodeDb, Table, WriteBatch } from "./nodeDb.ts";
import { storeError } from "./storeErrors.ts";
import { encodeBatchProof, encodeCommitmentProof } from "./tree/ics23Proof.ts";
import { ByteReader, EMPTY_TREE_HASH, HASH_BYTES, putUvarint } from "./tree/treeNode.ts";
import { exportMultiStoreSnapshot } from "./tree/treeSnapshot.ts";
import {
  openTreeTables,
  openVersionedTree,
  type TreeTables,
  type TreeView,
  type VersionedTree,
} from "./tree/versionedTree.ts";

export interface StoreProofOp {
  readonly type: string;
  readonly key: Uint8Array;
  readonly data: Uint8Array;
}

export interface StoreCommitInfo {
  readonly version: bigint;
  /** RFC-6962 root over (name, root) pairs sorted by name (multiStoreProof.ts). */
  readonly appHash: Uint8Array;
  readonly storeRoots: ReadonlyMap<string, Uint8Array>;
}

/** One retained committed version, read-only. */
export interface MultiStoreView {
  readonly version: bigint;
  readonly appHash: Uint8Array;
  readonly storeRoots: ReadonlyMap<string, Uint8Array>;
  store(name: string): KVReader;
  /** value (undefined if absent) with proof ops [ics23:iavl (key=key), ics23:simple (key=store name)] */
  prove(
    name: string,
    key: Uint8Array,
  ): { readonly value: Uint8Array | undefined; readonly proofOps: readonly StoreProofOp[] };
  /**
   * Proof ops of a read set in one store: [ics23:iavl (empty key; an ICS-23 batch with an
   * existence or non-existence proof of each key, in order), ics23:simple (key=store name)].
   * An empty store gets an empty batch (its root is the empty tree's).
   */
  proveKeys(name: string, keys: readonly Uint8Array[]): readonly StoreProofOp[];
}

export interface MultiStore {
  readonly storeNames: readonly string[];
  /** Last committed version (0n before the first commit) and its info. */
  readonly lastCommit: StoreCommitInfo;
  /** The working (uncommitted) state of one module's store; writes accumulate until commit. */
  working(name: string): KVStore;
  /** Roots and app hash of the working state (hashes dirty nodes; no I/O); cheap to call twice. */
  workingCommitInfo(): StoreCommitInfo;
  /** Writes the working state as version lastCommit.version+1 inside the caller's writeBlock. */
  commit(batch: WriteBatch): StoreCommitInfo;
  /** Drops uncommitted working changes. */
  discardWorking(): void;
  /** A read view of a retained version (default latest); store_version_pruned / store_invalid_argument otherwise. */
  at(version?: bigint): MultiStoreView;
  /** Versions still readable, ascending. */
  retainedVersions(): readonly bigint[];
  /** The snapshot stream of a retained version (format: tree/treeSnapshot.ts). */
  exportSnapshot(version: bigint): Iterable<Uint8Array>;
  close(): void;
}

export interface MultiStoreOptions {
  readonly db: NodeDb;
  readonly storeNames: readonly string[];
  /** Keep the most recent N versions (0 = keep every version). */
  readonly keepRecent?: number;
  /** Also keep every version divisible by M (0 = none beyond keepRecent). */
  readonly keepEvery?: number;
  /** Decoded nodes cached per store (default 200,000). */
  readonly cacheSize?: number;
  /** The version of the first commit (a chain whose genesis initial_height is > 1). */
  readonly initialVersion?: bigint;
}

/** prefix-free table of the multi-store: version (8 BE) → commit record. */
export const MULTI_STORE_COMMITS_TABLE = "tree/commits";

export const ICS23_IAVL_OP = "ics23:iavl";
export const ICS23_SIMPLE_OP = "ics23:simple";

export function openMultiStore(opts: MultiStoreOptions): MultiStore {
  return new MultiStoreImpl(opts);
}

function versionKey(version: bigint): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, version, false);
  return key;
}

function readVersionKey(key: Uint8Array): bigint {
  return new DataView(key.buffer, key.byteOffset, 8).getBigUint64(0, false);
}

/** Commit record: uvarint(count) then per store uvarint(len name) ‖ name ‖ root (32). */
export function encodeCommitRecord(roots: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const names = Array.from(roots.keys(), (n) => utf8Encode(n));
  let size = 10;
  for (const n of names) size += 10 + n.length + HASH_BYTES;
  const out = new Uint8Array(size);
  let off = putUvarint(out, 0, roots.size);
  let i = 0;
  for (const root of roots.values()) {
    const name = names[i++] as Uint8Array;
    off = putUvarint(out, off, name.length);
    out.set(name, off);
    off += name.length;
    out.set(root, off);
    off += HASH_BYTES;
  }
  return out.slice(0, off);
}

export function decodeCommitRecord(bytes: Uint8Array): Map<string, Uint8Array> {
  const r = new ByteReader(bytes);
  const count = r.uvarint();
  const roots = new Map<string, Uint8Array>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < count; i++) {
    const name = decoder.decode(r.bytes(r.uvarint()));
    roots.set(name, copyBytes(r.bytes(HASH_BYTES)));
  }
  if (r.off !== bytes.length)
    throw storeError("store_corrupt", "trailing bytes in a commit record");
  return roots;
}

function commitInfo(version: bigint, roots: Map<string, Uint8Array>): StoreCommitInfo {
  return { version, appHash: multiStoreAppHash(roots), storeRoots: roots };
}

const EMPTY_READER: KVReader = {
  get: () => undefined,
  has: () => false,
  iterate: () => [],
};

interface PendingCommit {
  readonly version: bigint;
  readonly batch: WriteBatch;
  readonly prevCommit: StoreCommitInfo;
  readonly prevCaughtUp: boolean;
  readonly committed: VersionedTree[];
}

class MultiStoreImpl implements MultiStore {
  readonly storeNames: readonly string[];
  private last: StoreCommitInfo;
  pruneGeneration = 0;
  private readonly db: NodeDb;
  private readonly tables: TreeTables;
  readonly commits: Table;
  private readonly trees = new Map<string, VersionedTree>();
  private readonly keepRecent: number;
  private readonly keepEvery: number;
  private readonly initialVersion: bigint;
  private pending: PendingCommit | null = null;
  private caughtUp = false;
  private closed = false;

  constructor(opts: MultiStoreOptions) {
    this.db = opts.db;
    const names = [...opts.storeNames];
    if (new Set(names).size !== names.length) {
      throw storeError("store_invalid_argument", "store names must be unique");
    }
    this.storeNames = Object.freeze(names);
    this.keepRecent = checkCount(opts.keepRecent ?? 0, "keepRecent");
    this.keepEvery = checkCount(opts.keepEvery ?? 0, "keepEvery");
    this.initialVersion = opts.initialVersion ?? 1n;
    if (this.initialVersion < 1n) {
      throw storeError("store_invalid_argument", "initialVersion must be >= 1");
    }
    this.tables = openTreeTables(opts.db);
    this.commits = opts.db.table(MULTI_STORE_COMMITS_TABLE);
    const lastKey = this.commits.lastKey();
    const last = lastKey === undefined ? 0n : readVersionKey(lastKey);
    for (const name of names) {
      this.trees.set(
        name,
        openVersionedTree({
          db: opts.db,
          name,
          tables: this.tables,
          ...(opts.cacheSize !== undefined ? { cacheSize: opts.cacheSize } : {}),
          initialVersion: this.initialVersion,
          lastVersion: last,
        }),
      );
    }
    if (last === 0n) {
      this.last = commitInfo(0n, new Map(names.map((n) => [n, EMPTY_TREE_HASH])));
    } else {
      this.last = commitInfo(last, this.readRecord(last));
    }
  }

  get lastCommit(): StoreCommitInfo {
    this.settle();
    return this.last;
  }

  private readRecord(version: bigint): Map<string, Uint8Array> {
    const rec = this.commits.get(versionKey(version));
    if (rec === undefined) throw this.notRetained(version);
    return decodeCommitRecord(rec);
  }

  notRetained(version: bigint): Error {
    const last = this.last.version;
    if (version > last || version < 1n) {
      return storeError(
        "store_invalid_argument",
        `no version ${version} in the multi-store (last committed ${last})`,
        { version: String(version) },
      );
    }
    return storeError("store_version_pruned", `multi-store version ${version} was pruned`, {
      version: String(version),
    });
  }

  private assertOpen(): void {
    if (this.closed) throw storeError("store_closed", "the multi-store is closed");
  }

  /** Confirms or rolls back (in memory) a commit whose writeBlock has ended. */
  private settle(): void {
    this.assertOpen();
    const p = this.pending;
    if (p === null || p.batch.live) return;
    this.pending = null;
    if (this.commits.has(versionKey(p.version))) return;
    for (const tree of p.committed) tree.revertCommit();
    this.last = p.prevCommit;
    this.caughtUp = p.prevCaughtUp;
  }

  tree(name: string): VersionedTree {
    const tree = this.trees.get(name);
    if (tree === undefined) {
      throw storeError("store_invalid_argument", `no store named ${JSON.stringify(name)}`);
    }
    return tree;
  }

  working(name: string): KVStore {
    this.settle();
    return this.tree(name).working;
  }

  workingCommitInfo(): StoreCommitInfo {
    this.settle();
    const roots = new Map<string, Uint8Array>();
    for (const [name, tree] of this.trees) roots.set(name, tree.workingHash());
    return commitInfo(this.nextVersion(), roots);
  }

  private nextVersion(): bigint {
    const last = this.last.version;
    return last === 0n ? this.initialVersion : last + 1n;
  }

  commit(batch: WriteBatch): StoreCommitInfo {
    this.settle();
    if (this.pending !== null) {
      throw storeError("store_batch_misuse", "commit called twice in one writeBlock");
    }
    const version = this.nextVersion();
    const committed: VersionedTree[] = [];
    this.pending = {
      version,
      batch,
      prevCommit: this.last,
      prevCaughtUp: this.caughtUp,
      committed,
    };
    const roots = new Map<string, Uint8Array>();
    for (const [name, tree] of this.trees) {
      const result = tree.commit(batch);
      committed.push(tree);
      if (result.version !== version) {
        throw storeError(
          "store_corrupt",
          `store ${name} committed version ${result.version}, expected ${version}`,
        );
      }
      roots.set(name, result.hash);
    }
    this.commits.put(batch, versionKey(version), encodeCommitRecord(roots));
    const info = commitInfo(version, roots);
    this.last = info;
    this.prune(batch, version);
    return info;
  }

  /** keepRecent N / keepEvery M: version X ≤ V − N goes unless M divides it. */
  private prune(batch: WriteBatch, version: bigint): void {
    if (this.keepRecent === 0) return;
    const limit = version - BigInt(this.keepRecent);
    if (limit < 1n) return;
    const kept = (x: bigint) => this.keepEvery > 0 && x % BigInt(this.keepEvery) === 0n;
    const victims: bigint[] = [];
    if (!this.caughtUp) {
      // first commit since open: the options may have changed, look at every older version
      for (const key of this.commits.keys({ lt: versionKey(limit + 1n) })) {
        const x = readVersionKey(key);
        if (!kept(x)) victims.push(x);
      }
      this.caughtUp = true;
    } else if (!kept(limit) && this.commits.has(versionKey(limit))) {
      victims.push(limit);
    }
    for (const x of victims) {
      this.pruneGeneration++;
      for (const tree of this.trees.values()) tree.deleteVersion(batch, x);
      this.commits.remove(batch, versionKey(x));
    }
  }

  discardWorking(): void {
    this.settle();
    for (const tree of this.trees.values()) tree.discardWorking();
  }

  at(version?: bigint): MultiStoreView {
    this.settle();
    const v = version ?? this.last.version;
    if (typeof v !== "bigint" || v < 1n || v > this.last.version) {
      throw this.notRetained(typeof v === "bigint" ? v : 0n);
    }
    const roots = v === this.last.version ? this.last.storeRoots : this.readRecord(v);
    return new MultiStoreViewImpl(this, v, roots);
  }

  retainedVersions(): readonly bigint[] {
    this.settle();
    return Array.from(this.commits.keys(), readVersionKey);
  }

  exportSnapshot(version: bigint): Iterable<Uint8Array> {
    const view = this.at(version);
    return exportMultiStoreSnapshot(
      view.version,
      view.appHash,
      Array.from(view.storeRoots.keys())
        .sort()
        .map((name) => ({ name, view: this.tree(name).at(view.version) })),
    );
  }

  /** Throws store_version_pruned when `version` is gone since `generation`; returns the current one. */
  checkRetained(version: bigint, generation: number): number {
    this.assertOpen();
    if (generation === this.pruneGeneration) return generation;
    if (!this.commits.has(versionKey(version))) throw this.notRetained(version);
    return this.pruneGeneration;
  }

  close(): void {
    this.closed = true;
  }
}

function checkCount(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw storeError("store_invalid_argument", `${what} must be a non-negative integer`);
  }
  return n;
}

class MultiStoreViewImpl implements MultiStoreView {
  readonly version: bigint;
  readonly appHash: Uint8Array;
  readonly storeRoots: ReadonlyMap<string, Uint8Array>;
  private readonly owner: MultiStoreImpl;
  private readonly views = new Map<string, TreeView>();
  /** The `ics23:simple` op of each store proven so far: the roots of a view never change. */
  private readonly simpleProofs = new Map<string, { key: Uint8Array; data: Uint8Array }>();
  private generation: number;

  constructor(owner: MultiStoreImpl, version: bigint, roots: ReadonlyMap<string, Uint8Array>) {
    this.owner = owner;
    this.version = version;
    this.storeRoots = roots;
    this.appHash = multiStoreAppHash(roots);
    this.generation = owner.pruneGeneration;
  }

  private ensure(): void {
    this.generation = this.owner.checkRetained(this.version, this.generation);
  }

  private treeView(name: string): TreeView | null {
    this.ensure();
    const tree = this.owner.tree(name);
    if (!this.storeRoots.has(name)) return null; // a store added after this version: empty
    let view = this.views.get(name);
    if (view === undefined) {
      view = tree.at(this.version);
      this.views.set(name, view);
    }
    return view;
  }

  store(name: string): KVReader {
    const first = this.treeView(name);
    if (first === null) return EMPTY_READER;
    const self = this;
    return {
      get(key: Uint8Array) {
        self.ensure();
        return first.get(key);
      },
      has(key: Uint8Array) {
        self.ensure();
        return first.has(key);
      },
      iterate(range?: KeyRange): Iterable<KVEntry> {
        self.ensure();
        return first.iterate(range);
      },
    };
  }

  prove(
    name: string,
    key: Uint8Array,
  ): { readonly value: Uint8Array | undefined; readonly proofOps: readonly StoreProofOp[] } {
    const { value, proofBytes } = this.provableView(name).proveBytes(key);
    return {
      value,
      proofOps: [{ type: ICS23_IAVL_OP, key: copyBytes(key), data: proofBytes }, this.rootOp(name)],
    };
  }

  proveKeys(name: string, keys: readonly Uint8Array[]): readonly StoreProofOp[] {
    const view = this.provableView(name);
    const root = this.storeRoots.get(name);
    const empty = root !== undefined && equalBytes(root, EMPTY_TREE_HASH);
    const entries = empty ? [] : keys.map((k) => view.proveBytes(k).proofBytes);
    return [
      { type: ICS23_IAVL_OP, key: new Uint8Array(), data: encodeBatchProof(entries) },
      this.rootOp(name),
    ];
  }

  /** The tree view of store `name`, which must exist at this version to be proven. */
  private provableView(name: string): TreeView {
    const view = this.treeView(name);
    if (view === null) {
      throw storeError("store_invalid_argument", `store ${name} did not exist at ${this.version}`);
    }
    return view;
  }

  /** The `ics23:simple` op proving store `name`'s root in the app hash. */
  private rootOp(name: string): StoreProofOp {
    let simple = this.simpleProofs.get(name);
    if (simple === undefined) {
      const exist = storeRootProof(this.storeRoots, name);
      if (exist === undefined) throw storeError("store_corrupt", `no root for store ${name}`);
      simple = { key: utf8Encode(name), data: encodeCommitmentProof({ exist }) };
      this.simpleProofs.set(name, simple);
    }
    return { type: ICS23_SIMPLE_OP, key: copyBytes(simple.key), data: copyBytes(simple.data) };
  }
}
