// ICS-23 proofs of the state tree checked by @confio/ics23 0.6.8 and by our own verifier
// (@qos/crypto verifyStoreProof): random existence and non-existence proofs at random retained
// versions, against the store root (iavlSpec) and, through the ics23:simple op, the app hash
// (tendermintSpec); every mutated proof is rejected by both.
// PROOF_COUNT (default 10,000) sets the number; `PROOF_COUNT=100000` is the full acceptance run.

import {
  calculateExistenceRoot,
  iavlSpec,
  ics23,
  tendermintSpec,
  verifyMembership,
  verifyNonMembership,
} from "@confio/ics23";
import { verifyStoreProof } from "@qos/crypto";
import { equalBytes, toHex, utf8Encode } from "@qos/types";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { openMultiStore } from "../../src/multiStore.ts";
import { openNodeDb } from "../../src/nodeDb.ts";
import { encodeCommitmentProof } from "../../src/tree/ics23Proof.ts";
import { openVersionedTree } from "../../src/tree/versionedTree.ts";
import { seededRandom } from "../killChild.ts";
import { tempDir } from "../tempDir.ts";
import { enc } from "./treeModel.ts";

const PROOF_COUNT = Number(process.env.PROOF_COUNT ?? 10_000);
const STORES = ["acc", "bank", "gov", "qcp", "staking"];

function safe(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}

function decode(bytes: Uint8Array): ics23.CommitmentProof | null {
  try {
    return ics23.CommitmentProof.decode(bytes);
  } catch {
    return null;
  }
}

function readVarint(bytes: Uint8Array, off: number): [number, number] {
  let n = 0;
  let mul = 1;
  for (;;) {
    const b = bytes[off++] as number;
    n += (b & 0x7f) * mul;
    if (b < 0x80) return [n, off];
    mul *= 128;
  }
}

/**
 * The NonExistenceProof.key field inside CommitmentProof bytes. ICS-23 verifiers check the
 * neighbours against the key they are asked about, not this field, so flipping it changes nothing.
 */
function nonExistKeyBytes(bytes: Uint8Array): [number, number] {
  const [, afterOuterLen] = readVarint(bytes, 1); // tag 0x12, length of NonExistenceProof
  if (bytes[afterOuterLen] !== 0x0a) return [0, 0];
  const [keyLen, keyStart] = readVarint(bytes, afterOuterLen + 1);
  return [afterOuterLen, keyStart + keyLen]; // tag, length and bytes of the field
}

/** Canonical re-encoding of decoded bytes (protobufjs ignores wire types), or null if undecodable. */
function canonical(bytes: Uint8Array): string | null {
  const p = decode(bytes);
  return p === null ? null : toHex(ics23.CommitmentProof.encode(p).finish());
}

/**
 * The proof with one bit flipped outside `skip`, retried until it decodes to a different proof
 * (a flipped wire type that protobufjs reads the same way is no change) or to nothing.
 */
function flipByte(
  bytes: Uint8Array,
  skip: [number, number],
  int: (n: number) => number,
): Uint8Array {
  const original = canonical(bytes);
  for (;;) {
    const bad = bytes.slice();
    const at = int(bad.length);
    if (at >= skip[0] && at < skip[1]) continue;
    bad[at] = (bad[at] as number) ^ (1 << int(8));
    const c = canonical(bad);
    if (c === null || c !== original) return bad;
  }
}

describe("ICS-23 proofs", () => {
  test(`${PROOF_COUNT} random proofs accepted by @confio/ics23 and ours; mutated ones rejected by both`, async () => {
    const random = seededRandom(0x1c523);
    const int = (n: number) => Math.floor(random() * n);
    const randomKey = () => Uint8Array.from({ length: 1 + int(6) }, () => int(256));
    const db = openNodeDb({ path: tempDir() });
    const ms = openMultiStore({ db, storeNames: STORES, keepRecent: 4, keepEvery: 3 });
    // per version and store: the committed key set
    const snapshots = new Map<bigint, Map<string, Map<string, Uint8Array>>>();
    const live = new Map(STORES.map((s) => [s, new Map<string, Uint8Array>()]));
    const keys = new Map(STORES.map((s) => [s, new Map<string, Uint8Array>()]));
    for (let block = 0; block < 10; block++) {
      for (let i = 0; i < 800; i++) {
        const store = STORES[int(STORES.length)] as string;
        const key = randomKey();
        const model = live.get(store) as Map<string, Uint8Array>;
        if (random() < 0.2 && model.size > 0) {
          const victim = Array.from(model.keys())[int(model.size)] as string;
          const k = (keys.get(store) as Map<string, Uint8Array>).get(victim) as Uint8Array;
          ms.working(store).delete(k);
          model.delete(victim);
        } else {
          const value = Uint8Array.from({ length: 1 + int(40) }, () => int(256));
          ms.working(store).set(key, value);
          model.set(toHex(key), value);
          (keys.get(store) as Map<string, Uint8Array>).set(toHex(key), key);
        }
      }
      const info = db.writeBlock((b) => ms.commit(b));
      snapshots.set(info.version, new Map(Array.from(live, ([s, m]) => [s, new Map(m)])));
    }
    const versions = ms.retainedVersions();
    expect(versions.length).toBeGreaterThan(4);
    let exist = 0;
    let absent = 0;
    let rejected = 0;
    for (let i = 0; i < PROOF_COUNT; i++) {
      const version = versions[int(versions.length)] as bigint;
      const store = STORES[int(STORES.length)] as string;
      const model = (snapshots.get(version) as Map<string, Map<string, Uint8Array>>).get(
        store,
      ) as Map<string, Uint8Array>;
      let key: Uint8Array;
      if (random() < 0.5 && model.size > 0) {
        key = (keys.get(store) as Map<string, Uint8Array>).get(
          Array.from(model.keys())[int(model.size)] as string,
        ) as Uint8Array;
      } else {
        key = randomKey();
      }
      const expected = model.get(toHex(key));
      const view = ms.at(version);
      const root = view.storeRoots.get(store) as Uint8Array;
      const { value, proofOps } = view.prove(store, key);
      expect(value).toEqual(expected);
      const iavlBytes = proofOps[0]?.data as Uint8Array;
      const simpleBytes = proofOps[1]?.data as Uint8Array;
      const iavl = decode(iavlBytes) as ics23.CommitmentProof;
      const simple = decode(simpleBytes) as ics23.CommitmentProof;
      const verify = (
        p: ics23.CommitmentProof | null,
        r: Uint8Array,
        k: Uint8Array,
        v: Uint8Array | undefined,
      ) =>
        p !== null &&
        safe(() =>
          v === undefined
            ? verifyNonMembership(p, iavlSpec, r, k)
            : verifyMembership(p, iavlSpec, r, k, v),
        );
      /** Our verifier: both ops, from (key, value) to the app hash. */
      const ours = (
        iavlData: Uint8Array,
        simpleData: Uint8Array,
        appHash: Uint8Array,
        k: Uint8Array,
        v: Uint8Array | undefined,
      ) =>
        verifyStoreProof({
          appHash,
          storeName: store,
          key: k,
          value: v,
          proofOps: [
            { type: "ics23:iavl", key: k, data: iavlData },
            { type: "ics23:simple", key: utf8Encode(store), data: simpleData },
          ],
        }).ok;
      if (!verify(iavl, root, key, expected))
        throw new Error(`proof ${i} rejected (${toHex(key)} at ${version})`);
      if (!ours(iavlBytes, simpleBytes, view.appHash, key, expected))
        throw new Error(`proof ${i} rejected by our verifier (${toHex(key)} at ${version})`);
      if (expected === undefined) absent++;
      else exist++;
      expect(
        safe(() => verifyMembership(simple, tendermintSpec, view.appHash, utf8Encode(store), root)),
      ).toBe(true);
      expect(
        equalBytes(calculateExistenceRoot(simple.exist as ics23.IExistenceProof), view.appHash),
      ).toBe(true);

      // one mutation per proof, each must be rejected by both verifiers
      const kind = i % 5;
      let accepted: boolean;
      let oursAccepted: boolean;
      if (kind === 0) {
        const bad = flipByte(
          iavlBytes,
          expected === undefined ? nonExistKeyBytes(iavlBytes) : [0, 0],
          int,
        );
        accepted = verify(decode(bad), root, key, expected);
        oursAccepted = ours(bad, simpleBytes, view.appHash, key, expected);
      } else if (kind === 1) {
        // a present key: flip a byte; an absent one: claim absence of a neighbour (present)
        const neighbour = iavl.nonexist?.left?.key ?? iavl.nonexist?.right?.key;
        const other = expected === undefined ? (neighbour as Uint8Array) : key.slice();
        const at = int(other.length);
        if (expected !== undefined) other[at] = (other[at] as number) ^ (1 + int(255));
        accepted = verify(iavl, root, other, expected);
        oursAccepted = ours(iavlBytes, simpleBytes, view.appHash, other, expected);
      } else if (kind === 2) {
        const wrong = expected === undefined ? enc("x") : Uint8Array.of(...expected, 1);
        accepted = verify(iavl, root, key, wrong);
        oursAccepted = ours(iavlBytes, simpleBytes, view.appHash, key, wrong);
      } else if (kind === 3) {
        const badRoot = root.slice();
        const at = int(32);
        badRoot[at] = (badRoot[at] as number) ^ (1 << int(8));
        accepted = verify(iavl, badRoot, key, expected);
        const badAppHash = view.appHash.slice();
        badAppHash[at] = (badAppHash[at] as number) ^ (1 << int(8));
        oursAccepted = ours(iavlBytes, simpleBytes, badAppHash, key, expected);
      } else {
        const bad = flipByte(simpleBytes, [0, 0], int);
        const p = decode(bad);
        accepted =
          p !== null &&
          safe(() => verifyMembership(p, tendermintSpec, view.appHash, utf8Encode(store), root));
        oursAccepted = ours(iavlBytes, bad, view.appHash, key, expected);
      }
      if (oursAccepted)
        throw new Error(`mutated proof accepted by our verifier: proof ${i}, mutation ${kind}`);
      if (accepted) throw new Error(`mutated proof accepted: proof ${i}, mutation ${kind}`);
      rejected++;
    }
    expect(exist).toBeGreaterThan(PROOF_COUNT / 5);
    expect(absent).toBeGreaterThan(PROOF_COUNT / 5);
    expect(rejected).toBe(PROOF_COUNT);
    ms.close();
    await db.close();
  }, 600_000);

  test("non-existence at the edges: below the first key, above the last, empty tree", async () => {
    const db = openNodeDb({ path: tempDir() });
    const tree = openVersionedTree({ db, name: "t" });
    db.writeBlock((b) => tree.commit(b));
    const empty = tree.at();
    const none = empty.prove(enc("k"));
    expect(none.value).toBeUndefined();
    expect(empty.proveBytes(enc("k")).proofBytes).toEqual(none.proofBytes);
    // nothing can prove absence in an empty tree under ICS-23 (no neighbours)
    expect(
      safe(() =>
        verifyNonMembership(
          decode(none.proofBytes) as ics23.CommitmentProof,
          iavlSpec,
          empty.hash,
          enc("k"),
        ),
      ),
    ).toBe(false);
    for (const k of ["b", "d", "f"]) tree.working.set(enc(k), enc(k));
    db.writeBlock((b) => tree.commit(b));
    const view = tree.at();
    for (const k of ["a", "c", "e", "g", "ff", "b\u0000"]) {
      const r = view.prove(enc(k));
      expect(view.proveBytes(enc(k)).proofBytes).toEqual(r.proofBytes);
      const p = decode(r.proofBytes) as ics23.CommitmentProof;
      expect(verifyNonMembership(p, iavlSpec, view.hash, enc(k))).toBe(true);
    }
    await db.close();
  });

  test("property: any small tree proves every key and every gap", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 40,
          selector: toHex,
        }),
        fc.uint8Array({ minLength: 1, maxLength: 3 }),
        async (ks, probe) => {
          const db = openNodeDb({ path: tempDir() });
          const tree = openVersionedTree({ db, name: "p", cacheSize: 0 });
          ks.forEach((k, i) => {
            tree.working.set(k, Uint8Array.of(i + 1));
          });
          db.writeBlock((b) => tree.commit(b));
          const view = tree.at();
          for (const k of [...ks, probe]) {
            const r = view.prove(k);
            // the bytes-only path writes exactly the encoding of the plain-data proof
            expect(encodeCommitmentProof(r.proof)).toEqual(r.proofBytes);
            expect(view.proveBytes(k)).toEqual({ value: r.value, proofBytes: r.proofBytes });
            const p = decode(r.proofBytes) as ics23.CommitmentProof;
            const ok =
              r.value === undefined
                ? verifyNonMembership(p, iavlSpec, view.hash, k)
                : verifyMembership(p, iavlSpec, view.hash, k, r.value);
            expect(ok).toBe(true);
          }
          await db.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});
