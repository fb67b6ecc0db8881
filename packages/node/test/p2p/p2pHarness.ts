// Test helpers: real libp2p networks on 127.0.0.1 (port 0), in this process.

import { pino } from "pino";
import { Registry } from "prom-client";
import { type Ed25519Key, generateEd25519Key } from "../../src/keyFiles.ts";
import { createP2PMetrics, type P2PMetrics } from "../../src/p2p/p2pMetrics.ts";
import {
  createP2PNetwork,
  type P2PNetwork,
  type P2PNetworkOptions,
} from "../../src/p2p/p2pNetwork.ts";

export const TEST_CHAIN = "p2p-test";
export const silent = pino({ level: process.env.P2P_TEST_LOG ?? "silent" });

export interface TestNode {
  readonly net: P2PNetwork;
  readonly key: Ed25519Key;
  readonly registry: Registry;
  readonly metrics: P2PMetrics;
}

export function makeNode(
  overrides: Partial<P2PNetworkOptions> = {},
  key = generateEd25519Key(),
): TestNode {
  const registry = new Registry();
  const metrics = createP2PMetrics(registry);
  const net = createP2PNetwork(
    {
      chainId: TEST_CHAIN,
      nodeKey: key,
      moniker: "test",
      listenAddr: "tcp://127.0.0.1:0",
      externalAddress: "",
      persistentPeers: [],
      seeds: [],
      pex: false,
      maxInbound: 40,
      maxOutbound: 10,
      allowDuplicateIp: false,
      banDurationMs: 60_000,
      addrBookPath: null,
      handshakeTimeoutMs: 3000,
      ensurePeersPeriodMs: 300,
      redialDelayMs: 100,
      maxRedialDelayMs: 500,
      ...overrides,
    },
    { logger: silent, metrics },
  );
  return { net, key, registry, metrics };
}

/** `id@127.0.0.1:port` of a started network. */
export function addressOf(n: P2PNetwork): string {
  const a = n.listenAddresses()[0];
  if (a === undefined) throw new Error("not listening");
  return `${n.nodeId}@${a}`;
}

/** Polls `cond` until it holds (or fails after `timeoutMs`, a hang guard, not a speed assertion). */
export async function waitFor(
  cond: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const isConnected = (a: P2PNetwork, b: P2PNetwork) =>
  a.peers().some((p) => p.nodeId === b.nodeId) && b.peers().some((p) => p.nodeId === a.nodeId);

export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
) {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  let sum = 0;
  for (const v of (m?.values ?? []) as {
    value: number;
    labels: Record<string, string | number>;
  }[]) {
    if (Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x)) sum += v.value;
  }
  return sum;
}
