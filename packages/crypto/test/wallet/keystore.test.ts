// Web3 Secret Storage v3 against ethers as the independent implementation (ours → ethers and
// ethers → ours), the x-qos mnemonic extension, wrong passwords, damaged and hostile files.
import {
  createKeystoreSigner,
  decryptKeystore,
  deriveKeyPair,
  encryptKeystore,
  entropyToMnemonic,
  KEYSTORE_RANDOM_BYTES,
  type KeystoreV3,
  keystoreFromJson,
  keystoreToJson,
  mnemonicToSecret,
  SCRYPT_STANDARD,
  SCRYPT_TEST,
  type ScryptParams,
  secp256k1Verify,
  secretToMnemonic,
  WALLET_ERROR,
} from "@qos/crypto";
import { toBase64, toHexLower, utf8Encode } from "@qos/types";
import {
  decryptKeystoreJson,
  decryptKeystoreJsonSync,
  encryptKeystoreJsonSync,
  HDNodeWallet,
  Mnemonic,
  Wallet,
} from "ethers";
import { describe, expect, it } from "vitest";

const MNEMONIC = entropyToMnemonic(Uint8Array.from({ length: 32 }, (_, i) => (i * 91 + 5) & 0xff));
const PASSPHRASE = "c0ffee".repeat(10);
const random = (seed: number) =>
  Uint8Array.from({ length: KEYSTORE_RANDOM_BYTES }, (_, i) => (i * 13 + seed) & 0xff);

function aliceKeystore(opts: { scrypt?: ScryptParams; withSecret?: boolean } = {}): {
  ks: KeystoreV3;
  privateKey: Uint8Array;
  address: string;
} {
  const pair = deriveKeyPair({ mnemonic: MNEMONIC, passphrase: PASSPHRASE });
  const secret = mnemonicToSecret(MNEMONIC, PASSPHRASE);
  if (!secret.ok) throw secret.error;
  const ks = encryptKeystore({
    privateKey: pair.privateKey,
    password: "correct horse battery",
    random: random(1),
    scrypt: opts.scrypt ?? SCRYPT_TEST,
    ...(opts.withSecret === false ? {} : { secret: secret.value }),
    meta: { name: "alice", address: pair.address, pubKey: pair.pubKey, hdPath: pair.hdPath },
  });
  return { ks, privateKey: pair.privateKey, address: pair.address };
}

describe("keystore round trip", () => {
  it("decrypts to the key and the mnemonic secret it was made from", () => {
    const { ks, privateKey } = aliceKeystore();
    const back = decryptKeystore(ks, "correct horse battery");
    if (!back.ok) throw back.error;
    expect(back.value.privateKey).toEqual(privateKey);
    const secret = back.value.secret;
    expect(secret && secretToMnemonic(secret)).toBe(MNEMONIC);
    expect(secret && new TextDecoder().decode(secret.passphrase)).toBe(PASSPHRASE);
    const parsed = keystoreFromJson(keystoreToJson(ks));
    expect(parsed.ok && parsed.value).toEqual(ks);
  });

  it("has the v3 shape with dklen 32 and a v4 uuid", () => {
    const { ks } = aliceKeystore();
    expect(ks.version).toBe(3);
    expect(ks.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ks.crypto.kdf).toBe("scrypt");
    expect(ks.crypto.kdfparams).toMatchObject({ dklen: 32, n: 4096, r: 8, p: 1 });
    expect(ks.crypto.cipher).toBe("aes-128-ctr");
    expect(ks["x-qos"]).toMatchObject({ version: 1, algo: "secp256k1", name: "alice" });
  });

  it("holds no secret in the clear", () => {
    const { ks, privateKey } = aliceKeystore();
    const text = keystoreToJson(ks);
    const secret = mnemonicToSecret(MNEMONIC, PASSPHRASE);
    if (!secret.ok) throw secret.error;
    for (const needle of [
      MNEMONIC,
      ...MNEMONIC.split(" ").slice(0, 3),
      PASSPHRASE,
      toHexLower(privateKey),
      toBase64(privateKey),
      toHexLower(secret.value.entropy),
      toBase64(secret.value.entropy),
    ]) {
      expect(text).not.toContain(needle);
    }
  });
});

describe("wrong password and damaged files", () => {
  it("a wrong password is a clear keystore_wrong_password naming the key", () => {
    const { ks } = aliceKeystore();
    const r = decryptKeystore(ks, "wrong");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(WALLET_ERROR.wrongPassword);
    expect(r.error.message).toBe("wrong password for key 'alice'");
    const named = decryptKeystore(ks, "wrong", "bob");
    expect(!named.ok && named.error.message).toBe("wrong password for key 'bob'");
    const signer = createKeystoreSigner(ks, "wrong");
    expect(!signer.ok && signer.error.code).toBe(WALLET_ERROR.wrongPassword);
  });

  it("a changed ciphertext fails the MAC; a changed mnemonic ciphertext is a damaged file", () => {
    const { ks } = aliceKeystore();
    const flip = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
    const a = structuredClone(ks);
    a.crypto.ciphertext = flip(a.crypto.ciphertext);
    expect(!decryptKeystore(a, "correct horse battery").ok).toBe(true);
    const b = structuredClone(ks);
    const secret = b["x-qos"]?.secret;
    if (secret === undefined) throw new Error("no secret");
    secret.ciphertext = flip(secret.ciphertext);
    const r = decryptKeystore(b, "correct horse battery");
    expect(!r.ok && r.error.code).toBe(WALLET_ERROR.invalidKeystore);
  });

  it("public facts that disagree with the encrypted key are refused when the key is used", () => {
    const other = deriveKeyPair({ mnemonic: MNEMONIC, index: 9 });
    const { ks } = aliceKeystore();
    const swapped = structuredClone(ks);
    (swapped["x-qos"] as { address?: string }).address = other.address;
    const r = createKeystoreSigner(swapped, "correct horse battery");
    expect(!r.ok && r.error.code).toBe(WALLET_ERROR.invalidKeystore);
    expect(!r.ok && r.error.message).toMatch(/address written in keystore 'alice'/);
    const swappedPk = structuredClone(ks);
    (swappedPk["x-qos"] as { pubkey?: string }).pubkey = toBase64(other.pubKey);
    expect(createKeystoreSigner(swappedPk, "correct horse battery").ok).toBe(false);
  });

  it("malformed or hostile files are refused before any KDF runs", () => {
    const { ks } = aliceKeystore();
    const variants: [string, unknown, string][] = [
      ["not json", "{", WALLET_ERROR.invalidKeystore],
      ["v1", { ...ks, version: 1 }, WALLET_ERROR.unsupportedKeystore],
      [
        "n = 2^30",
        { ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, n: 2 ** 30 } } },
        WALLET_ERROR.unsupportedKeystore,
      ],
      [
        "n not a power of two",
        { ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, n: 1000 } } },
        WALLET_ERROR.unsupportedKeystore,
      ],
      [
        "r huge",
        { ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, r: 1e6 } } },
        WALLET_ERROR.unsupportedKeystore,
      ],
      [
        "aes-256-gcm",
        { ...ks, crypto: { ...ks.crypto, cipher: "aes-256-gcm" } },
        WALLET_ERROR.unsupportedKeystore,
      ],
      [
        "argon2",
        { ...ks, crypto: { ...ks.crypto, kdf: "argon2id" } },
        WALLET_ERROR.unsupportedKeystore,
      ],
      [
        "short iv",
        { ...ks, crypto: { ...ks.crypto, cipherparams: { iv: "00" } } },
        WALLET_ERROR.invalidKeystore,
      ],
      [
        "64-byte payload",
        { ...ks, crypto: { ...ks.crypto, ciphertext: "00".repeat(64) } },
        WALLET_ERROR.unsupportedKeystore,
      ],
      ["no crypto", { version: 3, id: "x" }, WALLET_ERROR.invalidKeystore],
      ["bad mac hex", { ...ks, crypto: { ...ks.crypto, mac: "zz" } }, WALLET_ERROR.invalidKeystore],
    ];
    for (const [what, value, code] of variants) {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      const r = keystoreFromJson(text);
      expect(!r.ok && r.error.code, what).toBe(code);
      if (typeof value !== "string") {
        const d = decryptKeystore(value as KeystoreV3, "correct horse battery");
        expect(!d.ok && d.error.code, what).toBe(code);
      }
    }
  });

  it("refuses to encrypt a key outside [1, n-1] or with too few random bytes", () => {
    const base = { password: "p", random: random(2), scrypt: SCRYPT_TEST };
    expect(() => encryptKeystore({ ...base, privateKey: new Uint8Array(32) })).toThrow(
      /private key/,
    );
    expect(() =>
      encryptKeystore({
        ...base,
        privateKey: new Uint8Array(32).fill(1),
        random: new Uint8Array(10),
      }),
    ).toThrow(/random bytes/);
  });
});

describe("ethers reads ours, we read ethers'", () => {
  it("ethers decrypts our keystore (light scrypt) to the same private key", async () => {
    const { ks, privateKey } = aliceKeystore();
    const json = keystoreToJson(ks);
    const account = await decryptKeystoreJson(json, "correct horse battery");
    expect(account.privateKey).toBe(`0x${toHexLower(privateKey)}`);
    const wallet = await Wallet.fromEncryptedJson(json, "correct horse battery");
    expect(wallet.privateKey).toBe(`0x${toHexLower(privateKey)}`);
    await expect(decryptKeystoreJson(json, "nope")).rejects.toThrow(/incorrect password/);
  });

  it("ethers decrypts our keystore at the standard cost (n = 2^18)", () => {
    const { ks, privateKey } = aliceKeystore({ scrypt: SCRYPT_STANDARD, withSecret: false });
    expect(ks.crypto.kdfparams).toMatchObject({ n: 262144, r: 8, p: 1 });
    const account = decryptKeystoreJsonSync(keystoreToJson(ks), "correct horse battery");
    expect(account.privateKey).toBe(`0x${toHexLower(privateKey)}`);
  });

  it("we decrypt ethers' keystores: its default cost, a light one, and one with x-ethers data", () => {
    const key = new Uint8Array(32).fill(7);
    const keyHex = `0x${toHexLower(key)}`;
    const wallet = new Wallet(keyHex);
    const files = [
      encryptKeystoreJsonSync({ address: wallet.address, privateKey: keyHex }, "pässword"),
      encryptKeystoreJsonSync({ address: wallet.address, privateKey: keyHex }, "pässword", {
        scrypt: { N: 1 << 10 },
      }),
    ];
    for (const json of files) {
      const ks = keystoreFromJson(json);
      if (!ks.ok) throw ks.error;
      const r = decryptKeystore(ks.value, "pässword");
      if (!r.ok) throw r.error;
      expect(r.value.privateKey).toEqual(key);
      expect(r.value.secret).toBeNull();
      expect(!decryptKeystore(ks.value, "password").ok).toBe(true);
    }
    const hd = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC));
    const hdJson = encryptKeystoreJsonSync(
      {
        address: hd.address,
        privateKey: hd.privateKey,
        ...(hd.mnemonic !== null ? { mnemonic: hd.mnemonic } : {}),
      },
      "hd",
      { scrypt: { N: 1 << 10 } },
    );
    expect(JSON.parse(hdJson)).toHaveProperty("x-ethers");
    const hdKs = keystoreFromJson(hdJson);
    if (!hdKs.ok) throw hdKs.error;
    const r = decryptKeystore(hdKs.value, "hd");
    expect(r.ok && toHexLower(r.value.privateKey)).toBe(hd.privateKey.slice(2));
  });

  it("a keystore signer signs with the decrypted key and verifies", () => {
    const { ks, address } = aliceKeystore();
    const signer = createKeystoreSigner(ks, "correct horse battery");
    if (!signer.ok) throw signer.error;
    expect(signer.value.address).toBe(address);
    const msg = utf8Encode("sign doc bytes");
    const sig = signer.value.sign(msg);
    expect(secp256k1Verify(signer.value.pubKey, msg, sig)).toBe(true);
    signer.value.wipe();
    expect(() => signer.value.sign(msg)).toThrow(/wiped/);
  });
});
