// Gas: the per-tx meter (out of gas is sdk 11) and a KVStore wrapper that charges the store
// gas table of QOS / Cosmos (reads, writes, deletes, has, iteration steps). Pure.

import type { KeyRange, KVEntry, KVStore } from "@qos/store";
import type { GasMeter } from "./module.ts";
import { SDK_CODE, sdkError } from "./sdkErrors.ts";

/** Store access costs (qbase store/types/gas.go = Cosmos KVGasConfig). */
export const STORE_GAS = {
  has: 1000n,
  delete: 1000n,
  readFlat: 1000n,
  readPerByte: 3n,
  writeFlat: 2000n,
  writePerByte: 30n,
  iterNextFlat: 30n,
} as const;

/** A limit no tx can reach: genesis and block-level work. */
export const INFINITE_GAS = (1n << 64n) - 1n;

export interface MutableGasMeter extends GasMeter {
  /** Resets consumption to `consumed` (e.g. cap reported gas at the limit after out-of-gas). */
  setConsumed(consumed: bigint): void;
}

/** A meter with `limit`; `consume` past it records the excess and throws sdk 11. */
export function createGasMeter(limit: bigint): MutableGasMeter {
  let consumed = 0n;
  return {
    limit,
    get consumed() {
      return consumed;
    },
    consume(amount: bigint, descriptor: string) {
      if (amount < 0n) throw new Error(`gas: negative amount ${amount} (${descriptor})`);
      consumed += amount;
      if (consumed > limit) {
        throw sdkError(
          SDK_CODE.outOfGas,
          `out of gas in location: ${descriptor}; gasWanted: ${limit}, gasUsed: ${consumed}`,
        );
      }
    },
    setConsumed(n: bigint) {
      consumed = n;
    },
  };
}

/** `store` with every access charged to `meter` (Cosmos gaskv semantics). */
export function createGasKVStore(store: KVStore, meter: GasMeter): KVStore {
  const len = (b: Uint8Array): bigint => BigInt(b.length);
  function* iterate(range: KeyRange | undefined): Generator<KVEntry> {
    for (const e of store.iterate(range)) {
      meter.consume(
        STORE_GAS.iterNextFlat + STORE_GAS.readPerByte * (len(e.key) + len(e.value)),
        "IterNext",
      );
      yield e;
    }
  }
  return {
    get(key) {
      meter.consume(STORE_GAS.readFlat, "ReadFlat");
      const value = store.get(key);
      meter.consume(
        STORE_GAS.readPerByte * (len(key) + (value === undefined ? 0n : len(value))),
        "ReadPerByte",
      );
      return value;
    },
    has(key) {
      meter.consume(STORE_GAS.has, "Has");
      return store.has(key);
    },
    set(key, value) {
      meter.consume(STORE_GAS.writeFlat, "WriteFlat");
      meter.consume(STORE_GAS.writePerByte * (len(key) + len(value)), "WritePerByte");
      store.set(key, value);
    },
    delete(key) {
      meter.consume(STORE_GAS.delete, "Delete");
      store.delete(key);
    },
    iterate(range) {
      return iterate(range);
    },
  };
}
