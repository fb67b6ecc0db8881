// CometBFT JSON of ABCI ExecTxResult and Event (gogoproto structs, every field omitempty):
// code 0, empty bytes/strings, zero gas and empty lists disappear.

import { create } from "@bufbuild/protobuf";
import { toBase64 } from "../bytes.ts";
import type { Result } from "../errors.ts";
import {
  type Event,
  type EventAttribute,
  EventSchema,
  type ExecTxResult,
  ExecTxResultSchema,
} from "../gen/tendermint/abci/types_pb.ts";
import type { JsonDecodeError } from "../typesError.ts";
import {
  decodeJson,
  readArray,
  readBase64,
  readBool,
  readInt64,
  readObject,
  readOptionalString,
  readUint32,
} from "./jsonReader.ts";

export type EventAttributeJson = { key?: string; value?: string; index?: boolean };
export type EventJson = { type?: string; attributes?: EventAttributeJson[] };
export type ExecTxResultJson = {
  code?: number;
  data?: string;
  log?: string;
  info?: string;
  gas_wanted?: string;
  gas_used?: string;
  events?: EventJson[];
  codespace?: string;
};

export function eventAttributeToJson(a: EventAttribute): EventAttributeJson {
  const out: EventAttributeJson = {};
  if (a.key !== "") out.key = a.key;
  if (a.value !== "") out.value = a.value;
  if (a.index) out.index = true;
  return out;
}

export function eventToJson(e: Event): EventJson {
  const out: EventJson = {};
  if (e.type !== "") out.type = e.type;
  if (e.attributes.length > 0) out.attributes = e.attributes.map(eventAttributeToJson);
  return out;
}

export function readEvent(value: unknown, path: string): Event {
  const o = readObject(value, path);
  return create(EventSchema, {
    type: readOptionalString(o.type, `${path}.type`),
    attributes: readArray(o.attributes, `${path}.attributes`, true).map((a, i) => {
      const p = `${path}.attributes[${i}]`;
      const attr = readObject(a, p);
      return {
        key: readOptionalString(attr.key, `${p}.key`),
        value: readOptionalString(attr.value, `${p}.value`),
        index: attr.index === undefined ? false : readBool(attr.index, `${p}.index`),
      };
    }),
  });
}

export function eventFromJson(json: unknown, path = "event"): Result<Event, JsonDecodeError> {
  return decodeJson(() => readEvent(json, path));
}

export function execTxResultToJson(r: ExecTxResult): ExecTxResultJson {
  const out: ExecTxResultJson = {};
  if (r.code !== 0) out.code = r.code;
  if (r.data.length > 0) out.data = toBase64(r.data);
  if (r.log !== "") out.log = r.log;
  if (r.info !== "") out.info = r.info;
  if (r.gasWanted !== 0n) out.gas_wanted = String(r.gasWanted);
  if (r.gasUsed !== 0n) out.gas_used = String(r.gasUsed);
  if (r.events.length > 0) out.events = r.events.map(eventToJson);
  if (r.codespace !== "") out.codespace = r.codespace;
  return out;
}

/** Every field is optional (omitempty); `data` and `events` may also be null. */
export function readExecTxResult(value: unknown, path: string): ExecTxResult {
  const o = readObject(value, path);
  return create(ExecTxResultSchema, {
    code: o.code === undefined ? 0 : readUint32(o.code, `${path}.code`),
    data: readBase64(o.data, `${path}.data`),
    log: readOptionalString(o.log, `${path}.log`),
    info: readOptionalString(o.info, `${path}.info`),
    gasWanted: o.gas_wanted === undefined ? 0n : readInt64(o.gas_wanted, `${path}.gas_wanted`),
    gasUsed: o.gas_used === undefined ? 0n : readInt64(o.gas_used, `${path}.gas_used`),
    events: readArray(o.events, `${path}.events`, true).map((e, i) =>
      readEvent(e, `${path}.events[${i}]`),
    ),
    codespace: readOptionalString(o.codespace, `${path}.codespace`),
  });
}

export function execTxResultFromJson(
  json: unknown,
  path = "tx_result",
): Result<ExecTxResult, JsonDecodeError> {
  return decodeJson(() => readExecTxResult(json, path));
}
