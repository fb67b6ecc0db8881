// Controllable TCP proxies on loopback for partition tests: one listening port per directed
// link (node i dials node j through link i→j), each of which can be cut and healed.

import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface LinkStats {
  /** Connections accepted and forwarded to the target. */
  readonly forwarded: number;
  /** Connections refused (reset at once) while the link was cut. */
  readonly refused: number;
  /** Live sockets destroyed by cut(). */
  readonly severed: number;
  /** Bytes forwarded, both ways. */
  readonly bytes: number;
  /** Connections open now. */
  readonly live: number;
}

/** A TCP proxy on 127.0.0.1:`port` that forwards every connection to 127.0.0.1:`targetPort`. */
export interface LinkProxy {
  readonly port: number;
  readonly targetPort: number;
  /** Destroys every live connection (both sockets, with a reset) and refuses new ones. */
  cut(): void;
  /** Accepts and forwards connections again (the nodes redial by themselves). */
  heal(): void;
  isCut(): boolean;
  stats(): LinkStats;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port (or `listenPort`) forwarding to `targetPort`. */
export async function startLinkProxy(targetPort: number, listenPort = 0): Promise<LinkProxy> {
  const pairs = new Set<{ readonly a: Socket; readonly b: Socket }>();
  let cut = false;
  let forwarded = 0;
  let refused = 0;
  let severed = 0;
  let bytes = 0;

  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    if (cut) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    forwarded++;
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    upstream.setNoDelay(true);
    const pair = { a: client, b: upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on("data", (d: Buffer) => {
      bytes += d.length;
    });
    upstream.on("data", (d: Buffer) => {
      bytes += d.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : listenPort;

  return {
    port,
    targetPort,
    cut() {
      cut = true;
      for (const pair of [...pairs]) {
        severed++;
        pairs.delete(pair);
        pair.a.resetAndDestroy();
        pair.b.resetAndDestroy();
      }
    },
    heal() {
      cut = false;
    },
    isCut: () => cut,
    stats: () => ({ forwarded, refused, severed, bytes, live: pairs.size }),
    async close() {
      for (const pair of [...pairs]) {
        pair.a.destroy();
        pair.b.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A proxy for every ordered pair of nodes: node i reaches node j only through link(i, j),
 * whose target is node j's real p2p port. A connection between i and j may have been
 * dialled either way, so partitions cut both directions.
 */
export interface ProxyMesh {
  readonly size: number;
  link(from: number, to: number): LinkProxy;
  /** `id@127.0.0.1:port,…`: node `from`'s persistent peers, every other node through its proxy. */
  persistentPeers(from: number, nodeIds: readonly string[]): string;
  /** Cuts every link to and from `node`. */
  isolate(node: number): void;
  /** Cuts the links between `a` and `b`, both ways. */
  cutBetween(a: number, b: number): void;
  /** Heals every link. */
  healAll(): void;
  /** Nodes with at least one cut link. */
  cutNodes(): number[];
  close(): Promise<void>;
}

export async function startProxyMesh(p2pPorts: readonly number[]): Promise<ProxyMesh> {
  const n = p2pPorts.length;
  const links = new Map<string, LinkProxy>();
  try {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j) links.set(`${i}>${j}`, await startLinkProxy(p2pPorts[j] as number));
      }
    }
  } catch (e) {
    await Promise.all([...links.values()].map((l) => l.close()));
    throw e;
  }
  const link = (from: number, to: number): LinkProxy => {
    const l = links.get(`${from}>${to}`);
    if (l === undefined) throw new Error(`no proxy link ${from}→${to} in a mesh of ${n}`);
    return l;
  };
  const cutBetween = (a: number, b: number) => {
    link(a, b).cut();
    link(b, a).cut();
  };
  return {
    size: n,
    link,
    persistentPeers(from, nodeIds) {
      const out: string[] = [];
      for (let j = 0; j < n; j++) {
        if (j !== from) out.push(`${nodeIds[j]}@127.0.0.1:${link(from, j).port}`);
      }
      return out.join(",");
    },
    isolate(node) {
      for (let j = 0; j < n; j++) if (j !== node) cutBetween(node, j);
    },
    cutBetween,
    healAll() {
      for (const l of links.values()) l.heal();
    },
    cutNodes() {
      const out = new Set<number>();
      for (const [key, l] of links) {
        if (!l.isCut()) continue;
        const [from, to] = key.split(">").map(Number);
        out.add(from as number);
        out.add(to as number);
      }
      return [...out].sort((a, b) => a - b);
    },
    async close() {
      await Promise.all([...links.values()].map((l) => l.close()));
    },
  };
}
