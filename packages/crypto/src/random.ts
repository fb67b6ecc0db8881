// Randomness, kept out of the pure API: import it from "@qos/crypto/random". Uses
// crypto.getRandomValues (WebCrypto), present in browsers and as a global in Node 20.

/** getRandomValues fills at most 65536 bytes per call. */
const MAX_CHUNK = 65536;

/** n cryptographically secure random bytes. */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`randomBytes: bad length ${n}`);
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(n, off + MAX_CHUNK)));
  }
  return out;
}
