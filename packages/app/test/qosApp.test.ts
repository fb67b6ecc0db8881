// The QOS app end to end on the real multi-store: CosmJS-signed txs accepted, every bad input
// refused with its Cosmos code and no state change, out of gas keeps the fee, MsgTransfer and
// allowances, and queries read by CosmJS query extensions.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { QueryClient, setupAuthExtension, setupBankExtension } from "@cosmjs/stargate";
import { secp256k1Verify } from "@qos/crypto";
import {
  cosmosBankTx,
  cosmosTx,
  cosmosTxService,
  qosBankQuery,
  qosBankTx,
  toHex,
} from "@qos/types";
import { describe, expect, it } from "vitest";
import { addressToBech32 } from "../src/runtime/address.ts";
import { packAny } from "../src/runtime/anyCodec.ts";
import { FEE_COLLECTOR_ADDRESS, type SignatureCheck } from "../src/runtime/txRunner.ts";
import {
  CHAIN_ID,
  type Harness,
  MNEMONICS,
  makeSigner,
  type Signer,
  signTx,
  startApp,
} from "./runtime/appHarness.ts";

const FEE_COLLECTOR = addressToBech32(FEE_COLLECTOR_ADDRESS);
const OTHER = addressToBech32(new Uint8Array(20).fill(7));

function send(from: string, to: string, amount: string, denom = "uqos") {
  return packAny(
    cosmosBankTx.MsgSendSchema,
    create(cosmosBankTx.MsgSendSchema, {
      fromAddress: from,
      toAddress: to,
      amount: [{ denom, amount }],
    }),
  );
}

function queryClient(h: Harness) {
  const rpc = {
    abciQuery: async (q: { path: string; data: Uint8Array; prove?: boolean; height?: number }) =>
      h.app
        .query({
          path: q.path,
          data: q.data,
          prove: q.prove ?? false,
          height: BigInt(q.height ?? 0),
        })
        .then((r) => ({
          ...r,
          height: Number(r.height),
          proof: undefined,
        })),
  };
  // biome-ignore lint/suspicious/noExplicitAny: an in-process stand-in for the CometBFT client.
  return QueryClient.withExtensions(rpc as any, setupBankExtension, setupAuthExtension);
}

async function setup(
  minGasPrices = "",
  extra: Parameters<typeof startApp>[2] = {},
): Promise<{ h: Harness; alice: Signer; bob: Signer }> {
  const alice = await makeSigner(MNEMONICS[0] as string);
  const bob = await makeSigner(MNEMONICS[1] as string);
  const h = await startApp(
    {
      auth: { accounts: [{ address: alice.address }] },
      bank: {
        balances: [
          { address: alice.address, coins: [{ denom: "uqos", amount: "1000000" }] },
          { address: bob.address, coins: [{ denom: "uqos", amount: "10" }] },
        ],
      },
    },
    minGasPrices,
    extra,
  );
  await h.block([]);
  return { h, alice, bob };
}

async function balance(h: Harness, addr: string, denom = "uqos"): Promise<bigint> {
  const c = await queryClient(h).bank.balance(addr, denom);
  return BigInt(c.amount);
}

describe("qos app", () => {
  it("accepts a CosmJS-signed MsgSend (qosacc, m/44'/389'/0'/0/0), charges the fee, bumps the sequence", async () => {
    const { h, alice, bob } = await setup("0.01uqos");
    expect(alice.address.startsWith("qosacc1")).toBe(true);
    const tx = await signTx(alice, [send(alice.address, bob.address, "500")], {
      accountNumber: 0n,
      sequence: 0n,
    });
    const check = await h.app.checkTx({ tx, type: "new" });
    expect([check.code, check.log]).toEqual([0, ""]);
    expect(check.priority).toBe((2000n * 1_000_000n) / 200_000n);
    const { results } = await h.block([tx]);
    expect(results[0]?.code).toBe(0);
    expect(h.app.sigCache.hits).toBe(1);
    const types = results[0]?.events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "tx",
        "message",
        "coin_spent",
        "coin_received",
        "transfer",
        "Transfer",
      ]),
    );
    expect(await balance(h, alice.address)).toBe(1_000_000n - 500n - 2000n);
    expect(await balance(h, bob.address)).toBe(510n);
    expect(await balance(h, FEE_COLLECTOR)).toBe(2000n);
    const acc = await queryClient(h).auth.account(alice.address);
    expect(acc?.typeUrl).toBe("/cosmos.auth.v1beta1.BaseAccount");
    const all = await queryClient(h).bank.allBalances(alice.address);
    expect(all).toEqual([{ denom: "uqos", amount: String(1_000_000 - 2500) }]);
    expect(h.app.checkInvariants()).toEqual([]);
    // Replay of the committed tx: wrong sequence, nothing changes.
    const replay = await h.block([tx]);
    expect([replay.results[0]?.codespace, replay.results[0]?.code]).toEqual(["sdk", 32]);
    expect(replay.results[0]?.log).toMatch(/account sequence mismatch, expected 1, got 0/);
  });

  it("preCheckTx has the injected verifier check a tx's signatures; CheckTx then finds them cached", async () => {
    const asked: SignatureCheck[][] = [];
    let vouch = true;
    let available = true;
    const { h, alice, bob } = await setup("", {
      signatureVerifier: {
        available: () => available,
        verify: async (checks) => {
          asked.push([...checks]);
          return checks.map((c) => vouch && secp256k1Verify(c.pubKey, c.signBytes, c.signature));
        },
      },
    });
    const tx = await signTx(alice, [send(alice.address, bob.address, "5")], {
      accountNumber: 0n,
      sequence: 0n,
    });
    await h.app.preCheckTx?.(tx);
    expect(asked).toHaveLength(1);
    expect(toHex(asked[0]?.[0]?.pubKey ?? new Uint8Array())).toBe(toHex(alice.pubkey));
    const hits = h.app.sigCache.hits;
    expect((await h.app.checkTx({ tx, type: "new" })).code).toBe(0);
    expect(h.app.sigCache.hits).toBe(hits + 1);

    // A bad signature: the verifier says no, nothing is cached, CheckTx refuses it itself.
    const bad = await signTx(alice, [send(alice.address, bob.address, "6")], {
      accountNumber: 0n,
      sequence: 1n,
    });
    const raw = fromBinary(cosmosTx.TxRawSchema, bad);
    const sig = raw.signatures[0] as Uint8Array;
    sig[5] = (sig[5] as number) ^ 1;
    const badBytes = toBinary(cosmosTx.TxRawSchema, raw);
    await h.app.preCheckTx?.(badBytes);
    const refused = await h.app.checkTx({ tx: badBytes, type: "new" });
    expect([refused.codespace, refused.code]).toEqual(["sdk", 4]);
    expect(h.app.sigCache.hits).toBe(hits + 1);

    // A verifier that vouches for nothing changes no outcome: CheckTx verifies on its own.
    vouch = false;
    const next = await signTx(alice, [send(alice.address, bob.address, "7")], {
      accountNumber: 0n,
      sequence: 1n,
    });
    await h.app.preCheckTx?.(next);
    expect((await h.app.checkTx({ tx: next, type: "new" })).code).toBe(0);
    expect(h.app.sigCache.hits).toBe(hits + 1);
    // Undecodable bytes ask the verifier nothing.
    const before = asked.length;
    await h.app.preCheckTx?.(new Uint8Array([1, 2, 3]));
    expect(asked).toHaveLength(before);
    // An unavailable verifier (the node's worker is gone) is not asked: no work for nothing.
    available = false;
    await h.app.preCheckTx?.(tx);
    expect(asked).toHaveLength(before);
    const { results } = await h.block([tx, next]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
  });

  it("refuses every bad input with its sdk code and changes nothing", async () => {
    const { h, alice, bob } = await setup("0.01uqos");
    const ok = { accountNumber: 0n, sequence: 0n };
    const goodSend = send(alice.address, bob.address, "5");
    const cases: [string, Uint8Array, number, RegExp][] = [
      [
        "wrong sequence",
        await signTx(alice, [goodSend], { ...ok, sequence: 3n }),
        32,
        /expected 0, got 3/,
      ],
      [
        "wrong chain-id",
        await signTx(alice, [goodSend], { ...ok, chainId: "other" }),
        4,
        new RegExp(
          `signature verification failed; please verify account number \\(0\\), sequence \\(0\\) and chain-id \\(${CHAIN_ID}\\)`,
        ),
      ],
      [
        "wrong account number",
        await signTx(alice, [goodSend], { ...ok, accountNumber: 7n }),
        4,
        /signature verification failed/,
      ],
      [
        "bad signature",
        await signTx(alice, [goodSend], { ...ok, signature: new Uint8Array(64).fill(1) }),
        4,
        /signature verification failed/,
      ],
      [
        "unknown message type",
        await signTx(alice, [{ ...goodSend, typeUrl: "/qos.nope.MsgX" }], ok),
        6,
        /unknown message type/,
      ],
      ["malformed protobuf", Uint8Array.of(0x0a, 0x05, 0x01), 2, /tx parse error/],
      [
        "trailing garbage",
        Uint8Array.of(...(await signTx(alice, [goodSend], ok)), 0xff),
        2,
        /tx parse error/,
      ],
      [
        "bad denom",
        await signTx(alice, [send(alice.address, bob.address, "5", "u")], ok),
        10,
        /invalid denom/,
      ],
      [
        "amount overflow",
        await signTx(alice, [send(alice.address, bob.address, (1n << 256n).toString())], ok),
        10,
        /overflows 256 bits/,
      ],
      ["empty messages", await signTx(alice, [], ok), 18, /at least one message/],
      [
        "memo too large",
        await signTx(alice, [goodSend], { ...ok, memo: "x".repeat(257) }),
        12,
        /memo too large/,
      ],
      [
        "timeout height",
        await signTx(alice, [goodSend], { ...ok, timeoutHeight: 1n }),
        30,
        /timeout height/,
      ],
      [
        "invalid address",
        await signTx(alice, [send(alice.address, "qosacc1zzz", "5")], ok),
        7,
        /invalid to address/,
      ],
      [
        "fee unpaid",
        await signTx(bob, [send(bob.address, alice.address, "1")], {
          accountNumber: 1n,
          sequence: 0n,
          fee: [{ denom: "uqos", amount: "2000" }],
        }),
        5,
        /insufficient funds to pay for fees/,
      ],
    ];
    const before = h.app.checkInvariants();
    const last = await h.block([]);
    for (const [name, tx, code, log] of cases) {
      const { results, appHash } = await h.block([tx]);
      expect([name, results[0]?.codespace, results[0]?.code]).toEqual([name, "sdk", code]);
      expect(results[0]?.log, name).toMatch(log);
      expect(results[0]?.events, name).toEqual([]);
      expect(toHex(appHash), name).toBe(toHex(last.appHash));
    }
    // Insufficient fee is a CheckTx rule (node-local minimum gas prices).
    const cheap = await signTx(alice, [goodSend], { ...ok, fee: [{ denom: "uqos", amount: "1" }] });
    const r = await h.app.checkTx({ tx: cheap, type: "new" });
    expect([r.codespace, r.code]).toEqual(["sdk", 13]);
    expect(r.log).toMatch(/insufficient fees; got: 1uqos required: 2000uqos/);
    expect(h.app.checkInvariants()).toEqual(before);
  });

  it("out of gas reverts the messages and still charges the fee (gas limit from Simulate − 1)", async () => {
    const { h, alice, bob } = await setup();
    const msg = send(alice.address, bob.address, "5");
    const probe = await signTx(alice, [msg], { accountNumber: 0n, sequence: 0n });
    const sim = await h.app.query({
      path: "/cosmos.tx.v1beta1.Service/Simulate",
      data: toBinary(
        cosmosTxService.SimulateRequestSchema,
        create(cosmosTxService.SimulateRequestSchema, { txBytes: probe }),
      ),
      height: 0n,
      prove: false,
    });
    expect([sim.code, sim.log]).toEqual([0, ""]);
    const gasUsed =
      fromBinary(cosmosTxService.SimulateResponseSchema, sim.value).gasInfo?.gasUsed ?? 0n;
    expect(gasUsed).toBeGreaterThan(0n);
    // Same size as the probe (gas limit varint width unchanged), one gas short: the last write fails.
    const tx = await signTx(alice, [msg], {
      accountNumber: 0n,
      sequence: 0n,
      gasLimit: gasUsed - 1n,
    });
    const { results } = await h.block([tx]);
    expect([results[0]?.codespace, results[0]?.code]).toEqual(["sdk", 11]);
    expect(results[0]?.log).toMatch(/out of gas/);
    expect(results[0]?.gasUsed).toBe(gasUsed - 1n);
    expect(await balance(h, bob.address)).toBe(10n);
    expect(await balance(h, alice.address)).toBe(1_000_000n - 2000n);
    expect(await balance(h, FEE_COLLECTOR)).toBe(2000n);
    expect(results[0]?.events.map((e) => e.type)).toEqual([
      "coin_spent",
      "coin_received",
      "transfer",
      "Transfer",
      "tx",
      "tx",
      "tx",
    ]);
    expect(h.app.checkInvariants()).toEqual([]);
  });

  it("MsgTransfer moves many-to-many; allowances approve, transferFrom, decrease, revoke", async () => {
    const { h, alice, bob } = await setup();
    const transfer = packAny(
      qosBankTx.MsgTransferSchema,
      create(qosBankTx.MsgTransferSchema, {
        senders: [{ address: alice.address, coins: [{ denom: "uqos", amount: "300" }] }],
        receivers: [
          { address: bob.address, coins: [{ denom: "uqos", amount: "100" }] },
          { address: OTHER, coins: [{ denom: "uqos", amount: "200" }] },
        ],
      }),
    );
    const approve = packAny(
      qosBankTx.MsgApproveSchema,
      create(qosBankTx.MsgApproveSchema, {
        owner: alice.address,
        spender: bob.address,
        coins: [{ denom: "uqos", amount: "50" }],
      }),
    );
    const r1 = await h.block([
      await signTx(alice, [transfer, approve], { accountNumber: 0n, sequence: 0n }),
    ]);
    expect(r1.results[0]?.code).toBe(0);
    expect(await balance(h, OTHER)).toBe(200n);
    expect(await balance(h, bob.address)).toBe(110n);
    const from = packAny(
      qosBankTx.MsgTransferFromSchema,
      create(qosBankTx.MsgTransferFromSchema, {
        spender: bob.address,
        owner: alice.address,
        to: OTHER,
        coins: [{ denom: "uqos", amount: "30" }],
      }),
    );
    const r2 = await h.block([
      await signTx(bob, [from], { accountNumber: 1n, sequence: 0n, fee: [] }),
    ]);
    expect([r2.results[0]?.code, r2.results[0]?.log]).toEqual([0, ""]);
    expect(await balance(h, OTHER)).toBe(230n);
    const over = await h.block([
      await signTx(bob, [from], { accountNumber: 1n, sequence: 1n, fee: [] }),
    ]);
    expect([over.results[0]?.codespace, over.results[0]?.code]).toEqual(["bank", 102]);
    const q = await h.app.query({
      path: "/qos.bank.v1.Query/Allowance",
      data: toBinary(
        qosBankQuery.QueryAllowanceRequestSchema,
        create(qosBankQuery.QueryAllowanceRequestSchema, {
          owner: alice.address,
          spender: bob.address,
          denom: "uqos",
        }),
      ),
      height: 0n,
      prove: true,
    });
    expect(q.code).toBe(0);
    // The allowance read (bank store) is proven: one batch and its store root.
    expect(q.proofOps?.map((p) => p.type)).toEqual(["ics23:iavl", "ics23:simple"]);
    expect(q.proofOps?.[1]?.key).toEqual(new TextEncoder().encode("bank"));
    expect(h.app.checkInvariants()).toEqual([]);
  });

  it("prepareProposal drops and processProposal rejects a tx that does not decode; a decodable one stays, checked or not", async () => {
    const { h, alice, bob } = await setup();
    const checked = await signTx(alice, [send(alice.address, bob.address, "1")], {
      accountNumber: 0n,
      sequence: 0n,
    });
    expect((await h.app.checkTx({ tx: checked, type: "new" })).code).toBe(0);
    const unchecked = await signTx(alice, [send(alice.address, bob.address, "2")], {
      accountNumber: 0n,
      sequence: 1n,
    });
    // Decodes; its stateless checks fail only when it runs (no messages).
    const noMessages = await signTx(alice, [], { accountNumber: 0n, sequence: 1n });
    const malformed = [
      new Uint8Array(),
      Uint8Array.of(0xff, 0xff, 0xff),
      checked.subarray(0, checked.length - 1),
    ];
    const ask = { localLastCommit: { round: 0, votes: [] }, misbehavior: [], height: 2n };
    const at = {
      time: { seconds: 1_700_000_100n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    };
    const all = [
      Uint8Array.from(checked),
      malformed[0],
      unchecked,
      malformed[1],
      noMessages,
      malformed[2],
    ] as Uint8Array[];
    const prepared = await h.app.prepareProposal({
      ...ask,
      ...at,
      maxTxBytes: 1_000_000n,
      txs: all,
    });
    expect(prepared.txs).toEqual([checked, unchecked, noMessages]);
    // The byte limit counts only the kept txs (each as a Data.txs entry: tag, length, bytes).
    const oneTx = BigInt(1 + 2 + checked.length);
    const limited = await h.app.prepareProposal({ ...ask, ...at, maxTxBytes: oneTx, txs: all });
    expect(limited.txs).toEqual([checked]);
    const process = (txs: readonly Uint8Array[]) =>
      h.app.processProposal({
        ...at,
        txs,
        proposedLastCommit: ask.localLastCommit,
        misbehavior: [],
        hash: new Uint8Array(32),
        height: 2n,
      });
    expect(await process(prepared.txs)).toBe("accept");
    for (const bad of malformed) expect(await process([checked, bad])).toBe("reject");
  });

  it("answers a query before block 1 is committed with a clear error, and from then on", async () => {
    const h = await startApp({});
    const ask = () =>
      h.app.query({ path: "/store/bank/key", data: Uint8Array.of(1), height: 0n, prove: false });
    const before = await ask();
    expect(before.code).toBe(26);
    expect(before.codespace).toBe("sdk");
    expect(before.log).toMatch(/no block is committed yet/);
    await h.block([]);
    const after = await ask();
    expect(after.code).toBe(0);
    expect(after.height).toBe(1n);
  });

  it("rejects an invalid genesis with a path in the message", async () => {
    await expect(
      startApp({ bank: { balances: [{ address: "qosacc1bad", coins: [] }] } }),
    ).rejects.toThrow(/app_state.bank.balances\[0\].address/);
    await expect(startApp({ nope: {} })).rejects.toThrow(/unknown section "nope"/);
  });
});
