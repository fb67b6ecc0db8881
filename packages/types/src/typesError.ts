// Error codes of @qos/types: malformed JSON and malformed protobuf input.
import type { QosError } from "./errors.ts";

export const TYPES_ERROR = {
  invalidJson: "INVALID_JSON",
  invalidProto: "INVALID_PROTO",
} as const;

export type TypesErrorCode = (typeof TYPES_ERROR)[keyof typeof TYPES_ERROR];
export type JsonDecodeError = QosError<typeof TYPES_ERROR.invalidJson>;
export type ProtoDecodeError = QosError<typeof TYPES_ERROR.invalidProto>;
