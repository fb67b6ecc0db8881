// The tx builder against the real QOS app (LMDB multi-store): txs built here and signed by keyring
// signers pass the app's decode and ante (CheckTx, SIGN_MODE_DIRECT signature, sequence), two
// signers included; Simulate gives the gas; altered txs are refused; JSON files round-trip exactly.

import { create } from "@bufbuild/protobuf";
import { cosmosBankTx, QosError, qosBankTx } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeTx } from "../../../app/src/runtime/txDecode.ts";
import { accountSigningInfo, simulateTx } from "../../src/client/chainQueries.ts";
import { adjustGas, parseDecimal } from "../../src/client/gasFees.ts";
import {
  buildUnsignedTx,
  missingSignatures,
  signTx,
  txFromBytes,
  txFromJson,
  txToBytes,
  txToJson,
} from "../../src/client/txBuilder.ts";
import { packMsg, txSigners } from "../../src/client/txMessages.ts";
import { createKeyring } from "../../src/keyring/keyring.ts";
import { appRpc, CHAIN_ID, startFundedApp } from "./inProcessApp.ts";

const MNEMONICS = [
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
  "legal winner thank year wave sausage worth useful legal winner thank yellow",
];

function keys() {
  const keyring = createKeyring({ backend: "memory" });
  const alice = keyring.add({ name: "alice", mnemonic: MNEMONICS[0] as string });
  const bob = keyring.add({ name: "bob", mnemonic: MNEMONICS[1] as string });
  return { keyring, alice, bob };
}

function send(from: string, to: string, amount: bigint) {
  return packMsg(
    cosmosBankTx.MsgSendSchema,
    create(cosmosBankTx.MsgSendSchema, {
      fromAddress: from,
      toAddress: to,
      amount: [{ denom: "uqos", amount: amount.toString() }],
    }),
  );
}

describe("tx builder", () => {
  it("a MsgSend signed by a keyring key passes the app's decode and CheckTx", async () => {
    const { keyring, alice, bob } = keys();
    const app = await startFundedApp([alice.address]);
    const rpc = appRpc(app);
    const info = await accountSigningInfo(rpc, alice.address);
    const unsigned = buildUnsignedTx({
      messages: [send(alice.address, bob.address, 10n)],
      memo: "hi",
      fee: [{ denom: "uqos", amount: 2000n }],
      gasLimit: 200_000n,
      signers: [{ pubKey: alice.pubKey, sequence: info.sequence }],
    });
    expect(missingSignatures(unsigned)).toEqual([alice.address]);
    const signed = signTx(unsigned, keyring.signer("alice"), {
      chainId: CHAIN_ID,
      accountNumber: info.accountNumber,
    });
    expect(missingSignatures(signed)).toEqual([]);
    const bytes = txToBytes(signed);
    const decoded = decodeTx(bytes);
    expect(decoded.body.memo).toBe("hi");
    expect(decoded.signatures[0]?.length).toBe(64);
    // Signed for another chain or account number fails the signature check (sdk 4).
    for (const o of [
      { chainId: "other-chain", accountNumber: info.accountNumber },
      { chainId: CHAIN_ID, accountNumber: info.accountNumber + 1n },
    ]) {
      const wrong = txToBytes(signTx(unsigned, keyring.signer("alice"), o));
      const r = await app.checkTx({ tx: wrong, type: "new" });
      expect([r.codespace, r.code]).toEqual(["sdk", 4]);
    }
    // A flipped signature byte too.
    const flipped = txFromBytes(bytes.slice());
    const sig = flipped.signatures[0] as Uint8Array;
    sig[5] = (sig[5] as number) ^ 1;
    const r = await app.checkTx({ tx: txToBytes(flipped), type: "new" });
    expect([r.codespace, r.code]).toEqual(["sdk", 4]);
    // Refusals changed nothing: the right tx passes.
    const check = await app.checkTx({ tx: bytes, type: "new" });
    expect([check.code, check.log]).toEqual([0, ""]);
  });

  it("a MsgTransfer with two senders needs both signatures; Simulate gives its gas", async () => {
    const { keyring, alice, bob } = keys();
    const app = await startFundedApp([alice.address, bob.address]);
    const rpc = appRpc(app);
    const msg = packMsg(
      qosBankTx.MsgTransferSchema,
      create(qosBankTx.MsgTransferSchema, {
        senders: [
          { address: alice.address, coins: [{ denom: "uqos", amount: "30" }] },
          { address: bob.address, coins: [{ denom: "uqos", amount: "20" }] },
        ],
        receivers: [{ address: alice.address, coins: [{ denom: "uqos", amount: "50" }] }],
      }),
    );
    expect(txSigners([msg])).toEqual([alice.address, bob.address]);
    const infos = [
      await accountSigningInfo(rpc, alice.address),
      await accountSigningInfo(rpc, bob.address),
    ];
    const base = {
      messages: [msg],
      fee: [{ denom: "uqos", amount: 2000n }],
      signers: [
        { pubKey: alice.pubKey, sequence: infos[0]?.sequence ?? 0n },
        { pubKey: bob.pubKey, sequence: infos[1]?.sequence ?? 0n },
      ],
    };
    const { gasUsed } = await simulateTx(
      rpc,
      txToBytes(buildUnsignedTx({ ...base, gasLimit: 0n })),
    );
    expect(gasUsed).toBeGreaterThan(0n);
    const gasLimit = adjustGas(gasUsed, parseDecimal("1.5", "adj"));
    let tx = buildUnsignedTx({ ...base, gasLimit });
    tx = signTx(tx, keyring.signer("alice"), {
      chainId: CHAIN_ID,
      accountNumber: infos[0]?.accountNumber ?? 0n,
    });
    const half = await app.checkTx({ tx: txToBytes(tx), type: "new" });
    expect(half.code).not.toBe(0);
    // Bob cannot change the auth info Alice signed (e.g. his sequence) …
    expect(() =>
      signTx(tx, keyring.signer("bob"), {
        chainId: CHAIN_ID,
        accountNumber: 1n,
        sequence: 9n,
      }),
    ).toThrow(/would change the auth info/);
    // … and a key that is not a signer cannot sign at all.
    const carol = createKeyring({ backend: "memory" });
    carol.add({ name: "carol", mnemonic: MNEMONICS[0] as string, index: 1 });
    expect(() =>
      signTx(tx, carol.signer("carol"), { chainId: CHAIN_ID, accountNumber: 0n }),
    ).toThrow(/is not a signer of this tx/);
    tx = signTx(tx, keyring.signer("bob"), {
      chainId: CHAIN_ID,
      accountNumber: infos[1]?.accountNumber ?? 0n,
    });
    const full = await app.checkTx({ tx: txToBytes(tx), type: "new" });
    expect([full.code, full.log]).toEqual([0, ""]);
    expect(full.gasUsed).toBeLessThanOrEqual(gasLimit);
  });

  it("refuses a signer count that does not match the messages", () => {
    const { alice, bob } = keys();
    expect(() =>
      buildUnsignedTx({
        messages: [send(alice.address, bob.address, 1n)],
        fee: [],
        gasLimit: 1n,
        signers: [],
      }),
    ).toThrow(QosError);
  });

  it("JSON files round-trip to the same TxRaw bytes (unsigned, and signed)", () => {
    const { keyring, alice, bob } = keys();
    const signer = keyring.signer("alice");
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.string({ maxLength: 40 }),
        fc.bigInt({ min: 0n, max: 1n << 40n }),
        fc.boolean(),
        (amount, sequence, memo, fee, sign) => {
          let tx = buildUnsignedTx({
            messages: [send(alice.address, bob.address, amount)],
            memo,
            fee: fee === 0n ? [] : [{ denom: "uqos", amount: fee }],
            gasLimit: 123_456n,
            signers: [{ pubKey: alice.pubKey, sequence }],
          });
          if (sign) tx = signTx(tx, signer, { chainId: CHAIN_ID, accountNumber: 3n });
          const text = JSON.stringify(txToJson(tx));
          const back = txFromJson(text);
          expect(txToBytes(back)).toEqual(txToBytes(tx));
          expect(JSON.stringify(txToJson(back))).toBe(text);
        },
      ),
      { numRuns: 60 },
    );
    const json = txToJson(
      buildUnsignedTx({
        messages: [send(alice.address, bob.address, 5n)],
        fee: [],
        gasLimit: 1n,
        signers: [{ pubKey: alice.pubKey, sequence: 0n }],
      }),
    ) as { body: { messages: Record<string, unknown>[] }; auth_info: Record<string, unknown> };
    // The Cosmos SDK's shape: "@type" first, snake_case names, defaults written.
    expect(Object.keys(json.body.messages[0] ?? {})).toEqual([
      "@type",
      "from_address",
      "to_address",
      "amount",
    ]);
    expect(json.auth_info).toMatchObject({
      fee: { amount: [], gas_limit: "1", payer: "", granter: "" },
    });
    expect(() => txFromJson('{"body":{"messages":[{"@type":"/qos.nope.MsgX"}]}}')).toThrow(
      /not a tx JSON/,
    );
    expect(() => txFromJson('{"bodyy":{}}')).toThrow(/not a tx JSON/);
  });

  it("reads an account's number and sequence, and names a missing account", async () => {
    const { alice, bob } = keys();
    const app = await startFundedApp([alice.address]);
    const rpc = appRpc(app);
    const info = await accountSigningInfo(rpc, alice.address);
    expect(info.sequence).toBe(0n);
    await expect(accountSigningInfo(rpc, bob.address)).rejects.toThrow(
      `account ${bob.address} does not exist on chain: send it tokens first`,
    );
  });
});
