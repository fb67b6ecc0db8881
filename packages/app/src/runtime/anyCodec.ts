// google.protobuf.Any the Cosmos way: type URL "/<full message name>" (not the
// "type.googleapis.com/" prefix @bufbuild's anyPack writes). Pure.

import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";

export function typeUrlOf(schema: DescMessage): string {
  return `/${schema.typeName}`;
}

export function packAny<Desc extends DescMessage>(schema: Desc, msg: MessageShape<Desc>): Any {
  return create(AnySchema, { typeUrl: typeUrlOf(schema), value: toBinary(schema, msg) });
}

/** The message in `any` when its type URL is exactly `/<schema name>`; undefined otherwise. Throws on malformed bytes. */
export function unpackAny<Desc extends DescMessage>(
  any: Any,
  schema: Desc,
): MessageShape<Desc> | undefined {
  if (any.typeUrl !== typeUrlOf(schema)) return undefined;
  return fromBinary(schema, any.value);
}
