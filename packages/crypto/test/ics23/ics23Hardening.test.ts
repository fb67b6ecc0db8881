// The checks @confio/ics23 0.6.8 lacks (Go ics23 v0.10+ has them): for each, a proof 0.6.8 accepts
// and our verifier rejects, under both entries of @qos/crypto.
import {
  ics23 as confio,
  iavlSpec as confioIavlSpec,
  tendermintSpec as confioTendermintSpec,
  verifyMembership as confioVerifyMembership,
  verifyNonMembership as confioVerifyNonMembership,
} from "@confio/ics23";
import { ICS23_REASON, iavlSpec, tendermintSpec } from "@qos/crypto";
import { concatBytes, createWireMessage, ics23 } from "@qos/types";
import { describe, expect, it } from "vitest";
import { ENTRIES } from "../entries.ts";
import {
  enc,
  encodeCommitment,
  existCommitment,
  HashOp,
  iavlTree,
  type Kv,
  kvsOf,
  leafOpMessage,
  sha,
  tendermintTree,
  uvarint,
  zz,
} from "./ics23Trees.ts";

const toConfio = (p: ics23.CommitmentProof) => confio.CommitmentProof.decode(encodeCommitment(p));

function exist(
  key: Uint8Array,
  value: Uint8Array,
  leafPrefix: Uint8Array,
  path: { prefix: Uint8Array; suffix: Uint8Array }[],
) {
  return createWireMessage(ics23.CommitmentProofSchema, {
    proof: {
      case: "exist",
      value: {
        key,
        value,
        leaf: leafOpMessage(leafPrefix),
        path: path.map((op) => ({ hash: HashOp.SHA256, prefix: op.prefix, suffix: op.suffix })),
      },
    },
  });
}

/** Tendermint-format leaf hash of (k, v). */
const tmLeaf = (k: Uint8Array, v: Uint8Array) =>
  sha(Uint8Array.of(0), uvarint(k.length), k, uvarint(32), sha(v));

describe.each(ENTRIES)("checks @confio/ics23 0.6.8 lacks (%s entry)", (_name, api) => {
  it("1-byte 00 inner prefix: a key never written is 'proven' from a crafted honest key (HasPrefix)", () => {
    // Attacker picks (k', v') whose leaf hash X starts with 62, writes the honest key
    // k = X[1..32] ‖ 31 bytes (length 62), then proves (k', v') with one inner op {prefix 00, suffix}:
    // sha256(00 ‖ X ‖ suffix) is exactly k's honest leaf hash.
    const forgedKey = enc("never-written");
    let forgedValue = enc("v0");
    let x = tmLeaf(forgedKey, forgedValue);
    for (let i = 1; x[0] !== 62; i++) {
      forgedValue = enc(`v${i}`);
      x = tmLeaf(forgedKey, forgedValue);
    }
    const honestKey = concatBytes(x.subarray(1), new Uint8Array(31).fill(7));
    const honestValue = enc("honest");
    const tree = tendermintTree([{ key: honestKey, value: honestValue }, ...kvsOf(3)]);
    const i = tree.kvs.findIndex((kv) => kv.key === honestKey);
    const suffix = concatBytes(honestKey.subarray(31), uvarint(32), sha(honestValue));
    expect(sha(Uint8Array.of(0), x, suffix)).toEqual(tmLeaf(honestKey, honestValue));
    expect(suffix.length % 32).toBe(0);
    const forged = exist(forgedKey, forgedValue, Uint8Array.of(0), [
      { prefix: Uint8Array.of(0), suffix },
      ...tree.path(i),
    ]);
    expect(
      confioVerifyMembership(
        toConfio(forged),
        confioTendermintSpec,
        tree.root,
        forgedKey,
        forgedValue,
      ),
    ).toBe(true);
    const v = api.verifyMembership(tendermintSpec, tree.root, forged, forgedKey, forgedValue);
    expect(v).toMatchObject({ ok: false, reason: ICS23_REASON.innerSpecMismatch });
  });

  it("Dragonberry-style IAVL leaf: a longer leaf prefix re-reads an honest key's tail as a key (validateIavlOps)", () => {
    const forgedKey = enc("victim");
    const honestKey = concatBytes(enc("xx"), uvarint(forgedKey.length), forgedKey);
    const value = enc("100000000uatom");
    const tree = iavlTree([{ key: honestKey, value }, ...kvsOf(4)]);
    const i = tree.kvs.findIndex((kv) => kv.key === honestKey);
    const leafPrefix = concatBytes(tree.leafPrefix(i), uvarint(honestKey.length), enc("xx"));
    const forged = exist(forgedKey, value, leafPrefix, tree.path(i));
    expect(
      confioVerifyMembership(toConfio(forged), confioIavlSpec, tree.root, forgedKey, value),
    ).toBe(true);
    expect(api.verifyMembership(iavlSpec, tree.root, forged, forgedKey, value)).toMatchObject({
      ok: false,
      reason: ICS23_REASON.leafSpecMismatch,
    });
  });

  const iavlCases: [string, (h: number, s: number, v: number) => Uint8Array][] = [
    [
      "extra bytes after the varints (remainder not 1 or 34)",
      (h, s, v) => concatBytes(zz(h), zz(s), zz(v), Uint8Array.of(9, 9)),
    ],
    ["height below the layer", (_h, s, v) => concatBytes(zz(1), zz(s), zz(v))],
    ["negative size", (h, _s, v) => concatBytes(zz(h), zz(-1), zz(v))],
    ["negative version", (h, s) => concatBytes(zz(h), zz(s), zz(-5))],
  ];
  for (const [what, innerPrefix] of iavlCases) {
    it(`IAVL inner op with ${what} (validateIavlOps)`, () => {
      const tree = iavlTree(kvsOf(5), { innerPrefix });
      tree.kvs.forEach((kv: Kv, i) => {
        const proof = existCommitment(tree, i);
        expect(
          confioVerifyMembership(toConfio(proof), confioIavlSpec, tree.root, kv.key, kv.value),
        ).toBe(true);
        expect(api.verifyMembership(iavlSpec, tree.root, proof, kv.key, kv.value)).toMatchObject({
          ok: false,
          reason: ICS23_REASON.innerSpecMismatch,
        });
      });
    });
  }

  /** A two-leaf tendermint-format "tree" whose root node uses the given inner op. */
  function twoLeaves(
    op: (l: Uint8Array, r: Uint8Array) => { prefix: Uint8Array; suffix: Uint8Array },
  ) {
    const a = { key: enc("a"), value: enc("1") };
    const la = tmLeaf(a.key, a.value);
    const lb = tmLeaf(enc("b"), enc("2"));
    const step = op(la, lb);
    const root = sha(step.prefix, la, step.suffix);
    return { a, root, proof: exist(a.key, a.value, Uint8Array.of(0), [step]) };
  }

  const tmCases: [
    string,
    (l: Uint8Array, r: Uint8Array) => { prefix: Uint8Array; suffix: Uint8Array },
  ][] = [
    [
      "suffix not a multiple of childSize",
      (_l, r) => ({ prefix: Uint8Array.of(1), suffix: r.subarray(0, 31) }),
    ],
    [
      "prefix not starting with 01 (validateTendermintOps)",
      (_l, r) => ({ prefix: Uint8Array.of(2), suffix: r }),
    ],
    [
      "a suffix with a prefix longer than 01 (validateTendermintOps)",
      (l, r) => ({ prefix: concatBytes(Uint8Array.of(1), l), suffix: r }),
    ],
  ];
  for (const [what, op] of tmCases) {
    it(`tendermint inner op with ${what}`, () => {
      const { a, root, proof } = twoLeaves(op);
      expect(
        confioVerifyMembership(toConfio(proof), confioTendermintSpec, root, a.key, a.value),
      ).toBe(true);
      expect(api.verifyMembership(tendermintSpec, root, proof, a.key, a.value)).toMatchObject({
        ok: false,
        reason: ICS23_REASON.innerSpecMismatch,
      });
    });
  }

  it("a spec with maxPrefixLength ≥ minPrefixLength + childSize: forged non-existence of a present key", () => {
    // Go ops_test TestForgeNonExistenceProofWithIncorrectMaxPrefixLength, rebuilt: with max prefix 33
    // an inner op can carry a whole sibling in its prefix and still look left-most.
    const spec = createWireMessage(ics23.ProofSpecSchema, tendermintSpec);
    (spec.innerSpec as ics23.InnerSpec).maxPrefixLength = 33;
    const oracleSpec = {
      ...confioTendermintSpec,
      innerSpec: { ...confioTendermintSpec.innerSpec, maxPrefixLength: 33 },
    };
    const leaf = (s: string) => tmLeaf(enc(s), enc(s));
    const one = Uint8Array.of(1);
    const y = sha(one, leaf("a"), leaf("b"), leaf("b2"));
    const root = sha(one, y, leaf("c"));
    const bPath = [
      { prefix: concatBytes(one, leaf("a")), suffix: leaf("b2") },
      { prefix: one, suffix: leaf("c") },
    ];
    const forged = createWireMessage(ics23.CommitmentProofSchema, {
      proof: {
        case: "nonexist",
        value: {
          key: enc("a"),
          right: {
            key: enc("b"),
            value: enc("b"),
            leaf: leafOpMessage(Uint8Array.of(0)),
            path: bPath.map((op) => ({ hash: HashOp.SHA256, ...op })),
          },
        },
      },
    });
    expect(confioVerifyNonMembership(toConfio(forged), oracleSpec, root, enc("a"))).toBe(true);
    expect(api.verifyNonMembership(spec, root, forged, enc("a"))).toMatchObject({
      ok: false,
      reason: ICS23_REASON.invalidSpec,
    });
  });

  it("rejects empty keys and values, as 0.6.8 does", () => {
    const empty = new Uint8Array(0);
    for (const [key, value] of [
      [empty, enc("v")],
      [enc("k"), empty],
    ] as const) {
      const leaf = sha(Uint8Array.of(0), uvarint(key.length), key, uvarint(32), sha(value));
      const proof = exist(key, value, Uint8Array.of(0), []);
      expect(confioVerifyMembership(toConfio(proof), confioTendermintSpec, leaf, key, value)).toBe(
        false,
      );
      expect(api.verifyMembership(tendermintSpec, leaf, proof, key, value)).toMatchObject({
        ok: false,
        reason: ICS23_REASON.emptyKeyOrValue,
      });
    }
  });

  it("enforces spec.minDepth / spec.maxDepth", () => {
    const tree = tendermintTree(kvsOf(8));
    const kv = tree.kvs[0] as Kv;
    const proof = existCommitment(tree, 0);
    for (const [minDepth, maxDepth, ok] of [
      [3, 3, true],
      [4, 0, false],
      [0, 2, false],
    ] as const) {
      const spec = createWireMessage(ics23.ProofSpecSchema, tendermintSpec);
      spec.minDepth = minDepth;
      spec.maxDepth = maxDepth;
      const v = api.verifyMembership(spec, tree.root, proof, kv.key, kv.value);
      expect(v.ok).toBe(ok);
      if (!v.ok) expect(v.reason).toBe(ICS23_REASON.depth);
    }
  });

  it("refuses batch and compressed proofs (not run, as ics23 v0.11 VerifyMembership)", () => {
    const tree = tendermintTree(kvsOf(2));
    const kv = tree.kvs[0] as Kv;
    const inner = existCommitment(tree, 0).proof.value as ics23.ExistenceProof;
    const batch = createWireMessage(ics23.CommitmentProofSchema, {
      proof: { case: "batch", value: { entries: [{ proof: { case: "exist", value: inner } }] } },
    });
    expect(api.verifyMembership(tendermintSpec, tree.root, batch, kv.key, kv.value)).toMatchObject({
      ok: false,
      reason: ICS23_REASON.unsupported,
    });
  });

  it("rejects each single-byte change of a proof's bytes at every position (8 masks each)", () => {
    for (const [build, spec] of [
      [iavlTree, iavlSpec],
      [tendermintTree, tendermintSpec],
    ] as const) {
      const tree = build(kvsOf(5));
      const kv = tree.kvs[2] as Kv;
      const bytes = encodeCommitment(existCommitment(tree, 2));
      for (let at = 0; at < bytes.length; at++) {
        for (const mask of [0x01, 0x02, 0x08, 0x10, 0x40, 0x80, 0x7f, 0xff]) {
          const m = bytes.slice();
          m[at] = (m[at] as number) ^ mask;
          expect(api.verifyMembership(spec, tree.root, m, kv.key, kv.value).ok).toBe(false);
        }
      }
    }
  });
});
