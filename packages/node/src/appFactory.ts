// The state machine a node runs, chosen by config `[app] name`, and a dry run of a genesis
// file's app_state through that same code (InitChain on a throwaway store).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Application, createKvStoreApp, createQosApp } from "@qos/app";
import { type MultiStore, type NodeDb, openMultiStore, openNodeDb } from "@qos/store";
import { QosError } from "@qos/types";
import { paramsToAbci, timestampToAbci } from "./abciConvert.ts";
import type { NodeConfig } from "./config.ts";
import { appStateBytes, type GenesisDoc } from "./genesis.ts";
import type { Logger } from "./logger.ts";
import { createSignatureVerifier } from "./sigverify/signatureVerifier.ts";

/**
 * The state machine named by `[app] name`: the QOS application, whose state tree lives in the
 * node's LMDB environment and commits with each block, or the key-value test application.
 */
export function createApplication(
  config: NodeConfig,
  genesis: GenesisDoc,
  db: NodeDb,
  dataDir: string,
  logger: Logger,
): { readonly app: Application; close(): Promise<void> } {
  const appLogger = logger.child({ module: "app" });
  if (config.app.name === "kvstore") {
    const kv = createKvStoreApp({ dir: join(dataDir, "application"), logger: appLogger });
    return { app: kv, close: () => kv.close() };
  }
  let multiStore: MultiStore | null = null as MultiStore | null;
  // CheckTx's signature checks run ahead on a worker thread (started by the first tx).
  const verifier = createSignatureVerifier({}, { logger: appLogger });
  const app = createQosApp(
    {
      chainId: genesis.chainId,
      minGasPrices: config.app["minimum-gas-prices"],
    },
    {
      openStore: (storeNames) => {
        multiStore = openMultiStore({
          db,
          storeNames,
          keepRecent: config.app["pruning-keep-recent"],
          keepEvery: config.app["pruning-keep-every"],
          cacheSize: config.app["iavl-cache-size"],
          initialVersion: genesis.initialHeight,
        });
        return multiStore;
      },
      signatureVerifier: verifier,
    },
  );
  return {
    app,
    async close() {
      await verifier.close();
      await app.close();
      multiStore?.close();
    },
  };
}

/**
 * Runs genesis through the application's InitChain on a throwaway store in a temp dir (the code
 * a node runs at its first start) and returns the genesis app hash; throws the app's error, which
 * names the JSON path of the bad entry.
 */
export async function dryRunGenesis(
  config: NodeConfig,
  genesis: GenesisDoc,
  logger: Logger,
): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), "qos-genesis-check-"));
  const db = openNodeDb({ path: join(dir, "db") });
  const { app, close } = createApplication(config, genesis, db, dir, logger);
  try {
    const res = await app.initChain({
      time: timestampToAbci(genesis.genesisTime),
      chainId: genesis.chainId,
      consensusParams: paramsToAbci(genesis.consensusParams),
      validators: genesis.validators.map((v) => ({
        pubKey: {
          type: v.pubKey.sum.case as "ed25519" | "secp256k1",
          key: v.pubKey.sum.value as Uint8Array,
        },
        power: v.power,
      })),
      appStateBytes: appStateBytes(genesis),
      initialHeight: genesis.initialHeight,
    });
    return res.appHash;
  } catch (e) {
    if (e instanceof Error) throw new QosError("genesis_invalid", e.message);
    throw e;
  } finally {
    await close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
