// Block store (CometBFT store/store.go semantics) over the node's LMDB tables: encoded blocks,
// parts, metas, commits, seen commits and FinalizeBlock results per height, plus a hash index.

import {
  assertHeight,
  decodeHeightKey,
  encodeHeightKey,
  encodePartKey,
  MAX_HEIGHT,
} from "./heightKey.ts";
import {
  MAX_KEY_BYTES,
  NODE_DB_TABLES,
  type NodeDb,
  type Table,
  type WriteBatch,
} from "./nodeDb.ts";
import { storeError } from "./storeErrors.ts";

export interface SaveBlockInput {
  readonly height: bigint;
  /** Block hash (the header hash), indexed for loadBlockByHash. */
  readonly hash: Uint8Array;
  /** The encoded Block. */
  readonly blockBytes: Uint8Array;
  /** The encoded Parts of the block's part set, in index order. */
  readonly parts: readonly Uint8Array[];
  /** The encoded BlockMeta. */
  readonly metaBytes: Uint8Array;
  /**
   * The encoded commit for height-1 that this block carries (its LastCommit). Stored as the
   * canonical commit of height-1. Null only for the first block the store holds (initial height).
   */
  readonly lastCommitBytes: Uint8Array | null;
  /** The encoded commit of +2/3 precommits this node saw for this height. */
  readonly seenCommitBytes: Uint8Array;
}

export interface BlockStore {
  /** Lowest height held, 0n when empty. */
  base(): bigint;
  /** Highest height held, 0n when empty. */
  height(): bigint;
  /** Number of blocks held (height - base + 1, or 0). */
  size(): bigint;
  /**
   * Stores a block and everything that comes with it. The height must be height()+1 (any
   * height >= 1 when the store is empty); anything else is a bug and throws.
   */
  saveBlock(batch: WriteBatch, block: SaveBlockInput): void;
  /** Stores the encoded FinalizeBlock response of a held block (overwrites). */
  saveResults(batch: WriteBatch, height: bigint, bytes: Uint8Array): void;
  loadBlock(height: bigint): Uint8Array | undefined;
  loadBlockByHash(hash: Uint8Array): Uint8Array | undefined;
  loadHeightByHash(hash: Uint8Array): bigint | undefined;
  loadBlockPart(height: bigint, index: number): Uint8Array | undefined;
  /** Number of parts stored for `height` (0 when the block is not held). */
  loadBlockPartCount(height: bigint): number;
  loadBlockMeta(height: bigint): Uint8Array | undefined;
  /** Canonical commit for `height`: the LastCommit stored with block height+1. */
  loadBlockCommit(height: bigint): Uint8Array | undefined;
  loadSeenCommit(height: bigint): Uint8Array | undefined;
  loadResults(height: bigint): Uint8Array | undefined;
  /**
   * Removes every block below `retainHeight` with all its records (block, parts, meta, hash
   * index, canonical and seen commits, results) in one transaction: `batch` when given,
   * otherwise a writeBlock of its own. Returns how many blocks were removed. retainHeight
   * above height() throws store_prune_range; at or below base() nothing happens.
   */
  prune(retainHeight: bigint, batch?: WriteBatch): bigint;
}

export function createBlockStore(db: NodeDb): BlockStore {
  const t = {
    meta: db.table(NODE_DB_TABLES.blockMeta),
    body: db.table(NODE_DB_TABLES.blockBody),
    part: db.table(NODE_DB_TABLES.blockPart),
    commit: db.table(NODE_DB_TABLES.blockCommit),
    seen: db.table(NODE_DB_TABLES.blockSeenCommit),
    results: db.table(NODE_DB_TABLES.blockResults),
    hashToHeight: db.table(NODE_DB_TABLES.blockHashToHeight),
    heightToHash: db.table(NODE_DB_TABLES.blockHeightToHash),
  };

  const base = (): bigint => {
    const key = t.meta.firstKey();
    return key === undefined ? 0n : decodeHeightKey(key);
  };
  const height = (): bigint => {
    const key = t.meta.lastKey();
    return key === undefined ? 0n : decodeHeightKey(key);
  };
  const loadBy = (table: Table, h: bigint): Uint8Array | undefined => {
    assertHeight(h);
    return table.get(encodeHeightKey(h));
  };

  const saveBlock = (batch: WriteBatch, block: SaveBlockInput): void => {
    const {
      height: h,
      hash,
      blockBytes,
      parts,
      metaBytes,
      lastCommitBytes,
      seenCommitBytes,
    } = block;
    assertHeight(h, "height", 1n);
    if (!(hash instanceof Uint8Array) || hash.length === 0 || hash.length > MAX_KEY_BYTES) {
      throw storeError("store_invalid_argument", `block hash must be 1..${MAX_KEY_BYTES} bytes`);
    }
    if (parts.length === 0) {
      throw storeError("store_invalid_argument", `block ${h} has no parts`);
    }
    const top = height();
    if (top !== 0n && h !== top + 1n) {
      throw storeError(
        "store_non_contiguous_height",
        `saveBlock at height ${h}, but the store holds up to ${top}: only ${top + 1n} can follow`,
        { height: String(h), storeHeight: String(top) },
      );
    }
    if (top !== 0n && lastCommitBytes === null) {
      throw storeError(
        "store_invalid_argument",
        `block ${h} follows block ${top} and must carry the commit for it (lastCommitBytes)`,
      );
    }
    const existing = t.hashToHeight.get(hash);
    if (existing !== undefined) {
      throw storeError(
        "store_invalid_argument",
        `block hash already stored at height ${decodeHeightKey(existing)}`,
        { height: String(h) },
      );
    }
    const key = encodeHeightKey(h);
    t.meta.put(batch, key, metaBytes);
    t.body.put(batch, key, blockBytes);
    parts.forEach((part, index) => {
      t.part.put(batch, encodePartKey(h, index), part);
    });
    if (lastCommitBytes !== null && h > 1n) {
      t.commit.put(batch, encodeHeightKey(h - 1n), lastCommitBytes);
    }
    t.seen.put(batch, key, seenCommitBytes);
    t.hashToHeight.put(batch, hash, key);
    t.heightToHash.put(batch, key, hash);
  };

  const saveResults = (batch: WriteBatch, h: bigint, bytes: Uint8Array): void => {
    assertHeight(h, "height", 1n);
    if (!t.meta.has(encodeHeightKey(h))) {
      throw storeError(
        "store_invalid_argument",
        `saveResults at height ${h}: the block store holds ${base()}..${height()}`,
        { height: String(h) },
      );
    }
    t.results.put(batch, encodeHeightKey(h), bytes);
  };

  const deleteBelow = (batch: WriteBatch, table: Table, lt: Uint8Array): void => {
    // Collect first: deleting while a cursor walks the same table is not something to rely on.
    const keys = [...table.keys({ lt })];
    for (const key of keys) table.remove(batch, key);
  };

  const pruneIn = (batch: WriteBatch, retainHeight: bigint): bigint => {
    const top = height();
    if (retainHeight > top) {
      throw storeError(
        "store_prune_range",
        `cannot prune to ${retainHeight}: the latest block is ${top} and must be kept`,
        { retainHeight: String(retainHeight), height: String(top) },
      );
    }
    const low = base();
    if (retainHeight <= low) return 0n;
    const lt = encodeHeightKey(retainHeight);
    for (const { value: hash } of [...t.heightToHash.entries({ lt })]) {
      t.hashToHeight.remove(batch, hash);
    }
    for (const table of [t.heightToHash, t.meta, t.body, t.commit, t.seen, t.results]) {
      deleteBelow(batch, table, lt);
    }
    deleteBelow(batch, t.part, encodePartKey(retainHeight, 0));
    return retainHeight - low;
  };

  return {
    base,
    height,
    size: () => {
      const top = height();
      return top === 0n ? 0n : top - base() + 1n;
    },
    saveBlock,
    saveResults,
    loadBlock: (h) => loadBy(t.body, h),
    loadBlockByHash: (hash) => {
      const key = t.hashToHeight.get(hash);
      return key === undefined ? undefined : t.body.get(key);
    },
    loadHeightByHash: (hash) => {
      const key = t.hashToHeight.get(hash);
      return key === undefined ? undefined : decodeHeightKey(key);
    },
    loadBlockPart: (h, index) => {
      assertHeight(h);
      return t.part.get(encodePartKey(h, index));
    },
    loadBlockPartCount: (h) => {
      assertHeight(h);
      const gte = encodePartKey(h, 0);
      const range = h < MAX_HEIGHT ? { gte, lt: encodePartKey(h + 1n, 0) } : { gte };
      let n = 0;
      for (const _ of t.part.keys(range)) n++;
      return n;
    },
    loadBlockMeta: (h) => loadBy(t.meta, h),
    loadBlockCommit: (h) => loadBy(t.commit, h),
    loadSeenCommit: (h) => loadBy(t.seen, h),
    loadResults: (h) => loadBy(t.results, h),
    prune: (retainHeight, batch) => {
      assertHeight(retainHeight, "retainHeight", 1n);
      return batch ? pruneIn(batch, retainHeight) : db.writeBlock((b) => pruneIn(b, retainHeight));
    },
  };
}
