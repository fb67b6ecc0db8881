// verifyStoreReads: read-set proofs (per store an ics23:iavl batch of existence and
// non-existence proofs, then ics23:simple up to the app hash) over independently built IAVL-format
// trees (ics23Trees.ts, not our store). What a passing proof establishes, and hostile shapes.
import { ICS23_REASON, PROOF_OP_IAVL, PROOF_OP_SIMPLE, type StoreProofOp } from "@qos/crypto";
import { type ics23, utf8Encode } from "@qos/types";
import { describe, expect, it } from "vitest";
import { ENTRIES } from "../entries.ts";
import {
  absentKeys,
  encodeCommitment,
  existCommitment,
  iavlTree,
  kvsOf,
  nonExistCommitment,
  sha,
  type Tree,
  tendermintTree,
} from "./ics23Trees.ts";

const EMPTY_ROOT = sha(new Uint8Array());
const STORES = ["acc", "bank", "empty"];
const stores = new Map<string, Tree>([
  ["acc", iavlTree(kvsOf(9, "acc"))],
  ["bank", iavlTree(kvsOf(5, "bank"))],
]);
const rootOf = (name: string) => stores.get(name)?.root ?? EMPTY_ROOT;
const multi = tendermintTree(
  STORES.map((name) => ({ key: utf8Encode(name), value: rootOf(name) })),
);
const appHash = multi.root;

function batch(entries: ics23.CommitmentProof[]): Uint8Array {
  return encodeCommitment({
    $typeName: "cosmos.ics23.v1.CommitmentProof",
    proof: {
      case: "batch",
      value: {
        $typeName: "cosmos.ics23.v1.BatchProof",
        entries: entries.map((e) => ({
          $typeName: "cosmos.ics23.v1.BatchEntry",
          proof: e.proof as ics23.BatchEntry["proof"],
        })),
      },
    },
  } as ics23.CommitmentProof);
}

function rootOp(name: string): StoreProofOp {
  const m = multi.kvs.findIndex((kv) => new TextDecoder().decode(kv.key) === name);
  return {
    type: PROOF_OP_SIMPLE,
    key: utf8Encode(name),
    data: encodeCommitment(existCommitment(multi, m)),
  };
}

function opsFor(name: string, entries: ics23.CommitmentProof[]): StoreProofOp[] {
  return [{ type: PROOF_OP_IAVL, key: new Uint8Array(), data: batch(entries) }, rootOp(name)];
}

describe.each(ENTRIES)("verifyStoreReads (%s entry)", (_name, api) => {
  const acc = stores.get("acc") as Tree;
  const bank = stores.get("bank") as Tree;
  const absent = absentKeys(acc)[3] as Uint8Array;

  it("returns the present keys, absent keys and gaps a batch proves, per store", () => {
    const proofOps = [
      ...opsFor("acc", [existCommitment(acc, 2), nonExistCommitment(acc, absent)]),
      ...opsFor("bank", [existCommitment(bank, 0)]),
      ...opsFor("empty", []),
    ];
    const v = api.verifyStoreReads({ appHash, proofOps });
    if (!v.ok) throw new Error(v.message);
    expect(v.stores.map((s) => s.storeName)).toEqual(STORES);
    const [a, b, e] = v.stores as [
      (typeof v.stores)[0],
      (typeof v.stores)[0],
      (typeof v.stores)[0],
    ];
    expect(a.root).toEqual(acc.root);
    expect(a.present[0]).toEqual({ key: acc.kvs[2]?.key, value: acc.kvs[2]?.value });
    expect(a.absent).toEqual([absent]);
    // The gap around the absent key: its neighbours, adjacent leaves of the tree.
    const gap = a.gaps[0];
    const sorted = acc.kvs.map((kv) => Buffer.from(kv.key).toString("hex"));
    const left =
      gap?.left === undefined ? -1 : sorted.indexOf(Buffer.from(gap.left).toString("hex"));
    const right =
      gap?.right === undefined
        ? sorted.length
        : sorted.indexOf(Buffer.from(gap.right).toString("hex"));
    expect(right - left).toBe(1);
    expect(b.present).toHaveLength(1);
    expect([e.root, e.present, e.gaps]).toEqual([
      EMPTY_ROOT,
      [],
      [{ left: undefined, right: undefined }],
    ]);
  });

  it("refuses hostile shapes and proofs of another tree", () => {
    const good = opsFor("acc", [existCommitment(acc, 1)]);
    const fail = (proofOps: StoreProofOp[], reason: string) =>
      expect(api.verifyStoreReads({ appHash, proofOps })).toMatchObject({ ok: false, reason });
    fail([], ICS23_REASON.proofOps);
    fail(good.slice(0, 1), ICS23_REASON.proofOps);
    fail([good[1] as StoreProofOp, good[0] as StoreProofOp], ICS23_REASON.proofOps);
    fail([...good, ...good], ICS23_REASON.proofOps);
    fail(
      [{ ...(good[0] as StoreProofOp), key: Uint8Array.of(1) }, good[1] as StoreProofOp],
      ICS23_REASON.proofOps,
    );
    // A single proof where a batch belongs.
    fail(
      [
        { ...(good[0] as StoreProofOp), data: encodeCommitment(existCommitment(acc, 1)) },
        good[1] as StoreProofOp,
      ],
      ICS23_REASON.proofOps,
    );
    // A batch entry from another store's tree: a second root inside one batch.
    fail(
      opsFor("acc", [existCommitment(acc, 1), existCommitment(bank, 1)]),
      ICS23_REASON.rootMismatch,
    );
    // acc's entries under bank's name; an empty batch claiming acc is empty.
    fail([good[0] as StoreProofOp, rootOp("bank")], ICS23_REASON.valueMismatch);
    fail(opsFor("acc", []), ICS23_REASON.valueMismatch);
    // Another app hash.
    expect(api.verifyStoreReads({ appHash: sha(appHash), proofOps: good })).toMatchObject({
      ok: false,
    });
    // A trailing byte: not the canonical encoding.
    const padded = {
      ...(good[0] as StoreProofOp),
      data: Uint8Array.of(...(good[0] as StoreProofOp).data, 0),
    };
    fail([padded, good[1] as StoreProofOp], ICS23_REASON.malformedProof);
    // Hostile objects never throw.
    expect(
      api.verifyStoreReads({ appHash, proofOps: [null, 5] as unknown as StoreProofOp[] }),
    ).toMatchObject({ ok: false, reason: ICS23_REASON.malformedProof });
  });
});
