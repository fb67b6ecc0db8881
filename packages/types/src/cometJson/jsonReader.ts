// Path-aware readers for CometBFT JSON (libs/json rules): each names the bad field on failure.
// Readers throw a JsonDecodeError that `decodeJson` turns into a Result at the public boundary.
import { fromBase64, fromHex } from "../bytes.ts";
import { err, ok, QosError, type Result } from "../errors.ts";
import { type JsonDecodeError, TYPES_ERROR } from "../typesError.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Runs a reader and turns its failure into a Result; any other exception is a bug and propagates. */
export function decodeJson<T>(read: () => T): Result<T, JsonDecodeError> {
  try {
    return ok(read());
  } catch (e) {
    if (e instanceof QosError && e.code === TYPES_ERROR.invalidJson) {
      return err(e as JsonDecodeError);
    }
    throw e;
  }
}

/** A short rendering of the offending value for error messages. */
export function describeJson(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function failJson(path: string, expected: string, got: unknown): never {
  throw new QosError(
    TYPES_ERROR.invalidJson,
    `${path}: expected ${expected}, got ${describeJson(got)}`,
    { path },
  );
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function readObject(value: unknown, path: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    failJson(path, "an object", value);
  }
  return value as JsonObject;
}

/** An array, or [] when `null`/missing is allowed (Go's nil slice). */
export function readArray(value: unknown, path: string, nullable = false): readonly unknown[] {
  if (nullable && (value === null || value === undefined)) return [];
  if (!Array.isArray(value)) failJson(path, nullable ? "an array or null" : "an array", value);
  return value;
}

export function readString(value: unknown, path: string): string {
  if (typeof value !== "string") failJson(path, "a string", value);
  return value;
}

export function readOptionalString(value: unknown, path: string): string {
  return value === undefined ? "" : readString(value, path);
}

export function readBool(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") failJson(path, "a boolean", value);
  return value;
}

function readBigInt(value: unknown, path: string, what: string, min: bigint, max: bigint): bigint {
  let n: bigint | undefined;
  if (typeof value === "string") {
    // Go's strconv.ParseInt: optional sign, decimal digits.
    if (/^[+-]?[0-9]+$/.test(value)) n = BigInt(value);
  } else if (typeof value === "number" && Number.isSafeInteger(value)) {
    n = BigInt(value);
  }
  if (n === undefined) failJson(path, `an ${what} string`, value);
  if (n < min || n > max) {
    failJson(path, min === 0n ? `a non-negative ${what}` : `an ${what} in range`, value);
  }
  return n;
}

/** int64: CometBFT writes a JSON string; a bare integer number is accepted too. */
export function readInt64(value: unknown, path: string): bigint {
  return readBigInt(value, path, "int64", INT64_MIN, INT64_MAX);
}

export function readUint64(value: unknown, path: string): bigint {
  return readBigInt(value, path, "uint64", 0n, UINT64_MAX);
}

function readSmallInt(value: unknown, path: string, what: string, min: number, max: number) {
  let n: number | undefined;
  if (typeof value === "number" && Number.isInteger(value)) n = value;
  else if (typeof value === "string" && /^[+-]?[0-9]{1,10}$/.test(value)) n = Number(value);
  if (n === undefined) failJson(path, `an ${what} number`, value);
  if (n < min || n > max) failJson(path, `an ${what} in range`, value);
  return n;
}

/** int32: CometBFT writes a JSON number; a decimal string is accepted too. */
export function readInt32(value: unknown, path: string): number {
  return readSmallInt(value, path, "int32", -(2 ** 31), 2 ** 31 - 1);
}

export function readUint32(value: unknown, path: string): number {
  return readSmallInt(value, path, "uint32", 0, 2 ** 32 - 1);
}

/**
 * HexBytes (either case). `lengths` lists the byte lengths the type allows, e.g. [0, 32]
 * for a hash that may be empty; omit it for free-length bytes such as app_hash.
 */
export function readHex(value: unknown, path: string, lengths?: readonly number[]): Uint8Array {
  const text = readString(value, path);
  const bytes = fromHex(text);
  if (bytes === null) failJson(path, "hex bytes", value);
  checkLength(bytes, path, lengths, value);
  return bytes;
}

/** `[]byte` as base64; `null` (Go's nil slice) and a missing field read as empty. */
export function readBase64(value: unknown, path: string, lengths?: readonly number[]): Uint8Array {
  if (value === null || value === undefined) {
    const empty = new Uint8Array(0);
    checkLength(empty, path, lengths, value);
    return empty;
  }
  const text = readString(value, path);
  const bytes = fromBase64(text);
  if (bytes === null) failJson(path, "base64 bytes", value);
  checkLength(bytes, path, lengths, value);
  return bytes;
}

function checkLength(
  bytes: Uint8Array,
  path: string,
  lengths: readonly number[] | undefined,
  value: unknown,
): void {
  if (lengths === undefined || lengths.includes(bytes.length)) return;
  const allowed = lengths.map((n) => (n === 0 ? "empty" : `${n} bytes`)).join(" or ");
  failJson(path, `${allowed} (got ${bytes.length} bytes)`, value);
}

/** One of a fixed set of integer codes (an enum encoded as a JSON number). */
export function readCode<T extends number>(
  value: unknown,
  path: string,
  allowed: readonly T[],
  what: string,
): T {
  const n = readInt32(value, path);
  if (!(allowed as readonly number[]).includes(n)) failJson(path, what, value);
  return n as T;
}
