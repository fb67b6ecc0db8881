// qsc genesis: the JSON shape loads and exports back unchanged; each invalid genesis is
// qsc 20 naming the faulty entry.

import { describe, expect, it } from "vitest";
import { QSC_ERROR } from "../../../src/modules/qsc/qscErrors.ts";
import { account, createHarness, type Harness } from "./qscHarness.ts";

const alice = account(1);
const bob = account(2);

const star = {
  denom: "qsc/star",
  symbol: "STAR",
  name: "Star Token",
  decimals: 6,
  issuer: alice.bech32,
  max_supply: "1000",
};
const moon = { ...star, denom: "qsc/moon", symbol: "Moon", name: "Moon", max_supply: "0" };

const fund = (h: Harness) => {
  h.bank.mint(h.ctx(), alice.address, [{ denom: "qsc/star", amount: 600n }]);
  h.bank.mint(h.ctx(), bob.address, [{ denom: "qsc/star", amount: 400n }]);
};

const genesis = {
  params: {
    creation_mode: "CREATION_MODE_CERTIFICATE",
    creation_fee: { denom: "uqos", amount: "250" },
    root_ca: { key_type: "ed25519", pub_key: Buffer.alloc(32, 3).toString("base64") },
  },
  tokens: [star, moon],
  frozen: [{ denom: "qsc/star", address: bob.bech32, amount: "400" }],
  paused: ["qsc/moon"],
};

describe("qsc genesis", () => {
  it("loads tokens, frozen amounts and paused flags; exports the same state", () => {
    const h = createHarness(genesis, fund);
    const ctx = h.ctx();
    expect(h.module.keeper.token(ctx, "qsc/star")?.name).toBe("Star Token");
    expect(h.module.keeper.frozen(ctx, "qsc/star", bob.address)).toBe(400n);
    expect(h.module.keeper.isPaused(ctx, "qsc/moon")).toBe(true);
    const exported = h.module.exportGenesis(ctx);
    expect(exported).toEqual({
      ...genesis,
      tokens: [moon, star],
    });
    const again = createHarness(exported, fund);
    expect(again.snapshot()).toBe(h.snapshot());
  });

  it("no qsc section: default params (open, 100 QOS fee) and no tokens", () => {
    const h = createHarness(null);
    expect(h.module.exportGenesis(h.ctx())).toEqual({
      params: {
        creation_mode: "CREATION_MODE_OPEN",
        creation_fee: { denom: "uqos", amount: "100000000" },
      },
      tokens: [],
      frozen: [],
      paused: [],
    });
  });

  const bad: [string, object, RegExp][] = [
    ["not an object", { tokens: 5 }, /invalid qsc genesis/],
    ["an unknown field", { supply: 1 }, /invalid qsc genesis/],
    [
      "an unspecified creation mode",
      { params: { creation_mode: "CREATION_MODE_UNSPECIFIED" } },
      /creation_mode must be/,
    ],
    [
      "certificate mode without a root CA",
      { params: { creation_mode: "CREATION_MODE_CERTIFICATE" } },
      /root_ca is required/,
    ],
    [
      "a root CA key of the wrong length",
      {
        params: {
          ...genesis.params,
          root_ca: { key_type: "ed25519", pub_key: Buffer.alloc(33).toString("base64") },
        },
      },
      /a ed25519 key has 32 bytes, got 33/,
    ],
    [
      "an unknown root CA key type",
      { params: { ...genesis.params, root_ca: { key_type: "rsa", pub_key: "AA==" } } },
      /key_type "rsa"/,
    ],
    [
      "a bad creation fee denom",
      {
        params: { creation_mode: "CREATION_MODE_OPEN", creation_fee: { denom: "u", amount: "1" } },
      },
      /params.creation_fee: invalid denom/,
    ],
    [
      "a denom not derived from the symbol",
      { tokens: [{ ...star, denom: "qsc/STAR" }] },
      /denom must be "qsc\/star"/,
    ],
    ["a duplicate symbol", { tokens: [star, { ...star, symbol: "star" }] }, /duplicate symbol/],
    [
      "a bad symbol",
      { tokens: [{ ...star, symbol: "S", denom: "qsc/s" }] },
      /tokens\[0\] \(S\): invalid symbol/,
    ],
    ["a bad issuer", { tokens: [{ ...star, issuer: "x" }] }, /invalid issuer address/],
    ["a bad max supply", { tokens: [{ ...star, max_supply: "007" }] }, /invalid max supply/],
    [
      "supply above max supply",
      { tokens: [{ ...star, max_supply: "999" }] },
      /bank supply 1000 is above max_supply 999/,
    ],
    [
      "frozen above the balance",
      { tokens: [star], frozen: [{ denom: "qsc/star", address: bob.bech32, amount: "401" }] },
      /above its balance 400/,
    ],
    [
      "frozen of an unknown token",
      { tokens: [star], frozen: [{ denom: "qsc/moon", address: bob.bech32, amount: "1" }] },
      /unknown token qsc\/moon/,
    ],
    [
      "a zero frozen amount",
      { tokens: [star], frozen: [{ denom: "qsc/star", address: bob.bech32, amount: "0" }] },
      /must be positive/,
    ],
    [
      "a holder frozen twice",
      {
        tokens: [star],
        frozen: [
          { denom: "qsc/star", address: bob.bech32, amount: "1" },
          { denom: "qsc/star", address: bob.bech32, amount: "1" },
        ],
      },
      /listed twice/,
    ],
    ["a paused unknown token", { tokens: [star], paused: ["qsc/moon"] }, /paused: unknown token/],
    ["a token paused twice", { tokens: [star], paused: ["qsc/star", "qsc/star"] }, /listed twice/],
  ];

  it.each(bad)("refuses %s (qsc 20)", (_name, state, text) => {
    let caught: unknown;
    try {
      createHarness(state, fund);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ codespace: "qsc", code: QSC_ERROR.invalidGenesis });
    expect((caught as Error).message).toMatch(text);
  });
});
