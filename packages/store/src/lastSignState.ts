// The double-sign guard (CometBFT privval/file.go CheckHRS, spec/consensus/signing.md): the
// last signed (height, round, step) with its signature, in priv_validator_state.json, made
// durable before a new signature is handed out.

import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import {
  copyBytes,
  equalBytes,
  fromBase64,
  fromHex,
  QosError,
  toBase64,
  toHex,
  utf8Encode,
} from "@qos/types";
import { saveFileDurably } from "./durableFile.ts";
import { assertHeight } from "./heightKey.ts";
import { storeError } from "./storeErrors.ts";

/** privval/file.go stepPropose/stepPrevote/stepPrecommit; 0 is "nothing signed yet". */
export const SIGN_STEP = { propose: 1, prevote: 2, precommit: 3 } as const;
export type SignStep = (typeof SIGN_STEP)[keyof typeof SIGN_STEP];

export interface LastSignStateValue {
  readonly height: bigint;
  readonly round: number;
  readonly step: 0 | SignStep;
  readonly signature?: Uint8Array;
  readonly signBytes?: Uint8Array;
}

export const LAST_SIGN_ERROR_CODES = [
  "height_regression",
  "round_regression",
  "step_regression",
  "conflicting_data",
  "no_sign_bytes",
] as const;
export type LastSignErrorCode = (typeof LAST_SIGN_ERROR_CODES)[number];

export type LastSignError = QosError<LastSignErrorCode>;

export interface SignRequest {
  readonly height: bigint;
  readonly round: number;
  readonly step: SignStep;
  /** The canonical sign bytes of the vote or proposal. */
  readonly signBytes: Uint8Array;
}

export interface SignOutcome {
  readonly signature: Uint8Array;
  /**
   * The bytes the signature is over. When `reused` is "timestamp" these are the stored sign
   * bytes, not the requested ones: the caller must send the message with the old timestamp.
   */
  readonly signBytes: Uint8Array;
  /** "none": freshly signed and persisted; "identical"/"timestamp": the stored signature. */
  readonly reused: "none" | "identical" | "timestamp";
}

export interface LastSignState {
  readonly path: string;
  current(): LastSignStateValue;
  /**
   * Signs `req.signBytes` with `signFn` unless that could double-sign. A request below the
   * last (height, round, step) is refused; at the same HRS the stored signature is returned
   * when the sign bytes are equal or differ only in the timestamp (`sameExceptTimestamp`,
   * which the node supplies since this package does not decode votes), and anything else is
   * refused as conflicting data. Refusals throw a LastSignError (code height_regression,
   * round_regression, step_regression, conflicting_data or no_sign_bytes) and change nothing;
   * the caller must not send anything then. A new signature is on disk before it is returned.
   */
  sign(
    req: SignRequest,
    signFn: (signBytes: Uint8Array) => Uint8Array,
    sameExceptTimestamp: (stored: Uint8Array, requested: Uint8Array) => boolean,
  ): SignOutcome;
}

export interface OpenLastSignStateOptions {
  /**
   * Write the initial state (height 0) when the file does not exist. Only for a validator
   * whose key is new: for an existing key a missing state file is an error
   * (last_sign_state_missing), since starting from zero could sign twice.
   */
  readonly createIfMissing?: boolean;
}

const INITIAL: LastSignStateValue = { height: 0n, round: 0, step: 0 };
const MAX_ROUND = 0x7fffffff;

export function openLastSignState(
  path: string,
  opts: OpenLastSignStateOptions = {},
): LastSignState {
  // A temp file left by a crash inside saveFileDurably never replaced the real one: drop it.
  if (existsSync(`${path}.tmp`)) unlinkSync(`${path}.tmp`);
  let state: LastSignStateValue;
  if (!existsSync(path)) {
    if (opts.createIfMissing !== true) {
      throw storeError(
        "last_sign_state_missing",
        `validator state file ${path} does not exist; refusing to start from height 0`,
        { path },
      );
    }
    state = INITIAL;
    mkdirSync(dirname(path), { recursive: true });
    saveFileDurably(path, utf8Encode(encodeLastSignState(state)));
  } else {
    if (!statSync(path).isFile()) {
      throw storeError("store_corrupt", `validator state ${path} is not a regular file`, { path });
    }
    state = decodeLastSignState(readFileSync(path, "utf8"), path);
  }

  return {
    path,
    current: () => state,
    sign(req, signFn, sameExceptTimestamp) {
      checkRequest(req);
      const { height, round, step, signBytes } = req;
      const last = state;
      if (last.height > height) {
        throw refusal(
          "height_regression",
          `height regression. Got ${height}, last height ${last.height}`,
        );
      }
      if (last.height === height) {
        if (last.round > round) {
          throw refusal(
            "round_regression",
            `round regression at height ${height}. Got ${round}, last round ${last.round}`,
          );
        }
        if (last.round === round) {
          if (last.step > step) {
            throw refusal(
              "step_regression",
              `step regression at height ${height} round ${round}. Got ${step}, last step ${last.step}`,
            );
          }
          if (last.step === step) {
            // Same HRS: we signed here before and may have crashed before the message reached
            // the WAL. Only the same message (up to its timestamp) may be signed again.
            if (last.signBytes === undefined || last.signature === undefined) {
              throw refusal(
                "no_sign_bytes",
                `no SignBytes found for height ${height} round ${round} step ${step}`,
              );
            }
            if (equalBytes(signBytes, last.signBytes)) {
              return {
                signature: copyBytes(last.signature),
                signBytes: copyBytes(last.signBytes),
                reused: "identical",
              };
            }
            if (sameExceptTimestamp(last.signBytes, signBytes)) {
              return {
                signature: copyBytes(last.signature),
                signBytes: copyBytes(last.signBytes),
                reused: "timestamp",
              };
            }
            throw refusal(
              "conflicting_data",
              `conflicting data at height ${height} round ${round} step ${step}`,
            );
          }
        }
      }
      const signature = signFn(signBytes);
      if (!(signature instanceof Uint8Array) || signature.length === 0) {
        throw storeError("store_invalid_argument", "signFn must return a non-empty Uint8Array");
      }
      const next: LastSignStateValue = {
        height,
        round,
        step,
        signature: copyBytes(signature),
        signBytes: copyBytes(signBytes),
      };
      saveFileDurably(path, utf8Encode(encodeLastSignState(next)));
      state = next;
      return { signature: copyBytes(signature), signBytes: copyBytes(signBytes), reused: "none" };
    },
  };
}

function refusal(code: LastSignErrorCode, message: string): LastSignError {
  return new QosError(code, message);
}

/** True for the errors `sign` throws when it refuses to sign (as opposed to I/O failures). */
export function isLastSignError(error: unknown): error is LastSignError {
  return (
    error instanceof QosError && LAST_SIGN_ERROR_CODES.includes(error.code as LastSignErrorCode)
  );
}

function checkRequest(req: SignRequest): void {
  assertHeight(req.height, "height", 1n);
  if (!Number.isInteger(req.round) || req.round < 0 || req.round > MAX_ROUND) {
    throw storeError("store_invalid_argument", `round must be an int32 >= 0, got ${req.round}`);
  }
  if (req.step !== 1 && req.step !== 2 && req.step !== 3) {
    throw storeError("store_invalid_argument", `step must be 1, 2 or 3, got ${String(req.step)}`);
  }
  if (!(req.signBytes instanceof Uint8Array) || req.signBytes.length === 0) {
    throw storeError("store_invalid_argument", "signBytes must be a non-empty Uint8Array");
  }
}

/**
 * priv_validator_state.json as CometBFT writes it (cmtjson.MarshalIndent, two spaces):
 * height as a decimal string (int64), round and step as numbers, signature base64 and
 * signbytes upper-case hex, both omitted when empty.
 */
export function encodeLastSignState(value: LastSignStateValue): string {
  const json: Record<string, string | number> = {
    height: value.height.toString(),
    round: value.round,
    step: value.step,
  };
  if (value.signature !== undefined && value.signature.length > 0) {
    json.signature = toBase64(value.signature);
  }
  if (value.signBytes !== undefined && value.signBytes.length > 0) {
    json.signbytes = toHex(value.signBytes);
  }
  return JSON.stringify(json, null, 2);
}

/** Parses priv_validator_state.json; anything malformed throws store_corrupt naming `path`. */
export function decodeLastSignState(
  text: string,
  path = "priv_validator_state.json",
): LastSignStateValue {
  const bad = (why: string) =>
    storeError("store_corrupt", `validator state ${path} is damaged: ${why}`, { path });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad("not valid JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw bad("not a JSON object");
  const o = json as Record<string, unknown>;
  if (typeof o.height !== "string" || !/^(0|[1-9]\d{0,18})$/.test(o.height)) {
    throw bad("height must be a decimal string");
  }
  const height = BigInt(o.height);
  if (height > (1n << 63n) - 1n) throw bad("height is out of int64 range");
  if (
    typeof o.round !== "number" ||
    !Number.isInteger(o.round) ||
    o.round < 0 ||
    o.round > MAX_ROUND
  ) {
    throw bad("round must be an int32 >= 0");
  }
  const step = o.step;
  if (step !== 0 && step !== 1 && step !== 2 && step !== 3) throw bad("step must be 0..3");
  const signature = optionalBytes(o.signature, fromBase64, "signature (base64)", bad);
  const signBytes = optionalBytes(o.signbytes, fromHex, "signbytes (hex)", bad);
  if ((signature === undefined) !== (signBytes === undefined)) {
    throw bad("signature and signbytes must be both present or both absent");
  }
  return {
    height,
    round: o.round,
    step,
    ...(signature !== undefined ? { signature } : {}),
    ...(signBytes !== undefined ? { signBytes } : {}),
  };
}

function optionalBytes(
  value: unknown,
  decode: (text: string) => Uint8Array | null,
  what: string,
  bad: (why: string) => Error,
): Uint8Array | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw bad(`${what} must be a string`);
  const bytes = decode(value);
  if (bytes === null) throw bad(`${what} is not valid`);
  return bytes.length === 0 ? undefined : bytes;
}
