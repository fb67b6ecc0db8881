// The contract between the runtime and the modules: what a module declares (messages,
// queries, genesis, invariants) and what a handler sees (the tx context: metered stores,
// gas, events). Pure: handlers are deterministic functions of the context and the message.

import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { KVReader, KVStore } from "@qos/store";
import type { Event, Timestamp } from "../abci.ts";

/**
 * A deterministic tx or query failure, Cosmos style: `codespace` names the module ("sdk" for
 * the runtime, as the Cosmos SDK does), `code` is unique and stable within it, and the message
 * is the log a user reads. Handlers throw it; the runtime turns it into a result.
 */
export class AppError extends Error {
  readonly codespace: string;
  readonly code: number;
  constructor(codespace: string, code: number, message: string) {
    super(message);
    this.name = "AppError";
    this.codespace = codespace;
    this.code = code;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Gas accounting of one tx (or one query / block phase). `consume` throws out-of-gas (sdk 11). */
export interface GasMeter {
  readonly limit: bigint;
  readonly consumed: bigint;
  consume(amount: bigint, descriptor: string): void;
}

/** Why the runtime runs a tx: CheckTx (new or recheck), Simulate, or FinalizeBlock. */
export type ExecMode = "check" | "recheck" | "simulate" | "deliver";

/** What every handler sees while running one tx. Writes go to a branch of the block's state. */
export interface TxContext {
  readonly chainId: string;
  /** The height of the block being built or executed (for CheckTx: last committed + 1). */
  readonly height: bigint;
  /** Block time from the header; never the wall clock. */
  readonly time: Timestamp;
  readonly mode: ExecMode;
  readonly gasMeter: GasMeter;
  /** The module store `name`, metered against `gasMeter` (reads and writes cost gas). */
  store(name: string): KVStore;
  /** Appends an event to the tx result (kept only if the tx succeeds). */
  emit(event: Event): void;
}

/** What a query handler sees: one committed version, read-only, unmetered. */
export interface QueryContext {
  readonly chainId: string;
  readonly height: bigint;
  store(name: string): KVReader;
}

/** What a read-only keeper method needs: TxContext and QueryContext both are one. */
export interface ReadContext {
  store(name: string): KVReader;
}

/** One message type a module handles, by its `Any` type URL (e.g. "/cosmos.bank.v1beta1.MsgSend"). */
export interface MsgHandler<Desc extends DescMessage = DescMessage> {
  readonly typeUrl: string;
  readonly schema: Desc;
  /** Addresses (20 raw bytes) that must sign the tx carrying this message, in order. */
  signers(msg: MessageShape<Desc>): readonly Uint8Array[];
  /** Stateless checks; throws AppError. */
  validateBasic(msg: MessageShape<Desc>): void;
  /** Executes the message against ctx; returns the response message bytes (Any-packed by the runtime). */
  handle(ctx: TxContext, msg: MessageShape<Desc>): Uint8Array;
}

/** A gRPC-style query served over abci_query at `path` (e.g. "/cosmos.bank.v1beta1.Query/Balance"). */
export interface QueryHandler {
  readonly path: string;
  /**
   * Request protobuf bytes in, response protobuf bytes out; throws AppError. A pure function of
   * the request and what it reads: with `prove=true` the node proves those reads and a client
   * re-runs it over them (runtime/queryReads.ts, runtime/provenQuery.ts).
   */
  handle(ctx: QueryContext, request: Uint8Array): Uint8Array;
}

/** A named invariant; returns a list of broken facts (empty when it holds). */
export interface Invariant {
  readonly name: string;
  check(ctx: QueryContext): readonly string[];
}

/** A module: its store, messages, queries, genesis and invariants. */
export interface AppModule {
  readonly name: string;
  /** The multi-store store names this module owns. */
  readonly storeNames: readonly string[];
  readonly msgs: readonly MsgHandler[];
  readonly queries: readonly QueryHandler[];
  readonly invariants: readonly Invariant[];
  /** Loads this module's section of genesis `app_state` (already JSON-parsed); throws AppError. */
  initGenesis(ctx: TxContext, genesis: unknown): void;
  exportGenesis(ctx: QueryContext): unknown;
}
