import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { BusEvent } from "../../src/events/eventBus.ts";
import { httpRequest, QueuedClient, type Started, startServer } from "./helpers.ts";

function txEvent(height: number, payload = ""): BusEvent {
  return {
    data: { type: "tendermint/event/Tx", value: { TxResult: { height: BigInt(height), payload } } },
    events: { "tm.event": ["Tx"], "tx.height": [String(height)], "transfer.sender": ["alice"] },
  };
}

const started: Started[] = [];
const clients: QueuedClient[] = [];

async function start(opts: Parameters<typeof startServer>[0] = {}): Promise<Started> {
  const s = await startServer(opts);
  started.push(s);
  return s;
}

async function connect(s: Started, options = {}): Promise<QueuedClient> {
  const c = new QueuedClient(s.ws, options);
  clients.push(c);
  await c.opened;
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.terminate();
  for (const s of started.splice(0)) await s.server.close();
});

describe("websocket transport", () => {
  it("serves ordinary JSON-RPC calls", async () => {
    const s = await start();
    const c = await connect(s);
    expect(await c.call(1, "echo", { height: "4" })).toEqual({
      jsonrpc: "2.0",
      id: 1,
      result: { height: "4", transport: "websocket" },
    });
    expect((await c.call("x", "nope")).error).toMatchObject({
      code: -32601,
      message: "Method not found",
    });
    expect((await c.call(2, "echo", { height: "z" })).error.code).toBe(-32602);
    c.send("{oops");
    const parseError = await c.next();
    expect(parseError.id).toBeNull();
    expect(parseError.error.code).toBe(-32700);
    c.send([{ jsonrpc: "2.0", id: 1, method: "status" }]);
    expect((await c.next()).error.code).toBe(-32600);
  });

  it("answers a burst of pipelined calls, each once and in order", async () => {
    const s = await start();
    const c = await connect(s);
    for (let i = 0; i < 300; i++) {
      c.send({ jsonrpc: "2.0", id: i, method: "echo", params: { height: String(i) } });
    }
    for (let i = 0; i < 300; i++) {
      expect(await c.next()).toEqual({
        jsonrpc: "2.0",
        id: i,
        result: { height: String(i), transport: "websocket" },
      });
    }
    // The connection still answers once the burst is written.
    expect((await c.call("after", "echo", { height: "1" })).id).toBe("after");
  });

  it("subscribe → publish → event with the subscribe id; unsubscribe stops events", async () => {
    const s = await start();
    const c = await connect(s);
    const query = "tm.event='Tx' AND tx.height >= 2";
    expect(await c.call(42, "subscribe", { query })).toEqual({
      jsonrpc: "2.0",
      id: 42,
      result: {},
    });
    expect(s.bus.publish(txEvent(1))).toBe(0);
    expect(s.bus.publish(txEvent(2))).toBe(1);
    expect(await c.next()).toEqual({
      jsonrpc: "2.0",
      id: 42,
      result: {
        query,
        data: { type: "tendermint/event/Tx", value: { TxResult: { height: "2", payload: "" } } },
        events: { "tm.event": ["Tx"], "tx.height": ["2"], "transfer.sender": ["alice"] },
      },
    });
    // The canonical form of the query identifies the subscription.
    expect(await c.call(43, "unsubscribe", { query: "tm.event = 'Tx' AND tx.height>=2" })).toEqual({
      jsonrpc: "2.0",
      id: 43,
      result: {},
    });
    expect(s.bus.publish(txEvent(3))).toBe(0);
    // The next message is the reply to this call, so no event slipped in.
    expect((await c.call(44, "status")).id).toBe(44);
    const again = await c.call(45, "unsubscribe", { query });
    expect(again.error).toEqual({
      code: -32603,
      message: "Internal error",
      data: "subscription not found",
    });
  });

  it("unsubscribe_all ends every subscription of the connection only", async () => {
    const s = await start();
    const a = await connect(s);
    const b = await connect(s);
    await a.call(1, "subscribe", { query: "tm.event='Tx'" });
    await a.call(2, "subscribe", { query: "tm.event='NewBlock'" });
    await b.call(9, "subscribe", { query: "tm.event='Tx'" });
    expect(s.bus.numClients()).toBe(2);
    expect((await a.call(3, "unsubscribe_all")).result).toEqual({});
    expect(s.bus.publish(txEvent(1))).toBe(1);
    expect((await b.next()).id).toBe(9);
    expect((await a.call(4, "unsubscribe_all")).error.data).toBe("subscription not found");
  });

  it("reports duplicate subscriptions, bad and long queries", async () => {
    const s = await start();
    const c = await connect(s);
    await c.call(1, "subscribe", { query: "tm.event='Tx'" });
    expect((await c.call(2, "subscribe", { query: "tm.event = 'Tx'" })).error).toEqual({
      code: -32603,
      message: "Internal error",
      data: "already subscribed",
    });
    expect((await c.call(3, "subscribe", { query: "tm.event = " })).error.data).toBe(
      "failed to parse query: offset 11: got end of query, wanted number, timestamp, datestamp or string",
    );
    expect((await c.call(4, "subscribe", { query: `a.b = '${"x".repeat(600)}'` })).error.data).toBe(
      "maximum query length exceeded",
    );
    expect((await c.call(5, "subscribe", {})).error).toMatchObject({
      code: -32602,
      data: 'missing required param "query"',
    });
  });

  it("enforces max_subscriptions_per_client and max_subscription_clients", async () => {
    const s = await start({ maxSubscriptionsPerClient: 2, maxSubscriptionClients: 1 });
    const a = await connect(s);
    await a.call(1, "subscribe", { query: "a.b = 1" });
    await a.call(2, "subscribe", { query: "a.b = 2" });
    expect((await a.call(3, "subscribe", { query: "a.b = 3" })).error.data).toBe(
      "max_subscriptions_per_client 2 reached",
    );
    const b = await connect(s);
    expect((await b.call(1, "subscribe", { query: "a.b = 1" })).error.data).toBe(
      "max_subscription_clients 1 reached",
    );
    // A disconnect frees the slot.
    await a.close();
    for (let i = 0; s.bus.numClients() > 0 && i < 2000; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect((await b.call(2, "subscribe", { query: "a.b = 1" })).result).toEqual({});
  });

  it("cancels the subscription of a client that stops reading, with an error message", async () => {
    const s = await start({ websocketWriteBufferSize: 2, subscriptionBufferSize: 5 });
    const c = await connect(s);
    await c.call(7, "subscribe", { query: "tm.event='Tx'" });
    (c.socket as unknown as { _socket: Socket })._socket.pause();
    const payload = "p".repeat(64 * 1024);
    let published = 0;
    while (s.bus.numClients() > 0 && published < 20_000) {
      s.bus.publish(txEvent(published, payload));
      published++;
      await new Promise((r) => setImmediate(r));
    }
    expect(s.bus.numClients()).toBe(0);
    (c.socket as unknown as { _socket: Socket })._socket.resume();
    let msg = await c.next();
    let events = 0;
    while (msg.result !== undefined) {
      events++;
      msg = await c.next();
    }
    expect(events).toBeLessThan(published);
    expect(msg).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: {
        code: -32000,
        message: "Server error",
        data: "subscription was canceled (reason: client is not pulling messages fast enough)",
      },
    });
    // The connection itself stays usable.
    expect((await c.call(8, "status")).id).toBe(8);
  });

  it("pings clients and drops one that never answers", async () => {
    const s = await start({ websocketPingIntervalMs: 20 });
    const polite = await connect(s);
    const pinged = new Promise<void>((r) => polite.socket.once("ping", () => r()));
    await pinged;
    const mute = await connect(s, { autoPong: false });
    mute.send({ jsonrpc: "2.0", id: 1, method: "subscribe", params: { query: "tm.event='Tx'" } });
    const closed = await mute.closed;
    expect(closed.code).toBe(1006);
    for (let i = 0; s.bus.numClients() > 0 && i < 2000; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(s.bus.numClients()).toBe(0);
  });

  it("close() sends 1001 to websocket clients and resolves", async () => {
    const s = await startServer();
    const c = await connect(s);
    await c.call(1, "subscribe", { query: "tm.event='Tx'" });
    await s.server.close();
    expect((await c.closed).code).toBe(1001);
    expect(s.server.websocketCount()).toBe(0);
  });

  it("answers 404 to upgrades on other paths and 400 to a plain GET /websocket", async () => {
    const s = await start();
    const other = new QueuedClient(s.ws.replace("/websocket", "/other"));
    await expect(other.opened).rejects.toThrow(/404/);
    const plain = await httpRequest(s.ws.replace("ws://", "http://"));
    expect(plain.status).toBe(400);
  });
});
