// The ICS-23 ProofSpecs of Cosmos stores (Go ics23 IavlSpec, TendermintSpec), Go's SpecEquals and
// the spec sanity rules Go checks per inner op (ops.go InnerOp.CheckAgainstSpec).
import { createWireMessage, ics23 } from "@qos/types";
import { ICS23_OK, ICS23_REASON, type Ics23Verdict, ics23Fail } from "./ics23Verdict.ts";

const { HashOp, LengthOp, ProofSpecSchema } = ics23;

function frozenSpec(spec: ics23.ProofSpec): ics23.ProofSpec {
  if (spec.leafSpec !== undefined) Object.freeze(spec.leafSpec);
  if (spec.innerSpec !== undefined) {
    Object.freeze(spec.innerSpec.childOrder);
    Object.freeze(spec.innerSpec);
  }
  return Object.freeze(spec);
}

/** Go ics23 IavlSpec: cosmos/iavl trees (leaf `00`, inner prefix 4..12 bytes + 33-byte children). */
export const iavlSpec: ics23.ProofSpec = frozenSpec(
  createWireMessage(ProofSpecSchema, {
    leafSpec: {
      prefix: Uint8Array.of(0),
      hash: HashOp.SHA256,
      prehashKey: HashOp.NO_HASH,
      prehashValue: HashOp.SHA256,
      length: LengthOp.VAR_PROTO,
    },
    innerSpec: {
      childOrder: [0, 1],
      childSize: 33,
      minPrefixLength: 4,
      maxPrefixLength: 12,
      hash: HashOp.SHA256,
    },
  }),
);

/** Go ics23 TendermintSpec: RFC-6962 trees as CometBFT crypto/merkle hashes them (the multistore). */
export const tendermintSpec: ics23.ProofSpec = frozenSpec(
  createWireMessage(ProofSpecSchema, {
    leafSpec: {
      prefix: Uint8Array.of(0),
      hash: HashOp.SHA256,
      prehashKey: HashOp.NO_HASH,
      prehashValue: HashOp.SHA256,
      length: LengthOp.VAR_PROTO,
    },
    innerSpec: {
      childOrder: [0, 1],
      childSize: 32,
      minPrefixLength: 1,
      maxPrefixLength: 1,
      hash: HashOp.SHA256,
    },
  }),
);

/**
 * Go ProofSpec.SpecEquals: decides whether the IAVL or tendermint extra rules apply. Like Go it
 * compares hashes, length op, prefix bounds, child size and the number of children, not the prefix.
 */
export function proofSpecEquals(a: ics23.ProofSpec, b: ics23.ProofSpec): boolean {
  const al = a.leafSpec;
  const bl = b.leafSpec;
  const ai = a.innerSpec;
  const bi = b.innerSpec;
  if (al === undefined || bl === undefined || ai === undefined || bi === undefined) return false;
  return (
    al.hash === bl.hash &&
    al.prehashKey === bl.prehashKey &&
    al.prehashValue === bl.prehashValue &&
    al.length === bl.length &&
    ai.hash === bi.hash &&
    ai.minPrefixLength === bi.minPrefixLength &&
    ai.maxPrefixLength === bi.maxPrefixLength &&
    ai.childSize === bi.childSize &&
    ai.childOrder.length === bi.childOrder.length
  );
}

function isInt(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n);
}

/**
 * Spec sanity, checked once before any proof is looked at. From Go InnerOp.CheckAgainstSpec:
 * childSize ≥ 1 and maxPrefixLength < minPrefixLength + childSize (without it an inner op can hide a
 * whole child in its prefix and look left-most, as Go's TestForgeNonExistenceProofWithIncorrectMaxPrefixLength
 * shows). Ours also requires childOrder to be a permutation of 0..n-1 with n ≥ 2 (Go's getPosition panics otherwise).
 */
export function validateProofSpec(spec: ics23.ProofSpec): Ics23Verdict {
  if (typeof spec !== "object" || spec === null) {
    return ics23Fail(ICS23_REASON.invalidSpec, "spec must be a ProofSpec");
  }
  const leaf = spec.leafSpec;
  const inner = spec.innerSpec;
  if (leaf === undefined || leaf === null || !(leaf.prefix instanceof Uint8Array)) {
    return ics23Fail(ICS23_REASON.invalidSpec, "spec.leafSpec must be set");
  }
  if (inner === undefined || inner === null || !Array.isArray(inner.childOrder)) {
    return ics23Fail(ICS23_REASON.invalidSpec, "spec.innerSpec must be set");
  }
  const { childSize, minPrefixLength, maxPrefixLength, childOrder } = inner;
  if (!isInt(childSize) || childSize < 1) {
    return ics23Fail(ICS23_REASON.invalidSpec, "spec.innerSpec.childSize must be >= 1");
  }
  if (!isInt(minPrefixLength) || !isInt(maxPrefixLength)) {
    return ics23Fail(ICS23_REASON.invalidSpec, "spec.innerSpec prefix lengths must be integers");
  }
  if (maxPrefixLength >= minPrefixLength + childSize) {
    return ics23Fail(
      ICS23_REASON.invalidSpec,
      "spec.innerSpec.maxPrefixLength must be < minPrefixLength + childSize",
    );
  }
  const n = childOrder.length;
  const seen = new Set<number>();
  for (const c of childOrder) {
    if (!isInt(c) || c < 0 || c >= n || seen.has(c)) break;
    seen.add(c);
  }
  if (n < 2 || seen.size !== n) {
    return ics23Fail(
      ICS23_REASON.invalidSpec,
      "spec.innerSpec.childOrder must be a permutation of 0..n-1, n >= 2",
    );
  }
  if (!(inner.emptyChild instanceof Uint8Array)) {
    return ics23Fail(ICS23_REASON.invalidSpec, "spec.innerSpec.emptyChild must be bytes");
  }
  if (!isInt(spec.minDepth) || !isInt(spec.maxDepth)) {
    return ics23Fail(ICS23_REASON.invalidSpec, "spec depth limits must be integers");
  }
  return ICS23_OK;
}
