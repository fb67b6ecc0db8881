// Acceptance 1: a real `qos start` node running the QOS app, driven end to end by
// @cosmjs/stargate's SigningStargateClient: sends (explicit fee and "auto" gas), account and
// balance reads, tx lookup and search, and qos.qsc messages signed through a CosmJS Registry.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { stringToPath } from "@cosmjs/crypto";
import { DirectSecp256k1HdWallet, decodeTxRaw, type EncodeObject } from "@cosmjs/proto-signing";
import {
  assertIsDeliverTxSuccess,
  type BankExtension,
  BroadcastTxError,
  type DeliverTxResponse,
  GasPrice,
  QueryClient,
  SigningStargateClient,
  StargateClient,
  setupBankExtension,
} from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { cosmosTx, type qscQuery as QscQuery, qscQuery, qscTx } from "@qos/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQosRegistry, typeUrlOf } from "./cosmjsRegistry.ts";
import { type SingleNodeChain, setGenesisAppState, startSingleNodeChain } from "./harness.ts";

const CHAIN_ID = "e2e-cosmjs-1";
const MNEMONICS = [
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
  "legal winner thank year wave sausage worth useful legal winner thank yellow",
];
const GENESIS_UQOS = 1_000_000_000n;
const CREATION_FEE = 1_000_000n;
const MIN_GAS_PRICE = "0.025uqos";
const STAR = "qsc/star";

interface Party {
  readonly wallet: DirectSecp256k1HdWallet;
  readonly address: string;
  client: SigningStargateClient;
}

let chain: SingleNodeChain;
let alice: Party;
let bob: Party;
let reader: StargateClient;
let query: QueryClient & BankExtension;
const registry = createQosRegistry();
/** uqos each party has paid in fees, read back from the committed txs. */
const feesPaid = new Map<string, bigint>();

async function wallet(
  mnemonic: string,
): Promise<{ wallet: DirectSecp256k1HdWallet; address: string }> {
  const w = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, {
    prefix: "qosacc",
    hdPaths: [stringToPath("m/44'/389'/0'/0/0")],
  });
  const [acc] = await w.getAccounts();
  if (acc === undefined) throw new Error("the wallet has no account");
  return { wallet: w, address: acc.address };
}

async function connect(w: DirectSecp256k1HdWallet): Promise<SigningStargateClient> {
  return await SigningStargateClient.connectWithSigner(chain.rpc, w, {
    registry,
    gasPrice: GasPrice.fromString(MIN_GAS_PRICE),
    broadcastPollIntervalMs: 200,
    broadcastTimeoutMs: 30_000,
  });
}

beforeAll(async () => {
  const a = await wallet(MNEMONICS[0] as string);
  const b = await wallet(MNEMONICS[1] as string);
  chain = await startSingleNodeChain({
    prefix: "qos-e2e-cosmjs-",
    chainId: CHAIN_ID,
    extraArgs: ["--app.name", "qos", "--app.minimum-gas-prices", MIN_GAS_PRICE],
    prepareHome: (home) =>
      setGenesisAppState(home, {
        auth: { accounts: [{ address: a.address }] },
        bank: {
          balances: [
            { address: a.address, coins: [{ denom: "uqos", amount: GENESIS_UQOS.toString() }] },
          ],
        },
        qsc: {
          params: {
            creation_mode: "CREATION_MODE_OPEN",
            creation_fee: { denom: "uqos", amount: CREATION_FEE.toString() },
          },
        },
      }),
  });
  alice = { ...a, client: await connect(a.wallet) };
  bob = { ...b, client: await connect(b.wallet) };
  reader = await StargateClient.connect(chain.rpc);
  query = QueryClient.withExtensions(await connectComet(chain.rpc), setupBankExtension);
}, 60_000);

afterAll(async () => {
  alice?.client.disconnect();
  bob?.client.disconnect();
  reader?.disconnect();
  await chain?.close();
});

/** The uqos fee the committed tx `hash` paid (from its AuthInfo), added to its signer's tally. */
async function recordFee(who: Party, res: DeliverTxResponse): Promise<bigint> {
  const tx = await reader.getTx(res.transactionHash);
  if (tx === null) throw new Error(`tx ${res.transactionHash} not found`);
  const { authInfo } = decodeTxRaw(tx.tx);
  const fee = BigInt(authInfo.fee?.amount.find((c) => c.denom === "uqos")?.amount ?? "0");
  feesPaid.set(who.address, (feesPaid.get(who.address) ?? 0n) + fee);
  return fee;
}

async function uqos(address: string): Promise<bigint> {
  return BigInt((await reader.getBalance(address, "uqos")).amount);
}

/** Signs `msgs` as `who` with "auto" gas, expects code 0, and records the fee. */
async function run(who: Party, msgs: readonly EncodeObject[]): Promise<DeliverTxResponse> {
  const res = await who.client.signAndBroadcast(who.address, [...msgs], "auto");
  assertIsDeliverTxSuccess(res);
  expect(res.code).toBe(0);
  await recordFee(who, res);
  return res;
}

async function tokenInfo(denom: string): Promise<QscQuery.TokenInfo | undefined> {
  const { value } = await query.queryAbci(
    "/qos.qsc.v1.Query/Token",
    toBinary(qscQuery.QueryTokenRequestSchema, create(qscQuery.QueryTokenRequestSchema, { denom })),
  );
  return fromBinary(qscQuery.QueryTokenResponseSchema, value).token;
}

async function frozen(denom: string, address: string): Promise<bigint> {
  const { value } = await query.queryAbci(
    "/qos.qsc.v1.Query/Frozen",
    toBinary(
      qscQuery.QueryFrozenRequestSchema,
      create(qscQuery.QueryFrozenRequestSchema, { denom, address }),
    ),
  );
  return BigInt(fromBinary(qscQuery.QueryFrozenResponseSchema, value).amount || "0");
}

describe("CosmJS SigningStargateClient against a QOS node", () => {
  let explicitHash = "";
  let autoHash = "";

  it("sends uqos with an explicit fee; the account and balances read back", async () => {
    expect(alice.address.startsWith("qosacc1")).toBe(true);
    expect(await alice.client.getChainId()).toBe(CHAIN_ID);
    const before = await alice.client.getAccount(alice.address);
    expect(before).toMatchObject({ address: alice.address, sequence: 0 });
    expect(before?.pubkey).toBeNull();

    const fee = { amount: [{ denom: "uqos", amount: "5000" }], gas: "200000" };
    const res = await alice.client.sendTokens(
      alice.address,
      bob.address,
      [{ denom: "uqos", amount: "10000000" }],
      fee,
      "explicit fee",
    );
    assertIsDeliverTxSuccess(res);
    expect(res.gasWanted).toBe(200_000n);
    expect(res.gasUsed).toBeGreaterThan(0n);
    expect(await recordFee(alice, res)).toBe(5000n);
    explicitHash = res.transactionHash;

    const after = await alice.client.getAccount(alice.address);
    expect(after).toMatchObject({
      address: alice.address,
      accountNumber: before?.accountNumber,
      sequence: 1,
    });
    expect(after?.pubkey?.type).toBe("tendermint/PubKeySecp256k1");
    expect(await uqos(bob.address)).toBe(10_000_000n);
    expect(await uqos(alice.address)).toBe(GENESIS_UQOS - 10_000_000n - 5000n);
    expect(await reader.getAllBalances(bob.address)).toEqual([
      { denom: "uqos", amount: "10000000" },
    ]);
  });

  it('sends with "auto" gas (Simulate, then gas price × gas limit)', async () => {
    const before = await uqos(alice.address);
    const sim = await alice.client.simulate(
      alice.address,
      [
        {
          typeUrl: "/cosmos.bank.v1beta1.MsgSend",
          value: {
            fromAddress: alice.address,
            toAddress: bob.address,
            amount: [{ denom: "uqos", amount: "1" }],
          },
        },
      ],
      "",
    );
    expect(sim).toBeGreaterThan(0);
    const res = await alice.client.sendTokens(
      alice.address,
      bob.address,
      [{ denom: "uqos", amount: "1" }],
      "auto",
    );
    assertIsDeliverTxSuccess(res);
    autoHash = res.transactionHash;
    const fee = await recordFee(alice, res);
    // calculateFee: ceil(ceil(simulated × 1.4) × 0.025).
    const gasLimit = BigInt(Math.ceil(sim * 1.4));
    expect(res.gasWanted).toBe(gasLimit);
    expect(res.gasUsed).toBeLessThanOrEqual(gasLimit);
    expect(fee).toBe((gasLimit * 25n + 999n) / 1000n);
    expect(await uqos(alice.address)).toBe(before - 1n - fee);
    expect(await uqos(bob.address)).toBe(10_000_001n);
  });

  it("finds the txs with getTx and searchTx (tx.hash, message.sender, tx.height)", async () => {
    const found = await reader.getTx(explicitHash);
    expect(found).not.toBeNull();
    expect(found?.hash).toBe(explicitHash);
    expect(found?.code).toBe(0);
    const body = decodeTxRaw(found?.tx ?? new Uint8Array()).body;
    expect(body.memo).toBe("explicit fee");
    expect(body.messages[0]?.typeUrl).toBe("/cosmos.bank.v1beta1.MsgSend");
    // The fee transfer (to fee_collector) comes first, then the MsgSend's.
    const transfers = found?.events.filter((e) => e.type === "transfer") ?? [];
    expect(transfers.map((e) => e.attributes.find((a) => a.key === "amount")?.value)).toEqual([
      "5000uqos",
      "10000000uqos",
    ]);
    expect(transfers[1]?.attributes).toEqual(
      expect.arrayContaining([
        { key: "recipient", value: bob.address },
        { key: "sender", value: alice.address },
      ]),
    );

    const bySender = await reader.searchTx([{ key: "message.sender", value: alice.address }]);
    expect(bySender.map((t) => t.hash)).toEqual([explicitHash, autoHash]);
    const atHeight = await reader.searchTx([{ key: "tx.height", value: found?.height ?? 0 }]);
    expect(atHeight.map((t) => t.hash)).toContain(explicitHash);
    expect(await reader.getTx("00".repeat(32))).toBeNull();
  });

  it("creates, issues and freezes a QSC token through a Registry of our generated types", async () => {
    const create = await run(alice, [
      {
        typeUrl: typeUrlOf(qscTx.MsgCreateTokenSchema),
        value: {
          creator: alice.address,
          symbol: "STAR",
          name: "Star",
          decimals: 6,
          maxSupply: "1000000",
          initialHolders: [{ address: alice.address, amount: "1000" }],
        },
      },
    ]);
    expect(create.msgResponses).toHaveLength(1);
    expect(create.msgResponses[0]?.typeUrl).toBe("/qos.qsc.v1.MsgCreateTokenResponse");
    const created = fromBinary(
      qscTx.MsgCreateTokenResponseSchema,
      create.msgResponses[0]?.value ?? new Uint8Array(),
    );
    expect(created.denom).toBe(STAR);
    // The Registry decodes what it encoded, back into protobuf-es messages.
    const sent = await reader.getTx(create.transactionHash);
    const packed = decodeTxRaw(sent?.tx ?? new Uint8Array()).body.messages[0];
    expect(packed?.typeUrl).toBe("/qos.qsc.v1.MsgCreateToken");
    const decoded = registry.decode(packed ?? { typeUrl: "", value: new Uint8Array() });
    expect(decoded).toMatchObject({ symbol: "STAR", maxSupply: "1000000" });

    const issued = await run(alice, [
      {
        typeUrl: typeUrlOf(qscTx.MsgIssueSchema),
        value: { issuer: alice.address, denom: STAR, amount: "500", to: bob.address },
      },
    ]);
    expect(
      fromBinary(qscTx.MsgIssueResponseSchema, issued.msgResponses[0]?.value ?? new Uint8Array())
        .totalSupply,
    ).toBe("1500");
    await run(alice, [
      {
        typeUrl: typeUrlOf(qscTx.MsgFreezeSchema),
        value: { issuer: alice.address, denom: STAR, holder: bob.address, amount: "200" },
      },
    ]);

    // Bob moves his 300 unfrozen STAR to alice with a cosmos MsgSend signed by CosmJS.
    await run(bob, [
      {
        typeUrl: "/cosmos.bank.v1beta1.MsgSend",
        value: {
          fromAddress: bob.address,
          toAddress: alice.address,
          amount: [{ denom: STAR, amount: "300" }],
        },
      },
    ]);
    // The frozen 200 cannot move: CheckTx refuses it (qsc 7) and broadcastTxSync throws.
    const refused = await bob.client
      .sendTokens(bob.address, alice.address, [{ denom: STAR, amount: "1" }], {
        amount: [{ denom: "uqos", amount: "5000" }],
        gas: "200000",
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(BroadcastTxError);
    const b = refused as BroadcastTxError;
    expect([b.codespace, b.code, b.log]).toEqual([
      "qsc",
      7,
      "cannot move 1qsc/star: 200 of 200 are frozen",
    ]);
    // With "auto" gas the refusal comes earlier, from Simulate.
    await expect(
      bob.client.sendTokens(bob.address, alice.address, [{ denom: STAR, amount: "1" }], "auto"),
    ).rejects.toThrow(/\(7\): cannot move 1qsc\/star: 200 of 200 are frozen/);

    const info = await tokenInfo(STAR);
    expect(info?.token?.symbol).toBe("STAR");
    expect(info?.token?.issuer).toBe(alice.address);
    expect(info?.supply).toBe("1500");
    expect(info?.paused).toBe(false);
    expect(await frozen(STAR, bob.address)).toBe(200n);
    expect(await reader.getBalance(alice.address, STAR)).toEqual({ denom: STAR, amount: "1300" });
    expect(await reader.getBalance(bob.address, STAR)).toEqual({ denom: STAR, amount: "200" });
    expect(await reader.getAllBalances(bob.address)).toEqual([
      { denom: STAR, amount: "200" },
      { denom: "uqos", amount: String(10_000_001n - (feesPaid.get(bob.address) ?? 0n)) },
    ]);
    // Every uqos is accounted for: genesis − sends − fees − the burned creation fee.
    expect(await uqos(alice.address)).toBe(
      GENESIS_UQOS - 10_000_001n - CREATION_FEE - (feesPaid.get(alice.address) ?? 0n),
    );
    // Supply: the creation fee was burned; the token's supply is what was minted.
    expect(await query.bank.supplyOf("uqos")).toEqual({
      denom: "uqos",
      amount: String(GENESIS_UQOS - CREATION_FEE),
    });
    expect(await query.bank.supplyOf(STAR)).toEqual({ denom: STAR, amount: "1500" });
  });

  it("the tx envelope CosmJS built is a TxRaw with one 64-byte SIGN_MODE_DIRECT signature", async () => {
    const tx = await reader.getTx(autoHash);
    const raw = fromBinary(cosmosTx.TxRawSchema, tx?.tx ?? new Uint8Array());
    expect(raw.signatures).toHaveLength(1);
    expect(raw.signatures[0]).toHaveLength(64);
    const authInfo = fromBinary(cosmosTx.AuthInfoSchema, raw.authInfoBytes);
    expect(authInfo.signerInfos[0]?.modeInfo?.sum.case).toBe("single");
    expect(authInfo.signerInfos[0]?.sequence).toBe(1n);
  });
});
