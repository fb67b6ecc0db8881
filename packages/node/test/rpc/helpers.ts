// Test helpers: a dummy method registry, a started server, raw HTTP calls and a queued ws client.

import { request } from "node:http";
import { toHex } from "@qos/types";
import pino from "pino";
import WebSocket from "ws";
import { createEventBus, type EventBus } from "../../src/events/eventBus.ts";
import { param } from "../../src/rpc/params.ts";
import { createMethodRegistry, defineMethod, type MethodRegistry } from "../../src/rpc/registry.ts";
import { RpcError } from "../../src/rpc/rpcError.ts";
import { createRpcServer, type RpcServer, type RpcServerOptions } from "../../src/rpc/rpcServer.ts";

export const silentLogger = pino({ level: "silent" });

export interface Waiter {
  release(): void;
  readonly started: Promise<void>;
}

/** A handler the test can hold open (for close / abort tests). */
export function createWaiter(): Waiter & { wait(signal: AbortSignal): Promise<string> } {
  let release = () => {};
  let markStarted = () => {};
  const started = new Promise<void>((r) => {
    markStarted = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  return {
    release: () => release(),
    started,
    wait(signal) {
      markStarted();
      return new Promise((resolve) => {
        if (signal.aborted) resolve("aborted");
        signal.addEventListener("abort", () => resolve("aborted"), { once: true });
        released.then(() => resolve("released"));
      });
    },
  };
}

export function testRegistry(waiter = createWaiter()): MethodRegistry {
  return createMethodRegistry({
    status: defineMethod({
      params: {},
      handler: () => ({
        node_info: { network: "test-chain" },
        sync_info: { latest_block_height: 7n },
      }),
    }),
    echo: defineMethod({
      params: {
        height: param.int64().optional(),
        text: param.string().optional(),
        data: param.bytesHex().optional(),
        tx: param.bytesBase64().optional(),
        flag: param.bool().optional(),
        page: param.int().optional(),
      },
      handler: ({ height, text, data, tx, flag, page }, ctx) => ({
        height,
        text,
        data: data === undefined ? undefined : toHex(data),
        tx,
        flag,
        page,
        transport: ctx.transport,
      }),
    }),
    needs: defineMethod({
      params: { height: param.int64(), prove: param.bool().optional() },
      handler: ({ height }) => {
        if (height <= 0n)
          throw RpcError.internal(`height must be greater than 0, but got ${height}`);
        return { height };
      },
    }),
    boom: defineMethod({
      params: {},
      handler: () => {
        const nothing = undefined as unknown as { field: string };
        return nothing.field;
      },
    }),
    hold: defineMethod({
      params: {},
      handler: async (_p, ctx) => ({ outcome: await waiter.wait(ctx.signal) }),
    }),
  });
}

export interface Started {
  server: RpcServer;
  bus: EventBus;
  base: string;
  ws: string;
}

export async function startServer(
  opts: Partial<RpcServerOptions> = {},
  registry: MethodRegistry = testRegistry(),
): Promise<Started> {
  const bus = createEventBus();
  const server = await createRpcServer(
    { laddr: "tcp://127.0.0.1:0", ...opts },
    { logger: silentLogger, registry, eventBus: bus },
  );
  const { port } = server.address();
  return { server, bus, base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/websocket` };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are inspected loosely in tests
  json: any;
}

/** A raw HTTP request (no client-side JSON handling). */
export function httpRequest(
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? "GET", headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function post(base: string, body: unknown): Promise<RawResponse> {
  return httpRequest(`${base}/`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
}

/** A websocket client that queues incoming JSON messages. */
export class QueuedClient {
  readonly socket: WebSocket;
  // biome-ignore lint/suspicious/noExplicitAny: JSON messages are inspected loosely in tests
  private readonly queue: any[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: see above
  private waiters: ((m: any) => void)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.socket = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("open", () => resolve());
      this.socket.once("error", reject);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.socket.on("message", (data) => {
      const msg = JSON.parse(data.toString());
      const w = this.waiters.shift();
      if (w !== undefined) w(msg);
      else this.queue.push(msg);
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: see above
  next(): Promise<any> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(msg: unknown): void {
    this.socket.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  // biome-ignore lint/suspicious/noExplicitAny: see above
  async call(id: number | string, method: string, params: unknown = {}): Promise<any> {
    this.send({ jsonrpc: "2.0", id, method, params });
    return this.next();
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}
