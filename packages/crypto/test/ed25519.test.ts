import { createRequire } from "node:module";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE, numberToBytesLE } from "@noble/curves/utils.js";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  concatBytes,
  fromBase64,
  fromHex,
  QosError,
  toHex,
  toHexLower,
  utf8Encode,
} from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { browserEntry, ENTRIES, nodeEntry } from "./entries.ts";

const sodium = createRequire(import.meta.url)("sodium-native") as {
  crypto_sign_verify_detached(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean;
};
const hex = (h: string) => fromHex(h) as Uint8Array;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

// RFC 8032 §7.1, TEST 1–3.
const RFC8032 = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pub: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    pub: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    pub: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    msg: "af82",
    sig: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

// Height-12 precommits of fixtures/cometbft/commit-12.json (a real CometBFT v0.38 network).
const CHAIN_ID = "chain-ORcSeX";
const BLOCK_HASH = "93232036CF95FF1890654092D560742F9305DD85F4FD80B3DFA71A1FF3A9B6D6";
const PARTS_HASH = "08DAFA6B9653A474F6D9C18302B904C15BF1D72FD4B1B72B6390D55AC0CCB3E8";
const PRECOMMITS = [
  {
    address: "4DBA7206E6BF35AFAEE7AEF523D450A4B10DC955",
    pub: "BBqAcUZ6IPWzOZyUOHVK95ihP7s0McuRaYjbn6CqWfk=",
    time: "2025-08-18T13:39:11.924425Z",
    sig: "mLNmsIOnQgD/dIg5To83ig94MhgrUqGVWzFvmPWKv5A9kFDzhp7dAvn1FGSeS9yjA12WFc7oV9dNZk9+IxeNDg==",
  },
  {
    address: "9A9BC61D31EF1673F6975AA7ACE356E7B6BE2412",
    pub: "/nX4LxZwh87dNEYD9t2cw8+HHwbwuBmq34Q7z7tvqEc=",
    time: "2025-08-18T13:39:11.920418Z",
    sig: "/zzgiepmyjyASMZMsKmp1xdSmOnin0mW3g6irkU7DJX52oFuI9d3WNDX4VUzOccKrLS/vwLLiELOQBdcnAAVAg==",
  },
  {
    address: "CAD8E57D78ABDFF7DF23C81C330335430EE97808",
    pub: "w3pPpAwVxmK0oTHeAmQFk8JviQAJUn7CGo7vAHtMqfg=",
    time: "2025-08-18T13:39:11.916389Z",
    sig: "p1sbdl3iEH5RG/HhroyGqx3+p4VV42aNpcsEme31dq0rlLd4F8RHnmcsIbtqLCIs2L8MzlVEebuCVJheVJeqCg==",
  },
  {
    address: "CCF25785244316D4A5EAFC187E0EAA36C5665599",
    pub: "DZY3DLVKC8ZML3I/kuqMUaoXyAj+UGXskuWlDMAcnC0=",
    time: "2025-08-18T13:39:11.92732Z",
    sig: "aW7m0l/5yX2B9DeJ5qcuWdGoOp7Crj6Nwj6WbQA24B4NRgaY1PmBzDNr4SDSGOJUu4HnnVtm0zp6qNNm8JaNAA==",
  },
];

function uvarint(n: bigint): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** uvarint(len) || CanonicalVote{precommit, height 12, round 0, block_id, timestamp, chain_id}. */
function precommitSignBytes(time: string): Uint8Array {
  const [whole, frac = ""] = time.replace("Z", "").split(".") as [string, string?];
  const seconds = BigInt(Date.parse(`${whole}Z`) / 1000);
  const nanos = BigInt(frac.padEnd(9, "0"));
  const ts = concatBytes(
    Uint8Array.of(0x08),
    uvarint(seconds),
    Uint8Array.of(0x10),
    uvarint(nanos),
  );
  const psh = concatBytes(hex("08011220"), hex(PARTS_HASH));
  const blockId = concatBytes(hex("0a20"), hex(BLOCK_HASH), Uint8Array.of(0x12, psh.length), psh);
  const chain = utf8Encode(CHAIN_ID);
  const body = concatBytes(
    hex("0802110c00000000000000"),
    Uint8Array.of(0x22, blockId.length),
    blockId,
    Uint8Array.of(0x2a, ts.length),
    ts,
    Uint8Array.of(0x32, chain.length),
    chain,
  );
  return concatBytes(uvarint(BigInt(body.length)), body);
}

/** The 14 encodings (canonical and not) of the 8 small-order points that ZIP-215 decodes. */
function smallOrderEncodings(): Uint8Array[] {
  const T = ed25519.Point.fromBytes(
    hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    true,
  );
  expect(T.multiplyUnsafe(4n).is0()).toBe(false);
  expect(T.clearCofactor().is0()).toBe(true); // order exactly 8
  const points = [ed25519.Point.ZERO];
  for (let i = 1; i < 8; i++) points.push((points[i - 1] as typeof T).add(T));
  const P = 2n ** 255n - 19n;
  const found = new Map<string, Uint8Array>();
  for (const point of points) {
    const y = point.toAffine().y;
    const ys = y + P < 2n ** 255n ? [y, y + P] : [y];
    for (const yy of ys) {
      for (const sign of [0, 0x80]) {
        const enc = numberToBytesLE(yy, 32);
        enc[31] = (enc[31] as number) | sign;
        try {
          if (ed25519.Point.fromBytes(enc, true).equals(point)) found.set(toHex(enc), enc);
        } catch {
          // not an encoding of any point
        }
      }
    }
  }
  return [...found.values()];
}

const TORSION = () =>
  ed25519.Point.fromBytes(
    hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    true,
  );

/**
 * A signature by seed's key where the public key carries torsion [ta]T and R carries [tr]T, with
 * S = r + k·a (so the cofactored equation holds) or S off by one (so nothing holds).
 */
function torsionSignature(
  seed: Uint8Array,
  message: Uint8Array,
  ta: number,
  tr: number,
  honest: boolean,
): { publicKey: Uint8Array; signature: Uint8Array } {
  const T = TORSION();
  const { scalar: a, point: A } = ed25519.utils.getExtendedPublicKey(seed);
  const publicKey = (ta === 0 ? A : A.add(T.multiplyUnsafe(BigInt(ta)))).toBytes();
  const r = (bytesToNumberLE(sha512(concatBytes(seed, message))) % (L - 1n)) + 1n;
  const R = ed25519.Point.BASE.multiply(r);
  const Rb = (tr === 0 ? R : R.add(T.multiplyUnsafe(BigInt(tr)))).toBytes();
  const k = bytesToNumberLE(sha512(concatBytes(Rb, publicKey, message))) % L;
  const s = (r + k * a + (honest ? 0n : 1n)) % L;
  return { publicKey, signature: concatBytes(Rb, numberToBytesLE(s, 32)) };
}

/**
 * A key with a small-order component (A' = aB + T) and a signature that satisfies the cofactored
 * equation but not the cofactorless one (k is not a multiple of 8, so [k]T != 0).
 */
function mixedOrderCase(): { publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array } {
  const T = ed25519.Point.fromBytes(
    hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    true,
  );
  const { scalar: a, point: A } = ed25519.utils.getExtendedPublicKey(new Uint8Array(32).fill(7));
  const publicKey = A.add(T).toBytes();
  const r = bytesToNumberLE(sha512(utf8Encode("nonce"))) % L;
  const Rb = ed25519.Point.BASE.multiply(r).toBytes();
  for (let i = 0; ; i++) {
    const message = utf8Encode(`mixed order ${i}`);
    const k = bytesToNumberLE(sha512(concatBytes(Rb, publicKey, message))) % L;
    if (k % 8n === 0n) continue;
    const s = (r + k * a) % L;
    return { publicKey, message, signature: concatBytes(Rb, numberToBytesLE(s, 32)) };
  }
}

describe.each(ENTRIES)("ed25519 (%s entry)", (_name, c) => {
  it("exports CometBFT's lengths", () => {
    expect(c.ED25519_PUBKEY_LENGTH).toBe(32);
    expect(c.ED25519_SIGNATURE_LENGTH).toBe(64);
  });

  it.each(RFC8032.map((v, i) => [i + 1, v] as const))("RFC 8032 test %i", (_i, v) => {
    const { publicKey, privateKey } = c.ed25519KeyFromSeed(hex(v.seed));
    expect(toHexLower(publicKey)).toBe(v.pub);
    expect(toHexLower(privateKey)).toBe(v.seed + v.pub);
    const sig = c.ed25519Sign(privateKey, hex(v.msg));
    expect(toHexLower(sig)).toBe(v.sig);
    expect(c.ed25519Verify(publicKey, hex(v.msg), sig)).toBe(true);
    expect(c.ed25519Verify(publicKey, utf8Encode("other"), sig)).toBe(false);
    const bad = sig.slice();
    bad[5] = (bad[5] as number) ^ 0x10;
    expect(c.ed25519Verify(publicKey, hex(v.msg), bad)).toBe(false);
  });

  it("verifies the real CometBFT precommits of the height-12 fixture", () => {
    for (const p of PRECOMMITS) {
      const pub = fromBase64(p.pub) as Uint8Array;
      const sig = fromBase64(p.sig) as Uint8Array;
      expect(toHex(c.ed25519Address(pub))).toBe(p.address);
      expect(c.ed25519Verify(pub, precommitSignBytes(p.time), sig)).toBe(true);
      expect(c.ed25519Verify(pub, precommitSignBytes("2025-08-18T13:39:11.9Z"), sig)).toBe(false);
    }
    // The sign bytes built here are the ones the reference documents for this commit.
    const documented = `710802110c000000000000002248 0a20${BLOCK_HASH} 1224 0801 1220${PARTS_HASH}
      2a0c 08ffd98cc506 10a8b6e6b803 320c 636861696e2d4f5263536558`.replace(/\s/g, "");
    expect(toHex(precommitSignBytes("2025-08-18T13:39:11.924425Z"))).toBe(documented.toUpperCase());
  });

  it("bad lengths and non-byte inputs return false, never throw", () => {
    const { publicKey, privateKey } = c.ed25519KeyFromSeed(new Uint8Array(32).fill(1));
    const msg = utf8Encode("m");
    const sig = c.ed25519Sign(privateKey, msg);
    expect(c.ed25519Verify(publicKey.subarray(0, 31), msg, sig)).toBe(false);
    expect(c.ed25519Verify(concatBytes(publicKey, Uint8Array.of(0)), msg, sig)).toBe(false);
    expect(c.ed25519Verify(publicKey, msg, sig.subarray(0, 63))).toBe(false);
    expect(c.ed25519Verify(publicKey, msg, concatBytes(sig, Uint8Array.of(0)))).toBe(false);
    expect(c.ed25519Verify(new Uint8Array(0), msg, new Uint8Array(0))).toBe(false);
    const junk = undefined as unknown as Uint8Array;
    expect(c.ed25519Verify(junk, msg, sig)).toBe(false);
    expect(c.ed25519Verify(publicKey, junk, sig)).toBe(false);
    expect(c.ed25519Verify(publicKey, msg, junk)).toBe(false);
    expect(c.ed25519Verify(new Uint8Array(32).fill(0xff), msg, sig)).toBe(false);
  });

  it("refuses malformed private keys and a public half that does not match the seed", () => {
    const { privateKey } = c.ed25519KeyFromSeed(new Uint8Array(32).fill(2));
    expect(() => c.ed25519KeyFromSeed(new Uint8Array(31))).toThrow(QosError);
    expect(() => c.ed25519Sign(privateKey.subarray(0, 32), utf8Encode("m"))).toThrow(QosError);
    const forged = privateKey.slice();
    forged[40] = (forged[40] as number) ^ 1;
    expect(() => c.ed25519Sign(forged, utf8Encode("m"))).toThrow(/does not match the seed/);
    expect(() => c.ed25519Address(new Uint8Array(33))).toThrow(QosError);
  });

  it("ZIP-215: all 196 small-order (A, R) combinations with S = 0 verify", () => {
    const encodings = smallOrderEncodings();
    expect(encodings).toHaveLength(14);
    let accepted = 0;
    for (const A of encodings) {
      for (const R of encodings) {
        if (c.ed25519Verify(A, utf8Encode("Zcash"), concatBytes(R, new Uint8Array(32)))) {
          accepted++;
        }
      }
    }
    expect(accepted).toBe(196);
  });

  it("ZIP-215: a mixed-order key passes the cofactored equation", () => {
    const { publicKey, message, signature } = mixedOrderCase();
    expect(c.ed25519Verify(publicKey, message, signature)).toBe(true);
    expect(c.ed25519Verify(publicKey, utf8Encode("else"), signature)).toBe(false);
  });

  it("ZIP-215: torsion on A and/or R never changes the verdict of an honest or a wrong S", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(7),
        fc.nat(7),
        fc.boolean(),
        (seed, msg, ta, tr, honest) => {
          const { publicKey, signature } = torsionSignature(seed, msg, ta, tr, honest);
          expect(c.ed25519Verify(publicKey, msg, signature)).toBe(honest);
          expect(ed25519.verify(signature, msg, publicKey, { zip215: true })).toBe(honest);
        },
      ),
      { numRuns: 120 },
    );
  });

  it("ZIP-215: S must be canonical (S + L is refused)", () => {
    const { publicKey, privateKey } = c.ed25519KeyFromSeed(new Uint8Array(32).fill(3));
    const msg = utf8Encode("canonical S");
    const sig = c.ed25519Sign(privateKey, msg);
    const s = bytesToNumberLE(sig.subarray(32));
    const malleated = concatBytes(sig.subarray(0, 32), numberToBytesLE(s + L, 32));
    expect(c.ed25519Verify(publicKey, msg, sig)).toBe(true);
    expect(c.ed25519Verify(publicKey, msg, malleated)).toBe(false);
  });
});

describe("ed25519 backends agree", () => {
  it("raw libsodium is stricter than ZIP-215 (why the Node entry re-checks its rejections)", () => {
    // What sodium-native's crypto_sign_verify_detached says about the cases above: it rejects
    // small-order A or R, non-canonical encodings and cofactor-only solutions.
    const encodings = smallOrderEncodings();
    let sodiumAccepted = 0;
    for (const A of encodings) {
      for (const R of encodings) {
        const sig = concatBytes(R, new Uint8Array(32));
        if (sodium.crypto_sign_verify_detached(sig, utf8Encode("Zcash"), A)) sodiumAccepted++;
      }
    }
    expect(sodiumAccepted).toBe(0);
    const mixed = mixedOrderCase();
    expect(
      sodium.crypto_sign_verify_detached(mixed.signature, mixed.message, mixed.publicKey),
    ).toBe(false);
    // Torsion on R alone: libsodium says no whatever k is, ZIP-215 (and so our entries) says yes.
    const msg = utf8Encode("torsion on R");
    const onR = torsionSignature(new Uint8Array(32).fill(5), msg, 0, 3, true);
    expect(sodium.crypto_sign_verify_detached(onR.signature, msg, onR.publicKey)).toBe(false);
    expect(nodeEntry.ed25519Verify(onR.publicKey, msg, onR.signature)).toBe(true);
    expect(browserEntry.ed25519Verify(onR.publicKey, msg, onR.signature)).toBe(true);
  });

  it("Node signs exactly like noble, and each verifies the other's signatures", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          const n = nodeEntry.ed25519KeyFromSeed(seed);
          const b = browserEntry.ed25519KeyFromSeed(seed);
          expect(n.publicKey).toEqual(b.publicKey);
          expect(n.publicKey).toEqual(ed25519.getPublicKey(seed));
          const sigNode = nodeEntry.ed25519Sign(n.privateKey, msg);
          const sigBrowser = browserEntry.ed25519Sign(b.privateKey, msg);
          expect(sigNode).toEqual(sigBrowser);
          expect(sigNode).toEqual(ed25519.sign(msg, seed));
          expect(browserEntry.ed25519Verify(n.publicKey, msg, sigNode)).toBe(true);
          expect(nodeEntry.ed25519Verify(b.publicKey, msg, sigBrowser)).toBe(true);
          expect(ed25519.verify(sigNode, msg, n.publicKey)).toBe(true);
          const tampered = sigNode.slice();
          tampered[0] = (tampered[0] as number) ^ 1;
          expect(nodeEntry.ed25519Verify(n.publicKey, msg, tampered)).toBe(false);
          expect(browserEntry.ed25519Verify(n.publicKey, msg, tampered)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("both entries give the same verdict on random and perturbed inputs", () => {
    const { publicKey, privateKey } = nodeEntry.ed25519KeyFromSeed(new Uint8Array(32).fill(9));
    const msg = utf8Encode("perturb");
    const sig = nodeEntry.ed25519Sign(privateKey, msg);
    fc.assert(
      fc.property(
        fc.nat(95),
        fc.integer({ min: 1, max: 255 }),
        fc.uint8Array({ minLength: 96, maxLength: 96 }),
        fc.boolean(),
        (at, mask, random, useRandom) => {
          const blob = useRandom ? random : concatBytes(publicKey, sig);
          if (!useRandom) blob[at] = (blob[at] as number) ^ mask;
          const pk = blob.subarray(0, 32);
          const sg = blob.subarray(32);
          expect(nodeEntry.ed25519Verify(pk, msg, sg)).toBe(
            browserEntry.ed25519Verify(pk, msg, sg),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
