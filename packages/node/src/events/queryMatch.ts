// Evaluates a parsed query against an event map (`type.key → values`) with CometBFT v0.38's
// rules (`libs/pubsub/query/query.go`): numbers compared exactly, dates and times as instants.

import type { Query, QueryCondition, QueryOperand } from "./query.ts";
import { checkCalendarDate } from "./query.ts";

/** Flattened events: composite key `eventType.attributeKey` → every value seen for it. */
export type EventMap = Readonly<Record<string, readonly string[]>>;

/** An exact decimal: `mantissa / 10^scale`. */
export interface Decimal {
  readonly mantissa: bigint;
  readonly scale: number;
}

const NUMBER_OPERAND = /^(\d+)(?:\.(\d*))?$/;
// CometBFT reads the leading number of an attribute value, so "8atom" and "6.5stake" compare as
// 8 and 6.5 (query.go `extractNum`); a value with no leading digit is not a number.
const LEADING_NUMBER = /^(\d+)(?:\.(\d+))?/;

function decimalOf(intPart: string, fracPart: string | undefined): Decimal {
  const frac = fracPart ?? "";
  return { mantissa: BigInt(intPart + frac), scale: frac.length };
}

/** Parses a number operand (`15`, `3.14`, `5.`). */
export function parseNumberOperand(text: string): Decimal | undefined {
  const m = NUMBER_OPERAND.exec(text);
  if (m === null) return undefined;
  return decimalOf(m[1] as string, m[2]);
}

/** Reads an attribute value as a number the way CometBFT does; undefined if it is not one. */
export function parseNumberValue(value: string): Decimal | undefined {
  const m = LEADING_NUMBER.exec(value);
  if (m === null) return undefined;
  return decimalOf(m[1] as string, m[2]);
}

const TEN = 10n;

export function compareDecimal(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = a.mantissa * TEN ** BigInt(scale - a.scale);
  const y = b.mantissa * TEN ** BigInt(scale - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const NANOS_PER_SECOND = 1_000_000_000n;
const DATE_VALUE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_VALUE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** `yyyy-mm-dd` as Unix nanoseconds at midnight UTC (Go's `time.Parse("2006-01-02", s)`). */
export function parseDateValue(value: string): bigint | undefined {
  const m = DATE_VALUE.exec(value);
  if (m === null) return undefined;
  const [y, mo, d] = m.slice(1, 4).map(Number) as [number, number, number];
  if (checkCalendarDate(y, mo, d) !== undefined) return undefined;
  return BigInt(daysFromCivil(y, mo, d)) * 86_400n * NANOS_PER_SECOND;
}

/** An RFC3339 timestamp (fractional seconds allowed) as Unix nanoseconds. */
export function parseTimeValue(value: string): bigint | undefined {
  const m = TIME_VALUE.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (checkCalendarDate(y, mo, d) !== undefined || h > 23 || mi > 59 || s > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== "Z") {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const seconds = daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offsetMinutes * 60;
  const frac = BigInt((m[7] ?? "").padEnd(9, "0"));
  return BigInt(seconds) * NANOS_PER_SECOND + frac;
}

export type ValueMatcher = (value: string) => boolean;

function comparing(op: QueryCondition["op"], cmp: number): boolean {
  switch (op) {
    case "=":
      return cmp === 0;
    case "<":
      return cmp < 0;
    case "<=":
      return cmp <= 0;
    case ">":
      return cmp > 0;
    case ">=":
      return cmp >= 0;
    default:
      return false;
  }
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function operandMatcher(op: QueryCondition["op"], operand: QueryOperand): ValueMatcher {
  switch (operand.type) {
    case "string": {
      const want = operand.text;
      if (op === "CONTAINS") return (v) => v.includes(want);
      if (op === "=") return (v) => v === want;
      return () => false;
    }
    case "number": {
      const want = parseNumberOperand(operand.text);
      if (want === undefined) return () => false;
      return (v) => {
        const got = parseNumberValue(v);
        return got !== undefined && comparing(op, compareDecimal(got, want));
      };
    }
    case "date": {
      const want = parseDateValue(operand.text);
      if (want === undefined) return () => false;
      return (v) => {
        const got = parseDateValue(v);
        return got !== undefined && comparing(op, compareBig(got, want));
      };
    }
    case "time": {
      const want = parseTimeValue(operand.text);
      if (want === undefined) return () => false;
      return (v) => {
        const got = parseTimeValue(v);
        return got !== undefined && comparing(op, compareBig(got, want));
      };
    }
  }
}

export interface CompiledCondition {
  readonly condition: QueryCondition;
  readonly tag: string;
  readonly match: ValueMatcher;
  /**
   * Whether the condition accepts the empty string. CometBFT matches a condition whose tag
   * equals an event *type* (`transfer EXISTS`) against "", so such a condition holds when any
   * key of that type is present.
   */
  readonly matchesEmpty: boolean;
}

export function compileCondition(condition: QueryCondition): CompiledCondition {
  const match: ValueMatcher =
    condition.op === "EXISTS" || condition.operand === undefined
      ? () => true
      : operandMatcher(condition.op, condition.operand);
  return { condition, tag: condition.tag, match, matchesEmpty: match("") };
}

/** The event type of a composite key: everything before its last dot ("" when it has none). */
export function eventTypeOfKey(key: string): string {
  const dot = key.lastIndexOf(".");
  return dot < 0 ? "" : key.slice(0, dot);
}

export interface CompiledQuery {
  readonly query: Query;
  readonly conditions: readonly CompiledCondition[];
  matches(events: EventMap): boolean;
}

function conditionHolds(c: CompiledCondition, events: EventMap): boolean {
  // A key without a dot never matches by value (CometBFT rebuilds it as type "" + key).
  if (c.tag.includes(".") && Object.hasOwn(events, c.tag)) {
    if ((events[c.tag] as readonly string[]).some(c.match)) return true;
  }
  if (!c.matchesEmpty) return false;
  for (const k in events) {
    if (Object.hasOwn(events, k) && eventTypeOfKey(k) === c.tag) return true;
  }
  return false;
}

function isEmptyMap(events: EventMap): boolean {
  for (const k in events) if (Object.hasOwn(events, k)) return false;
  return true;
}

export function compileQuery(query: Query): CompiledQuery {
  const conditions = query.conditions.map(compileCondition);
  return {
    query,
    conditions,
    matches(events: EventMap): boolean {
      // An empty event map matches nothing (query.go: `len(events) != 0`).
      if (isEmptyMap(events)) return false;
      return conditions.every((c) => conditionHolds(c, events));
    },
  };
}

const compiledCache = new WeakMap<Query, CompiledQuery>();

/**
 * Whether every condition of the query holds for the events; a condition holds when ANY value
 * of its tag satisfies it (conditions are independent of each other, as in CometBFT's pubsub).
 */
export function matchesQuery(query: Query, events: EventMap): boolean {
  let compiled = compiledCache.get(query);
  if (compiled === undefined) {
    compiled = compileQuery(query);
    compiledCache.set(query, compiled);
  }
  return compiled.matches(events);
}
