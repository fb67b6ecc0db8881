// Length-prefixed frames on a p2p stream: uvarint(length) ‖ payload. The decoder learns a
// frame's length from its prefix and refuses one above the limit before buffering it.

/** Longest uvarint prefix we read: 5 bytes carry any length below 2^35, far above every limit. */
const MAX_PREFIX_BYTES = 5;

/** Bytes of the frame carrying a payload of `length` bytes (prefix included). */
export function frameSize(length: number): number {
  let prefix = 1;
  for (let v = length; v >= 0x80; v = Math.floor(v / 128)) prefix++;
  return prefix + length;
}

/** Writes the frame of `payload` into `out` at `offset`; returns the offset after it. */
export function writeFrame(out: Uint8Array, offset: number, payload: Uint8Array): number {
  let n = payload.length;
  let i = offset;
  while (n >= 0x80) {
    out[i++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[i++] = n;
  out.set(payload, i);
  return i + payload.length;
}

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(frameSize(payload.length));
  writeFrame(out, 0, payload);
  return out;
}

export type FrameError =
  /** A frame announced more bytes than the limit; nothing of it was kept. */
  | { readonly kind: "oversized"; readonly length: number }
  /** The length prefix is not a valid uvarint. */
  | { readonly kind: "malformed" };

export interface FrameDecoder {
  /**
   * Feeds the next bytes of the stream; calls `onFrame` for every frame completed, in order.
   * Returns an error (and stops decoding for good) when a prefix is bad or too large.
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): FrameError | null;
  /** Bytes of an unfinished frame held (0 between frames). */
  pending(): number;
}

export function createFrameDecoder(maxFrameBytes: number): FrameDecoder {
  let failed: FrameError | null = null;
  // Reading a prefix: its value so far and how many bytes were read.
  let prefixValue = 0;
  let prefixBytes = 0;
  // Reading a payload: the buffer being filled and how much of it is filled.
  let body: Uint8Array | null = null;
  let filled = 0;

  return {
    push(chunk, onFrame) {
      if (failed !== null) return failed;
      let off = 0;
      while (off < chunk.length) {
        if (body === null) {
          const b = chunk[off++] as number;
          prefixValue += (b & 0x7f) * 2 ** (7 * prefixBytes);
          prefixBytes++;
          if (b & 0x80) {
            if (prefixBytes >= MAX_PREFIX_BYTES) {
              failed = { kind: "malformed" };
              return failed;
            }
            continue;
          }
          const length = prefixValue;
          prefixValue = 0;
          prefixBytes = 0;
          if (length > maxFrameBytes) {
            failed = { kind: "oversized", length };
            return failed;
          }
          if (chunk.length - off >= length) {
            // The whole payload is in this chunk: copy it out (the chunk may be a large
            // shared buffer the consumer must not pin).
            onFrame(chunk.slice(off, off + length));
            off += length;
          } else {
            body = new Uint8Array(length);
            filled = 0;
          }
          continue;
        }
        const take = Math.min(body.length - filled, chunk.length - off);
        body.set(chunk.subarray(off, off + take), filled);
        filled += take;
        off += take;
        if (filled === body.length) {
          const frame = body;
          body = null;
          onFrame(frame);
        }
      }
      return null;
    },
    pending: () => (body === null ? prefixBytes : prefixBytes + filled),
  };
}
