// The messages the client builds (bank, qos bank, qsc), packed as Cosmos Anys, the signers each
// one needs (as the app's handlers name them), and the protobuf-es registry for their proto3 JSON.

import {
  create,
  createRegistry,
  type DescMessage,
  fromBinary,
  type MessageShape,
  type Registry,
  toBinary,
} from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import {
  cosmosAuth,
  cosmosBankTx,
  cosmosSecp256k1,
  cosmosTx,
  QosError,
  qosBankTx,
  qscTx,
} from "@qos/types";

interface MessageKind {
  readonly schema: DescMessage;
  /** bech32 addresses that must sign, in the order the app collects them. */
  readonly signers: (msg: never) => readonly string[];
}

function kind<Desc extends DescMessage>(
  schema: Desc,
  signers: (msg: MessageShape<Desc>) => readonly string[],
): MessageKind {
  return { schema, signers: signers as (msg: never) => readonly string[] };
}

const KINDS: readonly MessageKind[] = [
  kind(cosmosBankTx.MsgSendSchema, (m) => [m.fromAddress]),
  kind(qosBankTx.MsgTransferSchema, (m) => m.senders.map((s) => s.address)),
  kind(qosBankTx.MsgApproveSchema, (m) => [m.owner]),
  kind(qosBankTx.MsgIncreaseAllowanceSchema, (m) => [m.owner]),
  kind(qosBankTx.MsgDecreaseAllowanceSchema, (m) => [m.owner]),
  kind(qosBankTx.MsgRevokeAllowanceSchema, (m) => [m.owner]),
  kind(qosBankTx.MsgTransferFromSchema, (m) => [m.spender]),
  kind(qscTx.MsgCreateTokenSchema, (m) => [m.creator]),
  kind(qscTx.MsgIssueSchema, (m) => [m.issuer]),
  kind(qscTx.MsgBurnSchema, (m) => [m.owner]),
  kind(qscTx.MsgFreezeSchema, (m) => [m.issuer]),
  kind(qscTx.MsgUnfreezeSchema, (m) => [m.issuer]),
  kind(qscTx.MsgPauseSchema, (m) => [m.issuer]),
  kind(qscTx.MsgUnpauseSchema, (m) => [m.issuer]),
];

const BY_TYPE_URL = new Map(KINDS.map((k) => [`/${k.schema.typeName}`, k]));

/** Every type a tx or query JSON may hold in an Any: our messages, keys and accounts. */
export const CLIENT_REGISTRY: Registry = createRegistry(
  ...KINDS.map((k) => k.schema),
  cosmosSecp256k1.PubKeySchema,
  cosmosAuth.BaseAccountSchema,
  cosmosTx.TxSchema,
);

/** A message packed the Cosmos way: type URL "/<full name>". */
export function packMsg<Desc extends DescMessage>(schema: Desc, msg: MessageShape<Desc>): Any {
  return create(AnySchema, { typeUrl: `/${schema.typeName}`, value: toBinary(schema, msg) });
}

/**
 * The addresses that must sign `messages`, first-seen order without repeats (the app's order:
 * signer i signs with signer_infos[i], and signer 0 pays the fee).
 */
export function txSigners(messages: readonly Any[]): string[] {
  const out: string[] = [];
  messages.forEach((any, i) => {
    const k = BY_TYPE_URL.get(any.typeUrl);
    if (k === undefined)
      throw new QosError(
        "tx_unknown_message",
        `message ${i}: the client does not know ${any.typeUrl}`,
      );
    let msg: unknown;
    try {
      msg = fromBinary(k.schema, any.value);
    } catch (e) {
      throw new QosError(
        "tx_unknown_message",
        `message ${i} (${any.typeUrl}): ${(e as Error).message}`,
      );
    }
    for (const s of k.signers(msg as never)) if (!out.includes(s)) out.push(s);
  });
  return out;
}
