// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of WAL records as in
// CometBFT consensus/wal.go. Table-driven, slice-by-8: eight 256-entry tables, 8 bytes a step.

const POLY = 0x82f63b78;

const TABLES: readonly Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n] as number;
    for (let t = 1; t < 8; t++) {
      c = ((t0[c & 0xff] as number) ^ (c >>> 8)) >>> 0;
      (tables[t] as Uint32Array)[n] = c;
    }
  }
  return tables;
}

/**
 * CRC-32C of `bytes`. Pass the previous result as `crc` to continue a checksum over
 * several chunks: crc32c(b, crc32c(a)) === crc32c(a ‖ b).
 */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo =
      (c ^
        ((bytes[i] as number) |
          ((bytes[i + 1] as number) << 8) |
          ((bytes[i + 2] as number) << 16) |
          ((bytes[i + 3] as number) << 24))) >>>
      0;
    const hi =
      ((bytes[i + 4] as number) |
        ((bytes[i + 5] as number) << 8) |
        ((bytes[i + 6] as number) << 16) |
        ((bytes[i + 7] as number) << 24)) >>>
      0;
    c =
      ((t7[lo & 0xff] as number) ^
        (t6[(lo >>> 8) & 0xff] as number) ^
        (t5[(lo >>> 16) & 0xff] as number) ^
        (t4[lo >>> 24] as number) ^
        (t3[hi & 0xff] as number) ^
        (t2[(hi >>> 8) & 0xff] as number) ^
        (t1[(hi >>> 16) & 0xff] as number) ^
        (t0[hi >>> 24] as number)) >>>
      0;
    i += 8;
  }
  while (i < n) {
    c = ((t0[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8)) >>> 0;
    i++;
  }
  return ~c >>> 0;
}
