// State store (CometBFT state/store.go semantics): validator sets and consensus params per
// height, stored once per change with a pointer at the other heights, and the node's latest
// consensus state snapshot under a single key.

import { copyBytes, equalBytes, utf8Encode } from "@qos/types";
import { assertHeight, decodeHeightKey, encodeHeightKey } from "./heightKey.ts";
import { NODE_DB_TABLES, type NodeDb, type Table, type WriteBatch } from "./nodeDb.ts";
import { storeError } from "./storeErrors.ts";

export interface StateStore {
  /**
   * Stores the encoded validator set that signs `height`. Heights are written upwards; writing
   * at or below the highest stored height is allowed only for the highest one, or with the
   * bytes already stored there (idempotent). Anything else throws store_history_rewrite.
   */
  saveValidators(batch: WriteBatch, height: bigint, bytes: Uint8Array): void;
  /** The exact bytes saved for `height`, or undefined when none were. */
  loadValidators(height: bigint): Uint8Array | undefined;
  /** Same rules as saveValidators. */
  saveConsensusParams(batch: WriteBatch, height: bigint, bytes: Uint8Array): void;
  loadConsensusParams(height: bigint): Uint8Array | undefined;
  /** Replaces the node's consensus state snapshot (one key, latest only). */
  saveState(batch: WriteBatch, bytes: Uint8Array): void;
  loadState(): Uint8Array | undefined;
  /** Lowest and highest heights with a validator set (0n when none). */
  validatorsRange(): { readonly base: bigint; readonly height: bigint };
  /**
   * Drops validator sets and consensus params below `retainHeight`, keeping every height from
   * it up loadable (the record at retainHeight is rewritten in full when it pointed lower).
   * In `batch` when given, otherwise in a writeBlock of its own.
   */
  prune(retainHeight: bigint, batch?: WriteBatch): void;
}

export function createStateStore(db: NodeDb): StateStore {
  const validators = createHeightHistory(db.table(NODE_DB_TABLES.stateValidators), "validators");
  const params = createHeightHistory(
    db.table(NODE_DB_TABLES.stateConsensusParams),
    "consensus params",
  );
  const current = db.table(NODE_DB_TABLES.stateCurrent);
  const STATE_KEY = utf8Encode("state");

  const pruneIn = (batch: WriteBatch, retainHeight: bigint): void => {
    validators.prune(batch, retainHeight);
    params.prune(batch, retainHeight);
  };

  return {
    saveValidators: validators.save,
    loadValidators: validators.load,
    saveConsensusParams: params.save,
    loadConsensusParams: params.load,
    saveState: (batch, bytes) => current.put(batch, STATE_KEY, bytes),
    loadState: () => current.get(STATE_KEY),
    validatorsRange: validators.range,
    prune: (retainHeight, batch) => {
      assertHeight(retainHeight, "retainHeight", 1n);
      if (batch) pruneIn(batch, retainHeight);
      else db.writeBlock((b) => pruneIn(b, retainHeight));
    },
  };
}

// Record = tag ‖ body. FULL: body is the bytes. SAME_AS: body is the 8-byte height of the FULL
// record holding them (the last change at or before this height, like CometBFT's
// LastHeightChanged).
const FULL = 0;
const SAME_AS = 1;

interface HeightHistory {
  save(batch: WriteBatch, height: bigint, bytes: Uint8Array): void;
  load(height: bigint): Uint8Array | undefined;
  range(): { readonly base: bigint; readonly height: bigint };
  prune(batch: WriteBatch, retainHeight: bigint): void;
}

function createHeightHistory(table: Table, what: string): HeightHistory {
  const fullRecord = (bytes: Uint8Array): Uint8Array => {
    const rec = new Uint8Array(1 + bytes.length);
    rec[0] = FULL;
    rec.set(bytes, 1);
    return rec;
  };
  const sameAsRecord = (height: bigint): Uint8Array => {
    const rec = new Uint8Array(9);
    rec[0] = SAME_AS;
    rec.set(encodeHeightKey(height), 1);
    return rec;
  };
  const corrupt = (height: bigint, why: string) =>
    storeError("store_corrupt", `${what} record at height ${height}: ${why}`, {
      table: table.name,
      height: String(height),
    });

  /** The bytes at `height` and the height of the FULL record that holds them. */
  const resolve = (height: bigint): { bytes: Uint8Array; fullHeight: bigint } | undefined => {
    const rec = table.get(encodeHeightKey(height));
    if (rec === undefined) return undefined;
    if (rec[0] === FULL) return { bytes: rec.subarray(1), fullHeight: height };
    if (rec[0] !== SAME_AS || rec.length !== 9) throw corrupt(height, "unknown record tag");
    const target = decodeHeightKey(rec, 1);
    if (target >= height) throw corrupt(height, `points up to ${target}`);
    let full = table.get(encodeHeightKey(target));
    let fullHeight = target;
    if (full === undefined) {
      // The change height was pruned away; prune rewrote the lowest kept record in full and the
      // set did not change between that record and this one.
      const firstKey = table.firstKey();
      const first = firstKey === undefined ? undefined : decodeHeightKey(firstKey);
      if (first === undefined || first <= target || first > height) {
        throw corrupt(height, `points to missing record ${target}`);
      }
      full = table.get(encodeHeightKey(first));
      fullHeight = first;
    }
    if (full === undefined || full[0] !== FULL)
      throw corrupt(height, `target ${fullHeight} is not a full record`);
    return { bytes: full.subarray(1), fullHeight };
  };

  const top = (): bigint | undefined => {
    const key = table.lastKey();
    return key === undefined ? undefined : decodeHeightKey(key);
  };

  return {
    save(batch, height, bytes) {
      assertHeight(height, "height", 1n);
      const highest = top();
      if (highest !== undefined && height < highest) {
        const existing = resolve(height);
        if (existing !== undefined && equalBytes(existing.bytes, bytes)) return;
        throw storeError(
          "store_history_rewrite",
          `${what} at height ${height} would change history below the highest stored height ${highest}`,
          { height: String(height), highest: String(highest) },
        );
      }
      const prev = height > 1n ? resolve(height - 1n) : undefined;
      const record =
        prev !== undefined && equalBytes(prev.bytes, bytes)
          ? sameAsRecord(prev.fullHeight)
          : fullRecord(bytes);
      table.put(batch, encodeHeightKey(height), record);
    },
    load(height) {
      assertHeight(height);
      const held = resolve(height);
      return held === undefined ? undefined : copyBytes(held.bytes);
    },
    range() {
      const first = table.firstKey();
      const last = table.lastKey();
      return {
        base: first === undefined ? 0n : decodeHeightKey(first),
        height: last === undefined ? 0n : decodeHeightKey(last),
      };
    },
    prune(batch, retainHeight) {
      const firstKey = table.firstKey();
      if (firstKey === undefined || decodeHeightKey(firstKey) >= retainHeight) return;
      const kept = resolve(retainHeight);
      if (kept === undefined) {
        throw storeError(
          "store_prune_range",
          `cannot prune ${what} to ${retainHeight}: no record at that height`,
          { retainHeight: String(retainHeight) },
        );
      }
      if (kept.fullHeight !== retainHeight) {
        table.put(batch, encodeHeightKey(retainHeight), fullRecord(kept.bytes));
      }
      for (const key of [...table.keys({ lt: encodeHeightKey(retainHeight) })]) {
        table.remove(batch, key);
      }
    },
  };
}
