// Acceptance 4: a seeded simulation of the QOS app on the real multi-store over LMDB: thousands
// of signed bank and qsc txs (many failing on purpose) in blocks, with the state invariants and
// the fee accounting checked after every block, and the app hash reproduced by a second run.

import { toHex } from "@qos/types";
import { describe, expect, it } from "vitest";
import { addressToBech32 } from "../../src/runtime/address.ts";
import { FEE_COLLECTOR_ADDRESS } from "../../src/runtime/txRunner.ts";
import {
  readSimState,
  type SimAccount,
  type SimState,
  simAccounts,
  startSimChain,
} from "./simChain.ts";
import { createSimPrng } from "./simPrng.ts";
import { createSimGenerator, type Outcome, outcomeOf, SIM_KINDS } from "./simTxGen.ts";

const TXS = Number(process.env.APP_SIM_TXS ?? 10_000);
const TXS_PER_BLOCK = 100;
const ACCOUNTS = 50;
const GENESIS_UQOS = 1_000_000_000_000n;
const CREATION_FEE = 1_000_000n;
const SEED = 20_240_601;
const FEE_COLLECTOR = addressToBech32(FEE_COLLECTOR_ADDRESS);

interface RunReport {
  /** The app hash after each block. */
  readonly appHashes: string[];
  /** `${kind} ${outcome}` → count. */
  readonly outcomes: Map<string, number>;
  readonly txs: number;
  readonly feesPaid: bigint;
}

function genesis(accounts: readonly SimAccount[]) {
  return {
    auth: { accounts: accounts.map((a) => ({ address: a.bech32 })) },
    bank: {
      balances: accounts.map((a) => ({
        address: a.bech32,
        coins: [{ denom: "uqos", amount: GENESIS_UQOS.toString() }],
      })),
    },
    qsc: {
      params: {
        creation_mode: "CREATION_MODE_OPEN",
        creation_fee: { denom: "uqos", amount: CREATION_FEE.toString() },
      },
    },
  };
}

/** The per-block state checks; returns the first broken one (undefined when all hold). */
function checkState(st: SimState): string | undefined {
  const sums = new Map<string, bigint>();
  for (const [key, amount] of st.balances) {
    if (amount <= 0n) return `balance ${key} is ${amount}`;
    const denom = key.split(" ")[1] as string;
    sums.set(denom, (sums.get(denom) ?? 0n) + amount);
  }
  for (const denom of new Set([...sums.keys(), ...st.supply.keys()])) {
    if ((sums.get(denom) ?? 0n) !== (st.supply.get(denom) ?? 0n))
      return `supply of ${denom} is ${st.supply.get(denom)}, balances sum to ${sums.get(denom)}`;
  }
  for (const [key, amount] of st.frozen) {
    const [, denom] = key.split(" ") as [string, string];
    if (amount <= 0n) return `frozen ${key} is ${amount}`;
    if (amount > (st.balances.get(key) ?? 0n))
      return `frozen ${key} is ${amount}, above the balance ${st.balances.get(key) ?? 0n}`;
    if (!st.tokens.has(denom)) return `frozen ${key} of an unknown token`;
  }
  for (const [key, amount] of st.allowances) {
    if (amount <= 0n) return `allowance ${key} is ${amount}`;
  }
  for (const denom of st.paused) if (!st.tokens.has(denom)) return `${denom} paused but unknown`;
  for (const [denom, token] of st.tokens) {
    const cap = BigInt(token.maxSupply);
    if (cap > 0n && (st.supply.get(denom) ?? 0n) > cap)
      return `supply of ${denom} is ${st.supply.get(denom)}, above its max ${cap}`;
  }
  return undefined;
}

async function runSimulation(seed: number, txCount: number): Promise<RunReport> {
  const accounts = simAccounts(ACCOUNTS);
  const chain = await startSimChain(genesis(accounts));
  try {
    await chain.block([]);
    for (const a of accounts) {
      const acc = await chain.account(a.bech32);
      if (acc === undefined) throw new Error(`no genesis account for ${a.bech32}`);
      a.accountNumber = acc.accountNumber;
    }
    const blocks = Math.ceil(txCount / TXS_PER_BLOCK);
    const prng = createSimPrng(seed);
    const gen = createSimGenerator(prng, accounts, blocks);
    const outcomes = new Map<string, number>();
    const appHashes: string[] = [];
    let feesPaid = 0n;
    let created = 0n;
    let state = readSimState(chain.ms);
    expect(checkState(state)).toBeUndefined();
    for (let b = 0, left = txCount; b < blocks; b++, left -= TXS_PER_BLOCK) {
      const txs = gen.block(state, Math.min(TXS_PER_BLOCK, left));
      const { check, results, appHash } = await chain.block(txs.map((t) => t.bytes));
      const where = `seed ${seed} block ${chain.height}`;
      expect(results.length, where).toBe(txs.length);
      let blockFees = 0n;
      txs.forEach((tx, i) => {
        const r = results[i] as (typeof results)[number];
        const got: Outcome = outcomeOf(r);
        const key = `${tx.kind} ${got}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (!tx.allowed.includes(got) || outcomeOf(check[i] as (typeof check)[number]) !== got) {
          expect.fail(
            `${where} tx ${i} (${tx.kind}): FinalizeBlock ${got} (${r.log}), CheckTx ${outcomeOf(check[i] as (typeof check)[number])}; allowed ${tx.allowed.join(", ")}`,
          );
        }
        if (!tx.wrongSequence) blockFees += tx.fee;
        if (tx.kind === "create" && got === "ok") created++;
      });
      const before = state;
      state = readSimState(chain.ms);
      const broken = checkState(state);
      if (broken !== undefined) expect.fail(`${where}: ${broken}`);
      const feeKey = `${FEE_COLLECTOR} uqos`;
      const collected = (state.balances.get(feeKey) ?? 0n) - (before.balances.get(feeKey) ?? 0n);
      expect(collected, `${where}: fees collected`).toBe(blockFees);
      feesPaid += blockFees;
      expect(state.supply.get("uqos"), `${where}: uqos supply`).toBe(
        GENESIS_UQOS * BigInt(ACCOUNTS) - CREATION_FEE * created,
      );
      for (const a of accounts) {
        const acc = await chain.account(a.bech32);
        const want = gen.sequences.get(a.bech32);
        if (acc?.sequence !== want)
          expect.fail(`${where}: ${a.bech32} sequence ${acc?.sequence}, expected ${want}`);
      }
      const invariants = chain.app.checkInvariants();
      if (invariants.length > 0) expect.fail(`${where}: ${invariants.join("; ")}`);
      expect(toHex(chain.ms.lastCommit.appHash), where).toBe(toHex(appHash));
      appHashes.push(toHex(appHash));
    }
    expect(created).toBe(BigInt(gen.tokens.length));
    return { appHashes, outcomes, txs: txCount, feesPaid };
  } finally {
    await chain.close();
  }
}

describe(`app simulation (${TXS} txs, ${ACCOUNTS} accounts, 5 QSC tokens, blocks of ${TXS_PER_BLOCK})`, () => {
  it("keeps every invariant after every block, charges every included tx's fee, and replays to the same app hashes", async () => {
    const first = await runSimulation(SEED, TXS);
    if (process.env.APP_SIM_REPORT !== undefined)
      process.stderr.write(
        `${JSON.stringify([...first.outcomes].sort(), null, 0)}\nlast app hash ${first.appHashes.at(-1)}\n`,
      );
    const count = (pred: (kind: string, outcome: string) => boolean) =>
      [...first.outcomes]
        .filter(([k]) => pred(...(k.split(" ") as [string, string])))
        .reduce((s, [, n]) => s + n, 0);
    // Most txs succeeded; every kind ran and each failure the generator aims at happened (a
    // short run, APP_SIM_TXS below 2,000, may not reach them all; 2,000 do for this seed).
    expect(count((_, o) => o === "ok")).toBeGreaterThan(TXS / 2);
    if (TXS >= 2000) {
      for (const kind of SIM_KINDS)
        expect(
          count((k) => k === kind),
          kind,
        ).toBeGreaterThan(0);
      const aimedAt = ["sdk/5", "sdk/32", "qsc/3", "qsc/4", "qsc/5", "qsc/6", "qsc/7", "qsc/16"];
      for (const o of [...aimedAt, "bank/101", "bank/102"])
        expect(
          count((_, got) => got === o),
          o,
        ).toBeGreaterThan(0);
    }

    const second = await runSimulation(SEED, TXS);
    expect(second.appHashes).toEqual(first.appHashes);
    expect(second.feesPaid).toBe(first.feesPaid);

    // Another seed diverges (compared at the same height).
    const otherTxs = Math.min(TXS, 10 * TXS_PER_BLOCK);
    const other = await runSimulation(SEED + 1, otherTxs);
    const at = other.appHashes.length - 1;
    expect(other.appHashes[at]).not.toBe(first.appHashes[at]);
  }, 600_000);
});
