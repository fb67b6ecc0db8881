// fast-check generators for queries and event maps, shared by the query, bus and indexer tests.

import fc from "fast-check";
import type { Query, QueryCondition, QueryOperand } from "../../src/events/query.ts";

const TAG_FIRST = "abcxyzABZ_é";
const TAG_REST = `${TAG_FIRST}0129.-`;
const tagArb = fc
  .tuple(
    fc.constantFrom(...TAG_FIRST.split("")),
    fc.array(fc.constantFrom(...TAG_REST.split("")), { maxLength: 12 }),
  )
  .map(([first, rest]) => first + rest.join(""))
  .filter((t) => !["AND", "CONTAINS", "EXISTS", "TIME", "DATE"].includes(t));

const numberArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map((n) => n.toString()),
  fc.tuple(fc.nat({ max: 100000 }), fc.stringMatching(/^[0-9]{0,6}$/)).map(([i, f]) => `${i}.${f}`),
);
const dateArb = fc
  .date({
    min: new Date("1900-01-01T00:00:00Z"),
    max: new Date("2999-12-28T00:00:00Z"),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString().slice(0, 10));
const timeArb = fc
  .tuple(dateArb, fc.integer({ min: 0, max: 86399 }), fc.constantFrom("Z", "+07:00", "-02:30"))
  .map(([day, s, zone]) => {
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${day}T${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}${zone}`;
  });
const stringArb = fc.string({ maxLength: 12 }).filter((s) => !s.includes("'"));

const operandArb: fc.Arbitrary<QueryOperand> = fc.oneof(
  stringArb.map((text) => ({ type: "string" as const, text })),
  numberArb.map((text) => ({ type: "number" as const, text })),
  dateArb.map((text) => ({ type: "date" as const, text })),
  timeArb.map((text) => ({ type: "time" as const, text })),
);

const conditionArb: fc.Arbitrary<QueryCondition> = fc.oneof(
  tagArb.map((tag) => ({ tag, op: "EXISTS" as const })),
  fc.tuple(tagArb, stringArb).map(([tag, text]) => ({
    tag,
    op: "CONTAINS" as const,
    operand: { type: "string" as const, text },
  })),
  fc.tuple(tagArb, operandArb).map(([tag, operand]) => ({ tag, op: "=" as const, operand })),
  fc
    .tuple(tagArb, fc.constantFrom("<", "<=", ">", ">=" as const), operandArb)
    .filter(([, , operand]) => operand.type !== "string")
    .map(([tag, op, operand]) => ({ tag, op, operand })),
);

export const queryArb: fc.Arbitrary<Query> = fc
  .array(conditionArb, { minLength: 1, maxLength: 5 })
  .map((conditions) => ({ conditions }));

// A small world of event types, keys and values, so random queries often hit.
export const WORLD_TYPES = ["transfer", "coin.spent"] as const;
export const WORLD_KEYS = ["sender", "amount", "when"] as const;
export const WORLD_VALUES = [
  "alice",
  "bob",
  "alice bob",
  "",
  "5",
  "10",
  "8stake",
  "3.5",
  "-5",
  "100000000000000000000",
  "100000000000000000000.5",
  "2020-01-01",
  "2021-06-15",
  "2020-01-01T00:00:00Z",
  "2020-01-01T05:00:00+05:00",
  "2020-01-01T00:00:00.5Z",
] as const;

export const worldValueArb = fc.constantFrom(...WORLD_VALUES);

export const worldCompositeArb = fc
  .tuple(fc.constantFrom(...WORLD_TYPES), fc.constantFrom(...WORLD_KEYS))
  .map(([t, k]) => `${t}.${k}`);

/** A flattened event map over the world. */
export const worldEventMapArb: fc.Arbitrary<Record<string, string[]>> = fc.dictionary(
  worldCompositeArb,
  fc.array(worldValueArb, { minLength: 1, maxLength: 4 }),
  { minKeys: 1, maxKeys: 6 },
);

const worldTagArb = fc.oneof(
  { weight: 6, arbitrary: worldCompositeArb },
  { weight: 1, arbitrary: fc.constantFrom(...WORLD_TYPES, "coin", "nothing.here", "tx") },
);

const worldOperandArb: fc.Arbitrary<QueryOperand> = fc.oneof(
  fc
    .constantFrom("alice", "bob", "", "ali", "5", "stake")
    .map((text) => ({ type: "string" as const, text })),
  fc
    .constantFrom(
      "5",
      "5.0",
      "8",
      "3.5",
      "10",
      "0",
      "4.99",
      "100000000000000000000",
      "100000000000000000000.0",
    )
    .map((text) => ({ type: "number" as const, text })),
  fc.constantFrom("2020-01-01", "2021-01-01").map((text) => ({ type: "date" as const, text })),
  fc
    .constantFrom("2020-01-01T00:00:00Z", "2019-12-31T19:00:00-05:00", "2020-01-01T00:00:01Z")
    .map((text) => ({ type: "time" as const, text })),
);

const worldConditionArb: fc.Arbitrary<QueryCondition> = fc.oneof(
  worldTagArb.map((tag) => ({ tag, op: "EXISTS" as const })),
  fc.tuple(worldTagArb, fc.constantFrom("alice", "b", "", "stake", "0")).map(([tag, text]) => ({
    tag,
    op: "CONTAINS" as const,
    operand: { type: "string" as const, text },
  })),
  fc
    .tuple(worldTagArb, worldOperandArb)
    .map(([tag, operand]) => ({ tag, op: "=" as const, operand })),
  fc
    .tuple(worldTagArb, fc.constantFrom("<", "<=", ">", ">=" as const), worldOperandArb)
    .filter(([, , operand]) => operand.type !== "string")
    .map(([tag, op, operand]) => ({ tag, op, operand })),
);

/** Queries over the world's tags, with extra conditions on `extraTags` (e.g. tx.height). */
export function worldQueryArb(
  extra: readonly fc.Arbitrary<QueryCondition>[] = [],
): fc.Arbitrary<Query> {
  const condition = extra.length === 0 ? worldConditionArb : fc.oneof(worldConditionArb, ...extra);
  return fc.array(condition, { minLength: 1, maxLength: 2 }).map((conditions) => ({ conditions }));
}
