// Proven queries end to end on the real multi-store over LMDB: the node proves every key and
// range a query handler read (ICS-23 batches), the client re-runs the handler over the proven
// facts alone. Every app query path verifies, failures too; a changed answer, a missing or
// altered proof entry, another app hash or an older proof each fail. A property test drives
// random key sets, gets and ranges (forward, reverse, stopped early) through a test handler; garbage
// requests on every path get an answer whose proof verifies.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type StoreProofOp, verifyStoreReads } from "@qos/crypto";
import { type NodeDb, openMultiStore, openNodeDb } from "@qos/store";
import { cosmosAuthQuery, cosmosBankQuery, ics23, qosBankQuery, qscQuery, qscTx } from "@qos/types";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../store/test/tempDir.ts";
import { TOKEN_KEY_PREFIX } from "../../src/modules/qsc/qscKeys.ts";
import { qosQueryHandlers } from "../../src/qosApp.ts";
import { addressToBech32 } from "../../src/runtime/address.ts";
import { packAny } from "../../src/runtime/anyCodec.ts";
import { AppError, type QueryHandler } from "../../src/runtime/module.ts";
import { verifyQueryAnswer } from "../../src/runtime/provenQuery.ts";
import { createReadRecorder, successorKey } from "../../src/runtime/queryReads.ts";
import {
  CHAIN_ID,
  type Harness,
  MNEMONICS,
  makeSigner,
  type Signer,
  signTx,
  startApp,
} from "./appHarness.ts";

const handlers = qosQueryHandlers();
const SYMBOLS = ["TKA", "TKB", "TKC", "TKD", "TKE", "TKF", "TKG", "TKH", "TKI", "TKJ", "TKK"];

interface Answer {
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  readonly value: Uint8Array;
  readonly height: bigint;
  readonly proofOps: readonly StoreProofOp[];
}

async function chain(): Promise<{ h: Harness; alice: string; bob: string; signer: Signer }> {
  const signer = await makeSigner(MNEMONICS[0] as string);
  const alice = signer.address;
  const bob = (await makeSigner(MNEMONICS[1] as string)).address;
  const tokens = SYMBOLS.map((symbol) => ({
    denom: `qsc/${symbol.toLowerCase()}`,
    symbol,
    name: `token ${symbol}`,
    decimals: 6,
    issuer: alice,
    max_supply: "0",
  }));
  const h = await startApp({
    auth: { accounts: [{ address: alice }, { address: bob }] },
    bank: {
      balances: [
        {
          address: alice,
          coins: [
            { denom: "uqos", amount: "5000000" },
            ...tokens.map((t, i) => ({ denom: t.denom, amount: String(1000 + i) })),
          ],
        },
        { address: bob, coins: [{ denom: "qsc/tkc", amount: "77" }] },
      ],
    },
    qsc: {
      tokens,
      frozen: [{ denom: "qsc/tkc", address: bob, amount: "7" }],
      paused: ["qsc/tkb"],
    },
  });
  await h.block([]);
  return { h, alice, bob, signer };
}

async function appHash(h: Harness): Promise<Uint8Array> {
  return (await h.app.info({ version: "", blockVersion: 11n, p2pVersion: 8n })).lastBlockAppHash;
}

async function ask(h: Harness, path: string, request: Uint8Array, height = 0n): Promise<Answer> {
  const r = await h.app.query({ path, data: request, prove: true, height });
  return { ...r, proofOps: r.proofOps ?? [] };
}

function check(
  hash: Uint8Array,
  path: string,
  request: Uint8Array,
  a: Answer,
): { ok: boolean; message?: string } {
  return verifyQueryAnswer({
    appHash: hash,
    chainId: CHAIN_ID,
    height: a.height,
    handler: handlers.get(path) as QueryHandler,
    request,
    code: a.code,
    codespace: a.codespace,
    log: a.log,
    value: a.value,
    proofOps: a.proofOps,
  });
}

/** The op list with batch entry `i` of the first iavl op left out. */
function withoutEntry(ops: readonly StoreProofOp[], i: number): StoreProofOp[] {
  const [first, ...rest] = ops as [StoreProofOp, ...StoreProofOp[]];
  const proof = fromBinary(ics23.CommitmentProofSchema, first.data);
  if (proof.proof.case !== "batch") throw new Error("not a batch");
  proof.proof.value.entries.splice(i, 1);
  return [{ ...first, data: toBinary(ics23.CommitmentProofSchema, proof) }, ...rest];
}

/** The key each batch entry proves (present or absent). */
function entryKeys(op: StoreProofOp): Uint8Array[] {
  const proof = fromBinary(ics23.CommitmentProofSchema, op.data);
  if (proof.proof.case !== "batch") throw new Error("not a batch");
  return proof.proof.value.entries.map((e) => (e.proof.value as { key: Uint8Array }).key);
}

function entries(op: StoreProofOp): number {
  const proof = fromBinary(ics23.CommitmentProofSchema, op.data);
  return proof.proof.case === "batch" ? proof.proof.value.entries.length : -1;
}

describe("proven queries (QOS app, real store)", () => {
  it("every query path verifies, successes and failures alike, pages included", async () => {
    const { h, alice, bob } = await chain();
    const hash = await appHash(h);
    const page = (p: object) => create(cosmosBankQuery.QueryAllBalancesRequestSchema, p).pagination;
    const cases: [string, Uint8Array, number][] = [
      [
        "/cosmos.auth.v1beta1.Query/Account",
        toBinary(
          cosmosAuthQuery.QueryAccountRequestSchema,
          create(cosmosAuthQuery.QueryAccountRequestSchema, { address: alice }),
        ),
        0,
      ],
      [
        "/cosmos.auth.v1beta1.Query/Account",
        toBinary(
          cosmosAuthQuery.QueryAccountRequestSchema,
          create(cosmosAuthQuery.QueryAccountRequestSchema, {
            address: addressToBech32(new Uint8Array(20).fill(3)),
          }),
        ),
        22,
      ],
      [
        "/cosmos.bank.v1beta1.Query/Balance",
        toBinary(
          cosmosBankQuery.QueryBalanceRequestSchema,
          create(cosmosBankQuery.QueryBalanceRequestSchema, { address: bob, denom: "qsc/tkc" }),
        ),
        0,
      ],
      [
        "/cosmos.bank.v1beta1.Query/Balance",
        toBinary(
          cosmosBankQuery.QueryBalanceRequestSchema,
          create(cosmosBankQuery.QueryBalanceRequestSchema, { address: bob, denom: "uqos" }),
        ),
        0,
      ],
      ...[
        {},
        { limit: 3n },
        { limit: 4n, offset: 5n, countTotal: true },
        { limit: 2n, reverse: true },
      ].map((p): [string, Uint8Array, number] => [
        "/cosmos.bank.v1beta1.Query/AllBalances",
        toBinary(
          cosmosBankQuery.QueryAllBalancesRequestSchema,
          create(cosmosBankQuery.QueryAllBalancesRequestSchema, {
            address: alice,
            pagination: page({ pagination: p }),
          }),
        ),
        0,
      ]),
      [
        "/qos.bank.v1.Query/Allowances",
        toBinary(
          qosBankQuery.QueryAllowancesRequestSchema,
          create(qosBankQuery.QueryAllowancesRequestSchema, { owner: alice }),
        ),
        0,
      ],
      ...["TKB", "qsc/tkk", "NOPE"].map((denom): [string, Uint8Array, number] => [
        "/qos.qsc.v1.Query/Token",
        toBinary(
          qscQuery.QueryTokenRequestSchema,
          create(qscQuery.QueryTokenRequestSchema, { denom }),
        ),
        denom === "NOPE" ? 2 : 0,
      ]),
      ...[
        {},
        { limit: 5n },
        { limit: 3n, offset: 9n },
        { limit: 4n, reverse: true, countTotal: true },
      ].map((p): [string, Uint8Array, number] => [
        "/qos.qsc.v1.Query/Tokens",
        toBinary(
          qscQuery.QueryTokensRequestSchema,
          create(qscQuery.QueryTokensRequestSchema, { pagination: page({ pagination: p }) }),
        ),
        0,
      ]),
      [
        "/qos.qsc.v1.Query/Frozen",
        toBinary(
          qscQuery.QueryFrozenRequestSchema,
          create(qscQuery.QueryFrozenRequestSchema, { denom: "qsc/tkc", address: bob }),
        ),
        0,
      ],
    ];
    // Every registered path, also with an empty request (its default or its error).
    for (const path of handlers.keys()) cases.push([path, new Uint8Array(), -1]);
    for (const [path, request, code] of cases) {
      const a = await ask(h, path, request);
      if (code >= 0) expect([path, a.code]).toEqual([path, code]);
      expect([path, check(hash, path, request, a)]).toEqual([path, { ok: true }]);
    }
    // A next_key page: the second page of Tokens, by key.
    const first = await ask(
      h,
      "/qos.qsc.v1.Query/Tokens",
      toBinary(
        qscQuery.QueryTokensRequestSchema,
        create(qscQuery.QueryTokensRequestSchema, {
          pagination: page({ pagination: { limit: 4n } }),
        }),
      ),
    );
    const nextKey = fromBinary(qscQuery.QueryTokensResponseSchema, first.value).pagination?.nextKey;
    expect(nextKey?.length).toBeGreaterThan(0);
    const req = toBinary(
      qscQuery.QueryTokensRequestSchema,
      create(qscQuery.QueryTokensRequestSchema, {
        pagination: page({ pagination: { key: nextKey, limit: 4n } }),
      }),
    );
    const second = await ask(h, "/qos.qsc.v1.Query/Tokens", req);
    expect(
      fromBinary(qscQuery.QueryTokensResponseSchema, second.value).tokens.map(
        (t) => t.token?.symbol,
      ),
    ).toEqual(["TKE", "TKF", "TKG", "TKH"]);
    expect(check(hash, "/qos.qsc.v1.Query/Tokens", req, second)).toEqual({ ok: true });
  });

  it("garbage requests on every path: an answer, never a crash, and a proof of that answer", async () => {
    const { h } = await chain();
    const hash = await appHash(h);
    const paths = [...handlers.keys()];
    const samples = fc.sample(
      fc.tuple(fc.constantFrom(...paths), fc.uint8Array({ maxLength: 80 })),
      { seed: 3, numRuns: 200 },
    );
    for (const [path, request] of samples) {
      const a = await ask(h, path, request);
      expect([path, check(hash, path, request, a)]).toEqual([path, { ok: true }]);
    }
  });

  it("a changed answer, a missing or altered proof entry, another app hash or an older proof fail", async () => {
    const { h, alice, signer } = await chain();
    const path = "/qos.qsc.v1.Query/Tokens";
    const request = toBinary(
      qscQuery.QueryTokensRequestSchema,
      create(qscQuery.QueryTokensRequestSchema, {}),
    );
    const old = await ask(h, path, request);
    const oldHash = await appHash(h);
    expect(check(oldHash, path, request, old)).toEqual({ ok: true });

    // An issue of TKA: its supply in the answer and the app hash change.
    const issue = packAny(
      qscTx.MsgIssueSchema,
      create(qscTx.MsgIssueSchema, { issuer: alice, denom: "qsc/tka", amount: "5" }),
    );
    const { results } = await h.block([
      await signTx(signer, [issue], { accountNumber: 0n, sequence: 0n }),
    ]);
    expect(results[0]?.code).toBe(0);
    const a = await ask(h, path, request);
    const hash = await appHash(h);
    expect(check(hash, path, request, a)).toEqual({ ok: true });

    // The answer without one token, with a token changed, or as a failure.
    const res = fromBinary(qscQuery.QueryTokensResponseSchema, a.value);
    const fewer = {
      ...a,
      value: toBinary(qscQuery.QueryTokensResponseSchema, { ...res, tokens: res.tokens.slice(1) }),
    };
    expect(check(hash, path, request, fewer)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/differs/),
    });
    const changed = structuredClone(res);
    (changed.tokens[3] as qscQuery.TokenInfo).supply = "1";
    const lie = { ...a, value: toBinary(qscQuery.QueryTokensResponseSchema, changed) };
    expect(check(hash, path, request, lie).ok).toBe(false);
    expect(
      check(hash, path, request, { ...a, code: 2, codespace: "qsc", log: "no tokens" }).ok,
    ).toBe(false);

    // Each entry of the token records' chain is needed (other entries may prove one gap twice:
    // the paused flags of neighbouring tokens).
    const op = a.proofOps[0] as StoreProofOp;
    const keys = entryKeys(op);
    const linked = keys.flatMap((k, i) => (k[0] === TOKEN_KEY_PREFIX[0] ? [i] : []));
    expect(linked.length).toBe(SYMBOLS.length + 1);
    for (const i of linked) {
      const v = check(hash, path, request, { ...a, proofOps: withoutEntry(a.proofOps, i) });
      expect([i, v]).toEqual([i, { ok: false, message: expect.stringMatching(/does not cover/) }]);
    }
    // No proof at all, or the ops of another query.
    expect(check(hash, path, request, { ...a, proofOps: [] }).ok).toBe(false);
    const balanceReq = toBinary(
      cosmosBankQuery.QueryAllBalancesRequestSchema,
      create(cosmosBankQuery.QueryAllBalancesRequestSchema, { address: alice }),
    );
    const other = await ask(h, "/cosmos.bank.v1beta1.Query/AllBalances", balanceReq);
    expect(check(hash, path, request, { ...a, proofOps: other.proofOps }).ok).toBe(false);

    // Another app hash; the older answer and proof against the newer hash.
    expect(check(new Uint8Array(32).fill(1), path, request, a).ok).toBe(false);
    expect(check(hash, path, request, old).ok).toBe(false);
  });
});

// --- random reads through a test handler ----------------------------------------------------

const dbs: NodeDb[] = [];
afterAll(async () => {
  for (const db of dbs) await db.close();
});

/** A handler reading what the request says and answering every value it saw, in order. */
const readsHandler: QueryHandler = {
  path: "/test.Reads",
  handle(ctx, request) {
    const reads = JSON.parse(new TextDecoder().decode(request)) as {
      gets: number[][];
      ranges: { start?: number[]; end?: number[]; reverse: boolean; take: number }[];
    };
    const s = ctx.store("s");
    const seen: string[] = [];
    for (const k of reads.gets) seen.push(`get ${k} = ${s.get(Uint8Array.from(k))}`);
    for (const r of reads.ranges) {
      let n = 0;
      for (const e of s.iterate({
        ...(r.start ? { start: Uint8Array.from(r.start) } : {}),
        ...(r.end ? { end: Uint8Array.from(r.end) } : {}),
        reverse: r.reverse,
      })) {
        if (n++ >= r.take) break;
        seen.push(`${e.key} = ${e.value}`);
      }
      seen.push("|");
    }
    return new TextEncoder().encode(seen.join("\n"));
  },
};

/** A successful answer of readsHandler at `view`, with its proof ops, to check. */
function readsAnswer(
  view: { readonly appHash: Uint8Array; readonly version: bigint },
  request: Uint8Array,
  value: Uint8Array,
  proofOps: readonly StoreProofOp[],
) {
  return {
    appHash: view.appHash,
    chainId: CHAIN_ID,
    height: view.version,
    handler: readsHandler,
    request,
    code: 0,
    codespace: "",
    log: "",
    value,
    proofOps,
  };
}

const smallKey = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 });

describe("read proofs (store, random reads)", () => {
  it("the client's run over the proven reads gives the node's answer; an altered answer fails", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(smallKey, { selector: (k) => k.join(","), maxLength: 25 }),
        fc.array(smallKey, { maxLength: 4 }),
        fc.array(
          fc.record({
            start: fc.option(fc.oneof(smallKey, fc.constant([])), { nil: undefined }),
            end: fc.option(smallKey, { nil: undefined }),
            reverse: fc.boolean(),
            take: fc.integer({ min: 0, max: 30 }),
          }),
          { maxLength: 3 },
        ),
        (keys, gets, ranges) => {
          const db = openNodeDb({ path: tempDir("qos-reads-") });
          dbs.push(db);
          const ms = openMultiStore({ db, storeNames: ["s", "t"] });
          const w = ms.working("s");
          for (const k of keys) w.set(Uint8Array.from(k), Uint8Array.of(k.length, ...k));
          ms.working("t").set(Uint8Array.of(9), Uint8Array.of(9));
          db.writeBlock((batch) => ms.commit(batch));
          const view = ms.at();
          const request = new TextEncoder().encode(JSON.stringify({ gets, ranges }));
          const recorder = createReadRecorder((n) => view.store(n));
          const value = readsHandler.handle(
            { chainId: CHAIN_ID, height: view.version, store: recorder.reader },
            request,
          );
          const proofOps = [...recorder.keysToProve()].flatMap(([n, ks]) => view.proveKeys(n, ks));
          const answer = readsAnswer(view, request, value, proofOps);
          expect(verifyQueryAnswer(answer)).toEqual({ ok: true });
          if (value.length > 0) {
            const altered = value.slice(0, -1);
            expect(verifyQueryAnswer({ ...answer, value: altered }).ok).toBe(false);
          }
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });

  it("a proof with flipped bytes fails, or everything it still proves is true of the store", () => {
    const db = openNodeDb({ path: tempDir("qos-reads-") });
    dbs.push(db);
    const ms = openMultiStore({ db, storeNames: ["s", "t"] });
    const w = ms.working("s");
    for (let i = 0; i < 40; i++) w.set(Uint8Array.of(i % 4, i), Uint8Array.of(i + 1));
    ms.working("t").set(Uint8Array.of(9), Uint8Array.of(9));
    db.writeBlock((batch) => ms.commit(batch));
    const view = ms.at();
    const keys = [[0, 4], [1], [1, 5, 0], [2, 200], [3, 39], [3, 40], [4]].map((k) =>
      Uint8Array.from(k),
    );
    const ops = view.proveKeys("s", keys);
    const real = view.store("s");
    const between = (l: Uint8Array | undefined, r: Uint8Array | undefined) => [
      ...real.iterate({
        ...(l !== undefined ? { start: successorKey(l) } : {}),
        ...(r !== undefined ? { end: r } : {}),
      }),
    ];
    let passed = 0;
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        const flipped = ops.map((o) => ({ ...o, data: o.data.slice() }));
        const total = flipped.reduce((n, o) => n + o.data.length, 0);
        let at = pos % total;
        for (const o of flipped) {
          if (at < o.data.length) {
            o.data[at] = (o.data[at] as number) ^ mask;
            break;
          }
          at -= o.data.length;
        }
        const v = verifyStoreReads({ appHash: view.appHash, proofOps: flipped });
        if (!v.ok) return;
        passed++;
        for (const f of v.stores) {
          expect(f.storeName).toBe("s");
          for (const e of f.present) expect(real.get(e.key)).toEqual(e.value);
          for (const k of f.absent) expect(real.get(k)).toBeUndefined();
          for (const g of f.gaps) expect(between(g.left, g.right)).toEqual([]);
        }
      }),
      { seed: 5, numRuns: 2000 },
    );
    // Only bytes of a non-existence entry's own key (moved within its gap) can change unnoticed.
    expect(passed).toBeLessThan(200);
  });

  it("an uncovered read fails the check even when the handler catches it", () => {
    // A handler that turns any read failure into its own error: a node leaving the read out of
    // the proof and answering that error must not pass.
    const catching: QueryHandler = {
      path: "/test.Catching",
      handle(ctx) {
        try {
          ctx.store("s").get(Uint8Array.of(1));
        } catch {
          throw new AppError("test", 1, "read failed");
        }
        return new Uint8Array();
      },
    };
    const lie = {
      appHash: new Uint8Array(32),
      chainId: CHAIN_ID,
      height: 1n,
      handler: catching,
      request: new Uint8Array(),
      code: 1,
      codespace: "test",
      log: "read failed",
      value: new Uint8Array(),
      proofOps: [],
    };
    expect(verifyQueryAnswer(lie)).toEqual({
      ok: false,
      message: expect.stringMatching(/does not cover a read of store s/),
    });
  });

  it("an empty store is proven empty; an empty batch for a store with keys fails", () => {
    const db = openNodeDb({ path: tempDir("qos-reads-") });
    dbs.push(db);
    const ms = openMultiStore({ db, storeNames: ["s", "t"] });
    ms.working("t").set(Uint8Array.of(1), Uint8Array.of(1));
    db.writeBlock((batch) => ms.commit(batch));
    const view = ms.at();
    const request = new TextEncoder().encode(
      JSON.stringify({
        gets: [[1]],
        ranges: [
          { reverse: false, take: 5 },
          { reverse: true, take: 5 },
        ],
      }),
    );
    const proofOps = view.proveKeys("s", [Uint8Array.of(1)]);
    expect(entries(proofOps[0] as StoreProofOp)).toBe(0);
    const value = readsHandler.handle(
      { chainId: CHAIN_ID, height: view.version, store: (n) => view.store(n) },
      request,
    );
    const answer = readsAnswer(view, request, value, proofOps);
    expect(new TextDecoder().decode(value)).toBe("get 1 = undefined\n|\n|");
    expect(verifyQueryAnswer(answer)).toEqual({ ok: true });
    // Store t has a key: an empty batch with t's root op claims it is empty.
    const tOps = view.proveKeys("t", [Uint8Array.of(1)]);
    const [sBatch] = proofOps as [StoreProofOp];
    const lie = [{ ...sBatch }, tOps[1] as StoreProofOp];
    const tHandler: QueryHandler = {
      ...readsHandler,
      handle: (ctx, r) => readsHandler.handle({ ...ctx, store: () => ctx.store("t") }, r),
    };
    expect(verifyQueryAnswer({ ...answer, handler: tHandler, proofOps: lie }).ok).toBe(false);
  });
});
