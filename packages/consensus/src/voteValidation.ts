// Stateless vote checks and vote signatures (types/vote.go ValidateBasic, Verify) and the
// signature check per key type (crypto/ed25519, crypto/secp256k1 VerifySignature).

import { ed25519Verify, secp256k1Verify } from "@qos/crypto";
import { equalBytes, err, ok, QosError, type Result, SignedMsgType, type Vote } from "@qos/types";
import {
  ADDRESS_SIZE,
  blockIdBasicError,
  isBlockIdComplete,
  isBlockIdZero,
} from "./blockHashing.ts";
import { voteSignBytes } from "./signBytes.ts";
import type { PubKey } from "./validatorSet.ts";

/** types/signable.go MaxSignatureSize (ed25519 and secp256k1 signatures are 64 bytes). */
export const MAX_SIGNATURE_SIZE = 64;

export type VoteErrorCode = "invalid_vote" | "invalid_signature" | "address_mismatch";
export type VoteError = QosError<VoteErrorCode>;

/** PubKey.VerifySignature for the key's type; false for any malformed input, never throws. */
export function verifySignature(
  pubKey: PubKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (pubKey.type === "ed25519") return ed25519Verify(pubKey.key, message, signature);
    if (pubKey.type === "secp256k1") return secp256k1Verify(pubKey.key, message, signature);
    return false;
  } catch {
    return false;
  }
}

function invalid(message: string): { ok: false; error: VoteError } {
  return err(new QosError("invalid_vote", message));
}

/** Vote.ValidateBasic (types/vote.go): type, height, round, block id shape, address, signature, extensions. */
export function validateVote(vote: Vote): Result<void, VoteError> {
  const isPrecommit = vote.type === SignedMsgType.PRECOMMIT;
  if (vote.type !== SignedMsgType.PREVOTE && !isPrecommit) {
    return invalid("invalid Type");
  }
  if (vote.height <= 0n) return invalid("negative or zero Height");
  if (vote.round < 0) return invalid("negative Round");
  const bidErr = blockIdBasicError(vote.blockId);
  if (bidErr !== null) return invalid(`wrong BlockID: ${bidErr}`);
  const zero = isBlockIdZero(vote.blockId);
  if (!zero && !isBlockIdComplete(vote.blockId)) {
    return invalid("blockID must be either empty or complete");
  }
  if (vote.validatorAddress.length !== ADDRESS_SIZE) {
    return invalid(
      `expected ValidatorAddress size to be ${ADDRESS_SIZE} bytes, got ${vote.validatorAddress.length} bytes`,
    );
  }
  if (vote.validatorIndex < 0) return invalid("negative ValidatorIndex");
  if (vote.signature.length === 0) return invalid("signature is missing");
  if (vote.signature.length > MAX_SIGNATURE_SIZE) {
    return invalid(`signature is too big (max: ${MAX_SIGNATURE_SIZE})`);
  }
  if (!isPrecommit || zero) {
    if (vote.extension.length > 0) return invalid("unexpected vote extension");
    if (vote.extensionSignature.length > 0) return invalid("unexpected vote extension signature");
  } else {
    if (vote.extensionSignature.length > MAX_SIGNATURE_SIZE) {
      return invalid(`vote extension signature is too big (max: ${MAX_SIGNATURE_SIZE})`);
    }
    if (vote.extensionSignature.length === 0 && vote.extension.length !== 0) {
      return invalid("vote extension signature absent on vote with extension");
    }
  }
  return ok(undefined);
}

/**
 * Vote.Verify: the validator's address matches the vote's and its key signed VoteSignBytes.
 * `validator` is the set member at the vote's index (address + key).
 */
export function verifyVoteSignature(
  chainId: string,
  vote: Vote,
  validator: { readonly address: Uint8Array; readonly pubKey: PubKey },
): Result<void, VoteError> {
  if (!equalBytes(validator.address, vote.validatorAddress)) {
    return err(new QosError("address_mismatch", "invalid validator address"));
  }
  if (!verifySignature(validator.pubKey, voteSignBytes(chainId, vote), vote.signature)) {
    return err(new QosError("invalid_signature", "invalid signature"));
  }
  return ok(undefined);
}
