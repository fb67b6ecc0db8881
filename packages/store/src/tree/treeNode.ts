// The state tree's node: the in-memory shape, its IAVL hash (cosmos/iavl node.go writeHashBytes)
// and its on-disk encoding in the `tree/nodes` table. Varint helpers shared by the tree files.

import { sha256, sha256Into } from "@qos/crypto";
import { copyBytes } from "@qos/types";
import { storeError } from "../storeErrors.ts";

/**
 * One AVL node. Leaves (height 0) hold key and value; inner nodes hold the smallest key of
 * their right subtree. A child is either linked (`left`/`right`, always for working nodes) or
 * known by its stored reference (`l*`/`r*`: node key, height, size, hash) and loaded on demand.
 * A node with `nonce > 0` is persisted and never changes again.
 */
export class TreeNode {
  key: Uint8Array;
  value: Uint8Array | null;
  height: number;
  size: number;
  version: number;
  nonce: number;
  hash: Uint8Array | null;
  left: TreeNode | null = null;
  right: TreeNode | null = null;
  lVersion = 0;
  lNonce = 0;
  lHeight = 0;
  lSize = 0;
  lHash: Uint8Array | null = null;
  rVersion = 0;
  rNonce = 0;
  rHeight = 0;
  rSize = 0;
  rHash: Uint8Array | null = null;

  constructor(
    key: Uint8Array,
    value: Uint8Array | null,
    height: number,
    size: number,
    version: number,
  ) {
    this.key = key;
    this.value = value;
    this.height = height;
    this.size = size;
    this.version = version;
    this.nonce = 0;
    this.hash = null;
  }

  /** A working copy at `version` (same children, not persisted, hash to be computed). */
  cloneAt(version: number): TreeNode {
    const n = new TreeNode(this.key, this.value, this.height, this.size, version);
    n.left = this.left;
    n.right = this.right;
    n.lVersion = this.lVersion;
    n.lNonce = this.lNonce;
    n.lHeight = this.lHeight;
    n.lSize = this.lSize;
    n.lHash = this.lHash;
    n.rVersion = this.rVersion;
    n.rNonce = this.rNonce;
    n.rHeight = this.rHeight;
    n.rSize = this.rSize;
    n.rHash = this.rHash;
    return n;
  }
}

export const HASH_BYTES = 32;
/** iavl v1: the root hash of an empty tree is sha256 of nothing. */
export const EMPTY_TREE_HASH: Uint8Array = sha256(new Uint8Array(0));

/** Writes `n` (0 <= n < 2^53) as a protobuf/Go uvarint at `off`; returns the new offset. */
export function putUvarint(buf: Uint8Array, off: number, n: number): number {
  while (n >= 0x80) {
    buf[off++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[off++] = n;
  return off;
}

/** Go binary.PutVarint of a non-negative n: zig-zag makes it uvarint(2n). */
export function putZigzag(buf: Uint8Array, off: number, n: number): number {
  return putUvarint(buf, off, n * 2);
}

/** A cursor over encoded bytes; `read*` throw store_corrupt past the end. */
export class ByteReader {
  readonly buf: Uint8Array;
  off: number;
  constructor(buf: Uint8Array, off = 0) {
    this.buf = buf;
    this.off = off;
  }
  uvarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.buf[this.off++];
      if (b === undefined) throw storeError("store_corrupt", "truncated varint in a tree record");
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    throw storeError("store_corrupt", "varint too long in a tree record");
  }
  byte(): number {
    const b = this.buf[this.off++];
    if (b === undefined) throw storeError("store_corrupt", "truncated tree record");
    return b;
  }
  bytes(len: number): Uint8Array {
    if (this.off + len > this.buf.length) {
      throw storeError("store_corrupt", "truncated tree record");
    }
    const out = this.buf.subarray(this.off, this.off + len);
    this.off += len;
    return out;
  }
  rest(): Uint8Array {
    const out = this.buf.subarray(this.off);
    this.off = this.buf.length;
    return out;
  }
}

let scratch = new Uint8Array(256);
// Digest outputs reused across calls (sha256Into): one backing store, never a new one per hash.
const digestOut = new Uint8Array(new ArrayBuffer(HASH_BYTES));
const valueDigest = new Uint8Array(new ArrayBuffer(HASH_BYTES));

function ensureScratch(n: number): Uint8Array {
  if (n > scratch.length) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/**
 * Leaf hash (node.go writeHashBytes, leaf branch): sha256(zz(0) ‖ zz(1) ‖ zz(version) ‖
 * uvarint(len key) ‖ key ‖ uvarint(32) ‖ sha256(value)).
 */
export function leafHash(version: number, key: Uint8Array, value: Uint8Array): Uint8Array {
  sha256Into(valueDigest, value);
  const buf = ensureScratch(2 + 10 + 10 + key.length + 1 + HASH_BYTES);
  buf[0] = 0x00;
  buf[1] = 0x02;
  let off = putZigzag(buf, 2, version);
  off = putUvarint(buf, off, key.length);
  buf.set(key, off);
  off += key.length;
  buf[off++] = HASH_BYTES;
  buf.set(valueDigest, off);
  off += HASH_BYTES;
  return digestOf(buf.subarray(0, off));
}

/**
 * Inner hash (node.go writeHashBytes, inner branch): sha256(zz(height) ‖ zz(size) ‖
 * zz(version) ‖ uvarint(32) ‖ leftHash ‖ uvarint(32) ‖ rightHash).
 */
export function innerHash(
  height: number,
  size: number,
  version: number,
  left: Uint8Array,
  right: Uint8Array,
): Uint8Array {
  const buf = ensureScratch(30 + 2 + 2 * HASH_BYTES);
  let off = putZigzag(buf, 0, height);
  off = putZigzag(buf, off, size);
  off = putZigzag(buf, off, version);
  buf[off++] = HASH_BYTES;
  buf.set(left, off);
  off += HASH_BYTES;
  buf[off++] = HASH_BYTES;
  buf.set(right, off);
  off += HASH_BYTES;
  return digestOf(buf.subarray(0, off));
}

/** sha256 into the reused output, then a small on-heap copy for the node to keep. */
function digestOf(preimage: Uint8Array): Uint8Array {
  sha256Into(digestOut, preimage);
  return copyBytes(digestOut);
}

/**
 * Node record in `tree/nodes` (the node's own version and nonce are in its table key):
 *   leaf:  0x00 ‖ uvarint(len key) ‖ key ‖ value
 *   inner: height (1 byte, ≥ 1) ‖ left ref ‖ right ref ‖ uvarint(len key) ‖ key
 *   ref:   uvarint(version) ‖ uvarint(nonce) ‖ height (1 byte) ‖ uvarint(size) ‖ hash (32)
 * Parents carry their children's hash, height and size, so rehashing or rebalancing a path
 * never loads the sibling of a node on it.
 *
 * The record is written into one buffer shared by every call: the view is valid until the next
 * call. Meant for a put inside writeBlock (LMDB copies the value during the call): no array per
 * node, and lmdb-js looks up the address of one buffer instead of one per record.
 */
let recordScratch = new Uint8Array(new ArrayBuffer(4096));

export function encodeNode(n: TreeNode): Uint8Array {
  const value = n.value;
  const max =
    n.height === 0
      ? 1 + 10 + n.key.length + (value as Uint8Array).length
      : 1 + 2 * (30 + 1 + HASH_BYTES) + 10 + n.key.length;
  if (max > recordScratch.length) {
    recordScratch = new Uint8Array(new ArrayBuffer(Math.max(max, recordScratch.length * 2)));
  }
  const buf = recordScratch;
  if (n.height === 0) {
    buf[0] = 0x00;
    let off = putUvarint(buf, 1, n.key.length);
    buf.set(n.key, off);
    off += n.key.length;
    buf.set(value as Uint8Array, off);
    return buf.subarray(0, off + (value as Uint8Array).length);
  }
  buf[0] = n.height;
  let off = putRef(buf, 1, n.lVersion, n.lNonce, n.lHeight, n.lSize, n.lHash as Uint8Array);
  off = putRef(buf, off, n.rVersion, n.rNonce, n.rHeight, n.rSize, n.rHash as Uint8Array);
  off = putUvarint(buf, off, n.key.length);
  buf.set(n.key, off);
  off += n.key.length;
  return buf.subarray(0, off);
}

function putRef(
  buf: Uint8Array,
  off: number,
  version: number,
  nonce: number,
  height: number,
  size: number,
  hash: Uint8Array,
): number {
  off = putUvarint(buf, off, version);
  off = putUvarint(buf, off, nonce);
  buf[off++] = height;
  off = putUvarint(buf, off, size);
  buf.set(hash, off);
  return off + HASH_BYTES;
}

/** Decodes a `tree/nodes` record of node (version, nonce) whose hash its referrer knows. */
export function decodeNode(
  bytes: Uint8Array,
  version: number,
  nonce: number,
  hash: Uint8Array,
): TreeNode {
  const r = new ByteReader(bytes);
  const height = r.byte();
  if (height === 0) {
    const key = r.bytes(r.uvarint());
    const n = new TreeNode(key, r.rest(), 0, 1, version);
    n.nonce = nonce;
    n.hash = hash;
    return n;
  }
  const n = new TreeNode(EMPTY, null, height, 0, version);
  n.lVersion = r.uvarint();
  n.lNonce = r.uvarint();
  n.lHeight = r.byte();
  n.lSize = r.uvarint();
  n.lHash = r.bytes(HASH_BYTES);
  n.rVersion = r.uvarint();
  n.rNonce = r.uvarint();
  n.rHeight = r.byte();
  n.rSize = r.uvarint();
  n.rHash = r.bytes(HASH_BYTES);
  n.key = r.bytes(r.uvarint());
  n.size = n.lSize + n.rSize;
  n.nonce = nonce;
  n.hash = hash;
  if (height !== 1 + Math.max(n.lHeight, n.rHeight)) {
    throw storeError("store_corrupt", `tree node ${version}/${nonce} has an inconsistent height`);
  }
  return n;
}

const EMPTY = new Uint8Array(0);
