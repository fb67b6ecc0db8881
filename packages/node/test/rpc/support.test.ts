import { request } from "node:http";
import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parseListenAddress } from "../../src/rpc/listenAddress.ts";
import { createMetricsServer } from "../../src/rpc/metricsServer.ts";
import { validatePage, validatePerPage } from "../../src/rpc/pagination.ts";
import { decodeUriParam, param } from "../../src/rpc/params.ts";
import { decodeJsonParams, decodeUriParams } from "../../src/rpc/registry.ts";
import { httpRequest, QueuedClient, silentLogger, startServer } from "./helpers.ts";

describe("parseListenAddress", () => {
  it.each([
    ["tcp://127.0.0.1:26657", "127.0.0.1", 26657],
    ["0.0.0.0:26657", "0.0.0.0", 26657],
    [":26660", "0.0.0.0", 26660],
    ["tcp://[::1]:0", "::1", 0],
    ["localhost:1", "localhost", 1],
  ] as const)("%s", (laddr, host, port) => {
    expect(parseListenAddress(laddr)).toEqual({ ok: true, value: { host, port } });
  });

  it.each(["unix:///x.sock", "127.0.0.1", "1.2.3.4:99999", "::1:80", "tcp://h:port"])(
    "rejects %s",
    (laddr) => {
      const r = parseListenAddress(laddr);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.message).toMatch(/^invalid listen address/);
    },
  );
});

describe("params", () => {
  it("decodes the JSON forms", () => {
    const specs = { h: param.int64(), n: param.int().optional(), b: param.bytesHex().optional() };
    expect(decodeJsonParams(specs, { h: "-5", n: 7, b: "0xff" })).toEqual({
      ok: true,
      value: { h: -5n, n: 7, b: new Uint8Array([255]) },
    });
    expect(decodeJsonParams(specs, null)).toEqual({
      ok: false,
      error: 'missing required param "h"',
    });
    expect(decodeJsonParams(specs, "x")).toEqual({
      ok: false,
      error: "params must be an object or an array",
    });
    expect(decodeJsonParams(specs, { h: 1.5 }).ok).toBe(false);
    expect(decodeJsonParams(specs, { h: 2 ** 60 }).ok).toBe(false);
    expect(decodeJsonParams(specs, { h: "1", b: "abc" })).toEqual({
      ok: false,
      error: 'invalid param "b": invalid hex "abc"',
    });
  });

  it("decodes the URI forms with CometBFT's rules", () => {
    expect(decodeUriParam(param.string(), '"a b"')).toEqual({ ok: true, value: "a b" });
    expect(decodeUriParam(param.string(), "0x616263")).toEqual({ ok: true, value: "abc" });
    expect(decodeUriParam(param.bytesBase64(), '"abc"')).toEqual({
      ok: true,
      value: new Uint8Array([97, 98, 99]),
    });
    expect(decodeUriParam(param.bytesHex(), "0XAB")).toEqual({
      ok: true,
      value: new Uint8Array([171]),
    });
    expect(decodeUriParam(param.bool(), "true")).toEqual({ ok: true, value: true });
    expect(decodeUriParam(param.bool(), "0x1")).toEqual({
      ok: false,
      error: "got a hex string arg, but expected 'bool'",
    });
    expect(decodeUriParam(param.int(), "-3")).toEqual({ ok: true, value: -3 });
    expect(decodeUriParam(param.json(param.int().schema), "5")).toEqual({ ok: true, value: 5 });
    expect(decodeUriParams({ a: param.string().optional() }, new URLSearchParams("a="))).toEqual({
      ok: true,
      value: { a: undefined },
    });
  });
});

describe("pagination", () => {
  it("clamps per_page and validates the page like CometBFT", () => {
    expect(validatePerPage(undefined)).toBe(30);
    expect(validatePerPage(0)).toBe(30);
    expect(validatePerPage(500)).toBe(100);
    expect(validatePage(undefined, 30, 0)).toEqual({ ok: true, value: 1 });
    expect(validatePage(1, 30, 0)).toEqual({ ok: true, value: 1 });
    expect(validatePage(4, 30, 91)).toEqual({ ok: true, value: 4 });
    expect(validatePage(5, 30, 91)).toEqual({
      ok: false,
      error: "page should be within [1, 4] range, given 5",
    });
    expect(validatePage(0, 30, 91).ok).toBe(false);
  });
});

describe("metrics server", () => {
  it("serves the registry at /metrics and 404 elsewhere", async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: "cometbft_test_total",
      help: "a test counter",
      registers: [registry],
    });
    counter.inc(3);
    const m = await createMetricsServer(
      { laddr: "127.0.0.1:0" },
      { registry, logger: silentLogger },
    );
    const base = `http://127.0.0.1:${m.address().port}`;
    const r = await httpRequest(`${base}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe(registry.contentType);
    expect(r.text).toContain("cometbft_test_total 3");
    expect((await httpRequest(`${base}/other`)).status).toBe(404);
    await m.close();
    await expect(httpRequest(`${base}/metrics`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("max_open_connections", () => {
  it("closes connections beyond the limit", async () => {
    const s = await startServer({ maxOpenConnections: 1 });
    const first = new QueuedClient(s.ws);
    await first.opened;
    try {
      const second = await new Promise<string>((resolve) => {
        const req = request(`${s.base}/status`, { agent: false }, (res) =>
          resolve(`status ${res.statusCode}`),
        );
        req.on("error", (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
        req.end();
      });
      expect(second).toMatch(/^error (ECONNRESET|socket hang up|EPIPE)/);
      expect((await first.call(1, "status")).id).toBe(1);
    } finally {
      first.socket.terminate();
      await s.server.close();
    }
  });
});
