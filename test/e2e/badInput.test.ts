// Acceptance "Bad input": malformed requests, wrong parameters, oversized and garbage txs and
// bad event queries each get a JSON-RPC error or a CheckTx code a person can act on, and
// afterwards the node still commits blocks with the app state changed only by the valid txs.

import { sha256 } from "@qos/crypto";
import { compareBytes, concatBytes, fromBase64, toHex, utf8Encode } from "@qos/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type JsonRpcReply,
  latestHeight,
  openWsSession,
  postRaw,
  rpcCall,
  rpcReply,
  type SingleNodeChain,
  startSingleNodeChain,
  txBase64,
  uriGet,
  type WsSession,
  waitForHeight,
  waitForTx,
} from "./harness.ts";

const CHAIN_ID = "e2e-bad-1";
const MAX_TX_BYTES = 1024;

let chain: SingleNodeChain;
let ws: WsSession | undefined;
/** The kvstore keys the valid txs set (key → value). */
const applied = new Map<string, string>();

beforeAll(async () => {
  chain = await startSingleNodeChain({
    prefix: "qos-e2e-bad-",
    chainId: CHAIN_ID,
    extraArgs: ["--mempool.max_tx_bytes", String(MAX_TX_BYTES)],
  });
});

afterAll(async () => {
  await ws?.close();
  await chain?.close();
});

/** Sends a valid `key=value` tx through broadcast_tx_commit and records it as applied. */
async function commitValid(key: string, value: string): Promise<bigint> {
  const r = await rpcCall<{
    check_tx: { code: number };
    tx_result: { code?: number };
    height: string;
    hash: string;
  }>(chain.rpc, "broadcast_tx_commit", { tx: txBase64(`${key}=${value}`) });
  expect(r.check_tx.code).toBe(0);
  expect(r.tx_result.code ?? 0).toBe(0);
  applied.set(key, value);
  // The indexer catches up after the Tx event that answers broadcast_tx_commit (as CometBFT's
  // indexer service does), so wait until tx_search can see it.
  const indexed = await waitForTx(chain.rpc, r.hash);
  expect(indexed.height).toBe(BigInt(r.height));
  return BigInt(r.height);
}

/** The error of a reply that must be an error: a JSON-RPC code and a non-empty explanation. */
function errorOf(reply: JsonRpcReply, code: number): string {
  if (reply.error === undefined) {
    throw new Error(`expected error ${code}, got the result ${JSON.stringify(reply.result)}`);
  }
  expect(reply.error.code).toBe(code);
  expect(reply.error.message.length).toBeGreaterThan(0);
  const data = reply.error.data ?? "";
  expect(data.length).toBeGreaterThan(0);
  return data;
}

function uvarint(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return new Uint8Array(out);
}

/**
 * The kvstore app hash of a state, computed independently from its README: SHA-256 over the
 * entries (0x01‖key → value, 0x02‖pubkey → type‖int64 BE power) in key order.
 */
function expectedAppHash(
  kv: ReadonlyMap<string, string>,
  validators: readonly { pubKey: Uint8Array; power: bigint }[],
): string {
  const entries: [Uint8Array, Uint8Array][] = [];
  for (const [k, v] of kv) {
    entries.push([concatBytes(new Uint8Array([0x01]), utf8Encode(k)), utf8Encode(v)]);
  }
  for (const val of validators) {
    const value = new Uint8Array(9);
    value[0] = 1;
    new DataView(value.buffer).setBigInt64(1, val.power);
    entries.push([concatBytes(new Uint8Array([0x02]), val.pubKey), value]);
  }
  entries.sort((a, b) => compareBytes(a[0], b[0]));
  const parts = entries.flatMap(([k, v]) => [uvarint(k.length), k, uvarint(v.length), v]);
  return toHex(sha256(concatBytes(...parts)));
}

async function genesisValidators(): Promise<{ pubKey: Uint8Array; power: bigint }[]> {
  const g = await rpcCall<{
    genesis: { validators: { pub_key: { value: string }; power: string }[] };
  }>(chain.rpc, "genesis");
  return g.genesis.validators.map((v) => ({
    pubKey: fromBase64(v.pub_key.value) ?? new Uint8Array(),
    power: BigInt(v.power),
  }));
}

describe("bad input gets a clear error and changes nothing", () => {
  it("a valid tx before the bad input is applied (the baseline)", async () => {
    await commitValid("before", "bad-input");
    const q = await rpcCall<{ response: { value?: string; log?: string } }>(
      chain.rpc,
      "abci_query",
      {
        path: "/store",
        data: toHex(utf8Encode("before")),
      },
    );
    expect(q.response.log).toBe("exists");
    expect(Buffer.from(q.response.value ?? "", "base64").toString("utf8")).toBe("bad-input");
  });

  it("malformed JSON and malformed requests get parse / invalid-request errors", async () => {
    const truncated = await postRaw(chain.rpc, '{"jsonrpc":"2.0","id":1,"method":"status"');
    expect(truncated.status).toBe(500);
    expect(errorOf(truncated, -32700)).toMatch(/error unmarshaling request/);
    expect(truncated.error?.message).toBe("Parse error. Invalid JSON");

    const notJson = await postRaw(chain.rpc, "status please");
    expect(errorOf(notJson, -32700)).toMatch(/error unmarshaling request/);

    const scalar = await postRaw(chain.rpc, "42");
    expect(errorOf(scalar, -32600)).toMatch(/JSON-RPC request object or a batch array/);

    const emptyBatch = await postRaw(chain.rpc, "[]");
    expect(errorOf(emptyBatch, -32600)).toMatch(/empty batch/);

    const badVersion = await postRaw(chain.rpc, '{"jsonrpc":"1.0","id":7,"method":"status"}');
    expect(badVersion.id).toBe(7);
    expect(errorOf(badVersion, -32600)).toMatch(/jsonrpc must be "2.0"/);

    const badId = await postRaw(chain.rpc, '{"jsonrpc":"2.0","id":{"a":1},"method":"status"}');
    expect(errorOf(badId, -32600)).toMatch(/id must be a string or an integer/);

    const noMethod = await postRaw(chain.rpc, '{"jsonrpc":"2.0","id":1}');
    expect(errorOf(noMethod, -32600)).toMatch(/method must be a non-empty string/);

    const stringParams = await rpcReply(chain.rpc, "block", "5");
    expect(errorOf(stringParams, -32602)).toMatch(/params must be an object or an array/);

    // A batch answers each member on its own: one good, one bad.
    const batch = await fetch(chain.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "health", params: {} },
        { jsonrpc: "2.0", id: 2, method: "block", params: { height: "x" } },
      ]),
    });
    const parts = (await batch.json()) as JsonRpcReply[];
    expect(parts.map((p) => p.id)).toEqual([1, 2]);
    expect(parts[0]?.result).toEqual({});
    expect(parts[1]?.error?.code).toBe(-32602);

    // A body over rpc.max_body_bytes (1 MB by default) is refused before it is parsed.
    const huge = await postRaw(
      chain.rpc,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "status",
        params: { pad: "x".repeat(1_100_000) },
      }),
    );
    expect(huge.status).toBe(400);
    expect(errorOf(huge, -32600)).toMatch(/request body too large/);
  });

  it("an unknown method gets 'Method not found' naming it", async () => {
    const r = await rpcReply(chain.rpc, "no_such_method");
    expect(r.error?.message).toBe("Method not found");
    expect(errorOf(r, -32601)).toMatch(/no_such_method/);
    // subscribe exists only on the websocket.
    const sub = await rpcReply(chain.rpc, "subscribe", { query: "tm.event='NewBlock'" });
    expect(errorOf(sub, -32601)).toMatch(/subscribe/);
  });

  it("wrong parameter types name the parameter and the expected form", async () => {
    for (const height of ["abc", {}, [], true, 1.5, "1e3", "0x10", ""]) {
      const r = await rpcReply(chain.rpc, "block", { height });
      if (height === "") {
        // CometBFT's JSON decoder also refuses an empty int64 string.
        expect(errorOf(r, -32602)).toMatch(/invalid param "height"/);
        continue;
      }
      const data = errorOf(r, -32602);
      expect(data).toMatch(/invalid param "height"/);
      expect(data).toMatch(/expected an int64/);
    }
    expect(errorOf(await rpcReply(chain.rpc, "tx", { hash: "not base64!" }), -32602)).toMatch(
      /invalid param "hash": invalid base64/,
    );
    expect(errorOf(await rpcReply(chain.rpc, "tx", { hash: 5 }), -32602)).toMatch(
      /invalid param "hash"/,
    );
    expect(
      errorOf(await rpcReply(chain.rpc, "abci_query", { path: "/store", data: "zz" }), -32602),
    ).toMatch(/invalid param "data": invalid hex/);
    expect(
      errorOf(
        await rpcReply(chain.rpc, "tx_search", { query: "tx.height=1", prove: "yes" }),
        -32602,
      ),
    ).toMatch(/invalid param "prove": expected true or false/);
    expect(errorOf(await rpcReply(chain.rpc, "tx_search", { query: 7 }), -32602)).toMatch(
      /invalid param "query": expected a string/,
    );
    expect(errorOf(await rpcReply(chain.rpc, "broadcast_tx_sync", {}), -32602)).toMatch(
      /missing required param "tx"/,
    );
    expect(errorOf(await rpcReply(chain.rpc, "validators", { page: "one" }), -32602)).toMatch(
      /invalid param "page"/,
    );
    expect(
      errorOf(
        await rpcReply(chain.rpc, "tx_search", { query: "tx.height=1", order_by: "sideways" }),
        -32602,
      ),
    ).toMatch(/order_by to be either "asc" or "desc"/);
  });

  it("a zero or negative height is refused by every height-taking method", async () => {
    for (const method of ["block", "commit", "validators", "block_results", "consensus_params"]) {
      for (const height of ["-1", "0", -7]) {
        const data = errorOf(await rpcReply(chain.rpc, method, { height }), -32602);
        expect(data).toMatch(/height must be greater than 0, but got -?\d+/);
      }
    }
    const bc = await rpcReply(chain.rpc, "blockchain", { minHeight: "-5", maxHeight: "2" });
    expect(errorOf(bc, -32602)).toMatch(/heights must be non-negative/);
    const inverted = await rpcReply(chain.rpc, "blockchain", { minHeight: "3", maxHeight: "2" });
    expect(errorOf(inverted, -32602)).toMatch(/min height 3 can't be greater than max height 2/);
    const q = await rpcReply(chain.rpc, "abci_query", { path: "/store", data: "00", height: "-1" });
    expect(errorOf(q, -32602)).toMatch(/height must be non-negative/);
  });

  it("a height above the chain's, or above int64, is refused with the current height", async () => {
    for (const height of ["9999999999999", "9223372036854775807"]) {
      for (const method of ["block", "commit", "block_results"]) {
        const data = errorOf(await rpcReply(chain.rpc, method, { height }), -32602);
        expect(data).toMatch(
          new RegExp(
            `height ${height} must be less than or equal to the current blockchain height \\d+`,
          ),
        );
      }
      // validators may also name the next height, but not beyond it.
      const v = errorOf(await rpcReply(chain.rpc, "validators", { height }), -32602);
      expect(v).toMatch(/must be less than or equal to the current blockchain height \d+/);
    }
    for (const height of [
      "9223372036854775808",
      "-9223372036854775809",
      "99999999999999999999999",
    ]) {
      const data = errorOf(await rpcReply(chain.rpc, "block", { height }), -32602);
      expect(data).toMatch(/is out of the int64 range/);
    }
    // A bare JSON number beyond 2^53 cannot be read exactly: the error says to send a string.
    const unsafe = errorOf(await rpcReply(chain.rpc, "block", { height: 2 ** 60 }), -32602);
    expect(unsafe).toMatch(/decimal string/);
  });

  it("page=0 and pages past the end name the valid range; per_page is clamped", async () => {
    expect(errorOf(await rpcReply(chain.rpc, "validators", { page: "0" }), -32602)).toBe(
      "page should be within [1, 1] range, given 0",
    );
    expect(errorOf(await rpcReply(chain.rpc, "validators", { page: "-3" }), -32602)).toBe(
      "page should be within [1, 1] range, given -3",
    );
    expect(errorOf(await rpcReply(chain.rpc, "validators", { page: "2" }), -32602)).toBe(
      "page should be within [1, 1] range, given 2",
    );
    expect(
      errorOf(
        await rpcReply(chain.rpc, "tx_search", { query: "app.key='before'", page: "0" }),
        -32602,
      ),
    ).toBe("page should be within [1, 1] range, given 0");
    // per_page=0 or above 100 is not an error in CometBFT: it becomes 30 / 100.
    const v = await rpcReply<{ count: string }>(chain.rpc, "validators", { per_page: "0" });
    expect(v.result?.count).toBe("1");
    const t = await rpcReply<{ total_count: string }>(chain.rpc, "tx_search", {
      query: "app.key='before'",
      per_page: "1000",
    });
    expect(t.result?.total_count).toBe("1");
  });

  it("an oversized tx is refused by every broadcast method with the limit in the message", async () => {
    const big = txBase64(`big=${"a".repeat(MAX_TX_BYTES)}`);
    const expected = `tx too large. Max size is ${MAX_TX_BYTES}, but got ${MAX_TX_BYTES + 4}`;
    for (const method of ["broadcast_tx_sync", "broadcast_tx_async", "broadcast_tx_commit"]) {
      const r = await rpcReply(chain.rpc, method, { tx: big });
      expect(errorOf(r, -32602)).toBe(expected);
    }
    // Exactly at the limit is accepted by the size check (and applied).
    const fits = `fits=${"b".repeat(MAX_TX_BYTES - 5)}`;
    expect(utf8Encode(fits).length).toBe(MAX_TX_BYTES);
    const ok = await rpcReply<{ code: number; hash: string }>(chain.rpc, "broadcast_tx_sync", {
      tx: txBase64(fits),
    });
    expect(ok.result?.code).toBe(0);
    const committed = await waitForTx(chain.rpc, ok.result?.hash ?? "");
    expect(committed.code).toBe(0);
    applied.set("fits", "b".repeat(MAX_TX_BYTES - 5));
  });

  it("garbage txs get a CheckTx code and a log, and never reach a block", async () => {
    const cases: { tx: Uint8Array; log: RegExp }[] = [
      { tx: new Uint8Array([0xff, 0xfe, 0x3d, 0x80]), log: /not valid UTF-8/ },
      { tx: utf8Encode("a=b=c"), log: /more than one '='/ },
      { tx: utf8Encode("=value"), log: /.+/ },
      { tx: utf8Encode("key="), log: /.+/ },
      { tx: utf8Encode("val:not-base64!10"), log: /invalid base64|pubkey/ },
      { tx: utf8Encode(`val:${Buffer.alloc(31).toString("base64")}!10`), log: /.+/ },
      { tx: utf8Encode(`val:${Buffer.alloc(32, 7).toString("base64")}!-1`), log: /less than 0/ },
      { tx: utf8Encode(`val:${Buffer.alloc(32, 7).toString("base64")}!ten`), log: /.+/ },
    ];
    for (const c of cases) {
      const b64 = Buffer.from(c.tx).toString("base64");
      const sync = await rpcReply<{ code: number; log: string; hash: string }>(
        chain.rpc,
        "broadcast_tx_sync",
        { tx: b64 },
      );
      expect(sync.error).toBeUndefined();
      expect(sync.result?.code).toBe(1);
      expect(sync.result?.log).toMatch(c.log);
      expect(sync.result?.hash).toBe(toHex(sha256(c.tx)));
      // check_tx runs CheckTx without the mempool: the same verdict.
      const check = await rpcReply<{ code: number; log: string }>(chain.rpc, "check_tx", {
        tx: b64,
      });
      expect(check.result?.code).toBe(1);
      expect(check.result?.log).toBe(sync.result?.log);
    }
    // A removal of a validator that does not exist is well-formed but refused (code 3).
    const ghost = `val:${Buffer.alloc(32, 9).toString("base64")}!0`;
    const refused = await rpcReply<{ code: number; log: string }>(chain.rpc, "broadcast_tx_sync", {
      tx: txBase64(ghost),
    });
    expect(refused.result?.code).toBe(3);
    expect(refused.result?.log).toMatch(/cannot remove non-existent validator/);

    // broadcast_tx_commit of a bad tx returns its CheckTx verdict without waiting for a block.
    const commit = await rpcReply<{ check_tx: { code: number; log: string }; height: string }>(
      chain.rpc,
      "broadcast_tx_commit",
      { tx: txBase64("x=y=z") },
    );
    expect(commit.result?.check_tx.code).toBe(1);
    expect(commit.result?.height).toBe("0");

    // None of them waits in the mempool.
    const pending = await rpcCall<{ total: string }>(chain.rpc, "num_unconfirmed_txs");
    expect(pending.total).toBe("0");
  });

  it("an invalid event query in tx_search or block_search says where it fails", async () => {
    for (const query of [
      "app.key==",
      "app.key='x",
      "AND",
      "app.key > 'a' OR",
      "tx.height>=abc",
      "",
    ]) {
      const r = await rpcReply(chain.rpc, "tx_search", { query });
      expect(r.error?.code).toBe(-32602);
      expect((r.error?.data ?? "").length).toBeGreaterThan(0);
    }
    expect(errorOf(await rpcReply(chain.rpc, "tx_search", { query: "app.key==" }), -32602)).toMatch(
      /offset \d+/,
    );
    expect(
      errorOf(await rpcReply(chain.rpc, "block_search", { query: "block.height>" }), -32602),
    ).toMatch(/offset \d+|unexpected|wanted/);
  });

  it("the websocket answers bad input with errors and keeps the connection usable", async () => {
    ws = await openWsSession(chain.ws);
    const bad = await ws.call(1, "subscribe", { query: "tm.event=='NewBlock'" });
    expect(bad.error?.code).toBe(-32603);
    expect(bad.error?.data).toMatch(/failed to parse query/);

    const missing = await ws.call(2, "subscribe", {});
    expect(missing.error?.code).toBe(-32602);
    expect(missing.error?.data).toMatch(/missing required param "query"/);

    const unknown = await ws.call(3, "no_such_method");
    expect(unknown.error?.code).toBe(-32601);

    const wrongType = await ws.call(4, "block", { height: "abc" });
    expect(wrongType.error?.code).toBe(-32602);

    ws.send("{not json");
    const parse = await ws.next("the parse error", (m) => m.error?.code === -32700);
    expect(parse.id).toBeNull();
    expect(parse.error?.data).toMatch(/error unmarshaling request/);

    const unsub = await ws.call(5, "unsubscribe", { query: "tm.event='NewBlock'" });
    expect(unsub.error).toBeDefined();

    // Still usable: a good call and a good subscription work on the same socket.
    const status = await ws.call<{ node_info: { network: string } }>(6, "status");
    expect(status.result?.node_info.network).toBe(CHAIN_ID);
    const sub = await ws.call(7, "subscribe", { query: "tm.event='NewBlock'" });
    expect(sub.result).toEqual({});
    const event = await ws.next<JsonRpcReply<{ query: string; data: { type: string } }>>(
      "a NewBlock event",
      (m) => m.id === 7,
    );
    expect(event.result?.query).toBe("tm.event='NewBlock'");
    expect(event.result?.data.type).toBe("tendermint/event/NewBlock");
  });

  it("URI GET requests with bad params get HTTP 500 and a JSON-RPC error", async () => {
    const cases: [string, RegExp][] = [
      ["block?height=abc", /invalid param "height": cannot decode "abc" as int64/],
      ["block?height=-1", /height must be greater than 0/],
      ["block?height=99999999999999999999", /out of the int64 range/],
      ["tx_search?query=app.key", /strings go in double quotes/],
      ['tx_search?query="app.key=="', /offset \d+/],
      ["abci_query?data=zz", /bytes go as 0x<hex> or "text"/],
      ["tx?hash=0xZZ", /invalid hex/],
      ["validators?page=0", /page should be within \[1, 1\] range, given 0/],
      ["broadcast_tx_sync?tx=0xff", /./],
    ];
    for (const [path, why] of cases) {
      const r = await uriGet(chain.rpc, path);
      if (path === "broadcast_tx_sync?tx=0xff") {
        // Not an RPC error: the invalid-UTF-8 tx gets CheckTx code 1.
        expect(r.status).toBe(200);
        expect((r.result as { code: number }).code).toBe(1);
        continue;
      }
      expect(r.status, path).toBe(500);
      expect(r.id).toBe(-1);
      expect(r.error?.data ?? "", path).toMatch(why);
    }
    const unknown = await uriGet(chain.rpc, "no_such_method");
    expect(unknown.status).toBe(404);
    expect(unknown.error?.code).toBe(-32601);
  });

  it("afterwards the node still commits blocks and the app state holds only the valid txs", async () => {
    const h = await latestHeight(chain.rpc);
    await waitForHeight(chain.rpc, h + 2n);
    // One more valid tx still goes through.
    await commitValid("after", "still-works");

    // Every key a valid tx set is there; every tx that landed is one of the valid ones.
    for (const [key, value] of applied) {
      const q = await rpcCall<{ response: { value?: string } }>(chain.rpc, "abci_query", {
        path: "/store",
        data: toHex(utf8Encode(key)),
      });
      expect(Buffer.from(q.response.value ?? "", "base64").toString("utf8")).toBe(value);
    }
    const all = await rpcCall<{ total_count: string; txs: { tx: string }[] }>(
      chain.rpc,
      "tx_search",
      { query: "tx.height>0", per_page: "100" },
    );
    expect(Number(all.total_count)).toBe(applied.size);
    const landed = all.txs.map((t) => Buffer.from(t.tx, "base64").toString("utf8").split("=")[0]);
    expect(new Set(landed)).toEqual(new Set(applied.keys()));

    // The validator set is unchanged.
    const vals = await rpcCall<{ response: { value?: string } }>(chain.rpc, "abci_query", {
      path: "/val",
      data: "",
    });
    const genesisVals = await genesisValidators();
    const appVals = JSON.parse(
      Buffer.from(vals.response.value ?? "", "base64").toString("utf8"),
    ) as {
      pub_key: string;
      power: string | number;
    }[];
    expect(appVals.length).toBe(1);
    expect(appVals[0]?.pub_key).toBe(Buffer.from(genesisVals[0]?.pubKey ?? []).toString("base64"));

    // The app hash is exactly the hash of {genesis validator, the valid keys}: nothing else moved.
    const info = await rpcCall<{ response: { last_block_app_hash: string } }>(
      chain.rpc,
      "abci_info",
    );
    const appHash = toHex(fromBase64(info.response.last_block_app_hash) ?? new Uint8Array());
    expect(appHash).toBe(expectedAppHash(applied, genesisVals));
    // And the chain reports the same hash.
    const st = await rpcCall<{ sync_info: { latest_app_hash: string } }>(chain.rpc, "status");
    expect(st.sync_info.latest_app_hash).toBe(appHash);
  });
});
