import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseQuery, type Query } from "../../src/events/query.ts";
import {
  compileCondition,
  type EventMap,
  matchesQuery,
  parseDateValue,
  parseNumberValue,
  parseTimeValue,
} from "../../src/events/queryMatch.ts";
import { worldEventMapArb, worldQueryArb } from "./arbitraries.ts";

function q(text: string): Query {
  const r = parseQuery(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/**
 * A literal transcription of CometBFT's matching structure (query.go ExpandEvents, findAttr,
 * matchesEvent) used as an oracle for the optimised `matchesQuery`.
 */
function referenceMatches(query: Query, events: EventMap): boolean {
  const expanded = Object.entries(events).map(([composite, values]) => {
    const tokens = composite.split(".");
    const key = tokens[tokens.length - 1] as string;
    return { type: tokens.slice(0, -1).join("."), attrs: values.map((value) => ({ key, value })) };
  });
  const conditionsHold = query.conditions.every((cond) => {
    const c = compileCondition(cond);
    return expanded.some((event) => {
      if (!c.tag.startsWith(event.type)) return false;
      if (c.tag.length === event.type.length) return c.match("");
      const vals = event.attrs
        .filter((a) => `${event.type}.${a.key}` === c.tag)
        .map((a) => a.value);
      return vals.some(c.match);
    });
  });
  return conditionsHold && expanded.length !== 0;
}

// CometBFT libs/pubsub/query/query_test.go TestMatches (dates fixed instead of time.Now()).
const MATCH_CASES: readonly [string, Record<string, string[]>, boolean][] = [
  ["tm.events.type='NewBlock'", { "tm.events.type": ["NewBlock"] }, true],
  ["tx.gas > 7", { "tx.gas": ["8"] }, true],
  ["transfer.amount > 7", { "transfer.amount": ["8stake"] }, true],
  ["transfer.amount > 7", { "transfer.amount": ["8.045stake"] }, true],
  ["transfer.amount > 7.043", { "transfer.amount": ["8.045stake"] }, true],
  ["transfer.amount > 8.045", { "transfer.amount": ["8.045stake"] }, false],
  ["tx.gas > 7 AND tx.gas < 9", { "tx.gas": ["8"] }, true],
  ["body.weight >= 3.5", { "body.weight": ["3.5"] }, true],
  ["account.balance < 1000.0", { "account.balance": ["900"] }, true],
  ["apples.kg <= 4", { "apples.kg": ["4.0"] }, true],
  ["body.weight >= 4.5", { "body.weight": ["4.5"] }, true],
  [
    "oranges.kg < 4 AND watermellons.kg > 10",
    { "oranges.kg": ["3"], "watermellons.kg": ["12"] },
    true,
  ],
  ["peaches.kg < 4", { "peaches.kg": ["5"] }, false],
  ["tx.date > DATE 2017-01-01", { "tx.date": ["2024-03-05"] }, true],
  ["tx.date = DATE 2017-01-01", { "tx.date": ["2017-01-01"] }, true],
  ["tx.date = DATE 2018-01-01", { "tx.date": ["2017-01-01"] }, false],
  ["tx.time >= TIME 2013-05-03T14:45:00Z", { "tx.time": ["2024-03-05T10:11:12.123456789Z"] }, true],
  ["tx.time = TIME 2013-05-03T14:45:00Z", { "tx.time": ["2018-05-03T14:45:00Z"] }, false],
  ["abci.owner.name CONTAINS 'Igor'", { "abci.owner.name": ["Igor,Ivan"] }, true],
  ["abci.owner.name CONTAINS 'Igor'", { "abci.owner.name": ["Pavel,Ivan"] }, false],
  ["abci.owner.name = 'Igor'", { "abci.owner.name": ["Igor", "Ivan"] }, true],
  ["abci.owner.name = 'Ivan'", { "abci.owner.name": ["Igor", "Ivan"] }, true],
  [
    "abci.owner.name = 'Ivan' AND abci.owner.name = 'Igor'",
    { "abci.owner.name": ["Igor", "Ivan"] },
    true,
  ],
  [
    "abci.owner.name = 'Ivan' AND abci.owner.name = 'John'",
    { "abci.owner.name": ["Igor", "Ivan"] },
    false,
  ],
  ["tm.events.type='NewBlock'", { "tm.events.type": ["NewBlock"], "app.name": ["fuzzed"] }, true],
  ["app.name = 'fuzzed'", { "tm.events.type": ["NewBlock"], "app.name": ["fuzzed"] }, true],
  [
    "tm.events.type='NewBlock' AND app.name = 'fuzzed'",
    { "tm.events.type": ["NewBlock"], "app.name": ["fuzzed"] },
    true,
  ],
  [
    "tm.events.type='NewHeader' AND app.name = 'fuzzed'",
    { "tm.events.type": ["NewBlock"], "app.name": ["fuzzed"] },
    false,
  ],
  ["slash EXISTS", { "slash.reason": ["missing_signature"], "slash.power": ["6000"] }, true],
  [
    "slash EXISTS",
    { "transfer.recipient": ["cosmos1gu"], "transfer.sender": ["cosmos1cr"] },
    false,
  ],
  [
    "slash.reason EXISTS AND slash.power > 1000",
    { "slash.reason": ["missing_signature"], "slash.power": ["6000"] },
    true,
  ],
  [
    "slash.reason EXISTS AND slash.power > 1000",
    { "slash.reason": ["missing_signature"], "slash.power": ["500"] },
    false,
  ],
  [
    "slash.reason EXISTS",
    { "transfer.recipient": ["cosmos1gu"], "transfer.sender": ["cosmos1cr"] },
    false,
  ],
  // TestBigNumbers
  [
    "account.balance <= 10000000000000000000",
    { "account.balance": ["10000000000000000000"] },
    true,
  ],
  [
    "account.balance <= 10000000000000000000",
    { "account.balance": ["10000000000000000000.0"] },
    true,
  ],
  [
    "account.balance <= 20000000000000000000",
    { "account.balance": ["10000000000000000000"] },
    true,
  ],
  [
    "account.balance <= 10000000000000000000",
    { "account.balance": ["10000000000000000001"] },
    false,
  ],
  [
    "account.balance <= 20000000000000000000",
    { "account.balance": ["10000000000000000000.6"] },
    true,
  ],
  [
    "account.balance > 10000000000000000000",
    { "account.balance": ["10000000000000000000.6"] },
    true,
  ],
  ["account.balance > 11234.0", { "account.balance": ["11234.6"] }, true],
  ["account.balance <= 10000000000000000000", { "account.balance": ["1000.45"] }, true],
];

describe("matchesQuery", () => {
  it.each(MATCH_CASES)("%s on %j → %s", (text, events, want) => {
    expect(matchesQuery(q(text), events)).toBe(want);
    expect(referenceMatches(q(text), events)).toBe(want);
  });

  it("compares large and decimal numbers exactly (where Go's 125-bit floats round)", () => {
    // CometBFT's own test notes this one "should pass" but its float conversion rounds.
    expect(
      matchesQuery(q("account.balance > 10000000000000000000.0"), {
        "account.balance": ["10000000000000000000.6"],
      }),
    ).toBe(true);
    expect(
      matchesQuery(q("a.n = 123456789012345678901234567890"), {
        "a.n": ["123456789012345678901234567890"],
      }),
    ).toBe(true);
    expect(
      matchesQuery(q("a.n < 123456789012345678901234567890"), {
        "a.n": ["123456789012345678901234567891"],
      }),
    ).toBe(false);
  });

  it("matches a type-only tag against the empty string", () => {
    expect(matchesQuery(q("transfer = ''"), { "transfer.amount": ["5"] })).toBe(true);
    expect(matchesQuery(q("transfer CONTAINS ''"), { "transfer.amount": ["5"] })).toBe(true);
    expect(matchesQuery(q("transfer = 5"), { "transfer.amount": ["5"] })).toBe(false);
    expect(matchesQuery(q("trans EXISTS"), { "transfer.amount": ["5"] })).toBe(false);
  });

  it("never matches an empty event map, nor a key without a dot", () => {
    expect(matchesQuery(q("a.b EXISTS"), {})).toBe(false);
    expect(matchesQuery(q("abc EXISTS"), { abc: ["1"] })).toBe(false);
  });

  it("compares times across zones and dates as instants", () => {
    expect(
      matchesQuery(q("t.t = TIME 2020-01-01T00:00:00Z"), { "t.t": ["2020-01-01T05:00:00+05:00"] }),
    ).toBe(true);
    expect(
      matchesQuery(q("t.t < TIME 2020-01-01T00:00:01Z"), {
        "t.t": ["2020-01-01T00:00:00.999999999Z"],
      }),
    ).toBe(true);
    expect(matchesQuery(q("t.d = DATE 2020-01-01"), { "t.d": ["2020-01-01T00:00:00Z"] })).toBe(
      false,
    );
  });

  it("agrees with a transcription of CometBFT's matcher (property)", () => {
    fc.assert(
      fc.property(worldQueryArb(), worldEventMapArb, (query, events) => {
        expect(matchesQuery(query, events)).toBe(referenceMatches(query, events));
      }),
      { numRuns: 5000 },
    );
  });

  it("the generated world hits often enough for the property to mean something", () => {
    const samples = fc.sample(fc.tuple(worldQueryArb(), worldEventMapArb), {
      numRuns: 2000,
      seed: 7,
    });
    const hits = samples.filter(([query, events]) => matchesQuery(query, events)).length;
    expect(hits).toBeGreaterThan(100);
    expect(hits).toBeLessThan(1900);
  });
});

describe("value parsing", () => {
  it("reads the leading number of a value like CometBFT", () => {
    expect(parseNumberValue("8atom")).toEqual({ mantissa: 8n, scale: 0 });
    expect(parseNumberValue("6.5stake")).toEqual({ mantissa: 65n, scale: 1 });
    expect(parseNumberValue("5.")).toEqual({ mantissa: 5n, scale: 0 });
    expect(parseNumberValue("-5")).toBeUndefined();
    expect(parseNumberValue("stake")).toBeUndefined();
  });

  it("parses dates and RFC3339 times to Unix nanoseconds", () => {
    expect(parseDateValue("1970-01-02")).toBe(86_400_000_000_000n);
    expect(parseDateValue("2021-02-29")).toBeUndefined();
    expect(parseTimeValue("1970-01-01T00:00:01.5Z")).toBe(1_500_000_000n);
    expect(parseTimeValue("1970-01-01T01:00:00+01:00")).toBe(0n);
    expect(parseTimeValue(new Date(Date.UTC(2013, 4, 3, 14, 45)).toISOString())).toBe(
      BigInt(Date.UTC(2013, 4, 3, 14, 45)) * 1_000_000n,
    );
  });
});
