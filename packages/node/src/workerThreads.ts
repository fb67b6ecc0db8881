// Helpers for the node's worker threads (the index writer, the signature verifier): starting a
// built worker module with the right Node options, and byte lists packed into one transferable
// buffer. A Uint8Array that views part of a larger buffer (a block's txs) would be cloned with
// its whole buffer; a packed list copies each byte once and moves without a second copy.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "./logger.ts";

/** A list of byte strings in one buffer: item i is `data[ends[i-1] .. ends[i])`. */
export interface PackedBytes {
  readonly data: Uint8Array;
  readonly ends: Uint32Array;
}

export function packBytes(list: readonly Uint8Array[]): PackedBytes {
  let total = 0;
  for (const b of list) total += b.length;
  const data = new Uint8Array(total);
  const ends = new Uint32Array(list.length);
  let at = 0;
  for (let i = 0; i < list.length; i++) {
    const b = list[i] as Uint8Array;
    data.set(b, at);
    at += b.length;
    ends[i] = at;
  }
  return { data, ends };
}

export function unpackBytes(packed: PackedBytes): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const end of packed.ends) {
    out.push(packed.data.subarray(from, end));
    from = end;
  }
  return out;
}

/** The buffers a packed list hands over with postMessage. */
export function packedTransfer(packed: PackedBytes): ArrayBuffer[] {
  return [packed.data.buffer as ArrayBuffer, packed.ends.buffer as ArrayBuffer];
}

/**
 * Starts the built worker module `file` (dist/…/*.js), or returns null when it is not there
 * (running from the TypeScript sources) or cannot start (logged), so the caller does the work
 * on the main thread.
 */
export function startBuiltWorker(
  file: URL,
  workerData: unknown,
  name: string,
  logger: Logger,
): Worker | null {
  if (!existsSync(fileURLToPath(file))) return null;
  try {
    // No Node options from the parent: the worker is built JavaScript importing the built
    // packages (a parent running from the sources has resolution conditions), and V8 flags
    // such as --max-semi-space-size are refused in a worker's execArgv.
    return new Worker(file, { workerData, name, execArgv: [] });
  } catch (e) {
    logger.error(
      { err: e, worker: name },
      "cannot start a worker thread; its work stays on the main thread",
    );
    return null;
  }
}
