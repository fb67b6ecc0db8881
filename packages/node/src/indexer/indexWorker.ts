// The index worker: a worker thread that writes committed blocks into the tx index, so the
// LMDB inserts (a couple of dozen per tx) run beside consensus instead of on its thread. It
// opens the same `data/tx_index` environment as the main thread (lmdb-js shares one LMDB
// environment between the threads of a process), indexes the blocks it is sent in order and
// answers each with `indexed` or `failed`. See indexingQueue.ts for the main thread's side.

import { parentPort, workerData } from "node:worker_threads";
import { open } from "lmdb";
import { indexPackedBlock } from "./blockIndexing.ts";
import { createIndexer } from "./indexer.ts";
import type { FromIndexWorker, IndexWorkerData, ToIndexWorker } from "./indexMessages.ts";

const port = parentPort;
if (port === null) throw new Error("indexWorker.ts runs only as a worker thread");
const { path } = workerData as IndexWorkerData;
const root = open({ path, maxDbs: 8 });
const indexer = createIndexer({}, { root });
const reply = (m: FromIndexWorker) => port.postMessage(m);

async function indexOne(m: Extract<ToIndexWorker, { kind: "index" }>): Promise<void> {
  try {
    await indexPackedBlock(indexer, m);
    reply({ kind: "indexed", height: m.height });
  } catch (e) {
    reply({
      kind: "failed",
      height: m.height,
      message: e instanceof Error ? e.message : String(e),
    });
  }
}

// Messages are handled one after another: block h is in the index before block h+1.
let chain: Promise<void> = Promise.resolve();
port.on("message", (m: ToIndexWorker) => {
  chain = chain.then(async () => {
    if (m.kind === "index") return await indexOne(m);
    await root.close();
    reply({ kind: "closed" });
    port.close();
  });
});
