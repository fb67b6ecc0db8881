// Test harness: a QOS app on the real multi-store over a temporary LMDB environment, blocks run
// the node's way (finalizeBlock, writeBlock(persist), commit), and CosmJS-signed txs.

import { create, toBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { stringToPath } from "@cosmjs/crypto";
import { DirectSecp256k1HdWallet, makeAuthInfoBytes, makeSignDoc } from "@cosmjs/proto-signing";
import { type NodeDb, openMultiStore, openNodeDb } from "@qos/store";
import { cosmosTx } from "@qos/types";
import { afterEach } from "vitest";
import { tempDir } from "../../../store/test/tempDir.ts";
import type { ExecTxResult } from "../../src/abci.ts";
import { createQosApp, type QosApp, type QosAppDeps } from "../../src/qosApp.ts";

export const CHAIN_ID = "qos-test-1";
export const MNEMONICS = [
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
  "legal winner thank year wave sausage worth useful legal winner thank yellow",
];

const open: { app: QosApp; db: NodeDb }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.app.close();
    await o.db.close();
  }
});

export interface Signer {
  readonly wallet: DirectSecp256k1HdWallet;
  readonly address: string;
  readonly pubkey: Uint8Array;
}

export async function makeSigner(mnemonic: string): Promise<Signer> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, {
    prefix: "qosacc",
    hdPaths: [stringToPath("m/44'/389'/0'/0/0")],
  });
  const [acc] = await wallet.getAccounts();
  if (acc === undefined) throw new Error("no account");
  return { wallet, address: acc.address, pubkey: acc.pubkey };
}

export interface Harness {
  readonly app: QosApp;
  height: bigint;
  block(
    txs: readonly Uint8Array[],
  ): Promise<{ results: readonly ExecTxResult[]; appHash: Uint8Array }>;
}

export async function startApp(
  appState: unknown,
  minGasPrices = "",
  extra: Pick<QosAppDeps, "signatureVerifier"> = {},
): Promise<Harness> {
  const db = openNodeDb({ path: tempDir("qos-app-") });
  const app = createQosApp(
    { chainId: CHAIN_ID, minGasPrices },
    { openStore: (storeNames) => openMultiStore({ db, storeNames }), ...extra },
  );
  open.push({ app, db });
  await app.initChain({
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: CHAIN_ID,
    consensusParams: {},
    validators: [],
    appStateBytes: new TextEncoder().encode(JSON.stringify(appState)),
    initialHeight: 1n,
  });
  const h: Harness = {
    app,
    height: 0n,
    async block(txs) {
      h.height++;
      const res = await app.finalizeBlock({
        txs,
        decidedLastCommit: { round: 0, votes: [] },
        misbehavior: [],
        hash: new Uint8Array(32),
        height: h.height,
        time: { seconds: 1_700_000_000n + h.height, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: new Uint8Array(20),
      });
      db.writeBlock((batch) => app.persist(batch));
      await app.commit();
      return { results: res.txResults, appHash: res.appHash };
    },
  };
  return h;
}

export interface TxOptions {
  readonly accountNumber: bigint;
  readonly sequence: bigint;
  readonly chainId?: string;
  readonly fee?: { denom: string; amount: string }[];
  readonly gasLimit?: bigint;
  readonly memo?: string;
  readonly timeoutHeight?: bigint;
  /** Replaces the signature. */
  readonly signature?: Uint8Array;
}

/** A TxRaw of `messages` signed by `signer` through CosmJS signDirect (SIGN_MODE_DIRECT). */
export async function signTx(
  signer: Signer,
  messages: readonly Any[],
  o: TxOptions,
): Promise<Uint8Array> {
  const bodyBytes = toBinary(
    cosmosTx.TxBodySchema,
    create(cosmosTx.TxBodySchema, {
      messages: [...messages],
      memo: o.memo ?? "",
      timeoutHeight: o.timeoutHeight ?? 0n,
    }),
  );
  const pubkeyAny = {
    typeUrl: "/cosmos.crypto.secp256k1.PubKey",
    // cosmos.crypto.secp256k1.PubKey{key}: field 1, bytes.
    value: Uint8Array.of(0x0a, signer.pubkey.length, ...signer.pubkey),
  };
  const authInfoBytes = makeAuthInfoBytes(
    [{ pubkey: pubkeyAny, sequence: o.sequence }],
    o.fee ?? [{ denom: "uqos", amount: "2000" }],
    Number(o.gasLimit ?? 200_000n),
    undefined,
    undefined,
  );
  const signDoc = makeSignDoc(
    bodyBytes,
    authInfoBytes,
    o.chainId ?? CHAIN_ID,
    Number(o.accountNumber),
  );
  const { signature } = await signer.wallet.signDirect(signer.address, signDoc);
  const sig = o.signature ?? Uint8Array.from(Buffer.from(signature.signature, "base64"));
  return toBinary(
    cosmosTx.TxRawSchema,
    create(cosmosTx.TxRawSchema, { bodyBytes, authInfoBytes, signatures: [sig] }),
  );
}
