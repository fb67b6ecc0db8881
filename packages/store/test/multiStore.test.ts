// Model check of the multi-store (and through it the versioned tree): random sequences of set,
// delete, commit, discard, reopen and held views, with pruning, against a plain Map model and
// its committed snapshots; plus app hash, proof ops, atomicity and snapshot round trips.

import {
  calculateExistenceRoot,
  iavlSpec,
  ics23,
  tendermintSpec,
  verifyMembership,
  verifyNonMembership,
} from "@confio/ics23";
import { merkleRoot, sha256 } from "@qos/crypto";
import { concatBytes, QosError, toHex, utf8Encode } from "@qos/types";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { KeyRange } from "../src/kvStore.ts";
import { type MultiStore, type MultiStoreView, openMultiStore } from "../src/multiStore.ts";
import { importSnapshot } from "../src/multiStoreSnapshot.ts";
import { type NodeDb, openNodeDb } from "../src/nodeDb.ts";
import { tempDir } from "./tempDir.ts";
import {
  enc,
  hexEntries,
  keyRange,
  type Model,
  modelRange,
  modelSet,
  smallKey,
  smallValue,
} from "./tree/treeModel.ts";

const STORES = ["bank", "acc"] as const;

type Op =
  | { t: "set"; s: number; k: Uint8Array; v: Uint8Array }
  | { t: "del"; s: number; k: Uint8Array }
  | { t: "commit" }
  | { t: "discard" }
  | { t: "reopen" }
  | { t: "hold" }
  | { t: "read"; s: number; at: number; k: Uint8Array; range: KeyRange };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      t: fc.constant("set" as const),
      s: fc.nat(1),
      k: smallKey,
      v: smallValue,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant("del" as const), s: fc.nat(1), k: smallKey }),
  },
  { weight: 4, arbitrary: fc.constant({ t: "commit" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "discard" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "reopen" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "hold" as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant("read" as const),
      s: fc.nat(1),
      at: fc.nat(50),
      k: smallKey,
      range: keyRange,
    }),
  },
);

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    if (error instanceof QosError) return error.code;
    throw error;
  }
}

function cloneModel(m: Model): Model {
  return new Map(m);
}

describe("multi-store model check", () => {
  test("random set/delete/commit/discard/reopen/prune sequences agree with a Map model", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          keepRecent: fc.constantFrom(0, 1, 2, 3),
          keepEvery: fc.constantFrom(0, 2, 3),
          initialVersion: fc.constantFrom(1n, 5n),
          cacheSize: fc.constantFrom(0, 4, 1000),
        }),
        fc.array(opArb, { minLength: 20, maxLength: 150, size: "max" }),
        async (opts, ops) => {
          const dir = tempDir("qos-ms-model-");
          let db: NodeDb = openNodeDb({ path: dir });
          const open = () => openMultiStore({ db, storeNames: STORES, ...opts });
          let ms: MultiStore = open();
          let working: Model[] = STORES.map(() => new Map());
          const committed = new Map<bigint, { models: Model[]; appHash: Uint8Array }>();
          const versions: bigint[] = [];
          const held: MultiStoreView[] = [];
          const retained = (x: bigint): boolean => {
            const last = versions[versions.length - 1] ?? 0n;
            if (!committed.has(x)) return false;
            if (opts.keepRecent === 0) return true;
            return (
              x > last - BigInt(opts.keepRecent) ||
              (opts.keepEvery > 0 && x % BigInt(opts.keepEvery) === 0n)
            );
          };
          const checkView = (view: MultiStoreView, s: number, k: Uint8Array, range: KeyRange) => {
            const snap = committed.get(view.version);
            if (!retained(view.version)) {
              expect(codeOf(() => view.store(STORES[s] as string).get(k))).toBe(
                "store_version_pruned",
              );
              return;
            }
            const model = (snap as { models: Model[] }).models[s] as Model;
            const reader = view.store(STORES[s] as string);
            expect(reader.get(k)).toEqual(model.get(toHex(k))?.value);
            expect(hexEntries(reader.iterate(range))).toEqual(hexEntries(modelRange(model, range)));
          };
          try {
            for (const op of ops) {
              switch (op.t) {
                case "set": {
                  ms.working(STORES[op.s] as string).set(op.k, op.v);
                  modelSet(working[op.s] as Model, op.k, op.v);
                  expect(ms.working(STORES[op.s] as string).get(op.k)).toEqual(op.v);
                  break;
                }
                case "del": {
                  ms.working(STORES[op.s] as string).delete(op.k);
                  (working[op.s] as Model).delete(toHex(op.k));
                  expect(ms.working(STORES[op.s] as string).has(op.k)).toBe(false);
                  break;
                }
                case "commit": {
                  const before = ms.workingCommitInfo();
                  const info = db.writeBlock((batch) => ms.commit(batch));
                  expect(info.version).toBe(before.version);
                  expect(info.appHash).toEqual(before.appHash);
                  const expectedVersion =
                    versions.length === 0
                      ? opts.initialVersion
                      : (versions[versions.length - 1] as bigint) + 1n;
                  expect(info.version).toBe(expectedVersion);
                  versions.push(info.version);
                  committed.set(info.version, {
                    models: working.map(cloneModel),
                    appHash: info.appHash,
                  });
                  expect(ms.retainedVersions()).toEqual(versions.filter(retained));
                  break;
                }
                case "discard": {
                  ms.discardWorking();
                  const last = versions[versions.length - 1];
                  working =
                    last === undefined
                      ? STORES.map(() => new Map())
                      : (committed.get(last) as { models: Model[] }).models.map(cloneModel);
                  break;
                }
                case "reopen": {
                  ms.close();
                  await db.close();
                  db = openNodeDb({ path: dir });
                  ms = open();
                  held.length = 0;
                  const last = versions[versions.length - 1];
                  working =
                    last === undefined
                      ? STORES.map(() => new Map())
                      : (committed.get(last) as { models: Model[] }).models.map(cloneModel);
                  expect(ms.lastCommit.version).toBe(last ?? 0n);
                  if (last !== undefined)
                    expect(ms.lastCommit.appHash).toEqual(committed.get(last)?.appHash);
                  break;
                }
                case "hold": {
                  if (versions.length > 0) held.push(ms.at());
                  break;
                }
                case "read": {
                  const model = working[op.s] as Model;
                  const w = ms.working(STORES[op.s] as string);
                  expect(w.get(op.k)).toEqual(model.get(toHex(op.k))?.value);
                  expect(hexEntries(w.iterate(op.range))).toEqual(
                    hexEntries(modelRange(model, op.range)),
                  );
                  if (versions.length > 0) {
                    // a version that pruning removed says so
                    const v = versions[op.at % versions.length] as bigint;
                    if (!retained(v)) expect(codeOf(() => ms.at(v))).toBe("store_version_pruned");
                  }
                  // every retained version reads exactly as it was committed
                  for (const v of versions.filter(retained)) {
                    const view = ms.at(v);
                    expect(view.appHash).toEqual(committed.get(v)?.appHash);
                    checkView(view, op.s, op.k, op.range);
                  }
                  for (const view of held) checkView(view, op.s, op.k, op.range);
                  break;
                }
              }
            }
          } finally {
            ms.close();
            await db.close();
          }
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);
});

describe("multi-store basics", () => {
  test("app hash is the RFC-6962 root of (name, sha256(root)) pairs sorted by name", async () => {
    const db = openNodeDb({ path: tempDir() });
    const ms = openMultiStore({ db, storeNames: ["zeta", "alpha", "mid"] });
    ms.working("alpha").set(enc("a"), enc("1"));
    ms.working("zeta").set(enc("z"), enc("2"));
    const info = db.writeBlock((b) => ms.commit(b));
    const leaf = (name: string) => {
      const n = utf8Encode(name);
      return concatBytes(
        Uint8Array.of(n.length),
        n,
        Uint8Array.of(32),
        sha256(info.storeRoots.get(name) as Uint8Array),
      );
    };
    expect(info.appHash).toEqual(merkleRoot(["alpha", "mid", "zeta"].map(leaf)));
    // the empty store's root is sha256 of nothing (iavl v1)
    expect(info.storeRoots.get("mid")).toEqual(sha256(new Uint8Array(0)));
    ms.close();
    await db.close();
  });

  test("proof ops: ics23:iavl against the store root, ics23:simple against the app hash", async () => {
    const db = openNodeDb({ path: tempDir() });
    const names = ["a", "bank", "c", "d", "e"];
    const ms = openMultiStore({ db, storeNames: names });
    for (const name of names)
      for (let i = 0; i < 50; i++) ms.working(name).set(enc(`${name}${i * 2}`), enc(`v${i}`));
    db.writeBlock((b) => ms.commit(b));
    const view = ms.at();
    for (const name of names) {
      for (const [key, present] of [
        [`${name}4`, true],
        [`${name}5`, false],
      ] as const) {
        const { value, proofOps } = view.prove(name, enc(key));
        expect(proofOps.map((o) => o.type)).toEqual(["ics23:iavl", "ics23:simple"]);
        expect(proofOps[1]?.key).toEqual(enc(name));
        const root = view.storeRoots.get(name) as Uint8Array;
        const iavl = ics23.CommitmentProof.decode(proofOps[0]?.data as Uint8Array);
        if (present) {
          expect(value).toEqual(enc("v2"));
          expect(verifyMembership(iavl, iavlSpec, root, enc(key), value as Uint8Array)).toBe(true);
        } else {
          expect(value).toBeUndefined();
          expect(verifyNonMembership(iavl, iavlSpec, root, enc(key))).toBe(true);
        }
        const simple = ics23.CommitmentProof.decode(proofOps[1]?.data as Uint8Array);
        expect(verifyMembership(simple, tendermintSpec, view.appHash, enc(name), root)).toBe(true);
        expect(calculateExistenceRoot(simple.exist as ics23.IExistenceProof)).toEqual(view.appHash);
      }
    }
    ms.close();
    await db.close();
  });

  test("a writeBlock that throws after commit leaves no version, on disk or in memory", async () => {
    const dir = tempDir();
    let db = openNodeDb({ path: dir });
    let ms = openMultiStore({ db, storeNames: ["s"] });
    ms.working("s").set(enc("k"), enc("v1"));
    const first = db.writeBlock((b) => ms.commit(b));
    ms.working("s").set(enc("k"), enc("v2"));
    ms.working("s").set(enc("k2"), enc("x"));
    expect(() =>
      db.writeBlock((b) => {
        ms.commit(b);
        throw new Error("block failed");
      }),
    ).toThrow("block failed");
    expect(ms.lastCommit.version).toBe(1n);
    expect(ms.lastCommit.appHash).toEqual(first.appHash);
    expect(ms.working("s").get(enc("k"))).toEqual(enc("v1"));
    expect(ms.retainedVersions()).toEqual([1n]);
    ms.working("s").set(enc("k"), enc("v3"));
    const second = db.writeBlock((b) => ms.commit(b));
    expect(second.version).toBe(2n);
    ms.close();
    await db.close();
    db = openNodeDb({ path: dir });
    ms = openMultiStore({ db, storeNames: ["s"] });
    expect(ms.lastCommit.appHash).toEqual(second.appHash);
    expect(ms.at().store("s").get(enc("k"))).toEqual(enc("v3"));
    expect(ms.at(1n).store("s").get(enc("k"))).toEqual(enc("v1"));
    ms.close();
    await db.close();
  });

  test("versions out of range are invalid, pruned ones say so; initialVersion starts the count", async () => {
    const db = openNodeDb({ path: tempDir() });
    const ms = openMultiStore({ db, storeNames: ["s"], keepRecent: 2, initialVersion: 10n });
    expect(ms.lastCommit.version).toBe(0n);
    expect(codeOf(() => ms.at())).toBe("store_invalid_argument");
    for (let i = 0; i < 5; i++) {
      ms.working("s").set(enc(`k${i}`), enc("v"));
      db.writeBlock((b) => ms.commit(b));
    }
    expect(ms.retainedVersions()).toEqual([13n, 14n]);
    expect(codeOf(() => ms.at(12n))).toBe("store_version_pruned");
    expect(codeOf(() => ms.at(15n))).toBe("store_invalid_argument");
    expect(codeOf(() => ms.at(0n))).toBe("store_invalid_argument");
    expect(codeOf(() => ms.working("nope"))).toBe("store_invalid_argument");
    ms.close();
    expect(codeOf(() => ms.at())).toBe("store_closed");
    await db.close();
  });

  test("a store added later reads as empty before it existed", async () => {
    const dir = tempDir();
    let db = openNodeDb({ path: dir });
    let ms = openMultiStore({ db, storeNames: ["a"] });
    ms.working("a").set(enc("k"), enc("v"));
    db.writeBlock((b) => ms.commit(b));
    ms.close();
    await db.close();
    db = openNodeDb({ path: dir });
    ms = openMultiStore({ db, storeNames: ["a", "b"] });
    ms.working("b").set(enc("x"), enc("y"));
    const info = db.writeBlock((b) => ms.commit(b));
    expect(info.version).toBe(2n);
    expect(ms.at(1n).store("b").get(enc("x"))).toBeUndefined();
    expect(ms.at(2n).store("b").get(enc("x"))).toEqual(enc("y"));
    ms.close();
    await db.close();
  });
});

describe("snapshots", () => {
  test("export at a height, import into a fresh store: same roots, app hash and keys", async () => {
    const db = openNodeDb({ path: tempDir() });
    const ms = openMultiStore({ db, storeNames: ["a", "b", "c"] });
    const rand = fc.sample(
      fc.tuple(fc.nat(2), fc.uint8Array({ minLength: 1, maxLength: 8 }), smallValue),
      { numRuns: 3000, seed: 7 },
    );
    let n = 0;
    for (const [s, k, v] of rand) {
      ms.working(["a", "b"][s % 2] as string).set(k, v);
      if (++n % 500 === 0) db.writeBlock((b) => ms.commit(b));
    }
    const target = 3n;
    const view = ms.at(target);
    const chunks = Array.from(ms.exportSnapshot(target));
    // the stream survives any chunking
    const joined = concatBytes(...chunks);
    const rechunked: Uint8Array[] = [];
    for (let i = 0; i < joined.length; i += 777) rechunked.push(joined.subarray(i, i + 777));
    const db2 = openNodeDb({ path: tempDir() });
    const ms2 = await importSnapshot({ db: db2, storeNames: ["a", "b", "c"] }, rechunked, {
      expectedAppHash: view.appHash,
    });
    expect(ms2.lastCommit.version).toBe(target);
    expect(ms2.lastCommit.appHash).toEqual(view.appHash);
    const view2 = ms2.at();
    for (const name of ["a", "b", "c"]) {
      expect(view2.storeRoots.get(name)).toEqual(view.storeRoots.get(name));
      expect(hexEntries(view2.store(name).iterate())).toEqual(
        hexEntries(view.store(name).iterate()),
      );
    }
    // the imported store goes on committing like the original
    ms2.working("a").set(enc("after"), enc("1"));
    expect(db2.writeBlock((b) => ms2.commit(b)).version).toBe(target + 1n);
    // damage is detected: a flipped byte fails a checksum, a wrong expected hash is refused
    const bad = joined.slice();
    const mid = Math.floor(bad.length / 2);
    bad[mid] = (bad[mid] as number) ^ 1;
    const db3 = openNodeDb({ path: tempDir() });
    await expect(importSnapshot({ db: db3, storeNames: ["a", "b", "c"] }, [bad])).rejects.toThrow(
      QosError,
    );
    const db4 = openNodeDb({ path: tempDir() });
    await expect(
      importSnapshot({ db: db4, storeNames: ["a", "b", "c"] }, [joined], {
        expectedAppHash: new Uint8Array(32),
      }),
    ).rejects.toThrow("expected");
    await db3.close();
    await db4.close();
    await expect(
      importSnapshot({ db: db2, storeNames: ["a", "b", "c"] }, [joined]),
    ).rejects.toThrow("empty");
    ms.close();
    ms2.close();
    await db.close();
    await db2.close();
  });
});
