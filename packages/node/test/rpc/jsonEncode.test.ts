// encodeJson: the same text as JSON.stringify with the bigint/Uint8Array replacer, whether or
// not the value holds anything to replace (the replacer-free fast path).

import { toBase64 } from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeJson } from "../../src/rpc/jsonEncode.ts";

function reference(value: unknown): string {
  const text = JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    const original = (this as Record<string, unknown>)[key];
    if (original instanceof Uint8Array) return toBase64(original);
    if (typeof v === "bigint") return v.toString();
    return v;
  });
  return text === undefined ? "null" : text;
}

const leaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 8 }),
  fc.date({ noInvalidDate: true }),
);

const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("node"), { maxKeys: 4 }),
  ),
})).node;

describe("encodeJson", () => {
  it("equals JSON.stringify with the replacer on any value", () => {
    fc.assert(
      fc.property(tree, (value) => {
        expect(encodeJson(value)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
  });

  it("still throws on cycles", () => {
    const a: Record<string, unknown> = { x: "y" };
    a.self = a;
    expect(() => encodeJson(a)).toThrow();
    expect(() => encodeJson([a])).toThrow();
  });

  it("serialises Buffers as base64 and deep values the same way", () => {
    let deep: unknown = { v: 1n };
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(encodeJson(deep)).toBe(reference(deep));
    const b = Buffer.from([1, 2, 3]);
    expect(encodeJson({ b })).toBe('{"b":"AQID"}');
  });
});
