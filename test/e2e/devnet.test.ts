// Smoke test of `qos devnet` (what `npm start` runs after building): it creates its node home
// on first use, commits blocks a cosmjs client can read, stops cleanly on SIGTERM and resumes
// the same chain on the next run.

import { connectComet, isComet38Client } from "@cosmjs/tendermint-rpc";
import { afterAll, describe, expect, it } from "vitest";
import {
  freePortBlock,
  latestHeight,
  makeTempDir,
  type RunningNode,
  spawnCli,
  stopOrKill,
  waitFor,
  waitForHeight,
} from "./harness.ts";

const dir = makeTempDir("qos-e2e-devnet-");
const running: RunningNode[] = [];

afterAll(async () => {
  for (const n of running) await stopOrKill(n);
  dir.remove();
});

async function startDevnet(basePort: number): Promise<RunningNode> {
  // node0's RPC is basePort + 1 (qos testnet's port layout).
  const node = spawnCli(
    ["devnet", "--dir", dir.path, "--starting-port", String(basePort)],
    basePort + 1,
  );
  running.push(node);
  await waitFor("the devnet's RPC", async () => {
    if (node.proc.exitCode !== null) throw new Error(`devnet exited:\n${node.output()}`);
    return (await latestHeight(node.rpc)) >= 1n ? true : undefined;
  });
  return node;
}

describe("qos devnet", () => {
  it("runs a 4-validator chain, stops cleanly and resumes it", async () => {
    const base = await freePortBlock(4);
    const first = await startDevnet(base);
    expect(first.output()).toMatch(/created a 4-validator devnet/);
    const h1 = await waitForHeight(first.rpc, 2n);
    const client = await connectComet(first.rpc);
    try {
      expect(isComet38Client(client)).toBe(true);
      const st = await client.status();
      expect(st.nodeInfo.network).toBe("qos-devnet");
      expect(st.validatorInfo.votingPower).toBeGreaterThan(0n);
      const vals = await client.validators({ height: Number(h1) });
      expect(vals.total).toBe(4);
    } finally {
      client.disconnect();
    }
    expect(await first.stop()).toBe(0);

    // The second run keeps the home and the chain: no new genesis, heights go on.
    const second = await startDevnet(base);
    expect(second.output()).not.toMatch(/created a 4-validator devnet/);
    const h2 = await waitForHeight(second.rpc, h1 + 1n);
    expect(h2).toBeGreaterThan(h1);
    const b1 = await fetch(`${second.rpc}/block?height=1`).then(
      (r) => r.json() as Promise<{ result: { block: { header: { chain_id: string } } } }>,
    );
    expect(b1.result.block.header.chain_id).toBe("qos-devnet");
    expect(await second.stop()).toBe(0);
  }, 60_000);
});
