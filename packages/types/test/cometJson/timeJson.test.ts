import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { timestampFromJson, timestampToJson, zeroGoTime } from "../../src/index.ts";

const ts = (seconds: bigint, nanos = 0) => create(TimestampSchema, { seconds, nanos });

function parse(text: unknown) {
  const r = timestampFromJson(text);
  if (!r.ok) throw r.error;
  return r.value;
}

describe("timestampToJson (Go RFC3339Nano, UTC)", () => {
  it("formats Go's zero time and the Unix epoch", () => {
    expect(timestampToJson(zeroGoTime())).toBe("0001-01-01T00:00:00Z");
    expect(timestampToJson(ts(0n))).toBe("1970-01-01T00:00:00Z");
  });

  it("trims trailing zeros of the fraction", () => {
    expect(timestampToJson(ts(1755524351n, 927320000))).toBe("2025-08-18T13:39:11.92732Z");
    expect(timestampToJson(ts(1755524351n, 1))).toBe("2025-08-18T13:39:11.000000001Z");
    expect(timestampToJson(ts(1755524351n, 500_000_000))).toBe("2025-08-18T13:39:11.5Z");
  });

  it("matches Date.toISOString to the second over years 0000..9999", () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200, max: 253_402_300_799 }), (s) => {
        const iso = new Date(s * 1000).toISOString(); // "YYYY-MM-DDTHH:MM:SS.000Z"
        expect(timestampToJson(ts(BigInt(s)))).toBe(`${iso.slice(0, 19)}Z`);
      }),
    );
  });

  it("refuses what Go refuses: years outside 0..9999, bad nanos", () => {
    expect(() => timestampToJson(ts(-62_167_219_201n))).toThrow(RangeError);
    expect(() => timestampToJson(ts(253_402_300_800n))).toThrow(RangeError);
    expect(() => timestampToJson(ts(0n, 1_000_000_000))).toThrow(RangeError);
    expect(() => timestampToJson(ts(0n, -1))).toThrow(RangeError);
  });
});

describe("timestampFromJson (RFC 3339)", () => {
  it("parses UTC, offsets, lower-case separators and up to 9 fractional digits", () => {
    expect(parse("2025-08-18T13:39:10.618857Z")).toEqual(ts(1755524350n, 618_857_000));
    expect(parse("2025-08-18T15:39:10.618857+02:00")).toEqual(ts(1755524350n, 618_857_000));
    expect(parse("2025-08-18T10:09:10-03:30")).toEqual(ts(1755524350n));
    expect(parse("2025-08-18t13:39:10z")).toEqual(ts(1755524350n));
    expect(parse("2025-08-18T13:39:10.123456789Z")).toEqual(ts(1755524350n, 123_456_789));
    expect(parse("0001-01-01T00:00:00Z")).toEqual(zeroGoTime());
    expect(parse("2024-02-29T00:00:00Z")).toEqual(ts(1709164800n));
  });

  it("round-trips every representable timestamp", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -62_167_219_200n, max: 253_402_300_799n }),
        fc.integer({ min: 0, max: 999_999_999 }),
        (s, n) => {
          expect(parse(timestampToJson(ts(s, n)))).toEqual(ts(s, n));
        },
      ),
    );
  });

  it.each([
    ["", "empty"],
    ["garbage", "not a time"],
    ["2025-08-18 13:39:10Z", "space separator"],
    ["2025-08-18T13:39:10", "no zone"],
    ["2025-08-18T13:39:10.Z", "empty fraction"],
    ["2025-08-18T13:39:10.1234567890Z", "10 fractional digits"],
    ["2025-02-29T00:00:00Z", "not a leap year"],
    ["2025-13-01T00:00:00Z", "month 13"],
    ["2025-04-31T00:00:00Z", "April 31"],
    ["2025-08-18T24:00:00Z", "hour 24"],
    ["2025-08-18T13:60:00Z", "minute 60"],
    ["2025-08-18T13:39:60Z", "leap second"],
    ["2025-08-18T13:39:10+24:00", "offset hour 24"],
    ["2025-08-18T13:39:10+0200", "offset without colon"],
    ["0000-01-01T00:00:00+00:01", "before year 0 in UTC"],
    ["+12025-08-18T13:39:10Z", "extended year"],
  ])("rejects %j (%s)", (text) => {
    const r = timestampFromJson(text, "header.time");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("INVALID_JSON");
      expect(r.error.message).toMatch(/^header\.time: expected an RFC 3339 time/);
    }
  });

  it("rejects non-strings", () => {
    for (const v of [12, null, undefined, {}, []]) expect(timestampFromJson(v).ok).toBe(false);
  });
});
