// The CometBFT-compatible JSON-RPC server (`rpc/jsonrpc/server`): HTTP POST (single and batch),
// URI GET, the endpoint list at `/`, and the `/websocket` endpoint with event subscriptions.

import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { WebSocketServer } from "ws";
import type { EventBus } from "../events/eventBus.ts";
import { DEFAULT_SUBSCRIPTION_BUFFER_SIZE } from "../events/eventBus.ts";
import { dispatchRequest, encodeResponse, invokeMethod } from "./dispatch.ts";
import { parseListenAddress } from "./listenAddress.ts";
import {
  type AnyRpcMethod,
  decodeUriParams,
  type MethodRegistry,
  type RpcContext,
} from "./registry.ts";
import {
  type JsonRpcId,
  type JsonRpcResponse,
  RPC_INTERNAL_ERROR,
  RPC_INVALID_PARAMS,
  RPC_INVALID_REQUEST,
  RPC_METHOD_NOT_FOUND,
  RPC_PARSE_ERROR,
  rpcErrorResponse,
} from "./rpcError.ts";
import { createWsConnection, WS_METHOD_NAMES, type WsConnection } from "./wsConnection.ts";

export interface RpcServerOptions {
  /** `rpc.laddr`, e.g. `tcp://127.0.0.1:26657` (port 0 picks a free port). */
  readonly laddr: string;
  /** `rpc.max_body_bytes` (default 1_000_000); also the websocket message limit. */
  readonly maxBodyBytes?: number;
  /** `rpc.max_open_connections` (default 900; 0 = unlimited). */
  readonly maxOpenConnections?: number;
  /** `rpc.max_request_batch_size` (default 10; 0 = unlimited). */
  readonly maxRequestBatchSize?: number;
  /** `rpc.max_subscription_clients` (default 100). */
  readonly maxSubscriptionClients?: number;
  /** `rpc.max_subscriptions_per_client` (default 5). */
  readonly maxSubscriptionsPerClient?: number;
  /** `rpc.experimental_subscription_buffer_size` (default 200). */
  readonly subscriptionBufferSize?: number;
  /** `rpc.experimental_websocket_write_buffer_size` (default 200). */
  readonly websocketWriteBufferSize?: number;
  /** `rpc.cors_allowed_origins` (default none: no CORS headers). `*` allows any origin. */
  readonly corsAllowedOrigins?: readonly string[];
  /** `rpc.cors_allowed_methods` (default HEAD, GET, POST). */
  readonly corsAllowedMethods?: readonly string[];
  /** `rpc.cors_allowed_headers`. */
  readonly corsAllowedHeaders?: readonly string[];
  /** `rpc.timeout_broadcast_tx_commit` in ms (default 10_000), handed to handlers. */
  readonly timeoutBroadcastTxCommitMs?: number;
  /** Websocket ping period (default 27_000, CometBFT's 30 s read wait × 0.9). */
  readonly websocketPingIntervalMs?: number;
}

export interface RpcServerDeps {
  readonly logger: Logger;
  readonly registry: MethodRegistry;
  readonly eventBus: EventBus;
}

export interface RpcServer {
  /** The bound address (read the port back after binding port 0). */
  address(): { readonly host: string; readonly port: number };
  /** Open websocket connections. */
  websocketCount(): number;
  /**
   * Stops accepting, closes websockets (1001), aborts `ctx.signal` of running handlers and
   * resolves once every connection is closed (a handler that ignores its signal delays this).
   */
  close(): Promise<void>;
}

const DEFAULT_CORS_METHODS = ["HEAD", "GET", "POST"];
const DEFAULT_CORS_HEADERS = [
  "Origin",
  "Accept",
  "Content-Type",
  "X-Requested-With",
  "X-Server-Time",
];
const URI_REQUEST_ID = -1;

function remoteOf(req: IncomingMessage): string {
  const s = req.socket;
  return `${s.remoteAddress ?? "unknown"}:${s.remotePort ?? 0}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function originAllowed(origin: string, allowed: readonly string[]): boolean {
  return allowed.some((pattern) => {
    if (pattern === "*") return true;
    const star = pattern.indexOf("*");
    if (star < 0) return pattern.toLowerCase() === origin.toLowerCase();
    const prefix = pattern.slice(0, star).toLowerCase();
    const suffix = pattern.slice(star + 1).toLowerCase();
    const o = origin.toLowerCase();
    return o.length >= prefix.length + suffix.length && o.startsWith(prefix) && o.endsWith(suffix);
  });
}

/** Starts listening; resolves once bound. Throws if the address is invalid or taken. */
export async function createRpcServer(
  opts: RpcServerOptions,
  deps: RpcServerDeps,
): Promise<RpcServer> {
  const { logger, registry, eventBus } = deps;
  const addr = parseListenAddress(opts.laddr);
  if (!addr.ok) throw addr.error;
  for (const name of WS_METHOD_NAMES) {
    if (registry.has(name)) throw new Error(`RPC method "${name}" is built into the server`);
  }
  const maxBodyBytes = opts.maxBodyBytes ?? 1_000_000;
  const maxBatch = opts.maxRequestBatchSize ?? 10;
  const corsOrigins = opts.corsAllowedOrigins ?? [];
  const corsMethods = (opts.corsAllowedMethods ?? DEFAULT_CORS_METHODS).map((m) => m.toUpperCase());
  const corsHeaders = opts.corsAllowedHeaders ?? DEFAULT_CORS_HEADERS;
  const timeoutBroadcastTxCommitMs = opts.timeoutBroadcastTxCommitMs ?? 10_000;
  const serverController = new AbortController();

  const app = Fastify({
    logger: false,
    bodyLimit: maxBodyBytes,
    forceCloseConnections: "idle",
    return503OnClosing: true,
  });
  const maxOpen = opts.maxOpenConnections ?? 900;
  if (maxOpen > 0) app.server.maxConnections = maxOpen;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

  /** Aborted when the server closes or the response closes before it was sent in full. */
  function requestSignal(reply: FastifyReply): AbortSignal {
    const controller = new AbortController();
    const res = reply.raw;
    if (serverController.signal.aborted || (res.closed && !res.writableFinished)) {
      controller.abort();
      return controller.signal;
    }
    const onServerAbort = () => controller.abort();
    serverController.signal.addEventListener("abort", onServerAbort, { once: true });
    res.once("close", () => {
      serverController.signal.removeEventListener("abort", onServerAbort);
      if (!res.writableFinished) controller.abort();
    });
    return controller.signal;
  }

  /**
   * The handler's context. The abort signal (an AbortController and two listeners) is made
   * only for a handler that reads it: most calls answer at once and never do.
   */
  function httpContext(
    req: FastifyRequest,
    reply: FastifyReply,
    id: JsonRpcId,
    transport: "http" | "uri",
  ): RpcContext {
    let signal: AbortSignal | undefined;
    return {
      transport,
      remoteAddr: remoteOf(req.raw),
      id,
      get signal() {
        signal ??= requestSignal(reply);
        return signal;
      },
      timeoutBroadcastTxCommitMs,
    };
  }

  /**
   * A JSON answer written to the response directly: fastify's send pipeline (payload checks,
   * onSend hooks, header bookkeeping in safeWriteHead) cost a few percent of the main thread
   * when every broadcast_tx_sync is one request. Headers set earlier on the reply (CORS,
   * `connection: close`) are kept.
   */
  function sendJson(reply: FastifyReply, status: number, body: string): FastifyReply {
    const payload = Buffer.from(body, "utf8");
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) headers[name] = value;
    }
    headers["content-type"] = "application/json";
    headers["content-length"] = payload.length;
    reply.hijack();
    reply.raw.writeHead(status, headers);
    reply.raw.end(payload);
    return reply;
  }

  function sendError(reply: FastifyReply, status: number, response: JsonRpcResponse): FastifyReply {
    return sendJson(reply, status, encodeResponse(response));
  }

  function applyCors(req: FastifyRequest, reply: FastifyReply): void {
    const origin = req.headers.origin;
    if (origin === undefined || corsOrigins.length === 0) return;
    if (!originAllowed(origin, corsOrigins)) return;
    reply.header("access-control-allow-origin", corsOrigins.includes("*") ? "*" : origin);
    reply.header("vary", "Origin");
  }

  // No CORS origins configured (the default): no hook at all, so a request skips one async
  // hook (a promise per request) in fastify's pipeline.
  if (corsOrigins.length > 0) {
    app.addHook("onRequest", (req, reply, done) => {
      applyCors(req, reply);
      done();
    });
  }

  app.setErrorHandler((error: { code?: string; message?: string }, _req, reply) => {
    if (
      error.code === "FST_ERR_CTP_BODY_TOO_LARGE" ||
      error.code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH"
    ) {
      // CometBFT: http.MaxBytesReader fails the read → 400 + -32600 (http_json_handler.go).
      reply.header("connection", "close");
      return sendError(
        reply,
        400,
        rpcErrorResponse(
          null,
          RPC_INVALID_REQUEST,
          `error reading request body: http: request body too large (limit ${maxBodyBytes} bytes)`,
        ),
      );
    }
    logger.error({ err: error }, "RPC HTTP request failed");
    return sendError(
      reply,
      500,
      rpcErrorResponse(URI_REQUEST_ID, RPC_INTERNAL_ERROR, error.message ?? "internal error"),
    );
  });

  app.setNotFoundHandler((req, reply) => {
    if (req.method === "OPTIONS") return reply.code(204).send();
    return sendError(
      reply,
      404,
      rpcErrorResponse(
        URI_REQUEST_ID,
        RPC_METHOD_NOT_FOUND,
        `no endpoint at ${req.method} ${req.url.split("?")[0]}`,
      ),
    );
  });

  function lookupHttp(name: string): AnyRpcMethod | undefined {
    return registry.get(name);
  }

  function listEndpoints(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const host = escapeHtml(req.headers.host ?? "");
    const all: [string, readonly string[]][] = [
      ...[...registry].map(([name, m]): [string, readonly string[]] => [
        name,
        Object.keys(m.params),
      ]),
      ["subscribe", ["query"]],
      ["unsubscribe", ["query"]],
      ["unsubscribe_all", []],
    ];
    all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let html = "<html><body><br>Available endpoints:<br>";
    for (const [name, args] of all) {
      if (args.length === 0) html += `<a href="//${host}/${name}">//${host}/${name}</a></br>`;
    }
    html += "<br>Endpoints that require arguments:<br>";
    for (const [name, args] of all) {
      if (args.length === 0) continue;
      const link = `//${host}/${name}?${args.map((a) => `${a}=_`).join("&")}`;
      html += `<a href="${link}">${link}</a></br>`;
    }
    html += "</body></html>";
    return reply.code(200).header("content-type", "text/html").send(html);
  }

  app.options("*", async (req, reply) => {
    const origin = req.headers.origin;
    const method = String(req.headers["access-control-request-method"] ?? "").toUpperCase();
    if (
      origin !== undefined &&
      originAllowed(origin, corsOrigins) &&
      corsMethods.includes(method)
    ) {
      reply.header("access-control-allow-methods", method);
      const requested = req.headers["access-control-request-headers"];
      if (typeof requested === "string" && requested !== "") {
        const wanted = requested
          .split(",")
          .map((h) => h.trim())
          .filter((h) => h !== "");
        const lower = corsHeaders.map((h) => h.toLowerCase());
        if (wanted.every((h) => lower.includes(h.toLowerCase()))) {
          reply.header("access-control-allow-headers", wanted.join(", "));
        }
      }
    }
    return reply.code(204).send();
  });

  app.get("/", async (req, reply) => listEndpoints(req, reply));

  async function handleUri(
    req: FastifyRequest,
    reply: FastifyReply,
    name: string,
  ): Promise<FastifyReply> {
    if (name === "websocket") {
      return reply
        .code(400)
        .header("content-type", "text/plain")
        .send("Bad Request: use a websocket upgrade\n");
    }
    const method = registry.get(name);
    if (method === undefined) {
      const why = WS_METHOD_NAMES.includes(name)
        ? `method "${name}" is only available over the websocket`
        : `method "${name}" does not exist`;
      return sendError(reply, 404, rpcErrorResponse(URI_REQUEST_ID, RPC_METHOD_NOT_FOUND, why));
    }
    const query = new URL(req.url, "http://localhost").searchParams;
    const params = decodeUriParams(method.params, query);
    if (!params.ok) {
      // CometBFT answers URI param errors with HTTP 500 (http_uri_handler.go).
      return sendError(
        reply,
        500,
        rpcErrorResponse(URI_REQUEST_ID, RPC_INVALID_PARAMS, params.error),
      );
    }
    const response = await invokeMethod(
      method,
      name,
      params.value,
      httpContext(req, reply, URI_REQUEST_ID, "uri"),
      logger,
    );
    return sendJson(reply, "error" in response ? 500 : 200, encodeResponse(response));
  }

  app.get<{ Params: { method: string } }>("/:method", async (req, reply) =>
    handleUri(req, reply, req.params.method),
  );
  app.post<{ Params: { method: string } }>("/:method", async (req, reply) =>
    handleUri(req, reply, req.params.method),
  );

  app.post("/", async (req, reply) => {
    const body = typeof req.body === "string" ? req.body : "";
    if (body.trim() === "") return listEndpoints(req, reply);
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return sendError(
        reply,
        500,
        rpcErrorResponse(null, RPC_PARSE_ERROR, `error unmarshaling request: ${why}`),
      );
    }
    const env = {
      lookup: lookupHttp,
      context: (id: JsonRpcId) => httpContext(req, reply, id, "http"),
      logger,
    };
    if (Array.isArray(raw)) {
      if (raw.length === 0) {
        return sendError(reply, 200, rpcErrorResponse(null, RPC_INVALID_REQUEST, "empty batch"));
      }
      if (maxBatch > 0 && raw.length > maxBatch) {
        return sendError(
          reply,
          400,
          rpcErrorResponse(
            null,
            RPC_INVALID_REQUEST,
            `maximum JSON-RPC batch size exceeded, got: ${raw.length}, max: ${maxBatch}`,
          ),
        );
      }
      const parts: string[] = [];
      for (const item of raw) {
        const response = await dispatchRequest(item, env);
        if (response !== undefined) parts.push(encodeResponse(response));
      }
      if (parts.length === 0) return reply.code(200).send();
      return sendJson(reply, 200, `[${parts.join(",")}]`);
    }
    if (typeof raw !== "object" || raw === null) {
      return sendError(
        reply,
        500,
        rpcErrorResponse(
          null,
          RPC_INVALID_REQUEST,
          "the body must be a JSON-RPC request object or a batch array",
        ),
      );
    }
    const response = await dispatchRequest(raw, env);
    if (response === undefined) return reply.code(200).send();
    return sendJson(reply, 200, encodeResponse(response));
  });

  // Websocket endpoint.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes });
  const connections = new Set<WsConnection>();
  let connectionSeq = 0;
  const wsEnv = {
    logger,
    eventBus,
    lookup: lookupHttp,
    maxSubscriptionClients: opts.maxSubscriptionClients ?? 100,
    maxSubscriptionsPerClient: opts.maxSubscriptionsPerClient ?? 5,
    subscriptionBufferSize: opts.subscriptionBufferSize ?? DEFAULT_SUBSCRIPTION_BUFFER_SIZE,
    writeCapacity: opts.websocketWriteBufferSize ?? 200,
    timeoutBroadcastTxCommitMs,
  };
  app.server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/websocket" || serverController.signal.aborted) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const remote = remoteOf(req);
      connectionSeq++;
      const conn = createWsConnection(ws, socket, remote, `${remote}#${connectionSeq}`, wsEnv);
      connections.add(conn);
      ws.once("close", () => connections.delete(conn));
      logger.info({ remote }, "websocket connected");
    });
  });
  const pingTimer = setInterval(() => {
    for (const conn of [...connections]) conn.tick();
  }, opts.websocketPingIntervalMs ?? 27_000);
  pingTimer.unref();

  try {
    await app.listen({ host: addr.value.host, port: addr.value.port });
  } catch (e) {
    clearInterval(pingTimer);
    await app.close();
    throw e;
  }
  const bound = app.server.address() as AddressInfo;
  logger.info({ address: `${bound.address}:${bound.port}` }, "RPC server listening");

  let closing: Promise<void> | undefined;
  return {
    address: () => ({ host: bound.address, port: bound.port }),
    websocketCount: () => connections.size,
    close() {
      closing ??= (async () => {
        clearInterval(pingTimer);
        serverController.abort();
        await Promise.all([...connections].map((c) => c.close(1000)));
        wss.close();
        await app.close();
        logger.info("RPC server stopped");
      })();
      return closing;
    },
  };
}
