// BIP-173 bech32 (not bech32m) over whole bytes, via @scure/base: Cosmos addresses and keys.
import { err, ok, QosError, type Result } from "@qos/types";
import { bech32 } from "@scure/base";
import { CRYPTO_ERROR } from "./cryptoError.ts";

/** BIP-173's limit on the whole string. Cosmos decodes up to 1023 (`limit` raises it). */
export const BECH32_MAX_LENGTH = 90;

/**
 * Encodes bytes under a human-readable prefix (output is lower-case). Throws on an empty or
 * non-printable prefix, or a result longer than `limit` characters: both are caller bugs.
 */
export function bech32Encode(prefix: string, data: Uint8Array, limit = BECH32_MAX_LENGTH): string {
  try {
    return bech32.encode(prefix, bech32.toWords(data), limit);
  } catch (e) {
    throw new QosError(CRYPTO_ERROR.invalidBech32, `bech32 encode: ${(e as Error).message}`);
  }
}

/**
 * Decodes BIP-173 text (all lower- or all upper-case) into its lower-case prefix and bytes. Rejects
 * a bad checksum, bech32m, mixed case, over-long text and 5-bit data that does not pack into bytes.
 */
export function bech32Decode(
  text: string,
  limit = BECH32_MAX_LENGTH,
): Result<{ prefix: string; data: Uint8Array }, QosError<typeof CRYPTO_ERROR.invalidBech32>> {
  try {
    const { prefix, words } = bech32.decode(text, limit);
    return ok({ prefix, data: bech32.fromWords(words) });
  } catch (e) {
    return err(new QosError(CRYPTO_ERROR.invalidBech32, `bech32: ${(e as Error).message}`));
  }
}
