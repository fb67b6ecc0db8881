// Web3 Secret Storage v3 keystores for secp256k1 keys (scrypt, aes-128-ctr, keccak-256 MAC), with
// the mnemonic secret in an "x-qos" extension under the same KDF. Pure: randomness comes in.
import { ctr } from "@noble/ciphers/aes.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { scrypt } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  err,
  fromBase64,
  fromHex,
  ok,
  type Result,
  toBase64,
  toHexLower,
  utf8Decode,
  utf8Encode,
} from "@qos/types";
import { MNEMONIC_ENTROPY_LENGTHS, type MnemonicSecret } from "./mnemonic.ts";
import { type KeystoreError, WALLET_ERROR, walletError } from "./walletError.ts";
import { constantTimeEqual, wipeBytes } from "./wipeBytes.ts";

/** scrypt cost: N (a power of two), r, p. */
export interface ScryptParams {
  n: number;
  r: number;
  p: number;
}

/** geth's and ethers' standard cost (N = 2^18: about 1.4 s and 256 MiB here). */
export const SCRYPT_STANDARD: Readonly<ScryptParams> = { n: 1 << 18, r: 8, p: 1 };
/** The cheap cost of the `test` and `memory` keyrings and of tests (N = 2^12). */
export const SCRYPT_TEST: Readonly<ScryptParams> = { n: 1 << 12, r: 8, p: 1 };
/** Random bytes encryptKeystore needs: salt 32 ‖ iv 16 ‖ uuid 16 ‖ secret iv 16. */
export const KEYSTORE_RANDOM_BYTES = 80;
/** Limits on a KDF read from a file, so a hostile file cannot ask for gigabytes or hours. */
export const KEYSTORE_MAX_SCRYPT_N = 1 << 20;
const MAX_SCRYPT_MEMORY = 1 << 30;
const MAX_PBKDF2_ROUNDS = 10_000_000;
const SECRET_FORMAT = 1;

/** One aes-128-ctr ciphertext and its MAC, as the JSON carries them (lower-case hex). */
export interface KeystoreCipherJson {
  cipher: "aes-128-ctr";
  cipherparams: { iv: string };
  ciphertext: string;
  mac: string;
}

export interface ScryptKdfJson {
  kdf: "scrypt";
  kdfparams: { dklen: number; n: number; r: number; p: number; salt: string };
}

export interface Pbkdf2KdfJson {
  kdf: "pbkdf2";
  kdfparams: { dklen: number; c: number; prf: "hmac-sha256"; salt: string };
}

export type KeystoreCryptoJson = KeystoreCipherJson & (ScryptKdfJson | Pbkdf2KdfJson);

/**
 * Our extension (ignored by other v3 readers). Public fields are informative and checked against
 * the decrypted key when the key is used; `secret` is the encrypted mnemonic entropy and BIP-39
 * passphrase, keyed by derivedKey[32..48] with MAC keccak256(derivedKey[48..64] ‖ ciphertext).
 */
export interface QosKeystoreExtension {
  version: 1;
  algo: "secp256k1";
  name?: string;
  address?: string;
  /** base64 of the 33-byte compressed public key. */
  pubkey?: string;
  hdPath?: string;
  secret?: KeystoreCipherJson;
}

/** A Web3 Secret Storage v3 file. `crypto` carries the 32-byte secp256k1 private key. */
export interface KeystoreV3 {
  version: 3;
  id: string;
  crypto: KeystoreCryptoJson;
  "x-qos"?: QosKeystoreExtension;
}

/** Public facts written beside the key (all optional). */
export interface KeystoreMeta {
  name?: string;
  address?: string;
  pubKey?: Uint8Array;
  hdPath?: string;
}

export interface EncryptKeystoreOptions {
  privateKey: Uint8Array;
  /** A string is NFKC-normalized and UTF-8 encoded (as ethers does); bytes are used as given. */
  password: string | Uint8Array;
  /** KEYSTORE_RANDOM_BYTES from a CSPRNG (`randomBytes` of @qos/crypto/random). */
  random: Uint8Array;
  scrypt?: ScryptParams;
  secret?: MnemonicSecret;
  meta?: KeystoreMeta;
}

/** What a keystore holds. The caller wipes privateKey and the secret's buffers after use. */
export interface DecryptedKeystore {
  privateKey: Uint8Array;
  secret: MnemonicSecret | null;
}

function invalid(message: string): KeystoreError {
  return walletError(WALLET_ERROR.invalidKeystore, message);
}

function unsupported(message: string): KeystoreError {
  return walletError(WALLET_ERROR.unsupportedKeystore, message);
}

/** A keystore password as bytes: NFKC-normalized UTF-8 for a string (as ethers), bytes as given. */
export function passwordToBytes(password: string | Uint8Array): Uint8Array {
  return typeof password === "string" ? utf8Encode(password.normalize("NFKC")) : password;
}

function uuidV4(bytes: Uint8Array): string {
  const b = Uint8Array.from(bytes);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = toHexLower(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function checkScrypt(p: ScryptParams): string | null {
  const { n, r } = p;
  if (!Number.isSafeInteger(n) || n < 2 || n > KEYSTORE_MAX_SCRYPT_N || (n & (n - 1)) !== 0) {
    return `scrypt n must be a power of two in [2, 2^20], got ${n}`;
  }
  if (!Number.isSafeInteger(r) || r < 1 || r > 32 || 128 * n * r > MAX_SCRYPT_MEMORY) {
    return `scrypt r=${r} with n=${n} is out of range (at most 1 GiB)`;
  }
  if (!Number.isSafeInteger(p.p) || p.p < 1 || p.p > 16) {
    return `scrypt p must be in [1, 16], got ${p.p}`;
  }
  return null;
}

/** AES-128-CTR under key (16 bytes) and iv (16 bytes); CTR is its own inverse. */
function aesCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return ctr(key, iv).encrypt(data);
}

function macOf(macKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const buf = new Uint8Array(macKey.length + ciphertext.length);
  buf.set(macKey);
  buf.set(ciphertext, macKey.length);
  const mac = keccak_256(buf);
  wipeBytes(buf);
  return mac;
}

function encodeSecret(secret: MnemonicSecret): Uint8Array {
  const out = new Uint8Array(2 + secret.entropy.length + secret.passphrase.length);
  out[0] = SECRET_FORMAT;
  out[1] = secret.entropy.length;
  out.set(secret.entropy, 2);
  out.set(secret.passphrase, 2 + secret.entropy.length);
  return out;
}

function decodeSecret(bytes: Uint8Array): MnemonicSecret | null {
  const len = bytes[1] ?? 0;
  if (bytes[0] !== SECRET_FORMAT || !MNEMONIC_ENTROPY_LENGTHS.includes(len)) return null;
  if (bytes.length < 2 + len) return null;
  const passphrase = bytes.slice(2 + len);
  if (utf8Decode(passphrase) === null) return null;
  return { entropy: bytes.slice(2, 2 + len), passphrase };
}

/**
 * Encrypts a secp256k1 private key (and, if given, the mnemonic secret it came from) under a
 * password: scrypt(password, salt, n, r, p) → derivedKey (64 bytes; the file says dklen 32,
 * the standard part); key = aes-128-ctr(derivedKey[0..16], iv), mac = keccak256(derivedKey[16..32]
 * ‖ ciphertext) (Web3 Secret Storage v3). Throws QosError(keystore_invalid) on a bad private key
 * and (keystore_unsupported) on scrypt params outside the limits readers accept.
 */
export function encryptKeystore(opts: EncryptKeystoreOptions): KeystoreV3 {
  const params = opts.scrypt ?? SCRYPT_STANDARD;
  const bad = checkScrypt(params);
  if (bad !== null) throw unsupported(bad);
  if (
    !(opts.privateKey instanceof Uint8Array) ||
    !secp256k1.utils.isValidSecretKey(opts.privateKey)
  ) {
    throw invalid("a keystore holds a 32-byte secp256k1 private key in [1, n-1]");
  }
  if (!(opts.random instanceof Uint8Array) || opts.random.length !== KEYSTORE_RANDOM_BYTES) {
    throw invalid(`encryptKeystore needs ${KEYSTORE_RANDOM_BYTES} random bytes`);
  }
  const salt = opts.random.slice(0, 32);
  const iv = opts.random.slice(32, 48);
  const secretIv = opts.random.slice(64, 80);
  const pw = passwordToBytes(opts.password);
  const dk = scrypt(pw, salt, { N: params.n, r: params.r, p: params.p, dkLen: 64 });
  if (pw !== opts.password) wipeBytes(pw);
  const ciphertext = aesCtr(dk.subarray(0, 16), iv, opts.privateKey);
  const ks: KeystoreV3 = {
    version: 3,
    id: uuidV4(opts.random.subarray(48, 64)),
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: toHexLower(iv) },
      ciphertext: toHexLower(ciphertext),
      kdf: "scrypt",
      kdfparams: { dklen: 32, n: params.n, r: params.r, p: params.p, salt: toHexLower(salt) },
      mac: toHexLower(macOf(dk.subarray(16, 32), ciphertext)),
    },
  };
  const ext: QosKeystoreExtension = { version: 1, algo: "secp256k1" };
  const meta = opts.meta ?? {};
  if (meta.name !== undefined) ext.name = meta.name;
  if (meta.address !== undefined) ext.address = meta.address;
  if (meta.pubKey !== undefined) ext.pubkey = toBase64(meta.pubKey);
  if (meta.hdPath !== undefined) ext.hdPath = meta.hdPath;
  if (opts.secret !== undefined) {
    const plain = encodeSecret(opts.secret);
    const sct = aesCtr(dk.subarray(32, 48), secretIv, plain);
    wipeBytes(plain);
    ext.secret = {
      cipher: "aes-128-ctr",
      cipherparams: { iv: toHexLower(secretIv) },
      ciphertext: toHexLower(sct),
      mac: toHexLower(macOf(dk.subarray(48, 64), sct)),
    };
  }
  wipeBytes(dk);
  ks["x-qos"] = ext;
  return ks;
}

// ---- reading -------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hexField(v: unknown, what: string, len?: number): Result<Uint8Array, KeystoreError> {
  if (typeof v !== "string") return err(invalid(`${what} must be a hex string`));
  const text = v.startsWith("0x") || v.startsWith("0X") ? v.slice(2) : v;
  const bytes = text.length > 2048 ? null : fromHex(text);
  if (bytes === null) return err(invalid(`${what} is not hex`));
  if (len !== undefined && bytes.length !== len) {
    return err(invalid(`${what} must be ${len} bytes, got ${bytes.length}`));
  }
  return ok(bytes);
}

function intField(v: unknown, what: string): Result<number, KeystoreError> {
  const n = typeof v === "string" && /^[0-9]{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    return err(invalid(`${what} must be an integer`));
  }
  return ok(n);
}

interface CipherBlock {
  iv: Uint8Array;
  ciphertext: Uint8Array;
  mac: Uint8Array;
}

function readCipherBlock(c: Json, what: string): Result<CipherBlock, KeystoreError> {
  if (c.cipher !== "aes-128-ctr") {
    return err(unsupported(`${what}: cipher ${String(c.cipher)} (only aes-128-ctr)`));
  }
  if (!isObject(c.cipherparams)) return err(invalid(`${what}: cipherparams missing`));
  const iv = hexField(c.cipherparams.iv, `${what} iv`, 16);
  if (!iv.ok) return iv;
  const ciphertext = hexField(c.ciphertext, `${what} ciphertext`);
  if (!ciphertext.ok) return ciphertext;
  const mac = hexField(c.mac, `${what} mac`, 32);
  if (!mac.ok) return mac;
  return ok({ iv: iv.value, ciphertext: ciphertext.value, mac: mac.value });
}

type Kdf =
  | { kind: "scrypt"; salt: Uint8Array; params: ScryptParams }
  | { kind: "pbkdf2"; salt: Uint8Array; rounds: number };

function readKdf(c: Json): Result<Kdf, KeystoreError> {
  const kdf = typeof c.kdf === "string" ? c.kdf.toLowerCase() : c.kdf;
  const kp = c.kdfparams;
  if (!isObject(kp)) return err(invalid("kdfparams missing"));
  const salt = hexField(kp.salt, "kdf salt");
  if (!salt.ok) return salt;
  if (salt.value.length < 8 || salt.value.length > 256) {
    return err(invalid(`kdf salt must be 8 to 256 bytes, got ${salt.value.length}`));
  }
  const dklen = intField(kp.dklen, "kdfparams.dklen");
  if (!dklen.ok) return dklen;
  if (dklen.value !== 32) return err(unsupported(`kdfparams.dklen ${dklen.value} (only 32)`));
  if (kdf === "scrypt") {
    const n = intField(kp.n, "scrypt n");
    const r = intField(kp.r, "scrypt r");
    const p = intField(kp.p, "scrypt p");
    if (!n.ok) return n;
    if (!r.ok) return r;
    if (!p.ok) return p;
    const params = { n: n.value, r: r.value, p: p.value };
    const bad = checkScrypt(params);
    if (bad !== null) return err(unsupported(bad));
    return ok({ kind: "scrypt", salt: salt.value, params });
  }
  if (kdf === "pbkdf2") {
    if (kp.prf !== "hmac-sha256") {
      return err(unsupported(`pbkdf2 prf ${String(kp.prf)} (only hmac-sha256)`));
    }
    const c = intField(kp.c, "pbkdf2 c");
    if (!c.ok) return c;
    if (c.value < 1 || c.value > MAX_PBKDF2_ROUNDS) {
      return err(unsupported(`pbkdf2 c must be in [1, ${MAX_PBKDF2_ROUNDS}], got ${c.value}`));
    }
    return ok({ kind: "pbkdf2", salt: salt.value, rounds: c.value });
  }
  return err(unsupported(`kdf ${String(c.kdf)} (only scrypt and pbkdf2)`));
}

interface ParsedKeystore {
  json: KeystoreV3;
  kdf: Kdf;
  key: CipherBlock;
  secret: CipherBlock | null;
}

function readString(
  v: unknown,
  what: string,
  max = 256,
): Result<string | undefined, KeystoreError> {
  if (v === undefined) return ok(undefined);
  if (typeof v !== "string" || v.length > max) return err(invalid(`${what} must be a string`));
  return ok(v);
}

interface ParsedExtension {
  ext: QosKeystoreExtension;
  secret: CipherBlock | null;
}

function readExtension(v: unknown): Result<ParsedExtension | undefined, KeystoreError> {
  if (v === undefined) return ok(undefined);
  if (!isObject(v) || v.version !== 1)
    return err(unsupported("x-qos extension of another version"));
  if (v.algo !== "secp256k1") return err(unsupported(`key algorithm ${String(v.algo)}`));
  const ext: QosKeystoreExtension = { version: 1, algo: "secp256k1" };
  for (const field of ["name", "address", "pubkey", "hdPath"] as const) {
    const s = readString(v[field], `x-qos.${field}`);
    if (!s.ok) return s;
    if (s.value !== undefined) ext[field] = s.value;
  }
  if (ext.pubkey !== undefined && fromBase64(ext.pubkey)?.length !== 33) {
    return err(invalid("x-qos.pubkey must be base64 of a 33-byte compressed key"));
  }
  if (v.secret === undefined) return ok({ ext, secret: null });
  if (!isObject(v.secret)) return err(invalid("x-qos.secret must be an object"));
  const block = readCipherBlock(v.secret, "x-qos.secret");
  if (!block.ok) return block;
  ext.secret = {
    cipher: "aes-128-ctr",
    cipherparams: { iv: toHexLower(block.value.iv) },
    ciphertext: toHexLower(block.value.ciphertext),
    mac: toHexLower(block.value.mac),
  };
  return ok({ ext, secret: block.value });
}

function readKeystore(v: unknown): Result<ParsedKeystore, KeystoreError> {
  if (!isObject(v)) return err(invalid("a keystore is a JSON object"));
  if (v.version !== 3 && v.version !== "3") {
    return err(unsupported(`keystore version ${String(v.version)} (only Web3 Secret Storage v3)`));
  }
  const c = v.crypto ?? v.Crypto;
  if (!isObject(c)) return err(invalid("keystore has no crypto object"));
  const key = readCipherBlock(c, "crypto");
  if (!key.ok) return key;
  if (key.value.ciphertext.length !== 32) {
    return err(
      unsupported(`the payload is ${key.value.ciphertext.length} bytes, not a 32-byte key`),
    );
  }
  const kdf = readKdf(c);
  if (!kdf.ok) return kdf;
  const ext = readExtension(v["x-qos"]);
  if (!ext.ok) return ext;
  const id = typeof v.id === "string" && v.id.length <= 64 ? v.id : "";
  const k = kdf.value;
  const json: KeystoreV3 = {
    version: 3,
    id,
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: toHexLower(key.value.iv) },
      ciphertext: toHexLower(key.value.ciphertext),
      ...(k.kind === "scrypt"
        ? {
            kdf: "scrypt" as const,
            kdfparams: { dklen: 32, ...k.params, salt: toHexLower(k.salt) },
          }
        : {
            kdf: "pbkdf2" as const,
            kdfparams: {
              dklen: 32,
              c: k.rounds,
              prf: "hmac-sha256" as const,
              salt: toHexLower(k.salt),
            },
          }),
      mac: toHexLower(key.value.mac),
    },
  };
  if (ext.value !== undefined) json["x-qos"] = ext.value.ext;
  return ok({ json, kdf: k, key: key.value, secret: ext.value?.secret ?? null });
}

/**
 * Parses a v3 keystore (ours, geth's, ethers'), checks its shape and KDF limits, and returns it
 * normalized: lower-case hex, only the fields we know (other extensions are dropped).
 */
export function keystoreFromJson(text: string): Result<KeystoreV3, KeystoreError> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err(invalid("the keystore is not valid JSON"));
  }
  const parsed = readKeystore(value);
  return parsed.ok ? ok(parsed.value.json) : parsed;
}

/** The file text of a keystore (JSON; nothing in it is hashed or signed). */
export function keystoreToJson(ks: KeystoreV3): string {
  return `${JSON.stringify(ks, null, 2)}\n`;
}

/**
 * Decrypts a keystore. A MAC mismatch is `keystore_wrong_password` ("wrong password for key
 * 'alice'"; the name is `keyName` or the file's x-qos name). Everything else wrong with the file
 * is keystore_invalid / keystore_unsupported. The caller wipes what it gets back.
 */
export function decryptKeystore(
  ks: KeystoreV3,
  password: string | Uint8Array,
  keyName?: string,
): Result<DecryptedKeystore, KeystoreError> {
  const parsed = readKeystore(ks);
  if (!parsed.ok) return parsed;
  const { kdf, key, secret } = parsed.value;
  const name = keyName ?? parsed.value.json["x-qos"]?.name;
  const pw = passwordToBytes(password);
  // derivedKey[0..32] is the standard v3 key; [32..64] is PBKDF2's second output block, which
  // scrypt and PBKDF2 give without changing the first (ethers keys its x-ethers data the same way).
  const dk =
    kdf.kind === "scrypt"
      ? scrypt(pw, kdf.salt, { N: kdf.params.n, r: kdf.params.r, p: kdf.params.p, dkLen: 64 })
      : pbkdf2(sha256, pw, kdf.salt, { c: kdf.rounds, dkLen: 64 });
  if (pw !== password) wipeBytes(pw);
  const mac = macOf(dk.subarray(16, 32), key.ciphertext);
  if (!constantTimeEqual(mac, key.mac)) {
    wipeBytes(dk);
    return err(
      walletError(
        WALLET_ERROR.wrongPassword,
        name !== undefined
          ? `wrong password for key '${name}'`
          : "wrong password for this keystore",
      ),
    );
  }
  const privateKey = aesCtr(dk.subarray(0, 16), key.iv, key.ciphertext);
  if (!secp256k1.utils.isValidSecretKey(privateKey)) {
    wipeBytes(dk, privateKey);
    return err(invalid("the decrypted key is not a secp256k1 private key"));
  }
  let mnemonic: MnemonicSecret | null = null;
  if (secret !== null) {
    if (!constantTimeEqual(macOf(dk.subarray(48, 64), secret.ciphertext), secret.mac)) {
      wipeBytes(dk, privateKey);
      return err(invalid("the encrypted mnemonic fails its MAC: the file is damaged"));
    }
    const plain = aesCtr(dk.subarray(32, 48), secret.iv, secret.ciphertext);
    mnemonic = decodeSecret(plain);
    wipeBytes(plain);
    if (mnemonic === null) {
      wipeBytes(dk, privateKey);
      return err(invalid("the encrypted mnemonic is not in the x-qos secret format"));
    }
  }
  wipeBytes(dk);
  return ok({ privateKey, secret: mnemonic });
}
