import { utf8Encode } from "@qos/types";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { NODE_DB_TABLES, type NodeDb, openNodeDb } from "../src/nodeDb.ts";
import { createStateStore, type StateStore } from "../src/stateStore.ts";
import { tempDir } from "./tempDir.ts";

const code = (c: string) => expect.objectContaining({ name: "QosError", code: c });
const vals = (n: number) => utf8Encode(`validator-set-${n}`);

async function withState(
  fn: (state: StateStore, db: NodeDb, path: string) => void | Promise<void>,
) {
  const path = tempDir();
  const db = openNodeDb({ path });
  try {
    await fn(createStateStore(db), db, path);
  } finally {
    if (!db.closed) await db.close();
  }
}

describe("state store", () => {
  test("validator sets per height come back exactly, and unchanged sets are stored once", async () => {
    await withState((state, db) => {
      // set 1 for heights 1..5, set 2 for 6..8, back to set 1 at 9..10
      const plan = [1, 1, 1, 1, 1, 2, 2, 2, 1, 1];
      plan.forEach((n, i) => {
        db.writeBlock((batch) => state.saveValidators(batch, BigInt(i + 1), vals(n)));
      });
      plan.forEach((n, i) => {
        expect(state.loadValidators(BigInt(i + 1))).toEqual(vals(n));
      });
      expect(state.loadValidators(11n)).toBeUndefined();
      expect(state.validatorsRange()).toEqual({ base: 1n, height: 10n });
      const records = [...db.table(NODE_DB_TABLES.stateValidators).entries()];
      const full = records.filter((r) => r.value[0] === 0).length;
      expect(full).toBe(3); // heights 1, 6 and 9
      expect(records.every((r) => r.value.length <= 1 + vals(1).length)).toBe(true);
    });
  });

  test("consensus params per height, and the state snapshot under one key", async () => {
    await withState((state, db) => {
      db.writeBlock((batch) => {
        state.saveConsensusParams(batch, 1n, utf8Encode("params-a"));
        state.saveConsensusParams(batch, 2n, utf8Encode("params-a"));
        state.saveConsensusParams(batch, 3n, utf8Encode("params-b"));
        state.saveState(batch, utf8Encode("state-at-2"));
      });
      expect(state.loadConsensusParams(2n)).toEqual(utf8Encode("params-a"));
      expect(state.loadConsensusParams(3n)).toEqual(utf8Encode("params-b"));
      expect(state.loadState()).toEqual(utf8Encode("state-at-2"));
      db.writeBlock((batch) => state.saveState(batch, utf8Encode("state-at-3")));
      expect(state.loadState()).toEqual(utf8Encode("state-at-3"));
    });
  });

  test("history is written upwards: same bytes again is fine, other bytes below the top are refused", async () => {
    await withState((state, db) => {
      for (let h = 1n; h <= 4n; h++) db.writeBlock((b) => state.saveValidators(b, h, vals(1)));
      db.writeBlock((b) => state.saveValidators(b, 2n, vals(1)));
      expect(() => db.writeBlock((b) => state.saveValidators(b, 2n, vals(2)))).toThrow(
        code("store_history_rewrite"),
      );
      // the top may be replaced (nothing points at it yet)
      db.writeBlock((b) => state.saveValidators(b, 4n, vals(3)));
      expect(state.loadValidators(4n)).toEqual(vals(3));
      expect(state.loadValidators(3n)).toEqual(vals(1));
    });
  });

  test("prune keeps every remaining height loadable, even when its set changed below the cut", async () => {
    await withState(async (state, db, path) => {
      const plan = [1, 1, 2, 2, 2, 2, 3, 3];
      plan.forEach((n, i) => {
        db.writeBlock((b) => {
          state.saveValidators(b, BigInt(i + 1), vals(n));
          state.saveConsensusParams(b, BigInt(i + 1), utf8Encode(`p${n}`));
        });
      });
      state.prune(5n);
      expect(state.validatorsRange()).toEqual({ base: 5n, height: 8n });
      for (let h = 1n; h < 5n; h++) expect(state.loadValidators(h)).toBeUndefined();
      plan.slice(4).forEach((n, i) => {
        expect(state.loadValidators(BigInt(i + 5))).toEqual(vals(n));
        expect(state.loadConsensusParams(BigInt(i + 5))).toEqual(utf8Encode(`p${n}`));
      });
      await db.close();
      const again = openNodeDb({ path });
      try {
        const s2 = createStateStore(again);
        expect(s2.loadValidators(6n)).toEqual(vals(2));
        again.writeBlock((b) => s2.saveValidators(b, 9n, vals(3)));
        expect(s2.loadValidators(9n)).toEqual(vals(3));
      } finally {
        await again.close();
      }
    });
  });

  test("property: any sequence of sets loads back exactly, before and after a prune", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        async (plan, cut) => {
          await withState((state, db) => {
            db.writeBlock((b) => {
              plan.forEach((n, i) => {
                state.saveValidators(b, BigInt(i + 1), vals(n));
              });
            });
            plan.forEach((n, i) => {
              expect(state.loadValidators(BigInt(i + 1))).toEqual(vals(n));
            });
            const retain = BigInt((cut % plan.length) + 1);
            state.prune(retain);
            plan.forEach((n, i) => {
              const h = BigInt(i + 1);
              expect(state.loadValidators(h)).toEqual(h < retain ? undefined : vals(n));
            });
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  test("a failing writeBlock leaves validators and state untouched", async () => {
    await withState((state, db) => {
      db.writeBlock((b) => {
        state.saveValidators(b, 1n, vals(1));
        state.saveState(b, utf8Encode("s1"));
      });
      expect(() =>
        db.writeBlock((b) => {
          state.saveValidators(b, 2n, vals(2));
          state.saveState(b, utf8Encode("s2"));
          throw new Error("abort");
        }),
      ).toThrow("abort");
      expect(state.loadValidators(2n)).toBeUndefined();
      expect(state.loadState()).toEqual(utf8Encode("s1"));
    });
  });
});
