import { rawSecp256k1PubkeyToRawAddress } from "@cosmjs/amino";
import { sha256 as cosmjsSha256, Secp256k1, Secp256k1Signature } from "@cosmjs/crypto";
import { toBech32 } from "@cosmjs/encoding";
import { secp256k1 as nobleSecp } from "@noble/curves/secp256k1.js";
import { bytesToNumberBE, numberToBytesBE } from "@noble/curves/utils.js";
import { concatBytes, fromHex, QosError, toBase64, toHexLower, utf8Encode } from "@qos/types";
import { HDKey } from "@scure/bip32";
import { mnemonicToSeedSync } from "@scure/bip39";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { browserEntry, ENTRIES, nodeEntry } from "./entries.ts";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const hex = (h: string) => fromHex(h) as Uint8Array;
const privateKeys = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((k) => bytesToNumberBE(k) > 0n && bytesToNumberBE(k) < N);
const one = numberToBytesBE(1n, 32);

/** (r, n - s): the same signature's malleable high-S twin. */
function highS(sig: Uint8Array): Uint8Array {
  const s = bytesToNumberBE(sig.subarray(32));
  return concatBytes(sig.subarray(0, 32), numberToBytesBE(N - s, 32));
}

describe.each(ENTRIES)("secp256k1 (%s entry)", (_name, c) => {
  it("public key and address of private key 1 (the generator)", () => {
    expect(toHexLower(c.secp256k1PublicKey(one))).toBe(
      "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    );
    expect(toHexLower(c.secp256k1PublicKey(one, false))).toBe(
      "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" +
        "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8",
    );
    // hash160 of the compressed generator, the BIP-173 P2WPKH example's program.
    expect(toHexLower(c.secp256k1Address(c.secp256k1PublicKey(one)))).toBe(
      "751e76e8199196d454941c45d1b3a323f1433bd6",
    );
    expect(c.secp256k1Address(c.secp256k1PublicKey(one, false))).toEqual(
      c.secp256k1Address(c.secp256k1PublicKey(one)),
    );
  });

  it("derives CosmJS's simapp faucet address (m/44'/118'/0'/0/0)", () => {
    const mnemonic =
      "economy stock theory fatal elder harbor betray wasp final emotion task crumble siren bottom lizard educate guess current outdoor pair theory focus wife stone";
    const key = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic)).derive("m/44'/118'/0'/0/0");
    const pub = c.secp256k1PublicKey(key.privateKey as Uint8Array);
    expect(toBase64(pub)).toBe("A08EGB7ro1ORuFhjOnZcSgwYlpe0DSFjVNUIkNNQxwKQ");
    expect(c.bech32Encode("cosmos", c.secp256k1Address(pub))).toBe(
      "cosmos1pkptre7fdkl6gfrzlesjjvhxhlc3r4gmmk8rs6",
    );
  });

  it("matches CosmJS (oracle) on keys, addresses and signatures", async () => {
    await fc.assert(
      fc.asyncProperty(privateKeys, fc.uint8Array({ maxLength: 200 }), async (priv, msg) => {
        const pub = c.secp256k1PublicKey(priv);
        const pair = await Secp256k1.makeKeypair(priv);
        expect(pub).toEqual(Secp256k1.compressPubkey(pair.pubkey));
        expect(c.secp256k1PublicKey(priv, false)).toEqual(pair.pubkey);
        expect(c.secp256k1Address(pub)).toEqual(rawSecp256k1PubkeyToRawAddress(pub));
        expect(c.bech32Encode("qosacc", c.secp256k1Address(pub))).toBe(
          toBech32("qosacc", rawSecp256k1PubkeyToRawAddress(pub)),
        );
        const sig = c.secp256k1Sign(priv, msg);
        const theirs = await Secp256k1.createSignature(cosmjsSha256(msg), priv);
        expect(sig).toEqual(theirs.toFixedLength().subarray(0, 64));
        const parsed = Secp256k1Signature.fromFixedLength(sig);
        expect(await Secp256k1.verifySignature(parsed, cosmjsSha256(msg), pub)).toBe(true);
        expect(c.secp256k1Verify(pub, msg, sig)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("enforces low-S: the high-S twin is a valid ECDSA signature but refused", () => {
    const msg = utf8Encode("malleable");
    const pub = c.secp256k1PublicKey(one);
    const sig = c.secp256k1Sign(one, msg);
    expect(bytesToNumberBE(sig.subarray(32)) <= N >> 1n).toBe(true);
    const twin = highS(sig);
    const digest = c.sha256(msg);
    expect(nobleSecp.verify(twin, digest, pub, { prehash: false, lowS: false })).toBe(true);
    expect(c.secp256k1Verify(pub, msg, twin)).toBe(false);
    expect(c.secp256k1Verify(pub, msg, sig)).toBe(true);
  });

  it("signatures are always low-S", () => {
    fc.assert(
      fc.property(privateKeys, fc.uint8Array({ maxLength: 100 }), (priv, msg) => {
        const sig = c.secp256k1Sign(priv, msg);
        expect(sig).toHaveLength(64);
        expect(bytesToNumberBE(sig.subarray(32)) <= N >> 1n).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses out-of-range r and s, bad lengths and bad keys, never throwing", () => {
    const msg = utf8Encode("m");
    const pub = c.secp256k1PublicKey(one);
    const sig = c.secp256k1Sign(one, msg);
    const r = sig.subarray(0, 32);
    const s = sig.subarray(32);
    const zero = new Uint8Array(32);
    const nBytes = numberToBytesBE(N, 32);
    expect(c.secp256k1Verify(pub, msg, concatBytes(zero, s))).toBe(false);
    expect(c.secp256k1Verify(pub, msg, concatBytes(r, zero))).toBe(false);
    expect(c.secp256k1Verify(pub, msg, concatBytes(nBytes, s))).toBe(false);
    expect(c.secp256k1Verify(pub, msg, concatBytes(r, nBytes))).toBe(false);
    const rPlusN = bytesToNumberBE(r) + N;
    if (rPlusN < 2n ** 256n) {
      expect(c.secp256k1Verify(pub, msg, concatBytes(numberToBytesBE(rPlusN, 32), s))).toBe(false);
    }
    expect(c.secp256k1Verify(pub, msg, sig.subarray(0, 63))).toBe(false);
    expect(c.secp256k1Verify(pub, msg, concatBytes(sig, Uint8Array.of(1)))).toBe(false);
    expect(c.secp256k1Verify(pub.subarray(0, 32), msg, sig)).toBe(false);
    // Valid x, wrong prefix; not on the curve; hybrid 06/07 encodings (libsecp256k1 parses those).
    expect(c.secp256k1Verify(concatBytes(Uint8Array.of(0x05), pub.subarray(1)), msg, sig)).toBe(
      false,
    );
    expect(c.secp256k1Verify(concatBytes(Uint8Array.of(0x02), new Uint8Array(32)), msg, sig)).toBe(
      false,
    );
    const full = c.secp256k1PublicKey(one, false);
    expect(c.secp256k1Verify(full, msg, sig)).toBe(true);
    const hybrid = full.slice();
    hybrid[0] = 0x06 | ((full[64] as number) & 1);
    expect(c.secp256k1Verify(hybrid, msg, sig)).toBe(false);
    const junk = null as unknown as Uint8Array;
    expect(c.secp256k1Verify(junk, msg, sig)).toBe(false);
    expect(c.secp256k1Verify(pub, junk, sig)).toBe(false);
    expect(c.secp256k1Verify(pub, msg, junk)).toBe(false);
    expect(c.secp256k1Verify(pub, utf8Encode("other"), sig)).toBe(false);
  });

  it("throws a QosError for invalid private keys and public keys given to address", () => {
    for (const bad of [new Uint8Array(32), numberToBytesBE(N, 32), new Uint8Array(31).fill(1)]) {
      expect(() => c.secp256k1PublicKey(bad)).toThrow(QosError);
      expect(() => c.secp256k1Sign(bad, utf8Encode("m"))).toThrow(QosError);
    }
    expect(() => c.secp256k1Address(new Uint8Array(32))).toThrow(QosError);
    expect(() => c.secp256k1Address(hex(`07${"00".repeat(64)}`))).toThrow(QosError);
  });
});

describe("secp256k1 backends agree", () => {
  it("libsecp256k1 and noble produce identical RFC 6979 signatures and accept each other's", () => {
    fc.assert(
      fc.property(privateKeys, fc.uint8Array({ maxLength: 300 }), (priv, msg) => {
        const pub = nodeEntry.secp256k1PublicKey(priv);
        expect(browserEntry.secp256k1PublicKey(priv)).toEqual(pub);
        const sigNode = nodeEntry.secp256k1Sign(priv, msg);
        const sigBrowser = browserEntry.secp256k1Sign(priv, msg);
        expect(sigNode).toEqual(sigBrowser);
        expect(browserEntry.secp256k1Verify(pub, msg, sigNode)).toBe(true);
        expect(nodeEntry.secp256k1Verify(pub, msg, sigBrowser)).toBe(true);
        const twin = highS(sigNode);
        expect(nodeEntry.secp256k1Verify(pub, msg, twin)).toBe(false);
        expect(browserEntry.secp256k1Verify(pub, msg, twin)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("give the same verdict on perturbed signatures and keys", () => {
    const msg = utf8Encode("perturb");
    const pub = nodeEntry.secp256k1PublicKey(one);
    const sig = nodeEntry.secp256k1Sign(one, msg);
    fc.assert(
      fc.property(fc.nat(96), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const blob = concatBytes(pub, sig);
        blob[at] = (blob[at] as number) ^ mask;
        const pk = blob.subarray(0, 33);
        const sg = blob.subarray(33);
        expect(nodeEntry.secp256k1Verify(pk, msg, sg)).toBe(
          browserEntry.secp256k1Verify(pk, msg, sg),
        );
        expect(nodeEntry.secp256k1Verify(pk, msg, sg)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
