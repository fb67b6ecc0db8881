// Token creation under CREATION_MODE_CERTIFICATE: root-CA certificates signed with ed25519 and
// secp256k1 are accepted; every way a certificate can be wrong is qsc 13 and writes nothing.

import { ed25519 } from "@noble/curves/ed25519.js";
import { ed25519KeyFromSeed, ed25519Sign, secp256k1PublicKey, secp256k1Sign } from "@qos/crypto";
import { qscTx, toBase64, toHex, toHexLower } from "@qos/types";
import { describe, expect, it } from "vitest";
import { encodeQscCertificate } from "../../../src/modules/qsc/qscCertificate.ts";
import { QSC_ERROR } from "../../../src/modules/qsc/qscErrors.ts";
import { account, CHAIN_ID, createHarness } from "./qscHarness.ts";

const alice = account(1);
const bob = account(2);

const edSeed = new Uint8Array(32).fill(7);
const edKey = ed25519KeyFromSeed(edSeed);
const secpPriv = new Uint8Array(32).fill(9);
const secpPub = secp256k1PublicKey(secpPriv);

function certGenesis(keyType: "ed25519" | "secp256k1"): unknown {
  return {
    params: {
      creation_mode: "CREATION_MODE_CERTIFICATE",
      creation_fee: { denom: "uqos", amount: "0" },
      root_ca: {
        key_type: keyType,
        pub_key: toBase64(keyType === "ed25519" ? edKey.publicKey : secpPub),
      },
    },
  };
}

interface CertFields {
  chainId: string;
  symbol: string;
  banker: string;
  notAfterHeight: bigint;
}

const good: CertFields = {
  chainId: CHAIN_ID,
  symbol: "STAR",
  banker: alice.bech32,
  notAfterHeight: 0n,
};

function signed(fields: Partial<CertFields> = {}, keyType: "ed25519" | "secp256k1" = "ed25519") {
  const certificate = encodeQscCertificate({ ...good, ...fields });
  const signature =
    keyType === "ed25519"
      ? ed25519Sign(edKey.privateKey, certificate)
      : secp256k1Sign(secpPriv, certificate);
  return { certificate, signature };
}

function create(certificate: ReturnType<typeof signed> | undefined, extra: object = {}) {
  return {
    creator: alice.bech32,
    symbol: "STAR",
    name: "Star",
    decimals: 2,
    ...(certificate !== undefined ? { certificate } : {}),
    ...extra,
  };
}

describe("QscCertificate", () => {
  it("signs the canonical protobuf encoding of {chain_id, symbol, banker, not_after_height}", () => {
    const bytes = encodeQscCertificate({
      chainId: "c",
      symbol: "AB",
      banker: "x",
      notAfterHeight: 300n,
    });
    expect(toHexLower(bytes)).toBe("0a0163120241421a017820ac02");
    // The same bytes verify under an independent ed25519 implementation.
    const sig = ed25519Sign(edKey.privateKey, bytes);
    expect(ed25519.verify(sig, bytes, edKey.publicKey)).toBe(true);
  });

  it.each(["ed25519", "secp256k1"] as const)(
    "a %s root CA's certificate lets its banker create the token",
    (keyType) => {
      const h = createHarness(certGenesis(keyType));
      h.run(qscTx.MsgCreateTokenSchema, create(signed({}, keyType)));
      expect(h.module.keeper.token(h.ctx(), "qsc/star")?.issuer).toBe(alice.bech32);
    },
  );

  it("the banker may be an issuer other than the creator", () => {
    const h = createHarness(certGenesis("ed25519"));
    h.run(
      qscTx.MsgCreateTokenSchema,
      create(signed({ banker: bob.bech32 }), { issuer: bob.bech32 }),
    );
    expect(h.module.keeper.token(h.ctx(), "qsc/star")?.issuer).toBe(bob.bech32);
  });

  it("accepts a certificate up to its not_after_height", () => {
    const h = createHarness(certGenesis("ed25519"));
    h.height = 10n;
    h.run(qscTx.MsgCreateTokenSchema, create(signed({ notAfterHeight: 10n })));
  });

  const tamperedSig = () => {
    const s = signed();
    const signature = s.signature.slice();
    signature[5] = (signature[5] as number) ^ 1;
    return { ...s, signature };
  };
  const withUnknownField = () => {
    const base = encodeQscCertificate(good);
    const certificate = new Uint8Array([...base, 0x28, 0x01]);
    return { certificate, signature: ed25519Sign(edKey.privateKey, certificate) };
  };
  const reordered = () => {
    // symbol (field 2) before chain_id (field 1): valid protobuf, not canonical.
    const chain = new TextEncoder().encode(CHAIN_ID);
    const banker = new TextEncoder().encode(alice.bech32);
    const certificate = new Uint8Array([
      0x12,
      4,
      ...new TextEncoder().encode("STAR"),
      0x0a,
      chain.length,
      ...chain,
      0x1a,
      banker.length,
      ...banker,
    ]);
    return { certificate, signature: ed25519Sign(edKey.privateKey, certificate) };
  };
  const otherKey = () => {
    const certificate = encodeQscCertificate(good);
    return {
      certificate,
      signature: ed25519Sign(
        ed25519KeyFromSeed(new Uint8Array(32).fill(8)).privateKey,
        certificate,
      ),
    };
  };

  it.each([
    ["no certificate", () => undefined, /needs a certificate signed by the QSC root CA/],
    ["a bad signature", tamperedSig, /root CA signature does not verify/],
    ["a signature by another key", otherKey, /root CA signature does not verify/],
    ["another chain", () => signed({ chainId: "qos-other" }), /issued for chain "qos-other"/],
    ["another symbol", () => signed({ symbol: "MOON" }), /issued for symbol "MOON", not "STAR"/],
    ["another case of the symbol", () => signed({ symbol: "star" }), /issued for symbol "star"/],
    [
      "another banker",
      () => signed({ banker: bob.bech32 }),
      /issued to banker .*, not to the token's issuer/,
    ],
    [
      "a banker that is no address",
      () => signed({ banker: "nobody" }),
      /banker "nobody" is not an account address/,
    ],
    [
      "an expired certificate",
      () => signed({ notAfterHeight: 10n }),
      /expired at height 10 \(now 11\)/,
    ],
    ["an unknown field", withUnknownField, /not canonical/],
    ["fields out of order", reordered, /not canonical/],
    [
      "bytes that are no protobuf",
      () => ({ certificate: new Uint8Array([0xff, 0xff]), signature: new Uint8Array(64) }),
      /not a QscCertificate/,
    ],
  ])("refuses %s (qsc 13)", (_name, make, text) => {
    const h = createHarness(certGenesis("ed25519"));
    h.height = 11n;
    const e = h.fail(qscTx.MsgCreateTokenSchema, create(make()));
    expect([e.codespace, e.code]).toEqual(["qsc", QSC_ERROR.certificateInvalid]);
    expect(e.message).toMatch(text);
  });

  it("a secp256k1 root CA refuses a high-S signature", () => {
    const h = createHarness(certGenesis("secp256k1"));
    const s = signed({}, "secp256k1");
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const sValue = BigInt(`0x${toHex(s.signature.subarray(32))}`);
    const highS = (n - sValue).toString(16).padStart(64, "0");
    const signature = new Uint8Array([
      ...s.signature.subarray(0, 32),
      ...Buffer.from(highS, "hex"),
    ]);
    const e = h.fail(qscTx.MsgCreateTokenSchema, create({ ...s, signature }));
    expect(e.code).toBe(QSC_ERROR.certificateInvalid);
  });

  it("open mode ignores the certificate field", () => {
    const h = createHarness();
    h.run(qscTx.MsgCreateTokenSchema, create(tamperedSig()));
    expect(h.module.keeper.token(h.ctx(), "qsc/star")).toBeDefined();
  });
});
