import { HttpBatchClient, HttpClient, WebsocketClient } from "@cosmjs/tendermint-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Started, startServer } from "./helpers.ts";

// Transport-level compatibility with @cosmjs/tendermint-rpc 0.39 (the clients Comet38Client uses).

let s: Started;

beforeAll(async () => {
  s = await startServer();
});

afterAll(async () => {
  await s.server.close();
});

describe("@cosmjs/tendermint-rpc against the server", () => {
  it("HttpClient calls a method and surfaces JSON-RPC errors", async () => {
    const client = new HttpClient(s.base);
    const r = await client.execute({
      jsonrpc: "2.0",
      id: 123456789012,
      method: "echo",
      params: { height: "5" },
    });
    expect(r).toEqual({
      jsonrpc: "2.0",
      id: 123456789012,
      result: { height: "5", transport: "http" },
    });
    await expect(
      client.execute({ jsonrpc: "2.0", id: 2, method: "nope", params: {} }),
    ).rejects.toThrow(/Method not found/);
  });

  it("HttpBatchClient sends batches", async () => {
    const client = new HttpBatchClient(s.base, { batchSizeLimit: 5, dispatchInterval: 5 });
    try {
      const [a, b] = await Promise.all([
        client.execute({ jsonrpc: "2.0", id: 11, method: "echo", params: { height: "1" } }),
        client.execute({ jsonrpc: "2.0", id: 12, method: "status", params: {} }),
      ]);
      expect(a.result).toEqual({ height: "1", transport: "http" });
      expect(b.id).toBe(12);
    } finally {
      client.disconnect();
    }
  });

  it("WebsocketClient executes calls and receives subscription events", async () => {
    const errors: unknown[] = [];
    const client = new WebsocketClient(`ws://127.0.0.1:${s.server.address().port}`, (e) =>
      errors.push(e),
    );
    try {
      const status = await client.execute({ jsonrpc: "2.0", id: 5, method: "status", params: {} });
      expect(status.result).toMatchObject({ node_info: { network: "test-chain" } });

      const query = "tm.event='Tx'";
      const stream = client.listen({
        jsonrpc: "2.0",
        id: 77,
        method: "subscribe",
        params: { query },
      });
      const event = new Promise<{ query?: string; data?: unknown; events?: unknown }>(
        (resolve, reject) => {
          stream.subscribe({
            next: (e) => {
              if ((e as { query?: string }).query !== undefined) resolve(e);
            },
            error: reject,
            complete: () => {},
          });
        },
      );
      for (let i = 0; s.bus.numClients() === 0 && i < 2000; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect(s.bus.numClients()).toBe(1);
      s.bus.publish({
        data: { type: "tendermint/event/Tx", value: { TxResult: { height: "3", tx: "AQI=" } } },
        events: { "tm.event": ["Tx"], "tx.height": ["3"] },
      });
      expect(await event).toEqual({
        query,
        data: { type: "tendermint/event/Tx", value: { TxResult: { height: "3", tx: "AQI=" } } },
        events: { "tm.event": ["Tx"], "tx.height": ["3"] },
      });
      expect(errors).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
