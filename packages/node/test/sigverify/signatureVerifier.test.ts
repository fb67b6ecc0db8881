// The signature verifier with its real worker thread (the built dist/sigverify/signatureWorker.js,
// which `npm test` builds first): verdicts equal @qos/crypto's on the main thread for good and
// bad signatures, whichever batch they travel in; without a worker every verdict is "not
// verified here" (false), so the app's CheckTx verifies by itself.

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { SignatureCheck } from "@qos/app";
import { secp256k1PublicKey, secp256k1Sign, secp256k1Verify } from "@qos/crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createSilentLogger } from "../../src/logger.ts";
import {
  createSignatureVerifier,
  type SignatureVerifier,
} from "../../src/sigverify/signatureVerifier.ts";

const WORKER = pathToFileURL(join(import.meta.dirname, "../../dist/sigverify/signatureWorker.js"));
const logger = createSilentLogger();
const open: SignatureVerifier[] = [];
afterEach(async () => {
  for (const v of open.splice(0)) await v.close();
});

function check(i: number): SignatureCheck {
  const secret = new Uint8Array(32).fill(0);
  secret[31] = (i % 200) + 1;
  secret[0] = 7;
  const signBytes = new Uint8Array(randomBytes(60 + (i % 300)));
  const signature = secp256k1Sign(secret, signBytes);
  const pubKey = secp256k1PublicKey(secret);
  if (i % 3 === 1) signature[i % 64] = (signature[i % 64] as number) ^ 1; // a broken signature
  if (i % 7 === 6) signBytes[0] = (signBytes[0] as number) ^ 0x80; // another message
  return { pubKey, signBytes, signature };
}

describe("signature verifier", () => {
  it("gives the main thread's verdict for each check, over many concurrent callers", async () => {
    const v = createSignatureVerifier({ workerFile: WORKER, maxBatch: 16 }, { logger });
    open.push(v);
    expect(v.usesWorker()).toBe(false); // started by the first batch
    const groups = Array.from({ length: 40 }, (_, g) =>
      Array.from({ length: 1 + (g % 5) }, (_, k) => check(g * 5 + k)),
    );
    const verdicts = await Promise.all(groups.map((checks) => v.verify(checks)));
    expect(v.usesWorker()).toBe(true);
    let good = 0;
    groups.forEach((checks, g) => {
      const expected = checks.map((c) => secp256k1Verify(c.pubKey, c.signBytes, c.signature));
      expect(verdicts[g]).toEqual(expected);
      good += expected.filter(Boolean).length;
    });
    // One batch at a time with the worker: the first group went alone, the others waited and
    // went together (up to 16 checks a message).
    const checks = groups.flat().length;
    expect(v.batchesSent()).toBeGreaterThanOrEqual(1 + Math.ceil((checks - 1) / 16));
    expect(v.batchesSent()).toBeLessThanOrEqual(1 + Math.ceil((checks - 1) / 12));
    expect(good).toBeGreaterThan(20);
    expect(good).toBeLessThan(groups.flat().length);
    // Malformed input is a "no", not an error.
    const odd = await v.verify([
      { pubKey: new Uint8Array(3), signBytes: new Uint8Array(1), signature: new Uint8Array(64) },
    ]);
    expect(odd).toEqual([false]);
    expect(v.available()).toBe(true);
    await v.close();
    expect(v.usesWorker()).toBe(false);
    expect(v.available()).toBe(false);
    expect(await v.verify([check(0)])).toEqual([false]);
  });

  it("without the worker file answers 'not verified here' for every check", async () => {
    const v = createSignatureVerifier(
      { workerFile: pathToFileURL(join(import.meta.dirname, "no-such-worker.js")) },
      { logger },
    );
    open.push(v);
    expect(await v.verify([check(0), check(2)])).toEqual([false, false]);
    expect(v.usesWorker()).toBe(false);
    expect(v.available()).toBe(false); // so the app stops asking
  });
});
