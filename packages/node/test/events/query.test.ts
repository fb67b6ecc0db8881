import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseQuery, type Query, queryToString } from "../../src/events/query.ts";
import { queryArb } from "./arbitraries.ts";

function parsed(text: string): Query {
  const r = parseQuery(text);
  if (!r.ok) throw new Error(`unexpected parse error for ${text}: ${r.error.message}`);
  return r.value;
}

// CometBFT libs/pubsub/query/syntax/syntax_test.go TestParseValid.
const COMETBFT_CASES: readonly [string, boolean][] = [
  ["tm.events.type='NewBlock'", true],
  ["tm.events.type = 'NewBlock'", true],
  ["tm.events.name = ''", true],
  ["tm.events.type='TIME'", true],
  ["tm.events.type='DATE'", true],
  ["tm.events.type='='", true],
  ["tm.events.type='TIME", false],
  ["tm.events.type=TIME'", false],
  ["tm.events.type==", false],
  ["tm.events.type=NewBlock", false],
  [">==", false],
  ["tm.events.type 'NewBlock' =", false],
  ["tm.events.type>'NewBlock'", false],
  ["", false],
  ["=", false],
  ["='NewBlock'", false],
  ["tm.events.type=", false],
  ["tm.events.typeNewBlock", false],
  ["tm.events.type'NewBlock'", false],
  ["'NewBlock'", false],
  ["NewBlock", false],
  ["tm.events.type='NewBlock' AND abci.account.name='Igor'", true],
  ["tm.events.type='NewBlock' AND", false],
  ["tm.events.type='NewBlock' AN", false],
  ["tm.events.type='NewBlock' AN tm.events.type='NewBlockHeader'", false],
  ["AND tm.events.type='NewBlock' ", false],
  ["abci.account.name CONTAINS 'Igor'", true],
  ["tx.date > DATE 2013-05-03", true],
  ["tx.date < DATE 2013-05-03", true],
  ["tx.date <= DATE 2013-05-03", true],
  ["tx.date >= DATE 2013-05-03", true],
  ["tx.date >= DAT 2013-05-03", false],
  ["tx.date <= DATE2013-05-03", false],
  ["tx.date <= DATE -05-03", false],
  ["tx.date >= DATE 20130503", false],
  ["tx.date >= DATE 2013+01-03", false],
  ["tx.date >= DATE 0013-01-03", false],
  ["tx.date >= DATE 2013-31-03", false],
  ["tx.date >= DATE 2013-01-83", false],
  ["tx.date > TIME 2013-05-03T14:45:00+07:00", true],
  ["tx.date < TIME 2013-05-03T14:45:00-02:00", true],
  ["tx.date <= TIME 2013-05-03T14:45:00Z", true],
  ["tx.date >= TIME 2013-05-03T14:45:00Z", true],
  ["tx.date >= TIME2013-05-03T14:45:00Z", false],
  ["tx.date = IME 2013-05-03T14:45:00Z", false],
  ["tx.date = TIME 2013-05-:45:00Z", false],
  ["tx.date >= TIME 2013-05-03T14:45:00", false],
  ["tx.date >= TIME 0013-00-00T14:45:00Z", false],
  ["tx.date >= TIME 2013+05=03T14:45:00Z", false],
  ["account.balance=100", true],
  ["account.balance >= 200", true],
  ["account.balance >= -300", false],
  ["account.balance >>= 400", false],
  ["account.balance=33.22.1", false],
  ["slashing.amount EXISTS", true],
  ["slashing.amount EXISTS AND account.balance=100", true],
  ["account.balance=100 AND slashing.amount EXISTS", true],
  ["slashing EXISTS", true],
  ["hash='136E18F7E4C348B780CF873A0BF43922E5BAFA63'", true],
  ["hash=136E18F7E4C348B780CF873A0BF43922E5BAFA63", false],
  ["cosm-wasm.transfer_amount=100", true],
];

describe("parseQuery", () => {
  it.each(COMETBFT_CASES)("CometBFT case %j valid=%s", (text, valid) => {
    const r = parseQuery(text);
    expect(r.ok).toBe(valid);
    if (r.ok) {
      const printed = queryToString(r.value);
      expect(queryToString(parsed(printed))).toBe(printed);
      expect(parsed(printed)).toEqual(r.value);
    }
  });

  it("builds the AST with operand kinds and source text", () => {
    expect(
      parsed("tm.event='Tx' AND tx.height>=5 AND a.b < 3.25 AND c.d EXISTS AND e.f CONTAINS 'x y'"),
    ).toEqual({
      conditions: [
        { tag: "tm.event", op: "=", operand: { type: "string", text: "Tx" } },
        { tag: "tx.height", op: ">=", operand: { type: "number", text: "5" } },
        { tag: "a.b", op: "<", operand: { type: "number", text: "3.25" } },
        { tag: "c.d", op: "EXISTS" },
        { tag: "e.f", op: "CONTAINS", operand: { type: "string", text: "x y" } },
      ],
    });
    expect(parsed("t.d > DATE 2013-05-03 AND t.t <= TIME 2013-05-03T14:45:00+07:00")).toEqual({
      conditions: [
        { tag: "t.d", op: ">", operand: { type: "date", text: "2013-05-03" } },
        { tag: "t.t", op: "<=", operand: { type: "time", text: "2013-05-03T14:45:00+07:00" } },
      ],
    });
  });

  it("prints the canonical form CometBFT uses as the subscription key", () => {
    expect(queryToString(parsed("tm.event='Tx'  AND  tx.height>5"))).toBe(
      "tm.event = 'Tx' AND tx.height > 5",
    );
    expect(queryToString(parsed("x.y>=DATE 2020-02-29"))).toBe("x.y >= DATE 2020-02-29");
  });

  it("accepts tags with dots, hyphens, underscores, digits and non-ASCII letters", () => {
    const q = parsed("cosm-wasm.transfer_amount=100 AND _x.y2 EXISTS AND 名前.値='é'");
    expect(q.conditions.map((c) => c.tag)).toEqual([
      "cosm-wasm.transfer_amount",
      "_x.y2",
      "名前.値",
    ]);
  });

  it.each([
    ["'incomplete string", 0],
    ["a.b = -23", 6],
    ["a.b & 5", 4],
    ["a.b = DATE xyz-pdq", 11],
    ["a.b = DATE 2021-01-99", 11],
    ["a.b = DATE 2021-02-29", 11],
    ["a.b = TIME 2021-01-01T34:56:18Z", 11],
    ["a.b = TIME 2021-01-01T14:56:08", 11],
    ["a.b = TIME 2021-01-01T14:56:11+3", 11],
    ["a.b CONTAINS 5", 13],
    ["a.b > 'x'", 6],
    ["a.b = 5 b.c = 6", 8],
    ["AND = 5", 0],
  ] as const)("rejects %j at offset %d", (text, offset) => {
    const r = parseQuery(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("QUERY_SYNTAX");
    expect(r.error.message).toMatch(new RegExp(`^offset ${offset}: `));
    expect(r.error.details?.offset).toBe(offset);
    expect(r.error.details?.pointer).toBe(`${text}\n${" ".repeat(offset)}^`);
  });

  it("explains what it wanted", () => {
    const r = parseQuery("tm.event='Tx' AND tx.height >");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toBe(
        "offset 29: got end of query, wanted number, timestamp or datestamp",
      );
    }
    const y = parseQuery("a.b > TIME 1850-01-01T00:00:00Z");
    expect(!y.ok && y.error.message).toBe("offset 11: timestamp year 1850 out of range");
  });
});

describe("query printing (property)", () => {
  it("parse(print(q)) = q", () => {
    fc.assert(
      fc.property(queryArb, (q) => {
        const text = queryToString(q);
        const r = parseQuery(text);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.value).toEqual(q);
      }),
      { numRuns: 2000 },
    );
  });

  it("print(parse(s)) is a fixed point for arbitrary input that parses", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const r = parseQuery(s);
        if (!r.ok) {
          expect(r.error.message).toMatch(/^offset \d+: /);
          return;
        }
        const once = queryToString(r.value);
        expect(queryToString(parsed(once))).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });
});
