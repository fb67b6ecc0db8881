// Proofs of a read set: every key a query read and every range it iterated, in one or more
// module stores, as CometBFT `proof_ops`. Per store two ops, in the layout of a single-key store
// proof (store/rootmulti/proof.go) but with an ICS-23 batch in the first:
//   { type "ics23:iavl",   key empty,      data CommitmentProof{batch: [exist | nonexist ...]} }
//   { type "ics23:simple", key store name, data CommitmentProof{exist: store name → store root} }
// Every batch entry must verify against one store root (Go BatchProof semantics: each entry on
// its own, as VerifyMembership / VerifyNonMembership), and that root must be proven under the
// store name in the app hash. What the verified proof establishes, per store:
//   - present keys with their values (existence entries, and the neighbours inside non-existence
//     entries, whose existence proofs are verified too);
//   - gaps: a non-existence entry's left and right leaves are adjacent in the tree (Go
//     IsLeftNeighbor), so no key lies strictly between them; a missing neighbour means the other
//     is the first or last leaf.
// An empty batch proves an empty store: its root must be the empty tree's (iavl v1: sha256 of
// nothing), which no non-empty tree can have. Pure, never throws.
import { equalBytes, fromHex, type ics23, utf8Encode } from "@qos/types";
import type { HashOutcome } from "./ics23Ops.ts";
import { ICS23_REASON, type Ics23Verdict, ics23Fail, ics23Wrap } from "./ics23Verdict.ts";
import { decodeCanonicalCommitmentProof, type Ics23Verifier } from "./ics23Verifier.ts";
import { iavlSpec, tendermintSpec } from "./proofSpecs.ts";
import { isStoreProofOp, PROOF_OP_IAVL, PROOF_OP_SIMPLE, type StoreProofOp } from "./storeProof.ts";

export interface ProvenEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Two adjacent leaves of a store's tree; undefined stands for the start or end of the tree. */
export interface ProvenGap {
  readonly left: Uint8Array | undefined;
  readonly right: Uint8Array | undefined;
}

/** What a verified read-set proof establishes about one store at the proven version. */
export interface ProvenStoreReads {
  readonly storeName: string;
  /** The store's root hash, proven under its name in the app hash. */
  readonly root: Uint8Array;
  /** Keys proven present, with their values (order of the proof; a key may repeat). */
  readonly present: readonly ProvenEntry[];
  /** Keys proven absent (each is also inside one of `gaps`). */
  readonly absent: readonly Uint8Array[];
  /** Adjacent leaves: no key of the store lies strictly between `left` and `right`. */
  readonly gaps: readonly ProvenGap[];
}

export type StoreReadsVerdict =
  | { readonly ok: true; readonly stores: readonly ProvenStoreReads[] }
  | Extract<Ics23Verdict, { ok: false }>;

export interface StoreReadsProofRequest {
  /** The app hash of the header that commits to the queried state (height + 1's header). */
  readonly appHash: Uint8Array;
  readonly proofOps: readonly StoreProofOp[];
}

export interface StoreReadsVerifier {
  verifyStoreReads(request: StoreReadsProofRequest): StoreReadsVerdict;
}

/** Root of an empty tree (iavl v1: sha256 of the empty string). */
const EMPTY_TREE_ROOT = fromHex(
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
) as Uint8Array;

function fail(verdict: Ics23Verdict): Extract<Ics23Verdict, { ok: false }> {
  if (verdict.ok) throw new Error("unreachable: a passing verdict reported as a failure");
  return verdict;
}

type SingleProof = Extract<ics23.CommitmentProof["proof"], { case: "exist" | "nonexist" }>;

function commitment(entry: ics23.BatchEntry["proof"]): SingleProof | undefined {
  if (entry.case === "exist") return { case: "exist", value: entry.value };
  if (entry.case === "nonexist") return { case: "nonexist", value: entry.value };
  return undefined;
}

export function createStoreReadsVerifier(verifier: Ics23Verifier): StoreReadsVerifier {
  /** One store's batch: every entry verified against one root; the facts it proves. */
  function verifyBatch(
    storeName: string,
    data: Uint8Array,
  ):
    | { ok: true; root: Uint8Array; reads: Omit<ProvenStoreReads, "storeName" | "root"> }
    | { ok: false; verdict: Ics23Verdict } {
    const decoded = decodeCanonicalCommitmentProof(data);
    if ("ok" in decoded) return { ok: false, verdict: decoded };
    if (decoded.proof.case !== "batch") {
      return {
        ok: false,
        verdict: ics23Fail(ICS23_REASON.proofOps, "expected an ICS-23 batch proof of the reads"),
      };
    }
    const entries = decoded.proof.value.entries;
    if (entries.length === 0) {
      return {
        ok: true,
        root: EMPTY_TREE_ROOT,
        reads: { present: [], absent: [], gaps: [{ left: undefined, right: undefined }] },
      };
    }
    const present: ProvenEntry[] = [];
    const absent: Uint8Array[] = [];
    const gaps: ProvenGap[] = [];
    let root: Uint8Array | undefined;
    for (let i = 0; i < entries.length; i++) {
      const proof = commitment((entries[i] as ics23.BatchEntry).proof);
      const ctx = `${storeName} entry ${i}`;
      if (proof === undefined) {
        return {
          ok: false,
          verdict: ics23Fail(ICS23_REASON.malformedProof, `${ctx}: empty batch entry`),
        };
      }
      const single: ics23.CommitmentProof = { ...decoded, proof };
      if (root === undefined) {
        const r: HashOutcome = verifier.calculateCommitmentRoot(single);
        if (!r.ok) return { ok: false, verdict: ics23Wrap(ctx, r.verdict) };
        root = r.hash;
      }
      if (proof.case === "exist") {
        const { key, value } = proof.value;
        const v = verifier.verifyMembership(iavlSpec, root, single, key, value);
        if (!v.ok) return { ok: false, verdict: ics23Wrap(ctx, v) };
        present.push({ key, value });
      } else {
        const { key, left, right } = proof.value;
        const v = verifier.verifyNonMembership(iavlSpec, root, single, key);
        if (!v.ok) return { ok: false, verdict: ics23Wrap(ctx, v) };
        absent.push(key);
        if (left !== undefined) present.push({ key: left.key, value: left.value });
        if (right !== undefined) present.push({ key: right.key, value: right.value });
        gaps.push({ left: left?.key, right: right?.key });
      }
    }
    return { ok: true, root: root as Uint8Array, reads: { present, absent, gaps } };
  }

  function verifyStoreReads(request: StoreReadsProofRequest): StoreReadsVerdict {
    try {
      const { appHash, proofOps } = request;
      if (!(appHash instanceof Uint8Array)) {
        return fail(ics23Fail(ICS23_REASON.malformedProof, "appHash must be bytes"));
      }
      if (!Array.isArray(proofOps) || proofOps.length === 0 || proofOps.length % 2 !== 0) {
        return fail(
          ics23Fail(
            ICS23_REASON.proofOps,
            "expected pairs of proof ops (ics23:iavl batch, ics23:simple) per store",
          ),
        );
      }
      const stores: ProvenStoreReads[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < proofOps.length; i += 2) {
        const storeOp: unknown = proofOps[i];
        const multiOp: unknown = proofOps[i + 1];
        if (!isStoreProofOp(storeOp) || !isStoreProofOp(multiOp)) {
          return fail(
            ics23Fail(ICS23_REASON.malformedProof, "proof op must be { type, key, data }"),
          );
        }
        const ctx = `proof ops ${i + 1}-${i + 2}`;
        if (storeOp.type !== PROOF_OP_IAVL || multiOp.type !== PROOF_OP_SIMPLE) {
          return fail(
            ics23Fail(
              ICS23_REASON.proofOps,
              `${ctx}: expected types ${PROOF_OP_IAVL}, ${PROOF_OP_SIMPLE}`,
            ),
          );
        }
        if (storeOp.key.length !== 0) {
          return fail(ics23Fail(ICS23_REASON.proofOps, `${ctx}: a batch op carries no key`));
        }
        const storeName = new TextDecoder("utf-8", { fatal: true }).decode(multiOp.key);
        if (!equalBytes(utf8Encode(storeName), multiOp.key) || seen.has(storeName)) {
          return fail(
            ics23Fail(ICS23_REASON.proofOps, `${ctx}: store name missing, invalid or repeated`),
          );
        }
        seen.add(storeName);
        const batch = verifyBatch(storeName, storeOp.data);
        if (!batch.ok) return fail(ics23Wrap(`${ctx} (${PROOF_OP_IAVL})`, batch.verdict));
        // The multistore leaf: the store name → sha256(store root) (tendermintSpec prehashes it).
        const proven = verifier.verifyMembership(
          tendermintSpec,
          appHash,
          multiOp.data,
          multiOp.key,
          batch.root,
        );
        if (!proven.ok) return fail(ics23Wrap(`${ctx} (${PROOF_OP_SIMPLE})`, proven));
        stores.push({ storeName, root: batch.root, ...batch.reads });
      }
      return { ok: true, stores };
    } catch (e) {
      return fail(
        ics23Fail(
          ICS23_REASON.malformedProof,
          `unverifiable read proof: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
    }
  }

  return { verifyStoreReads };
}
