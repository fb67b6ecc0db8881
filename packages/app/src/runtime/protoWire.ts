// Hand-written protobuf wire encoding for the hot records (SignDoc, TxMsgData, BaseAccount):
// length-delimited fields and varints written into one exactly sized buffer, byte-identical to
// @bufbuild/protobuf's `toBinary` for the same proto3 message (tests compare them). Pure.

const enc = new TextEncoder();

/** UTF-8 of `s`; ASCII (addresses, type URLs, chain ids) is copied without a TextEncoder call. */
export function utf8Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return enc.encode(s);
    out[i] = c;
  }
  return out;
}

/** Bytes of the varint of `n` (a non-negative safe integer). */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Bytes of the varint of the uint64 `n`. */
export function varint64Size(n: bigint): number {
  if (n <= 0x1fffffffffffffn) return varintSize(Number(n));
  let size = 1;
  while (n >= 0x80n) {
    n >>= 7n;
    size++;
  }
  return size;
}

/** A forward-only writer over a buffer sized in advance. */
export interface WireWriter {
  readonly bytes: Uint8Array;
  /** A varint (non-negative safe integer). */
  varint(n: number): void;
  /** A uint64 varint. */
  varint64(n: bigint): void;
  /** Raw bytes. */
  raw(b: Uint8Array): void;
  /** Tag `field` wire type 2, the length, then `b`. */
  lenField(field: number, b: Uint8Array): void;
  /** Everything written so far must fill the buffer exactly. */
  finish(): Uint8Array;
}

export function createWireWriter(size: number): WireWriter {
  const bytes = new Uint8Array(size);
  let pos = 0;
  const w: WireWriter = {
    bytes,
    varint(n) {
      while (n >= 0x80) {
        bytes[pos++] = (n % 128) | 0x80;
        n = Math.floor(n / 128);
      }
      bytes[pos++] = n;
    },
    varint64(n) {
      if (n <= 0x1fffffffffffffn) {
        w.varint(Number(n));
        return;
      }
      while (n >= 0x80n) {
        bytes[pos++] = Number(n & 0x7fn) | 0x80;
        n >>= 7n;
      }
      bytes[pos++] = Number(n);
    },
    raw(b) {
      bytes.set(b, pos);
      pos += b.length;
    },
    lenField(field, b) {
      w.varint((field << 3) | 2);
      w.varint(b.length);
      w.raw(b);
    },
    finish() {
      if (pos !== size) throw new Error(`wire writer: wrote ${pos} bytes into ${size}`);
      return bytes;
    },
  };
  return w;
}

/** Size of a length-delimited field (tag < 128) holding `len` bytes. */
export function lenFieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}
