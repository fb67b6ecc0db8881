// BIP-39 on the official english vectors (trezor/python-mnemonic, passphrase "TREZOR") and
// properties against @scure/bip39 as the reference: entropy ↔ words, seeds from bytes.
import { readFileSync } from "node:fs";
import {
  deriveHdKey,
  entropyToMnemonic,
  isValidMnemonic,
  mnemonicToEntropy,
  mnemonicToSecret,
  mnemonicToSeed,
  normalizeMnemonic,
  randomSecretToPassphrase,
  secretToMnemonic,
  secretToSeed,
  WALLET_ERROR,
} from "@qos/crypto";
import { fromHex, toHexLower } from "@qos/types";
import { mnemonicToSeedSync } from "@scure/bip39";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

interface Bip39Vectors {
  passphrase: string;
  english: [string, string, string, string][];
}
const VECTORS = JSON.parse(
  readFileSync(new URL("./fixtures/bip39Vectors.json", import.meta.url), "utf8"),
) as Bip39Vectors;
const hex = (h: string) => fromHex(h) as Uint8Array;

describe("BIP-39 official english vectors (passphrase TREZOR)", () => {
  it("has the 24 vectors", () => {
    expect(VECTORS.english).toHaveLength(24);
  });

  it.each(VECTORS.english)("%s", (entropy, mnemonic, seed, xprv) => {
    expect(entropyToMnemonic(hex(entropy))).toBe(mnemonic);
    const back = mnemonicToEntropy(mnemonic);
    expect(back.ok && toHexLower(back.value)).toBe(entropy);
    expect(toHexLower(mnemonicToSeed(mnemonic, VECTORS.passphrase))).toBe(seed);
    const secret = mnemonicToSecret(mnemonic, VECTORS.passphrase);
    if (!secret.ok) throw secret.error;
    expect(toHexLower(secretToSeed(secret.value))).toBe(seed);
    expect(secretToMnemonic(secret.value)).toBe(mnemonic);
    expect(deriveHdKey(hex(seed), "m").privateExtendedKey).toBe(xprv);
  });
});

describe("mnemonic input", () => {
  const m = VECTORS.english[12]?.[1] as string;

  it("is normalized: case, surrounding and repeated whitespace, NFKD", () => {
    const messy = `  ${m.toUpperCase().split(" ").join(" \t\n ")}  `;
    expect(normalizeMnemonic(messy)).toBe(m);
    expect(isValidMnemonic(messy)).toBe(true);
    expect(toHexLower(mnemonicToSeed(messy, "TREZOR"))).toBe(VECTORS.english[12]?.[2]);
  });

  it("refuses a wrong word count, an unknown word and a bad checksum without echoing words", () => {
    const words = m.split(" ");
    const cases: [string, RegExp][] = [
      ["", /not 0/],
      [words.slice(0, 11).join(" "), /not 11/],
      [[...words.slice(0, 11), "qwertyuiop"].join(" "), /word 12 .* not in the BIP-39/],
      [[words[1], words[0], ...words.slice(2)].join(" "), /checksum/],
    ];
    for (const [text, message] of cases) {
      const r = mnemonicToEntropy(text);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error.code).toBe(WALLET_ERROR.invalidMnemonic);
      expect(r.error.message).toMatch(message);
      for (const w of words) expect(r.error.message).not.toContain(` ${w} `);
      expect(() => mnemonicToSeed(text)).toThrow(r.error.message);
    }
  });

  it("refuses entropy of a size BIP-39 does not define", () => {
    expect(() => entropyToMnemonic(new Uint8Array(15))).toThrow(/16, 20, 24, 28 or 32/);
    expect(() => entropyToMnemonic(new Uint8Array(33))).toThrow(/16, 20, 24, 28 or 32/);
  });
});

describe("properties against @scure/bip39", () => {
  const entropies = fc
    .constantFrom(16, 20, 24, 28, 32)
    .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));

  it("entropy → words → entropy; seed from bytes = scure's seed from the string", () => {
    fc.assert(
      fc.property(entropies, fc.string({ maxLength: 40 }), (entropy, passphrase) => {
        const words = entropyToMnemonic(entropy);
        const back = mnemonicToEntropy(words);
        expect(back.ok && toHexLower(back.value)).toBe(toHexLower(entropy));
        const secret = mnemonicToSecret(words, passphrase);
        if (!secret.ok) throw secret.error;
        expect(toHexLower(secretToSeed(secret.value))).toBe(
          toHexLower(mnemonicToSeedSync(words, passphrase)),
        );
      }),
      { numRuns: 40 },
    );
  });

  it("a random passphrase is the lower-case hex of its random bytes", () => {
    expect(randomSecretToPassphrase(new Uint8Array(32).fill(0xab))).toBe("ab".repeat(32));
    expect(() => randomSecretToPassphrase(new Uint8Array(8))).toThrow(/at least 16/);
  });
});
