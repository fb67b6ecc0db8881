// secp256k1 verification on a worker thread (signatureWorker.ts), for the QOS app's
// `preCheckTx`. One batch is with the worker at a time: checks asked for while it works wait and
// go together in the next message when its answer comes (an idle worker gets a check at once),
// so the batches grow with the load and a message's cost (~50 µs here) is shared by all of
// them. Each caller gets one verdict per check. A verdict of true means "verified"; false means
// "failed, or not checked here" — the app then leaves the check to CheckTx, which verifies on
// the main thread. So without the built worker file (running from the sources), after the
// worker died, or after close(), every verdict is false and nothing is lost but time.

import type { Worker } from "node:worker_threads";
import type { SignatureCheck } from "@qos/app";
import type { Logger } from "../logger.ts";
import { packBytes, packedTransfer, startBuiltWorker } from "../workerThreads.ts";
import type { FromSignatureWorker, ToSignatureWorker } from "./signatureMessages.ts";

export interface SignatureVerifier {
  verify(checks: readonly SignatureCheck[]): Promise<readonly boolean[]>;
  /** Messages sent to the worker so far (each carries one batch of checks). */
  batchesSent(): number;
  /** False once the worker is missing, died or was closed (every verdict is then false). */
  available(): boolean;
  /** Whether a worker thread is running (it starts with the first batch). */
  usesWorker(): boolean;
  /** Stops the worker; batches in flight get false verdicts. */
  close(): Promise<void>;
}

export interface SignatureVerifierOptions {
  /** The worker's module (default: the built signatureWorker.js beside this file). */
  readonly workerFile?: URL;
  /** Checks per message to the worker at most (default 256). */
  readonly maxBatch?: number;
}

interface Waiting {
  readonly checks: readonly SignatureCheck[];
  readonly resolve: (verdicts: readonly boolean[]) => void;
}

const WORKER_FILE = new URL("./signatureWorker.js", import.meta.url);

export function createSignatureVerifier(
  opts: SignatureVerifierOptions,
  deps: { readonly logger: Logger },
): SignatureVerifier {
  const maxBatch = opts.maxBatch ?? 256;
  /** "unstarted" until the first batch; "off" without a worker (missing, died or closed). */
  let state: "unstarted" | "running" | "off" = "unstarted";
  let worker: Worker | null = null;
  let nextId = 1;
  const inFlight = new Map<number, Waiting[]>();
  let queued: Waiting[] = [];
  let sent = 0;

  const none = (w: Waiting) => w.resolve(w.checks.map(() => false));

  function stop(reason: string | null): void {
    if (state === "off") return;
    state = "off";
    if (reason !== null) {
      deps.logger.error(
        { reason },
        "signature worker stopped; CheckTx verifies on the main thread",
      );
    }
    const w = worker;
    worker = null;
    for (const batch of inFlight.values()) batch.forEach(none);
    inFlight.clear();
    queued.forEach(none);
    queued = [];
    void w?.terminate();
  }

  function start(): Worker | null {
    const w = startBuiltWorker(opts.workerFile ?? WORKER_FILE, null, "qos-sigverify", deps.logger);
    if (w === null) {
      state = "off";
      return null;
    }
    w.unref();
    w.on("message", (m: FromSignatureWorker) => {
      const batch = inFlight.get(m.id);
      if (batch === undefined) return;
      inFlight.delete(m.id);
      let at = 0;
      for (const waiting of batch) {
        waiting.resolve(waiting.checks.map((_, i) => m.verdicts[at + i] === 1));
        at += waiting.checks.length;
      }
      send();
    });
    w.on("error", (e: unknown) => stop(e instanceof Error ? e.message : String(e)));
    w.on("exit", (code) => stop(`exit code ${code}`));
    state = "running";
    return w;
  }

  /** Sends the waiting checks (up to maxBatch) unless a batch is already with the worker. */
  function send(): void {
    if (worker === null || inFlight.size > 0 || queued.length === 0) return;
    const batch: Waiting[] = [];
    let count = 0;
    while (
      queued.length > 0 &&
      (count === 0 || count + (queued[0] as Waiting).checks.length <= maxBatch)
    ) {
      const w = queued.shift() as Waiting;
      batch.push(w);
      count += w.checks.length;
    }
    const all = batch.flatMap((w) => w.checks);
    const m: ToSignatureWorker = {
      id: nextId++,
      pubKeys: packBytes(all.map((c) => c.pubKey)),
      signBytes: packBytes(all.map((c) => c.signBytes)),
      signatures: packBytes(all.map((c) => c.signature)),
    };
    inFlight.set(m.id, batch);
    sent++;
    worker.postMessage(m, [
      ...packedTransfer(m.pubKeys),
      ...packedTransfer(m.signBytes),
      ...packedTransfer(m.signatures),
    ]);
  }

  return {
    verify(checks) {
      if (checks.length === 0) return Promise.resolve([]);
      if (state === "unstarted") worker = start();
      if (state === "off") return Promise.resolve(checks.map(() => false));
      return new Promise((resolve) => {
        queued.push({ checks, resolve });
        send();
      });
    },
    batchesSent: () => sent,
    available: () => state !== "off",
    usesWorker: () => state === "running",
    async close() {
      stop(null);
    },
  };
}
