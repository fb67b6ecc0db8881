// Pre-signed QOS app load: genesis-funded bench accounts (deterministic keys), their genesis
// app_state, and cosmos.bank.v1beta1.MsgSend TxRaws (SIGN_MODE_DIRECT, secp256k1) per account
// in sequence order, so signing is never in the measured path.

import { create, toBinary } from "@bufbuild/protobuf";
import { addressToBech32 } from "@qos/app";
import { secp256k1Address, secp256k1PublicKey, secp256k1Sign, sha256 } from "@qos/crypto";
import { cosmosBankTx, cosmosSecp256k1, cosmosSigning, cosmosTx, utf8Encode } from "@qos/types";

/** The denom, fee and gas limit of every bench tx (gas used by a MsgSend is well under it). */
export const BENCH_DENOM = "uqos";
export const BENCH_FEE = 200n;
export const BENCH_GAS_LIMIT = 200_000n;
const FUNDS = 1_000_000_000_000n;

export interface BenchAccount {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly address: string;
  /** Its genesis account number (accounts are numbered in list order from 0). */
  readonly accountNumber: bigint;
}

/** `count` accounts with keys sha256("qos-bench-account-<i>"), numbered 0..count-1. */
export function makeBenchAccounts(count: number): BenchAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const privateKey = sha256(utf8Encode(`qos-bench-account-${i}`));
    const publicKey = secp256k1PublicKey(privateKey);
    return {
      privateKey,
      publicKey,
      address: addressToBech32(secp256k1Address(publicKey)),
      accountNumber: BigInt(i),
    };
  });
}

/** Genesis app_state funding every account (auth accounts in order, bank balances). */
export function benchAppState(accounts: readonly BenchAccount[]): unknown {
  return {
    auth: {
      accounts: accounts.map((a) => ({
        address: a.address,
        account_number: a.accountNumber.toString(),
      })),
    },
    bank: {
      balances: accounts.map((a) => ({
        address: a.address,
        coins: [{ denom: BENCH_DENOM, amount: FUNDS.toString() }],
      })),
    },
  };
}

/** A signed TxRaw: `from` sends 1 uqos to `to` at `sequence`, fee BENCH_FEE uqos. */
export function signedSend(
  chainId: string,
  from: BenchAccount,
  to: BenchAccount,
  sequence: bigint,
): Uint8Array {
  const msg = create(cosmosBankTx.MsgSendSchema, {
    fromAddress: from.address,
    toAddress: to.address,
    amount: [{ denom: BENCH_DENOM, amount: "1" }],
  });
  const bodyBytes = toBinary(
    cosmosTx.TxBodySchema,
    create(cosmosTx.TxBodySchema, {
      messages: [
        {
          typeUrl: `/${cosmosBankTx.MsgSendSchema.typeName}`,
          value: toBinary(cosmosBankTx.MsgSendSchema, msg),
        },
      ],
    }),
  );
  const pubKey = toBinary(
    cosmosSecp256k1.PubKeySchema,
    create(cosmosSecp256k1.PubKeySchema, { key: from.publicKey }),
  );
  const authInfoBytes = toBinary(
    cosmosTx.AuthInfoSchema,
    create(cosmosTx.AuthInfoSchema, {
      signerInfos: [
        {
          publicKey: { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: pubKey },
          modeInfo: {
            sum: { case: "single", value: { mode: cosmosSigning.SignMode.DIRECT } },
          },
          sequence,
        },
      ],
      fee: {
        amount: [{ denom: BENCH_DENOM, amount: BENCH_FEE.toString() }],
        gasLimit: BENCH_GAS_LIMIT,
      },
    }),
  );
  // SIGN_MODE_DIRECT: the signature covers the SignDoc's canonical protobuf bytes.
  const signDoc = toBinary(
    cosmosTx.SignDocSchema,
    create(cosmosTx.SignDocSchema, {
      bodyBytes,
      authInfoBytes,
      chainId,
      accountNumber: from.accountNumber,
    }),
  );
  const signature = secp256k1Sign(from.privateKey, signDoc);
  return toBinary(
    cosmosTx.TxRawSchema,
    create(cosmosTx.TxRawSchema, { bodyBytes, authInfoBytes, signatures: [signature] }),
  );
}

/** Per-client queues of base64 txs: client c owns accounts c, c+C, c+2C, … and sends them in order. */
export interface SignedLoad {
  readonly accounts: readonly BenchAccount[];
  readonly txsPerAccount: number;
  readonly txBytes: number;
  /** queues[c]: client c's txs, round-robin over its accounts, each account's sequences ascending. */
  readonly queues: readonly (readonly string[])[];
  /** Signing rate while building (signatures/s, this process). */
  readonly signedPerS: number;
}

/**
 * Signs `txsPerAccount` sends for every account (sequences 0..k-1, each to the next account)
 * and splits them into `clients` queues. Sequence s of an account always comes before s+1 in
 * its queue, and an account belongs to one client only.
 */
export function buildSignedLoad(
  chainId: string,
  accounts: readonly BenchAccount[],
  txsPerAccount: number,
  clients: number,
): SignedLoad {
  const queues: string[][] = Array.from({ length: clients }, () => []);
  const start = performance.now();
  let txBytes = 0;
  for (let s = 0; s < txsPerAccount; s++) {
    accounts.forEach((from, i) => {
      const to = accounts[(i + 1) % accounts.length] as BenchAccount;
      const tx = signedSend(chainId, from, to, BigInt(s));
      txBytes = tx.length;
      (queues[i % clients] as string[]).push(Buffer.from(tx).toString("base64"));
    });
  }
  const signed = accounts.length * txsPerAccount;
  return {
    accounts,
    txsPerAccount,
    txBytes,
    queues,
    signedPerS: signed / ((performance.now() - start) / 1000),
  };
}
