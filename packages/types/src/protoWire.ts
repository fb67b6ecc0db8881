// Hand-written protobuf wire encoding for the hot records, byte-identical to @bufbuild/protobuf's
// `toBinary` for the same proto3 message (tests compare them). Two styles: a writer over one
// exactly sized buffer (the app's SignDoc, TxMsgData, BaseAccount), and one-pass `put*` helpers
// over a shared scratch buffer for records full of strings, whose UTF-8 lengths are found while
// writing and nested lengths fixed up after (ExecTxResult). Pure.

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

/**
 * Length of the UTF-8 of `s` as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3
 * bytes), counted without encoding.
 */
export function utf8Length(s: string): number {
  let len = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      len += 1;
      continue;
    }
    // 3 bytes for one UTF-16 unit (a lone surrogate too: U+FFFD); 4 for a surrogate pair.
    len += 2;
    if (c <= 0xdbff && c >= 0xd800 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return len;
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

/** Writes the varint of `n` (a non-negative safe integer) at `pos`; returns the end. */
export function putVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n > 0x7fffffff) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  while (n > 0x7f) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

/** Writes the varint of the uint64 `n` at `pos`; returns the end. */
export function putVarint64(buf: Uint8Array, pos: number, n: bigint): number {
  if (n <= 0x1fffffffffffffn) return putVarint(buf, pos, Number(n));
  while (n >= 0x80n) {
    buf[pos++] = Number(n & 0x7fn) | 0x80;
    n >>= 7n;
  }
  buf[pos++] = Number(n);
  return pos;
}

/** The most bytes `putUtf8Field` writes for `s`: tag, a 5-byte length, 3 bytes a UTF-16 unit. */
export function utf8FieldBound(s: string): number {
  return 6 + 3 * s.length;
}

/**
 * Writes field `field` (< 16, wire type 2) holding the UTF-8 of `s` at `pos`, in one pass over
 * an ASCII string shorter than 128; returns the end. `buf` must have `utf8FieldBound(s)` bytes
 * from `pos`.
 */
export function putUtf8Field(buf: Uint8Array, pos: number, field: number, s: string): number {
  buf[pos++] = (field << 3) | 2;
  const n = s.length;
  if (n < 0x80) {
    const start = pos + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[start + i] = c;
    }
    if (i === n) {
      buf[pos] = n;
      return start + n;
    }
  }
  const len = utf8Length(s);
  pos = putVarint(buf, pos, len);
  if (len === n) {
    for (let i = 0; i < n; i++) buf[pos + i] = s.charCodeAt(i);
  } else {
    enc.encodeInto(s, buf.subarray(pos, pos + len));
  }
  return pos + len;
}

/**
 * Closes a nested message written with `reserved` bytes left for its length at `at` and its
 * body up to `end`: writes the length there, moving the body if its varint takes another
 * number of bytes. Returns the end of the moved body.
 */
export function closeLengthPrefix(
  buf: Uint8Array,
  at: number,
  reserved: number,
  end: number,
): number {
  const bodyStart = at + reserved;
  const len = end - bodyStart;
  const size = varintSize(len);
  if (size !== reserved) buf.copyWithin(at + size, bodyStart, end);
  putVarint(buf, at, len);
  return at + size + len;
}

let scratch = new Uint8Array(64 * 1024);

/**
 * A buffer of at least `size` bytes shared by the one-pass encoders, which write into it and
 * copy their result out before returning (they are synchronous, so no two use it at once).
 */
export function wireScratch(size: number): Uint8Array {
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, 2 * scratch.length));
  return scratch;
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
      pos = putVarint(bytes, pos, n);
    },
    varint64(n) {
      pos = putVarint64(bytes, pos, n);
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
