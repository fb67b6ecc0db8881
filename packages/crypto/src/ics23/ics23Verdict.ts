// What an ICS-23 verification returns: ok, or a typed reason with a message. Hostile proofs get a
// verdict, never an exception.

export const ICS23_REASON = {
  /** Not decodable, a required field missing, or a value of the wrong type. */
  malformedProof: "ics23_malformed_proof",
  /** A proof kind or operation this verifier does not run (batch, compressed, KECCAK, VAR_RLP, ...). */
  unsupported: "ics23_unsupported",
  /** The ProofSpec itself is unsound (childSize < 1, maxPrefix ≥ minPrefix + childSize, bad childOrder). */
  invalidSpec: "ics23_invalid_spec",
  /** The leaf op differs from the spec's leaf (hash, prehash, length, prefix, IAVL leaf fields). */
  leafSpecMismatch: "ics23_leaf_spec_mismatch",
  /** An inner op breaks the spec (hash, prefix length, leaf-prefix clash, suffix, IAVL/tendermint rules). */
  innerSpecMismatch: "ics23_inner_spec_mismatch",
  /** Fewer inner ops than spec.minDepth or more than spec.maxDepth. */
  depth: "ics23_depth",
  /** The leaf op needs a non-empty key and a non-empty value. */
  emptyKeyOrValue: "ics23_empty_key_or_value",
  /** The proof is for another key than the one asked about. */
  keyMismatch: "ics23_key_mismatch",
  /** The proof carries another value than the one asked about. */
  valueMismatch: "ics23_value_mismatch",
  /** The proof computes another root. */
  rootMismatch: "ics23_root_mismatch",
  /** Non-existence: the key is not strictly between the left and right neighbours. */
  keyOrder: "ics23_key_order",
  /** Non-existence: the neighbours are not adjacent (or a lone neighbour is not left-/right-most). */
  notNeighbours: "ics23_not_neighbours",
  /** A CometBFT proof_ops chain with the wrong shape (op count, op type, key path). */
  proofOps: "ics23_proof_ops",
} as const;

export type Ics23Reason = (typeof ICS23_REASON)[keyof typeof ICS23_REASON];

export type Ics23Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: Ics23Reason; readonly message: string };

export const ICS23_OK: Ics23Verdict = Object.freeze({ ok: true });

export function ics23Fail(reason: Ics23Reason, message: string): Ics23Verdict {
  return { ok: false, reason, message };
}

/** The same failure with `context` before its message ("left proof: ..."). */
export function ics23Wrap(context: string, verdict: Ics23Verdict): Ics23Verdict {
  return verdict.ok ? verdict : ics23Fail(verdict.reason, `${context}: ${verdict.message}`);
}
