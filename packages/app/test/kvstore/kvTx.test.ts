import { toBase64, utf8Encode } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeKvValidatorTx, KV_MAX_KEY_BYTES, parseKvTx } from "../../src/kvstore/kvTx.ts";

const enc = utf8Encode;
const PK = new Uint8Array(32).fill(7);

function failure(tx: Uint8Array): { code: number; log: string } {
  const r = parseKvTx(tx);
  if (r.ok) throw new Error("expected a failure");
  return { code: r.code, log: r.log };
}

describe("parseKvTx", () => {
  it("parses key=value and a bare key (key=key)", () => {
    expect(parseKvTx(enc("name=satoshi"))).toEqual({
      ok: true,
      tx: { kind: "set", key: enc("name"), value: enc("satoshi") },
    });
    expect(parseKvTx(enc("hello"))).toEqual({
      ok: true,
      tx: { kind: "set", key: enc("hello"), value: enc("hello") },
    });
    expect(parseKvTx(enc("ключ=значение"))).toEqual({
      ok: true,
      tx: { kind: "set", key: enc("ключ"), value: enc("значение") },
    });
  });

  it("rejects malformed txs with code 1 and a clear log", () => {
    expect(failure(new Uint8Array())).toEqual({ code: 1, log: "tx is empty" });
    expect(failure(Uint8Array.of(0x61, 0xff, 0x3d, 0x62))).toEqual({
      code: 1,
      log: "tx is not valid UTF-8",
    });
    expect(failure(enc("a=b=c"))).toEqual({
      code: 1,
      log: `invalid tx format: more than one '=' in "a=b=c"`,
    });
    expect(failure(enc("=v"))).toEqual({
      code: 1,
      log: `invalid tx format: key cannot be empty in "=v"`,
    });
    expect(failure(enc("k="))).toEqual({
      code: 1,
      log: `invalid tx format: value cannot be empty in "k="`,
    });
    const longKey = "k".repeat(KV_MAX_KEY_BYTES + 1);
    expect(failure(enc(`${longKey}=v`))).toEqual({
      code: 1,
      log: `key too long: ${KV_MAX_KEY_BYTES + 1} bytes (max ${KV_MAX_KEY_BYTES})`,
    });
    expect(parseKvTx(enc(`${"k".repeat(KV_MAX_KEY_BYTES)}=v`)).ok).toBe(true);
  });

  it("shortens long input in logs", () => {
    const { log } = failure(enc(`${"x".repeat(200)}==`));
    expect(log).toBe(`invalid tx format: more than one '=' in "${"x".repeat(64)}…"`);
  });

  it("parses validator txs val:<base64 pubkey>!<power>", () => {
    expect(parseKvTx(encodeKvValidatorTx(PK, 10n))).toEqual({
      ok: true,
      tx: { kind: "validator", pubKey: PK, power: 10n },
    });
    expect(parseKvTx(enc(`val:${toBase64(PK)}!0`))).toEqual({
      ok: true,
      tx: { kind: "validator", pubKey: PK, power: 0n },
    });
    expect(new TextDecoder().decode(encodeKvValidatorTx(PK, 5n))).toBe(`val:${toBase64(PK)}!5`);
  });

  it("rejects bad validator txs with code 1", () => {
    const b64 = toBase64(PK);
    expect(failure(enc(`val:${b64}`))).toEqual({
      code: 1,
      log: `expected 'val:pubkey!power', got "val:${b64}"`,
    });
    expect(failure(enc(`val:${b64}!1!2`)).log).toMatch(/^expected 'val:pubkey!power'/);
    expect(failure(enc("val:not*base64!5"))).toEqual({
      code: 1,
      log: `pubkey ("not*base64") is invalid base64`,
    });
    // Unpadded base64 is not canonical (Go's StdEncoding wants the padding).
    expect(failure(enc(`val:${b64.replace(/=+$/, "")}!5`)).log).toMatch(/is invalid base64$/);
    expect(failure(enc(`val:${toBase64(new Uint8Array(33))}!5`))).toEqual({
      code: 1,
      log: "pubkey must be a 32-byte ed25519 key, got 33 bytes",
    });
    expect(failure(enc(`val:${b64}!ten`))).toEqual({ code: 1, log: `power ("ten") is not an int` });
    expect(failure(enc(`val:${b64}!1.5`)).log).toBe(`power ("1.5") is not an int`);
    expect(failure(enc(`val:${b64}!-3`))).toEqual({
      code: 1,
      log: "power can not be less than 0, got -3",
    });
    expect(failure(enc(`val:${b64}!9999999999999999999`)).log).toBe(
      `power ("9999999999999999999") is not an int64`,
    );
    expect(failure(enc(`val:${b64}!1152921504606846976`)).log).toBe(
      "power 1152921504606846976 exceeds the maximum voting power 1152921504606846975",
    );
  });

  it("never throws, and accepts exactly the UTF-8 txs it can read back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (tx) => {
        const r = parseKvTx(tx);
        if (r.ok) {
          expect(tx.length).toBeGreaterThan(0);
          if (r.tx.kind === "set") expect(r.tx.key.length).toBeGreaterThan(0);
        } else {
          expect(r.code).toBe(1);
          expect(r.log.length).toBeGreaterThan(0);
        }
      }),
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes("=")),
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes("=")),
        (k, v) => {
          fc.pre(!k.startsWith("val:"));
          const r = parseKvTx(enc(`${k}=${v}`));
          expect(r).toEqual({ ok: true, tx: { kind: "set", key: enc(k), value: enc(v) } });
        },
      ),
    );
  });
});
