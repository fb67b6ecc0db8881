// The state snapshot format: a multi-store version as a stream of checksummed records (every
// tree's nodes in post-order), its writer, and a streaming reader that rebuilds and re-hashes
// each tree with memory bounded by the tree height.
//
// Stream = record*; record = len(payload) BE32 ‖ crc32c(payload) BE32 ‖ payload; payload[0]:
//   1 header: uvarint(len magic) ‖ "qos-snapshot/1" ‖ version BE64 ‖ uvarint(store count)
//   2 store:  uvarint(len name) ‖ name ‖ root hash (32) ‖ uvarint(key count)
//   3 node:   height (1 byte) ‖ uvarint(version) ‖ uvarint(len key) ‖ key ‖ value (leaves only)
//   4 end:    app hash (32)
// Stores come sorted by name; a store's nodes follow its store record in post-order (left
// subtree, right subtree, node), so a stack of at most `height` nodes rebuilds the tree.

import { compareBytes, copyBytes, equalBytes, utf8Decode, utf8Encode } from "@qos/types";
import { crc32c } from "../crc32c.ts";
import { storeError } from "../storeErrors.ts";
import { ByteReader, HASH_BYTES, innerHash, leafHash, putUvarint, TreeNode } from "./treeNode.ts";
import type { TreeView } from "./versionedTree.ts";

export const SNAPSHOT_MAGIC = "qos-snapshot/1";
export const SNAPSHOT_RECORD = { header: 1, store: 2, node: 3, end: 4 } as const;
/** Largest record accepted on import (a node with a big value). */
export const SNAPSHOT_MAX_RECORD = 64 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length, false);
  dv.setUint32(4, crc32c(payload), false);
  out.set(payload, 8);
  return out;
}

/** Groups framed records into chunks of about 64 KiB. */
class ChunkWriter {
  private parts: Uint8Array[] = [];
  private size = 0;
  add(record: Uint8Array): Uint8Array | null {
    this.parts.push(frame(record));
    this.size += record.length + 8;
    return this.size >= CHUNK_BYTES ? this.flush() : null;
  }
  flush(): Uint8Array | null {
    if (this.size === 0) return null;
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    this.parts = [];
    this.size = 0;
    return out;
  }
}

export function* exportMultiStoreSnapshot(
  version: bigint,
  appHash: Uint8Array,
  stores: readonly { readonly name: string; readonly view: TreeView }[],
): Generator<Uint8Array> {
  const w = new ChunkWriter();
  const magic = utf8Encode(SNAPSHOT_MAGIC);
  const header = new Uint8Array(1 + 1 + magic.length + 8 + 10);
  header[0] = SNAPSHOT_RECORD.header;
  let off = putUvarint(header, 1, magic.length);
  header.set(magic, off);
  off += magic.length;
  new DataView(header.buffer).setBigUint64(off, version, false);
  off = putUvarint(header, off + 8, stores.length);
  w.add(header.subarray(0, off));
  for (const { name, view } of stores) {
    const nameBytes = utf8Encode(name);
    const rec = new Uint8Array(1 + 10 + nameBytes.length + HASH_BYTES + 10);
    rec[0] = SNAPSHOT_RECORD.store;
    let o = putUvarint(rec, 1, nameBytes.length);
    rec.set(nameBytes, o);
    o += nameBytes.length;
    rec.set(view.hash, o);
    o = putUvarint(rec, o + HASH_BYTES, view.size);
    const chunk = w.add(rec.subarray(0, o));
    if (chunk) yield chunk;
    for (const n of view.exportNodes()) {
      const value = n.value ?? EMPTY;
      const nodeRec = new Uint8Array(2 + 10 + 10 + n.key.length + value.length);
      nodeRec[0] = SNAPSHOT_RECORD.node;
      nodeRec[1] = n.height;
      let p = putUvarint(nodeRec, 2, n.version);
      p = putUvarint(nodeRec, p, n.key.length);
      nodeRec.set(n.key, p);
      p += n.key.length;
      nodeRec.set(value, p);
      p += value.length;
      const c = w.add(nodeRec.subarray(0, p));
      if (c) yield c;
    }
  }
  const end = new Uint8Array(1 + HASH_BYTES);
  end[0] = SNAPSHOT_RECORD.end;
  end.set(appHash, 1);
  w.add(end);
  const last = w.flush();
  if (last) yield last;
}

const EMPTY = new Uint8Array(0);

/** Splits a stream of arbitrary chunks into checked record payloads. */
export class SnapshotRecordReader {
  private buf = new Uint8Array(0);
  private off = 0;

  /** Appends a chunk and returns the complete records now available. */
  push(chunk: Uint8Array): Uint8Array[] {
    const rest = this.buf.subarray(this.off);
    const merged = new Uint8Array(rest.length + chunk.length);
    merged.set(rest);
    merged.set(chunk, rest.length);
    this.buf = merged;
    this.off = 0;
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.buf.length - this.off < 8) break;
      const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.off, 8);
      const len = dv.getUint32(0, false);
      const crc = dv.getUint32(4, false);
      if (len === 0 || len > SNAPSHOT_MAX_RECORD) {
        throw storeError("store_corrupt", `snapshot record of ${len} bytes`);
      }
      if (this.buf.length - this.off - 8 < len) break;
      const payload = this.buf.subarray(this.off + 8, this.off + 8 + len);
      if (crc32c(payload) !== crc)
        throw storeError("store_corrupt", "snapshot record checksum mismatch");
      out.push(payload);
      this.off += 8 + len;
    }
    return out;
  }

  /** True when no partial record is left over. */
  get drained(): boolean {
    return this.off === this.buf.length;
  }
}

export interface SnapshotHeader {
  readonly version: bigint;
  readonly storeCount: number;
}

export function decodeSnapshotHeader(payload: Uint8Array): SnapshotHeader {
  const r = new ByteReader(payload, 1);
  const magic = utf8Decode(r.bytes(r.uvarint()));
  if (payload[0] !== SNAPSHOT_RECORD.header || magic !== SNAPSHOT_MAGIC) {
    throw storeError("store_corrupt", "not a qos-snapshot/1 stream");
  }
  const v = r.bytes(8);
  const version = new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, false);
  return { version, storeCount: r.uvarint() };
}

export interface SnapshotStoreHeader {
  readonly name: string;
  readonly rootHash: Uint8Array;
  readonly size: number;
}

export function decodeSnapshotStore(payload: Uint8Array): SnapshotStoreHeader {
  const r = new ByteReader(payload, 1);
  const name = utf8Decode(r.bytes(r.uvarint()));
  if (name === null) throw storeError("store_corrupt", "snapshot store name is not UTF-8");
  const rootHash = copyBytes(r.bytes(HASH_BYTES));
  return { name, rootHash, size: r.uvarint() };
}

interface Built {
  readonly node: TreeNode;
  readonly min: Uint8Array;
  readonly max: Uint8Array;
}

/**
 * Rebuilds one tree from its post-order node records, checking the AVL shape and key order,
 * hashing each node and handing it to `emit` (children always before parents) with its nonce.
 */
export class TreeRebuilder {
  private readonly stack: Built[] = [];
  private readonly nonces = new Map<number, number>();
  private readonly emit: (n: TreeNode) => void;

  constructor(emit: (n: TreeNode) => void) {
    this.emit = emit;
  }

  add(payload: Uint8Array): void {
    const r = new ByteReader(payload, 1);
    const height = r.byte();
    const version = r.uvarint();
    if (version < 1) throw storeError("store_corrupt", "snapshot node with version 0");
    const key = copyBytes(r.bytes(r.uvarint()));
    let built: Built;
    if (height === 0) {
      const value = copyBytes(r.rest());
      if (value.length === 0) throw storeError("store_corrupt", "snapshot leaf without a value");
      const n = new TreeNode(key, value, 0, 1, version);
      n.hash = leafHash(version, key, value);
      built = { node: n, min: key, max: key };
    } else {
      const right = this.stack.pop();
      const left = this.stack.pop();
      if (left === undefined || right === undefined) {
        throw storeError("store_corrupt", "snapshot inner node without two children");
      }
      const l = left.node;
      const rn = right.node;
      if (
        height !== 1 + Math.max(l.height, rn.height) ||
        Math.abs(l.height - rn.height) > 1 ||
        compareBytes(left.max, right.min) >= 0 ||
        !equalBytes(key, right.min) ||
        r.off !== payload.length
      ) {
        throw storeError("store_corrupt", "snapshot inner node breaks the AVL order or shape");
      }
      const n = new TreeNode(key, null, height, l.size + rn.size, version);
      n.lVersion = l.version;
      n.lNonce = l.nonce;
      n.lHeight = l.height;
      n.lSize = l.size;
      n.lHash = l.hash;
      n.rVersion = rn.version;
      n.rNonce = rn.nonce;
      n.rHeight = rn.height;
      n.rSize = rn.size;
      n.rHash = rn.hash;
      n.hash = innerHash(height, n.size, version, l.hash as Uint8Array, rn.hash as Uint8Array);
      built = { node: n, min: left.min, max: right.max };
    }
    const nonce = (this.nonces.get(version) ?? 0) + 1;
    this.nonces.set(version, nonce);
    built.node.nonce = nonce;
    this.emit(built.node);
    this.stack.push(built);
  }

  /** The rebuilt root (null for an empty tree); throws when nodes are left over. */
  finish(): TreeNode | null {
    if (this.stack.length > 1) throw storeError("store_corrupt", "snapshot tree is not connected");
    return this.stack.pop()?.node ?? null;
  }
}
