// The simulation's tx generator: from a seeded PRNG and the committed state at the start of a
// block, signed txs of every bank and qsc kind, each with the outcomes it may have whatever the
// other txs of its block do (success, or the failure it was built to hit).

import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { cosmosBankTx, qosBankTx, qscTx } from "@qos/types";
import { addressToBech32 } from "../../src/runtime/address.ts";
import { packAny } from "../../src/runtime/anyCodec.ts";
import { type SimAccount, type SimState, signSimTx } from "./simChain.ts";
import type { SimPrng } from "./simPrng.ts";

/** "ok" or `${codespace}/${code}`. */
export type Outcome = string;

export function outcomeOf(r: { code: number; codespace: string }): Outcome {
  return r.code === 0 ? "ok" : `${r.codespace}/${r.code}`;
}

export interface SimTx {
  readonly kind: string;
  readonly bytes: Uint8Array;
  /** uqos fee, paid by the first signer unless the tx fails its ante (here: only wrong sequences). */
  readonly fee: bigint;
  readonly signers: readonly SimAccount[];
  readonly wrongSequence: boolean;
  readonly allowed: readonly Outcome[];
}

export interface TokenPlan {
  readonly symbol: string;
  readonly denom: string;
  readonly maxSupply: bigint;
  /** The block (1-based) whose first tx creates it. */
  readonly block: number;
}

export const GAS_LIMIT = 400_000n;
const HUGE = 1n << 200n;
const MOVES: readonly Outcome[] = ["ok", "sdk/5", "qsc/6", "qsc/7"];

const WEIGHTS = {
  sendUqos: 14,
  sendToken: 14,
  sendHuge: 3,
  sendFrozen: 2,
  transfer: 10,
  approve: 5,
  increase: 3,
  decrease: 3,
  decreaseHuge: 1,
  transferFrom: 8,
  transferFromHuge: 1,
  revoke: 2,
  revokeMissing: 1,
  createDuplicate: 1,
  issue: 5,
  issueOverCap: 1,
  issueNotIssuer: 1,
  burn: 4,
  freeze: 5,
  freezeNotIssuer: 1,
  unfreeze: 5,
  unfreezeHuge: 1,
  pauseToggle: 2,
  wrongSequence: 3,
  multiMsgRevert: 2,
} as const;
type Kind = keyof typeof WEIGHTS;

export const SIM_KINDS: readonly string[] = [...Object.keys(WEIGHTS), "create"];

function any<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Any {
  return packAny(schema, create(schema, init));
}

function coin(denom: string, amount: bigint) {
  return { denom, amount: amount.toString() };
}

export interface SimGenerator {
  /** `count` signed txs for the next block (scheduled token creations first). */
  block(state: SimState, count: number): SimTx[];
  /** The next sequence of every account as the generator expects it after the txs so far. */
  readonly sequences: ReadonlyMap<string, bigint>;
  readonly tokens: readonly TokenPlan[];
}

export function createSimGenerator(
  prng: SimPrng,
  accounts: readonly SimAccount[],
  totalBlocks: number,
): SimGenerator {
  const sequences = new Map(accounts.map((a) => [a.bech32, 0n]));
  const symbols = ["STAR", "MOON", "SUN", "COMET", "NOVA"];
  const caps = [1_000_000_000_000n, 0n, 5_000_000_000n, 1_000_000_000_000_000n, 0n];
  const tokens: TokenPlan[] = symbols.map((symbol, i) => ({
    symbol,
    denom: `qsc/${symbol.toLowerCase()}`,
    maxSupply: caps[i] as bigint,
    block: 1 + Math.floor((i * totalBlocks) / 10),
  }));
  let blockNo = 0;

  const acct = (): SimAccount => prng.pick(accounts);
  const other = (a: SimAccount): SimAccount => {
    for (;;) {
      const b = acct();
      if (b !== a) return b;
    }
  };
  const byBech32 = new Map(accounts.map((a) => [a.bech32, a]));
  /** A recipient: mostly a sim account, sometimes an address nobody holds a key for. */
  const recipient = (): string => {
    if (!prng.chance(0.05)) return acct().bech32;
    const bytes = new Uint8Array(20);
    for (let i = 0; i < 20; i += 4) new DataView(bytes.buffer).setUint32(i, prng.u32());
    return addressToBech32(bytes);
  };
  const upTo = (max: bigint): bigint => (max < 1n ? 1n : prng.bigBetween(1n, max));

  function sign(
    kind: string,
    signers: readonly SimAccount[],
    msgs: readonly Any[],
    allowed: readonly Outcome[],
    sequenceShift = 0n,
  ): SimTx {
    const fee = prng.bigBetween(4_000n, 12_000n);
    const bytes = signSimTx(
      signers.map((account) => ({
        account,
        sequence: (sequences.get(account.bech32) ?? 0n) + sequenceShift,
      })),
      msgs,
      fee,
      GAS_LIMIT,
    );
    const wrongSequence = sequenceShift !== 0n;
    if (!wrongSequence) {
      for (const s of signers) sequences.set(s.bech32, (sequences.get(s.bech32) ?? 0n) + 1n);
    }
    return { kind, bytes, fee, signers, wrongSequence, allowed };
  }

  function generate(kind: Kind, st: SimState): SimTx {
    const live = tokens.filter((t) => st.tokens.has(t.denom));
    const balance = (who: string, denom: string) => st.balances.get(`${who} ${denom}`) ?? 0n;
    const frozenOf = (who: string, denom: string) => st.frozen.get(`${who} ${denom}`) ?? 0n;
    const unfrozen = (who: string, denom: string) => balance(who, denom) - frozenOf(who, denom);
    const issuerOf = (denom: string): SimAccount | undefined =>
      byBech32.get(st.tokens.get(denom)?.issuer ?? "");
    /** A holder of `denom` among the sim accounts (any account if nobody holds it). */
    const holder = (denom: string): SimAccount => {
      const holders = accounts.filter((a) => balance(a.bech32, denom) > 0n);
      return holders.length > 0 ? prng.pick(holders) : acct();
    };
    const allowances = [...st.allowances.keys()]
      .map((k) => k.split(" ") as [string, string, string])
      .filter(([o, s]) => byBech32.has(o) && byBech32.has(s));

    const sendMsg = (from: SimAccount, to: string, denom: string, amount: bigint) =>
      any(cosmosBankTx.MsgSendSchema, {
        fromAddress: from.bech32,
        toAddress: to,
        amount: [coin(denom, amount)],
      });

    const needsToken = live.length === 0 && kind !== "wrongSequence" && kind !== "multiMsgRevert";
    const tokenKinds: readonly Kind[] = [
      "sendToken",
      "sendFrozen",
      "createDuplicate",
      "issue",
      "issueOverCap",
      "issueNotIssuer",
      "burn",
      "freeze",
      "freezeNotIssuer",
      "unfreeze",
      "unfreezeHuge",
      "pauseToggle",
    ];
    if (needsToken && tokenKinds.includes(kind)) return generate("sendUqos", st);
    const token = live.length > 0 ? prng.pick(live) : undefined;

    switch (kind) {
      case "sendUqos": {
        const a = acct();
        return sign(kind, [a], [sendMsg(a, recipient(), "uqos", upTo(1_000_000n))], ["ok"]);
      }
      case "sendToken": {
        const t = token as TokenPlan;
        const a = holder(t.denom);
        const amount = upTo(unfrozen(a.bech32, t.denom) / 4n);
        return sign(kind, [a], [sendMsg(a, recipient(), t.denom, amount)], MOVES);
      }
      case "sendFrozen": {
        const t = token as TokenPlan;
        const held = accounts.filter((a) => frozenOf(a.bech32, t.denom) > 0n);
        if (held.length === 0) return generate("freeze", st);
        const a = prng.pick(held);
        const amount = unfrozen(a.bech32, t.denom) + upTo(frozenOf(a.bech32, t.denom));
        return sign(kind, [a], [sendMsg(a, recipient(), t.denom, amount)], MOVES);
      }
      case "sendHuge": {
        const a = acct();
        const denom = token !== undefined && prng.chance(0.5) ? token.denom : "uqos";
        const allowed = denom === "uqos" ? ["sdk/5"] : ["sdk/5", "qsc/6"];
        return sign(kind, [a], [sendMsg(a, recipient(), denom, HUGE)], allowed);
      }
      case "transfer": {
        const denom = token !== undefined && prng.chance(0.5) ? token.denom : "uqos";
        const pool = [...accounts];
        const take = (): SimAccount => pool.splice(prng.below(pool.length), 1)[0] as SimAccount;
        const senders = Array.from({ length: 1 + prng.below(3) }, take);
        const sent = senders.map((s) =>
          denom === "uqos" ? upTo(100_000n) : upTo(unfrozen(s.bech32, denom) / 4n),
        );
        const total = sent.reduce((x, y) => x + y, 0n);
        const receivers = Array.from({ length: 1 + prng.below(3) }, take);
        const got = receivers.map(() => 0n);
        for (let i = 0, left = total; left > 0n; i = (i + 1) % receivers.length) {
          const part = i === receivers.length - 1 ? left : prng.bigBetween(0n, left);
          got[i] = (got[i] as bigint) + part;
          left -= part;
        }
        const items = (list: SimAccount[], amounts: bigint[]) =>
          list
            .map((a, i) => ({ address: a.bech32, coins: [coin(denom, amounts[i] as bigint)] }))
            .filter((it) => it.coins[0]?.amount !== "0");
        const msg = any(qosBankTx.MsgTransferSchema, {
          senders: items(senders, sent),
          receivers: items(receivers, got),
        });
        return sign(kind, senders, [msg], denom === "uqos" ? ["ok"] : MOVES);
      }
      case "approve":
      case "increase": {
        const a = acct();
        const denoms = ["uqos", ...live.map((t) => t.denom)];
        const picked = [...new Set([prng.pick(denoms), prng.pick(denoms)])].sort();
        const init = {
          owner: a.bech32,
          spender: other(a).bech32,
          coins: picked.map((d) => coin(d, upTo(1_000_000n))),
        };
        const msg =
          kind === "approve"
            ? any(qosBankTx.MsgApproveSchema, init)
            : any(qosBankTx.MsgIncreaseAllowanceSchema, init);
        return sign(kind, [a], [msg], ["ok"]);
      }
      case "decrease":
      case "decreaseHuge":
      case "transferFrom":
      case "revoke": {
        if (allowances.length === 0) return generate("approve", st);
        const [o, s, denom] = prng.pick(allowances);
        const owner = byBech32.get(o) as SimAccount;
        const spender = byBech32.get(s) as SimAccount;
        const have = st.allowances.get(`${o} ${s} ${denom}`) ?? 0n;
        if (kind === "decrease" || kind === "decreaseHuge") {
          const amount = kind === "decrease" ? upTo(have) : HUGE;
          const msg = any(qosBankTx.MsgDecreaseAllowanceSchema, {
            owner: o,
            spender: s,
            coins: [coin(denom, amount)],
          });
          const allowed =
            kind === "decrease" ? ["ok", "bank/101", "bank/102"] : ["bank/101", "bank/102"];
          return sign(kind, [owner], [msg], allowed);
        }
        if (kind === "revoke") {
          const msg = any(qosBankTx.MsgRevokeAllowanceSchema, {
            owner: o,
            spender: s,
            denoms: prng.chance(0.5) ? [denom] : [],
          });
          return sign(kind, [owner], [msg], ["ok", "bank/101"]);
        }
        const cap = have < unfrozen(o, denom) ? have : unfrozen(o, denom);
        const msg = any(qosBankTx.MsgTransferFromSchema, {
          spender: s,
          owner: o,
          to: recipient(),
          coins: [coin(denom, upTo(cap / 2n))],
        });
        return sign(kind, [spender], [msg], [...MOVES, "bank/102"]);
      }
      case "revokeMissing": {
        const a = acct();
        const b = other(a);
        const denom = token !== undefined && prng.chance(0.5) ? token.denom : "uqos";
        if (st.allowances.has(`${a.bech32} ${b.bech32} ${denom}`)) return generate("revoke", st);
        const msg = any(qosBankTx.MsgRevokeAllowanceSchema, {
          owner: a.bech32,
          spender: b.bech32,
          denoms: [denom],
        });
        // An approve earlier in the same block may have made one.
        return sign(kind, [a], [msg], ["bank/101", "ok"]);
      }
      case "transferFromHuge": {
        const a = acct();
        const msg = any(qosBankTx.MsgTransferFromSchema, {
          spender: a.bech32,
          owner: other(a).bech32,
          to: recipient(),
          coins: [coin(token !== undefined ? token.denom : "uqos", HUGE)],
        });
        return sign(kind, [a], [msg], ["bank/102"]);
      }
      case "createDuplicate": {
        const t = token as TokenPlan;
        const a = acct();
        const symbol = prng.chance(0.5) ? t.symbol : t.symbol.toLowerCase();
        const msg = any(qscTx.MsgCreateTokenSchema, {
          creator: a.bech32,
          symbol,
          name: `Copy of ${t.symbol}`,
          decimals: 6,
        });
        return sign(kind, [a], [msg], ["qsc/3"]);
      }
      case "issue":
      case "issueOverCap":
      case "issueNotIssuer": {
        const capped = live.filter((t) => t.maxSupply > 0n);
        const t =
          kind === "issueOverCap"
            ? capped.length > 0
              ? prng.pick(capped)
              : undefined
            : (token as TokenPlan);
        if (t === undefined) return generate("issue", st);
        const issuer = issuerOf(t.denom) as SimAccount;
        const signer = kind === "issueNotIssuer" ? other(issuer) : issuer;
        const amount = kind === "issueOverCap" ? t.maxSupply + 1n : upTo(1_000_000n);
        const msg = any(qscTx.MsgIssueSchema, {
          issuer: signer.bech32,
          denom: t.denom,
          amount: amount.toString(),
          to: prng.chance(0.5) ? recipient() : "",
        });
        const allowed =
          kind === "issue"
            ? ["ok", "qsc/5", "qsc/6"]
            : kind === "issueOverCap"
              ? ["qsc/5", "qsc/6"]
              : ["qsc/4"];
        return sign(kind, [signer], [msg], allowed);
      }
      case "burn": {
        const t = token as TokenPlan;
        const a = holder(t.denom);
        const msg = any(qscTx.MsgBurnSchema, {
          owner: a.bech32,
          denom: t.denom,
          amount: upTo(unfrozen(a.bech32, t.denom) / 4n).toString(),
        });
        return sign(kind, [a], [msg], MOVES);
      }
      case "freeze":
      case "freezeNotIssuer": {
        const t = token as TokenPlan;
        const issuer = issuerOf(t.denom) as SimAccount;
        const h = holder(t.denom);
        const signer = kind === "freeze" ? issuer : other(issuer);
        const msg = any(qscTx.MsgFreezeSchema, {
          issuer: signer.bech32,
          denom: t.denom,
          holder: h.bech32,
          amount: upTo(unfrozen(h.bech32, t.denom) / 2n).toString(),
        });
        return sign(kind, [signer], [msg], kind === "freeze" ? ["ok", "qsc/15"] : ["qsc/4"]);
      }
      case "unfreeze":
      case "unfreezeHuge": {
        const t = token as TokenPlan;
        const issuer = issuerOf(t.denom) as SimAccount;
        const entries = accounts.filter((a) => frozenOf(a.bech32, t.denom) > 0n);
        if (entries.length === 0 && kind === "unfreeze") return generate("freeze", st);
        const h = entries.length > 0 ? prng.pick(entries) : acct();
        const amount = kind === "unfreeze" ? upTo(frozenOf(h.bech32, t.denom)) : HUGE;
        const msg = any(qscTx.MsgUnfreezeSchema, {
          issuer: issuer.bech32,
          denom: t.denom,
          holder: h.bech32,
          amount: amount.toString(),
        });
        return sign(kind, [issuer], [msg], kind === "unfreeze" ? ["ok", "qsc/16"] : ["qsc/16"]);
      }
      case "pauseToggle": {
        const pausedNow = live.filter((t) => st.paused.has(t.denom));
        const t =
          pausedNow.length > 0 && prng.chance(0.8) ? prng.pick(pausedNow) : (token as TokenPlan);
        const issuer = issuerOf(t.denom) as SimAccount;
        const init = { issuer: issuer.bech32, denom: t.denom };
        return st.paused.has(t.denom)
          ? sign(kind, [issuer], [any(qscTx.MsgUnpauseSchema, init)], ["ok", "qsc/18"])
          : sign(kind, [issuer], [any(qscTx.MsgPauseSchema, init)], ["ok", "qsc/17"]);
      }
      case "wrongSequence": {
        const a = acct();
        const next = sequences.get(a.bech32) ?? 0n;
        const shift = next > 0n && prng.chance(0.5) ? -1n : prng.bigBetween(1n, 3n);
        return sign(kind, [a], [sendMsg(a, recipient(), "uqos", 1n)], ["sdk/32"], shift);
      }
      case "multiMsgRevert": {
        const a = acct();
        const msgs = [
          sendMsg(a, recipient(), "uqos", upTo(1000n)),
          sendMsg(a, recipient(), "uqos", HUGE),
        ];
        return sign(kind, [a], msgs, ["sdk/5"]);
      }
    }
  }

  return {
    sequences,
    tokens,
    block(state, count) {
      blockNo++;
      const txs: SimTx[] = [];
      for (const t of tokens) {
        if (t.block !== blockNo) continue;
        const creator = acct();
        const issuer = prng.chance(0.5) ? creator : other(creator);
        const holders = [...new Set([creator, acct(), acct()])].map((h) => ({
          address: h.bech32,
          amount: upTo(t.maxSupply > 0n ? t.maxSupply / 100n : 1_000_000_000n).toString(),
        }));
        const msg = any(qscTx.MsgCreateTokenSchema, {
          creator: creator.bech32,
          symbol: t.symbol,
          name: `${t.symbol} token`,
          decimals: prng.below(19),
          issuer: issuer.bech32,
          maxSupply: t.maxSupply.toString(),
          initialHolders: holders,
        });
        txs.push(sign("create", [creator], [msg], ["ok"]));
      }
      while (txs.length < count) txs.push(generate(prng.weighted(WEIGHTS), state));
      return txs;
    },
  };
}
