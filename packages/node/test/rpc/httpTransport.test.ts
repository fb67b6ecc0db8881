import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWaiter,
  httpRequest,
  post,
  type Started,
  startServer,
  testRegistry,
} from "./helpers.ts";

let s: Started;

beforeAll(async () => {
  s = await startServer({ maxBodyBytes: 10_000, maxRequestBatchSize: 5 });
});

afterAll(async () => {
  await s.server.close();
});

describe("HTTP POST JSON-RPC", () => {
  it("answers a single request, encoding bigint as a string", async () => {
    const r = await post(s.base, { jsonrpc: "2.0", id: 7, method: "status", params: {} });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    expect(r.json).toEqual({
      jsonrpc: "2.0",
      id: 7,
      result: { node_info: { network: "test-chain" }, sync_info: { latest_block_height: "7" } },
    });
  });

  it("decodes params by name (int64 as string or number) and by position", async () => {
    const byName = await post(s.base, {
      jsonrpc: "2.0",
      id: "a",
      method: "echo",
      params: { height: "12", data: "abcd", tx: "aGVsbG8=", flag: true, page: "3", text: "hi" },
    });
    expect(byName.json).toEqual({
      jsonrpc: "2.0",
      id: "a",
      result: {
        height: "12",
        text: "hi",
        data: "ABCD",
        tx: "aGVsbG8=",
        flag: true,
        page: 3,
        transport: "http",
      },
    });
    const asNumber = await post(s.base, {
      jsonrpc: "2.0",
      id: 1,
      method: "echo",
      params: { height: 12 },
    });
    expect(asNumber.json.result.height).toBe("12");
    const byPosition = await post(s.base, {
      jsonrpc: "2.0",
      id: 2,
      method: "echo",
      params: ["9", "x"],
    });
    expect(byPosition.json.result).toMatchObject({ height: "9", text: "x" });
    const noParams = await post(s.base, { jsonrpc: "2.0", id: 3, method: "echo" });
    expect(noParams.json.result).toEqual({ transport: "http" });
  });

  it("answers a batch in order and skips notifications", async () => {
    const r = await post(s.base, [
      { jsonrpc: "2.0", id: 1, method: "status" },
      { jsonrpc: "2.0", method: "status" },
      { jsonrpc: "2.0", id: 2, method: "nope" },
      { jsonrpc: "2.0", id: 3, method: "echo", params: { height: "x" } },
      5,
    ]);
    expect(r.status).toBe(200);
    expect(r.json.map((x: { id: unknown }) => x.id)).toEqual([1, 2, 3, null]);
    expect(r.json[1].error.code).toBe(-32601);
    expect(r.json[2].error.code).toBe(-32602);
    expect(r.json[3].error).toEqual({
      code: -32600,
      message: "Invalid Request",
      data: "a request must be a JSON object",
    });
  });

  it("limits the batch size like max_request_batch_size", async () => {
    const batch = Array.from({ length: 6 }, (_, i) => ({
      jsonrpc: "2.0",
      id: i,
      method: "status",
    }));
    const r = await post(s.base, batch);
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({
      code: -32600,
      message: "Invalid Request",
      data: "maximum JSON-RPC batch size exceeded, got: 6, max: 5",
    });
  });

  it("rejects an empty batch and answers a lone notification with nothing", async () => {
    const empty = await post(s.base, []);
    expect(empty.json.error.code).toBe(-32600);
    const note = await post(s.base, { jsonrpc: "2.0", method: "status" });
    expect(note.status).toBe(200);
    expect(note.text).toBe("");
  });

  it("names the parameter in -32602 errors", async () => {
    const bad = await post(s.base, {
      jsonrpc: "2.0",
      id: 1,
      method: "echo",
      params: { height: "12a" },
    });
    expect(bad.status).toBe(200);
    expect(bad.json).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: {
        code: -32602,
        message: "Invalid params",
        data: 'invalid param "height": expected an int64 as a decimal string ("42") or an integer, got "12a"',
      },
    });
    const missing = await post(s.base, { jsonrpc: "2.0", id: 2, method: "needs", params: {} });
    expect(missing.json.error).toMatchObject({
      code: -32602,
      data: 'missing required param "height"',
    });
    const tooMany = await post(s.base, {
      jsonrpc: "2.0",
      id: 3,
      method: "needs",
      params: ["1", true, 3],
    });
    expect(tooMany.json.error.data).toBe("expected at most 2 params (height, prove), got 3");
    const badB64 = await post(s.base, {
      jsonrpc: "2.0",
      id: 4,
      method: "echo",
      params: { tx: "!!" },
    });
    expect(badB64.json.error.data).toBe('invalid param "tx": invalid base64 "!!"');
    const overflow = await post(s.base, {
      jsonrpc: "2.0",
      id: 5,
      method: "echo",
      params: { height: "9223372036854775808" },
    });
    expect(overflow.json.error.data).toBe(
      'invalid param "height": 9223372036854775808 is out of the int64 range',
    );
  });

  it("answers unknown methods, bad versions and bad ids with CometBFT's codes", async () => {
    const unknown = await post(s.base, { jsonrpc: "2.0", id: 1, method: "nope" });
    expect(unknown.json.error).toMatchObject({ code: -32601, message: "Method not found" });
    const v1 = await post(s.base, { jsonrpc: "1.0", id: 2, method: "status" });
    expect(v1.json).toEqual({
      jsonrpc: "2.0",
      id: 2,
      error: { code: -32600, message: "Invalid Request", data: 'jsonrpc must be "2.0", got "1.0"' },
    });
    const noMethod = await post(s.base, { jsonrpc: "2.0", id: 3 });
    expect(noMethod.json.error).toMatchObject({
      code: -32600,
      data: "method must be a non-empty string",
    });
    const floatId = await post(s.base, { jsonrpc: "2.0", id: 1.5, method: "status" });
    expect(floatId.json.error.code).toBe(-32600);
    expect(floatId.json.id).toBeNull();
    const wsOnly = await post(s.base, {
      jsonrpc: "2.0",
      id: 4,
      method: "subscribe",
      params: { query: "a.b=1" },
    });
    expect(wsOnly.json.error.code).toBe(-32601);
  });

  it("answers malformed JSON with -32700 and HTTP 500, like CometBFT", async () => {
    const r = await post(s.base, '{"jsonrpc":"2.0",');
    expect(r.status).toBe(500);
    expect(r.json.id).toBeNull();
    expect(r.json.error.code).toBe(-32700);
    expect(r.json.error.message).toBe("Parse error. Invalid JSON");
    expect(r.json.error.data).toMatch(/^error unmarshaling request: /);
  });

  it("answers a JSON body that is neither an object nor an array with -32600", async () => {
    for (const body of ["42", '"x"', "null", "true"]) {
      const r = await post(s.base, body);
      expect(r.status).toBe(500);
      expect(r.json.error.code).toBe(-32600);
    }
  });

  it("refuses an oversized body with 400 -32600 before reading it", async () => {
    const big = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "echo",
      params: { text: "x".repeat(20_000) },
    });
    const r = await post(s.base, big);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32600);
    expect(r.json.error.data).toMatch(/request body too large/);
    // The server is still healthy.
    const ok = await post(s.base, { jsonrpc: "2.0", id: 2, method: "status" });
    expect(ok.status).toBe(200);
  });

  it("answers a huge announced body at once, without waiting for it", async () => {
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${s.base}/`,
        {
          method: "POST",
          agent: false,
          headers: { "content-type": "application/json", "content-length": String(100_000_000) },
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => {
            body += c.toString();
          });
          res.on("end", () => {
            resolve({ status: res.statusCode ?? 0, body });
            req.destroy();
          });
        },
      );
      req.on("error", reject);
      req.write("[".repeat(1000));
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.data).toMatch(/request body too large/);
  });

  it("stops a chunked body at the limit", async () => {
    const r = await httpRequest(`${s.base}/`, {
      method: "POST",
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "echo",
        params: { text: "y".repeat(50_000) },
      }),
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32600);
  });

  it("maps handler errors: RpcError keeps its code, a bug becomes -32603 and the server lives on", async () => {
    const typed = await post(s.base, {
      jsonrpc: "2.0",
      id: 1,
      method: "needs",
      params: { height: "0" },
    });
    expect(typed.json.error).toEqual({
      code: -32603,
      message: "Internal error",
      data: "height must be greater than 0, but got 0",
    });
    const bug = await post(s.base, { jsonrpc: "2.0", id: 2, method: "boom" });
    expect(bug.status).toBe(200);
    expect(bug.json.error.code).toBe(-32603);
    expect(bug.json.error.data).toMatch(/undefined/);
    const after = await post(s.base, { jsonrpc: "2.0", id: 3, method: "status" });
    expect(after.json.result.node_info.network).toBe("test-chain");
  });

  it("lists the endpoints on GET / and on an empty POST", async () => {
    const r = await httpRequest(`${s.base}/`);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/html/);
    expect(r.text).toContain("Available endpoints:");
    expect(r.text).toContain(`//127.0.0.1:${s.server.address().port}/status`);
    expect(r.text).toContain("/needs?height=_&amp;prove=_".replace("&amp;", "&"));
    expect(r.text).toContain("/subscribe?query=_");
    const empty = await httpRequest(`${s.base}/`, { method: "POST", body: "" });
    expect(empty.text).toContain("Available endpoints:");
  });
});

describe("HTTP GET URI form", () => {
  it("decodes quoted strings, 0x bytes, bare and quoted numbers", async () => {
    const r = await httpRequest(
      `${s.base}/echo?height=5&text=${encodeURIComponent('"hi there"')}&data=0xABcd&tx=${encodeURIComponent('"raw"')}&flag=true&page=%222%22`,
    );
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      jsonrpc: "2.0",
      id: -1,
      result: {
        height: "5",
        text: "hi there",
        data: "ABCD",
        tx: "cmF3",
        flag: true,
        page: 2,
        transport: "uri",
      },
    });
    const quotedInt = await httpRequest(`${s.base}/echo?height=%227%22&text=0x6869`);
    expect(quotedInt.json.result).toMatchObject({ height: "7", text: "hi" });
    const hexTx = await httpRequest(`${s.base}/echo?tx=0x68656c6c6f`);
    expect(hexTx.json.result.tx).toBe("aGVsbG8=");
  });

  it("answers URI param errors with 500 and -32602 naming the param (CometBFT)", async () => {
    const bad = await httpRequest(`${s.base}/echo?height=abc`);
    expect(bad.status).toBe(500);
    expect(bad.json.id).toBe(-1);
    expect(bad.json.error.code).toBe(-32602);
    expect(bad.json.error.data).toMatch(/^invalid param "height": /);
    const hex = await httpRequest(`${s.base}/echo?height=0x10`);
    expect(hex.json.error.data).toBe(
      `invalid param "height": got a hex string arg, but expected 'int64'`,
    );
    const unquoted = await httpRequest(`${s.base}/echo?text=hello`);
    expect(unquoted.json.error.data).toMatch(/strings go in double quotes/);
    const missing = await httpRequest(`${s.base}/needs`);
    expect(missing.json.error.data).toBe('missing required param "height"');
  });

  it("answers handler errors with 500, unknown methods with 404", async () => {
    const typed = await httpRequest(`${s.base}/needs?height=0`);
    expect(typed.status).toBe(500);
    expect(typed.json.error.code).toBe(-32603);
    const ok = await httpRequest(`${s.base}/needs?height=3`);
    expect(ok.status).toBe(200);
    expect(ok.json.result.height).toBe("3");
    const unknown = await httpRequest(`${s.base}/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe(-32601);
    const wsOnly = await httpRequest(`${s.base}/subscribe?query=${encodeURIComponent('"a.b=1"')}`);
    expect(wsOnly.status).toBe(404);
    expect(wsOnly.json.error.data).toBe('method "subscribe" is only available over the websocket');
  });
});

describe("CORS", () => {
  it("adds headers only for allowed origins and answers preflights", async () => {
    const c = await startServer({ corsAllowedOrigins: ["https://*.example.com"] });
    try {
      const allowed = await httpRequest(`${c.base}/status`, {
        headers: { origin: "https://app.example.com" },
      });
      expect(allowed.headers["access-control-allow-origin"]).toBe("https://app.example.com");
      const denied = await httpRequest(`${c.base}/status`, {
        headers: { origin: "https://evil.test" },
      });
      expect(denied.headers["access-control-allow-origin"]).toBeUndefined();
      const pre = await httpRequest(`${c.base}/`, {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers["access-control-allow-methods"]).toBe("POST");
      expect(pre.headers["access-control-allow-headers"]).toBe("content-type");
    } finally {
      await c.server.close();
    }
  });
});

describe("lifecycle", () => {
  it("aborts running handlers and refuses new connections after close()", async () => {
    const waiter = createWaiter();
    const c = await startServer({}, testRegistry(waiter));
    const pending = post(c.base, { jsonrpc: "2.0", id: 1, method: "hold" });
    await waiter.started;
    await c.server.close();
    const r = await pending;
    expect(r.json.result.outcome).toBe("aborted");
    await expect(post(c.base, { jsonrpc: "2.0", id: 2, method: "status" })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it("reports a taken address and a bad laddr", async () => {
    const port = s.server.address().port;
    await expect(startServer({ laddr: `tcp://127.0.0.1:${port}` })).rejects.toThrow(/EADDRINUSE/);
    await expect(startServer({ laddr: "unix:///tmp/x.sock" })).rejects.toThrow(/only tcp:\/\//);
  });
});
