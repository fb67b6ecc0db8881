// Sends signed txs to a node (broadcast_tx_sync, _async or _commit), optionally waits for the
// tx to be committed (polling `tx` by hash), and shapes the outcome as the Cosmos SDK's
// TxResponse (txhash, height, code, codespace, raw_log, gas, events).

import { sha256 } from "@qos/crypto";
import { type Event, type ExecTxResult, QosError, toHex } from "@qos/types";
import type { NodeRpc } from "./nodeRpc.ts";

export type BroadcastMode = "sync" | "async" | "commit";
export const BROADCAST_MODES: readonly BroadcastMode[] = ["sync", "async", "commit"];

export interface TxResponse {
  readonly txhash: string;
  /** 0 until the tx is committed (sync/async without --wait, or refused). */
  readonly height: bigint;
  readonly code: number;
  readonly codespace: string;
  readonly rawLog: string;
  readonly data: Uint8Array;
  readonly gasWanted: bigint;
  readonly gasUsed: bigint;
  readonly events: readonly Event[];
}

export const BROADCAST_ERROR = { timeout: "tx_wait_timeout" } as const;

function fromExec(txhash: string, height: bigint, r: ExecTxResult): TxResponse {
  return {
    txhash,
    height,
    code: r.code,
    codespace: r.codespace,
    rawLog: r.log,
    data: r.data,
    gasWanted: r.gasWanted,
    gasUsed: r.gasUsed,
    events: r.events,
  };
}

function brief(txhash: string, r: { code: number; codespace: string; log: string }): TxResponse {
  return {
    txhash,
    height: 0n,
    code: r.code,
    codespace: r.codespace,
    rawLog: r.log,
    data: new Uint8Array(),
    gasWanted: 0n,
    gasUsed: 0n,
    events: [],
  };
}

/** The hash CometBFT gives a tx: upper-case hex sha256 of its bytes. */
export function txHash(txBytes: Uint8Array): string {
  return toHex(sha256(txBytes));
}

/** Polls `tx` every 250 ms until the node has the tx committed, or `timeoutMs` passes. */
export async function waitForTx(
  rpc: NodeRpc,
  hash: string,
  timeoutMs: number,
): Promise<TxResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await rpc.getTx(hash);
    if (t !== undefined) return fromExec(t.hash, t.height, t.txResult);
    if (Date.now() > deadline)
      throw new QosError(
        BROADCAST_ERROR.timeout,
        `tx ${hash} was not committed within ${timeoutMs} ms (it may still be; see qos query tx ${hash})`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Broadcasts TxRaw bytes. sync: the CheckTx verdict; async: only mempool refusals; commit: the
 * block result. `wait` (sync/async): after CheckTx accepts, wait for the block result.
 */
export async function broadcastTx(
  rpc: NodeRpc,
  txBytes: Uint8Array,
  mode: BroadcastMode,
  o: { wait?: boolean; timeoutMs?: number } = {},
): Promise<TxResponse> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  if (mode === "commit") {
    const r = await rpc.broadcastTxCommit(txBytes);
    if (r.txResult === undefined) return fromExec(r.hash, 0n, r.checkTx);
    return fromExec(r.hash, r.height, r.txResult);
  }
  const r =
    mode === "sync" ? await rpc.broadcastTxSync(txBytes) : await rpc.broadcastTxAsync(txBytes);
  const first = brief(r.hash, r);
  if (o.wait !== true || r.code !== 0) return first;
  return await waitForTx(rpc, r.hash, timeoutMs);
}

/** The Cosmos SDK's TxResponse JSON (sdk.TxResponse; amounts and heights as strings). */
export function txResponseToJson(r: TxResponse, extra: Record<string, unknown> = {}): unknown {
  return {
    height: String(r.height),
    txhash: r.txhash,
    codespace: r.codespace,
    code: r.code,
    data: toHex(r.data),
    raw_log: r.rawLog,
    gas_wanted: String(r.gasWanted),
    gas_used: String(r.gasUsed),
    ...extra,
    events: r.events.map((e) => ({
      type: e.type,
      attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })),
    })),
  };
}
