// QOS app throughput: committed signed MsgSends/s (code 0) of one validator and of a 4-validator
// `qos testnet` running the QOS app, sustained over a 60 s window, beside raw secp256k1
// verifications/s and the app alone in-process, measured in the same run; plus a CPU profile.
// Run alone: npx tsc -b && npx vitest bench --run --config vitest.bench.config.ts bench/appThroughput.bench.ts
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { updateConfigFile } from "@qos/node";
import { afterAll, bench, describe } from "vitest";
import {
  freePort,
  latestHeight,
  makeTempDir,
  qos,
  type RunningNode,
  rpcCall,
  startNode,
  stopOrKill,
} from "../test/e2e/harness.ts";
import { freeLowPortBlock } from "../test/e2e/proxiedCluster.ts";
import { envNumber, withInspectOption } from "./benchEnv.ts";
import { saveBenchSection } from "./benchResults.ts";
import { formatNumber, formatRatio, formatTable } from "./benchStats.ts";
import { type CpuProfileSummary, profileNoteLines, summarizeCpuProfile } from "./cpuProfile.ts";
import { timedCpuWindow } from "./cpuWindow.ts";
import { profileWindow } from "./inspectorProfiler.ts";
import { runTxLoad, type TxLoadResult, type TxSource } from "./loadGenerator.ts";
import { processCpuMs } from "./networkLoad.ts";
import { benchAppState, buildSignedLoad, makeBenchAccounts, type SignedLoad } from "./qosTxs.ts";
import {
  measureQosApp,
  measureSecp256k1Verify,
  type QosAppLimit,
  type SecpVerifyLimit,
} from "./rawLimits.ts";

const ROOT = resolve(import.meta.dirname, "..");

const DURATION_MS = envNumber("BENCH_QOS_DURATION_S", 60) * 1000;
const WARMUP_MS = envNumber("BENCH_WARMUP_S", 4) * 1000;
const CONNECTIONS = Math.max(1, Math.round(envNumber("BENCH_CONNECTIONS", 16)));
/**
 * Calls in flight per client: websockets with that many broadcast_tx_sync calls each (the way
 * tm-load-test drives CometBFT); 0 = keep-alive HTTP, one call at a time per client.
 */
const PIPELINE = Math.max(0, Math.round(envNumber("BENCH_QOS_PIPELINE", 32)));
const ACCOUNTS = Math.max(1, Math.round(envNumber("BENCH_QOS_ACCOUNTS", 1000)));
/** Sizes the pre-signed load: enough txs for this many sends/s over warm-up + window. */
const MAX_RATE = envNumber("BENCH_QOS_MAX_RATE", 5000);
const TIMEOUT_COMMIT = process.env.BENCH_QOS_TIMEOUT_COMMIT ?? "1s";
const NETWORK = (process.env.BENCH_QOS_NETWORK ?? "1") !== "0";
const PROFILE_MS = envNumber("BENCH_QOS_PROFILE_S", 10) * 1000;
const APP_MAX_MS = envNumber("BENCH_APP_S", 6) * 1000;
const MEMPOOL_SIZE = process.env.BENCH_MEMPOOL_SIZE;
const CHAIN_ID = "bench-qos";
const VALIDATORS = 4;

if (!/^\d+(\.\d+)?(ms|s)$/.test(TIMEOUT_COMMIT))
  throw new Error(`BENCH_QOS_TIMEOUT_COMMIT=${TIMEOUT_COMMIT}: use e.g. 1s or 200ms`);

function log(line: string): void {
  console.log(`[qos app bench] ${line}`);
}

/** Node flags every run shares: the timeout and the mempool size. */
function nodeArgs(): string[] {
  const args = ["--consensus.timeout_commit", TIMEOUT_COMMIT];
  if (MEMPOOL_SIZE !== undefined) args.push("--mempool.size", MEMPOOL_SIZE);
  return args;
}

/**
 * Makes a home run the bench chain: the QOS app with no fee floor in config.toml (whatever
 * `qos init`/`testnet` chose), and the bench accounts' app_state in genesis.json.
 */
function writeAppState(home: string, appState: unknown): void {
  const set = updateConfigFile(home, { "app.name": "qos", "app.minimum-gas-prices": "" });
  if (!set.ok) throw set.error;
  const file = join(home, "config", "genesis.json");
  const genesis = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  genesis.app_state = appState;
  writeFileSync(file, `${JSON.stringify(genesis, null, 2)}\n`);
}

interface BenchNet {
  readonly nodes: readonly RunningNode[];
  stop(): Promise<void>;
}

async function waitForBlock1(nodes: readonly RunningNode[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    for (const n of nodes)
      if (n.proc.exitCode !== null) throw new Error(`node exited:\n${n.output()}`);
    const hs = await Promise.all(nodes.map((n) => latestHeight(n.rpc).catch(() => 0n)));
    if (hs.every((h) => h >= 1n)) return;
    if (performance.now() > deadline) throw new Error("no block 1 on every node within 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `fn`'s nodes; on failure stops what started and removes the directory. */
async function startNet(
  prefix: string,
  fn: (dir: string, nodes: RunningNode[]) => Promise<void>,
): Promise<BenchNet> {
  const dir = makeTempDir(prefix);
  const nodes: RunningNode[] = [];
  const stop = async () => {
    try {
      await Promise.all(nodes.map((n) => stopOrKill(n, 15_000)));
    } finally {
      dir.remove();
    }
  };
  try {
    await fn(dir.path, nodes);
    await waitForBlock1(nodes);
    return { nodes, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One validator (`qos init` + the bench genesis); `inspectPort` opens its inspector. */
function startSingle(appState: unknown, inspectPort?: number): Promise<BenchNet> {
  return startNet("qos-bench-app-node-", async (home, nodes) => {
    qos(["init", "--home", home, "--chain-id", CHAIN_ID, "--moniker", "bench"]);
    writeAppState(home, appState);
    const p2p = `tcp://127.0.0.1:${await freePort()}`;
    const port = await freePort();
    nodes.push(
      withInspectOption(inspectPort, () =>
        startNode(home, port, [...nodeArgs(), "--p2p.laddr", p2p]),
      ),
    );
  });
}

/** `qos testnet --v 4` homes with the bench genesis, every node on the QOS app. */
function startNetwork(appState: unknown): Promise<BenchNet> {
  return startNet("qos-bench-app-net-", async (dir, nodes) => {
    const base = await freeLowPortBlock(VALIDATORS);
    qos([
      "testnet",
      "--v",
      String(VALIDATORS),
      "--o",
      dir,
      "--chain-id",
      CHAIN_ID,
      "--starting-port",
      String(base),
    ]);
    for (let i = 0; i < VALIDATORS; i++) writeAppState(join(dir, `node${i}`), appState);
    for (let i = 0; i < VALIDATORS; i++) {
      nodes.push(startNode(join(dir, `node${i}`), base + 10 * i + 1, nodeArgs()));
    }
  });
}

/** A fresh cursor over the pre-signed queues (every run starts a fresh chain at sequence 0). */
function sourceOf(load: SignedLoad): TxSource {
  const pos = load.queues.map(() => 0);
  return {
    txBytes: load.txBytes,
    next(c) {
      const q = load.queues[c];
      const i = pos[c] ?? 0;
      if (q === undefined || i >= q.length) return undefined;
      pos[c] = i + 1;
      return q[i];
    },
  };
}

/** The n-th tx in sequence-major order (all accounts at sequence 0, then 1, …) from the queues. */
function txAt(load: SignedLoad, n: number): Uint8Array | undefined {
  const accounts = load.accounts.length;
  const clients = load.queues.length;
  const s = Math.floor(n / accounts);
  const i = n % accounts;
  const c = i % clients;
  const perClient = Math.ceil((accounts - c) / clients);
  const b64 = load.queues[c]?.[s * perClient + Math.floor(i / clients)];
  return b64 === undefined ? undefined : Buffer.from(b64, "base64");
}

interface Outcomes {
  /** Txs with code 0 in the counted blocks. */
  readonly ok: number;
  readonly failed: number;
  readonly failures: Readonly<Record<string, number>>;
}

/** Reads block_results of the counted heights and sorts the txs by code. */
async function countOutcomes(rpc: string, from: number, to: number): Promise<Outcomes> {
  let ok = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  for (let h = from; h > 0 && h <= to; h++) {
    const r = await rpcCall<{
      txs_results: { code?: number; codespace?: string; log?: string }[] | null;
    }>(rpc, "block_results", { height: String(h) }, 60_000);
    for (const t of r.txs_results ?? []) {
      if ((t.code ?? 0) === 0) {
        ok++;
        continue;
      }
      failed++;
      const key = `${t.codespace ?? ""} ${t.code}: ${(t.log ?? "").replace(/\d+/g, "N").slice(0, 60)}`;
      failures[key] = (failures[key] ?? 0) + 1;
    }
  }
  return { ok, failed, failures };
}

interface Measured {
  readonly load: TxLoadResult;
  readonly outcomes: Outcomes;
  /** Code-0 txs per second over the counted blocks. */
  readonly okPerS: number;
  /** CPU of the node processes in the window, % of one core. */
  readonly nodesCpuPct: number;
  readonly genCpuPct: number;
  readonly noiseCpuPct: number;
  readonly loadAvg: number;
}

/** Sends the pre-signed load to the nodes for warm-up + window, then counts outcomes. */
async function measure(
  net: BenchNet,
  signed: SignedLoad,
  durationMs: number,
  onWindow?: (edge: "start" | "end") => void,
): Promise<Measured> {
  const loadAvg = loadavg()[0] ?? Number.NaN;
  const cpu = timedCpuWindow(
    () => net.nodes.reduce((a, n) => a + processCpuMs(n.proc.pid), 0),
    WARMUP_MS,
    WARMUP_MS + durationMs,
    onWindow,
  );
  let load: TxLoadResult;
  try {
    const rpcs = net.nodes.map((n) => n.rpc);
    load = await runTxLoad({
      rpc: rpcs[0] as string,
      rpcs,
      txSource: sourceOf(signed),
      connections: CONNECTIONS,
      ...(PIPELINE > 0 ? { pipeline: PIPELINE } : {}),
      warmupMs: WARMUP_MS,
      durationMs,
      tag: "qos",
    });
  } finally {
    cpu.cancel();
  }
  const shares = cpu.shares();
  const outcomes = await countOutcomes(
    (net.nodes[0] as RunningNode).rpc,
    load.fromHeight,
    load.toHeight,
  );
  return {
    load,
    outcomes,
    okPerS: load.windowS > 0 ? outcomes.ok / load.windowS : 0,
    nodesCpuPct: shares.nodesPct,
    genCpuPct: shares.genPct,
    noiseCpuPct: shares.otherPct,
    loadAvg,
  };
}

let signedLoad: SignedLoad | undefined;
let secp: SecpVerifyLimit | undefined;
let single: { readonly m: Measured; readonly app: QosAppLimit } | undefined;
let network: { readonly m: Measured; readonly app: QosAppLimit } | undefined;
let profiled:
  | { readonly m: Measured; readonly summary: CpuProfileSummary; readonly file: string }
  | undefined;

function prepare(): SignedLoad {
  if (signedLoad !== undefined) return signedLoad;
  secp = measureSecp256k1Verify(1_500);
  const accounts = makeBenchAccounts(ACCOUNTS);
  const longest = Math.max(DURATION_MS, PROFILE_MS) + WARMUP_MS;
  const perAccount = Math.max(2, Math.ceil((MAX_RATE * longest) / 1000 / ACCOUNTS));
  log(
    `signing ${formatNumber(ACCOUNTS * perAccount)} MsgSends (${ACCOUNTS} accounts × sequences ` +
      `0..${perAccount - 1}; enough for ${formatNumber(MAX_RATE)}/s over ${longest / 1000} s)…`,
  );
  signedLoad = buildSignedLoad(CHAIN_ID, accounts, perAccount, CONNECTIONS);
  log(`signed at ${formatNumber(signedLoad.signedPerS)}/s; ${signedLoad.txBytes} bytes per tx`);
  return signedLoad;
}

/** The app alone on blocks of the size the node committed. */
function appAlone(signed: SignedLoad, m: Measured): Promise<QosAppLimit> {
  const perBlock = Math.max(1, Math.round(m.load.txsPerBlock));
  return measureQosApp({
    parentDir: tmpdir(),
    chainId: CHAIN_ID,
    appState: benchAppState(signed.accounts),
    tx: (n) => txAt(signed, n),
    txsPerBlock: perBlock,
    blocks: Math.max(3, Math.ceil(m.load.committedTotal / perBlock)),
    maxMs: APP_MAX_MS,
  });
}

async function runSingle(): Promise<void> {
  const signed = prepare();
  const net = await startSingle(benchAppState(signed.accounts));
  let m: Measured;
  try {
    log(`1 validator: ${(WARMUP_MS + DURATION_MS) / 1000} s of signed MsgSends…`);
    m = await measure(net, signed, DURATION_MS);
  } finally {
    await net.stop();
  }
  log(
    `1 validator: ${formatNumber(m.okPerS)} committed sends/s (code 0), p50 ` +
      `${formatNumber(m.load.latencyMs.p50)} ms; the app alone on the same blocks…`,
  );
  single = { m, app: await appAlone(signed, m) };
}

async function runNetwork(): Promise<void> {
  const signed = prepare();
  const net = await startNetwork(benchAppState(signed.accounts));
  let m: Measured;
  try {
    log(`${VALIDATORS} validators: ${(WARMUP_MS + DURATION_MS) / 1000} s of signed MsgSends…`);
    m = await measure(net, signed, DURATION_MS);
  } finally {
    await net.stop();
  }
  log(`${VALIDATORS} validators: ${formatNumber(m.okPerS)} committed sends/s (code 0)`);
  network = { m, app: await appAlone(signed, m) };
}

async function runProfiled(): Promise<void> {
  const signed = prepare();
  const inspectPort = await freePort();
  const net = await startSingle(benchAppState(signed.accounts), inspectPort);
  try {
    log(`profiling 1 validator over ${PROFILE_MS / 1000} s…`);
    const p = await profileWindow(inspectPort, "qos-app-bench", (onWindow) =>
      measure(net, signed, PROFILE_MS, onWindow),
    );
    profiled = { m: p.result, summary: summarizeCpuProfile(p.profile, ROOT, 12), file: p.file };
  } finally {
    await net.stop();
  }
}

const ms = (n: number) => `${formatNumber(n)} ms`;
const perS = (n: number) => `${formatNumber(n)}/s`;

function rows(label: string, r: { m: Measured; app: QosAppLimit }, v: SecpVerifyLimit): string[][] {
  const { m, app } = r;
  const l = m.load;
  const interval = l.blocksPerS > 0 ? 1000 / l.blocksPerS : Number.NaN;
  const refused = Object.entries(l.rejectedByReason)
    .map(([k, c]) => `${c}× ${k}`)
    .join("; ");
  const failed = Object.entries(m.outcomes.failures)
    .map(([k, c]) => `${c}× ${k}`)
    .join("; ");
  return [
    [
      label,
      "committed signed sends/s (code 0, sustained)",
      perS(m.okPerS),
      `raw secp256k1 verify (libsecp256k1 + sha256, one thread): ${perS(v.rawPerS)}`,
      formatRatio(m.okPerS, v.rawPerS),
    ],
    [
      label,
      "committed signed sends/s (code 0, sustained)",
      perS(m.okPerS),
      `QOS app alone, checkTx + finalizeBlock + writeBlock + commit: ${perS(app.bothPerS)} ` +
        `(checkTx ${perS(app.checkTxPerS)}, block ${perS(app.finalizePerS)}; ${app.blocks} blocks × ${app.txsPerBlock})`,
      formatRatio(m.okPerS, app.bothPerS),
    ],
    [
      label,
      "p50 / p99 broadcast→commit latency",
      `${ms(l.latencyMs.p50)} / ${ms(l.latencyMs.p99)}`,
      `block interval: ${ms(interval)}`,
      formatRatio(l.latencyMs.p50, interval),
    ],
    [
      label,
      "blocks/s; txs/block (max)",
      `${formatNumber(l.blocksPerS, 2)}; ${formatNumber(l.txsPerBlock)} (${l.maxTxsPerBlock})`,
      `1 / timeout_commit ${TIMEOUT_COMMIT}`,
      "-",
    ],
    [
      label,
      l.pipeline === undefined
        ? `broadcast_tx_sync answered/s (${l.connections} HTTP clients)`
        : `broadcast_tx_sync answered/s (${l.connections} websockets × ${l.pipeline} in flight)`,
      perS(l.offeredPerS),
      `refused: ${l.rejected}${refused === "" ? "" : ` (${refused})`}`,
      "-",
    ],
    [
      label,
      "tx index behind consensus at the end of the load",
      Number.isNaN(l.indexLagMs) ? "-" : ms(l.indexLagMs),
      "from the last block's header to `tx` finding its last tx (indexing runs behind commits)",
      "-",
    ],
    [
      label,
      "committed txs not code 0",
      String(m.outcomes.failed),
      failed === "" ? "-" : failed,
      "-",
    ],
    [
      label,
      "node processes' CPU / load generator / other work",
      `${formatNumber(m.nodesCpuPct)}% / ${formatNumber(m.genCpuPct)}% / ${formatNumber(m.noiseCpuPct)}%`,
      `${cpus().length} cores: ${cpus().length * 100}% (load average at start ${formatNumber(m.loadAvg, 2)})`,
      "-",
    ],
  ];
}

function buildSection(): { header: string[]; rows: string[][]; notes: string[] } {
  const v = secp ?? { rawPerS: Number.NaN, qosPerS: Number.NaN };
  const header = ["scenario", "figure", "value", "raw limit (same run)", "ratio"];
  const out: string[][] = [];
  if (single !== undefined) out.push(...rows("1 validator", single, v));
  if (network !== undefined) out.push(...rows(`${VALIDATORS} validators`, network, v));
  const cpu = cpus();
  const s = signedLoad;
  const notes = [
    "",
    `Setup: ${cpu.length} x ${cpu[0]?.model ?? "CPU"}; nodes and load generator share the machine. ` +
      `Chain ${CHAIN_ID}, [app] name = "qos", no fee floor, timeout_commit ${TIMEOUT_COMMIT}. ` +
      `${ACCOUNTS} genesis-funded accounts; ${s?.txsPerAccount ?? "?"} pre-signed MsgSends each ` +
      `(${s?.txBytes ?? "?"}-byte TxRaw, SIGN_MODE_DIRECT secp256k1, 1 uqos to the next account, ` +
      `fee 200 uqos, gas limit 200,000), signed before the load at ${formatNumber(s?.signedPerS ?? Number.NaN)}/s. ` +
      (PIPELINE > 0
        ? `${CONNECTIONS} websocket clients with ${PIPELINE} broadcast_tx_sync calls in flight each (as tm-load-test drives CometBFT; BENCH_QOS_PIPELINE=0: HTTP, one call at a time), `
        : `${CONNECTIONS} keep-alive HTTP clients with one call at a time each, `) +
      `each client owning 1/${CONNECTIONS} of the accounts and sending ` +
      "their txs in sequence order (a refused tx is resent), spread over the nodes; " +
      `${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s window. Committed = txs with code 0 in ` +
      "block_results of the blocks after the first of the window up to the last; latency = " +
      "arrival of the NewBlockHeader event (node0) of the block carrying the tx − its broadcast " +
      "(headers only while the load runs, the blocks' txs fetched after it: a NewBlock subscriber " +
      "would cost the node the encoding of every tx result's events).",
    `@qos/crypto secp256k1Verify in the same run: ${perS(v.qosPerS)} (raw ${perS(v.rawPerS)}).`,
  ];
  for (const [name, r] of [
    ["1 validator", single],
    [`${VALIDATORS} validators`, network],
  ] as const) {
    if (r === undefined) continue;
    if (r.m.load.clientsOutOfTxs > 0)
      notes.push(
        `WARNING (${name}): ${r.m.load.clientsOutOfTxs} clients ran out of pre-signed txs; raise BENCH_QOS_MAX_RATE.`,
      );
    if (r.m.noiseCpuPct > 25)
      notes.push(
        `WARNING (${name}): other work used ${formatNumber(r.m.noiseCpuPct)}% of a core in the window: ` +
          "the figures are below what this machine does when quiet.",
      );
    if (r.app.failed > 0)
      notes.push(
        `WARNING (${name}): app alone: ${r.app.failed} txs failed (${r.app.firstFailure}).`,
      );
  }
  if (profiled !== undefined) {
    const p = profiled;
    notes.push(
      "",
      ...profileNoteLines(
        p.summary,
        `Where the node's time goes: V8 CPU profile of 1 validator over ${PROFILE_MS / 1000} s ` +
          `(that run: ${perS(p.m.okPerS)} committed sends/s, node CPU ${formatNumber(p.m.nodesCpuPct)}% of a core, ` +
          `other work ${formatNumber(p.m.noiseCpuPct)}%).`,
        "Top self time:",
        "This repository's functions by inclusive time:",
      ),
      `Profile saved to ${p.file}.`,
    );
  }
  return { header, rows: out, notes };
}

const ONCE = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };

describe("QOS app throughput: signed MsgSends, broadcast_tx_sync (figures in the summary)", () => {
  const once = (fn: () => Promise<void>) => {
    let ran = false;
    return async () => {
      if (ran) return;
      ran = true;
      await fn();
    };
  };
  bench(
    `1 validator, QOS app: ${(WARMUP_MS + DURATION_MS) / 1000} s of signed sends + raw limits`,
    once(runSingle),
    ONCE,
  );
  if (NETWORK) {
    bench(
      `${VALIDATORS} validators, QOS app: ${(WARMUP_MS + DURATION_MS) / 1000} s of signed sends`,
      once(runNetwork),
      ONCE,
    );
  }
  if (PROFILE_MS > 0) {
    bench(
      `CPU profile of 1 validator, QOS app: ${(WARMUP_MS + PROFILE_MS) / 1000} s`,
      once(runProfiled),
      ONCE,
    );
  }
});

afterAll(() => {
  if (single === undefined && network === undefined && profiled === undefined) return;
  const { header, rows: r, notes } = buildSection();
  const title = "QOS app throughput (signed MsgSends, secp256k1): figure | raw limit | ratio";
  console.log(`\n${title}\n\n${formatTable(header, r)}\n${notes.join("\n")}\n`);
  saveBenchSection({ file: import.meta.filename, title, header, rows: r, notes });
});
