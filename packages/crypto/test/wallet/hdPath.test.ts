// BIP-32 test vectors 1 and 2 (bitcoin/bips) through deriveHdKey, and the BIP-44 paths of QOS.
import { readFileSync } from "node:fs";
import { deriveHdKey, HARDENED_OFFSET, parseHdPath, qosHdPath, WALLET_ERROR } from "@qos/crypto";
import { fromHex } from "@qos/types";
import { describe, expect, it } from "vitest";

interface Bip32Vectors {
  vectors: { seed: string; chains: [string, string, string][] }[];
}
const VECTORS = JSON.parse(
  readFileSync(new URL("./fixtures/bip32Vectors.json", import.meta.url), "utf8"),
) as Bip32Vectors;

describe("BIP-32 test vectors", () => {
  VECTORS.vectors.forEach((v, i) => {
    it.each(v.chains)(`vector ${i + 1}: %s`, (path, xpub, xprv) => {
      const key = deriveHdKey(fromHex(v.seed) as Uint8Array, path);
      expect(key.publicExtendedKey).toBe(xpub);
      expect(key.privateExtendedKey).toBe(xprv);
    });
  });
});

describe("HD paths", () => {
  it("QOS keys live at m/44'/389'/account'/0/index", () => {
    expect(qosHdPath()).toBe("m/44'/389'/0'/0/0");
    expect(qosHdPath(3, 7)).toBe("m/44'/389'/3'/0/7");
    expect(qosHdPath(2 ** 31 - 1, 0)).toBe("m/44'/389'/2147483647'/0/0");
    for (const [a, i] of [
      [-1, 0],
      [0, 2 ** 31],
      [1.5, 0],
    ] as const) {
      expect(() => qosHdPath(a, i)).toThrow(
        expect.objectContaining({ code: WALLET_ERROR.invalidPath }),
      );
    }
  });

  it("parses hardened and plain components and refuses malformed paths", () => {
    const p = parseHdPath("m/44'/389h/0H/0/5");
    expect(p.ok && p.value).toEqual([
      44 + HARDENED_OFFSET,
      389 + HARDENED_OFFSET,
      HARDENED_OFFSET,
      0,
      5,
    ]);
    expect(parseHdPath("m").ok).toBe(true);
    for (const bad of ["", "44'/0", "m/", "m/01", "m/-1", "m/2147483648", "m/1''", "M/0"]) {
      expect(parseHdPath(bad).ok, bad).toBe(false);
    }
    expect(() => deriveHdKey(new Uint8Array(32), "m/x")).toThrow(/bad HD path component/);
  });
});
