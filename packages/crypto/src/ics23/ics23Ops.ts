// ICS-23 leaf and inner operations (Go ics23 ops.go): hashing, length prefixes, and the per-op spec
// checks including the post-Dragonberry IAVL and tendermint rules. Pure; hashes come from the caller.
import { sha512, sha512_256 } from "@noble/hashes/sha2.js";
import { concatBytes, ics23 } from "@qos/types";
import { ICS23_OK, ICS23_REASON, type Ics23Verdict, ics23Fail } from "./ics23Verdict.ts";

const { HashOp, LengthOp } = ics23;

export interface Ics23Hashes {
  sha256(data: Uint8Array): Uint8Array;
  ripemd160(data: Uint8Array): Uint8Array;
}

/** A computed hash, or the verdict saying why it cannot be computed. */
export type HashOutcome = { ok: true; hash: Uint8Array } | { ok: false; verdict: Ics23Verdict };

function fail(
  reason: (typeof ICS23_REASON)[keyof typeof ICS23_REASON],
  message: string,
): HashOutcome {
  return { ok: false, verdict: ics23Fail(reason, message) };
}

/** Go bytes.HasPrefix: true when `prefix` is empty or `data` starts with it (equal length included). */
export function hasBytesPrefix(data: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > data.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

/** Protobuf uvarint of a non-negative length (Go ops.go encodeVarintProto). */
export function encodeUvarint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/**
 * Go encoding/binary ReadVarint over `data` at `pos`: a uvarint of at most 10 bytes (the 10th ≤ 1),
 * zig-zag decoded. Returns null on EOF or overflow, as Go returns an error.
 */
export function readGoVarint(
  data: Uint8Array,
  pos: number,
): { value: bigint; next: number } | null {
  let x = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    const b = data[pos + i];
    if (b === undefined) return null;
    if (b < 0x80) {
      if (i === 9 && b > 1) return null;
      x |= BigInt(b) << shift;
      const value = x & 1n ? -(x >> 1n) - 1n : x >> 1n;
      return { value, next: pos + i + 1 };
    }
    x |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  }
  return null;
}

export interface Ics23Ops {
  /** Go doHash: the op's hash of `preimage`; NO_HASH and unknown ops are refused. */
  doHash(op: number, preimage: Uint8Array): HashOutcome;
  /** Go doHashOrNoop: identity for NO_HASH. */
  doHashOrNoop(op: number, preimage: Uint8Array): HashOutcome;
  /** Go LeafOp.Apply: hash(prefix ‖ length(prehashKey(key)) ‖ ... ‖ length(prehashValue(value)) ‖ ...). */
  applyLeaf(op: ics23.LeafOp, key: Uint8Array, value: Uint8Array): HashOutcome;
  /** Go InnerOp.Apply: hash(prefix ‖ child ‖ suffix). */
  applyInner(op: ics23.InnerOp, child: Uint8Array): HashOutcome;
}

export function createIcs23Ops(hashes: Ics23Hashes): Ics23Ops {
  function doHash(op: number, preimage: Uint8Array): HashOutcome {
    switch (op) {
      case HashOp.SHA256:
        return { ok: true, hash: hashes.sha256(preimage) };
      case HashOp.SHA512:
        return { ok: true, hash: sha512(preimage) };
      case HashOp.RIPEMD160:
        return { ok: true, hash: hashes.ripemd160(preimage) };
      case HashOp.BITCOIN:
        return { ok: true, hash: hashes.ripemd160(hashes.sha256(preimage)) };
      case HashOp.SHA512_256:
        return { ok: true, hash: sha512_256(preimage) };
      default:
        return fail(ICS23_REASON.unsupported, `unsupported hash op ${op}`);
    }
  }

  function doHashOrNoop(op: number, preimage: Uint8Array): HashOutcome {
    return op === HashOp.NO_HASH ? { ok: true, hash: preimage } : doHash(op, preimage);
  }

  /** Go doLengthOp: the (pre-hashed) data with its length encoding in front. */
  function doLengthOp(op: number, data: Uint8Array): HashOutcome {
    switch (op) {
      case LengthOp.NO_PREFIX:
        return { ok: true, hash: data };
      case LengthOp.VAR_PROTO:
        return { ok: true, hash: concatBytes(encodeUvarint(data.length), data) };
      case LengthOp.REQUIRE_32_BYTES:
        return data.length === 32
          ? { ok: true, hash: data }
          : fail(ICS23_REASON.malformedProof, `data was ${data.length} bytes, not 32`);
      case LengthOp.REQUIRE_64_BYTES:
        return data.length === 64
          ? { ok: true, hash: data }
          : fail(ICS23_REASON.malformedProof, `data was ${data.length} bytes, not 64`);
      case LengthOp.FIXED32_LITTLE: {
        const len = new Uint8Array(4);
        new DataView(len.buffer).setUint32(0, data.length, true);
        return { ok: true, hash: concatBytes(len, data) };
      }
      default:
        return fail(ICS23_REASON.unsupported, `unsupported length op ${op}`);
    }
  }

  function prepareLeafData(hashOp: number, lengthOp: number, data: Uint8Array): HashOutcome {
    const h = doHashOrNoop(hashOp, data);
    return h.ok ? doLengthOp(lengthOp, h.hash) : h;
  }

  function applyLeaf(op: ics23.LeafOp, key: Uint8Array, value: Uint8Array): HashOutcome {
    if (key.length === 0) return fail(ICS23_REASON.emptyKeyOrValue, "leaf op needs key");
    if (value.length === 0) return fail(ICS23_REASON.emptyKeyOrValue, "leaf op needs value");
    const pkey = prepareLeafData(op.prehashKey, op.length, key);
    if (!pkey.ok) return pkey;
    const pvalue = prepareLeafData(op.prehashValue, op.length, value);
    if (!pvalue.ok) return pvalue;
    return doHash(op.hash, concatBytes(op.prefix, pkey.hash, pvalue.hash));
  }

  function applyInner(op: ics23.InnerOp, child: Uint8Array): HashOutcome {
    if (child.length === 0) return fail(ICS23_REASON.malformedProof, "inner op needs child value");
    return doHash(op.hash, concatBytes(op.prefix, child, op.suffix));
  }

  return { doHash, doHashOrNoop, applyLeaf, applyInner };
}

/**
 * Go validateIavlOps (the Dragonberry fix, ics23 v0.9.1/v0.10): an IAVL op prefix starts with the
 * zig-zag varints height, size, version, all ≥ 0, height ≥ layer. A leaf (layer 0) has height 0,
 * size 1 and nothing after the varints; an inner op has exactly 1 (`20`, child on the left) or 34
 * (`20 ‖ left ‖ 20`, child on the right) bytes left and hashes with SHA256.
 */
export function validateIavlOps(prefix: Uint8Array, hash: number, layer: number): Ics23Verdict {
  const reason = layer === 0 ? ICS23_REASON.leafSpecMismatch : ICS23_REASON.innerSpecMismatch;
  const height = readGoVarint(prefix, 0);
  if (height === null) return ics23Fail(reason, "failed to read IAVL height varint");
  if (height.value < 0n || height.value < BigInt(layer)) {
    return ics23Fail(
      reason,
      `IAVL height (${height.value}) must be non-negative and >= the layer number (${layer})`,
    );
  }
  const size = readGoVarint(prefix, height.next);
  if (size === null) return ics23Fail(reason, "failed to read IAVL size varint");
  if (size.value < 0n) return ics23Fail(reason, "IAVL size must be non-negative");
  const version = readGoVarint(prefix, size.next);
  if (version === null) return ics23Fail(reason, "failed to read IAVL version varint");
  if (version.value < 0n) return ics23Fail(reason, "IAVL version must be non-negative");
  const rest = prefix.length - version.next;
  if (layer === 0) {
    if (rest !== 0) return ics23Fail(reason, `expected remaining prefix length 0, got ${rest}`);
    if (height.value !== 0n)
      return ics23Fail(reason, `expected leaf height 0, got ${height.value}`);
    if (size.value !== 1n) return ics23Fail(reason, `expected leaf size 1, got ${size.value}`);
    return ICS23_OK;
  }
  if (rest !== 1 && rest !== 34) {
    return ics23Fail(reason, `remainder of prefix must be of length 1 or 34, got ${rest}`);
  }
  if (hash !== HashOp.SHA256) return ics23Fail(reason, "IAVL hash op must be SHA256");
  return ICS23_OK;
}

/**
 * Go validateTendermintOps: an inner op's prefix is non-empty and starts with `01`; when the
 * child is on the left (suffix set) the prefix is exactly `01`.
 */
export function validateTendermintOps(op: ics23.InnerOp): Ics23Verdict {
  const r = ICS23_REASON.innerSpecMismatch;
  if (op.prefix.length === 0) return ics23Fail(r, "inner op prefix must not be empty");
  if (op.suffix.length > 0 && !(op.prefix.length === 1 && op.prefix[0] === 1)) {
    return ics23Fail(r, "inner op prefix must be exactly 01 when the suffix is set");
  }
  if (op.prefix[0] !== 1) return ics23Fail(r, "inner op prefix must begin with 01");
  return ICS23_OK;
}
