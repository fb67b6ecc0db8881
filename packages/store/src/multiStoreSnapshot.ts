// Restores a multi-store from a snapshot stream (tree/treeSnapshot.ts format) into an empty
// environment: nodes are written in bounded batches, the version becomes visible only with its
// commit record in the last writeBlock, and every root and the app hash are re-checked.

import { equalBytes } from "@qos/types";
import {
  encodeCommitRecord,
  MULTI_STORE_COMMITS_TABLE,
  type MultiStore,
  type MultiStoreOptions,
  openMultiStore,
} from "./multiStore.ts";
import { multiStoreAppHash } from "./multiStoreProof.ts";
import { storeError } from "./storeErrors.ts";
import type { TreeNode } from "./tree/treeNode.ts";
import { EMPTY_TREE_HASH, HASH_BYTES } from "./tree/treeNode.ts";
import {
  decodeSnapshotHeader,
  decodeSnapshotStore,
  SNAPSHOT_RECORD,
  SnapshotRecordReader,
  type SnapshotStoreHeader,
  TreeRebuilder,
} from "./tree/treeSnapshot.ts";
import { openVersionedTree, treeInternals } from "./tree/versionedTree.ts";

export interface ImportSnapshotOptions {
  /** When given, the snapshot's app hash must equal it (a hash the chain committed to). */
  readonly expectedAppHash?: Uint8Array;
  /** Nodes written per writeBlock (default 50,000). */
  readonly nodesPerBatch?: number;
}

/**
 * Imports a snapshot into `opts.db`, which must hold no multi-store version yet, and opens the
 * multi-store on it. Every store of the snapshot must be in `opts.storeNames`.
 */
export async function importSnapshot(
  opts: MultiStoreOptions,
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  importOpts: ImportSnapshotOptions = {},
): Promise<MultiStore> {
  const { db } = opts;
  const commits = db.table(MULTI_STORE_COMMITS_TABLE);
  if (commits.lastKey() !== undefined) {
    throw storeError("store_invalid_argument", "snapshot import needs an empty multi-store");
  }
  const trees = new Map(
    opts.storeNames.map((name) => [
      name,
      openVersionedTree({ db, name, cacheSize: 0, ...optVersion(opts) }),
    ]),
  );
  for (const tree of trees.values()) {
    if (!treeInternals(tree).isEmptyOnDisk()) {
      throw storeError("store_invalid_argument", `store ${tree.name} already has data`);
    }
  }
  const perBatch = importOpts.nodesPerBatch ?? 50_000;
  const reader = new SnapshotRecordReader();
  let version: bigint | null = null;
  let storeCount = 0;
  let current: { header: SnapshotStoreHeader; rebuilder: TreeRebuilder } | null = null;
  let pending: { name: string; node: TreeNode }[] = [];
  const roots = new Map<string, { root: TreeNode | null; hash: Uint8Array }>();
  let appHash: Uint8Array | null = null;

  const flush = () => {
    if (pending.length === 0) return;
    const nodes = pending;
    pending = [];
    db.writeBlock((batch) => {
      for (const { name, node } of nodes) {
        treeInternals(trees.get(name) as ReturnType<typeof openVersionedTree>).importNode(
          batch,
          node,
          node.nonce,
        );
      }
    });
  };
  const endStore = () => {
    if (current === null) return;
    const root = current.rebuilder.finish();
    const hash = root === null ? EMPTY_TREE_HASH : (root.hash as Uint8Array);
    const size = root === null ? 0 : root.size;
    if (!equalBytes(hash, current.header.rootHash) || size !== current.header.size) {
      throw storeError("store_corrupt", `snapshot store ${current.header.name}: root mismatch`);
    }
    roots.set(current.header.name, { root, hash });
    current = null;
  };
  const onRecord = (payload: Uint8Array) => {
    if (appHash !== null) throw storeError("store_corrupt", "snapshot records after the end");
    const kind = payload[0];
    if (version === null) {
      const header = decodeSnapshotHeader(payload);
      if (header.version < 1n) throw storeError("store_corrupt", "snapshot of version 0");
      version = header.version;
      storeCount = header.storeCount;
      return;
    }
    if (kind === SNAPSHOT_RECORD.node) {
      if (current === null) throw storeError("store_corrupt", "snapshot node outside a store");
      current.rebuilder.add(payload);
      if (pending.length >= perBatch) flush();
      return;
    }
    endStore();
    if (kind === SNAPSHOT_RECORD.store) {
      const header = decodeSnapshotStore(payload);
      if (!trees.has(header.name) || roots.has(header.name)) {
        throw storeError("store_invalid_argument", `snapshot store ${header.name} is unknown here`);
      }
      const name = header.name;
      current = { header, rebuilder: new TreeRebuilder((node) => pending.push({ name, node })) };
    } else if (kind === SNAPSHOT_RECORD.end && payload.length === 1 + HASH_BYTES) {
      appHash = payload.slice(1);
    } else {
      throw storeError("store_corrupt", `unknown snapshot record kind ${kind}`);
    }
  };

  for await (const chunk of source) {
    for (const payload of reader.push(chunk)) onRecord(payload);
  }
  if (version === null || appHash === null || !reader.drained || roots.size !== storeCount) {
    throw storeError("store_corrupt", "truncated snapshot stream");
  }
  const finalVersion: bigint = version;
  const finalAppHash: Uint8Array = appHash;
  const rootHashes = new Map(Array.from(roots, ([name, r]) => [name, r.hash]));
  if (!equalBytes(multiStoreAppHash(rootHashes), finalAppHash)) {
    throw storeError("store_corrupt", "snapshot app hash does not match its store roots");
  }
  if (importOpts.expectedAppHash && !equalBytes(finalAppHash, importOpts.expectedAppHash)) {
    throw storeError("store_corrupt", "snapshot app hash differs from the expected one");
  }
  flush();
  db.writeBlock((batch) => {
    for (const [name, r] of roots) {
      const tree = trees.get(name) as ReturnType<typeof openVersionedTree>;
      treeInternals(tree).adoptImported(batch, Number(finalVersion), r.root, r.hash);
    }
    commits.put(batch, versionKey(finalVersion), encodeCommitRecord(rootHashes));
  });
  return openMultiStore(opts);
}

function optVersion(opts: MultiStoreOptions): { initialVersion?: bigint } {
  return opts.initialVersion !== undefined ? { initialVersion: opts.initialVersion } : {};
}

function versionKey(version: bigint): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, version, false);
  return key;
}
