// One channel between two p2p networks on loopback (libp2p tcp + noise + yamux): messages/s
// and MB/s for small (256 B) and large (64 KiB) messages, sent as fast as the queue takes them.

import { afterAll, beforeAll, bench, describe } from "vitest";
import type { Channel } from "../../src/p2p/p2pNetwork.ts";
import { addressOf, isConnected, makeNode, type TestNode, waitFor } from "./p2pHarness.ts";

let a: TestNode;
let b: TestNode;
let chA: Channel;
let received = 0;

beforeAll(async () => {
  a = makeNode();
  chA = a.net.registerChannel(
    { id: 0x30, name: "bench", maxMessageBytes: 1 << 20, sendQueueCapacity: 1 << 16 },
    () => {},
  );
  await a.net.start();
  b = makeNode({ persistentPeers: [addressOf(a.net)] });
  b.net.registerChannel(
    { id: 0x30, name: "bench", maxMessageBytes: 1 << 20, sendQueueCapacity: 1 << 16 },
    () => {
      received++;
    },
  );
  await b.net.start();
  await waitFor(() => isConnected(a.net, b.net), "the two nodes");
});

afterAll(async () => {
  await b.net.stop();
  await a.net.stop();
});

/** Sends `count` messages of `size` bytes from a to b and waits until b has them all. */
async function burst(count: number, size: number): Promise<void> {
  const msg = new Uint8Array(size).fill(7);
  const target = received + count;
  let sent = 0;
  while (sent < count) {
    // Keep at most 8192 in the queue: the bench measures the pipe, not drops.
    while (sent < count && sent - (received - (target - count)) < 8192) {
      if (!chA.send(b.net.nodeId, msg)) break;
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  while (received < target) await new Promise((r) => setImmediate(r));
}

describe("p2p one channel, two nodes on loopback", () => {
  bench("10,000 messages of 256 B", () => burst(10_000, 256), {
    iterations: 10,
    warmupIterations: 2,
  });
  bench("1,000 messages of 64 KiB", () => burst(1_000, 64 * 1024), {
    iterations: 10,
    warmupIterations: 2,
  });
});
