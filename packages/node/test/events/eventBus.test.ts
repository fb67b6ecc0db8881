import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BusEvent, createEventBus } from "../../src/events/eventBus.ts";
import type { Query } from "../../src/events/query.ts";
import { matchesQuery } from "../../src/events/queryMatch.ts";
import { worldEventMapArb, worldQueryArb } from "./arbitraries.ts";

function txEvent(height: number, sender = "alice"): BusEvent {
  return {
    data: { type: "tendermint/event/Tx", value: { height: String(height) } },
    events: { "tm.event": ["Tx"], "tx.height": [String(height)], "transfer.sender": [sender] },
  };
}

const blockEvent: BusEvent = {
  data: { type: "tendermint/event/NewBlock", value: {} },
  events: { "tm.event": ["NewBlock"] },
};

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!r.ok) throw r.error;
  return r.value;
}

describe("event bus", () => {
  it("delivers only matching events, in order", () => {
    const bus = createEventBus();
    const txs = unwrap(bus.subscribe("c1", "tm.event='Tx' AND tx.height > 1"));
    const blocks = unwrap(bus.subscribe("c1", "tm.event = 'NewBlock'"));
    expect(bus.publish(txEvent(1))).toBe(0);
    expect(bus.publish(txEvent(2))).toBe(1);
    expect(bus.publish(blockEvent)).toBe(1);
    expect(bus.publish(txEvent(3))).toBe(1);
    expect(txs.pending).toBe(2);
    expect(txs.take()?.events["tx.height"]).toEqual(["2"]);
    expect(txs.take()?.events["tx.height"]).toEqual(["3"]);
    expect(txs.take()).toBeUndefined();
    expect(blocks.take()).toBe(blockEvent);
  });

  it("refuses a second subscription to the same (canonical) query", () => {
    const bus = createEventBus();
    unwrap(bus.subscribe("c1", "tm.event='Tx'"));
    const again = bus.subscribe("c1", "tm.event = 'Tx'");
    expect(!again.ok && again.error.code).toBe("ALREADY_SUBSCRIBED");
    expect(!again.ok && again.error.message).toBe("already subscribed");
    expect(bus.subscribe("c2", "tm.event='Tx'").ok).toBe(true);
  });

  it("enforces the client and per-client limits", () => {
    const bus = createEventBus({ maxClients: 2, maxSubscriptionsPerClient: 2 });
    unwrap(bus.subscribe("a", "x.y = 1"));
    unwrap(bus.subscribe("a", "x.y = 2"));
    const third = bus.subscribe("a", "x.y = 3");
    expect(!third.ok && third.error.message).toBe("max_subscriptions_per_client 2 reached");
    unwrap(bus.subscribe("b", "x.y = 1"));
    const c = bus.subscribe("c", "x.y = 1");
    expect(!c.ok && c.error.message).toBe("max_subscription_clients 2 reached");
    expect(bus.numClients()).toBe(2);
    expect(bus.numClientSubscriptions("a")).toBe(2);
  });

  it("reports a bad query with its position", () => {
    const bus = createEventBus();
    const r = bus.subscribe("a", "tm.event = ");
    expect(!r.ok && r.error.code).toBe("QUERY_SYNTAX");
    expect(!r.ok && r.error.message).toMatch(/^offset 11: /);
  });

  it("cancels a subscription whose buffer overflows, without blocking the publisher", () => {
    const bus = createEventBus();
    const slow = unwrap(bus.subscribe("slow", "tm.event='Tx'", 2));
    const fast = unwrap(bus.subscribe("fast", "tm.event='Tx'", 10));
    let changes = 0;
    slow.onChange(() => changes++);
    expect(bus.publish(txEvent(1))).toBe(2);
    expect(bus.publish(txEvent(2))).toBe(2);
    expect(bus.publish(txEvent(3))).toBe(1);
    expect(slow.endReason?.code).toBe("OUT_OF_CAPACITY");
    expect(slow.endReason?.message).toBe("client is not pulling messages fast enough");
    expect(slow.take()).toBeUndefined();
    expect(changes).toBe(3);
    expect(fast.pending).toBe(3);
    expect(bus.numClientSubscriptions("slow")).toBe(0);
    // The slow client may subscribe again.
    expect(bus.subscribe("slow", "tm.event='Tx'", 2).ok).toBe(true);
  });

  it("unsubscribe, unsubscribeAll and close end subscriptions with a reason", () => {
    const bus = createEventBus();
    const a = unwrap(bus.subscribe("c", "a.b = 1"));
    const b = unwrap(bus.subscribe("c", "a.b = 2"));
    const other = unwrap(bus.subscribe("d", "a.b = 2"));
    expect(bus.unsubscribe("c", "a.b=1").ok).toBe(true);
    expect(a.endReason?.code).toBe("UNSUBSCRIBED");
    const missing = bus.unsubscribe("c", "a.b=1");
    expect(!missing.ok && missing.error.message).toBe("subscription not found");
    expect(bus.unsubscribeAll("c").ok).toBe(true);
    expect(b.endReason?.code).toBe("UNSUBSCRIBED");
    expect(bus.unsubscribeAll("c").ok).toBe(false);
    bus.close();
    expect(other.endReason?.code).toBe("BUS_CLOSED");
    expect(bus.subscribe("e", "a.b = 1").ok).toBe(false);
  });

  it("is an async iterable that ends when the subscription ends", async () => {
    const bus = createEventBus();
    const sub = unwrap(bus.subscribe("it", "tm.event='Tx'"));
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of sub) seen.push(ev.events["tx.height"]?.[0] ?? "");
    })();
    bus.publish(txEvent(1));
    await Promise.resolve();
    bus.publish(txEvent(2));
    bus.publish(txEvent(3));
    await new Promise((r) => setImmediate(r));
    bus.unsubscribe("it", "tm.event='Tx'");
    await done;
    expect(seen).toEqual(["1", "2", "3"]);
  });

  it("unsubscribes when a for-await loop is left early", async () => {
    const bus = createEventBus();
    const sub = unwrap(bus.subscribe("it", "tm.event='Tx'"));
    bus.publish(txEvent(1));
    for await (const ev of sub) {
      expect(ev.events["tx.height"]).toEqual(["1"]);
      break;
    }
    expect(sub.endReason?.code).toBe("UNSUBSCRIBED");
    expect(bus.numClients()).toBe(0);
  });

  it("lets a listener unsubscribe during a publish without disturbing other deliveries", () => {
    const bus = createEventBus();
    const first = unwrap(bus.subscribe("x", "tm.event='Tx'"));
    const second = unwrap(bus.subscribe("y", "tm.event='Tx'"));
    first.onChange(() => bus.unsubscribeAll("y"));
    bus.publish(txEvent(1));
    expect(first.pending).toBe(1);
    expect(second.endReason?.code).toBe("UNSUBSCRIBED");
  });

  it("keeps a throwing listener away from the publisher and from other subscribers", () => {
    const errors: unknown[] = [];
    const bus = createEventBus({}, { logger: { error: (o: unknown) => errors.push(o) } });
    const bad = unwrap(bus.subscribe("bad", "tm.event='Tx'"));
    const good = unwrap(bus.subscribe("good", "tm.event='Tx'"));
    let goodCalls = 0;
    bad.onChange(() => {
      throw new Error("listener bug");
    });
    good.onChange(() => goodCalls++);
    expect(bus.publish(txEvent(1))).toBe(2);
    expect(goodCalls).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it("delivers exactly the events matchesQuery accepts (property)", () => {
    fc.assert(
      fc.property(
        fc.array(worldQueryArb(), { minLength: 1, maxLength: 12 }),
        fc.array(worldEventMapArb, { maxLength: 25 }),
        (queries, maps) => {
          const bus = createEventBus();
          const subs = queries.map((q, i) => unwrap(bus.subscribe(`s${i}`, q, 1000)));
          const events: BusEvent[] = maps.map((events, i) => ({
            data: { type: "t", value: i },
            events,
          }));
          for (const e of events) bus.publish(e);
          for (const [i, sub] of subs.entries()) {
            const got: unknown[] = [];
            for (let e = sub.take(); e !== undefined; e = sub.take()) got.push(e.data.value);
            const want = events
              .filter((e) => matchesQuery(queries[i] as Query, e.events))
              .map((e) => e.data.value);
            expect(got).toEqual(want);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("event bus mayMatchEventType", () => {
  it("is false only when every query asks for another tm.event", () => {
    const bus = createEventBus();
    expect(bus.mayMatchEventType("Tx")).toBe(false);
    const block = bus.subscribe("a", "tm.event = 'NewBlock'");
    expect(block.ok).toBe(true);
    expect(bus.mayMatchEventType("Tx")).toBe(false);
    expect(bus.mayMatchEventType("NewBlock")).toBe(true);
    expect(bus.subscribe("b", "tx.hash = 'AB'").ok).toBe(true);
    expect(bus.mayMatchEventType("Tx")).toBe(true);
    expect(bus.unsubscribe("b", "tx.hash = 'AB'").ok).toBe(true);
    expect(bus.mayMatchEventType("Tx")).toBe(false);
    expect(bus.subscribe("c", "tx.height > 3").ok).toBe(true);
    expect(bus.mayMatchEventType("Tx")).toBe(true);
  });

  it("never says false for an event some subscription takes", () => {
    fc.assert(
      fc.property(
        fc.array(worldQueryArb(), { maxLength: 4 }),
        worldEventMapArb,
        (queries, events) => {
          const bus = createEventBus();
          for (const [i, q] of queries.entries()) bus.subscribe(`s${i}`, q);
          const types = events["tm.event"] ?? [];
          if (types.length !== 1) return;
          const delivered = bus.publish({ data: { type: "t", value: null }, events });
          if (delivered > 0) expect(bus.mayMatchEventType(types[0] as string)).toBe(true);
        },
      ),
    );
  });
});
