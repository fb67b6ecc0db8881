// `qos query store` against a running node with the QOS app: presence and absence proofs at the
// latest and at past heights verify against verified headers; a proof, value or key altered on
// the way is refused.

import { sha256 } from "@qos/crypto";
import { concatBytes, toHex } from "@qos/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeRpc, type NodeRpc } from "../../packages/cli/src/client/nodeRpc.ts";
import { queryStore } from "../../packages/cli/src/commands/queryCommands.ts";
import { qos, type SingleNodeChain, startSingleNodeChain, waitForHeight } from "./harness.ts";

// auth stores accounts at 0x01 ‖ address; the fee collector account exists from genesis.
const FEE_COLLECTOR_KEY = concatBytes(
  Uint8Array.of(0x01),
  sha256(new TextEncoder().encode("fee_collector")).subarray(0, 20),
);

let chain: SingleNodeChain;

beforeAll(async () => {
  chain = await startSingleNodeChain({
    prefix: "qos-store-query-",
    chainId: "store-query-chain",
    app: "qos",
  });
  await waitForHeight(chain.rpc, 4n);
}, 60_000);

afterAll(async () => {
  await chain?.close();
});

/** The real node's RPC with one hook that may rewrite abci_query replies. */
function tampered(
  rpc: NodeRpc,
  edit: (r: Awaited<ReturnType<NodeRpc["abciQuery"]>>) => Awaited<ReturnType<NodeRpc["abciQuery"]>>,
): NodeRpc {
  return { ...rpc, abciQuery: async (...args) => edit(await rpc.abciQuery(...args)) };
}

describe("qos query store", () => {
  it("prints a present key with its presence proof verified (CLI process)", () => {
    const text = qos([
      "query",
      "store",
      "--node",
      chain.rpc,
      "--store",
      "auth",
      "--key",
      toHex(FEE_COLLECTOR_KEY),
      "--prove",
    ]);
    expect(text).toMatch(/value: {2}[0-9A-F]+ \(\d+ bytes\)/);
    expect(text).toMatch(/proof: {2}presence verified \(ics23:iavl → ics23:simple\)/);
  });

  it("proves absence, and reads past heights, as JSON", () => {
    const absent = JSON.parse(
      qos([
        "query",
        "store",
        "--node",
        chain.rpc,
        "--store",
        "bank",
        "--key",
        "01ff",
        "--prove",
        "-o",
        "json",
      ]),
    ) as { value: unknown; proof: { verified: boolean; ops: string[] } };
    expect(absent.value).toBeNull();
    expect(absent.proof.verified).toBe(true);
    expect(absent.proof.ops).toEqual(["ics23:iavl", "ics23:simple"]);

    const past = JSON.parse(
      qos([
        "query",
        "store",
        "--node",
        chain.rpc,
        "--store",
        "auth",
        "--key",
        toHex(FEE_COLLECTOR_KEY),
        "--height",
        "2",
        "--prove",
        "-o",
        "json",
      ]),
    ) as { height: string; value: string | null; proof: { header_height: string } };
    expect(past.height).toBe("2");
    expect(past.value).not.toBeNull();
    expect(past.proof.header_height).toBe("3");
  });

  it("refuses a proof, value or key altered on the way", async () => {
    const rpc = createNodeRpc(chain.rpc);
    const opts = { store: "auth", key: toHex(FEE_COLLECTOR_KEY), prove: true };
    await expect(queryStore(rpc, opts)).resolves.toMatchObject({ store: "auth" });

    const flipProofByte = tampered(rpc, (r) => {
      const ops = r.proofOps.map((o) => ({ ...o, data: o.data.slice() }));
      const first = ops[0];
      if (first !== undefined) {
        const at = first.data.length - 3;
        first.data[at] = (first.data[at] as number) ^ 0x01;
      }
      return { ...r, proofOps: ops };
    });
    await expect(queryStore(flipProofByte, opts)).rejects.toThrow(/does not verify/);

    const otherValue = tampered(rpc, (r) => ({ ...r, value: Uint8Array.of(...r.value, 0) }));
    await expect(queryStore(otherValue, opts)).rejects.toThrow(/does not verify/);

    const dropValue = tampered(rpc, (r) => ({ ...r, value: new Uint8Array() }));
    await expect(queryStore(dropValue, opts)).rejects.toThrow(/does not verify/);

    const swapOps = tampered(rpc, (r) => ({ ...r, proofOps: [...r.proofOps].reverse() }));
    await expect(queryStore(swapOps, opts)).rejects.toThrow(/does not verify/);

    const noProof = tampered(rpc, (r) => ({ ...r, proofOps: [] }));
    await expect(queryStore(noProof, opts)).rejects.toThrow(/no proof/);
  });

  it("gives clear errors for bad input", () => {
    const run = (args: string[]) => {
      try {
        qos(["query", "store", "--node", chain.rpc, ...args]);
        return "";
      } catch (e) {
        return String((e as { stderr?: string }).stderr ?? e);
      }
    };
    expect(run(["--store", "nope", "--key", "01"])).toMatch(/unknown store nope/);
    expect(run(["--store", "bank", "--key", "zz"])).toMatch(/--key must be non-empty hex/);
    expect(run(["--store", "bank", "--key", "01", "--height", "99999999"])).toMatch(
      /no version 99999999/,
    );
    expect(run(["--store", "bank", "--key", "01", "--height", "-1"])).toMatch(/--height must be/);
  });
});
