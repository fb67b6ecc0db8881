// The signature worker: a worker thread that verifies batches of secp256k1 signatures (the
// `@qos/crypto` check CheckTx makes: sha256 of the sign bytes, low-s ECDSA) so the main thread
// only looks the verdicts up. See signatureVerifier.ts for the main thread's side.

import { parentPort } from "node:worker_threads";
import { secp256k1Verify } from "@qos/crypto";
import { unpackBytes } from "../workerThreads.ts";
import type { FromSignatureWorker, ToSignatureWorker } from "./signatureMessages.ts";

const port = parentPort;
if (port === null) throw new Error("signatureWorker.ts runs only as a worker thread");

port.on("message", (m: ToSignatureWorker) => {
  const keys = unpackBytes(m.pubKeys);
  const messages = unpackBytes(m.signBytes);
  const signatures = unpackBytes(m.signatures);
  const verdicts = new Uint8Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const ok = secp256k1Verify(
      keys[i] as Uint8Array,
      messages[i] as Uint8Array,
      signatures[i] as Uint8Array,
    );
    verdicts[i] = ok ? 1 : 0;
  }
  const reply: FromSignatureWorker = { id: m.id, verdicts };
  port.postMessage(reply, [verdicts.buffer]);
});
