// The QOS app in-process on a real LMDB multi-store, with the NodeRpc surface the client's
// queries use answered by it (abci_query only): tests of the client without a node process.

import { createQosApp, type QosApp } from "@qos/app";
import { openMultiStore, openNodeDb } from "@qos/store";
import { afterEach } from "vitest";
import { tempDir } from "../../../store/test/tempDir.ts";
import type { AbciQueryResult, NodeRpc } from "../../src/client/nodeRpc.ts";

export const CHAIN_ID = "builder-test-1";

const open: { app: QosApp; close: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.app.close();
    await o.close();
  }
});

export async function startApp(appState: unknown): Promise<QosApp> {
  const db = openNodeDb({ path: tempDir("qos-cli-tx-") });
  const app = createQosApp(
    { chainId: CHAIN_ID },
    { openStore: (storeNames) => openMultiStore({ db, storeNames }) },
  );
  open.push({ app, close: () => db.close() });
  await app.initChain({
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: CHAIN_ID,
    consensusParams: {},
    validators: [],
    appStateBytes: new TextEncoder().encode(JSON.stringify(appState)),
    initialHeight: 1n,
  });
  await app.finalizeBlock({
    txs: [],
    decidedLastCommit: { round: 0, votes: [] },
    misbehavior: [],
    hash: new Uint8Array(32),
    height: 1n,
    time: { seconds: 1_700_000_001n, nanos: 0 },
    nextValidatorsHash: new Uint8Array(32),
    proposerAddress: new Uint8Array(20),
  });
  db.writeBlock((batch) => app.persist(batch));
  await app.commit();
  return app;
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
