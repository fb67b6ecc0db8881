// verifyStoreProof: CometBFT proof_ops (ics23:iavl then ics23:simple) from a key in an IAVL-format
// store up to the app hash of a multistore, as the Cosmos SDK answers ABCI queries with prove=true.
import { ICS23_REASON, PROOF_OP_IAVL, PROOF_OP_SIMPLE, type StoreProofOp } from "@qos/crypto";
import { concatBytes, utf8Encode } from "@qos/types";
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
  sha,
  type Tree,
  tendermintTree,
  uvarint,
} from "./ics23Trees.ts";

const STORES = ["acc", "bank", "ibc", "staking"];
const stores = new Map<string, Tree>(
  STORES.map((name, i) => [name, iavlTree(kvsOf(3 + i * 2, name))]),
);
const multi = tendermintTree(
  STORES.map((name) => ({ key: utf8Encode(name), value: (stores.get(name) as Tree).root })),
);
const appHash = multi.root;

function opsFor(storeName: string, key: Uint8Array, present: boolean): StoreProofOp[] {
  const store = stores.get(storeName) as Tree;
  const idx = store.kvs.findIndex(
    (kv) => kv.key.every((b, j) => b === key[j]) && kv.key.length === key.length,
  );
  const storeProof = present ? existCommitment(store, idx) : nonExistCommitment(store, key);
  const m = multi.kvs.findIndex((kv) => new TextDecoder().decode(kv.key) === storeName);
  return [
    { type: PROOF_OP_IAVL, key, data: encodeCommitment(storeProof) },
    {
      type: PROOF_OP_SIMPLE,
      key: utf8Encode(storeName),
      data: encodeCommitment(existCommitment(multi, m)),
    },
  ];
}

describe.each(ENTRIES)("verifyStoreProof (%s entry)", (_name, api) => {
  it("the multistore root is CometBFT's merkle root of uvarint(len name) ‖ name ‖ uvarint(32) ‖ sha256(root)", () => {
    const items = STORES.map((name) =>
      concatBytes(
        uvarint(name.length),
        utf8Encode(name),
        uvarint(32),
        sha((stores.get(name) as Tree).root),
      ),
    );
    expect(api.merkleRoot(items)).toEqual(appHash);
  });

  it("proves every key present and absent keys absent, in every store", () => {
    for (const name of STORES) {
      const store = stores.get(name) as Tree;
      for (const kv of store.kvs) {
        const proofOps = opsFor(name, kv.key, true);
        expect(
          api.verifyStoreProof({
            appHash,
            storeName: name,
            key: kv.key,
            value: kv.value,
            proofOps,
          }),
        ).toEqual({
          ok: true,
        });
      }
      for (const key of absentKeys(store)) {
        const proofOps = opsFor(name, key, false);
        expect(
          api.verifyStoreProof({ appHash, storeName: name, key, value: undefined, proofOps }).ok,
        ).toBe(true);
      }
    }
  });

  it("rejects a wrong value, a wrong app hash, an absence claim for a present key", () => {
    const kv = (stores.get("bank") as Tree).kvs[1] as Kv;
    const proofOps = opsFor("bank", kv.key, true);
    const base = { appHash, storeName: "bank", key: kv.key, value: kv.value, proofOps };
    const wrongValue = api.verifyStoreProof({ ...base, value: utf8Encode("1000000000uatom") });
    expect(wrongValue).toMatchObject({ ok: false, reason: ICS23_REASON.valueMismatch });
    expect(!wrongValue.ok && wrongValue.message.startsWith("proof op 1 (ics23:iavl): ")).toBe(true);
    expect(api.verifyStoreProof({ ...base, appHash: sha(appHash) })).toMatchObject({
      ok: false,
      reason: ICS23_REASON.rootMismatch,
    });
    const absence = api.verifyStoreProof({ ...base, value: undefined });
    expect(absence).toMatchObject({ ok: false, reason: ICS23_REASON.malformedProof });
  });

  it("checks the key path and the op shapes", () => {
    const kv = (stores.get("bank") as Tree).kvs[0] as Kv;
    const proofOps = opsFor("bank", kv.key, true);
    const base = { appHash, storeName: "bank", key: kv.key, value: kv.value, proofOps };
    const reason = (v: { ok: boolean; reason?: string }) => v.reason;
    expect(reason(api.verifyStoreProof({ ...base, storeName: "acc" }))).toBe(ICS23_REASON.proofOps);
    expect(reason(api.verifyStoreProof({ ...base, key: utf8Encode("other") }))).toBe(
      ICS23_REASON.proofOps,
    );
    expect(
      reason(
        api.verifyStoreProof({ ...base, proofOps: [proofOps[1], proofOps[0]] as StoreProofOp[] }),
      ),
    ).toBe(ICS23_REASON.proofOps);
    expect(reason(api.verifyStoreProof({ ...base, proofOps: proofOps.slice(0, 1) }))).toBe(
      ICS23_REASON.proofOps,
    );
    const smt = [
      { ...(proofOps[0] as StoreProofOp), type: "ics23:smt" },
      proofOps[1] as StoreProofOp,
    ];
    expect(reason(api.verifyStoreProof({ ...base, proofOps: smt }))).toBe(ICS23_REASON.proofOps);
    // A store proof from another store's tree: the multistore op no longer reaches the app hash.
    const accKv = (stores.get("acc") as Tree).kvs[0] as Kv;
    const mixed = [opsFor("acc", accKv.key, true)[0] as StoreProofOp, proofOps[1] as StoreProofOp];
    const v = api.verifyStoreProof({
      ...base,
      key: accKv.key,
      value: accKv.value,
      proofOps: mixed,
    });
    expect(v).toMatchObject({ ok: false, reason: ICS23_REASON.valueMismatch });
    expect(!v.ok && v.message.startsWith("proof op 2 (ics23:simple): ")).toBe(true);
  });

  it("answers malformed requests with a verdict", () => {
    const kv = (stores.get("ibc") as Tree).kvs[0] as Kv;
    const proofOps = opsFor("ibc", kv.key, true);
    const base = { appHash, storeName: "ibc", key: kv.key, value: kv.value, proofOps };
    for (const bad of [
      { ...base, proofOps: null },
      { ...base, appHash: "00" },
      { ...base, proofOps: [{ type: PROOF_OP_IAVL }, proofOps[1]] },
      {
        ...base,
        proofOps: [
          { ...(proofOps[0] as StoreProofOp), data: Uint8Array.of(0xff, 0xff) },
          proofOps[1],
        ],
      },
      null,
    ]) {
      expect(api.verifyStoreProof(bad as never).ok).toBe(false);
    }
  });
});
