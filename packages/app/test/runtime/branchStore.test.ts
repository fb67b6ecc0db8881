// Model test of the branch store: random writes, deletes, nested branches, flushes, discards,
// checkpoints, reverts and keeps against a Map model; every read and ranged iteration (both directions)
// must agree.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bytesKey,
  createBranchSet,
  createBranchStore,
  createMemoryStore,
} from "../../src/runtime/branchStore.ts";

type Model = Map<string, Uint8Array>;

const keyArb = fc.uint8Array({ minLength: 0, maxLength: 3, max: 4 });
const valueArb = fc.uint8Array({ minLength: 1, maxLength: 3 });
const opArb = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: keyArb, value: valueArb }),
  fc.record({ kind: fc.constant("delete" as const), key: keyArb }),
  fc.record({ kind: fc.constant("write" as const) }),
  fc.record({ kind: fc.constant("discard" as const) }),
  fc.record({ kind: fc.constant("checkpoint" as const) }),
  fc.record({ kind: fc.constant("revert" as const) }),
  fc.record({ kind: fc.constant("keep" as const) }),
  fc.record({
    kind: fc.constant("iterate" as const),
    start: fc.option(keyArb, { nil: undefined }),
    end: fc.option(keyArb, { nil: undefined }),
    reverse: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("get" as const), key: keyArb }),
);

function modelRange(m: Model, start?: Uint8Array, end?: Uint8Array, reverse = false): string[] {
  const s = start === undefined ? undefined : bytesKey(start);
  const e = end === undefined ? undefined : bytesKey(end);
  const keys = [...m.keys()]
    .filter((k) => (s === undefined || k >= s) && (e === undefined || k < e))
    .sort();
  return reverse ? keys.reverse() : keys;
}

describe("branch store", () => {
  it("agrees with a Map model over a two-level stack (base ← mid ← top)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keyArb, valueArb), { maxLength: 10 }),
        fc.array(opArb, { maxLength: 60 }),
        (seed, ops) => {
          const base = createMemoryStore();
          const baseModel: Model = new Map();
          for (const [k, v] of seed) {
            base.set(k, v);
            baseModel.set(bytesKey(k), v);
          }
          const mid = createBranchStore(base);
          const top = createBranchStore(mid);
          let midModel: Model = new Map(baseModel);
          let topModel: Model = new Map(midModel);
          // The top's view at its checkpoint (null: none).
          let markModel: Model | null = null;
          for (const op of ops) {
            switch (op.kind) {
              case "set":
                top.set(op.key, op.value);
                topModel.set(bytesKey(op.key), op.value);
                break;
              case "delete":
                top.delete(op.key);
                topModel.delete(bytesKey(op.key));
                break;
              case "write":
                top.write();
                midModel = new Map(topModel);
                markModel = null;
                break;
              case "discard":
                top.discard();
                topModel = new Map(midModel);
                markModel = null;
                break;
              case "checkpoint":
                top.checkpoint();
                markModel = new Map(topModel);
                break;
              case "revert":
                top.revert();
                if (markModel !== null) topModel = markModel;
                markModel = null;
                break;
              case "keep":
                top.keep();
                markModel = null;
                break;
              case "get": {
                const want = topModel.get(bytesKey(op.key));
                expect(top.get(op.key)).toEqual(want);
                expect(top.has(op.key)).toBe(want !== undefined);
                break;
              }
              case "iterate": {
                const range = {
                  ...(op.start !== undefined ? { start: op.start } : {}),
                  ...(op.end !== undefined ? { end: op.end } : {}),
                  reverse: op.reverse,
                };
                const got = [...top.iterate(range)].map((e) => [bytesKey(e.key), e.value]);
                const want = modelRange(topModel, op.start, op.end, op.reverse).map((k) => [
                  k,
                  topModel.get(k),
                ]);
                expect(got).toEqual(want);
                break;
              }
            }
          }
          // Flushing everything lands the top's view in the base.
          top.write();
          mid.write();
          const all = [...base.iterate()].map((e) => [bytesKey(e.key), e.value]);
          const want = modelRange(topModel).map((k) => [k, topModel.get(k)]);
          expect(all).toEqual(want);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("does not let the caller's buffers alias stored values", () => {
    const s = createMemoryStore();
    const v = Uint8Array.of(1, 2);
    s.set(Uint8Array.of(1), v);
    v[0] = 9;
    expect(s.get(Uint8Array.of(1))).toEqual(Uint8Array.of(1, 2));
  });

  it("a branch set makes one branch per name, over that name's parent, and writes them all", () => {
    const parents = new Map([
      ["a", createMemoryStore()],
      ["b", createMemoryStore()],
    ]);
    const opened: string[] = [];
    const set = createBranchSet((name) => {
      opened.push(name);
      return parents.get(name) as ReturnType<typeof createMemoryStore>;
    });
    expect(set.store("a")).toBe(set.store("a"));
    set.store("a").set(Uint8Array.of(1), Uint8Array.of(10));
    set.store("b").set(Uint8Array.of(1), Uint8Array.of(20));
    expect(opened).toEqual(["a", "b"]);
    expect(parents.get("a")?.get(Uint8Array.of(1))).toBeUndefined();
    set.write();
    expect(parents.get("a")?.get(Uint8Array.of(1))).toEqual(Uint8Array.of(10));
    expect(parents.get("b")?.get(Uint8Array.of(1))).toEqual(Uint8Array.of(20));
  });

  it("refuses empty values and flushing into a read-only parent", () => {
    const s = createMemoryStore();
    expect(() => s.set(Uint8Array.of(1), new Uint8Array())).toThrow(/non-empty/);
    const ro = createBranchStore({ get: () => undefined, has: () => false, iterate: () => [] });
    ro.set(Uint8Array.of(1), Uint8Array.of(1));
    expect(() => ro.write()).toThrow(/read-only/);
  });
});
