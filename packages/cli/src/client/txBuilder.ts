// Builds and signs Cosmos txs (cosmos.tx.v1beta1, SIGN_MODE_DIRECT): an unsigned Tx with one
// signer info per signer, the SignDoc each signer signs, TxRaw bytes, and the proto3 JSON form
// of a Tx used by --generate-only, `tx sign` and `tx broadcast` files. Pure.

import {
  create,
  type DescMessage,
  fromBinary,
  fromJsonString,
  type MessageShape,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { Secp256k1Signer } from "@qos/crypto";
import {
  cosmosCoin,
  cosmosSecp256k1,
  cosmosSigning,
  cosmosTx,
  equalBytes,
  QosError,
} from "@qos/types";
import { CLIENT_REGISTRY, packMsg, txSigners } from "./txMessages.ts";

export const TX_BUILD_ERROR = {
  invalid: "tx_invalid",
  signer: "tx_signer",
  json: "tx_json",
} as const;

/** Cosmos's default gas limit when --gas is not given. */
export const DEFAULT_GAS_LIMIT = 200_000n;

export interface TxSignerInput {
  /** 33-byte compressed secp256k1 key; undefined when not known yet (an address without a key). */
  readonly pubKey: Uint8Array | undefined;
  readonly sequence: bigint;
}

export interface UnsignedTxInput {
  readonly messages: readonly Any[];
  readonly memo?: string;
  readonly timeoutHeight?: bigint;
  readonly fee: readonly { readonly denom: string; readonly amount: bigint }[];
  readonly gasLimit: bigint;
  /** One per signer of the messages (txSigners order). */
  readonly signers: readonly TxSignerInput[];
}

function pubKeyAny(key: Uint8Array): Any {
  return packMsg(cosmosSecp256k1.PubKeySchema, create(cosmosSecp256k1.PubKeySchema, { key }));
}

function signerInfo(s: TxSignerInput): cosmosTx.SignerInfo {
  return create(cosmosTx.SignerInfoSchema, {
    ...(s.pubKey !== undefined ? { publicKey: pubKeyAny(s.pubKey) } : {}),
    modeInfo: create(cosmosTx.ModeInfoSchema, {
      sum: {
        case: "single",
        value: create(cosmosTx.ModeInfo_SingleSchema, { mode: cosmosSigning.SignMode.DIRECT }),
      },
    }),
    sequence: s.sequence,
  });
}

/** A Tx with the body, fee and signer infos set and one empty signature per signer. */
export function buildUnsignedTx(input: UnsignedTxInput): cosmosTx.Tx {
  const signers = txSigners(input.messages);
  if (signers.length !== input.signers.length)
    throw new QosError(
      TX_BUILD_ERROR.invalid,
      `the messages need ${signers.length} signer(s), ${input.signers.length} given`,
    );
  return create(cosmosTx.TxSchema, {
    body: create(cosmosTx.TxBodySchema, {
      messages: [...input.messages],
      memo: input.memo ?? "",
      timeoutHeight: input.timeoutHeight ?? 0n,
    }),
    authInfo: create(cosmosTx.AuthInfoSchema, {
      signerInfos: input.signers.map(signerInfo),
      fee: create(cosmosTx.FeeSchema, {
        amount: input.fee.map((c) =>
          create(cosmosCoin.CoinSchema, { denom: c.denom, amount: c.amount.toString() }),
        ),
        gasLimit: input.gasLimit,
      }),
    }),
    signatures: signers.map(() => new Uint8Array()),
  });
}

function parts(tx: cosmosTx.Tx): { body: cosmosTx.TxBody; authInfo: cosmosTx.AuthInfo } {
  if (tx.body === undefined || tx.authInfo === undefined)
    throw new QosError(TX_BUILD_ERROR.invalid, "the tx has no body or no auth_info");
  return { body: tx.body, authInfo: tx.authInfo };
}

/** The body and auth info bytes every signature covers (deterministic protobuf encoding). */
export function txSignedParts(tx: cosmosTx.Tx): {
  bodyBytes: Uint8Array;
  authInfoBytes: Uint8Array;
} {
  const { body, authInfo } = parts(tx);
  return {
    bodyBytes: toBinary(cosmosTx.TxBodySchema, body),
    authInfoBytes: toBinary(cosmosTx.AuthInfoSchema, authInfo),
  };
}

/** SIGN_MODE_DIRECT: the bytes of SignDoc{body_bytes, auth_info_bytes, chain_id, account_number}. */
export function signDocBytes(tx: cosmosTx.Tx, chainId: string, accountNumber: bigint): Uint8Array {
  const { bodyBytes, authInfoBytes } = txSignedParts(tx);
  return toBinary(
    cosmosTx.SignDocSchema,
    create(cosmosTx.SignDocSchema, { bodyBytes, authInfoBytes, chainId, accountNumber }),
  );
}

export interface SignOptions {
  readonly chainId: string;
  readonly accountNumber: bigint;
  /** Overrides the signer's sequence in its signer info (the chain's, or --sequence). */
  readonly sequence?: bigint;
}

/**
 * Signs `tx` as `signer` and returns the signed copy. The signer's slot (its address among the
 * messages' signers) gets its public key, the sequence if given, and the signature. Changing
 * the auth info is refused once another signer has signed (it would void that signature).
 */
export function signTx(tx: cosmosTx.Tx, signer: Secp256k1Signer, o: SignOptions): cosmosTx.Tx {
  const { body, authInfo } = parts(tx);
  const signers = txSigners(body.messages);
  const slot = signers.indexOf(signer.address);
  if (slot < 0)
    throw new QosError(
      TX_BUILD_ERROR.signer,
      `${signer.address} is not a signer of this tx (signers: ${signers.join(", ")})`,
    );
  if (authInfo.signerInfos.length !== signers.length)
    throw new QosError(
      TX_BUILD_ERROR.invalid,
      `the tx has ${authInfo.signerInfos.length} signer infos for ${signers.length} signers`,
    );
  const current = authInfo.signerInfos[slot] as cosmosTx.SignerInfo;
  const wanted = signerInfo({ pubKey: signer.pubKey, sequence: o.sequence ?? current.sequence });
  const signerInfos = authInfo.signerInfos.map((s, i) => (i === slot ? wanted : s));
  const next = create(cosmosTx.TxSchema, {
    body,
    authInfo: { ...authInfo, signerInfos },
    signatures: signers.map((_, i) => tx.signatures[i] ?? new Uint8Array()),
  });
  const before = txSignedParts(tx).authInfoBytes;
  const after = txSignedParts(next).authInfoBytes;
  const othersSigned = next.signatures.some((s, i) => i !== slot && s.length > 0);
  if (othersSigned && !equalBytes(before, after))
    throw new QosError(
      TX_BUILD_ERROR.signer,
      `signing as ${signer.address} would change the auth info (public key or sequence) that other signers already signed`,
    );
  next.signatures[slot] = signer.sign(signDocBytes(next, o.chainId, o.accountNumber));
  return next;
}

/** Addresses whose signature is still missing. */
export function missingSignatures(tx: cosmosTx.Tx): string[] {
  const signers = txSigners(parts(tx).body.messages);
  return signers.filter((_, i) => (tx.signatures[i]?.length ?? 0) === 0);
}

/** TxRaw bytes: what is broadcast and hashed (tx hash = sha256 of these bytes). */
export function txToBytes(tx: cosmosTx.Tx): Uint8Array {
  const { bodyBytes, authInfoBytes } = txSignedParts(tx);
  return toBinary(
    cosmosTx.TxRawSchema,
    create(cosmosTx.TxRawSchema, { bodyBytes, authInfoBytes, signatures: [...tx.signatures] }),
  );
}

/** TxRaw bytes back to a Tx (body and auth info decoded). */
export function txFromBytes(bytes: Uint8Array): cosmosTx.Tx {
  try {
    const raw = fromBinary(cosmosTx.TxRawSchema, bytes);
    return create(cosmosTx.TxSchema, {
      body: fromBinary(cosmosTx.TxBodySchema, raw.bodyBytes),
      authInfo: fromBinary(cosmosTx.AuthInfoSchema, raw.authInfoBytes),
      signatures: raw.signatures,
    });
  } catch (e) {
    throw new QosError(TX_BUILD_ERROR.invalid, `not a TxRaw: ${(e as Error).message}`);
  }
}

/** Options of the Cosmos SDK's JSON: proto field names, every field written. */
const JSON_WRITE = {
  registry: CLIENT_REGISTRY,
  useProtoFieldName: true,
  alwaysEmitImplicit: true,
} as const;

/** JSON with every object's "@type" first, as the Cosmos SDK writes Anys. */
function typeFirst(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(typeFirst);
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = "@type" in o ? { "@type": o["@type"] } : {};
  for (const [k, val] of Object.entries(o)) if (k !== "@type") out[k] = typeFirst(val);
  return out;
}

/** protobuf-es reads "@type" into "type.googleapis.com/<name>"; Cosmos wants "/<name>". */
function cosmosTypeUrl(any: Any): Any {
  const name = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
  return { ...any, typeUrl: `/${name}` };
}

/** The proto3 JSON of a Tx (`@type` Anys, snake_case, defaults written), as the Cosmos SDK prints it. */
export function txToJson(tx: cosmosTx.Tx): unknown {
  return typeFirst(toJson(cosmosTx.TxSchema, tx, JSON_WRITE));
}

/** Parses a Tx JSON file (Cosmos SDK or ours); unknown fields and message types are refused. */
export function txFromJson(text: string): cosmosTx.Tx {
  let tx: cosmosTx.Tx;
  try {
    tx = fromJsonString(cosmosTx.TxSchema, text, { registry: CLIENT_REGISTRY });
  } catch (e) {
    throw new QosError(TX_BUILD_ERROR.json, `not a tx JSON: ${(e as Error).message}`);
  }
  if (tx.body !== undefined) tx.body.messages = tx.body.messages.map(cosmosTypeUrl);
  for (const si of tx.authInfo?.signerInfos ?? [])
    if (si.publicKey !== undefined) si.publicKey = cosmosTypeUrl(si.publicKey);
  return tx;
}

/** Any message of a query response in the same JSON shape. */
export function messageToJson<Desc extends DescMessage>(
  schema: Desc,
  msg: MessageShape<Desc>,
): unknown {
  return typeFirst(toJson(schema, msg, JSON_WRITE));
}
