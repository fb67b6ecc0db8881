// One websocket client (CometBFT `ws_handler.go` + `rpc/core/events.go`): JSON-RPC calls,
// per-connection subscribe/unsubscribe/unsubscribe_all, event fan-out with write backpressure.

import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import type { BusEvent, EventBus, Subscription } from "../events/eventBus.ts";
import { parseQuery } from "../events/query.ts";
import { dispatchRequest, encodeResponse } from "./dispatch.ts";
import { encodeJson } from "./jsonEncode.ts";
import { param } from "./params.ts";
import { type AnyRpcMethod, defineMethod, type RpcContext } from "./registry.ts";
import {
  type JsonRpcId,
  RPC_INVALID_REQUEST,
  RPC_PARSE_ERROR,
  RPC_SERVER_ERROR,
  RpcError,
  rpcErrorResponse,
} from "./rpcError.ts";

/** CometBFT refuses longer subscription queries (`rpc/core/events.go` maxQueryLength). */
export const MAX_QUERY_LENGTH = 512;

/** The websocket-only methods every connection gets. */
export const WS_METHOD_NAMES: readonly string[] = ["subscribe", "unsubscribe", "unsubscribe_all"];

export interface WsConnectionEnv {
  readonly logger: Logger;
  readonly eventBus: EventBus;
  readonly lookup: (name: string) => AnyRpcMethod | undefined;
  readonly maxSubscriptionClients: number;
  readonly maxSubscriptionsPerClient: number;
  readonly subscriptionBufferSize: number;
  /** Messages written to the socket and not yet flushed before events are held back. */
  readonly writeCapacity: number;
  readonly timeoutBroadcastTxCommitMs: number;
}

export interface WsConnection {
  readonly subscriber: string;
  /** Called by the keepalive timer: false if no pong/message arrived since the last tick. */
  tick(): boolean;
  /** Sends a close frame (code 1001) and resolves once the socket is closed. */
  close(timeoutMs: number): Promise<void>;
}

interface SubscriptionEntry {
  readonly sub: Subscription;
  readonly id: JsonRpcId;
  readonly queryText: string;
  /** Events wait until the subscribe call's own response has been written. */
  ready: boolean;
  removeListener: () => void;
}

// One event is usually sent to many subscribers: encode its data and events once.
const encodedEvents = new WeakMap<BusEvent, string | null>();

/** `"data":…,"events":…` of an event, or undefined if it cannot be serialised (logged once). */
function encodedEvent(event: BusEvent, logger: Logger): string | undefined {
  let body = encodedEvents.get(event);
  if (body === undefined) {
    try {
      body = `"data":${encodeJson(event.data)},"events":${encodeJson(event.events)}`;
    } catch (e) {
      logger.error({ err: e, type: event.data.type }, "event payload is not serialisable");
      body = null;
    }
    encodedEvents.set(event, body);
  }
  return body ?? undefined;
}

interface RequestToken {
  afterResponse?: () => void;
}

export function createWsConnection(
  ws: WebSocket,
  /** The connection's TCP socket (the upgrade's): writes made in one event-loop turn are corked into one. */
  socket: Pick<Socket, "cork" | "uncork"> | null,
  remoteAddr: string,
  subscriber: string,
  env: WsConnectionEnv,
): WsConnection {
  const { logger, eventBus } = env;
  const controller = new AbortController();
  const entries = new Map<string, SubscriptionEntry>();
  const tokens = new WeakMap<RpcContext, RequestToken>();
  let inFlight = 0;
  let alive = true;
  let closed = false;

  let corked = false;
  /**
   * Holds this turn's writes in the socket until its immediates run, so the answers to a burst
   * of requests (pipelined broadcasts answered together) leave in one writev, not one each.
   */
  function corkForThisTurn(): void {
    if (corked || socket === null) return;
    corked = true;
    socket.cork();
    setImmediate(() => {
      corked = false;
      socket.uncork();
    });
  }

  function send(text: string): void {
    if (ws.readyState !== ws.OPEN) return;
    corkForThisTurn();
    inFlight++;
    ws.send(text, () => {
      inFlight--;
      drainAll();
    });
  }

  function drain(key: string, entry: SubscriptionEntry): void {
    if (entries.get(key) !== entry || !entry.ready) return;
    while (inFlight < env.writeCapacity) {
      const event = entry.sub.take();
      if (event === undefined) break;
      const body = encodedEvent(event, logger);
      if (body === undefined) continue;
      send(
        `{"jsonrpc":"2.0","id":${encodeJson(entry.id)},"result":{"query":${encodeJson(entry.queryText)},${body}}}`,
      );
    }
    const reason = entry.sub.endReason;
    if (reason === undefined) return;
    entries.delete(key);
    entry.removeListener();
    if (reason.code !== "UNSUBSCRIBED" && !closed) {
      logger.info(
        { remote: remoteAddr, query: entry.queryText, reason: reason.message },
        "subscription canceled",
      );
      send(
        encodeResponse(
          rpcErrorResponse(
            entry.id,
            RPC_SERVER_ERROR,
            `subscription was canceled (reason: ${reason.message})`,
          ),
        ),
      );
    }
  }

  function drainAll(): void {
    for (const [key, entry] of [...entries]) drain(key, entry);
  }

  const builtins: ReadonlyMap<string, AnyRpcMethod> = new Map<string, AnyRpcMethod>([
    [
      "subscribe",
      defineMethod({
        params: { query: param.string() },
        handler: ({ query }, ctx) => {
          const mine = eventBus.numClientSubscriptions(subscriber);
          if (mine === 0 && eventBus.numClients() >= env.maxSubscriptionClients) {
            throw RpcError.internal(
              `max_subscription_clients ${env.maxSubscriptionClients} reached`,
            );
          }
          if (mine >= env.maxSubscriptionsPerClient) {
            throw RpcError.internal(
              `max_subscriptions_per_client ${env.maxSubscriptionsPerClient} reached`,
            );
          }
          if (query.length > MAX_QUERY_LENGTH) {
            throw RpcError.internal("maximum query length exceeded");
          }
          const parsed = parseQuery(query);
          if (!parsed.ok) throw RpcError.internal(`failed to parse query: ${parsed.error.message}`);
          const r = eventBus.subscribe(subscriber, parsed.value, env.subscriptionBufferSize);
          if (!r.ok) throw RpcError.internal(r.error.message);
          const sub = r.value;
          const key = sub.queryKey;
          const entry: SubscriptionEntry = {
            sub,
            id: ctx.id,
            queryText: query,
            ready: false,
            removeListener: () => {},
          };
          entry.removeListener = sub.onChange(() => drain(key, entry));
          entries.set(key, entry);
          const token = tokens.get(ctx);
          if (token !== undefined) {
            token.afterResponse = () => {
              entry.ready = true;
              drain(key, entry);
            };
          }
          logger.info({ remote: remoteAddr, query }, "subscribed");
          return {};
        },
      }),
    ],
    [
      "unsubscribe",
      defineMethod({
        params: { query: param.string() },
        handler: ({ query }) => {
          const parsed = parseQuery(query);
          if (!parsed.ok) throw RpcError.internal(`failed to parse query: ${parsed.error.message}`);
          const r = eventBus.unsubscribe(subscriber, parsed.value);
          if (!r.ok) throw RpcError.internal(r.error.message);
          return {};
        },
      }),
    ],
    [
      "unsubscribe_all",
      defineMethod({
        params: {},
        handler: () => {
          const r = eventBus.unsubscribeAll(subscriber);
          if (!r.ok) throw RpcError.internal(r.error.message);
          return {};
        },
      }),
    ],
  ]);

  function context(id: JsonRpcId, token: RequestToken): RpcContext {
    const ctx: RpcContext = {
      transport: "websocket",
      remoteAddr,
      id,
      signal: controller.signal,
      timeoutBroadcastTxCommitMs: env.timeoutBroadcastTxCommitMs,
    };
    tokens.set(ctx, token);
    return ctx;
  }

  async function onMessage(text: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      send(
        encodeResponse(
          rpcErrorResponse(null, RPC_PARSE_ERROR, `error unmarshaling request: ${why}`),
        ),
      );
      return;
    }
    if (Array.isArray(raw)) {
      send(
        encodeResponse(
          rpcErrorResponse(
            null,
            RPC_INVALID_REQUEST,
            "batch requests are not supported over websocket",
          ),
        ),
      );
      return;
    }
    const token: RequestToken = {};
    const response = await dispatchRequest(raw, {
      lookup: (name) => builtins.get(name) ?? env.lookup(name),
      context: (id) => context(id, token),
      logger,
    });
    if (response !== undefined) send(encodeResponse(response));
    token.afterResponse?.();
  }

  ws.on("message", (data, isBinary) => {
    alive = true;
    const text = Buffer.isBuffer(data)
      ? data.toString("utf8")
      : Array.isArray(data)
        ? Buffer.concat(data).toString("utf8")
        : Buffer.from(data).toString("utf8");
    if (isBinary) logger.debug({ remote: remoteAddr }, "binary websocket message read as text");
    onMessage(text).catch((e: unknown) => logger.error({ err: e }, "websocket message failed"));
  });
  ws.on("pong", () => {
    alive = true;
  });
  ws.on("error", (e) => logger.info({ remote: remoteAddr, err: e }, "websocket error"));
  ws.on("close", () => {
    closed = true;
    controller.abort();
    for (const entry of entries.values()) entry.removeListener();
    entries.clear();
    eventBus.unsubscribeAll(subscriber);
    logger.info({ remote: remoteAddr }, "websocket closed");
  });

  return {
    subscriber,
    tick() {
      if (!alive) {
        logger.info({ remote: remoteAddr }, "websocket keepalive timeout");
        ws.terminate();
        return false;
      }
      alive = false;
      if (ws.readyState === ws.OPEN) ws.ping();
      return true;
    },
    close(timeoutMs) {
      if (ws.readyState === ws.CLOSED) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(() => ws.terminate(), timeoutMs);
        ws.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(1001, "server shutting down");
      });
    },
  };
}
