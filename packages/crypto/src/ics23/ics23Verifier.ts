// ICS-23 membership and non-membership verification (Go ics23 v0.10+ proof.go, ops.go, ics23.go),
// written from the Go rules; every check names the Go function it mirrors. Pure, never throws.
import { compareBytes, decodeWireMessage, encodeWireMessage, equalBytes, ics23 } from "@qos/types";
import {
  createIcs23Ops,
  type HashOutcome,
  hasBytesPrefix,
  type Ics23Hashes,
  validateIavlOps,
  validateTendermintOps,
} from "./ics23Ops.ts";
import { ICS23_OK, ICS23_REASON, type Ics23Verdict, ics23Fail, ics23Wrap } from "./ics23Verdict.ts";
import { iavlSpec, proofSpecEquals, tendermintSpec, validateProofSpec } from "./proofSpecs.ts";

/** cosmos.ics23.v1.ProofSpec (named here so declarations of both entries can refer to it). */
export type Ics23ProofSpec = ics23.ProofSpec;

/** A CommitmentProof message, or its protobuf bytes. */
export type Ics23ProofInput = ics23.CommitmentProof | Uint8Array;

export interface Ics23Verifier {
  /** Go VerifyMembership: `proof` is an existence proof of key → value under `root`. */
  verifyMembership(
    spec: Ics23ProofSpec,
    root: Uint8Array,
    proof: Ics23ProofInput,
    key: Uint8Array,
    value: Uint8Array,
  ): Ics23Verdict;
  /** Go VerifyNonMembership: `proof` shows no key `key` exists under `root`. */
  verifyNonMembership(
    spec: Ics23ProofSpec,
    root: Uint8Array,
    proof: Ics23ProofInput,
    key: Uint8Array,
  ): Ics23Verdict;
  /**
   * Go CommitmentProof.Calculate: the root an existence proof (or the first neighbour of a
   * non-existence proof) leads to, with no spec checks: only for picking the root to verify against.
   */
  calculateCommitmentRoot(proof: Ics23ProofInput): HashOutcome;
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isEnum = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** Shape check of an existence proof built by code rather than decoded (hostile objects included). */
function existenceShape(p: unknown): Ics23Verdict {
  const bad = (what: string) => ics23Fail(ICS23_REASON.malformedProof, what);
  if (typeof p !== "object" || p === null) return bad("existence proof missing");
  const e = p as Partial<ics23.ExistenceProof>;
  if (!isBytes(e.key) || !isBytes(e.value)) return bad("existence proof key/value must be bytes");
  const leaf = e.leaf;
  if (leaf === undefined || leaf === null) return bad("existence proof needs a leaf op");
  if (
    !isBytes(leaf.prefix) ||
    !isEnum(leaf.hash) ||
    !isEnum(leaf.prehashKey) ||
    !isEnum(leaf.prehashValue) ||
    !isEnum(leaf.length)
  ) {
    return bad("leaf op malformed");
  }
  if (!Array.isArray(e.path)) return bad("existence proof path must be a list");
  for (const op of e.path as unknown[]) {
    if (typeof op !== "object" || op === null) return bad("inner op missing");
    const o = op as Partial<ics23.InnerOp>;
    if (!isBytes(o.prefix) || !isBytes(o.suffix) || !isEnum(o.hash))
      return bad("inner op malformed");
  }
  return ICS23_OK;
}

/**
 * A CommitmentProof from its protobuf bytes, or a verdict. Stricter than Go: only the canonical
 * encoding (what gogoproto, prost and protobuf-es write) is accepted. The decoder would otherwise
 * take a group-encoded message, unknown or repeated fields and long varints, so distinct bytes
 * could carry one verdict.
 */
export function decodeCanonicalCommitmentProof(
  bytes: Uint8Array,
): ics23.CommitmentProof | Ics23Verdict {
  const r = decodeWireMessage(ics23.CommitmentProofSchema, bytes);
  if (!r.ok) return ics23Fail(ICS23_REASON.malformedProof, r.error.message);
  if (!equalBytes(encodeWireMessage(ics23.CommitmentProofSchema, r.value), bytes)) {
    return ics23Fail(ICS23_REASON.malformedProof, "non-canonical protobuf encoding");
  }
  return r.value;
}

type Spec = ics23.ProofSpec & { leafSpec: ics23.LeafOp; innerSpec: ics23.InnerSpec };

export function createIcs23Verifier(hashes: Ics23Hashes): Ics23Verifier {
  const ops = createIcs23Ops(hashes);

  function decodeProof(input: Ics23ProofInput): ics23.CommitmentProof | Ics23Verdict {
    if (input instanceof Uint8Array) return decodeCanonicalCommitmentProof(input);
    if (typeof input !== "object" || input === null || typeof input.proof !== "object") {
      return ics23Fail(ICS23_REASON.malformedProof, "proof must be a CommitmentProof or its bytes");
    }
    return input;
  }

  /** Go LeafOp.CheckAgainstSpec. */
  function checkLeaf(leaf: ics23.LeafOp, spec: Spec, isIavl: boolean): Ics23Verdict {
    const r = ICS23_REASON.leafSpecMismatch;
    if (isIavl) {
      const v = validateIavlOps(leaf.prefix, leaf.hash, 0);
      if (!v.ok) return v;
    }
    const l = spec.leafSpec;
    if (leaf.hash !== l.hash) return ics23Fail(r, `unexpected hash op ${leaf.hash}`);
    if (leaf.prehashKey !== l.prehashKey)
      return ics23Fail(r, `unexpected prehashKey ${leaf.prehashKey}`);
    if (leaf.prehashValue !== l.prehashValue) {
      return ics23Fail(r, `unexpected prehashValue ${leaf.prehashValue}`);
    }
    if (leaf.length !== l.length) return ics23Fail(r, `unexpected length op ${leaf.length}`);
    // bytes.HasPrefix: the proof's leaf prefix must start with the spec's.
    if (!hasBytesPrefix(leaf.prefix, l.prefix))
      return ics23Fail(r, "leaf prefix does not start with the spec prefix");
    return ICS23_OK;
  }

  /** Go InnerOp.CheckAgainstSpec (spec sanity is checked once, in validateProofSpec). */
  function checkInner(
    op: ics23.InnerOp,
    spec: Spec,
    layer: number,
    isIavl: boolean,
    isTendermint: boolean,
  ): Ics23Verdict {
    const r = ICS23_REASON.innerSpecMismatch;
    const inner = spec.innerSpec;
    if (op.hash !== inner.hash) return ics23Fail(r, `unexpected hash op ${op.hash}`);
    if (isIavl) {
      const v = validateIavlOps(op.prefix, op.hash, layer);
      if (!v.ok) return v;
    }
    if (isTendermint) {
      const v = validateTendermintOps(op);
      if (!v.ok) return v;
    }
    // bytes.HasPrefix semantics: an inner prefix equal to the leaf prefix (a 1-byte `00`) counts.
    if (hasBytesPrefix(op.prefix, spec.leafSpec.prefix)) {
      return ics23Fail(r, "inner prefix starts with the leaf prefix");
    }
    if (op.prefix.length < inner.minPrefixLength) {
      return ics23Fail(r, `inner prefix too short (${op.prefix.length})`);
    }
    const maxLeftChildBytes = (inner.childOrder.length - 1) * inner.childSize;
    if (op.prefix.length > inner.maxPrefixLength + maxLeftChildBytes) {
      return ics23Fail(r, `inner prefix too long (${op.prefix.length})`);
    }
    if (op.suffix.length % inner.childSize !== 0) {
      return ics23Fail(r, "inner suffix length is not a multiple of childSize");
    }
    return ICS23_OK;
  }

  /** Go ExistenceProof.CheckAgainstSpec. */
  function checkExistenceAgainstSpec(p: ics23.ExistenceProof, spec: Spec): Ics23Verdict {
    const isIavl = proofSpecEquals(spec, iavlSpec);
    const isTendermint = proofSpecEquals(spec, tendermintSpec);
    const leaf = checkLeaf(p.leaf as ics23.LeafOp, spec, isIavl);
    if (!leaf.ok) return ics23Wrap("leaf", leaf);
    if (spec.minDepth > 0 && p.path.length < spec.minDepth) {
      return ics23Fail(ICS23_REASON.depth, `inner ops depth too short: ${p.path.length}`);
    }
    if (spec.maxDepth > 0 && p.path.length > spec.maxDepth) {
      return ics23Fail(ICS23_REASON.depth, `inner ops depth too long: ${p.path.length}`);
    }
    for (let i = 0; i < p.path.length; i++) {
      const v = checkInner(p.path[i] as ics23.InnerOp, spec, i + 1, isIavl, isTendermint);
      if (!v.ok) return ics23Wrap(`inner op ${i}`, v);
    }
    return ICS23_OK;
  }

  /** Go ExistenceProof.calculate: leaf, then each inner op; with a spec, no step output > childSize ≥ 32. */
  function calculateExistence(p: ics23.ExistenceProof, spec: Spec | undefined): HashOutcome {
    const leaf = p.leaf as ics23.LeafOp;
    let res = ops.applyLeaf(leaf, p.key, p.value);
    if (!res.ok) return res;
    for (const step of p.path) {
      res = ops.applyInner(step, res.hash);
      if (!res.ok) return res;
      if (spec !== undefined) {
        const cs = spec.innerSpec.childSize;
        if (res.hash.length > cs && cs >= 32) {
          return {
            ok: false,
            verdict: ics23Fail(
              ICS23_REASON.innerSpecMismatch,
              "inner op output longer than childSize",
            ),
          };
        }
      }
    }
    return res;
  }

  /** Go ExistenceProof.Verify. */
  function verifyExistence(
    p: ics23.ExistenceProof,
    spec: Spec,
    root: Uint8Array,
    key: Uint8Array,
    value: Uint8Array,
  ): Ics23Verdict {
    const shape = existenceShape(p);
    if (!shape.ok) return shape;
    const checked = checkExistenceAgainstSpec(p, spec);
    if (!checked.ok) return checked;
    if (!equalBytes(key, p.key))
      return ics23Fail(ICS23_REASON.keyMismatch, "provided key does not match proof");
    if (!equalBytes(value, p.value)) {
      return ics23Fail(ICS23_REASON.valueMismatch, "provided value does not match proof");
    }
    const calc = calculateExistence(p, spec);
    if (!calc.ok) return calc.verdict;
    if (!equalBytes(root, calc.hash))
      return ics23Fail(ICS23_REASON.rootMismatch, "calculated root does not match the root");
    return ICS23_OK;
  }

  /** Go getPosition: where `branch` sits in childOrder (validateProofSpec made it a permutation). */
  function position(inner: ics23.InnerSpec, branch: number): number {
    return inner.childOrder.indexOf(branch);
  }

  /** Go getPadding: prefix bounds and suffix length of an op whose child is `branch`. */
  function padding(
    inner: ics23.InnerSpec,
    branch: number,
  ): { min: number; max: number; suffix: number } {
    const idx = position(inner, branch);
    const prefix = idx * inner.childSize;
    return {
      min: prefix + inner.minPrefixLength,
      max: prefix + inner.maxPrefixLength,
      suffix: (inner.childOrder.length - 1 - idx) * inner.childSize,
    };
  }

  /** Go hasPadding. */
  function hasPadding(
    op: ics23.InnerOp,
    pad: { min: number; max: number; suffix: number },
  ): boolean {
    return (
      op.prefix.length >= pad.min && op.prefix.length <= pad.max && op.suffix.length === pad.suffix
    );
  }

  /** Go orderFromPadding: the branch whose padding the op has, or -1. */
  function orderFromPadding(inner: ics23.InnerSpec, op: ics23.InnerOp): number {
    for (let branch = 0; branch < inner.childOrder.length; branch++) {
      if (hasPadding(op, padding(inner, branch))) return branch;
    }
    return -1;
  }

  /** Go leftBranchesAreEmpty: every sibling left of the op's child is the spec's empty child. */
  function leftBranchesAreEmpty(inner: ics23.InnerSpec, op: ics23.InnerOp): boolean {
    if (inner.emptyChild.length === 0) return false;
    const idx = orderFromPadding(inner, op);
    if (idx <= 0) return false;
    const actualPrefix = op.prefix.length - idx * inner.childSize;
    if (actualPrefix < 0) return false;
    for (let i = 0; i < idx; i++) {
      const from = actualPrefix + position(inner, i) * inner.childSize;
      const slot = op.prefix.subarray(from, from + inner.childSize);
      if (slot.length !== inner.childSize || !equalBytes(inner.emptyChild, slot)) return false;
    }
    return true;
  }

  /** Go rightBranchesAreEmpty: every sibling right of the op's child is the spec's empty child. */
  function rightBranchesAreEmpty(inner: ics23.InnerSpec, op: ics23.InnerOp): boolean {
    if (inner.emptyChild.length === 0) return false;
    const idx = orderFromPadding(inner, op);
    if (idx < 0) return false;
    const rightBranches = inner.childOrder.length - 1 - idx;
    if (rightBranches === 0) return false;
    if (op.suffix.length !== rightBranches * inner.childSize) return false;
    for (let i = 0; i < rightBranches; i++) {
      const from = position(inner, i) * inner.childSize;
      const slot = op.suffix.subarray(from, from + inner.childSize);
      if (slot.length !== inner.childSize || !equalBytes(inner.emptyChild, slot)) return false;
    }
    return true;
  }

  /** Go IsLeftMost: every step has the left-most padding (or only empty children to its left). */
  function isLeftMost(inner: ics23.InnerSpec, path: readonly ics23.InnerOp[]): boolean {
    const pad = padding(inner, 0);
    return path.every((step) => hasPadding(step, pad) || leftBranchesAreEmpty(inner, step));
  }

  /** Go IsRightMost. */
  function isRightMost(inner: ics23.InnerSpec, path: readonly ics23.InnerOp[]): boolean {
    const pad = padding(inner, inner.childOrder.length - 1);
    return path.every((step) => hasPadding(step, pad) || rightBranchesAreEmpty(inner, step));
  }

  /**
   * Go IsLeftNeighbor: drop the common top of both paths; at the first differing step the left
   * path's child is exactly one slot left of the right path's; below it, left is right-most and
   * right is left-most. Paths that never differ (or run out) are not neighbours.
   */
  function isLeftNeighbor(
    inner: ics23.InnerSpec,
    left: readonly ics23.InnerOp[],
    right: readonly ics23.InnerOp[],
  ): boolean {
    let li = left.length - 1;
    let ri = right.length - 1;
    while (li >= 0 && ri >= 0) {
      const l = left[li] as ics23.InnerOp;
      const r = right[ri] as ics23.InnerOp;
      if (!equalBytes(l.prefix, r.prefix) || !equalBytes(l.suffix, r.suffix)) break;
      li--;
      ri--;
    }
    if (li < 0 || ri < 0) return false;
    // Go isLeftStep.
    const lBranch = orderFromPadding(inner, left[li] as ics23.InnerOp);
    const rBranch = orderFromPadding(inner, right[ri] as ics23.InnerOp);
    if (lBranch < 0 || rBranch < 0) return false;
    if (rBranch !== lBranch + 1) return false;
    return isRightMost(inner, left.slice(0, li)) && isLeftMost(inner, right.slice(0, ri));
  }

  /** Go keyForComparison: the key as ordered in the tree (prehashed when the spec says so). */
  function keyForComparison(spec: Spec, key: Uint8Array): Uint8Array | null {
    if (!spec.prehashKeyBeforeComparison) return key;
    const h = ops.doHashOrNoop(spec.leafSpec.prehashKey, key);
    return h.ok ? h.hash : null;
  }

  /** Go NonExistenceProof.Verify. */
  function verifyNonExistence(
    p: ics23.NonExistenceProof,
    spec: Spec,
    root: Uint8Array,
    key: Uint8Array,
  ): Ics23Verdict {
    const { left, right } = p;
    if (left !== undefined && left !== null) {
      const shape = existenceShape(left);
      if (!shape.ok) return ics23Wrap("left proof", shape);
      const v = verifyExistence(left, spec, root, left.key, left.value);
      if (!v.ok) return ics23Wrap("left proof", v);
    }
    if (right !== undefined && right !== null) {
      const shape = existenceShape(right);
      if (!shape.ok) return ics23Wrap("right proof", shape);
      const v = verifyExistence(right, spec, root, right.key, right.value);
      if (!v.ok) return ics23Wrap("right proof", v);
    }
    const hasLeft = left !== undefined && left !== null;
    const hasRight = right !== undefined && right !== null;
    if (!hasLeft && !hasRight)
      return ics23Fail(ICS23_REASON.malformedProof, "both left and right proofs missing");
    const k = keyForComparison(spec, key);
    if (k === null)
      return ics23Fail(ICS23_REASON.unsupported, "cannot prehash the key for comparison");
    if (hasRight) {
      const rk = keyForComparison(spec, right.key);
      if (rk === null || compareBytes(k, rk) >= 0)
        return ics23Fail(ICS23_REASON.keyOrder, "key is not left of the right proof");
    }
    if (hasLeft) {
      const lk = keyForComparison(spec, left.key);
      if (lk === null || compareBytes(k, lk) <= 0)
        return ics23Fail(ICS23_REASON.keyOrder, "key is not right of the left proof");
    }
    const inner = spec.innerSpec;
    if (!hasLeft) {
      if (!isLeftMost(inner, (right as ics23.ExistenceProof).path)) {
        return ics23Fail(
          ICS23_REASON.notNeighbours,
          "left proof missing, right proof must be left-most",
        );
      }
    } else if (!hasRight) {
      if (!isRightMost(inner, left.path)) {
        return ics23Fail(
          ICS23_REASON.notNeighbours,
          "right proof missing, left proof must be right-most",
        );
      }
    } else if (!isLeftNeighbor(inner, left.path, (right as ics23.ExistenceProof).path)) {
      return ics23Fail(ICS23_REASON.notNeighbours, "left and right proofs are not adjacent");
    }
    return ICS23_OK;
  }

  /** Spec sanity plus byte-typed root and key; the Spec type narrows once checked. */
  function precheck(spec: ics23.ProofSpec, root: unknown, key: unknown): Ics23Verdict {
    const s = validateProofSpec(spec);
    if (!s.ok) return s;
    if (!isBytes(root) || !isBytes(key))
      return ics23Fail(ICS23_REASON.malformedProof, "root and key must be bytes");
    return ICS23_OK;
  }

  function verifyMembership(
    spec: ics23.ProofSpec,
    root: Uint8Array,
    proof: Ics23ProofInput,
    key: Uint8Array,
    value: Uint8Array,
  ): Ics23Verdict {
    try {
      const pre = precheck(spec, root, key);
      if (!pre.ok) return pre;
      if (!isBytes(value)) return ics23Fail(ICS23_REASON.malformedProof, "value must be bytes");
      const decoded = decodeProof(proof);
      if ("ok" in decoded) return decoded;
      const p = decoded.proof;
      // ics23.go VerifyMembership (v0.11): only a plain existence proof; batches are not run.
      if (p.case !== "exist") {
        return p.case === "batch" || p.case === "compressed"
          ? ics23Fail(ICS23_REASON.unsupported, `${p.case} proofs are not supported`)
          : ics23Fail(ICS23_REASON.malformedProof, "membership needs an existence proof");
      }
      return verifyExistence(p.value, spec as Spec, root, key, value);
    } catch (e) {
      return ics23Fail(
        ICS23_REASON.malformedProof,
        `unverifiable proof: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  function verifyNonMembership(
    spec: ics23.ProofSpec,
    root: Uint8Array,
    proof: Ics23ProofInput,
    key: Uint8Array,
  ): Ics23Verdict {
    try {
      const pre = precheck(spec, root, key);
      if (!pre.ok) return pre;
      const decoded = decodeProof(proof);
      if ("ok" in decoded) return decoded;
      const p = decoded.proof;
      if (p.case !== "nonexist") {
        return p.case === "batch" || p.case === "compressed"
          ? ics23Fail(ICS23_REASON.unsupported, `${p.case} proofs are not supported`)
          : ics23Fail(ICS23_REASON.malformedProof, "non-membership needs a non-existence proof");
      }
      const np = p.value;
      if (typeof np !== "object" || np === null || !isBytes(np.key)) {
        return ics23Fail(ICS23_REASON.malformedProof, "non-existence proof malformed");
      }
      // Stricter than Go (which ignores this field): the proof must name the key it is about, as
      // cosmos/iavl's proofs do. Keeps the whole encoding bound to the verdict.
      if (!equalBytes(np.key, key)) {
        return ics23Fail(ICS23_REASON.keyMismatch, "non-existence proof is for another key");
      }
      return verifyNonExistence(np, spec as Spec, root, key);
    } catch (e) {
      return ics23Fail(
        ICS23_REASON.malformedProof,
        `unverifiable proof: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  function calculateCommitmentRoot(input: Ics23ProofInput): HashOutcome {
    try {
      const decoded = decodeProof(input);
      if ("ok" in decoded) return { ok: false, verdict: decoded };
      const p = decoded.proof;
      let exist: ics23.ExistenceProof | undefined;
      if (p.case === "exist") exist = p.value;
      else if (p.case === "nonexist") exist = p.value.left ?? p.value.right;
      else {
        return {
          ok: false,
          verdict: ics23Fail(ICS23_REASON.unsupported, "only existence and non-existence proofs"),
        };
      }
      if (exist === undefined) {
        return {
          ok: false,
          verdict: ics23Fail(ICS23_REASON.malformedProof, "both left and right proofs missing"),
        };
      }
      const shape = existenceShape(exist);
      if (!shape.ok) return { ok: false, verdict: shape };
      return calculateExistence(exist, undefined);
    } catch (e) {
      const message = `uncomputable proof: ${e instanceof Error ? e.message : String(e)}`;
      return { ok: false, verdict: ics23Fail(ICS23_REASON.malformedProof, message) };
    }
  }

  return { verifyMembership, verifyNonMembership, calculateCommitmentRoot };
}
