// The client CLI as real processes against a single QOS-app node: keys, bank send with --fees and
// with --gas auto, balances and accounts (proven), QSC create/issue/freeze/pause/unpause with
// their queries, many-to-many transfer signed by two keys, allowances, generate-only → sign →
// broadcast, query tx, and refusals (insufficient funds, unknown account, no confirmation).

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, qos, type SingleNodeChain, startSingleNodeChain } from "./harness.ts";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

let chain: SingleNodeChain;
const addr: Record<string, string> = {};

function run(args: readonly string[], input = ""): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Client flags: this chain's node and home, the test keyring. */
function client(args: readonly string[], keyring = true): string[] {
  return [
    ...args,
    "--node",
    chain.rpc,
    "--home",
    chain.home,
    ...(keyring ? ["--keyring-backend", "test"] : []),
  ];
}

/** Commands that take no keyring flags. */
const NO_KEYRING = /^(tx broadcast|query tx)/;

function ok(args: readonly string[], input = ""): string {
  const r = run(client(args, !NO_KEYRING.test(args.join(" "))), input);
  if (r.status !== 0)
    throw new Error(`qos ${args.join(" ")} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

function json<T = Record<string, unknown>>(args: readonly string[]): T {
  return JSON.parse(ok([...args, "-o", "json"])) as T;
}

interface TxResponseJson {
  txhash: string;
  height: string;
  code: number;
  codespace: string;
  raw_log: string;
  gas_wanted: string;
  events: { type: string }[];
}

/** Signs and broadcasts, waits for the block; expects code 0. */
function tx(args: readonly string[]): TxResponseJson {
  const r = json<TxResponseJson>(["tx", ...args, "--yes", "--wait"]);
  expect([r.code, r.raw_log]).toEqual([0, ""]);
  expect(BigInt(r.height)).toBeGreaterThan(0n);
  return r;
}

function balance(who: string, denom = "uqos"): bigint {
  const r = json<{ balance: { amount: string } }>([
    "query",
    "bank",
    "balances",
    who,
    "--denom",
    denom,
  ]);
  return BigInt(r.balance.amount);
}

beforeAll(async () => {
  chain = await startSingleNodeChain({
    prefix: "qos-client-cli-",
    chainId: "client-cli-chain",
    extraArgs: ["--app.name", "qos"],
    prepareHome: (home) => {
      for (const name of ["alice", "bob", "carol", "dave"]) {
        const out = qos(["keys", "add", name, "--keyring-backend", "test", "--home", home]);
        addr[name] = /address: (\S+)/.exec(out)?.[1] ?? "";
      }
      qos(["genesis", "add-account", addr.alice as string, "1000000000000uqos", "--home", home]);
      qos(["genesis", "add-account", addr.bob as string, "1000000000uqos", "--home", home]);
    },
  });
}, 60_000);

afterAll(async () => {
  await chain?.close();
});

// Each CLI process takes about 1.5 s to start here; a test runs 10–20 of them.
describe("qos tx and qos query against a QOS node", { timeout: 180_000 }, () => {
  it("sends with --fees, then with --gas auto and --gas-prices; balances and accounts are proven", () => {
    const before = balance("carol");
    const sent = tx(["bank", "send", "alice", "carol", "1000uqos", "--fees", "2000uqos"]);
    expect(sent.gas_wanted).toBe("200000");
    expect(balance("carol")).toBe(before + 1000n);

    const r = run(
      client([
        "tx",
        "bank",
        "send",
        "alice",
        addr.carol as string,
        "500uqos",
        "--gas",
        "auto",
        "--gas-prices",
        "0.01uqos",
        "--yes",
        "--wait",
        "-o",
        "json",
      ]),
    );
    expect(r.status, r.stderr).toBe(0);
    const est = /estimated gas: (\d+) \(simulated (\d+)\)/.exec(r.stderr);
    expect(est).not.toBeNull();
    const gas = BigInt(est?.[1] ?? 0);
    expect(gas).toBe((BigInt(est?.[2] ?? 0) * 3n + 1n) / 2n);
    const auto = JSON.parse(r.stdout) as TxResponseJson;
    expect(auto.code).toBe(0);
    expect(auto.gas_wanted).toBe(String(gas));
    expect(balance("carol")).toBe(before + 1500n);

    const proven = json<{ balance: { amount: string }; proof: { verified: boolean } }>([
      "query",
      "bank",
      "balances",
      "carol",
      "--denom",
      "uqos",
      "--prove",
    ]);
    expect(proven.balance.amount).toBe(String(before + 1500n));
    expect(proven.proof.verified).toBe(true);
    const absent = json<{ balance: { amount: string }; proof: { verified: boolean } }>([
      "query",
      "bank",
      "balances",
      "carol",
      "--denom",
      "qsc/none",
      "--prove",
    ]);
    expect([absent.balance.amount, absent.proof.verified]).toEqual(["0", true]);

    const acc = json<{ account: Record<string, string>; proof: { verified: boolean } }>([
      "query",
      "auth",
      "account",
      "alice",
      "--prove",
    ]);
    expect(acc.account["@type"]).toBe("/cosmos.auth.v1beta1.BaseAccount");
    expect(acc.account.address).toBe(addr.alice);
    expect(acc.account.sequence).toBe("2");
    expect(acc.proof.verified).toBe(true);
    // Every balance, proven (the handler's range read re-run over the proof); then one page.
    const all = json<{
      balances: { denom: string }[];
      pagination: { total: string };
      proof: { verified: boolean };
    }>(["query", "bank", "balances", "alice", "--prove"]);
    expect([all.balances.length > 0, all.proof.verified]).toEqual([true, true]);
    expect(all.pagination.total).toBe(String(all.balances.length));
    const page = json<{
      balances: { denom: string }[];
      pagination: { next_key: string | null; total: string };
    }>(["query", "bank", "balances", "alice", "--limit", "1", "--count-total"]);
    expect(page.balances).toEqual([all.balances[0]]);
    expect(page.pagination.total).toBe(String(all.balances.length));
    // An account that does not exist: the failure itself is proven.
    const nobody = run(
      client([
        "query",
        "auth",
        "account",
        "qosacc1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc57unk5z",
        "--prove",
      ]),
    );
    expect(nobody.status).toBe(1);
    expect(nobody.stderr).toMatch(/does not exist on chain \(proven\)/);
    const badPage = run(client(["query", "qsc", "tokens", "--page", "2", "--offset", "1"]));
    expect([badPage.status, badPage.stderr]).toEqual([
      1,
      expect.stringMatching(/--page cannot be combined with --offset/),
    ]);
    const text = ok(["query", "bank", "balances", "alice"]);
    expect(text).toMatch(/balances:\n {2}- denom: uqos\n {4}amount: "\d+"/);
  });

  it("creates a QSC token, issues, freezes, pauses and unpauses it, with queries", () => {
    tx([
      "qsc",
      "create",
      "--symbol",
      "STAR",
      "--name",
      "Star",
      "--decimals",
      "6",
      "--max-supply",
      "1000000",
      "--holder",
      "bob:1000",
      "--from",
      "alice",
      "--fees",
      "2000uqos",
    ]);
    const token = json<{
      token: { token: Record<string, unknown>; paused: boolean; supply: string };
      proof: { verified: boolean };
    }>(["query", "qsc", "token", "STAR", "--prove"]);
    expect(token.token.token).toMatchObject({
      denom: "qsc/star",
      symbol: "STAR",
      decimals: 6,
      issuer: addr.alice,
    });
    expect([token.token.paused, token.token.supply, token.proof.verified]).toEqual([
      false,
      "1000",
      true,
    ]);
    const proven = json<{
      tokens: { token: { symbol: string }; supply: string }[];
      proof: { verified: boolean };
    }>(["query", "qsc", "tokens", "--prove"]);
    expect(proven.tokens.map((t) => [t.token.symbol, t.supply])).toContainEqual(["STAR", "1000"]);
    expect(proven.proof.verified).toBe(true);

    tx(["qsc", "issue", "STAR", "500", "--to", "carol", "--from", "alice"]);
    expect(balance("carol", "qsc/star")).toBe(500n);
    tx(["qsc", "freeze", "qsc/star", "bob", "400", "--from", "alice"]);
    const frozen = json<{ amount: string; proof: { verified: boolean } }>([
      "query",
      "qsc",
      "frozen",
      "STAR",
      "bob",
      "--prove",
    ]);
    expect([frozen.amount, frozen.proof.verified]).toEqual(["400", true]);

    // Bob holds 1000 with 400 frozen: moving 700 is refused (qsc 7).
    const frozenMove = run(
      client(["tx", "bank", "send", "bob", "carol", "700qsc/star", "--yes", "--wait"]),
    );
    expect(frozenMove.status).toBe(1);
    expect(frozenMove.stderr).toMatch(/codespace qsc, code 7/);

    tx(["qsc", "pause", "STAR", "--from", "alice"]);
    expect(
      json<{ token: { paused: boolean } }>(["query", "qsc", "token", "STAR"]).token.paused,
    ).toBe(true);
    const paused = run(
      client(["tx", "bank", "send", "bob", "carol", "1qsc/star", "--yes", "--wait", "-o", "json"]),
    );
    expect(paused.status).toBe(1);
    expect(JSON.parse(paused.stdout)).toMatchObject({ codespace: "qsc", code: 6 });
    tx(["qsc", "unpause", "STAR", "--from", "alice"]);
    tx(["bank", "send", "bob", "carol", "600qsc/star"]);
    expect(balance("carol", "qsc/star")).toBe(1100n);
    tx(["qsc", "unfreeze", "STAR", "bob", "400", "--from", "alice"]);
    tx(["qsc", "burn", "STAR", "100", "--from", "carol"]);

    const tokens = json<{ tokens: { token: { denom: string }; supply: string }[] }>([
      "query",
      "qsc",
      "tokens",
    ]);
    expect(tokens.tokens.map((t) => [t.token.denom, t.supply])).toEqual([["qsc/star", "1400"]]);
  });

  it("transfers many-to-many signed by two keys, and moves coins within an allowance", () => {
    const carol = balance("carol");
    const r = tx([
      "bank",
      "transfer",
      "--sender",
      "alice:100uqos",
      "--sender",
      `${addr.bob}:50uqos`,
      "--receiver",
      "carol:150uqos",
      "--fees",
      "2000uqos",
    ]);
    expect(r.events.filter((e) => e.type === "tx").length).toBeGreaterThanOrEqual(3);
    expect(balance("carol")).toBe(carol + 150n);

    tx(["bank", "approve", "bob", "100uqos", "--from", "alice"]);
    tx(["bank", "transfer-from", "alice", "dave", "60uqos", "--from", "bob"]);
    expect(balance("dave")).toBe(60n);
    const allowance = json<{ allowance: { amount: string }; proof: { verified: boolean } }>([
      "query",
      "bank",
      "allowance",
      "alice",
      "bob",
      "uqos",
      "--prove",
    ]);
    expect([allowance.allowance.amount, allowance.proof.verified]).toEqual(["40", true]);
    tx(["bank", "revoke", "bob", "--from", "alice"]);
    const all = json<{ allowances: unknown[] }>(["query", "bank", "allowance", "alice", "bob"]);
    expect(all.allowances).toEqual([]);
  });

  it("generate-only → sign → broadcast, then query tx by hash", () => {
    const dir = chain.home;
    const unsigned = ok([
      "tx",
      "bank",
      "send",
      "bob",
      "alice",
      "5uqos",
      "--generate-only",
      "--fees",
      "2000uqos",
      "--memo",
      "offline",
    ]);
    const body = JSON.parse(unsigned) as { body: { messages: Record<string, string>[] } };
    expect(body.body.messages[0]?.["@type"]).toBe("/cosmos.bank.v1beta1.MsgSend");
    writeFileSync(join(dir, "unsigned.json"), unsigned);
    const refused = run(client(["tx", "broadcast", join(dir, "unsigned.json")], false));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/not signed by qosacc1/);

    const signed = ok(["tx", "sign", join(dir, "unsigned.json"), "--from", "bob"]);
    writeFileSync(join(dir, "signed.json"), signed);
    const res = json<TxResponseJson>(["tx", "broadcast", join(dir, "signed.json"), "--wait"]);
    expect(res.code).toBe(0);

    const found = json<TxResponseJson & { tx: { body: { memo: string } } }>([
      "query",
      "tx",
      res.txhash,
    ]);
    expect([found.txhash, found.height, found.code]).toEqual([res.txhash, res.height, 0]);
    expect(found.tx.body.memo).toBe("offline");
    expect(found.events.map((e) => e.type)).toContain("transfer");
    expect(ok(["query", "tx", res.txhash])).toMatch(
      /^height: "\d+"\ntxhash: [0-9A-F]{64}\ncodespace: ""\ncode: 0\n/,
    );
  });

  it("refuses clearly: insufficient funds (CheckTx code, exit 1), unknown account, no confirmation, bad flags, no node", () => {
    const poor = run(
      client(["tx", "bank", "send", "bob", "alice", "999999999999uqos", "--yes", "-o", "json"]),
    );
    expect(poor.status).toBe(1);
    expect(JSON.parse(poor.stdout)).toMatchObject({ code: 5, codespace: "sdk", height: "0" });
    expect(poor.stderr).toMatch(/codespace sdk, code 5: .*insufficient funds/);

    const eve = qos(["keys", "add", "eve", "--keyring-backend", "test", "--home", chain.home]);
    expect(eve).toMatch(/address:/);
    const nobody = run(client(["tx", "bank", "send", "eve", "alice", "1uqos", "--yes"]));
    expect(nobody.status).toBe(1);
    expect(nobody.stderr).toMatch(
      /account qosacc1\w+ does not exist on chain: send it tokens first/,
    );

    const noAnswer = run(client(["tx", "bank", "send", "bob", "alice", "1uqos"]));
    expect(noAnswer.status).toBe(1);
    expect(noAnswer.stderr).toMatch(
      /canceled transaction: no answer on stdin \(answer y, or pass --yes/,
    );
    const no = run(client(["tx", "bank", "send", "bob", "alice", "1uqos"]), "n\n");
    expect(no.status).toBe(1);
    expect(no.stderr).toMatch(/canceled transaction\n/);
    const yes = run(client(["tx", "bank", "send", "bob", "alice", "1uqos", "--wait"]), "y\n");
    expect(yes.status, yes.stderr).toBe(0);

    const badCoins = run(client(["tx", "bank", "send", "bob", "alice", "1.5uqos", "--yes"]));
    expect(badCoins.status).toBe(1);
    expect(badCoins.stderr).toMatch(/invalid coin "1.5uqos"/);
    const badName = run(client(["tx", "bank", "send", "bob", "zed", "1uqos", "--yes"]));
    expect(badName.status).toBe(1);
    expect(badName.stderr).toMatch(/receiver "zed" is neither an address nor a key/);
    const both = run(
      client([
        "tx",
        "bank",
        "send",
        "bob",
        "alice",
        "1uqos",
        "--fees",
        "1uqos",
        "--gas-prices",
        "1uqos",
      ]),
    );
    expect(both.stderr).toMatch(/--fees or --gas-prices, not both/);

    const down = run(["query", "bank", "balances", addr.alice as string, "--node", "127.0.0.1:1"]);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the node at http:\/\/127.0.0.1:1/);
  });
});
