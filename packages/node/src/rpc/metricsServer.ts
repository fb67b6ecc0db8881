// The Prometheus endpoint (`instrumentation.prometheus_listen_addr`, default `:26660`):
// a tiny HTTP server serving a prom-client registry at `/metrics`.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { parseListenAddress } from "./listenAddress.ts";

export interface MetricsServerOptions {
  /** e.g. `:26660`, `127.0.0.1:0`, `tcp://0.0.0.0:26660`. */
  readonly laddr: string;
}

export interface MetricsServerDeps {
  readonly registry: Registry;
  readonly logger: Logger;
}

export interface MetricsServer {
  address(): { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

export const DEFAULT_PROMETHEUS_LISTEN_ADDR = ":26660";

export async function createMetricsServer(
  opts: MetricsServerOptions,
  deps: MetricsServerDeps,
): Promise<MetricsServer> {
  const addr = parseListenAddress(opts.laddr);
  if (!addr.ok) throw addr.error;
  const { registry, logger } = deps;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found\n");
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (e: unknown) => {
        logger.error({ err: e }, "collecting metrics failed");
        res.writeHead(500, { "content-type": "text/plain" }).end("collecting metrics failed\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(addr.value.port, addr.value.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  logger.info({ address: `${bound.address}:${bound.port}` }, "metrics server listening");
  let closing: Promise<void> | undefined;
  return {
    address: () => ({ host: bound.address, port: bound.port }),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((e) => (e === undefined ? resolve() : reject(e)));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
