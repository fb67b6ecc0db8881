import {
  appendFileSync,
  cpSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { utf8Decode, utf8Encode } from "@qos/types";
import { describe, expect, test } from "vitest";
import { crc32c } from "../src/crc32c.ts";
import type { StoreLogger } from "../src/storeLogger.ts";
import { openWAL, type Wal, type WalOptions, walMessageRecordBytes } from "../src/wal.ts";
import { encodeWalMessage, scanWalSegment } from "../src/walRecord.ts";
import { tempDir } from "./tempDir.ts";

const code = (c: string) => expect.objectContaining({ name: "QosError", code: c });
const msg = (h: number, i: number) => utf8Encode(`h${h}-m${i}`);
const texts = (messages: readonly Uint8Array[]) => messages.map((m) => utf8Decode(m));

function withWal<T>(opts: WalOptions, fn: (wal: Wal) => T): T {
  const wal = openWAL(opts);
  try {
    return fn(wal);
  } finally {
    wal.close();
  }
}

/** Writes heights 1..n the way the node does: ENDHEIGHT(h-1), then h's messages. */
function writeHeights(wal: Wal, from: number, to: number, perHeight = 3): void {
  for (let h = from; h <= to; h++) {
    for (let i = 0; i < perHeight; i++) {
      if (i === perHeight - 1) wal.appendSync(msg(h, i));
      else wal.append(msg(h, i));
    }
    wal.writeEndHeight(BigInt(h));
  }
}

function recordingLogger(): StoreLogger & { warnings: object[] } {
  const warnings: object[] = [];
  return { warnings, info() {}, warn: (obj) => warnings.push(obj) };
}

describe("WAL record format", () => {
  test("crc32c(payload) BE ‖ length BE ‖ kind ‖ body", () => {
    const rec = encodeWalMessage(utf8Encode("abc"));
    const view = new DataView(rec.buffer);
    expect(rec.length).toBe(8 + 1 + 3);
    expect(view.getUint32(4, false)).toBe(4);
    expect(rec[8]).toBe(1);
    expect(view.getUint32(0, false)).toBe(crc32c(rec.subarray(8)));
    expect(scanWalSegment(rec, 100).records).toEqual([
      { offset: 0, entry: { kind: "message", payload: utf8Encode("abc") } },
    ]);
  });
});

describe("WAL", () => {
  test("append, end heights, replay after a marker, across a reopen", () => {
    const dir = tempDir();
    withWal({ dir }, (wal) => {
      expect(wal.openReport).toMatchObject({
        segments: 1,
        records: 0,
        created: true,
        lastEndHeight: 0n,
        truncatedTail: null,
      });
      writeHeights(wal, 1, 2);
      wal.append(msg(3, 0));
      wal.sync();
      expect(wal.lastEndHeight()).toBe(2n);
    });
    withWal({ dir }, (wal) => {
      expect(wal.openReport).toMatchObject({
        records: 10,
        created: false,
        lastEndHeight: 2n,
        truncatedTail: null,
      });
      const r0 = wal.replayAfterEndHeight(0n);
      expect(r0.found && texts(r0.messages)).toEqual(["h1-m0", "h1-m1", "h1-m2"]);
      expect(r0.found && r0.nextEndHeight).toBe(1n);
      const r2 = wal.replayAfterEndHeight(2n);
      expect(r2.found && texts(r2.messages)).toEqual(["h3-m0"]);
      expect(r2.found && r2.nextEndHeight).toBe(null);
      expect(wal.replayAfterEndHeight(7n)).toEqual({ found: false });
      // an empty message is a valid message
      wal.append(new Uint8Array(0));
      const again = wal.replayAfterEndHeight(2n);
      expect(again.found && again.messages.map((m) => m.length)).toEqual([5, 0]);
    });
  });

  test("replay uses the latest #ENDHEIGHT(h) when the marker was written twice", () => {
    withWal({ dir: tempDir() }, (wal) => {
      wal.writeEndHeight(4n);
      wal.append(msg(5, 0));
      wal.writeEndHeight(4n);
      wal.append(msg(5, 1));
      const r = wal.replayAfterEndHeight(4n);
      expect(r.found && texts(r.messages)).toEqual(["h5-m1"]);
    });
  });

  test("rotation: segments stay under maxSegmentBytes and replay crosses them", () => {
    const dir = tempDir();
    const opts = { dir, maxSegmentBytes: 120, retainHeights: 1000n };
    withWal(opts, (wal) => {
      writeHeights(wal, 1, 30, 4);
      expect(wal.segmentFiles().length).toBeGreaterThan(10);
    });
    const files = readdirSync(dir).sort();
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(120);
    withWal(opts, (wal) => {
      for (let h = 0; h < 30; h++) {
        const r = wal.replayAfterEndHeight(BigInt(h));
        expect(r.found && texts(r.messages)).toEqual([0, 1, 2, 3].map((i) => `h${h + 1}-m${i}`));
        expect(r.found && r.nextEndHeight).toBe(BigInt(h + 1));
      }
    });
  });

  test("a record larger than a segment gets a segment of its own", () => {
    const dir = tempDir();
    withWal({ dir, maxSegmentBytes: 100 }, (wal) => {
      wal.append(new Uint8Array(500).fill(7));
      wal.append(msg(1, 1));
      const r = wal.replayAfterEndHeight(0n);
      expect(r.found && r.messages.map((m) => m.length)).toEqual([500, 5]);
      expect(wal.segmentFiles().length).toBe(3);
    });
  });

  test("old segments go once they hold only heights below lastEnd - retainHeights", () => {
    const dir = tempDir();
    withWal({ dir, maxSegmentBytes: 100, retainHeights: 5n }, (wal) => {
      writeHeights(wal, 1, 40, 2);
      const r = wal.replayAfterEndHeight(35n);
      expect(r.found && texts(r.messages)).toEqual(["h36-m0", "h36-m1"]);
      expect(wal.replayAfterEndHeight(2n)).toEqual({ found: false });
      expect(wal.segmentFiles().length).toBeLessThan(12);
      for (let h = 35n; h <= 40n; h++) expect(wal.replayAfterEndHeight(h).found).toBe(true);
    });
    // what is left on disk opens cleanly and starts at a retained marker
    withWal({ dir, maxSegmentBytes: 100, retainHeights: 5n }, (wal) => {
      expect(wal.openReport.truncatedTail).toBeNull();
      expect(wal.lastEndHeight()).toBe(40n);
      expect(wal.replayAfterEndHeight(35n).found).toBe(true);
    });
  });

  test("torn tail: cut at every byte of the last record, reopen keeps exactly the complete records", () => {
    const base = tempDir();
    const src = join(base, "src");
    withWal({ dir: src }, (wal) => {
      wal.append(msg(1, 0));
      wal.append(msg(1, 1));
      wal.appendSync(utf8Encode("the-last-record-of-height-1"));
    });
    const file = join(src, "wal.0000000000");
    const size = statSync(file).size;
    const lastStart = size - walMessageRecordBytes("the-last-record-of-height-1".length);
    for (let cut = lastStart; cut < size; cut++) {
      const dir = join(base, `cut-${cut}`);
      cpSync(src, dir, { recursive: true });
      truncateSync(join(dir, "wal.0000000000"), cut);
      const logger = recordingLogger();
      const wal = openWAL({ dir }, { logger });
      try {
        if (cut === lastStart) {
          expect(wal.openReport.truncatedTail).toBeNull();
        } else {
          expect(wal.openReport.truncatedTail).toMatchObject({
            file: join(dir, "wal.0000000000"),
            offset: lastStart,
            droppedBytes: cut - lastStart,
          });
          expect(logger.warnings).toHaveLength(1);
        }
        expect(statSync(join(dir, "wal.0000000000")).size).toBe(lastStart);
        const r = wal.replayAfterEndHeight(0n);
        expect(r.found && texts(r.messages)).toEqual(["h1-m0", "h1-m1"]);
        // the log goes on where the complete records end
        wal.appendSync(msg(1, 2));
        const r2 = wal.replayAfterEndHeight(0n);
        expect(r2.found && texts(r2.messages)).toEqual(["h1-m0", "h1-m1", "h1-m2"]);
      } finally {
        wal.close();
      }
      rmSync(dir, { recursive: true });
    }
  });

  test("a bad checksum on the last record is a torn tail: cut off and reported", () => {
    for (const at of ["crc", "payload"] as const) {
      const dir = tempDir();
      withWal({ dir }, (wal) => {
        wal.append(msg(1, 0));
        wal.appendSync(msg(1, 1));
      });
      const file = join(dir, "wal.0000000000");
      const bytes = readFileSync(file);
      const lastStart = bytes.length - walMessageRecordBytes(5);
      const flip = at === "crc" ? lastStart + 1 : bytes.length - 1;
      bytes[flip] = (bytes[flip] as number) ^ 0x10;
      writeFileSync(file, bytes);
      withWal({ dir }, (wal) => {
        expect(wal.openReport.truncatedTail).toMatchObject({
          offset: lastStart,
          reason: "checksum mismatch",
        });
        const r = wal.replayAfterEndHeight(0n);
        expect(r.found && texts(r.messages)).toEqual(["h1-m0"]);
      });
    }
  });

  test("a zero-filled tail (a crash after the file grew) is a torn tail", () => {
    const dir = tempDir();
    withWal({ dir }, (wal) => {
      wal.appendSync(msg(1, 0));
    });
    appendFileSync(join(dir, "wal.0000000000"), new Uint8Array(4096));
    withWal({ dir }, (wal) => {
      expect(wal.openReport.truncatedTail).toMatchObject({
        droppedBytes: 4096,
        reason: "invalid length 0",
      });
      const r = wal.replayAfterEndHeight(0n);
      expect(r.found && texts(r.messages)).toEqual(["h1-m0"]);
    });
  });

  test("a corrupt record in the middle is an error naming the file and offset", () => {
    const dir = tempDir();
    withWal({ dir }, (wal) => {
      writeHeights(wal, 1, 3);
    });
    const file = join(dir, "wal.0000000000");
    const bytes = readFileSync(file);
    const second = walMessageRecordBytes(8); // after the ENDHEIGHT(0) record
    bytes[second + 10] = (bytes[second + 10] as number) ^ 0xff;
    writeFileSync(file, bytes);
    let caught: unknown;
    try {
      openWAL({ dir });
    } catch (error) {
      caught = error;
    }
    expect(caught).toEqual(code("wal_corrupt"));
    expect((caught as { details: unknown }).details).toMatchObject({ file, offset: second });
    expect((caught as Error).message).toContain(`${file} offset ${second}`);
  });

  test("damage at the end of a closed segment is corruption, not a torn tail", () => {
    const dir = tempDir();
    withWal({ dir, maxSegmentBytes: 100 }, (wal) => {
      writeHeights(wal, 1, 10, 2);
    });
    const first = join(dir, "wal.0000000000");
    truncateSync(first, statSync(first).size - 2);
    expect(() => openWAL({ dir, maxSegmentBytes: 100 })).toThrow(code("wal_corrupt"));
  });

  test("a missing segment in the middle, and a record of unknown kind, are corruption", () => {
    const dir = tempDir();
    withWal({ dir, maxSegmentBytes: 100, retainHeights: 1000n }, (wal) => {
      writeHeights(wal, 1, 10, 2);
    });
    unlinkSync(join(dir, "wal.0000000002"));
    expect(() => openWAL({ dir })).toThrow(code("wal_corrupt"));

    const dir2 = tempDir();
    const body = Uint8Array.of(9, 1, 2, 3);
    const rec = new Uint8Array(8 + body.length);
    new DataView(rec.buffer).setUint32(0, crc32c(body), false);
    new DataView(rec.buffer).setUint32(4, body.length, false);
    rec.set(body, 8);
    writeFileSync(join(dir2, "wal.0000000000"), rec);
    expect(() => openWAL({ dir: dir2 })).toThrow(code("wal_corrupt"));
  });

  test("limits and use after close", () => {
    const dir = tempDir();
    const wal = openWAL({ dir, maxRecordBytes: 10 });
    expect(() => wal.append(new Uint8Array(11))).toThrow(code("wal_record_too_large"));
    wal.append(new Uint8Array(10));
    wal.close();
    wal.close();
    expect(() => wal.append(msg(1, 0))).toThrow(code("store_closed"));
    expect(() => wal.writeEndHeight(1n)).toThrow(code("store_closed"));
    expect(() => wal.replayAfterEndHeight(1n)).toThrow(code("store_closed"));
    expect(() => openWAL({ dir, maxSegmentBytes: 1 })).toThrow(code("store_invalid_argument"));
  });
});
