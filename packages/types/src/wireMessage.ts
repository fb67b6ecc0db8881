// Go-faithful protobuf encoding of CometBFT messages: fields gogoproto marks `nullable=false`
// are always present (so always emitted, even empty), as CometBFT's Go structs make them.
import {
  clone,
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { err, ok, QosError, type Result } from "./errors.ts";
import { type ProtoDecodeError, TYPES_ERROR } from "./typesError.ts";

/** Seconds of Go's zero `time.Time` (0001-01-01T00:00:00Z) since the Unix epoch. */
export const GO_ZERO_TIME_SECONDS = -62135596800n;

/** Go's zero time as a protobuf Timestamp: what CometBFT writes for an unset `time.Time`. */
export function zeroGoTime(): Timestamp {
  return create(TimestampSchema, { seconds: GO_ZERO_TIME_SECONDS, nanos: 0 });
}

export function isZeroGoTime(t: Timestamp | undefined): boolean {
  return t !== undefined && t.seconds === GO_ZERO_TIME_SECONDS && t.nanos === 0;
}

// Message fields marked `(gogoproto.nullable) = false` in CometBFT v0.38's protos
// (proto/tendermint/**). Go always marshals them, so an empty one encodes as `tag 00`.
const NON_NULLABLE: Readonly<Record<string, readonly string[]>> = {
  "tendermint.types.Part": ["proof"],
  "tendermint.types.BlockID": ["partSetHeader"],
  "tendermint.types.Header": ["version", "time", "lastBlockId"],
  "tendermint.types.Vote": ["blockId", "timestamp"],
  "tendermint.types.Commit": ["blockId"],
  "tendermint.types.CommitSig": ["timestamp"],
  "tendermint.types.ExtendedCommit": ["blockId"],
  "tendermint.types.ExtendedCommitSig": ["timestamp"],
  "tendermint.types.Proposal": ["blockId", "timestamp"],
  "tendermint.types.BlockMeta": ["blockId", "header"],
  "tendermint.types.Validator": ["pubKey"],
  "tendermint.types.CanonicalBlockID": ["partSetHeader"],
  "tendermint.types.CanonicalProposal": ["timestamp"],
  "tendermint.types.CanonicalVote": ["timestamp"],
  "tendermint.types.DuplicateVoteEvidence": ["timestamp"],
  "tendermint.types.LightClientAttackEvidence": ["timestamp"],
  "tendermint.types.Block": ["header", "data", "evidence"],
  "tendermint.types.EvidenceParams": ["maxAgeDuration"],
  "tendermint.abci.ValidatorUpdate": ["pubKey"],
};

type Fields = Record<string, unknown>;

/** Sets every missing non-nullable field of `msg` and of every message nested in it, in place. */
function fillNonNullable(schema: DescMessage, msg: Fields): void {
  const required = NON_NULLABLE[schema.typeName];
  for (const field of schema.fields) {
    if (field.fieldKind === "message") {
      if (field.oneof !== undefined) {
        const sel = msg[field.oneof.localName] as { case: string | undefined; value?: unknown };
        if (sel.case === field.localName) fillNonNullable(field.message, sel.value as Fields);
        continue;
      }
      let value = msg[field.localName] as Fields | undefined;
      if (value === undefined && required?.includes(field.localName)) {
        value =
          field.message.typeName === TimestampSchema.typeName
            ? (zeroGoTime() as unknown as Fields)
            : (create(field.message) as unknown as Fields);
        msg[field.localName] = value;
      }
      if (value !== undefined) fillNonNullable(field.message, value);
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      for (const item of msg[field.localName] as Fields[]) fillNonNullable(field.message, item);
    }
  }
}

/**
 * Creates a message with every non-nullable field set (recursively): a missing timestamp
 * becomes Go's zero time, a missing message an empty one. Never mutates `init`, which may
 * be a message, a plain init object, or a message spread with overrides (`{...vote, round: 1}`).
 */
export function createWireMessage<Desc extends DescMessage>(
  schema: Desc,
  init?: MessageInitShape<Desc>,
): MessageShape<Desc> {
  // A spread message keeps `$typeName`, which would make create() return it unconverted.
  let fields: MessageInitShape<Desc> | undefined = init;
  if (init !== undefined && "$typeName" in init) {
    const { $typeName: _, ...rest } = init as { $typeName: string };
    fields = rest as MessageInitShape<Desc>;
  }
  const msg = clone(schema, create(schema, fields));
  fillNonNullable(schema, msg as unknown as Fields);
  return msg;
}

/** Protobuf bytes exactly as CometBFT's Go code marshals the same value. */
export function encodeWireMessage<Desc extends DescMessage>(
  schema: Desc,
  msg: MessageShape<Desc>,
): Uint8Array {
  return toBinary(schema, createWireMessage(schema, msg as MessageInitShape<Desc>), {
    writeUnknownFields: false,
  });
}

/**
 * Decodes peer or disk bytes; absent non-nullable fields get Go's zero values (as gogoproto
 * does) and unknown fields are dropped, so re-encoding gives CometBFT's canonical bytes.
 */
export function decodeWireMessage<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
): Result<MessageShape<Desc>, ProtoDecodeError> {
  let msg: MessageShape<Desc>;
  try {
    msg = fromBinary(schema, bytes, { readUnknownFields: false });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return err(
      new QosError(TYPES_ERROR.invalidProto, `${schema.typeName}: malformed protobuf: ${reason}`),
    );
  }
  fillNonNullable(schema, msg as unknown as Fields);
  return ok(msg);
}
