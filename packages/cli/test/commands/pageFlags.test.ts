// The Cosmos pagination flags of list queries (`--limit`, `--page-key`, `--offset`, `--page`,
// `--count-total`, `--reverse`) as the PageRequest they ask for, and their refusals.

import { toBase64 } from "@qos/types";
import { describe, expect, it } from "vitest";
import { pageRequestOf } from "../../src/commands/queryCommands.ts";

describe("pagination flags", () => {
  it("no flag: no page (the client fetches every page)", () => {
    expect(pageRequestOf({})).toBeUndefined();
    expect(pageRequestOf({ countTotal: false, reverse: false })).toBeUndefined();
  });

  it("build the PageRequest: default limit 100, --page N is offset (N-1)×limit", () => {
    expect(pageRequestOf({ limit: "5" })).toMatchObject({
      limit: 5n,
      offset: 0n,
      key: new Uint8Array(),
    });
    expect(pageRequestOf({ countTotal: true })).toMatchObject({ limit: 100n, countTotal: true });
    expect(pageRequestOf({ page: "3", limit: "20", reverse: true })).toMatchObject({
      offset: 40n,
      limit: 20n,
      reverse: true,
    });
    const key = Uint8Array.of(1, 2, 250);
    expect(pageRequestOf({ pageKey: toBase64(key) })).toMatchObject({ key, offset: 0n });
    expect(pageRequestOf({ offset: "7" })).toMatchObject({ offset: 7n });
  });

  it("refuses bad numbers, bad base64 and contradicting flags, naming the flag", () => {
    const refused: [Parameters<typeof pageRequestOf>[0], RegExp][] = [
      [{ limit: "ten" }, /--limit wants a whole number/],
      [{ limit: "-1" }, /--limit wants a whole number/],
      [{ limit: "0" }, /--limit must be at least 1/],
      [{ offset: "1.5" }, /--offset wants a whole number/],
      [{ page: "0" }, /--page starts at 1/],
      [{ page: "2", offset: "1" }, /--page cannot be combined/],
      [{ page: "2", pageKey: "AQI=" }, /--page cannot be combined/],
      [{ pageKey: "AQI=", offset: "1" }, /--page-key and --offset cannot be used together/],
      [{ pageKey: "not base64!" }, /--page-key wants base64/],
    ];
    for (const [flags, message] of refused) {
      expect(() => pageRequestOf(flags), JSON.stringify(flags)).toThrow(message);
    }
  });
});
