// The Data of a successful tx result: cosmos.base.abci.v1beta1.TxMsgData {2 msg_responses:
// repeated Any {1 type_url, 2 value}}, proto3, byte-identical to `toBinary(TxMsgDataSchema)`. Pure.

import type { Any } from "@bufbuild/protobuf/wkt";
import { createWireWriter, lenFieldSize, utf8Bytes } from "@qos/types";

export function txMsgDataBytes(responses: readonly Any[]): Uint8Array {
  const parts: { typeUrl: Uint8Array; value: Uint8Array; size: number }[] = [];
  let size = 0;
  for (const r of responses) {
    const typeUrl = utf8Bytes(r.typeUrl);
    let inner = 0;
    if (typeUrl.length > 0) inner += lenFieldSize(typeUrl.length);
    if (r.value.length > 0) inner += lenFieldSize(r.value.length);
    parts.push({ typeUrl, value: r.value, size: inner });
    size += lenFieldSize(inner);
  }
  const w = createWireWriter(size);
  for (const p of parts) {
    w.varint((2 << 3) | 2);
    w.varint(p.size);
    if (p.typeUrl.length > 0) w.lenField(1, p.typeUrl);
    if (p.value.length > 0) w.lenField(2, p.value);
  }
  return w.finish();
}
