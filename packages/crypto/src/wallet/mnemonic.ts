// BIP-39 mnemonics on the english wordlist (@scure/bip39) and their seeds. A mnemonic kept by the
// wallet is a MnemonicSecret: entropy and passphrase as bytes, so they can be wiped after use.
import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { err, ok, type Result, toHexLower, utf8Encode } from "@qos/types";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { WALLET_ERROR, type WalletError, walletError } from "./walletError.ts";
import { wipeBytes } from "./wipeBytes.ts";

/** Words of a new mnemonic unless told otherwise (256 bits of entropy). */
export const MNEMONIC_DEFAULT_WORDS = 24;
/** BIP-39 entropy sizes in bytes (12, 15, 18, 21 and 24 words). */
export const MNEMONIC_ENTROPY_LENGTHS: readonly number[] = [16, 20, 24, 28, 32];
/** Bytes of OS randomness behind a random BIP-39 passphrase (the seed's second secret). */
export const RANDOM_PASSPHRASE_BYTES = 32;

/** The two secrets a key comes from: BIP-39 entropy and the NFKD UTF-8 bytes of the passphrase. */
export interface MnemonicSecret {
  entropy: Uint8Array;
  passphrase: Uint8Array;
}

const WORD_INDEX: ReadonlyMap<string, number> = new Map(wordlist.map((w, i) => [w, i]));
const SALT_PREFIX = utf8Encode("mnemonic");
const BIP39_ROUNDS = 2048;

/** NFKD, lower-case, words separated by one space: the form BIP-39 hashes. */
export function normalizeMnemonic(text: string): string {
  const words = text.normalize("NFKD").toLowerCase().trim().split(/\s+/);
  return words.length === 1 && words[0] === "" ? "" : words.join(" ");
}

function isEntropyLength(n: number): boolean {
  return MNEMONIC_ENTROPY_LENGTHS.includes(n);
}

/** The 11-bit word indices of entropy ‖ checksum (BIP-39 "Generating the mnemonic"). */
function entropyToIndices(entropy: Uint8Array): Uint16Array {
  const hash = sha256(entropy);
  const entBits = entropy.length * 8;
  const indices = new Uint16Array((entBits + entBits / 32) / 11);
  for (let w = 0; w < indices.length; w++) {
    let idx = 0;
    for (let b = 0; b < 11; b++) {
      const pos = w * 11 + b;
      const byte = pos < entBits ? entropy[pos >> 3] : hash[(pos - entBits) >> 3];
      idx = (idx << 1) | (((byte as number) >> (7 - (pos & 7))) & 1);
    }
    indices[w] = idx;
  }
  wipeBytes(hash);
  return indices;
}

function checkEntropy(entropy: Uint8Array): void {
  if (!(entropy instanceof Uint8Array) || !isEntropyLength(entropy.length)) {
    throw walletError(
      WALLET_ERROR.invalidEntropy,
      `BIP-39 entropy must be 16, 20, 24, 28 or 32 bytes, not ${entropy?.length}`,
    );
  }
}

/** The english mnemonic of 16–32 bytes of entropy. */
export function entropyToMnemonic(entropy: Uint8Array): string {
  checkEntropy(entropy);
  const indices = entropyToIndices(entropy);
  const words = Array.from(indices, (i) => wordlist[i] as string).join(" ");
  indices.fill(0);
  return words;
}

/** The entropy of a mnemonic (normalized first); a clear error without echoing any word. */
export function mnemonicToEntropy(text: string): Result<Uint8Array, WalletError> {
  const words = normalizeMnemonic(text).split(" ");
  if (![12, 15, 18, 21, 24].includes(words.length) || words[0] === "") {
    const n = words[0] === "" ? 0 : words.length;
    return err(
      walletError(
        WALLET_ERROR.invalidMnemonic,
        `a mnemonic has 12, 15, 18, 21 or 24 words, not ${n}`,
      ),
    );
  }
  const indices = new Uint16Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const idx = WORD_INDEX.get(words[i] as string);
    if (idx === undefined) {
      return err(
        walletError(
          WALLET_ERROR.invalidMnemonic,
          `word ${i + 1} of the mnemonic is not in the BIP-39 english wordlist`,
        ),
      );
    }
    indices[i] = idx;
  }
  const totalBits = words.length * 11;
  const entBits = (totalBits * 32) / 33;
  const entropy = new Uint8Array(entBits / 8);
  for (let pos = 0; pos < entBits; pos++) {
    const bit = ((indices[Math.floor(pos / 11)] as number) >> (10 - (pos % 11))) & 1;
    entropy[pos >> 3] = (entropy[pos >> 3] as number) | (bit << (7 - (pos & 7)));
  }
  const again = entropyToIndices(entropy);
  const same = again.every((v, i) => v === indices[i]);
  again.fill(0);
  indices.fill(0);
  if (!same) {
    wipeBytes(entropy);
    return err(
      walletError(
        WALLET_ERROR.invalidMnemonic,
        "the mnemonic's checksum does not match: a word is wrong or out of order",
      ),
    );
  }
  return ok(entropy);
}

export function isValidMnemonic(text: string): boolean {
  const r = mnemonicToEntropy(text);
  if (r.ok) wipeBytes(r.value);
  return r.ok;
}

/** A mnemonic and optional BIP-39 passphrase as wipeable bytes. */
export function mnemonicToSecret(
  mnemonic: string,
  passphrase = "",
): Result<MnemonicSecret, WalletError> {
  const entropy = mnemonicToEntropy(mnemonic);
  if (!entropy.ok) return entropy;
  return ok({ entropy: entropy.value, passphrase: utf8Encode(passphrase.normalize("NFKD")) });
}

/** The english mnemonic of a secret (for `keys export --mnemonic`-style recovery displays). */
export function secretToMnemonic(secret: MnemonicSecret): string {
  return entropyToMnemonic(secret.entropy);
}

/**
 * The 64-byte BIP-39 seed: PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" ‖ passphrase, 2048 rounds).
 * The mnemonic sentence is built as bytes from the entropy (english words are ASCII), so no
 * string holding the secret word order is ever made here.
 */
export function secretToSeed(secret: MnemonicSecret): Uint8Array {
  checkEntropy(secret.entropy);
  const indices = entropyToIndices(secret.entropy);
  let len = indices.length - 1;
  for (const i of indices) len += (wordlist[i] as string).length;
  const sentence = new Uint8Array(len);
  let off = 0;
  for (let w = 0; w < indices.length; w++) {
    if (w > 0) sentence[off++] = 0x20;
    const word = wordlist[indices[w] as number] as string;
    for (let c = 0; c < word.length; c++) sentence[off++] = word.charCodeAt(c);
  }
  indices.fill(0);
  const salt = new Uint8Array(SALT_PREFIX.length + secret.passphrase.length);
  salt.set(SALT_PREFIX);
  salt.set(secret.passphrase, SALT_PREFIX.length);
  const seed = pbkdf2(sha512, sentence, salt, { c: BIP39_ROUNDS, dkLen: 64 });
  wipeBytes(sentence, salt);
  return seed;
}

/** The seed of a mnemonic string; throws QosError(wallet_invalid_mnemonic) if it is not valid. */
export function mnemonicToSeed(mnemonic: string, passphrase = ""): Uint8Array {
  const secret = mnemonicToSecret(mnemonic, passphrase);
  if (!secret.ok) throw secret.error;
  const seed = secretToSeed(secret.value);
  wipeBytes(secret.value.entropy, secret.value.passphrase);
  return seed;
}

/**
 * The BIP-39 passphrase made of OS randomness (the seed's "true random number"): lower-case hex
 * of at least 16 random bytes, so that it can be written down and typed back in CosmJS
 * (`bip39Password`) or any BIP-39 wallet.
 */
export function randomSecretToPassphrase(random: Uint8Array): string {
  if (!(random instanceof Uint8Array) || random.length < 16) {
    throw walletError(
      WALLET_ERROR.invalidEntropy,
      "a random passphrase needs at least 16 random bytes",
    );
  }
  return toHexLower(random);
}
