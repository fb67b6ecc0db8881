// QSC tokens through the real QOS app (runtime, ante, per-tx branches) on the real multi-store
// over LMDB: CosmJS-signed qsc and bank txs; a failing tx keeps only its fee; proven queries.

import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import { cosmosBankQuery, cosmosBankTx, qosBankTx, qscQuery, qscTx } from "@qos/types";
import { describe, expect, it } from "vitest";
import { qosQueryHandlers } from "../../../src/qosApp.ts";
import { packAny } from "../../../src/runtime/anyCodec.ts";
import type { QueryHandler } from "../../../src/runtime/module.ts";
import { verifyQueryAnswer } from "../../../src/runtime/provenQuery.ts";
import {
  CHAIN_ID,
  type Harness,
  MNEMONICS,
  makeSigner,
  type Signer,
  signTx,
  startApp,
} from "../../runtime/appHarness.ts";

const FEE = 2000n;
const CREATION_FEE = 1_000_000n;

function any<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>) {
  return packAny(schema, create(schema, init));
}

async function balance(h: Harness, address: string, denom: string): Promise<bigint> {
  const res = await h.app.query({
    path: "/cosmos.bank.v1beta1.Query/Balance",
    data: toBinary(
      cosmosBankQuery.QueryBalanceRequestSchema,
      create(cosmosBankQuery.QueryBalanceRequestSchema, { address, denom }),
    ),
    prove: false,
    height: 0n,
  });
  expect(res.code).toBe(0);
  return BigInt(
    fromBinary(cosmosBankQuery.QueryBalanceResponseSchema, res.value).balance?.amount ?? "0",
  );
}

interface Chain {
  h: Harness;
  alice: Signer;
  bob: Signer;
  seq: Map<string, bigint>;
  /** Signs `msgs` by `signer` with the next sequence, runs them in one block, returns the result. */
  tx(
    signer: Signer,
    ...msgs: ReturnType<typeof any>[]
  ): Promise<{ code: number; codespace: string; log: string; events: readonly { type: string }[] }>;
}

async function chain(): Promise<Chain> {
  const alice = await makeSigner(MNEMONICS[0] as string);
  const bob = await makeSigner(MNEMONICS[1] as string);
  const h = await startApp({
    auth: { accounts: [{ address: alice.address }, { address: bob.address }] },
    bank: {
      balances: [
        { address: alice.address, coins: [{ denom: "uqos", amount: "10000000" }] },
        { address: bob.address, coins: [{ denom: "uqos", amount: "100000" }] },
      ],
    },
    qsc: {
      params: {
        creation_mode: "CREATION_MODE_OPEN",
        creation_fee: { denom: "uqos", amount: CREATION_FEE.toString() },
      },
    },
  });
  await h.block([]);
  const accountNumbers = new Map([
    [alice.address, 0n],
    [bob.address, 1n],
  ]);
  const c: Chain = {
    h,
    alice,
    bob,
    seq: new Map(),
    async tx(signer, ...msgs) {
      const sequence = c.seq.get(signer.address) ?? 0n;
      const raw = await signTx(signer, msgs, {
        accountNumber: accountNumbers.get(signer.address) ?? 0n,
        sequence,
        gasLimit: 400_000n,
      });
      c.seq.set(signer.address, sequence + 1n);
      const { results } = await h.block([raw]);
      const r = results[0];
      if (r === undefined) throw new Error("no result");
      return r;
    },
  };
  return c;
}

describe("qsc through the QOS app", () => {
  it("create, transfer, freeze, approve/transferFrom, pause: failures keep only the fee", async () => {
    const { h, alice, bob, tx } = await chain();
    const star = "qsc/star";

    const created = await tx(
      alice,
      any(qscTx.MsgCreateTokenSchema, {
        creator: alice.address,
        symbol: "STAR",
        name: "Star",
        decimals: 6,
        maxSupply: "5000",
        initialHolders: [{ address: alice.address, amount: "1000" }],
      }),
    );
    expect([created.code, created.log]).toEqual([0, ""]);
    expect(created.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["TokenCreated", "Transfer", "burn"]),
    );
    expect(await balance(h, alice.address, "uqos")).toBe(10_000_000n - FEE - CREATION_FEE);
    expect(await balance(h, alice.address, star)).toBe(1000n);

    // Freeze 400 of alice's; sending 700 dips into them: qsc 7, only the fee is taken.
    expect(
      (
        await tx(
          alice,
          any(qscTx.MsgFreezeSchema, {
            issuer: alice.address,
            denom: star,
            holder: alice.address,
            amount: "400",
          }),
        )
      ).code,
    ).toBe(0);
    const uqosBefore = await balance(h, alice.address, "uqos");
    const frozen = await tx(
      alice,
      any(cosmosBankTx.MsgSendSchema, {
        fromAddress: alice.address,
        toAddress: bob.address,
        amount: [{ denom: star, amount: "700" }],
      }),
    );
    expect([frozen.codespace, frozen.code, frozen.log]).toEqual([
      "qsc",
      7,
      "cannot move 700qsc/star: 400 of 1000 are frozen",
    ]);
    expect(await balance(h, alice.address, "uqos")).toBe(uqosBefore - FEE);
    expect(await balance(h, alice.address, star)).toBe(1000n);
    expect(await balance(h, bob.address, star)).toBe(0n);

    // ERC20 approve + transferFrom of the unfrozen 600.
    expect(
      (
        await tx(
          alice,
          any(qosBankTx.MsgApproveSchema, {
            owner: alice.address,
            spender: bob.address,
            coins: [{ denom: star, amount: "650" }],
          }),
        )
      ).code,
    ).toBe(0);
    const from = (amount: string) =>
      any(qosBankTx.MsgTransferFromSchema, {
        spender: bob.address,
        owner: alice.address,
        to: bob.address,
        coins: [{ denom: star, amount }],
      });
    const over = await tx(bob, from("601"));
    expect([over.codespace, over.code]).toEqual(["qsc", 7]);
    expect((await tx(bob, from("600"))).code).toBe(0);
    expect(await balance(h, bob.address, star)).toBe(600n);

    // A non-issuer cannot issue; the issuer pauses; nothing moves; bob still pays his fee.
    const bobUqos = await balance(h, bob.address, "uqos");
    const notIssuer = await tx(
      bob,
      any(qscTx.MsgIssueSchema, { issuer: bob.address, denom: star, amount: "1" }),
    );
    expect([notIssuer.codespace, notIssuer.code]).toEqual(["qsc", 4]);
    expect(await balance(h, bob.address, "uqos")).toBe(bobUqos - FEE);
    expect(
      (await tx(alice, any(qscTx.MsgPauseSchema, { issuer: alice.address, denom: star }))).code,
    ).toBe(0);
    const paused = await tx(
      bob,
      any(cosmosBankTx.MsgSendSchema, {
        fromAddress: bob.address,
        toAddress: alice.address,
        amount: [{ denom: star, amount: "1" }],
      }),
    );
    expect([paused.codespace, paused.code]).toEqual(["qsc", 6]);
    expect(await balance(h, bob.address, star)).toBe(600n);
    expect(await balance(h, bob.address, "uqos")).toBe(bobUqos - 2n * FEE);

    // A tx whose second message fails reverts the first one too.
    const mixed = await tx(
      alice,
      any(qscTx.MsgUnpauseSchema, { issuer: alice.address, denom: star }),
      any(qscTx.MsgIssueSchema, { issuer: alice.address, denom: star, amount: "999999" }),
    );
    expect([mixed.codespace, mixed.code]).toEqual(["qsc", 5]);
    const q = await h.app.query({
      path: "/qos.qsc.v1.Query/Token",
      data: toBinary(
        qscQuery.QueryTokenRequestSchema,
        create(qscQuery.QueryTokenRequestSchema, { denom: "STAR" }),
      ),
      prove: true,
      height: 0n,
    });
    expect(q.code).toBe(0);
    const info = fromBinary(qscQuery.QueryTokenResponseSchema, q.value).token;
    expect(info).toMatchObject({ paused: true, supply: "1000" });
    expect(h.app.checkInvariants()).toEqual([]);

    // prove=true: the client re-runs the Token query over the proven reads (token, paused, supply).
    const appHash = (await h.app.info({ version: "", blockVersion: 11n, p2pVersion: 8n }))
      .lastBlockAppHash;
    const request = toBinary(
      qscQuery.QueryTokenRequestSchema,
      create(qscQuery.QueryTokenRequestSchema, { denom: "STAR" }),
    );
    expect(q.proofOps?.map((o) => o.type)).toEqual([
      "ics23:iavl",
      "ics23:simple",
      "ics23:iavl",
      "ics23:simple",
    ]);
    expect(
      verifyQueryAnswer({
        appHash,
        chainId: CHAIN_ID,
        height: q.height,
        handler: qosQueryHandlers().get("/qos.qsc.v1.Query/Token") as QueryHandler,
        request,
        code: q.code,
        codespace: q.codespace,
        log: q.log,
        value: q.value,
        proofOps: q.proofOps ?? [],
      }),
    ).toEqual({ ok: true });
  });

  it("undecodable requests and bad addresses are qsc query errors (code, codespace)", async () => {
    const { h } = await chain();
    const bad = await h.app.query({
      path: "/qos.qsc.v1.Query/Token",
      data: new Uint8Array([0xff]),
      prove: false,
      height: 0n,
    });
    expect([bad.codespace, bad.code]).toEqual(["qsc", 19]);
    const missing = await h.app.query({
      path: "/qos.qsc.v1.Query/Frozen",
      data: toBinary(
        qscQuery.QueryFrozenRequestSchema,
        create(qscQuery.QueryFrozenRequestSchema, { denom: "qsc/none", address: "x" }),
      ),
      prove: false,
      height: 0n,
    });
    expect([missing.codespace, missing.code]).toEqual(["qsc", 9]);
  });
});
