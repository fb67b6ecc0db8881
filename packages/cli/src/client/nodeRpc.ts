// The client side of a node's CometBFT JSON-RPC (HTTP POST): the few methods the client
// commands need, with errors a user can act on (unreachable node, JSON-RPC error, bad reply).

import { QosError } from "@qos/types";

export const RPC_CLIENT_ERROR = {
  unreachable: "rpc_unreachable",
  rpcError: "rpc_error",
  badReply: "rpc_bad_reply",
} as const;
export type RpcClientErrorCode = (typeof RPC_CLIENT_ERROR)[keyof typeof RPC_CLIENT_ERROR];

/** abci_query's response (`response` of ResultABCIQuery), bytes decoded. */
export interface AbciQueryResult {
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  readonly height: bigint;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly proofOps: readonly {
    readonly type: string;
    readonly key: Uint8Array;
    readonly data: Uint8Array;
  }[];
}

export interface BroadcastResult {
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  /** Upper-case hex tx hash. */
  readonly hash: string;
}

export interface NodeRpc {
  readonly url: string;
  call(method: string, params: Record<string, unknown>): Promise<unknown>;
  abciQuery(
    path: string,
    data: Uint8Array,
    opts?: { height?: bigint; prove?: boolean },
  ): Promise<AbciQueryResult>;
  broadcastTxSync(tx: Uint8Array): Promise<BroadcastResult>;
  /** The chain id and latest height from /status. */
  status(): Promise<{ readonly chainId: string; readonly latestHeight: bigint }>;
}

/** "tcp://host:port", "http://host:port" or "host:port" → an http URL. */
export function nodeUrl(node: string): string {
  if (node.startsWith("http://") || node.startsWith("https://")) return node.replace(/\/$/, "");
  return `http://${node.replace(/^tcp:\/\//, "")}`;
}

function bad(message: string): QosError<RpcClientErrorCode> {
  return new QosError(RPC_CLIENT_ERROR.badReply, message);
}

function field(obj: unknown, name: string): unknown {
  return typeof obj === "object" && obj !== null
    ? (obj as Record<string, unknown>)[name]
    : undefined;
}

function str(obj: unknown, name: string, fallback?: string): string {
  const v = field(obj, name);
  if (typeof v === "string") return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw bad(`reply field ${name} is not a string`);
}

function b64(obj: unknown, name: string): Uint8Array {
  const v = field(obj, name);
  if (v === undefined || v === null || v === "") return new Uint8Array();
  if (typeof v !== "string") throw bad(`reply field ${name} is not base64`);
  return new Uint8Array(Buffer.from(v, "base64"));
}

export function createNodeRpc(node: string): NodeRpc {
  const url = nodeUrl(node);
  let nextId = 1;

  async function call(method: string, params: Record<string, unknown>): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
      });
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
      throw new QosError(
        RPC_CLIENT_ERROR.unreachable,
        `cannot reach the node at ${url}${cause} (is it running? see --node)`,
      );
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw bad(`the node at ${url} answered ${res.status} with a body that is not JSON`);
    }
    const error = field(body, "error");
    if (error !== undefined && error !== null) {
      const msg = str(error, "message", "error");
      const data = field(error, "data");
      throw new QosError(
        RPC_CLIENT_ERROR.rpcError,
        `${method}: ${msg}${typeof data === "string" && data !== "" ? `: ${data}` : ""}`,
      );
    }
    return field(body, "result");
  }

  return {
    url,
    call,
    async abciQuery(path, data, opts = {}) {
      const result = await call("abci_query", {
        path,
        data: Buffer.from(data).toString("hex"),
        height: String(opts.height ?? 0n),
        prove: opts.prove ?? false,
      });
      const r = field(result, "response");
      // CometBFT names it proof_ops (cometbft-v038.md §RPC); tolerate the camel-case spelling too.
      const ops = field(field(r, "proof_ops") ?? field(r, "proofOps"), "ops");
      return {
        code: Number(field(r, "code") ?? 0),
        codespace: str(r, "codespace", ""),
        log: str(r, "log", ""),
        height: BigInt(str(r, "height", "0")),
        key: b64(r, "key"),
        value: b64(r, "value"),
        proofOps: Array.isArray(ops)
          ? ops.map((op: unknown) => ({
              type: str(op, "type"),
              key: b64(op, "key"),
              data: b64(op, "data"),
            }))
          : [],
      };
    },
    async broadcastTxSync(tx) {
      const r = await call("broadcast_tx_sync", { tx: Buffer.from(tx).toString("base64") });
      return {
        code: Number(field(r, "code") ?? 0),
        codespace: str(r, "codespace", ""),
        log: str(r, "log", ""),
        hash: str(r, "hash"),
      };
    },
    async status() {
      const r = await call("status", {});
      const nodeInfo = field(r, "node_info");
      const sync = field(r, "sync_info");
      return {
        chainId: str(nodeInfo, "network"),
        latestHeight: BigInt(str(sync, "latest_block_height")),
      };
    },
  };
}
