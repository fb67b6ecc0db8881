// The QSC creation certificate: the root CA (set in genesis params) signs the canonical
// protobuf encoding of QscCertificate{chain_id, symbol, banker, not_after_height}. Pure.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ed25519Verify, secp256k1Verify } from "@qos/crypto";
import { equalBytes, qscTypes } from "@qos/types";
import { qscError } from "./qscErrors.ts";
import { parseAddress } from "./qscValidation.ts";

export const ROOT_CA_KEY_TYPES = { ed25519: 32, secp256k1: 33 } as const;

export interface CertificateExpectation {
  readonly chainId: string;
  readonly symbol: string;
  /** The issuer the token is created with (20 bytes). */
  readonly banker: Uint8Array;
  /** Height of the block executing the creation. */
  readonly height: bigint;
}

/** The bytes the root CA signs: the canonical (field-ordered, no unknown fields) encoding. */
export function encodeQscCertificate(
  cert: Omit<qscTypes.QscCertificate, "$typeName" | "$unknown">,
): Uint8Array {
  return toBinary(qscTypes.QscCertificateSchema, create(qscTypes.QscCertificateSchema, cert));
}

function invalid(reason: string): never {
  throw qscError("certificateInvalid", `invalid certificate: ${reason}`);
}

/**
 * Checks a creation certificate: a root CA is configured; the signed bytes are the canonical
 * encoding of a QscCertificate (a re-encoding must give the same bytes, so one certificate has
 * one byte form); the root CA's signature verifies over those bytes (ed25519: RFC 8032 over the
 * bytes; secp256k1: ECDSA over sha256(bytes), 64-byte r||s, low S); chain id, symbol (exact)
 * and banker match; the height is at most not_after_height (0: no expiry). Throws qsc 13.
 */
export function verifyQscCertificate(
  rootCa: qscTypes.RootCa | undefined,
  signed: qscTypes.SignedQscCertificate | undefined,
  expect: CertificateExpectation,
): void {
  if (rootCa === undefined || rootCa.pubKey.length === 0) {
    invalid("no QSC root CA is configured in genesis");
  }
  if (signed === undefined || signed.certificate.length === 0) {
    invalid("token creation needs a certificate signed by the QSC root CA");
  }
  let cert: qscTypes.QscCertificate;
  try {
    cert = fromBinary(qscTypes.QscCertificateSchema, signed.certificate, {
      readUnknownFields: false,
    });
  } catch {
    invalid("the certificate bytes are not a QscCertificate");
  }
  if (!equalBytes(toBinary(qscTypes.QscCertificateSchema, cert), signed.certificate)) {
    invalid("the certificate bytes are not canonical");
  }
  let verified: boolean;
  if (rootCa.keyType === "ed25519") {
    verified = ed25519Verify(rootCa.pubKey, signed.certificate, signed.signature);
  } else if (rootCa.keyType === "secp256k1") {
    verified = secp256k1Verify(rootCa.pubKey, signed.certificate, signed.signature);
  } else {
    invalid(`unknown root CA key type "${rootCa.keyType}"`);
  }
  if (!verified) invalid("the root CA signature does not verify");
  if (cert.chainId !== expect.chainId) {
    invalid(`issued for chain "${cert.chainId}", this chain is "${expect.chainId}"`);
  }
  if (cert.symbol !== expect.symbol) {
    invalid(`issued for symbol "${cert.symbol}", not "${expect.symbol}"`);
  }
  let banker: Uint8Array;
  try {
    banker = parseAddress(cert.banker, "certificate banker");
  } catch {
    invalid(`banker "${cert.banker}" is not an account address`);
  }
  if (!equalBytes(banker, expect.banker)) {
    invalid(`issued to banker ${cert.banker}, not to the token's issuer`);
  }
  if (cert.notAfterHeight !== 0n && expect.height > cert.notAfterHeight) {
    invalid(`expired at height ${cert.notAfterHeight} (now ${expect.height})`);
  }
}
