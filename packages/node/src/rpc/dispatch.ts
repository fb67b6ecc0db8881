// One JSON-RPC request → one response, shared by HTTP POST, URI GET and websocket calls:
// request validation, method lookup, parameter decoding, the handler call and error mapping.

import { QosError } from "@qos/types";
import type { Logger } from "pino";
import { encodeJson } from "./jsonEncode.ts";
import { type AnyRpcMethod, decodeJsonParams, type RpcContext } from "./registry.ts";
import {
  type JsonRpcId,
  type JsonRpcResponse,
  RPC_INTERNAL_ERROR,
  RPC_INVALID_PARAMS,
  RPC_INVALID_REQUEST,
  RPC_METHOD_NOT_FOUND,
  RpcError,
  rpcErrorResponse,
  rpcSuccessResponse,
} from "./rpcError.ts";

export interface DispatchEnv {
  /** Finds a method callable on this transport (undefined → "Method not found"). */
  readonly lookup: (name: string) => AnyRpcMethod | undefined;
  readonly context: (id: JsonRpcId) => RpcContext;
  readonly logger: Logger;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Maps anything a handler threw to a JSON-RPC error (CometBFT: handler errors are -32603). */
export function errorResponse(
  id: JsonRpcId,
  e: unknown,
  logger: Logger,
  method: string,
): JsonRpcResponse {
  if (e instanceof RpcError) return { jsonrpc: "2.0", id, error: e.toErrorObject() };
  if (e instanceof QosError) return rpcErrorResponse(id, RPC_INTERNAL_ERROR, e.message);
  logger.error({ err: e, method }, "RPC handler threw");
  const data = e instanceof Error ? e.message : String(e);
  return rpcErrorResponse(id, RPC_INTERNAL_ERROR, data === "" ? "handler failed" : data);
}

/** Runs a handler with decoded params; never throws. */
export async function invokeMethod(
  method: AnyRpcMethod,
  name: string,
  params: Record<string, unknown>,
  ctx: RpcContext,
  logger: Logger,
): Promise<JsonRpcResponse> {
  try {
    const handler = method.handler as (p: Record<string, unknown>, c: RpcContext) => unknown;
    const result = await handler(params, ctx);
    return rpcSuccessResponse(ctx.id, result);
  } catch (e) {
    return errorResponse(ctx.id, e, logger, name);
  }
}

/**
 * Validates and runs one request object. Returns undefined for a notification (no `id`, or
 * `id: null`), which CometBFT skips without running it.
 */
export async function dispatchRequest(
  raw: unknown,
  env: DispatchEnv,
): Promise<JsonRpcResponse | undefined> {
  if (!isPlainObject(raw)) {
    return rpcErrorResponse(null, RPC_INVALID_REQUEST, "a request must be a JSON object");
  }
  const id = raw.id;
  if (id === undefined || id === null) return undefined;
  if (typeof id !== "string" && !(typeof id === "number" && Number.isSafeInteger(id))) {
    return rpcErrorResponse(
      null,
      RPC_INVALID_REQUEST,
      `id must be a string or an integer, got ${JSON.stringify(id)}`,
    );
  }
  if (raw.jsonrpc !== "2.0") {
    return rpcErrorResponse(
      id,
      RPC_INVALID_REQUEST,
      `jsonrpc must be "2.0", got ${JSON.stringify(raw.jsonrpc) ?? "nothing"}`,
    );
  }
  const name = raw.method;
  if (typeof name !== "string" || name === "") {
    return rpcErrorResponse(id, RPC_INVALID_REQUEST, "method must be a non-empty string");
  }
  const method = env.lookup(name);
  if (method === undefined) {
    return rpcErrorResponse(id, RPC_METHOD_NOT_FOUND, `method "${name}" is not available here`);
  }
  const params = decodeJsonParams(method.params, raw.params);
  if (!params.ok) return rpcErrorResponse(id, RPC_INVALID_PARAMS, params.error);
  return invokeMethod(method, name, params.value, env.context(id), env.logger);
}

/** JSON text of a response; a result that cannot be serialised becomes -32603. */
export function encodeResponse(response: JsonRpcResponse): string {
  try {
    return encodeJson(response);
  } catch (e) {
    return encodeJson(
      rpcErrorResponse(
        response.id,
        RPC_INTERNAL_ERROR,
        `error marshaling response: ${e instanceof Error ? e.message : String(e)}`,
      ),
    );
  }
}
