// CometBFT JSON times: Go's RFC3339Nano in UTC with trailing zeros trimmed, and a strict
// RFC 3339 parser (any offset, up to 9 fractional digits). Pure integer arithmetic, no Date.
import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import type { Result } from "../errors.ts";
import type { JsonDecodeError } from "../typesError.ts";
import { decodeJson, failJson } from "./jsonReader.ts";

const SECONDS_PER_DAY = 86_400;
// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years Go's Time.MarshalJSON accepts.
const MIN_SECONDS = -62_167_219_200;
const MAX_SECONDS = 253_402_300_799;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * RFC3339Nano UTC, as Go's `time.Time.MarshalJSON` after CometBFT's `.UTC()`:
 * Go's zero time gives "0001-01-01T00:00:00Z". Throws on a year outside 0..9999 or
 * nanos outside 0..999999999 (Go refuses those too; our own data never has them).
 */
export function timestampToJson(ts: Timestamp): string {
  const seconds = Number(ts.seconds);
  if (!(seconds >= MIN_SECONDS && seconds <= MAX_SECONDS)) {
    throw new RangeError(`timestamp ${ts.seconds}s is outside years 0000..9999`);
  }
  if (!Number.isInteger(ts.nanos) || ts.nanos < 0 || ts.nanos > 999_999_999) {
    throw new RangeError(`timestamp nanos ${ts.nanos} is outside 0..999999999`);
  }
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  const secOfDay = seconds - days * SECONDS_PER_DAY;
  const [year, month, day] = civilFromDays(days);
  const hh = Math.floor(secOfDay / 3600);
  const mm = Math.floor((secOfDay % 3600) / 60);
  const ss = secOfDay % 60;
  let text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}`;
  if (ts.nanos !== 0) text += `.${pad(ts.nanos, 9).replace(/0+$/, "")}`;
  return `${text}Z`;
}

const RFC3339 =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))$/;

/** Reader form of `timestampFromJson` for composing decoders. */
export function readTimestamp(value: unknown, path: string): Timestamp {
  const expected = "an RFC 3339 time";
  if (typeof value !== "string") failJson(path, expected, value);
  const m = RFC3339.exec(value);
  if (m === null) failJson(path, expected, value);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    failJson(path, `${expected} (bad date)`, value);
  }
  if (hour > 23 || minute > 59 || second > 59)
    failJson(path, `${expected} (bad clock time)`, value);
  let offset = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) failJson(path, `${expected} (bad zone offset)`, value);
    offset = (m[8] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const seconds =
    daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset;
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    failJson(path, `${expected} within years 0000..9999 UTC`, value);
  }
  const nanos = m[7] === undefined ? 0 : Number(m[7].padEnd(9, "0"));
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos });
}

export function timestampFromJson(
  json: unknown,
  path = "time",
): Result<Timestamp, JsonDecodeError> {
  return decodeJson(() => readTimestamp(json, path));
}
