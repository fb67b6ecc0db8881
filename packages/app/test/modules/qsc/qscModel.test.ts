// Property: random sequences of qsc operations (transfer through bank, issue, burn, freeze,
// unfreeze, pause, unpause, by random callers) against a small model of balances, frozen
// amounts, paused flags and supply. Every op succeeds or fails exactly as the model says, a
// failure writes nothing, and the module's invariants hold after every step.

import { qscTx } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QSC_ERROR } from "../../../src/modules/qsc/qscErrors.ts";
import { isAppError } from "../../../src/runtime/module.ts";
import { account, createHarness, type Harness } from "./qscHarness.ts";

const accounts = [account(1), account(2), account(3), account(4)];
const acct = (i: number) => accounts[i] as (typeof accounts)[number];
/** Token 0 is issued by account 0 (cap 1000), token 1 by account 1 (no cap). */
const TOKENS = [
  { symbol: "AAA", denom: "qsc/aaa", issuer: 0, max: 1000n },
  { symbol: "BBB", denom: "qsc/bbb", issuer: 1, max: 0n },
] as const;
const tok = (i: number) => TOKENS[i] as (typeof TOKENS)[number];

type Op =
  | { kind: "transfer"; from: number; to: number; token: number; amount: bigint }
  | { kind: "issue"; caller: number; to: number; token: number; amount: bigint }
  | { kind: "burn"; caller: number; token: number; amount: bigint }
  | { kind: "freeze" | "unfreeze"; caller: number; holder: number; token: number; amount: bigint }
  | { kind: "pause" | "unpause"; caller: number; token: number };

const who = fc.integer({ min: 0, max: 3 });
const token = fc.integer({ min: 0, max: 1 });
const amount = fc.oneof(
  { arbitrary: fc.bigInt({ min: 1n, max: 150n }), weight: 8 },
  { arbitrary: fc.constant(0n), weight: 1 },
  { arbitrary: fc.bigInt({ min: 150n, max: 1200n }), weight: 1 },
);
/** A token and a caller that is its issuer three times in four. */
const tokenAndCaller = fc
  .tuple(token, fc.oneof({ arbitrary: fc.constant(-1), weight: 3 }, { arbitrary: who, weight: 1 }))
  .map(([t, c]) => ({ token: t, caller: c === -1 ? tok(t).issuer : c }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("transfer" as const),
      from: who,
      to: who,
      token,
      amount: amount.map((a) => a + 1n),
    }),
    weight: 4,
  },
  fc
    .record({ kind: fc.constant("issue" as const), tc: tokenAndCaller, to: who, amount })
    .map(({ tc, ...o }) => ({ ...o, ...tc })),
  {
    arbitrary: fc.record({ kind: fc.constant("burn" as const), caller: who, token, amount }),
    weight: 2,
  },
  {
    arbitrary: fc
      .record({
        kind: fc.constantFrom("freeze" as const, "unfreeze" as const),
        tc: tokenAndCaller,
        holder: who,
        amount,
      })
      .map(({ tc, ...o }) => ({ ...o, ...tc })),
    weight: 3,
  },
  fc
    .record({ kind: fc.constantFrom("pause" as const, "unpause" as const), tc: tokenAndCaller })
    .map(({ tc, ...o }) => ({ ...o, ...tc })),
);

interface Model {
  balance: bigint[][]; // [token][account]
  frozen: bigint[][];
  paused: boolean[];
  supply: bigint[];
}

type Outcome = "ok" | `${string}/${number}`;

const qsc = (name: keyof typeof QSC_ERROR): Outcome => `qsc/${QSC_ERROR[name]}`;

/** What the model says `op` does: mutates `m` on success, returns the outcome. */
function step(m: Model, op: Op): Outcome {
  const t = op.token;
  const bal = m.balance[t] as bigint[];
  const frz = m.frozen[t] as bigint[];
  const notIssuer = "caller" in op && op.caller !== tok(t).issuer;
  switch (op.kind) {
    case "transfer": {
      if (m.paused[t]) return qsc("paused");
      const b = bal[op.from] as bigint;
      if (op.amount <= b && op.amount > b - (frz[op.from] as bigint)) return qsc("frozenFunds");
      if (op.amount > b) return "sdk/5";
      bal[op.from] = b - op.amount;
      bal[op.to] = (bal[op.to] as bigint) + op.amount;
      return "ok";
    }
    case "issue": {
      if (op.amount === 0n) return qsc("invalidAmount");
      if (notIssuer) return qsc("notIssuer");
      if (m.paused[t]) return qsc("paused");
      const cap = tok(t).max === 0n ? (1n << 256n) - 1n : tok(t).max;
      if ((m.supply[t] as bigint) + op.amount > cap) return qsc("overMaxSupply");
      bal[op.to] = (bal[op.to] as bigint) + op.amount;
      m.supply[t] = (m.supply[t] as bigint) + op.amount;
      return "ok";
    }
    case "burn": {
      if (op.amount === 0n) return qsc("invalidAmount");
      if (m.paused[t]) return qsc("paused");
      const b = bal[op.caller] as bigint;
      if (op.amount <= b && op.amount > b - (frz[op.caller] as bigint)) return qsc("frozenFunds");
      if (op.amount > b) return "sdk/5";
      bal[op.caller] = b - op.amount;
      m.supply[t] = (m.supply[t] as bigint) - op.amount;
      return "ok";
    }
    case "freeze": {
      if (op.amount === 0n) return qsc("invalidAmount");
      if (notIssuer) return qsc("notIssuer");
      if ((frz[op.holder] as bigint) + op.amount > (bal[op.holder] as bigint))
        return qsc("freezeExceedsBalance");
      frz[op.holder] = (frz[op.holder] as bigint) + op.amount;
      return "ok";
    }
    case "unfreeze": {
      if (op.amount === 0n) return qsc("invalidAmount");
      if (notIssuer) return qsc("notIssuer");
      if (op.amount > (frz[op.holder] as bigint)) return qsc("unfreezeExceedsFrozen");
      frz[op.holder] = (frz[op.holder] as bigint) - op.amount;
      return "ok";
    }
    case "pause":
      if (notIssuer) return qsc("notIssuer");
      if (m.paused[t]) return qsc("alreadyPaused");
      m.paused[t] = true;
      return "ok";
    case "unpause":
      if (notIssuer) return qsc("notIssuer");
      if (!m.paused[t]) return qsc("notPaused");
      m.paused[t] = false;
      return "ok";
  }
}

/** Runs `op` against the module (transfers through bank.send); returns the outcome. */
function apply(h: Harness, op: Op): Outcome {
  const denom = tok(op.token).denom;
  const before = h.snapshot();
  try {
    switch (op.kind) {
      case "transfer":
        h.bank.send(h.ctx(), acct(op.from).address, acct(op.to).address, [
          { denom, amount: op.amount },
        ]);
        break;
      case "issue":
        h.run(qscTx.MsgIssueSchema, {
          issuer: acct(op.caller).bech32,
          denom,
          amount: op.amount.toString(),
          to: acct(op.to).bech32,
        });
        break;
      case "burn":
        h.run(qscTx.MsgBurnSchema, {
          owner: acct(op.caller).bech32,
          denom,
          amount: op.amount.toString(),
        });
        break;
      case "freeze":
      case "unfreeze":
        h.run(op.kind === "freeze" ? qscTx.MsgFreezeSchema : qscTx.MsgUnfreezeSchema, {
          issuer: acct(op.caller).bech32,
          denom,
          holder: acct(op.holder).bech32,
          amount: op.amount.toString(),
        });
        break;
      case "pause":
      case "unpause":
        h.run(op.kind === "pause" ? qscTx.MsgPauseSchema : qscTx.MsgUnpauseSchema, {
          issuer: acct(op.caller).bech32,
          denom,
        });
        break;
    }
    return "ok";
  } catch (e) {
    if (!isAppError(e)) throw e;
    expect(h.snapshot(), `${op.kind} failed after writing`).toBe(before);
    return `${e.codespace}/${e.code}`;
  }
}

function checkAgainstModel(h: Harness, m: Model): void {
  const ctx = h.ctx();
  for (const [t, spec] of TOKENS.entries()) {
    expect(h.bank.supply(ctx, spec.denom)).toBe(m.supply[t]);
    expect(h.module.keeper.isPaused(ctx, spec.denom)).toBe(m.paused[t]);
    for (const [i, a] of accounts.entries()) {
      expect(h.bank.balance(ctx, a.address, spec.denom)).toBe(m.balance[t]?.[i]);
      expect(h.module.keeper.frozen(ctx, spec.denom, a.address)).toBe(m.frozen[t]?.[i]);
    }
  }
  for (const inv of h.module.invariants) expect(inv.check({ ...ctx }), inv.name).toEqual([]);
}

describe("qsc against a model", () => {
  it("random op sequences behave as ERC20 plus freeze and pause; invariants hold", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 60 }), (ops) => {
        const h = createHarness();
        for (const spec of TOKENS) {
          h.run(qscTx.MsgCreateTokenSchema, {
            creator: acct(spec.issuer).bech32,
            symbol: spec.symbol,
            name: spec.symbol,
            decimals: 0,
            maxSupply: spec.max.toString(),
            initialHolders: accounts.map((a) => ({ address: a.bech32, amount: "100" })),
          });
        }
        const m: Model = {
          balance: TOKENS.map(() => [100n, 100n, 100n, 100n]),
          frozen: TOKENS.map(() => [0n, 0n, 0n, 0n]),
          paused: TOKENS.map(() => false),
          supply: TOKENS.map(() => 400n),
        };
        for (const op of ops) {
          const want = step(m, op);
          expect(
            apply(h, op),
            JSON.stringify(op, (_k, v) => (typeof v === "bigint" ? `${v}` : v)),
          ).toBe(want);
          checkAgainstModel(h, m);
        }
      }),
      { numRuns: 200 },
    );
  });
});
