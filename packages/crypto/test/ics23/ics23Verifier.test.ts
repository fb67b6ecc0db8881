// ICS-23 verifier: agreement with @confio/ics23 0.6.8 on honest proofs (both entries), single-byte
// mutations rejected, and hostile input answered with a verdict, never an exception.
import {
  ics23 as confio,
  iavlSpec as confioIavlSpec,
  tendermintSpec as confioTendermintSpec,
  verifyMembership as confioVerifyMembership,
  verifyNonMembership as confioVerifyNonMembership,
} from "@confio/ics23";
import { ICS23_REASON, iavlSpec, tendermintSpec } from "@qos/crypto";
import { concatBytes, createWireMessage, ics23 } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENTRIES } from "../entries.ts";
import {
  absentKeys,
  encodeCommitment,
  existCommitment,
  iavlTree,
  type Kv,
  kvsOf,
  nonExistCommitment,
  type Tree,
  tendermintTree,
} from "./ics23Trees.ts";

const FORMATS = [
  ["iavl", iavlTree, iavlSpec, confioIavlSpec],
  ["tendermint", tendermintTree, tendermintSpec, confioTendermintSpec],
] as const;

const toConfio = (p: ics23.CommitmentProof) => confio.CommitmentProof.decode(encodeCommitment(p));

const kvArb = fc.record({
  key: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  value: fc.uint8Array({ minLength: 1, maxLength: 40 }),
});

function flipByte(bytes: Uint8Array, at: number, xor: number): Uint8Array {
  const out = bytes.slice();
  out[at % out.length] = ((out[at % out.length] as number) ^ xor) & 0xff;
  return out;
}

describe.each(ENTRIES)("ICS-23 verifier (%s entry)", (_name, api) => {
  for (const [format, build, spec, oracleSpec] of FORMATS) {
    describe(`${format} format`, () => {
      it("accepts every existence and non-existence proof, as @confio/ics23 0.6.8 does", () => {
        for (const n of [1, 2, 3, 5, 8, 13]) {
          const tree = build(kvsOf(n));
          tree.kvs.forEach((kv, i) => {
            const proof = existCommitment(tree, i);
            expect(api.verifyMembership(spec, tree.root, proof, kv.key, kv.value)).toEqual({
              ok: true,
            });
            expect(
              api.verifyMembership(spec, tree.root, encodeCommitment(proof), kv.key, kv.value).ok,
            ).toBe(true);
            expect(
              confioVerifyMembership(toConfio(proof), oracleSpec, tree.root, kv.key, kv.value),
            ).toBe(true);
          });
          for (const key of absentKeys(tree)) {
            const proof = nonExistCommitment(tree, key);
            expect(api.verifyNonMembership(spec, tree.root, proof, key)).toEqual({ ok: true });
            expect(confioVerifyNonMembership(toConfio(proof), oracleSpec, tree.root, key)).toBe(
              true,
            );
          }
        }
      });

      it("agrees with @confio/ics23 on random trees (accept honest, reject wrong values)", () => {
        fc.assert(
          fc.property(fc.array(kvArb, { minLength: 1, maxLength: 20 }), fc.nat(), (kvs, pick) => {
            const tree = build(kvs);
            const i = pick % tree.kvs.length;
            const kv = tree.kvs[i] as Kv;
            const proof = existCommitment(tree, i);
            const ours = api.verifyMembership(spec, tree.root, proof, kv.key, kv.value).ok;
            expect(ours).toBe(true);
            expect(
              confioVerifyMembership(toConfio(proof), oracleSpec, tree.root, kv.key, kv.value),
            ).toBe(ours);
            const other = concatBytes(kv.value, Uint8Array.of(1));
            expect(api.verifyMembership(spec, tree.root, proof, kv.key, other).ok).toBe(false);
            expect(
              confioVerifyMembership(toConfio(proof), oracleSpec, tree.root, kv.key, other),
            ).toBe(false);
            const absent = concatBytes(kv.key, Uint8Array.of(0));
            if (
              !tree.kvs.some(
                (x) => x.key.length === absent.length && x.key.every((b, j) => b === absent[j]),
              )
            ) {
              const np = nonExistCommitment(tree, absent);
              expect(api.verifyNonMembership(spec, tree.root, np, absent).ok).toBe(true);
              expect(confioVerifyNonMembership(toConfio(np), oracleSpec, tree.root, absent)).toBe(
                true,
              );
              // The key exists: no non-existence proof of it may pass.
              expect(api.verifyNonMembership(spec, tree.root, np, kv.key).ok).toBe(false);
            }
          }),
          { numRuns: 150 },
        );
      });

      it("rejects every single-byte mutation of an existence proof, its key, value and root", () => {
        fc.assert(
          fc.property(
            fc.array(kvArb, { minLength: 1, maxLength: 12 }),
            fc.nat(),
            fc.nat(),
            fc.integer({ min: 1, max: 255 }),
            fc.constantFrom("proof", "key", "value", "root"),
            (kvs, pick, at, xor, where) => {
              const tree = build(kvs);
              const i = pick % tree.kvs.length;
              const kv = tree.kvs[i] as Kv;
              const bytes = encodeCommitment(existCommitment(tree, i));
              const args = { proof: bytes, key: kv.key, value: kv.value, root: tree.root };
              args[where] = flipByte(args[where], at, xor);
              const v = api.verifyMembership(spec, args.root, args.proof, args.key, args.value);
              expect(v.ok).toBe(false);
            },
          ),
          { numRuns: 400 },
        );
      });

      it("rejects every single-byte mutation of a non-existence proof, its key and root", () => {
        fc.assert(
          fc.property(
            fc.array(kvArb, { minLength: 1, maxLength: 12 }),
            fc.nat(),
            fc.nat(),
            fc.integer({ min: 1, max: 255 }),
            fc.constantFrom("proof", "key", "root"),
            (kvs, pick, at, xor, where) => {
              const tree = build(kvs);
              const keys = absentKeys(tree);
              const key = keys[pick % keys.length] as Uint8Array;
              const bytes = encodeCommitment(nonExistCommitment(tree, key));
              const args = { proof: bytes, key, root: tree.root };
              args[where] = flipByte(args[where], at, xor);
              expect(api.verifyNonMembership(spec, args.root, args.proof, args.key).ok).toBe(false);
            },
          ),
          { numRuns: 400 },
        );
      });
    });
  }

  it("rejects a membership claim with a non-existence proof and vice versa", () => {
    const tree = iavlTree(kvsOf(4));
    const kv = tree.kvs[1] as Kv;
    const exist = existCommitment(tree, 1);
    const absent = absentKeys(tree)[0] as Uint8Array;
    expect(api.verifyNonMembership(iavlSpec, tree.root, exist, kv.key)).toMatchObject({
      ok: false,
      reason: ICS23_REASON.malformedProof,
    });
    expect(
      api.verifyMembership(iavlSpec, tree.root, nonExistCommitment(tree, absent), absent, kv.value)
        .ok,
    ).toBe(false);
  });

  it("names the failing check: key, value, root, order and neighbours", () => {
    const tree = iavlTree(kvsOf(6));
    const kv = tree.kvs[2] as Kv;
    const proof = existCommitment(tree, 2);
    const reason = (v: { ok: boolean; reason?: string }) => v.reason;
    expect(
      reason(api.verifyMembership(iavlSpec, tree.root, proof, (tree.kvs[3] as Kv).key, kv.value)),
    ).toBe(ICS23_REASON.keyMismatch);
    expect(reason(api.verifyMembership(iavlSpec, tree.root, proof, kv.key, Uint8Array.of(9)))).toBe(
      ICS23_REASON.valueMismatch,
    );
    expect(
      reason(api.verifyMembership(iavlSpec, new Uint8Array(32), proof, kv.key, kv.value)),
    ).toBe(ICS23_REASON.rootMismatch);
    // Right neighbour only, but it is not the left-most leaf.
    const absent = concatBytes(kv.key, Uint8Array.of(0));
    const honest = nonExistCommitment(tree, absent);
    if (honest.proof.case !== "nonexist") throw new Error("unreachable");
    const { left: _l, ...rightOnly } = honest.proof.value;
    const noLeft = createWireMessage(ics23.CommitmentProofSchema, {
      proof: { case: "nonexist", value: rightOnly },
    });
    expect(reason(api.verifyNonMembership(iavlSpec, tree.root, noLeft, absent))).toBe(
      ICS23_REASON.notNeighbours,
    );
    // Neighbours two apart (leaf 1 and leaf 3 around a key between 2 and 3).
    const skip = createWireMessage(ics23.CommitmentProofSchema, {
      proof: {
        case: "nonexist",
        value: {
          key: absent,
          left: (existCommitment(tree, 1).proof as { value: ics23.ExistenceProof }).value,
          right: (existCommitment(tree, 3).proof as { value: ics23.ExistenceProof }).value,
        },
      },
    });
    expect(reason(api.verifyNonMembership(iavlSpec, tree.root, skip, absent))).toBe(
      ICS23_REASON.notNeighbours,
    );
    // The key outside the neighbours' range.
    expect(reason(api.verifyNonMembership(iavlSpec, tree.root, honest, Uint8Array.of(0)))).toBe(
      ICS23_REASON.keyMismatch,
    );
    const lying = createWireMessage(ics23.CommitmentProofSchema, {
      proof: { case: "nonexist", value: { ...honest.proof.value, key: Uint8Array.of(0) } },
    });
    expect(reason(api.verifyNonMembership(iavlSpec, tree.root, lying, Uint8Array.of(0)))).toBe(
      ICS23_REASON.keyOrder,
    );
  });

  it("answers hostile input with a verdict, never an exception", () => {
    const tree: Tree = tendermintTree(kvsOf(3));
    fc.assert(
      fc.property(
        fc.anything(),
        fc.anything(),
        fc.uint8Array({ maxLength: 200 }),
        (a, b, bytes) => {
          const calls = [
            () =>
              api.verifyMembership(
                tendermintSpec,
                tree.root,
                a as Uint8Array,
                Uint8Array.of(1),
                Uint8Array.of(1),
              ),
            () =>
              api.verifyMembership(
                a as ics23.ProofSpec,
                tree.root,
                bytes,
                Uint8Array.of(1),
                Uint8Array.of(1),
              ),
            () => api.verifyNonMembership(tendermintSpec, b as Uint8Array, bytes, a as Uint8Array),
            () =>
              api.verifyMembership(iavlSpec, tree.root, bytes, Uint8Array.of(1), Uint8Array.of(1)),
            () =>
              api.verifyNonMembership(
                iavlSpec,
                tree.root,
                { proof: { case: "nonexist", value: a } } as never,
                bytes,
              ),
            () =>
              api.verifyMembership(
                iavlSpec,
                tree.root,
                { proof: { case: "exist", value: a } } as never,
                bytes,
                bytes,
              ),
          ];
          for (const call of calls) {
            const v = call();
            expect(v.ok).toBe(false);
            if (!v.ok) expect(Object.values(ICS23_REASON)).toContain(v.reason);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
