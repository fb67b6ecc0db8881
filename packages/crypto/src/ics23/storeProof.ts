// Cosmos SDK store proofs as CometBFT `proof_ops` (store/rootmulti/proof.go, store/types/proof.go
// CommitmentOp, crypto/merkle ProofOperators.Verify): an IAVL op to the store root, then a
// tendermint-format op from the store name to the app hash. Pure, never throws.
import { equalBytes, utf8Encode } from "@qos/types";
import { ICS23_OK, ICS23_REASON, type Ics23Verdict, ics23Fail, ics23Wrap } from "./ics23Verdict.ts";
import type { Ics23Verifier } from "./ics23Verifier.ts";
import { iavlSpec, tendermintSpec } from "./proofSpecs.ts";

/** CometBFT crypto.ProofOp: what ABCI Query returns in `proof_ops.ops`. */
export interface StoreProofOp {
  readonly type: string;
  readonly key: Uint8Array;
  readonly data: Uint8Array;
}

export interface StoreProofRequest {
  /** The app hash of the block header the query was answered against (height + 1's header). */
  readonly appHash: Uint8Array;
  /** The multistore substore ("bank", "ibc", ...). */
  readonly storeName: string;
  readonly key: Uint8Array;
  /** The value to prove present, or undefined to prove the key absent. */
  readonly value: Uint8Array | undefined;
  readonly proofOps: readonly StoreProofOp[];
}

/** store/types/proof.go: the op types CommitmentOpDecoder accepts that this verifier runs. */
export const PROOF_OP_IAVL = "ics23:iavl";
export const PROOF_OP_SIMPLE = "ics23:simple";

export interface StoreProofVerifier {
  verifyStoreProof(request: StoreProofRequest): Ics23Verdict;
}

/** Whether `op` has the shape of a proof op (hostile input is any value). */
export function isStoreProofOp(op: unknown): op is StoreProofOp {
  if (typeof op !== "object" || op === null) return false;
  const o = op as Partial<StoreProofOp>;
  return typeof o.type === "string" && o.key instanceof Uint8Array && o.data instanceof Uint8Array;
}

export function createStoreProofVerifier(verifier: Ics23Verifier): StoreProofVerifier {
  /**
   * CommitmentOp.Run: the root is computed from the proof itself (Calculate), then the proof must
   * verify against it: existence of (key, value), or absence of key when there is no value.
   */
  function runOp(
    op: StoreProofOp,
    spec: typeof iavlSpec,
    value: Uint8Array | undefined,
  ): { ok: true; root: Uint8Array } | { ok: false; verdict: Ics23Verdict } {
    const root = verifier.calculateCommitmentRoot(op.data);
    if (!root.ok) return { ok: false, verdict: root.verdict };
    const v =
      value === undefined
        ? verifier.verifyNonMembership(spec, root.hash, op.data, op.key)
        : verifier.verifyMembership(spec, root.hash, op.data, op.key, value);
    return v.ok ? { ok: true, root: root.hash } : { ok: false, verdict: v };
  }

  function verifyStoreProof(request: StoreProofRequest): Ics23Verdict {
    try {
      const { appHash, storeName, key, value, proofOps } = request;
      if (
        !(appHash instanceof Uint8Array) ||
        !(key instanceof Uint8Array) ||
        typeof storeName !== "string"
      ) {
        return ics23Fail(
          ICS23_REASON.malformedProof,
          "appHash and key must be bytes, storeName a string",
        );
      }
      if (value !== undefined && !(value instanceof Uint8Array)) {
        return ics23Fail(ICS23_REASON.malformedProof, "value must be bytes or undefined");
      }
      if (!Array.isArray(proofOps) || proofOps.length !== 2) {
        return ics23Fail(ICS23_REASON.proofOps, "expected 2 proof ops (ics23:iavl, ics23:simple)");
      }
      const [storeOp, multiOp] = proofOps as readonly unknown[];
      if (!isStoreProofOp(storeOp) || !isStoreProofOp(multiOp)) {
        return ics23Fail(ICS23_REASON.malformedProof, "proof op must be { type, key, data }");
      }
      const ctx0 = `proof op 1 (${storeOp.type})`;
      const ctx1 = `proof op 2 (${multiOp.type})`;
      if (storeOp.type !== PROOF_OP_IAVL) {
        return ics23Fail(ICS23_REASON.proofOps, `${ctx0}: expected type ${PROOF_OP_IAVL}`);
      }
      if (multiOp.type !== PROOF_OP_SIMPLE) {
        return ics23Fail(ICS23_REASON.proofOps, `${ctx1}: expected type ${PROOF_OP_SIMPLE}`);
      }
      // ProofOperators.Verify walks the key path "/storeName/key" from its last part: op 1 must
      // carry the key, op 2 the store name.
      if (!equalBytes(storeOp.key, key)) {
        return ics23Fail(ICS23_REASON.proofOps, `${ctx0}: key mismatch on the key path`);
      }
      const storeNameBytes = utf8Encode(storeName);
      if (!equalBytes(multiOp.key, storeNameBytes)) {
        return ics23Fail(ICS23_REASON.proofOps, `${ctx1}: store name mismatch on the key path`);
      }
      const first = runOp(storeOp, iavlSpec, value);
      if (!first.ok) return ics23Wrap(ctx0, first.verdict);
      // The multistore leaf: uvarint(len name) ‖ name ‖ uvarint(32) ‖ sha256(storeRoot) (store/internal/maps),
      // exactly tendermintSpec's leaf with prehashValue SHA256 over the store root.
      const second = runOp(multiOp, tendermintSpec, first.root);
      if (!second.ok) return ics23Wrap(ctx1, second.verdict);
      if (!equalBytes(second.root, appHash)) {
        return ics23Fail(
          ICS23_REASON.rootMismatch,
          "calculated root hash does not match the app hash",
        );
      }
      return ICS23_OK;
    } catch (e) {
      return ics23Fail(
        ICS23_REASON.malformedProof,
        `unverifiable store proof: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  return { verifyStoreProof };
}
