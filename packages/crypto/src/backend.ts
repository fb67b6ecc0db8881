// The primitive operations an environment supplies (native on Node, @noble in the browser).
// Callers of a backend have already checked lengths and ranges; see cryptoApi.ts.

/** Which implementation serves each primitive, for logs and the README's claims. */
export interface CryptoBackendInfo {
  readonly sha256: string;
  readonly ripemd160: string;
  readonly ed25519: string;
  readonly secp256k1: string;
}

export interface CryptoBackend {
  readonly info: CryptoBackendInfo;
  /** Returns a fresh 32-byte Uint8Array (never a Buffer, never a shared view). */
  sha256(data: Uint8Array): Uint8Array;
  /**
   * sha256 of `data` written into `out` (a 32-byte view, may overlap nothing of `data`): no
   * allocation, for hot loops that reuse one output buffer.
   */
  sha256Into(out: Uint8Array, data: Uint8Array): void;
  ripemd160(data: Uint8Array): Uint8Array;
  /** 32-byte public key of a 32-byte seed. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  /** `privateKey` is seed||pub with pub already checked against the seed. */
  ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** Lengths are checked (32/64); must return false rather than throw. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** `privateKey` is a valid scalar (1 <= k < n). */
  secp256k1PublicKey(privateKey: Uint8Array, compressed: boolean): Uint8Array;
  /** RFC 6979 deterministic, low-S, 64-byte r||s over a 32-byte digest. */
  secp256k1SignDigest(privateKey: Uint8Array, digest: Uint8Array): Uint8Array;
  /** Shapes are checked (33/65-byte key, 64-byte low-S signature); returns false rather than throw. */
  secp256k1VerifyDigest(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean;
}
