// The qsc messages one by one: ERC20 behaviour through bank plus issue, burn, freeze and pause;
// every failure's codespace, code and message, and that a failure writes nothing.

import { fromBinary } from "@bufbuild/protobuf";
import { qscTx } from "@qos/types";
import { describe, expect, it } from "vitest";
import { QSC_ERROR } from "../../../src/modules/qsc/qscErrors.ts";
import { account, createHarness, events, type Harness, openGenesis } from "./qscHarness.ts";

const alice = account(1);
const bob = account(2);
const carol = account(3);

function withStar(
  h: Harness,
  maxSupply = "1000000",
  holders = [{ address: alice.bech32, amount: "1000" }],
) {
  h.run(qscTx.MsgCreateTokenSchema, {
    creator: alice.bech32,
    symbol: "STAR",
    name: "Star Token",
    decimals: 6,
    maxSupply,
    initialHolders: holders,
  });
}

function expectQsc(
  e: { codespace: string; code: number; message: string },
  code: number,
  text?: RegExp,
) {
  expect(e.codespace).toBe("qsc");
  expect(e.code).toBe(code);
  if (text !== undefined) expect(e.message).toMatch(text);
}

describe("MsgCreateToken", () => {
  it("creates qsc/<lower-case symbol>, mints the initial holders and emits TokenCreated", () => {
    const h = createHarness();
    const res = h.run(qscTx.MsgCreateTokenSchema, {
      creator: alice.bech32,
      symbol: "STAR",
      name: "Star Token",
      decimals: 6,
      issuer: bob.bech32,
      maxSupply: "5000",
      initialHolders: [
        { address: alice.bech32, amount: "1000" },
        { address: carol.bech32, amount: "234" },
      ],
    });
    expect(fromBinary(qscTx.MsgCreateTokenResponseSchema, res).denom).toBe("qsc/star");
    const token = h.module.keeper.token(h.ctx(), "qsc/star");
    expect(token).toMatchObject({
      denom: "qsc/star",
      symbol: "STAR",
      name: "Star Token",
      decimals: 6,
      issuer: bob.bech32,
      maxSupply: "5000",
    });
    expect(h.bank.balance(h.ctx(), alice.address, "qsc/star")).toBe(1000n);
    expect(h.bank.balance(h.ctx(), carol.address, "qsc/star")).toBe(234n);
    expect(h.bank.supply(h.ctx(), "qsc/star")).toBe(1234n);
    // ERC20 mint: bank's Transfer from the empty address.
    expect(events(h, "Transfer")).toEqual([
      { from: "", to: alice.bech32, value: "1000", denom: "qsc/star" },
      { from: "", to: carol.bech32, value: "234", denom: "qsc/star" },
    ]);
    expect(events(h, "TokenCreated")).toEqual([
      {
        denom: "qsc/star",
        symbol: "STAR",
        name: "Star Token",
        decimals: "6",
        issuer: bob.bech32,
        max_supply: "5000",
        creator: alice.bech32,
      },
    ]);
  });

  it("the creator is the issuer when none is given; no cap is max_supply 0", () => {
    const h = createHarness();
    h.run(qscTx.MsgCreateTokenSchema, {
      creator: alice.bech32,
      symbol: "Ab",
      name: "A",
      decimals: 0,
    });
    expect(h.module.keeper.token(h.ctx(), "qsc/ab")).toMatchObject({
      issuer: alice.bech32,
      maxSupply: "0",
    });
  });

  it("burns the creation fee; refuses when the creator cannot pay it (qsc 14)", () => {
    const h = createHarness(openGenesis(500n));
    h.bank.mint(h.ctx(), alice.address, [{ denom: "uqos", amount: 499n }]);
    const e = h.fail(qscTx.MsgCreateTokenSchema, {
      creator: alice.bech32,
      symbol: "STAR",
      name: "Star",
      decimals: 6,
    });
    expectQsc(
      e,
      QSC_ERROR.creationFeeUnpaid,
      /creation fee unpaid: creating a token costs 500uqos, .* can spend 499uqos/,
    );
    h.bank.mint(h.ctx(), alice.address, [{ denom: "uqos", amount: 1n }]);
    withStar(h);
    expect(h.bank.balance(h.ctx(), alice.address, "uqos")).toBe(0n);
    expect(h.bank.supply(h.ctx(), "uqos")).toBe(0n);
  });

  it("refuses a duplicate symbol in any case (qsc 3)", () => {
    const h = createHarness();
    withStar(h);
    const e = h.fail(qscTx.MsgCreateTokenSchema, {
      creator: bob.bech32,
      symbol: "sTaR",
      name: "x",
      decimals: 1,
    });
    expectQsc(
      e,
      QSC_ERROR.duplicateSymbol,
      /symbol sTaR is taken: token qsc\/star \(STAR\) exists/,
    );
  });

  it("refuses a symbol whose denom already has coins without a token (qsc 3)", () => {
    const h = createHarness();
    h.bank.mint(h.ctx(), bob.address, [{ denom: "qsc/star", amount: 5n }]);
    const e = h.fail(qscTx.MsgCreateTokenSchema, {
      creator: alice.bech32,
      symbol: "Star",
      name: "x",
      decimals: 1,
    });
    expectQsc(e, QSC_ERROR.duplicateSymbol, /denom qsc\/star already has a supply of 5/);
  });

  it.each([
    ["symbol too short", { symbol: "S" }, QSC_ERROR.invalidSymbol],
    ["symbol with a dash", { symbol: "ST-AR" }, QSC_ERROR.invalidSymbol],
    ["symbol starting with a digit", { symbol: "1STAR" }, QSC_ERROR.invalidSymbol],
    ["symbol of 17 characters", { symbol: "A".repeat(17) }, QSC_ERROR.invalidSymbol],
    ["reserved symbol", { symbol: "QoS" }, QSC_ERROR.invalidSymbol],
    ["empty name", { name: "" }, QSC_ERROR.invalidName],
    ["name of 65 characters", { name: "n".repeat(65) }, QSC_ERROR.invalidName],
    ["name with a newline", { name: "a\nb" }, QSC_ERROR.invalidName],
    ["19 decimals", { decimals: 19 }, QSC_ERROR.invalidDecimals],
    ["bad creator", { creator: "qosacc1xyz" }, QSC_ERROR.invalidAddress],
    [
      "creator of another prefix",
      { creator: "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu" },
      QSC_ERROR.invalidAddress,
    ],
    ["bad issuer", { issuer: "nope" }, QSC_ERROR.invalidAddress],
    ["max supply with a sign", { maxSupply: "-5" }, QSC_ERROR.invalidAmount],
    ["max supply above 2^256-1", { maxSupply: (1n << 256n).toString() }, QSC_ERROR.invalidAmount],
    [
      "holder amount zero",
      { initialHolders: [{ address: bob.bech32, amount: "0" }] },
      QSC_ERROR.invalidAmount,
    ],
    [
      "holder amount negative",
      { initialHolders: [{ address: bob.bech32, amount: "-1" }] },
      QSC_ERROR.invalidAmount,
    ],
    [
      "holder address bad",
      { initialHolders: [{ address: "x", amount: "1" }] },
      QSC_ERROR.invalidAddress,
    ],
    [
      "holder listed twice",
      {
        initialHolders: [
          { address: bob.bech32, amount: "1" },
          { address: bob.bech32, amount: "2" },
        ],
      },
      QSC_ERROR.invalidRequest,
    ],
    [
      "holders above the max supply",
      { maxSupply: "10", initialHolders: [{ address: bob.bech32, amount: "11" }] },
      QSC_ERROR.overMaxSupply,
    ],
  ])("refuses %s", (_name, change, code) => {
    const h = createHarness();
    const e = h.fail(qscTx.MsgCreateTokenSchema, {
      creator: alice.bech32,
      symbol: "STAR",
      name: "Star",
      decimals: 6,
      ...change,
    });
    expectQsc(e, code);
  });
});

describe("ERC20 through bank: transfer, with pause and freeze", () => {
  it("transfers move balances; a paused token does not move (qsc 6) until unpaused", () => {
    const h = createHarness();
    withStar(h);
    h.bank.send(h.ctx(), alice.address, bob.address, [{ denom: "qsc/star", amount: 300n }]);
    expect(h.bank.balance(h.ctx(), bob.address, "qsc/star")).toBe(300n);
    h.run(qscTx.MsgPauseSchema, { issuer: alice.bech32, denom: "qsc/star" });
    expect(events(h, "Paused")).toEqual([{ denom: "qsc/star", account: alice.bech32 }]);
    expect(() =>
      h.bank.send(h.ctx(), bob.address, alice.address, [{ denom: "qsc/star", amount: 1n }]),
    ).toThrow(/token qsc\/star is paused/);
    h.run(qscTx.MsgUnpauseSchema, { issuer: alice.bech32, denom: "qsc/star" });
    expect(events(h, "Unpaused")).toEqual([{ denom: "qsc/star", account: alice.bech32 }]);
    h.bank.send(h.ctx(), bob.address, alice.address, [{ denom: "qsc/star", amount: 1n }]);
    expect(h.bank.balance(h.ctx(), bob.address, "qsc/star")).toBe(299n);
  });

  it("frozen tokens do not move: 'cannot move N: M of B are frozen' (qsc 7); more than the balance is bank's", () => {
    const h = createHarness();
    withStar(h);
    h.run(qscTx.MsgFreezeSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      holder: alice.bech32,
      amount: "400",
    });
    const move = (n: bigint) => () =>
      h.bank.send(h.ctx(), alice.address, bob.address, [{ denom: "qsc/star", amount: n }]);
    move(600n)();
    let caught: unknown;
    try {
      move(1n)();
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({
      codespace: "qsc",
      code: QSC_ERROR.frozenFunds,
      message: "cannot move 1qsc/star: 400 of 400 are frozen",
    });
    expect(move(401n)).toThrow(expect.objectContaining({ codespace: "sdk", code: 5 }));
    expect(h.bank.spendable(h.ctx(), alice.address, "qsc/star")).toBe(0n);
    h.run(qscTx.MsgUnfreezeSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      holder: alice.bech32,
      amount: "150",
    });
    move(150n)();
    expect(h.bank.balance(h.ctx(), alice.address, "qsc/star")).toBe(250n);
    expect(h.module.keeper.frozen(h.ctx(), "qsc/star", alice.address)).toBe(250n);
    expect(events(h, "Frozen")).toEqual([
      { denom: "qsc/star", owner: alice.bech32, value: "400", frozen: "400" },
    ]);
    expect(events(h, "Unfrozen")).toEqual([
      { denom: "qsc/star", owner: alice.bech32, value: "150", frozen: "250" },
    ]);
  });

  it("other denoms are not restricted", () => {
    const h = createHarness();
    withStar(h);
    h.run(qscTx.MsgPauseSchema, { issuer: alice.bech32, denom: "qsc/star" });
    h.bank.mint(h.ctx(), alice.address, [{ denom: "uqos", amount: 5n }]);
    h.bank.send(h.ctx(), alice.address, bob.address, [{ denom: "uqos", amount: 5n }]);
    expect(h.bank.balance(h.ctx(), bob.address, "uqos")).toBe(5n);
  });
});

describe("MsgIssue", () => {
  it("mints to the issuer or a recipient up to the max supply; emits Issued", () => {
    const h = createHarness();
    withStar(h, "2000");
    const r1 = h.run(qscTx.MsgIssueSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      amount: "500",
    });
    expect(fromBinary(qscTx.MsgIssueResponseSchema, r1).totalSupply).toBe("1500");
    h.run(qscTx.MsgIssueSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      amount: "500",
      to: bob.bech32,
    });
    expect(h.bank.balance(h.ctx(), alice.address, "qsc/star")).toBe(1500n);
    expect(h.bank.balance(h.ctx(), bob.address, "qsc/star")).toBe(500n);
    expect(events(h, "Issued")).toEqual([
      { denom: "qsc/star", issuer: alice.bech32, to: alice.bech32, value: "500" },
      { denom: "qsc/star", issuer: alice.bech32, to: bob.bech32, value: "500" },
    ]);
    const e = h.fail(qscTx.MsgIssueSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      amount: "1",
    });
    expectQsc(
      e,
      QSC_ERROR.overMaxSupply,
      /issuing 1 would raise the supply of qsc\/star to 2001, above its max supply 2000/,
    );
  });

  it("refuses a non-issuer (qsc 4), an unknown token (qsc 2), a paused token (qsc 6), a zero amount (qsc 8)", () => {
    const h = createHarness();
    withStar(h);
    expectQsc(
      h.fail(qscTx.MsgIssueSchema, { issuer: bob.bech32, denom: "qsc/star", amount: "1" }),
      QSC_ERROR.notIssuer,
      new RegExp(`${bob.bech32} is not the issuer of qsc/star \\(the issuer is ${alice.bech32}\\)`),
    );
    expectQsc(
      h.fail(qscTx.MsgIssueSchema, { issuer: alice.bech32, denom: "qsc/moon", amount: "1" }),
      QSC_ERROR.tokenNotFound,
      /token qsc\/moon not found/,
    );
    expectQsc(
      h.fail(qscTx.MsgIssueSchema, { issuer: alice.bech32, denom: "qsc/star", amount: "0" }),
      QSC_ERROR.invalidAmount,
    );
    expectQsc(
      h.fail(qscTx.MsgIssueSchema, { issuer: alice.bech32, denom: "", amount: "1" }),
      QSC_ERROR.invalidRequest,
    );
    expectQsc(
      h.fail(qscTx.MsgIssueSchema, {
        issuer: alice.bech32,
        denom: "qsc/star",
        amount: "1",
        to: "bad",
      }),
      QSC_ERROR.invalidAddress,
    );
    h.run(qscTx.MsgPauseSchema, { issuer: alice.bech32, denom: "qsc/star" });
    expectQsc(
      h.fail(qscTx.MsgIssueSchema, { issuer: alice.bech32, denom: "qsc/star", amount: "1" }),
      QSC_ERROR.paused,
    );
  });

  it("an uncapped token stops at 2^256 - 1", () => {
    const h = createHarness();
    withStar(h, "0");
    const max = (1n << 256n) - 1n;
    h.run(qscTx.MsgIssueSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      amount: (max - 1000n).toString(),
    });
    expectQsc(
      h.fail(qscTx.MsgIssueSchema, { issuer: alice.bech32, denom: "qsc/star", amount: "1" }),
      QSC_ERROR.overMaxSupply,
    );
  });
});

describe("MsgBurn", () => {
  it("burns the owner's unfrozen tokens and lowers supply; emits Burned", () => {
    const h = createHarness();
    withStar(h);
    h.bank.send(h.ctx(), alice.address, bob.address, [{ denom: "qsc/star", amount: 100n }]);
    const res = h.run(qscTx.MsgBurnSchema, { owner: bob.bech32, denom: "qsc/star", amount: "40" });
    expect(fromBinary(qscTx.MsgBurnResponseSchema, res).totalSupply).toBe("960");
    expect(h.bank.balance(h.ctx(), bob.address, "qsc/star")).toBe(60n);
    expect(events(h, "Burned")).toEqual([{ denom: "qsc/star", from: bob.bech32, value: "40" }]);
    expect(events(h, "Transfer").at(-1)).toEqual({
      from: bob.bech32,
      to: "",
      value: "40",
      denom: "qsc/star",
    });
  });

  it("refuses frozen tokens (qsc 7), a paused token (qsc 6), an unknown token (qsc 2); more than the balance is sdk 5", () => {
    const h = createHarness();
    withStar(h);
    h.run(qscTx.MsgFreezeSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      holder: alice.bech32,
      amount: "900",
    });
    expectQsc(
      h.fail(qscTx.MsgBurnSchema, { owner: alice.bech32, denom: "qsc/star", amount: "101" }),
      QSC_ERROR.frozenFunds,
      /^cannot move 101qsc\/star: 900 of 1000 are frozen$/,
    );
    const e = h.fail(qscTx.MsgBurnSchema, {
      owner: alice.bech32,
      denom: "qsc/star",
      amount: "1001",
    });
    expect([e.codespace, e.code]).toEqual(["sdk", 5]);
    expectQsc(
      h.fail(qscTx.MsgBurnSchema, { owner: alice.bech32, denom: "qsc/x1", amount: "1" }),
      QSC_ERROR.tokenNotFound,
    );
    h.run(qscTx.MsgPauseSchema, { issuer: alice.bech32, denom: "qsc/star" });
    expectQsc(
      h.fail(qscTx.MsgBurnSchema, { owner: alice.bech32, denom: "qsc/star", amount: "1" }),
      QSC_ERROR.paused,
    );
  });
});

describe("MsgFreeze / MsgUnfreeze", () => {
  it("only the issuer freezes (qsc 4); not above the unfrozen balance (qsc 15); unfreeze not above frozen (qsc 16)", () => {
    const h = createHarness();
    withStar(h);
    h.bank.send(h.ctx(), alice.address, bob.address, [{ denom: "qsc/star", amount: 100n }]);
    expectQsc(
      h.fail(qscTx.MsgFreezeSchema, {
        issuer: bob.bech32,
        denom: "qsc/star",
        holder: bob.bech32,
        amount: "1",
      }),
      QSC_ERROR.notIssuer,
    );
    h.run(qscTx.MsgFreezeSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      holder: bob.bech32,
      amount: "60",
    });
    expectQsc(
      h.fail(qscTx.MsgFreezeSchema, {
        issuer: alice.bech32,
        denom: "qsc/star",
        holder: bob.bech32,
        amount: "41",
      }),
      QSC_ERROR.freezeExceedsBalance,
      new RegExp(`cannot freeze 41qsc/star of ${bob.bech32}: it holds 100, of which 60 are frozen`),
    );
    expectQsc(
      h.fail(qscTx.MsgUnfreezeSchema, {
        issuer: alice.bech32,
        denom: "qsc/star",
        holder: bob.bech32,
        amount: "61",
      }),
      QSC_ERROR.unfreezeExceedsFrozen,
      new RegExp(`cannot unfreeze 61qsc/star of ${bob.bech32}: only 60 are frozen`),
    );
    expectQsc(
      h.fail(qscTx.MsgUnfreezeSchema, {
        issuer: bob.bech32,
        denom: "qsc/star",
        holder: bob.bech32,
        amount: "1",
      }),
      QSC_ERROR.notIssuer,
    );
    const r = h.run(qscTx.MsgUnfreezeSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      holder: bob.bech32,
      amount: "60",
    });
    expect(fromBinary(qscTx.MsgUnfreezeResponseSchema, r).frozen).toBe("0");
    expect([...h.module.keeper.frozenEntries(h.ctx())]).toEqual([]);
  });

  it("the issuer may freeze and unfreeze while the token is paused", () => {
    const h = createHarness();
    withStar(h);
    h.run(qscTx.MsgPauseSchema, { issuer: alice.bech32, denom: "qsc/star" });
    const r = h.run(qscTx.MsgFreezeSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      holder: alice.bech32,
      amount: "5",
    });
    expect(fromBinary(qscTx.MsgFreezeResponseSchema, r).frozen).toBe("5");
    h.run(qscTx.MsgUnfreezeSchema, {
      issuer: alice.bech32,
      denom: "qsc/star",
      holder: alice.bech32,
      amount: "5",
    });
  });

  it("refuses bad holders and amounts before anything else", () => {
    const h = createHarness();
    withStar(h);
    expectQsc(
      h.fail(qscTx.MsgFreezeSchema, {
        issuer: alice.bech32,
        denom: "qsc/star",
        holder: "zz",
        amount: "1",
      }),
      QSC_ERROR.invalidAddress,
    );
    expectQsc(
      h.fail(qscTx.MsgFreezeSchema, {
        issuer: alice.bech32,
        denom: "qsc/star",
        holder: bob.bech32,
        amount: "01",
      }),
      QSC_ERROR.invalidAmount,
    );
    expectQsc(
      h.fail(qscTx.MsgUnfreezeSchema, {
        issuer: alice.bech32,
        denom: "qsc/nope",
        holder: bob.bech32,
        amount: "1",
      }),
      QSC_ERROR.tokenNotFound,
    );
  });
});

describe("MsgPause / MsgUnpause", () => {
  it("only the issuer pauses (qsc 4); twice is qsc 17; unpausing a running token is qsc 18", () => {
    const h = createHarness();
    withStar(h);
    expectQsc(
      h.fail(qscTx.MsgPauseSchema, { issuer: bob.bech32, denom: "qsc/star" }),
      QSC_ERROR.notIssuer,
    );
    expectQsc(
      h.fail(qscTx.MsgUnpauseSchema, { issuer: alice.bech32, denom: "qsc/star" }),
      QSC_ERROR.notPaused,
      /token qsc\/star is not paused/,
    );
    h.run(qscTx.MsgPauseSchema, { issuer: alice.bech32, denom: "qsc/star" });
    expectQsc(
      h.fail(qscTx.MsgPauseSchema, { issuer: alice.bech32, denom: "qsc/star" }),
      QSC_ERROR.alreadyPaused,
      /already paused/,
    );
    expectQsc(
      h.fail(qscTx.MsgUnpauseSchema, { issuer: bob.bech32, denom: "qsc/star" }),
      QSC_ERROR.notIssuer,
    );
    expectQsc(
      h.fail(qscTx.MsgPauseSchema, { issuer: alice.bech32, denom: "qsc/none" }),
      QSC_ERROR.tokenNotFound,
    );
  });
});

describe("signers", () => {
  it("each message is signed by its creator, issuer or owner", () => {
    const h = createHarness();
    const signer = (typeName: string, msg: object) =>
      h.module.msgs.find((m) => m.typeUrl === `/qos.qsc.v1.${typeName}`)?.signers(msg as never);
    expect(signer("MsgCreateToken", { creator: alice.bech32 })).toEqual([alice.address]);
    expect(signer("MsgIssue", { issuer: bob.bech32 })).toEqual([bob.address]);
    expect(signer("MsgBurn", { owner: carol.bech32 })).toEqual([carol.address]);
    expect(signer("MsgFreeze", { issuer: bob.bech32 })).toEqual([bob.address]);
    expect(signer("MsgUnfreeze", { issuer: bob.bech32 })).toEqual([bob.address]);
    expect(signer("MsgPause", { issuer: bob.bech32 })).toEqual([bob.address]);
    expect(signer("MsgUnpause", { issuer: bob.bech32 })).toEqual([bob.address]);
  });
});
