// The node's event bus (CometBFT `libs/pubsub`): subscribers register queries, `publish`
// fans an event out synchronously to every matching subscription's bounded buffer.

import { err, ok, QosError, type Result } from "@qos/types";
import type { Logger } from "pino";
import { parseQuery, type Query, queryToString } from "./query.ts";
import { type CompiledQuery, compileQuery, type EventMap } from "./queryMatch.ts";

/** The pre-shaped payload, e.g. `{type: "tendermint/event/Tx", value: {TxResult: …}}`. */
export interface EventData {
  readonly type: string;
  readonly value: unknown;
}

export interface BusEvent {
  readonly data: EventData;
  /** Flattened events the queries match against, e.g. `{"tm.event": ["Tx"], "tx.height": ["5"]}`. */
  readonly events: EventMap;
}

export type EventBusErrorCode =
  | "ALREADY_SUBSCRIBED"
  | "SUBSCRIPTION_NOT_FOUND"
  | "MAX_CLIENTS"
  | "MAX_SUBSCRIPTIONS_PER_CLIENT"
  | "QUERY_SYNTAX"
  | "INVALID_BUFFER_SIZE"
  | "BUS_CLOSED";

/** Why a subscription ended; the message follows CometBFT (`libs/pubsub/subscription.go`). */
export type SubscriptionEndCode = "UNSUBSCRIBED" | "OUT_OF_CAPACITY" | "BUS_CLOSED";

export interface Subscription {
  readonly subscriber: string;
  readonly query: Query;
  /** The canonical query text; one subscriber holds at most one subscription per query. */
  readonly queryKey: string;
  readonly bufferSize: number;
  /** Events buffered and not yet taken. */
  readonly pending: number;
  /** Undefined while active; the reason once the subscription has ended. */
  readonly endReason: QosError<SubscriptionEndCode> | undefined;
  /** Takes the oldest buffered event (undefined when none is buffered or the subscription ended). */
  take(): BusEvent | undefined;
  /**
   * Registers a listener called (after the publish that caused it) when events arrive or the
   * subscription ends. Returns a function that removes the listener.
   */
  onChange(listener: () => void): () => void;
  /**
   * Yields events until the subscription ends (check `endReason` afterwards); leaving the loop
   * early unsubscribes.
   */
  [Symbol.asyncIterator](): AsyncIterator<BusEvent>;
}

export interface EventBusOptions {
  /** Maximum number of distinct subscribers (0 = unlimited). */
  readonly maxClients?: number;
  /** Maximum subscriptions per subscriber (0 = unlimited). */
  readonly maxSubscriptionsPerClient?: number;
  /** Buffer size when `subscribe` gets none; CometBFT's `subscription_buffer_size` is 200. */
  readonly defaultBufferSize?: number;
}

export interface EventBusDeps {
  /** Receives exceptions thrown by subscription listeners (they never reach the publisher). */
  readonly logger?: Pick<Logger, "error">;
}

export interface EventBus {
  subscribe(
    subscriber: string,
    query: Query | string,
    bufferSize?: number,
  ): Result<Subscription, QosError<EventBusErrorCode>>;
  unsubscribe(subscriber: string, query: Query | string): Result<void, QosError<EventBusErrorCode>>;
  unsubscribeAll(subscriber: string): Result<void, QosError<EventBusErrorCode>>;
  /** Delivers to every matching subscription without blocking; returns the delivery count. */
  publish(event: BusEvent): number;
  /**
   * False only when no subscription can match an event whose `tm.event` is exactly
   * `[tmEvent]`: every query is indexed by `tm.event = '<other type>'`. A publisher may then
   * skip building such events.
   */
  mayMatchEventType(tmEvent: string): boolean;
  numClients(): number;
  numClientSubscriptions(subscriber: string): number;
  /** Ends every subscription (reason BUS_CLOSED) and refuses new ones. */
  close(): void;
}

export const DEFAULT_SUBSCRIPTION_BUFFER_SIZE = 200;

const END_MESSAGES: Record<SubscriptionEndCode, string> = {
  UNSUBSCRIBED: "client unsubscribed",
  OUT_OF_CAPACITY: "client is not pulling messages fast enough",
  BUS_CLOSED: "event bus is shut down",
};

class SubscriptionImpl implements Subscription {
  readonly subscriber: string;
  readonly query: Query;
  readonly queryKey: string;
  readonly bufferSize: number;
  endReason: QosError<SubscriptionEndCode> | undefined = undefined;
  private buffer: BusEvent[] = [];
  private head = 0;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribeSelf: () => void;

  constructor(
    subscriber: string,
    query: Query,
    queryKey: string,
    bufferSize: number,
    unsubscribeSelf: () => void,
  ) {
    this.subscriber = subscriber;
    this.query = query;
    this.queryKey = queryKey;
    this.bufferSize = bufferSize;
    this.unsubscribeSelf = unsubscribeSelf;
  }

  get pending(): number {
    return this.buffer.length - this.head;
  }

  /** Returns false when the buffer is full (the caller then ends the subscription). */
  push(event: BusEvent): boolean {
    if (this.pending >= this.bufferSize) return false;
    this.buffer.push(event);
    return true;
  }

  end(code: SubscriptionEndCode): void {
    if (this.endReason !== undefined) return;
    this.endReason = new QosError(code, END_MESSAGES[code]);
    this.buffer = [];
    this.head = 0;
  }

  notify(onError: (e: unknown) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (e) {
        onError(e);
      }
    }
  }

  take(): BusEvent | undefined {
    if (this.head >= this.buffer.length) return undefined;
    const event = this.buffer[this.head] as BusEvent;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    return event;
  }

  onChange(listener: () => void): () => void {
    const wrapped = () => listener();
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  [Symbol.asyncIterator](): AsyncIterator<BusEvent> {
    const next = (): Promise<IteratorResult<BusEvent>> => {
      const event = this.take();
      if (event !== undefined) return Promise.resolve({ done: false, value: event });
      if (this.endReason !== undefined) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => {
        const remove = this.onChange(() => {
          remove();
          resolve(next());
        });
      });
    };
    return {
      next,
      return: (): Promise<IteratorResult<BusEvent>> => {
        if (this.endReason === undefined) this.unsubscribeSelf();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

interface QueryEntry {
  readonly compiled: CompiledQuery;
  readonly subs: Map<string, SubscriptionImpl>;
  /** A `tag = 'text'` condition every match must satisfy, used to index the query. */
  readonly key: { readonly tag: string; readonly text: string } | undefined;
}

/**
 * Picks a condition that holds exactly when `events[tag]` contains `text`: an equality on a
 * non-empty string over a dotted tag (the empty string could also match by event type).
 */
function indexKeyOf(compiled: CompiledQuery): QueryEntry["key"] {
  let key: QueryEntry["key"];
  for (const c of compiled.conditions) {
    const operand = c.condition.operand;
    if (c.condition.op !== "=" || operand?.type !== "string" || operand.text === "") continue;
    if (!c.tag.includes(".")) continue;
    key = { tag: c.tag, text: operand.text };
    // `tm.event` is on every event; any other equality is likely more selective.
    if (c.tag !== "tm.event") break;
  }
  return key;
}

function resolveQuery(query: Query | string): Result<Query, QosError<EventBusErrorCode>> {
  if (typeof query !== "string") return ok(query);
  const parsed = parseQuery(query);
  if (!parsed.ok) return err(new QosError("QUERY_SYNTAX", parsed.error.message));
  return ok(parsed.value);
}

export function createEventBus(opts: EventBusOptions = {}, deps: EventBusDeps = {}): EventBus {
  const onListenerError = (e: unknown) => deps.logger?.error({ err: e }, "event listener threw");
  const maxClients = opts.maxClients ?? 0;
  const maxPerClient = opts.maxSubscriptionsPerClient ?? 0;
  const defaultBufferSize = opts.defaultBufferSize ?? DEFAULT_SUBSCRIPTION_BUFFER_SIZE;
  const byQuery = new Map<string, QueryEntry>();
  // Queries with an equality condition, by tag then value; the others are checked on every event.
  const keyed = new Map<string, Map<string, Set<QueryEntry>>>();
  const unkeyed = new Set<QueryEntry>();

  function addEntry(entry: QueryEntry): void {
    if (entry.key === undefined) {
      unkeyed.add(entry);
      return;
    }
    let byValue = keyed.get(entry.key.tag);
    if (byValue === undefined) {
      byValue = new Map();
      keyed.set(entry.key.tag, byValue);
    }
    let set = byValue.get(entry.key.text);
    if (set === undefined) {
      set = new Set();
      byValue.set(entry.key.text, set);
    }
    set.add(entry);
  }

  function dropEntry(entry: QueryEntry): void {
    if (entry.key === undefined) {
      unkeyed.delete(entry);
      return;
    }
    const byValue = keyed.get(entry.key.tag);
    const set = byValue?.get(entry.key.text);
    set?.delete(entry);
    if (set?.size === 0) byValue?.delete(entry.key.text);
    if (byValue?.size === 0) keyed.delete(entry.key.tag);
  }

  function candidatesFor(events: EventMap): Iterable<QueryEntry> {
    const out = new Set<QueryEntry>();
    for (const tag in events) {
      if (!Object.hasOwn(events, tag)) continue;
      const byValue = keyed.get(tag);
      if (byValue === undefined) continue;
      for (const value of events[tag] as readonly string[]) {
        const set = byValue.get(value);
        if (set !== undefined) for (const entry of set) out.add(entry);
      }
    }
    return [...unkeyed, ...out];
  }
  const bySubscriber = new Map<string, Map<string, SubscriptionImpl>>();
  let closed = false;

  function remove(sub: SubscriptionImpl, code: SubscriptionEndCode): void {
    const mine = bySubscriber.get(sub.subscriber);
    if (mine?.get(sub.queryKey) === sub) {
      mine.delete(sub.queryKey);
      if (mine.size === 0) bySubscriber.delete(sub.subscriber);
    }
    const entry = byQuery.get(sub.queryKey);
    if (entry?.subs.get(sub.subscriber) === sub) {
      entry.subs.delete(sub.subscriber);
      if (entry.subs.size === 0) {
        byQuery.delete(sub.queryKey);
        dropEntry(entry);
      }
    }
    sub.end(code);
  }

  const bus: EventBus = {
    subscribe(subscriber, queryInput, bufferSize = defaultBufferSize) {
      if (closed) return err(new QosError("BUS_CLOSED", "event bus is shut down"));
      if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) {
        return err(
          new QosError("INVALID_BUFFER_SIZE", `buffer size must be a positive integer`, {
            bufferSize,
          }),
        );
      }
      const resolved = resolveQuery(queryInput);
      if (!resolved.ok) return resolved;
      const query = resolved.value;
      const queryKey = queryToString(query);
      const mine = bySubscriber.get(subscriber);
      if (mine?.has(queryKey)) return err(new QosError("ALREADY_SUBSCRIBED", "already subscribed"));
      if (mine === undefined && maxClients > 0 && bySubscriber.size >= maxClients) {
        return err(new QosError("MAX_CLIENTS", `max_subscription_clients ${maxClients} reached`));
      }
      if (maxPerClient > 0 && (mine?.size ?? 0) >= maxPerClient) {
        return err(
          new QosError(
            "MAX_SUBSCRIPTIONS_PER_CLIENT",
            `max_subscriptions_per_client ${maxPerClient} reached`,
          ),
        );
      }
      const sub: SubscriptionImpl = new SubscriptionImpl(
        subscriber,
        query,
        queryKey,
        bufferSize,
        () => {
          if (sub.endReason === undefined) {
            remove(sub, "UNSUBSCRIBED");
            sub.notify(onListenerError);
          }
        },
      );
      let entry = byQuery.get(queryKey);
      if (entry === undefined) {
        const compiled = compileQuery(query);
        entry = { compiled, subs: new Map(), key: indexKeyOf(compiled) };
        byQuery.set(queryKey, entry);
        addEntry(entry);
      }
      entry.subs.set(subscriber, sub);
      if (mine === undefined) bySubscriber.set(subscriber, new Map([[queryKey, sub]]));
      else mine.set(queryKey, sub);
      return ok(sub);
    },

    unsubscribe(subscriber, queryInput) {
      const resolved = resolveQuery(queryInput);
      if (!resolved.ok) return resolved;
      const sub = bySubscriber.get(subscriber)?.get(queryToString(resolved.value));
      if (sub === undefined) {
        return err(new QosError("SUBSCRIPTION_NOT_FOUND", "subscription not found"));
      }
      remove(sub, "UNSUBSCRIBED");
      sub.notify(onListenerError);
      return ok(undefined);
    },

    unsubscribeAll(subscriber) {
      const mine = bySubscriber.get(subscriber);
      if (mine === undefined) {
        return err(new QosError("SUBSCRIPTION_NOT_FOUND", "subscription not found"));
      }
      const subs = [...mine.values()];
      for (const sub of subs) remove(sub, "UNSUBSCRIBED");
      for (const sub of subs) sub.notify(onListenerError);
      return ok(undefined);
    },

    publish(event) {
      let delivered = 0;
      const touched: SubscriptionImpl[] = [];
      for (const entry of candidatesFor(event.events)) {
        if (!entry.compiled.matches(event.events)) continue;
        for (const sub of [...entry.subs.values()]) {
          if (sub.push(event)) delivered++;
          else remove(sub, "OUT_OF_CAPACITY");
          touched.push(sub);
        }
      }
      for (const sub of touched) sub.notify(onListenerError);
      return delivered;
    },

    mayMatchEventType(tmEvent) {
      if (unkeyed.size > 0) return true;
      for (const [tag, byValue] of keyed) {
        if (tag !== "tm.event" || byValue.has(tmEvent)) return true;
      }
      return false;
    },

    numClients: () => bySubscriber.size,
    numClientSubscriptions: (subscriber) => bySubscriber.get(subscriber)?.size ?? 0,

    close() {
      if (closed) return;
      closed = true;
      const all = [...bySubscriber.values()].flatMap((m) => [...m.values()]);
      for (const sub of all) remove(sub, "BUS_CLOSED");
      for (const sub of all) sub.notify(onListenerError);
    },
  };
  return bus;
}
