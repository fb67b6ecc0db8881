// Flag parsing of the client commands: --gas, --gas-adjustment, --gas-prices (exact ceilings, no
// floats), NAME:COINS items, and the text output.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  adjustGas,
  feeFromGasPrices,
  parseDecimal,
  parseGasFlag,
  parseGasPrices,
} from "../../src/client/gasFees.ts";
import { jsonToText } from "../../src/client/outputFormat.ts";
import { parseAddressItem } from "../../src/commands/txCommands.ts";

describe("gas and fee flags", () => {
  it("parses --gas", () => {
    expect(parseGasFlag("auto")).toBe("auto");
    expect(parseGasFlag("200000")).toBe(200_000n);
    for (const bad of ["0", "-1", "1.5", "", "0x10", "auto "])
      expect(() => parseGasFlag(bad)).toThrow(/--gas must be "auto" or a positive integer/);
  });

  it("adjusts gas and prices fees with exact ceilings", () => {
    expect(adjustGas(100_000n, parseDecimal("1.5", "x"))).toBe(150_000n);
    expect(adjustGas(3n, parseDecimal("1.5", "x"))).toBe(5n);
    expect(adjustGas(7n, parseDecimal("1", "x"))).toBe(7n);
    expect(feeFromGasPrices(parseGasPrices("0.025uqos"), 200_000n)).toEqual([
      { denom: "uqos", amount: 5000n },
    ]);
    expect(feeFromGasPrices(parseGasPrices("0.0001uqos,2qsc/star"), 3n)).toEqual([
      { denom: "qsc/star", amount: 6n },
      { denom: "uqos", amount: 1n },
    ]);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        fc.integer({ min: 0, max: 9 }),
        (gas, num, scale) => {
          const den = 10n ** BigInt(scale);
          const text = `${num / den}${scale > 0 ? `.${(num % den).toString().padStart(scale, "0")}` : ""}`;
          const [fee] = feeFromGasPrices(parseGasPrices(`${text}uqos`), gas);
          // The smallest integer ≥ gas × price.
          expect((fee?.amount ?? 0n) * den >= gas * num).toBe(true);
          expect(((fee?.amount ?? 0n) - 1n) * den < gas * num).toBe(true);
        },
      ),
    );
    for (const bad of ["uqos", "0uqos", "-1uqos", "1.uqos", "0.1u", ""])
      expect(() => parseGasPrices(bad)).toThrow(/invalid gas price/);
    expect(() => parseDecimal("1,5", "--gas-adjustment")).toThrow(/--gas-adjustment must be/);
  });

  it("splits NAME_OR_ADDRESS:AMOUNT items at the first colon", () => {
    expect(parseAddressItem("alice:100uqos,5qsc/star", "--sender")).toEqual({
      who: "alice",
      rest: "100uqos,5qsc/star",
    });
    expect(parseAddressItem("qosacc1xyz:ibc:x", "--receiver")).toEqual({
      who: "qosacc1xyz",
      rest: "ibc:x",
    });
    for (const bad of ["alice", ":100uqos", "alice:"])
      expect(() => parseAddressItem(bad, "--sender")).toThrow(/--sender takes NAME_OR_ADDRESS/);
  });

  it("prints JSON values as YAML-like text", () => {
    expect(
      jsonToText({
        balances: [{ denom: "uqos", amount: "5" }],
        empty: [],
        code: 0,
        log: "",
        note: "a: b",
      }),
    ).toBe(
      'balances:\n  - denom: uqos\n    amount: "5"\nempty: []\ncode: 0\nlog: ""\nnote: "a: b"',
    );
  });
});
