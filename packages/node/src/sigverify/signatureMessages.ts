// The messages between the node's main thread and the signature worker (signatureWorker.ts).

import type { PackedBytes } from "../workerThreads.ts";

/** A batch of secp256k1 checks: item i is (pubKeys[i], signBytes[i], signatures[i]). */
export interface ToSignatureWorker {
  readonly id: number;
  readonly pubKeys: PackedBytes;
  readonly signBytes: PackedBytes;
  readonly signatures: PackedBytes;
}

export interface FromSignatureWorker {
  readonly id: number;
  /** 1 where the signature verified, 0 where it did not. */
  readonly verdicts: Uint8Array;
}
