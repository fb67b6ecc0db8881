// Typed RPC parameters: `param.int64()`, `param.bytesBase64()`, … build zod-backed specs that
// decode both the JSON-body form and CometBFT's URI form (`http_uri_handler.go`) of a value.

import { err, fromBase64, fromHex, ok, type Result, utf8Decode, utf8Encode } from "@qos/types";
import { z } from "zod";

export type ParamKind = "int64" | "int" | "string" | "bytesHex" | "bytesBase64" | "bool" | "json";

export interface ParamSpec<T> {
  readonly kind: ParamKind;
  /** Whether the parameter may be absent (the handler then gets `undefined`). */
  readonly isOptional: boolean;
  /** Decodes the JSON form (a value from a JSON-RPC `params` object or array). */
  readonly schema: z.ZodType<T>;
  /** The same decoding without zod's machinery, for the built-in kinds (every call decodes). */
  readonly decode?: Decoder<T>;
  readonly description: string | undefined;
}

export interface RequiredParamSpec<T> extends ParamSpec<T> {
  /** The same parameter, allowed to be absent (the handler then gets `undefined`). */
  optional(): ParamSpec<T | undefined>;
  describe(description: string): RequiredParamSpec<T>;
}

/** Named parameters; the key order is the positional order (for `params` given as an array). */
export type ParamSpecs = Readonly<Record<string, ParamSpec<unknown>>>;

/** The decoded parameter object a handler receives. */
export type InferParams<P extends ParamSpecs> = {
  readonly [K in keyof P]: P[K] extends ParamSpec<infer T> ? T : never;
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^-?[0-9]+$/;

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "bigint") return `${v}`;
  const text = JSON.stringify(v);
  return text === undefined ? typeof v : text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

type Decoder<T> = (v: unknown) => Result<T, string>;

function schemaOf<T>(decode: Decoder<T>): z.ZodType<T> {
  return z.unknown().transform((v, ctx) => {
    const r = decode(v);
    if (r.ok) return r.value;
    ctx.addIssue({ code: "custom", message: r.error });
    return z.NEVER;
  }) as unknown as z.ZodType<T>;
}

const decodeInt64: Decoder<bigint> = (v) => {
  let n: bigint | undefined;
  if (typeof v === "string" && DECIMAL.test(v)) n = BigInt(v);
  else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
  if (n === undefined) {
    return err(
      `expected an int64 as a decimal string ("42") or an integer, got ${describeValue(v)}`,
    );
  }
  if (n < INT64_MIN || n > INT64_MAX) return err(`${n} is out of the int64 range`);
  return ok(n);
};

const decodeInt: Decoder<number> = (v) => {
  let n: number | undefined;
  if (typeof v === "string" && DECIMAL.test(v)) n = Number(v);
  else if (typeof v === "number" && Number.isInteger(v)) n = v;
  if (n === undefined) {
    return err(
      `expected an integer as a decimal string ("42") or a number, got ${describeValue(v)}`,
    );
  }
  if (!Number.isSafeInteger(n)) return err(`${describeValue(v)} is out of the integer range`);
  return ok(n);
};

const decodeString: Decoder<string> = (v) =>
  typeof v === "string" ? ok(v) : err(`expected a string, got ${describeValue(v)}`);

const decodeBool: Decoder<boolean> = (v) =>
  typeof v === "boolean" ? ok(v) : err(`expected true or false, got ${describeValue(v)}`);

const decodeBase64: Decoder<Uint8Array> = (v) => {
  if (typeof v !== "string")
    return err(`expected base64 bytes as a string, got ${describeValue(v)}`);
  const bytes = fromBase64(v);
  return bytes === null ? err(`invalid base64 ${describeValue(v)}`) : ok(bytes);
};

const decodeHexBytes: Decoder<Uint8Array> = (v) => {
  if (typeof v !== "string") return err(`expected hex bytes as a string, got ${describeValue(v)}`);
  const text = v.startsWith("0x") || v.startsWith("0X") ? v.slice(2) : v;
  const bytes = fromHex(text);
  return bytes === null ? err(`invalid hex ${describeValue(v)}`) : ok(bytes);
};

function makeSpec<T>(
  kind: ParamKind,
  schema: z.ZodType<T>,
  decode: Decoder<T> | undefined,
  description?: string,
): RequiredParamSpec<T> {
  return {
    kind,
    isOptional: false,
    schema,
    ...(decode !== undefined ? { decode } : {}),
    description,
    optional: (): ParamSpec<T | undefined> => ({
      kind,
      isOptional: true,
      schema: schema as z.ZodType<T | undefined>,
      ...(decode !== undefined ? { decode: decode as Decoder<T | undefined> } : {}),
      description,
    }),
    describe: (text: string) => makeSpec(kind, schema, decode, text),
  };
}

function builtIn<T>(kind: ParamKind, decode: Decoder<T>): RequiredParamSpec<T> {
  return makeSpec(kind, schemaOf(decode), decode);
}

/** Parameter builders. JSON forms follow CometBFT's JSON rules (int64 as strings, []byte base64). */
export const param = {
  /** int64 (heights): JSON string or number; URI `5` or `"5"`. Decodes to bigint. */
  int64: (): RequiredParamSpec<bigint> => builtIn("int64", decodeInt64),
  /** Go `int` (page, per_page): JSON string or number; decodes to a safe-integer number. */
  int: (): RequiredParamSpec<number> => builtIn("int", decodeInt),
  /** JSON string; URI `"text"` or `0x<hex of utf-8>`. */
  string: (): RequiredParamSpec<string> => builtIn("string", decodeString),
  /** JSON boolean; URI `true`/`false`. */
  bool: (): RequiredParamSpec<boolean> => builtIn("bool", decodeBool),
  /** Go `[]byte`: JSON base64 string (tx, tx hash); URI `0x<hex>` or `"raw text"`. */
  bytesBase64: (): RequiredParamSpec<Uint8Array> => builtIn("bytesBase64", decodeBase64),
  /** CometBFT `HexBytes` (abci_query data): JSON hex string; URI `0x<hex>` or `"raw text"`. */
  bytesHex: (): RequiredParamSpec<Uint8Array> => builtIn("bytesHex", decodeHexBytes),
  /** Any JSON value validated by the given zod schema; the URI form is JSON text. */
  json: <T>(schema: z.ZodType<T>): RequiredParamSpec<T> => makeSpec("json", schema, undefined),
};

function zodMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? "invalid value" : issue.message;
}

/** Decodes one JSON-form value (never undefined: absence is handled by the caller). */
export function decodeJsonParam<T>(spec: ParamSpec<T>, value: unknown): Result<T, string> {
  if (spec.decode !== undefined) return spec.decode(value);
  const r = spec.schema.safeParse(value);
  return r.success ? ok(r.data) : err(zodMessage(r.error));
}

/**
 * Decodes a URI query-string value with CometBFT's rules: integers bare or quoted, strings in
 * double quotes, bytes as `0x<hex>` or a quoted string, everything else as JSON text.
 */
export function decodeUriParam<T>(spec: ParamSpec<T>, raw: string): Result<T, string> {
  const isInt = DECIMAL.test(raw);
  const isQuoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"');
  const isHex = raw.startsWith("0x") || raw.startsWith("0X");
  const isBytes = spec.kind === "bytesHex" || spec.kind === "bytesBase64";
  if (isInt && (spec.kind === "int64" || spec.kind === "int")) return decodeJsonParam(spec, raw);
  if (isHex) {
    if (!isBytes && spec.kind !== "string") {
      return err(`got a hex string arg, but expected '${spec.kind}'`);
    }
    const bytes = fromHex(raw.slice(2));
    if (bytes === null) return err(`invalid hex ${describeValue(raw)}`);
    if (isBytes) return ok(bytes as T);
    const text = utf8Decode(bytes);
    return text === null ? err("hex value is not valid UTF-8") : decodeJsonParam(spec, text);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    const hint =
      spec.kind === "string"
        ? ' (strings go in double quotes: ?name="value")'
        : isBytes
          ? ' (bytes go as 0x<hex> or "text")'
          : "";
    return err(`cannot decode ${describeValue(raw)} as ${spec.kind}${hint}`);
  }
  if (isQuoted && isBytes && typeof value === "string") return ok(utf8Encode(value) as T);
  return decodeJsonParam(spec, value);
}
