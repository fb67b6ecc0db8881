// JSON-RPC 2.0 error codes and messages exactly as CometBFT writes them
// (`rpc/jsonrpc/types/types.go`), and `RpcError`, which a handler throws to pick code + data.

import { QosError } from "@qos/types";

export const RPC_PARSE_ERROR = -32700;
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
export const RPC_INTERNAL_ERROR = -32603;
export const RPC_SERVER_ERROR = -32000;

/** CometBFT's fixed `message` per code; `data` carries the human-readable detail. */
export const RPC_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  [RPC_PARSE_ERROR]: "Parse error. Invalid JSON",
  [RPC_INVALID_REQUEST]: "Invalid Request",
  [RPC_METHOD_NOT_FOUND]: "Method not found",
  [RPC_INVALID_PARAMS]: "Invalid params",
  [RPC_INTERNAL_ERROR]: "Internal error",
  [RPC_SERVER_ERROR]: "Server error",
};

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: string;
}

export interface JsonRpcSuccess {
  readonly jsonrpc: "2.0";
  readonly id: JsonRpcId;
  readonly result: unknown;
}

export interface JsonRpcFailure {
  readonly jsonrpc: "2.0";
  readonly id: JsonRpcId;
  readonly error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;

/**
 * Thrown by a method handler to answer with a chosen JSON-RPC error. Anything else a handler
 * throws becomes -32603 "Internal error" with the error's message as `data`.
 */
export class RpcError extends QosError<"RPC_ERROR"> {
  readonly rpcCode: number;
  /** The JSON-RPC `message`: CometBFT's fixed text for the standard codes. */
  readonly rpcMessage: string;
  readonly data: string | undefined;

  constructor(rpcCode: number, data?: string, message?: string) {
    const fixed = message ?? RPC_ERROR_MESSAGES[rpcCode] ?? "Server error";
    super("RPC_ERROR", data === undefined ? fixed : `${fixed}: ${data}`, { rpcCode });
    this.name = "RpcError";
    this.rpcCode = rpcCode;
    this.rpcMessage = fixed;
    this.data = data;
  }

  static invalidRequest(data: string): RpcError {
    return new RpcError(RPC_INVALID_REQUEST, data);
  }

  static invalidParams(data: string): RpcError {
    return new RpcError(RPC_INVALID_PARAMS, data);
  }

  static internal(data: string): RpcError {
    return new RpcError(RPC_INTERNAL_ERROR, data);
  }

  static server(data: string): RpcError {
    return new RpcError(RPC_SERVER_ERROR, data);
  }

  toErrorObject(): JsonRpcErrorObject {
    const message = this.rpcMessage;
    return this.data === undefined || this.data === ""
      ? { code: this.rpcCode, message }
      : { code: this.rpcCode, message, data: this.data };
  }
}

export function rpcErrorResponse(id: JsonRpcId, code: number, data?: string): JsonRpcFailure {
  const message = RPC_ERROR_MESSAGES[code] ?? "Server error";
  const error: JsonRpcErrorObject =
    data === undefined || data === "" ? { code, message } : { code, message, data };
  return { jsonrpc: "2.0", id, error };
}

export function rpcSuccessResponse(id: JsonRpcId, result: unknown): JsonRpcSuccess {
  return { jsonrpc: "2.0", id, result: result === undefined ? null : result };
}
