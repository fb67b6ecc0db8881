// A query answer checked against a verified app hash (the client's side of proven queries).
// The node proves every key and range its handler read (queryReads.ts); here the proof is
// verified (ICS-23, @qos/crypto verifyStoreReads), then the same pure handler runs over the
// proven facts alone, and the node's answer must be that run's, byte for byte, or the same error.
// A read the facts do not cover fails the check: the node left something out. Pure.

import type { ProvenStoreReads, StoreProofOp } from "@qos/crypto";
import { verifyStoreReads } from "@qos/crypto";
import type { KeyRange, KVEntry, KVReader } from "@qos/store";
import { compareBytes, equalBytes, QosError, toHex } from "@qos/types";
import { bytesKey } from "./branchStore.ts";
import { AppError, type QueryHandler } from "./module.ts";
import { LEAST_STORE_KEY, successorKey } from "./queryReads.ts";
import { SDK_CODE, SDK_CODESPACE } from "./sdkErrors.ts";

const INCOMPLETE = "query_proof_incomplete";

function uncovered(store: string, what: string): QosError<typeof INCOMPLETE> {
  return new QosError(INCOMPLETE, `the proof does not cover a read of store ${store}: ${what}`);
}

/** `a < b`, where undefined stands for below every key (`low`) or above every key. */
function below(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a === undefined || compareBytes(a, b) < 0;
}

function above(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a === undefined || compareBytes(a, b) > 0;
}

/** A read-only store that knows only what a verified proof established. */
class ProvenStore implements KVReader {
  private readonly name: string;
  private readonly values = new Map<string, Uint8Array>();
  private readonly gaps: ProvenStoreReads["gaps"];
  private readonly byLeft = new Map<string, Uint8Array | undefined>();
  /**
   * The first read the proof did not cover, kept: the check fails on it even if a handler
   * caught the exception (the answer would then rest on something unproven).
   */
  uncoveredRead: QosError<typeof INCOMPLETE> | undefined;

  constructor(facts: ProvenStoreReads) {
    this.name = facts.storeName;
    for (const e of facts.present) this.values.set(bytesKey(e.key), e.value);
    this.gaps = facts.gaps;
    for (const g of facts.gaps) {
      if (g.left !== undefined) this.byLeft.set(bytesKey(g.left), g.right);
    }
  }

  private uncovered(what: string): QosError<typeof INCOMPLETE> {
    const e = uncovered(this.name, what);
    this.uncoveredRead ??= e;
    return e;
  }

  /** The proven gap with left < key < right, if any. */
  private straddling(key: Uint8Array): ProvenStoreReads["gaps"][number] | undefined {
    return this.gaps.find((g) => below(g.left, key) && above(g.right, key));
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const v = this.values.get(bytesKey(key));
    if (v !== undefined) return v;
    if (this.straddling(key) !== undefined) return undefined;
    throw this.uncovered(`key ${toHex(key)}`);
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  /** The least key ≥ `key`, or undefined when there is none. */
  private atOrAfter(key: Uint8Array): Uint8Array | undefined {
    if (this.values.has(bytesKey(key))) return key;
    const g = this.straddling(key);
    if (g === undefined) throw this.uncovered(`the first key from ${toHex(key)}`);
    return g.right;
  }

  /** The key after present key `key`, or undefined when it is the last. */
  private after(key: Uint8Array): Uint8Array | undefined {
    const k = bytesKey(key);
    if (this.byLeft.has(k)) return this.byLeft.get(k);
    const next = successorKey(key);
    if (this.values.has(bytesKey(next))) return next;
    throw this.uncovered(`the key after ${toHex(key)}`);
  }

  /** The greatest key < `end` (the last key when `end` is undefined), or undefined. */
  private before(end: Uint8Array | undefined): Uint8Array | undefined {
    // end = x‖0x00 with x present: nothing lies between x and its successor.
    if (end !== undefined && end.length > 1 && end[end.length - 1] === 0) {
      const x = end.subarray(0, -1);
      if (this.values.has(bytesKey(x))) return x;
    }
    // The gap with left < end ≤ right (right undefined: the tree's end) has the key asked for.
    const g = this.gaps.find((x) =>
      end === undefined
        ? x.right === undefined
        : below(x.left, end) && (x.right === undefined || compareBytes(x.right, end) >= 0),
    );
    if (g === undefined) {
      const where = end === undefined ? "the end" : toHex(end);
      throw this.uncovered(`the last key before ${where}`);
    }
    return g.left;
  }

  private entry(key: Uint8Array): KVEntry {
    return { key, value: this.values.get(bytesKey(key)) as Uint8Array };
  }

  *iterate(range: KeyRange = {}): Generator<KVEntry> {
    const start = range.start?.length ? range.start : LEAST_STORE_KEY;
    const { end } = range;
    if (end !== undefined && compareBytes(start, end) >= 0) return;
    if (range.reverse !== true) {
      let k = this.atOrAfter(start);
      while (k !== undefined && (end === undefined || compareBytes(k, end) < 0)) {
        yield this.entry(k);
        k = this.after(k);
      }
      return;
    }
    let k = this.before(end);
    while (k !== undefined && compareBytes(k, start) >= 0) {
      yield this.entry(k);
      if (equalBytes(k, start)) return;
      k = this.before(k);
    }
  }
}

/** A store the proof says nothing about: every read is uncovered (and remembered). */
function unprovenStore(name: string, seen: { first?: QosError<typeof INCOMPLETE> }): KVReader {
  const fail = (): never => {
    const e = uncovered(name, "the proof has no ops for this store");
    seen.first ??= e;
    throw e;
  };
  return { get: fail, has: fail, iterate: fail };
}

/** The (code, codespace, log) a query failure is answered with; undefined for a bug (rethrown). */
export function queryErrorOf(
  e: unknown,
): { readonly code: number; readonly codespace: string; readonly log: string } | undefined {
  if (e instanceof AppError) return { code: e.code, codespace: e.codespace, log: e.message };
  if (e instanceof QosError && e.code !== INCOMPLETE)
    return { code: SDK_CODE.invalidHeight, codespace: SDK_CODESPACE, log: e.message };
  return undefined;
}

export interface QueryAnswerToCheck {
  /** The app hash of a verified header committing to the answer's state (height + 1's header). */
  readonly appHash: Uint8Array;
  readonly chainId: string;
  /** The state version the node answered at. */
  readonly height: bigint;
  readonly handler: QueryHandler;
  readonly request: Uint8Array;
  /** The node's answer: code 0 with its value, or its error. */
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  readonly value: Uint8Array;
  readonly proofOps: readonly StoreProofOp[];
}

export type QueryAnswerVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly message: string };

export function verifyQueryAnswer(a: QueryAnswerToCheck): QueryAnswerVerdict {
  // No ops: nothing proven, which is enough only for an answer that reads nothing.
  const facts =
    a.proofOps.length === 0
      ? ({ ok: true, stores: [] } as const)
      : verifyStoreReads({ appHash: a.appHash, proofOps: a.proofOps });
  if (!facts.ok) return { ok: false, message: `${facts.reason}: ${facts.message}` };
  const stores = new Map(facts.stores.map((f) => [f.storeName, new ProvenStore(f)]));
  const unproven: { first?: QosError<typeof INCOMPLETE> } = {};
  const ctx = {
    chainId: a.chainId,
    height: a.height,
    store: (name: string): KVReader => stores.get(name) ?? unprovenStore(name, unproven),
  };
  let value: Uint8Array | undefined;
  let thrown: unknown;
  try {
    value = a.handler.handle(ctx, a.request);
  } catch (e) {
    thrown = e;
  }
  // Any uncovered read fails the check, whatever the handler did with its exception.
  const gap = unproven.first ?? [...stores.values()].find((s) => s.uncoveredRead)?.uncoveredRead;
  if (gap !== undefined) return { ok: false, message: gap.message };
  if (value === undefined) {
    const err = queryErrorOf(thrown);
    if (err === undefined) throw thrown;
    if (err.code === a.code && err.codespace === a.codespace && err.log === a.log)
      return { ok: true };
    return {
      ok: false,
      message: `over the proven state the query fails with ${err.codespace}/${err.code} (${err.log}); the node answered code ${a.code}`,
    };
  }
  if (a.code !== 0) {
    return {
      ok: false,
      message: `over the proven state the query succeeds; the node answered ${a.codespace}/${a.code} (${a.log})`,
    };
  }
  if (!equalBytes(value, a.value)) {
    return { ok: false, message: "the node's answer differs from the one the proven state gives" };
  }
  return { ok: true };
}
