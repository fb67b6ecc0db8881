// The client side of a node's CometBFT JSON-RPC (HTTP POST): the few methods the client
// commands need, with errors a user can act on (unreachable node, JSON-RPC error, bad reply).

import { type ExecTxResult, execTxResultFromJson, fromHex, QosError, toBase64 } from "@qos/types";

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

/** broadcast_tx_commit's reply: CheckTx, and FinalizeBlock's result when it was included. */
export interface CommitResult {
  readonly hash: string;
  readonly height: bigint;
  readonly checkTx: ExecTxResult;
  /** Undefined when CheckTx refused the tx (it was never included). */
  readonly txResult: ExecTxResult | undefined;
}

/** The `tx` method's reply: a committed tx, its bytes and FinalizeBlock result. */
export interface IndexedTxReply {
  readonly hash: string;
  readonly height: bigint;
  readonly index: number;
  readonly tx: Uint8Array;
  readonly txResult: ExecTxResult;
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
  /** broadcast_tx_async: only the mempool's own refusals are reported (code 0 otherwise). */
  broadcastTxAsync(tx: Uint8Array): Promise<BroadcastResult>;
  broadcastTxCommit(tx: Uint8Array): Promise<CommitResult>;
  /** `tx` by hash (hex); undefined while the node has not indexed it. */
  getTx(hash: string): Promise<IndexedTxReply | undefined>;
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

function execResult(obj: unknown, name: string): ExecTxResult {
  const r = execTxResultFromJson(field(obj, name) ?? {}, name);
  if (!r.ok) throw bad(r.error.message);
  return r.value;
}

function hashBytes(hash: string): Uint8Array {
  const bytes = /^[0-9a-fA-F]{64}$/.test(hash) ? fromHex(hash) : null;
  if (bytes === null)
    throw new QosError("cli_usage", `a tx hash is 64 hex characters, got "${hash}"`);
  return bytes;
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

  /** broadcast_tx_sync / _async: the CheckTx verdict (sync) or just the hash (async). */
  async function broadcast(method: string, tx: Uint8Array): Promise<BroadcastResult> {
    const r = await call(method, { tx: Buffer.from(tx).toString("base64") });
    return {
      code: Number(field(r, "code") ?? 0),
      codespace: str(r, "codespace", ""),
      log: str(r, "log", ""),
      hash: str(r, "hash"),
    };
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
    broadcastTxSync: (tx) => broadcast("broadcast_tx_sync", tx),
    broadcastTxAsync: (tx) => broadcast("broadcast_tx_async", tx),
    async broadcastTxCommit(tx) {
      const r = await call("broadcast_tx_commit", { tx: Buffer.from(tx).toString("base64") });
      const checkTx = execResult(r, "check_tx");
      return {
        hash: str(r, "hash"),
        height: BigInt(str(r, "height", "0")),
        checkTx,
        txResult: checkTx.code === 0 ? execResult(r, "tx_result") : undefined,
      };
    },
    async getTx(hash) {
      let r: unknown;
      try {
        r = await call("tx", { hash: toBase64(hashBytes(hash)) });
      } catch (e) {
        if (
          e instanceof QosError &&
          e.code === RPC_CLIENT_ERROR.rpcError &&
          /not found/.test(e.message)
        )
          return undefined;
        throw e;
      }
      return {
        hash: str(r, "hash"),
        height: BigInt(str(r, "height")),
        index: Number(field(r, "index") ?? 0),
        tx: b64(r, "tx"),
        txResult: execResult(r, "tx_result"),
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
