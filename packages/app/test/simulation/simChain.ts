// The simulation's chain: the QOS app over the real multi-store on LMDB in a temp dir, accounts
// with real secp256k1 keys, SIGN_MODE_DIRECT tx signing, blocks run the node's way (CheckTx of
// every tx, FinalizeBlock, writeBlock(persist), Commit) and raw reads of the committed state.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { secp256k1Address, secp256k1PublicKey, secp256k1Sign, sha256 } from "@qos/crypto";
import { type MultiStore, type NodeDb, openMultiStore, openNodeDb, prefixRange } from "@qos/store";
import {
  cosmosAuth,
  cosmosAuthQuery,
  cosmosSecp256k1,
  cosmosSigning,
  cosmosTx,
  qscTypes,
  utf8Encode,
} from "@qos/types";
import { tempDir } from "../../../store/test/tempDir.ts";
import type { ExecTxResult } from "../../src/abci.ts";
import { createQosApp, type QosApp } from "../../src/qosApp.ts";
import { addressToBech32 } from "../../src/runtime/address.ts";
import { unpackAny } from "../../src/runtime/anyCodec.ts";

export const SIM_CHAIN_ID = "qos-sim-1";
export const SIM_MIN_GAS_PRICES = "0.01uqos";

export interface SimAccount {
  readonly index: number;
  readonly privateKey: Uint8Array;
  readonly pubkey: Uint8Array;
  readonly address: Uint8Array;
  readonly bech32: string;
  /** Read from the chain after genesis. */
  accountNumber: bigint;
}

/** Deterministic keys: private key i = sha256("qos-app-sim/" ‖ i). */
export function simAccounts(count: number): SimAccount[] {
  return Array.from({ length: count }, (_, index) => {
    const privateKey = sha256(utf8Encode(`qos-app-sim/${index}`));
    const pubkey = secp256k1PublicKey(privateKey);
    const address = secp256k1Address(pubkey);
    return {
      index,
      privateKey,
      pubkey,
      address,
      bech32: addressToBech32(address),
      accountNumber: -1n,
    };
  });
}

export interface SimSigner {
  readonly account: SimAccount;
  readonly sequence: bigint;
}

/** A TxRaw of `messages` signed SIGN_MODE_DIRECT by every signer (the first pays `feeUqos`). */
export function signSimTx(
  signers: readonly SimSigner[],
  messages: readonly Any[],
  feeUqos: bigint,
  gasLimit: bigint,
): Uint8Array {
  const bodyBytes = toBinary(
    cosmosTx.TxBodySchema,
    create(cosmosTx.TxBodySchema, { messages: [...messages] }),
  );
  const authInfoBytes = toBinary(
    cosmosTx.AuthInfoSchema,
    create(cosmosTx.AuthInfoSchema, {
      signerInfos: signers.map((s) =>
        create(cosmosTx.SignerInfoSchema, {
          publicKey: {
            typeUrl: "/cosmos.crypto.secp256k1.PubKey",
            value: toBinary(
              cosmosSecp256k1.PubKeySchema,
              create(cosmosSecp256k1.PubKeySchema, { key: s.account.pubkey }),
            ),
          },
          modeInfo: {
            sum: { case: "single", value: { mode: cosmosSigning.SignMode.DIRECT } },
          },
          sequence: s.sequence,
        }),
      ),
      fee: create(cosmosTx.FeeSchema, {
        amount: [{ denom: "uqos", amount: feeUqos.toString() }],
        gasLimit,
      }),
    }),
  );
  const signatures = signers.map((s) =>
    secp256k1Sign(
      s.account.privateKey,
      toBinary(
        cosmosTx.SignDocSchema,
        create(cosmosTx.SignDocSchema, {
          bodyBytes,
          authInfoBytes,
          chainId: SIM_CHAIN_ID,
          accountNumber: s.account.accountNumber,
        }),
      ),
    ),
  );
  return toBinary(
    cosmosTx.TxRawSchema,
    create(cosmosTx.TxRawSchema, { bodyBytes, authInfoBytes, signatures }),
  );
}

/** The committed state, read key by key from the raw stores (not through the keepers). */
export interface SimState {
  /** `${bech32} ${denom}` → amount (every stored balance, including addresses the sim never made). */
  readonly balances: Map<string, bigint>;
  readonly supply: Map<string, bigint>;
  /** `${owner} ${spender} ${denom}` → amount. */
  readonly allowances: Map<string, bigint>;
  /** `${holder} ${denom}` → amount. */
  readonly frozen: Map<string, bigint>;
  readonly paused: Set<string>;
  readonly tokens: Map<string, qscTypes.Token>;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Stored amounts are decimal ASCII; anything else (a sign, a leading zero, empty) is a bug. */
function amountOf(value: Uint8Array, what: string): bigint {
  const text = utf8.decode(value);
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new Error(`${what}: stored amount "${text}"`);
  return BigInt(text);
}

export function readSimState(ms: MultiStore): SimState {
  const view = ms.at();
  const bank = view.store("bank");
  const qsc = view.store("qsc");
  const balances = new Map<string, bigint>();
  const supply = new Map<string, bigint>();
  const allowances = new Map<string, bigint>();
  for (const e of bank.iterate(prefixRange(Uint8Array.of(0x00)))) {
    const denom = utf8.decode(e.key.subarray(1));
    supply.set(denom, amountOf(e.value, `supply ${denom}`));
  }
  for (const e of bank.iterate(prefixRange(Uint8Array.of(0x02)))) {
    const n = e.key[1] as number;
    const who = addressToBech32(e.key.subarray(2, 2 + n));
    const denom = utf8.decode(e.key.subarray(2 + n));
    balances.set(`${who} ${denom}`, amountOf(e.value, `balance ${who} ${denom}`));
  }
  for (const e of bank.iterate(prefixRange(Uint8Array.of(0x03)))) {
    const ol = e.key[1] as number;
    const owner = addressToBech32(e.key.subarray(2, 2 + ol));
    const sl = e.key[2 + ol] as number;
    const spender = addressToBech32(e.key.subarray(3 + ol, 3 + ol + sl));
    const denom = utf8.decode(e.key.subarray(3 + ol + sl));
    allowances.set(`${owner} ${spender} ${denom}`, amountOf(e.value, "allowance"));
  }
  const frozen = new Map<string, bigint>();
  const paused = new Set<string>();
  const tokens = new Map<string, qscTypes.Token>();
  for (const e of qsc.iterate(prefixRange(Uint8Array.of(0x01)))) {
    tokens.set(utf8.decode(e.key.subarray(1)), fromBinary(qscTypes.TokenSchema, e.value));
  }
  for (const e of qsc.iterate(prefixRange(Uint8Array.of(0x02)))) {
    const dl = e.key[1] as number;
    const denom = utf8.decode(e.key.subarray(2, 2 + dl));
    const holder = addressToBech32(e.key.subarray(2 + dl));
    frozen.set(`${holder} ${denom}`, amountOf(e.value, `frozen ${holder} ${denom}`));
  }
  for (const e of qsc.iterate(prefixRange(Uint8Array.of(0x03)))) {
    paused.add(utf8.decode(e.key.subarray(1)));
  }
  return { balances, supply, allowances, frozen, paused, tokens };
}

export interface SimBlockResult {
  readonly check: readonly { code: number; codespace: string }[];
  readonly results: readonly ExecTxResult[];
  readonly appHash: Uint8Array;
}

export interface SimChain {
  readonly app: QosApp;
  readonly ms: MultiStore;
  height: bigint;
  /** CheckTx of every tx (mempool order), then FinalizeBlock of all of them, persist, Commit. */
  block(txs: readonly Uint8Array[]): Promise<SimBlockResult>;
  /** The committed BaseAccount of an address (undefined if none). */
  account(bech32: string): Promise<cosmosAuth.BaseAccount | undefined>;
  close(): Promise<void>;
}

export async function startSimChain(appState: unknown): Promise<SimChain> {
  const db: NodeDb = openNodeDb({ path: tempDir("qos-app-sim-") });
  let ms: MultiStore | undefined;
  const app = createQosApp(
    { chainId: SIM_CHAIN_ID, minGasPrices: SIM_MIN_GAS_PRICES },
    {
      openStore: (storeNames) => {
        ms = openMultiStore({ db, storeNames });
        return ms;
      },
    },
  );
  const store = ms as MultiStore | undefined;
  if (store === undefined) throw new Error("the app did not open its store");
  await app.initChain({
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: SIM_CHAIN_ID,
    consensusParams: {},
    validators: [],
    appStateBytes: utf8Encode(JSON.stringify(appState)),
    initialHeight: 1n,
  });
  const chain: SimChain = {
    app,
    ms: store,
    height: 0n,
    async block(txs) {
      const check: { code: number; codespace: string }[] = [];
      for (const tx of txs) {
        const r = await app.checkTx({ tx, type: "new" });
        check.push({ code: r.code, codespace: r.codespace });
      }
      chain.height++;
      const res = await app.finalizeBlock({
        txs,
        decidedLastCommit: { round: 0, votes: [] },
        misbehavior: [],
        hash: new Uint8Array(32),
        height: chain.height,
        time: { seconds: 1_700_000_000n + 5n * chain.height, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: new Uint8Array(20),
      });
      db.writeBlock((batch) => app.persist(batch));
      await app.commit();
      return { check, results: res.txResults, appHash: res.appHash };
    },
    account: (bech32) => accountQuery(app, bech32),
    async close() {
      await app.close();
      await db.close();
    },
  };
  return chain;
}

async function accountQuery(
  app: QosApp,
  bech32: string,
): Promise<cosmosAuth.BaseAccount | undefined> {
  const r = await app.query({
    path: "/cosmos.auth.v1beta1.Query/Account",
    data: toBinary(
      cosmosAuthQuery.QueryAccountRequestSchema,
      create(cosmosAuthQuery.QueryAccountRequestSchema, { address: bech32 }),
    ),
    prove: false,
    height: 0n,
  });
  if (r.code !== 0) return undefined;
  const any = fromBinary(cosmosAuthQuery.QueryAccountResponseSchema, r.value).account;
  return any === undefined ? undefined : unpackAny(any, cosmosAuth.BaseAccountSchema);
}
