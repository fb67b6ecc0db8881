// The QOS app in-process on a real LMDB multi-store (the app tests' harness), with the NodeRpc
// surface the client's queries use answered by it (abci_query only): tests of the client
// without a node process.

import type { QosApp } from "@qos/app";
import { CHAIN_ID, startApp as startAppHarness } from "../../../app/test/runtime/appHarness.ts";
import type { AbciQueryResult, NodeRpc } from "../../src/client/nodeRpc.ts";

export { CHAIN_ID };

/** The app after genesis (`appState`) and one committed empty block. */
export async function startApp(appState: unknown): Promise<QosApp> {
  const h = await startAppHarness(appState);
  await h.block([]);
  return h.app;
}

/** The NodeRpc surface the queries use, answered by the in-process app (abci_query only). */
export function appRpc(app: QosApp): NodeRpc {
  const unsupported = () => {
    throw new Error("not used by these tests");
  };
  return {
    url: "in-process",
    call: unsupported,
    broadcastTxSync: unsupported,
    broadcastTxAsync: unsupported,
    broadcastTxCommit: unsupported,
    getTx: unsupported,
    status: async () => ({ chainId: CHAIN_ID, latestHeight: 1n }),
    async abciQuery(path, data, o = {}): Promise<AbciQueryResult> {
      const r = await app.query({ path, data, height: o.height ?? 0n, prove: o.prove ?? false });
      return {
        code: r.code,
        codespace: r.codespace,
        log: r.log,
        height: r.height,
        key: r.key,
        value: r.value,
        proofOps: r.proofOps ?? [],
      };
    },
  };
}

/** The app with 1,000,000 uqos at each of `funded`. */
export function startFundedApp(funded: readonly string[]): Promise<QosApp> {
  return startApp({
    bank: {
      balances: funded.map((address) => ({
        address,
        coins: [{ denom: "uqos", amount: "1000000" }],
      })),
    },
  });
}
