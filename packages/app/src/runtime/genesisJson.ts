// Reading genesis `app_state` JSON with errors that name the path ("app_state.bank.balances[2].address:
// …"), so an operator can fix the file. Throws AppError in the `genesis` codespace. Pure.

import { AppError } from "./module.ts";

export const GENESIS_CODESPACE = "genesis";

export function genesisError(path: string, message: string): AppError {
  return new AppError(GENESIS_CODESPACE, 1, `${path}: ${message}`);
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function asObject(v: unknown, path: string, fields: readonly string[]): JsonObject {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw genesisError(path, "must be a JSON object");
  for (const k of Object.keys(v)) {
    if (!fields.includes(k))
      throw genesisError(path, `unknown field "${k}" (known: ${fields.join(", ")})`);
  }
  return v as JsonObject;
}

export function asArray(v: unknown, path: string): readonly unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw genesisError(path, "must be a JSON array");
  return v;
}

export function asString(v: unknown, path: string): string {
  if (typeof v !== "string") throw genesisError(path, "must be a string");
  return v;
}

/** A non-negative integer given as a decimal string (Cosmos JSON style) or a safe JSON integer. */
export function asUint(v: unknown, path: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^[0-9]+$/.test(v) && v.length <= 78) return BigInt(v);
  throw genesisError(path, "must be a non-negative integer (a decimal string)");
}

/** Runs `fn`, re-labelling any AppError it throws with `path`. */
export function atPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AppError && e.codespace !== GENESIS_CODESPACE)
      throw genesisError(path, e.message);
    throw e;
  }
}
