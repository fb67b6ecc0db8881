// The versioned, authenticated key-value tree of one store, in the IAVL format (cosmos/iavl v1:
// AVL shape, node hashing, one version per commit): working tree, commit, historical views,
// ICS-23 proofs, pruning by orphan records. Persisted in the node's LMDB env, tables tree/*.

import { compareBytes, copyBytes, utf8Encode } from "@qos/types";
import type { KeyRange, KVEntry, KVReader, KVStore } from "../kvStore.ts";
import type { NodeDb, Table, WriteBatch } from "../nodeDb.ts";
import { storeError } from "../storeErrors.ts";
import {
  encodeCommitmentProof,
  encodeIavlProof,
  IavlPath,
  ICS23_HASH_OP,
  ICS23_LENGTH_OP,
  type Ics23CommitmentProof,
  type Ics23ExistenceProof,
  type Ics23InnerOp,
} from "./ics23Proof.ts";
import { NodeCache, nodeCacheKey } from "./nodeCache.ts";
import {
  decodeNode,
  EMPTY_TREE_HASH,
  encodeNode,
  HASH_BYTES,
  innerHash,
  leafHash,
  putZigzag,
  TreeNode,
} from "./treeNode.ts";

/** The tables every tree of the environment shares; keys start with the tree's name prefix. */
export const TREE_TABLE_NAMES = {
  /** prefix ‖ version (8 BE) ‖ nonce (4 BE) → node record (treeNode.ts encodeNode). */
  nodes: "tree/nodes",
  /** prefix ‖ version (8 BE) → root hash (32) ‖ root node version (8 BE) ‖ nonce (4 BE); hash only when empty. */
  roots: "tree/roots",
  /** prefix ‖ last live version (8 BE) ‖ seq (4 BE) → node keys (version 8 BE ‖ nonce 4 BE)*. */
  orphans: "tree/orphans",
} as const;

export interface TreeTables {
  readonly nodes: Table;
  readonly roots: Table;
  readonly orphans: Table;
}

/** Opens (creating) the tree tables; call at startup, never inside writeBlock. */
export function openTreeTables(db: NodeDb): TreeTables {
  return {
    nodes: db.table(TREE_TABLE_NAMES.nodes),
    roots: db.table(TREE_TABLE_NAMES.roots),
    orphans: db.table(TREE_TABLE_NAMES.orphans),
  };
}

export interface VersionedTreeOptions {
  readonly db: NodeDb;
  /** 1..64 characters of [A-Za-z0-9_.-]; the key prefix of this tree in the shared tables. */
  readonly name: string;
  readonly tables?: TreeTables;
  /** Decoded persisted nodes kept in memory (default 200,000; 0 disables the cache). */
  readonly cacheSize?: number;
  /** The first version committed when the tree has none (default 1). */
  readonly initialVersion?: bigint;
  /**
   * The owner's last committed version (the multi-store's). The tree must have a root at it,
   * or no root at all (a store added later: empty, next commit is lastVersion + 1).
   */
  readonly lastVersion?: bigint;
}

/** A value with its ICS-23 proof (`cosmos.ics23.v1.CommitmentProof` bytes) against a tree root. */
export interface TreeProof {
  readonly value: Uint8Array | undefined;
  readonly proof: Ics23CommitmentProof;
  readonly proofBytes: Uint8Array;
}

/** One retained committed version, read-only. */
export interface TreeView extends KVReader {
  readonly version: bigint;
  readonly hash: Uint8Array;
  /** Number of keys. */
  readonly size: number;
  /** Existence proof if the key is present, else a non-existence proof (neighbours). */
  prove(key: Uint8Array): TreeProof;
  /** The same proof as `prove`, as bytes only (no plain-data ops built). */
  proveBytes(key: Uint8Array): {
    readonly value: Uint8Array | undefined;
    readonly proofBytes: Uint8Array;
  };
  /** The nodes in post-order (snapshots); throws store_version_pruned if pruned meanwhile. */
  exportNodes(): Iterable<ExportedNode>;
}

/** A node as exported in post-order (snapshots). Leaves have height 0 and a value. */
export interface ExportedNode {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
  readonly version: number;
  readonly height: number;
}

export interface VersionedTree {
  readonly name: string;
  /** Last committed version (0n before the first commit) and its root hash. */
  readonly lastVersion: bigint;
  readonly lastHash: Uint8Array;
  /** The version the next commit writes. */
  readonly nextVersion: bigint;
  /** The working (uncommitted) state; writes accumulate until commit. */
  readonly working: KVStore;
  /** Root hash of the working state: hashes dirty nodes once, no I/O. */
  workingHash(): Uint8Array;
  /** Writes the working state as `nextVersion` inside the caller's writeBlock. */
  commit(batch: WriteBatch): { readonly version: bigint; readonly hash: Uint8Array };
  discardWorking(): void;
  /** Undoes the in-memory effect of the last commit (its writeBlock was rolled back). */
  revertCommit(): void;
  at(version?: bigint): TreeView;
  hasVersion(version: bigint): boolean;
  /** Retained versions, ascending. */
  versions(): bigint[];
  /** Removes a version and the nodes only it referenced (not the latest one). */
  deleteVersion(batch: WriteBatch, version: bigint): boolean;
  /** The nodes of a retained version in post-order. */
  exportNodes(version: bigint): Iterable<ExportedNode>;
  /** Bumped by every deleteVersion: views re-check that their version survives. */
  readonly pruneGeneration: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_TREE_KEY = 65535;
const ORPHANS_PER_RECORD = 4096;
const NODE_REF_BYTES = 12;
const MAX_VERSION = 2 ** 53 - 1;

export function openVersionedTree(opts: VersionedTreeOptions): VersionedTree {
  return new TreeImpl(opts);
}

function versionNumber(version: bigint, what = "version"): number {
  if (typeof version !== "bigint" || version < 1n || version > BigInt(MAX_VERSION)) {
    throw storeError("store_invalid_argument", `${what} must be a bigint in [1, 2^53-1]`, {
      [what]: String(version),
    });
  }
  return Number(version);
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > MAX_TREE_KEY) {
    throw storeError("store_invalid_argument", `tree keys are 1..${MAX_TREE_KEY} bytes`);
  }
}

function writeU64(buf: Uint8Array, off: number, n: number): void {
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  buf[off] = hi >>> 24;
  buf[off + 1] = (hi >>> 16) & 0xff;
  buf[off + 2] = (hi >>> 8) & 0xff;
  buf[off + 3] = hi & 0xff;
  writeU32(buf, off + 4, lo);
}

function writeU32(buf: Uint8Array, off: number, n: number): void {
  buf[off] = n >>> 24;
  buf[off + 1] = (n >>> 16) & 0xff;
  buf[off + 2] = (n >>> 8) & 0xff;
  buf[off + 3] = n & 0xff;
}

function readU32(buf: Uint8Array, off: number): number {
  return (
    (buf[off] as number) * 0x1000000 +
    (((buf[off + 1] as number) << 16) | ((buf[off + 2] as number) << 8) | (buf[off + 3] as number))
  );
}

function readU64(buf: Uint8Array, off: number): number {
  return readU32(buf, off) * 0x100000000 + readU32(buf, off + 4);
}

class TreeImpl implements VersionedTree {
  readonly name: string;
  readonly working: KVStore;
  pruneGeneration = 0;
  private readonly tables: TreeTables;
  private readonly prefix: Uint8Array;
  private readonly cache: NodeCache;
  private readonly initialVersion: number;
  private last = 0;
  private committedRoot: TreeNode | null = null;
  private committedHash: Uint8Array = EMPTY_TREE_HASH;
  private root: TreeNode | null = null;
  /** Persisted nodes the working tree replaced: (version, nonce) pairs. */
  private orphans: number[] = [];
  private prev: { last: number; root: TreeNode | null; hash: Uint8Array } | null = null;
  // recursion outputs of set/remove (avoid allocating result objects)
  private updated = false;
  private removed = false;
  private newKey: Uint8Array | null = null;
  private readonly keyScratch: Uint8Array;
  // reused by proveBytes (synchronous, so one set per tree is enough)
  private readonly pathExist = new IavlPath();
  private readonly pathLeft = new IavlPath();
  private readonly pathRight = new IavlPath();

  constructor(opts: VersionedTreeOptions) {
    if (!NAME.test(opts.name)) {
      throw storeError("store_invalid_argument", `bad tree name ${JSON.stringify(opts.name)}`);
    }
    this.name = opts.name;
    const nameBytes = utf8Encode(opts.name);
    this.prefix = new Uint8Array(1 + nameBytes.length);
    this.prefix[0] = nameBytes.length;
    this.prefix.set(nameBytes, 1);
    this.keyScratch = new Uint8Array(this.prefix.length + 12);
    this.keyScratch.set(this.prefix);
    this.tables = opts.tables ?? openTreeTables(opts.db);
    this.cache = new NodeCache(opts.cacheSize ?? 200_000);
    this.initialVersion = versionNumber(opts.initialVersion ?? 1n, "initialVersion");
    if (opts.lastVersion !== undefined && opts.lastVersion !== 0n) {
      const v = versionNumber(opts.lastVersion, "lastVersion");
      if (this.tables.roots.has(this.rootKey(v))) {
        this.loadRoot(v);
      } else if (this.lastRootVersion() === 0) {
        this.last = v;
      } else {
        throw storeError(
          "store_corrupt",
          `tree ${this.name} has versions but no root at the store's version ${v}`,
        );
      }
    } else if (opts.lastVersion === undefined) {
      const v = this.lastRootVersion();
      if (v > 0) this.loadRoot(v);
    }
    this.working = {
      get: (key) => this.getFrom(this.root, key),
      has: (key) => this.getFrom(this.root, key) !== undefined,
      set: (key, value) => this.set(key, value),
      delete: (key) => this.remove(key),
      iterate: (range) => this.iterateFrom(this.root, range ?? {}, null),
    };
  }

  get lastVersion(): bigint {
    return BigInt(this.last);
  }

  get lastHash(): Uint8Array {
    return this.committedHash;
  }

  get nextVersion(): bigint {
    return BigInt(this.nextVersionNumber());
  }

  private nextVersionNumber(): number {
    return this.last > 0 ? this.last + 1 : this.initialVersion;
  }

  // --- keys ---------------------------------------------------------------------------------

  private rootKey(version: number): Uint8Array {
    const key = new Uint8Array(this.prefix.length + 8);
    key.set(this.prefix);
    writeU64(key, this.prefix.length, version);
    return key;
  }

  private orphanKey(version: number, seq: number): Uint8Array {
    const key = new Uint8Array(this.prefix.length + 12);
    key.set(this.prefix);
    writeU64(key, this.prefix.length, version);
    writeU32(key, this.prefix.length + 8, seq);
    return key;
  }

  /** Node key in a reused buffer: LMDB copies keys, so it is only valid until the next call. */
  private nodeKey(version: number, nonce: number): Uint8Array {
    writeU64(this.keyScratch, this.prefix.length, version);
    writeU32(this.keyScratch, this.prefix.length + 8, nonce);
    return this.keyScratch;
  }

  private lastRootVersion(): number {
    const end = this.rootKey(MAX_VERSION);
    for (const key of this.tables.roots.keys({
      gte: this.prefix,
      lt: end,
      reverse: true,
      limit: 1,
    })) {
      return readU64(key, this.prefix.length);
    }
    return 0;
  }

  private loadRoot(version: number): void {
    const { root, hash } = this.readRoot(version);
    this.last = version;
    this.committedRoot = root;
    this.committedHash = hash;
    this.root = root;
  }

  readRoot(version: number): { root: TreeNode | null; hash: Uint8Array } {
    const rec = this.tables.roots.get(this.rootKey(version));
    if (rec === undefined) throw this.notRetained(version);
    if (rec.length === HASH_BYTES) return { root: null, hash: rec };
    if (rec.length !== HASH_BYTES + NODE_REF_BYTES) {
      throw storeError("store_corrupt", `tree ${this.name}: bad root record at ${version}`);
    }
    const hash = rec.subarray(0, HASH_BYTES);
    const root = this.fetch(readU64(rec, HASH_BYTES), readU32(rec, HASH_BYTES + 8), hash);
    return { root, hash };
  }

  notRetained(version: number): Error {
    if (version > this.last || version < 1) {
      return storeError(
        "store_invalid_argument",
        `tree ${this.name} has no version ${version} (last committed ${this.last})`,
        { version },
      );
    }
    return storeError("store_version_pruned", `tree ${this.name}: version ${version} was pruned`, {
      version,
    });
  }

  // --- nodes --------------------------------------------------------------------------------

  private fetch(version: number, nonce: number, hash: Uint8Array | null): TreeNode {
    const ck = nodeCacheKey(version, nonce);
    const hit = this.cache.get(ck);
    if (hit !== undefined) return hit;
    const bytes = this.tables.nodes.get(this.nodeKey(version, nonce));
    if (bytes === undefined) {
      throw storeError("store_corrupt", `tree ${this.name}: node ${version}/${nonce} is missing`, {
        version,
        nonce,
      });
    }
    const node = decodeNode(bytes, version, nonce, hash as Uint8Array);
    this.cache.set(ck, node);
    return node;
  }

  leftOf(n: TreeNode): TreeNode {
    return n.left ?? this.fetch(n.lVersion, n.lNonce, n.lHash);
  }

  rightOf(n: TreeNode): TreeNode {
    return n.right ?? this.fetch(n.rVersion, n.rNonce, n.rHash);
  }

  private leftHeight(n: TreeNode): number {
    return n.left !== null ? n.left.height : n.lHeight;
  }

  private rightHeight(n: TreeNode): number {
    return n.right !== null ? n.right.height : n.rHeight;
  }

  private calcHeightAndSize(n: TreeNode): void {
    const lh = this.leftHeight(n);
    const rh = this.rightHeight(n);
    n.height = 1 + Math.max(lh, rh);
    n.size =
      (n.left !== null ? n.left.size : n.lSize) + (n.right !== null ? n.right.size : n.rSize);
  }

  /** The node's hash, computing it (and its dirty descendants') when the working tree changed it. */
  hashOf(n: TreeNode): Uint8Array {
    if (n.hash !== null) return n.hash;
    if (n.height === 0) {
      n.hash = leafHash(n.version, n.key, n.value as Uint8Array);
    } else {
      const l = n.left !== null ? this.hashOf(n.left) : (n.lHash as Uint8Array);
      const r = n.right !== null ? this.hashOf(n.right) : (n.rHash as Uint8Array);
      n.hash = innerHash(n.height, n.size, n.version, l, r);
    }
    return n.hash;
  }

  /** A node of the working version that may be changed in place; a persisted one is copied and orphaned. */
  private mutable(n: TreeNode): TreeNode {
    if (n.nonce === 0) {
      n.hash = null;
      return n;
    }
    this.orphan(n);
    return n.cloneAt(this.nextVersionNumber());
  }

  private orphan(n: TreeNode): void {
    if (n.nonce !== 0) this.orphans.push(n.version, n.nonce);
  }

  // --- reads --------------------------------------------------------------------------------

  getFrom(root: TreeNode | null, key: Uint8Array): Uint8Array | undefined {
    if (root === null) return undefined;
    let n = root;
    while (n.height > 0) n = compareBytes(key, n.key) < 0 ? this.leftOf(n) : this.rightOf(n);
    return compareBytes(key, n.key) === 0 ? (n.value as Uint8Array) : undefined;
  }

  *iterateFrom(
    root: TreeNode | null,
    range: KeyRange,
    ensure: (() => void) | null,
  ): Generator<KVEntry> {
    if (root === null) return;
    const { start, end, reverse = false } = range;
    const stack: TreeNode[] = [root];
    while (stack.length > 0) {
      if (ensure !== null) ensure();
      const n = stack.pop() as TreeNode;
      if (n.height === 0) {
        if (start !== undefined && compareBytes(n.key, start) < 0) continue;
        if (end !== undefined && compareBytes(n.key, end) >= 0) continue;
        yield { key: n.key, value: n.value as Uint8Array };
        continue;
      }
      // left subtree: keys < n.key; right subtree: keys >= n.key
      const goLeft = start === undefined || compareBytes(start, n.key) < 0;
      const goRight = end === undefined || compareBytes(n.key, end) < 0;
      if (reverse) {
        if (goLeft) stack.push(this.leftOf(n));
        if (goRight) stack.push(this.rightOf(n));
      } else {
        if (goRight) stack.push(this.rightOf(n));
        if (goLeft) stack.push(this.leftOf(n));
      }
    }
  }

  // --- writes (cosmos/iavl mutable_tree.go recursiveSet / recursiveRemove / balance) ---------

  private set(key: Uint8Array, value: Uint8Array): void {
    checkKey(key);
    if (!(value instanceof Uint8Array) || value.length === 0) {
      throw storeError("store_invalid_argument", "tree values must be non-empty bytes");
    }
    const k = copyBytes(key);
    const v = copyBytes(value);
    if (this.root === null) {
      this.root = new TreeNode(k, v, 0, 1, this.nextVersionNumber());
      return;
    }
    this.updated = false;
    this.root = this.setRec(this.root, k, v);
  }

  private setRec(n: TreeNode, key: Uint8Array, value: Uint8Array): TreeNode {
    const version = this.nextVersionNumber();
    if (n.height === 0) {
      const c = compareBytes(key, n.key);
      if (c === 0) {
        this.updated = true;
        this.orphan(n);
        return new TreeNode(key, value, 0, 1, version);
      }
      const leaf = new TreeNode(key, value, 0, 1, version);
      const inner = new TreeNode(c < 0 ? n.key : key, null, 1, 2, version);
      inner.left = c < 0 ? leaf : n;
      inner.right = c < 0 ? n : leaf;
      return inner;
    }
    const m = this.mutable(n);
    if (compareBytes(key, m.key) < 0) {
      m.left = this.setRec(this.leftOf(m), key, value);
    } else {
      m.right = this.setRec(this.rightOf(m), key, value);
    }
    if (this.updated) return m;
    this.calcHeightAndSize(m);
    return this.balance(m);
  }

  private remove(key: Uint8Array): void {
    checkKey(key);
    if (this.root === null) return;
    this.removed = false;
    this.newKey = null;
    const next = this.removeRec(this.root, key);
    if (this.removed) this.root = next;
    this.newKey = null;
  }

  private removeRec(n: TreeNode, key: Uint8Array): TreeNode | null {
    if (n.height === 0) {
      if (compareBytes(key, n.key) === 0) {
        this.removed = true;
        this.orphan(n);
        return null;
      }
      return n;
    }
    if (compareBytes(key, n.key) < 0) {
      const newLeft = this.removeRec(this.leftOf(n), key);
      if (!this.removed) return n;
      if (newLeft === null) {
        // the left leaf held the key: the right subtree replaces n, whose key moves up
        this.newKey = n.key;
        this.orphan(n);
        return this.rightOf(n);
      }
      const m = this.mutable(n);
      m.left = newLeft;
      this.calcHeightAndSize(m);
      return this.balance(m);
    }
    const newRight = this.removeRec(this.rightOf(n), key);
    if (!this.removed) return n;
    if (newRight === null) {
      this.orphan(n);
      return this.leftOf(n);
    }
    const m = this.mutable(n);
    m.right = newRight;
    if (this.newKey !== null) {
      m.key = this.newKey;
      this.newKey = null;
    }
    this.calcHeightAndSize(m);
    return this.balance(m);
  }

  private balance(n: TreeNode): TreeNode {
    const b = this.leftHeight(n) - this.rightHeight(n);
    if (b > 1) {
      const l = this.leftOf(n);
      if (this.leftHeight(l) - this.rightHeight(l) >= 0) return this.rotateRight(n);
      n.left = this.rotateLeft(l);
      return this.rotateRight(n);
    }
    if (b < -1) {
      const r = this.rightOf(n);
      if (this.leftHeight(r) - this.rightHeight(r) <= 0) return this.rotateLeft(n);
      n.right = this.rotateRight(r);
      return this.rotateLeft(n);
    }
    return n;
  }

  private rotateRight(node: TreeNode): TreeNode {
    const n = this.mutable(node);
    const l = this.mutable(this.leftOf(n));
    n.left = this.rightOf(l);
    this.calcHeightAndSize(n);
    l.right = n;
    this.calcHeightAndSize(l);
    return l;
  }

  private rotateLeft(node: TreeNode): TreeNode {
    const n = this.mutable(node);
    const r = this.mutable(this.rightOf(n));
    n.right = this.leftOf(r);
    this.calcHeightAndSize(n);
    r.left = n;
    this.calcHeightAndSize(r);
    return r;
  }

  // --- commit -------------------------------------------------------------------------------

  workingHash(): Uint8Array {
    return this.root === null ? EMPTY_TREE_HASH : this.hashOf(this.root);
  }

  commit(batch: WriteBatch): { readonly version: bigint; readonly hash: Uint8Array } {
    const version = this.nextVersionNumber();
    const hash = this.workingHash();
    let nonce = 0;
    const nodes = this.tables.nodes;
    const persist = (n: TreeNode): void => {
      if (n.nonce !== 0) return;
      if (n.height > 0) {
        const l = n.left;
        if (l !== null) {
          persist(l);
          n.lVersion = l.version;
          n.lNonce = l.nonce;
          n.lHeight = l.height;
          n.lSize = l.size;
          n.lHash = l.hash;
          n.left = null;
        }
        const r = n.right;
        if (r !== null) {
          persist(r);
          n.rVersion = r.version;
          n.rNonce = r.nonce;
          n.rHeight = r.height;
          n.rSize = r.size;
          n.rHash = r.hash;
          n.right = null;
        }
      }
      nonce++;
      n.nonce = nonce;
      // LMDB copies key and value inside put: both can be shared scratch buffers
      nodes.put(batch, this.nodeKey(n.version, nonce), encodeNode(n));
      this.cache.set(nodeCacheKey(n.version, nonce), n);
    };
    const root = this.root;
    let rec: Uint8Array;
    if (root === null) {
      rec = hash;
    } else {
      persist(root);
      rec = new Uint8Array(HASH_BYTES + NODE_REF_BYTES);
      rec.set(hash);
      writeU64(rec, HASH_BYTES, root.version);
      writeU32(rec, HASH_BYTES + 8, root.nonce);
    }
    this.tables.roots.put(batch, this.rootKey(version), rec);
    if (this.orphans.length > 0) this.writeOrphans(batch, this.last, this.orphans, 0);
    this.prev = { last: this.last, root: this.committedRoot, hash: this.committedHash };
    this.last = version;
    this.committedRoot = root;
    this.committedHash = hash;
    this.orphans = [];
    return { version: BigInt(version), hash };
  }

  private writeOrphans(
    batch: WriteBatch,
    toVersion: number,
    refs: number[],
    firstSeq: number,
  ): void {
    let seq = firstSeq;
    for (let i = 0; i < refs.length; i += 2 * ORPHANS_PER_RECORD) {
      const count = Math.min(ORPHANS_PER_RECORD, (refs.length - i) / 2);
      const rec = new Uint8Array(count * NODE_REF_BYTES);
      for (let j = 0; j < count; j++) {
        writeU64(rec, j * NODE_REF_BYTES, refs[i + 2 * j] as number);
        writeU32(rec, j * NODE_REF_BYTES + 8, refs[i + 2 * j + 1] as number);
      }
      this.tables.orphans.put(batch, this.orphanKey(toVersion, seq++), rec);
    }
  }

  discardWorking(): void {
    this.root = this.committedRoot;
    this.orphans = [];
  }

  revertCommit(): void {
    if (this.prev === null) return;
    this.last = this.prev.last;
    this.committedRoot = this.prev.root;
    this.committedHash = this.prev.hash;
    this.prev = null;
    this.root = this.committedRoot;
    this.orphans = [];
    // nodes of the rolled-back version were cached under keys the next commit reuses
    this.cache.clear();
  }

  // --- versions and pruning -----------------------------------------------------------------

  hasVersion(version: bigint): boolean {
    return this.hasVersionNumber(versionNumber(version));
  }

  hasVersionNumber(version: number): boolean {
    return this.tables.roots.has(this.rootKey(version));
  }

  versions(): bigint[] {
    const out: bigint[] = [];
    for (const key of this.tables.roots.keys({ gte: this.prefix, lt: this.rootKey(MAX_VERSION) })) {
      out.push(BigInt(readU64(key, this.prefix.length)));
    }
    return out;
  }

  deleteVersion(batch: WriteBatch, version: bigint): boolean {
    const v = versionNumber(version);
    if (v === this.last) {
      throw storeError(
        "store_invalid_argument",
        `tree ${this.name}: cannot delete the latest version`,
      );
    }
    const rootKey = this.rootKey(v);
    if (!this.tables.roots.has(rootKey)) return false;
    this.pruneGeneration++;
    this.tables.roots.remove(batch, rootKey);
    // the greatest retained version below v: orphans still live in it move there
    let prev = 0;
    for (const key of this.tables.roots.keys({
      gte: this.prefix,
      lt: rootKey,
      reverse: true,
      limit: 1,
    })) {
      prev = readU64(key, this.prefix.length);
    }
    const records = Array.from(
      this.tables.orphans.entries({ gte: this.orphanKey(v, 0), lt: this.orphanKey(v + 1, 0) }),
    );
    const moved: number[] = [];
    for (const { key, value } of records) {
      for (let off = 0; off + NODE_REF_BYTES <= value.length; off += NODE_REF_BYTES) {
        const nv = readU64(value, off);
        const nn = readU32(value, off + 8);
        if (prev >= nv) moved.push(nv, nn);
        else this.tables.nodes.remove(batch, this.nodeKey(nv, nn));
      }
      this.tables.orphans.remove(batch, key);
    }
    if (moved.length > 0) {
      let seq = 0;
      for (const key of this.tables.orphans.keys({
        gte: this.orphanKey(prev, 0),
        lt: this.orphanKey(prev + 1, 0),
        reverse: true,
        limit: 1,
      })) {
        seq = readU32(key, this.prefix.length + 8) + 1;
      }
      this.writeOrphans(batch, prev, moved, seq);
    }
    return true;
  }

  // --- views, proofs, export ----------------------------------------------------------------

  at(version?: bigint): TreeView {
    const v = version === undefined ? this.last : versionNumber(version);
    if (v === 0) {
      throw storeError("store_invalid_argument", `tree ${this.name} has no committed version`);
    }
    if (v === this.last) return new TreeViewImpl(this, v, this.committedRoot, this.committedHash);
    if (!this.hasVersionNumber(v)) throw this.notRetained(v);
    const { root, hash } = this.readRoot(v);
    return new TreeViewImpl(this, v, root, hash);
  }

  /** ICS-23 inner op of `n` for a path that continues into its left (or right) child. */
  private innerOp(n: TreeNode, childOnLeft: boolean): Ics23InnerOp {
    const head = new Uint8Array(30 + 2 + HASH_BYTES);
    let off = putZigzag(head, 0, n.height);
    off = putZigzag(head, off, n.size);
    off = putZigzag(head, off, n.version);
    head[off++] = HASH_BYTES;
    if (childOnLeft) {
      const suffix = new Uint8Array(1 + HASH_BYTES);
      suffix[0] = HASH_BYTES;
      suffix.set(n.right !== null ? this.hashOf(n.right) : (n.rHash as Uint8Array), 1);
      return { hash: ICS23_HASH_OP.sha256, prefix: head.slice(0, off), suffix };
    }
    head.set(n.left !== null ? this.hashOf(n.left) : (n.lHash as Uint8Array), off);
    off += HASH_BYTES;
    head[off++] = HASH_BYTES;
    return { hash: ICS23_HASH_OP.sha256, prefix: head.slice(0, off), suffix: EMPTY };
  }

  /** cosmos/iavl proof_ics23.go: the existence proof of `key`, or null when it is absent. */
  existenceProof(root: TreeNode | null, key: Uint8Array): Ics23ExistenceProof | null {
    if (root === null) return null;
    const ops: Ics23InnerOp[] = [];
    let n = root;
    while (n.height > 0) {
      const goLeft = compareBytes(key, n.key) < 0;
      ops.push(this.innerOp(n, goLeft));
      n = goLeft ? this.leftOf(n) : this.rightOf(n);
    }
    if (compareBytes(key, n.key) !== 0) return null;
    const prefix = new Uint8Array(12);
    prefix[0] = 0x00;
    prefix[1] = 0x02;
    const len = putZigzag(prefix, 2, n.version);
    ops.reverse();
    return {
      key: n.key,
      value: n.value as Uint8Array,
      leaf: {
        hash: ICS23_HASH_OP.sha256,
        prehashKey: ICS23_HASH_OP.noHash,
        prehashValue: ICS23_HASH_OP.sha256,
        length: ICS23_LENGTH_OP.varProto,
        prefix: prefix.slice(0, len),
      },
      path: ops,
    };
  }

  /** The keys of the neighbours of an absent key: greatest below, smallest above. */
  neighbours(
    root: TreeNode,
    key: Uint8Array,
  ): { left: Uint8Array | undefined; right: Uint8Array | undefined } {
    let lastLeftTurn: TreeNode | null = null; // deepest node where the search went left
    let lastRightTurn: TreeNode | null = null;
    let n = root;
    while (n.height > 0) {
      if (compareBytes(key, n.key) < 0) {
        lastLeftTurn = n;
        n = this.leftOf(n);
      } else {
        lastRightTurn = n;
        n = this.rightOf(n);
      }
    }
    const c = compareBytes(n.key, key);
    if (c < 0) {
      // n is the predecessor; the successor is the smallest key right of the last left turn
      return { left: n.key, right: lastLeftTurn === null ? undefined : lastLeftTurn.key };
    }
    // n is the successor; the predecessor is the greatest key left of the last right turn
    let pred: Uint8Array | undefined;
    if (lastRightTurn !== null) {
      let m = this.leftOf(lastRightTurn);
      while (m.height > 0) m = this.rightOf(m);
      pred = m.key;
    }
    return { left: pred, right: n.key };
  }

  prove(root: TreeNode | null, key: Uint8Array): TreeProof {
    checkKey(key);
    const exist = this.existenceProof(root, key);
    if (exist !== null) {
      const proof: Ics23CommitmentProof = { exist };
      return { value: exist.value, proof, proofBytes: encodeCommitmentProof(proof) };
    }
    let left: Ics23ExistenceProof | undefined;
    let right: Ics23ExistenceProof | undefined;
    if (root !== null) {
      const nb = this.neighbours(root, key);
      if (nb.left !== undefined) left = this.existenceProof(root, nb.left) ?? undefined;
      if (nb.right !== undefined) right = this.existenceProof(root, nb.right) ?? undefined;
    }
    const proof: Ics23CommitmentProof = { nonexist: { key: copyBytes(key), left, right } };
    return { value: undefined, proof, proofBytes: encodeCommitmentProof(proof) };
  }

  /** Fills `path` with the walk to `key`'s leaf; false (path unusable) when the key is absent. */
  private walkPath(root: TreeNode, key: Uint8Array, path: IavlPath): boolean {
    path.length = 0;
    let n = root;
    while (n.height > 0) {
      if (compareBytes(key, n.key) < 0) {
        path.push(n.height, n.size, n.version, true, this.rightHashOf(n));
        n = this.leftOf(n);
      } else {
        path.push(n.height, n.size, n.version, false, this.leftHashOf(n));
        n = this.rightOf(n);
      }
    }
    if (compareBytes(key, n.key) !== 0) return false;
    path.key = n.key;
    path.value = n.value as Uint8Array;
    path.leafVersion = n.version;
    return true;
  }

  private leftHashOf(n: TreeNode): Uint8Array {
    return n.left !== null ? this.hashOf(n.left) : (n.lHash as Uint8Array);
  }

  private rightHashOf(n: TreeNode): Uint8Array {
    return n.right !== null ? this.hashOf(n.right) : (n.rHash as Uint8Array);
  }

  /** `prove` as bytes only: the path is written straight into the proof encoding. */
  proveBytes(
    root: TreeNode | null,
    key: Uint8Array,
  ): { readonly value: Uint8Array | undefined; readonly proofBytes: Uint8Array } {
    checkKey(key);
    const exist = this.pathExist;
    if (root !== null && this.walkPath(root, key, exist)) {
      return { value: exist.value, proofBytes: encodeIavlProof(exist, EMPTY, null, null) };
    }
    let left: IavlPath | null = null;
    let right: IavlPath | null = null;
    if (root !== null) {
      const nb = this.neighbours(root, key);
      if (nb.left !== undefined && this.walkPath(root, nb.left, this.pathLeft)) {
        left = this.pathLeft;
      }
      if (nb.right !== undefined && this.walkPath(root, nb.right, this.pathRight)) {
        right = this.pathRight;
      }
    }
    return { value: undefined, proofBytes: encodeIavlProof(null, key, left, right) };
  }

  exportNodes(version: bigint): Iterable<ExportedNode> {
    return this.at(version).exportNodes();
  }

  *exportFrom(root: TreeNode | null, ensure: () => void): Generator<ExportedNode> {
    if (root === null) return;
    // post-order: left subtree, right subtree, node
    const stack: { n: TreeNode; state: number }[] = [{ n: root, state: 0 }];
    while (stack.length > 0) {
      ensure();
      const top = stack[stack.length - 1] as { n: TreeNode; state: number };
      const n = top.n;
      if (n.height === 0 || top.state === 2) {
        stack.pop();
        yield { key: n.key, value: n.value, version: n.version, height: n.height };
      } else if (top.state === 0) {
        top.state = 1;
        stack.push({ n: this.leftOf(n), state: 0 });
      } else {
        top.state = 2;
        stack.push({ n: this.rightOf(n), state: 0 });
      }
    }
  }

  /** Writes one imported node (children already written) and returns it persisted. */
  importNode(batch: WriteBatch, n: TreeNode, nonce: number): void {
    n.nonce = nonce;
    this.tables.nodes.put(batch, this.nodeKey(n.version, nonce), encodeNode(n));
  }

  /** Makes an imported tree the committed state at `version` (root record written by the caller's batch). */
  adoptImported(batch: WriteBatch, version: number, root: TreeNode | null, hash: Uint8Array): void {
    let rec: Uint8Array = hash;
    if (root !== null) {
      rec = new Uint8Array(HASH_BYTES + NODE_REF_BYTES);
      rec.set(hash);
      writeU64(rec, HASH_BYTES, root.version);
      writeU32(rec, HASH_BYTES + 8, root.nonce);
    }
    this.tables.roots.put(batch, this.rootKey(version), rec);
    this.last = version;
    this.committedRoot = root;
    this.committedHash = hash;
    this.root = root;
    this.orphans = [];
    this.prev = null;
  }

  /** True when the tree has nothing at all in the tables (no root record). */
  isEmptyOnDisk(): boolean {
    return this.lastRootVersion() === 0;
  }
}

const EMPTY = new Uint8Array(0);

class TreeViewImpl implements TreeView {
  readonly version: bigint;
  readonly hash: Uint8Array;
  private readonly tree: TreeImpl;
  private readonly v: number;
  private readonly root: TreeNode | null;
  private generation: number;

  constructor(tree: TreeImpl, v: number, root: TreeNode | null, hash: Uint8Array) {
    this.tree = tree;
    this.v = v;
    this.version = BigInt(v);
    this.root = root;
    this.hash = hash;
    this.generation = tree.pruneGeneration;
  }

  get size(): number {
    this.ensure();
    return this.root === null ? 0 : this.root.size;
  }

  /** Throws store_version_pruned once pruning removed this view's version. */
  readonly ensure = (): void => {
    if (this.generation === this.tree.pruneGeneration) return;
    if (!this.tree.hasVersionNumber(this.v)) throw this.tree.notRetained(this.v);
    this.generation = this.tree.pruneGeneration;
  };

  get(key: Uint8Array): Uint8Array | undefined {
    this.ensure();
    return this.tree.getFrom(this.root, key);
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  iterate(range: KeyRange = {}): Iterable<KVEntry> {
    this.ensure();
    return this.tree.iterateFrom(this.root, range, this.ensure);
  }

  prove(key: Uint8Array): TreeProof {
    this.ensure();
    return this.tree.prove(this.root, key);
  }

  proveBytes(key: Uint8Array): {
    readonly value: Uint8Array | undefined;
    readonly proofBytes: Uint8Array;
  } {
    this.ensure();
    return this.tree.proveBytes(this.root, key);
  }

  exportNodes(): Iterable<ExportedNode> {
    this.ensure();
    return this.tree.exportFrom(this.root, this.ensure);
  }
}

/** Internal access for the snapshot importer and the multi-store (same package). */
export function treeInternals(tree: VersionedTree): {
  importNode(batch: WriteBatch, n: TreeNode, nonce: number): void;
  adoptImported(batch: WriteBatch, version: number, root: TreeNode | null, hash: Uint8Array): void;
  hashOf(n: TreeNode): Uint8Array;
  isEmptyOnDisk(): boolean;
} {
  if (!(tree instanceof TreeImpl))
    throw storeError("store_invalid_argument", "not a VersionedTree");
  return tree;
}
