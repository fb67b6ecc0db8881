// Test-only bridge from our protobuf-es message schemas to CosmJS: a `GeneratedType` per
// `DescMessage` and a `Registry` holding CosmJS's defaults plus the qos.bank and qos.qsc messages.

import {
  create,
  type DescMessage,
  fromBinary,
  isMessage,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { type GeneratedType, Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes } from "@cosmjs/stargate";
import { qosBankTx, qscTx } from "@qos/types";

/** The Cosmos type URL of a message schema: `/` + its full protobuf name. */
export function typeUrlOf(schema: DescMessage): string {
  return `/${schema.typeName}`;
}

/**
 * A CosmJS `GeneratedType` (the ts-proto shape: `encode(msg).finish()`, `decode(bytes)`,
 * `fromPartial(init)`) backed by a protobuf-es schema. `encode` accepts a message of the schema
 * or a plain init object; `decode` returns a protobuf-es message.
 */
export function generatedTypeFromDesc<Desc extends DescMessage>(schema: Desc): GeneratedType {
  const toMessage = (value: unknown): MessageShape<Desc> =>
    isMessage(value, schema) ? value : create(schema, value as MessageInitShape<Desc>);
  const type = {
    encode: (message: unknown) => {
      const bytes = toBinary(schema, toMessage(message));
      return { finish: () => bytes };
    },
    decode: (input: Uint8Array) => fromBinary(schema, input),
    fromPartial: (object: unknown) => toMessage(object),
  };
  // The writer CosmJS's types name is only ever asked for finish(); nothing else is used.
  return type as unknown as GeneratedType;
}

/** The QOS messages CosmJS does not know: qos.bank.v1 and qos.qsc.v1 (every Msg*, not responses). */
export const QOS_MESSAGE_SCHEMAS: readonly DescMessage[] = [qosBankTx, qscTx].flatMap((file) =>
  Object.values(file).filter(
    (v): v is DescMessage =>
      typeof v === "object" &&
      v !== null &&
      (v as { kind?: unknown }).kind === "message" &&
      /\.Msg[A-Za-z]+$/.test((v as DescMessage).typeName) &&
      !(v as DescMessage).typeName.endsWith("Response"),
  ),
);

/** CosmJS's default types (cosmos.bank MsgSend, staking, …) plus every QOS message. */
export function createQosRegistry(): Registry {
  return new Registry([
    ...defaultRegistryTypes,
    ...QOS_MESSAGE_SCHEMAS.map((s): [string, GeneratedType] => [
      typeUrlOf(s),
      generatedTypeFromDesc(s),
    ]),
  ]);
}
