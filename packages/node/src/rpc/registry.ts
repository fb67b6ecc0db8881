// The RPC method registry: how a route is declared (`defineMethod`), the context a handler
// gets, and the decoding of named, positional and URI parameters into typed values.

import { err, ok, type Result } from "@qos/types";
import {
  decodeJsonParam,
  decodeUriParam,
  type InferParams,
  type ParamSpec,
  type ParamSpecs,
} from "./params.ts";
import type { JsonRpcId } from "./rpcError.ts";

export type RpcTransport = "http" | "uri" | "websocket";

export interface RpcContext {
  readonly transport: RpcTransport;
  /** `ip:port` of the client. */
  readonly remoteAddr: string;
  /** The request id (-1 for URI calls, as CometBFT). */
  readonly id: JsonRpcId;
  /** Aborted when the client goes away or the server closes. */
  readonly signal: AbortSignal;
  /** `rpc.timeout_broadcast_tx_commit`, for handlers that wait for a commit. */
  readonly timeoutBroadcastTxCommitMs: number;
}

export interface RpcMethod<P extends ParamSpecs> {
  readonly params: P;
  readonly handler: (params: InferParams<P>, ctx: RpcContext) => unknown;
  /** Shown in the endpoint list at GET `/`. */
  readonly description?: string;
}

/** A method with its parameter types erased, as stored in a registry. */
export interface AnyRpcMethod {
  readonly params: ParamSpecs;
  readonly handler: (params: never, ctx: RpcContext) => unknown;
  readonly description?: string;
}

export type MethodRegistry = ReadonlyMap<string, AnyRpcMethod>;

/**
 * Declares a method; the handler's `params` argument is typed from the specs, e.g.
 * `defineMethod({ params: { height: param.int64().optional() }, handler: ({ height }) => … })`.
 * The handler may return a value or a promise; `bigint`s are sent as decimal strings and
 * `Uint8Array`s as base64, everything else as JSON. Throw `RpcError` to choose the error.
 */
export function defineMethod<P extends ParamSpecs>(method: RpcMethod<P>): AnyRpcMethod {
  return method as unknown as AnyRpcMethod;
}

const METHOD_NAME = /^[A-Za-z0-9_]+$/;

export function createMethodRegistry(
  methods: Readonly<Record<string, AnyRpcMethod>>,
): MethodRegistry {
  const registry = new Map<string, AnyRpcMethod>();
  for (const [name, method] of Object.entries(methods)) {
    if (!METHOD_NAME.test(name)) throw new Error(`invalid RPC method name ${JSON.stringify(name)}`);
    registry.set(name, method);
  }
  return registry;
}

function decodeOne(
  name: string,
  spec: ParamSpec<unknown>,
  present: boolean,
  decode: () => Result<unknown, string>,
): Result<unknown, string> {
  if (!present) {
    return spec.isOptional ? ok(undefined) : err(`missing required param "${name}"`);
  }
  const r = decode();
  return r.ok ? r : err(`invalid param "${name}": ${r.error}`);
}

/**
 * Decodes JSON-RPC `params` (an object by name, an array by position, or absent). Unknown
 * names are ignored, like CometBFT; `null` counts as absent.
 */
export function decodeJsonParams(
  specs: ParamSpecs,
  raw: unknown,
): Result<Record<string, unknown>, string> {
  const names = Object.keys(specs);
  const out: Record<string, unknown> = {};
  if (raw === undefined || raw === null) raw = {};
  if (Array.isArray(raw)) {
    if (raw.length > names.length) {
      return err(
        `expected at most ${names.length} params (${names.join(", ")}), got ${raw.length}`,
      );
    }
    for (const [i, name] of names.entries()) {
      const value: unknown = raw[i];
      const present = i < raw.length && value !== null && value !== undefined;
      const r = decodeOne(name, specs[name] as ParamSpec<unknown>, present, () =>
        decodeJsonParam(specs[name] as ParamSpec<unknown>, value),
      );
      if (!r.ok) return r;
      out[name] = r.value;
    }
    return ok(out);
  }
  if (typeof raw !== "object") return err("params must be an object or an array");
  const obj = raw as Record<string, unknown>;
  for (const name of names) {
    const value = Object.hasOwn(obj, name) ? obj[name] : undefined;
    const present = value !== undefined && value !== null;
    const spec = specs[name] as ParamSpec<unknown>;
    const r = decodeOne(name, spec, present, () => decodeJsonParam(spec, value));
    if (!r.ok) return r;
    out[name] = r.value;
  }
  return ok(out);
}

/** Decodes URI query parameters (an empty value counts as absent, like CometBFT). */
export function decodeUriParams(
  specs: ParamSpecs,
  query: URLSearchParams,
): Result<Record<string, unknown>, string> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = query.get(name) ?? "";
    const r = decodeOne(name, spec, raw !== "", () => decodeUriParam(spec, raw));
    if (!r.ok) return r;
    out[name] = r.value;
  }
  return ok(out);
}
