// Network throughput: 4 validators (`qos testnet`, separate processes, loopback) on this one
// machine under tx load spread over all four: committed txs/s, broadcast→commit latency (Tx
// events), blocks/min and p2p bytes per committed tx, beside one validator under the same
// load and the raw limits (app alone, LMDB alone, RPC alone) measured in the same run.
// Run alone: npx vitest bench --run --config vitest.bench.config.ts bench/networkThroughput.bench.ts
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, bench, describe } from "vitest";
import {
  freePort,
  latestHeight,
  makeTempDir,
  qos,
  type RunningNode,
  startNode,
  stopOrKill,
} from "../test/e2e/harness.ts";
import { freeLowPortBlock, metricsPort } from "../test/e2e/proxiedCluster.ts";
import { saveBenchSection } from "./benchResults.ts";
import { formatNumber, formatRatio, formatTable } from "./benchStats.ts";
import { runHealthLoad } from "./loadGenerator.ts";
import {
  gossipBytes,
  machineBusyMs,
  type NetworkLoadResult,
  processCpuMs,
  runNetworkLoad,
} from "./networkLoad.ts";
import {
  type CheckTxLimit,
  type FinalizeLimit,
  measureAppCheckTx,
  measureAppFinalize,
  measureWriteBlock,
  type WriteBlockLimit,
} from "./rawLimits.ts";

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw}: want a non-negative number`);
  return n;
}

const VALIDATORS = 4;
const DURATION_MS = envNumber("BENCH_DURATION_S", 20) * 1000;
const WARMUP_MS = envNumber("BENCH_WARMUP_S", 4) * 1000;
const CONNECTIONS = Math.max(1, Math.round(envNumber("BENCH_CONNECTIONS", 16)));
const HEALTH_MS = envNumber("BENCH_HEALTH_S", 3) * 1000;
const APP_MAX_MS = envNumber("BENCH_APP_S", 6) * 1000;
const TIMEOUT_COMMITS = (process.env.BENCH_NET_TIMEOUT_COMMITS ?? "1s,200ms")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s !== "");

/** CometBFT-style duration ("1s", "200ms") in milliseconds. */
function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (m === null) throw new Error(`timeout_commit "${text}": use e.g. 1s or 200ms`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}
for (const tc of TIMEOUT_COMMITS) durationMs(tc);

interface BenchNet {
  readonly nodes: readonly RunningNode[];
  readonly rpcs: readonly string[];
  /** `/metrics` URLs (4-validator network only). */
  readonly metrics: readonly string[];
  stop(): Promise<void>;
}

async function waitForBlock1(nodes: readonly RunningNode[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    for (const n of nodes) {
      if (n.proc.exitCode !== null) throw new Error(`node exited:\n${n.output()}`);
    }
    const hs = await Promise.all(nodes.map((n) => latestHeight(n.rpc).catch(() => 0n)));
    if (hs.every((h) => h >= 1n)) return;
    if (performance.now() > deadline) throw new Error("no block 1 on every node within 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopper(nodes: RunningNode[], remove: () => void): () => Promise<void> {
  return async () => {
    try {
      await Promise.all(nodes.map((n) => stopOrKill(n, 15_000)));
    } finally {
      remove();
    }
  };
}

/** `qos testnet --v 4` homes, every node started with its /metrics on (direct p2p, no proxies). */
async function startNetwork(timeoutCommit: string): Promise<BenchNet> {
  const dir = makeTempDir("qos-bench-net-");
  const nodes: RunningNode[] = [];
  const stop = stopper(nodes, dir.remove);
  try {
    const base = await freeLowPortBlock(VALIDATORS);
    qos([
      "testnet",
      "--v",
      String(VALIDATORS),
      "--o",
      dir.path,
      "--chain-id",
      "bench-network",
      "--starting-port",
      String(base),
      "--app",
      "kvstore",
    ]);
    const metrics: string[] = [];
    for (let i = 0; i < VALIDATORS; i++) {
      const mport = metricsPort(base, i);
      metrics.push(`http://127.0.0.1:${mport}/metrics`);
      nodes.push(
        startNode(join(dir.path, `node${i}`), base + 10 * i + 1, [
          "--consensus.timeout_commit",
          timeoutCommit,
          "--instrumentation.prometheus",
          "true",
          "--instrumentation.prometheus_listen_addr",
          `127.0.0.1:${mport}`,
        ]),
      );
    }
    await waitForBlock1(nodes);
    return { nodes, rpcs: nodes.map((n) => n.rpc), metrics, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One validator (`qos init`), the same timeouts: the single-node figure under the same load. */
async function startSingle(timeoutCommit: string): Promise<BenchNet> {
  const dir = makeTempDir("qos-bench-single-");
  const nodes: RunningNode[] = [];
  const stop = stopper(nodes, dir.remove);
  try {
    qos([
      "init",
      "--home",
      dir.path,
      "--chain-id",
      "bench-single",
      "--moniker",
      "bench",
      "--app",
      "kvstore",
    ]);
    nodes.push(
      startNode(dir.path, await freePort(), [
        "--consensus.timeout_commit",
        timeoutCommit,
        "--p2p.laddr",
        `tcp://127.0.0.1:${await freePort()}`,
      ]),
    );
    await waitForBlock1(nodes);
    return { nodes, rpcs: nodes.map((n) => n.rpc), metrics: [], stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

interface Measured {
  readonly load: NetworkLoadResult;
  /** CPU of all node processes in the window, % of one core (so up to cores × 100). */
  readonly nodesCpuPct: number;
  /** CPU of this process (load generator, websockets) in the window, % of one core. */
  readonly genCpuPct: number;
  /** CPU everything else on the machine used in the window (other work lowers every figure). */
  readonly noiseCpuPct: number;
  /** p2p send bytes per channel, summed over the nodes, over the window. */
  readonly gossip: Map<string, number>;
}

async function measure(net: BenchNet, tag: string): Promise<Measured> {
  let cpu0 = 0;
  let cpu1 = 0;
  let busy0 = 0;
  let busy1 = 0;
  let gen0 = process.cpuUsage();
  let gen1 = gen0;
  let t0 = 0;
  let t1 = 0;
  let g0: Promise<Map<string, number>> = Promise.resolve(new Map());
  let g1: Promise<Map<string, number>> = Promise.resolve(new Map());
  const cpuNow = () => net.nodes.reduce((a, n) => a + processCpuMs(n.proc.pid), 0);
  const load = await runNetworkLoad({
    rpcs: net.rpcs,
    connections: CONNECTIONS,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    tag,
    onWindow: (edge) => {
      if (edge === "start") {
        cpu0 = cpuNow();
        busy0 = machineBusyMs();
        gen0 = process.cpuUsage();
        t0 = performance.now();
        g0 = gossipBytes(net.metrics);
      } else {
        cpu1 = cpuNow();
        busy1 = machineBusyMs();
        gen1 = process.cpuUsage(gen0);
        t1 = performance.now();
        g1 = gossipBytes(net.metrics);
      }
    },
  });
  const [before, after] = await Promise.all([g0, g1]);
  const gossip = new Map<string, number>();
  for (const [ch, v] of after) gossip.set(ch, v - (before.get(ch) ?? 0));
  const wall = t1 - t0;
  const nodesMs = cpu1 - cpu0;
  const genMs = (gen1.user + gen1.system) / 1000;
  return {
    load,
    nodesCpuPct: (100 * nodesMs) / wall,
    genCpuPct: (100 * genMs) / wall,
    noiseCpuPct: Math.max(0, (100 * (busy1 - busy0 - nodesMs - genMs)) / wall),
    gossip,
  };
}

interface Scenario {
  readonly timeoutCommit: string;
  readonly network: Measured;
  readonly single: Measured;
  readonly healthPerS: number;
  readonly finalize: FinalizeLimit;
  readonly writeBlock: WriteBlockLimit;
}

let checkTxLimit: CheckTxLimit | undefined;
const scenarios: Scenario[] = [];

function log(line: string): void {
  console.log(`[network bench] ${line}`);
}

async function runScenario(tc: string): Promise<void> {
  checkTxLimit ??= await measureAppCheckTx(2_000);
  const net = await startNetwork(tc);
  let network: Measured;
  let healthPerS: number;
  try {
    healthPerS = (await runHealthLoad(net.rpcs[0] as string, CONNECTIONS, HEALTH_MS, 1_500)).perS;
    log(`timeout_commit=${tc}: ${VALIDATORS} validators, load over all of them…`);
    network = await measure(net, `net${tc}`);
  } finally {
    await net.stop();
  }
  log(
    `timeout_commit=${tc}: ${formatNumber(network.load.committedPerS)} committed txs/s, ` +
      `p50 ${formatNumber(network.load.latencyMs.p50)} ms; now one validator, same load…`,
  );
  const one = await startSingle(tc);
  let single: Measured;
  try {
    single = await measure(one, `one${tc}`);
  } finally {
    await one.stop();
  }
  const blockTxs = Math.max(1, Math.round(network.load.txsPerBlock));
  const finalize = await measureAppFinalize(
    blockTxs,
    Math.max(3, Math.ceil(network.load.committedTotal / blockTxs)),
    APP_MAX_MS,
  );
  const writeBlock = await measureWriteBlock(
    tmpdir(),
    blockTxs * (network.load.txBytes + 2) + 1_024,
    finalize.resultsBytes,
    1_500,
  );
  scenarios.push({ timeoutCommit: tc, network, single, healthPerS, finalize, writeBlock });
}

const ms = (n: number) => `${formatNumber(n)} ms`;
const perS = (n: number) => `${formatNumber(n)}/s`;

function bytesPerTx(m: Measured): number {
  const total = [...m.gossip.values()].reduce((a, b) => a + b, 0);
  return m.load.committedInWindow > 0 ? total / m.load.committedInWindow : Number.NaN;
}

function scenarioRows(s: Scenario, checkTx: CheckTxLimit): string[][] {
  const n = s.network.load;
  const o = s.single.load;
  const tc = `timeout_commit=${s.timeoutCommit}`;
  const interval = n.blocksPerMin > 0 ? 60_000 / n.blocksPerMin : Number.NaN;
  const floorBytes = n.txBytes * (VALIDATORS - 1) * 2;
  const cores = cpus().length;
  return [
    [
      tc,
      "committed txs/s (sustained)",
      perS(n.committedPerS),
      perS(o.committedPerS),
      `app alone, finalizeBlock+commit: ${perS(s.finalize.txsPerS)} (${s.finalize.txsPerBlock} txs/block)`,
      formatRatio(n.committedPerS, s.finalize.txsPerS),
    ],
    [
      tc,
      "committed txs/s (sustained)",
      perS(n.committedPerS),
      perS(o.committedPerS),
      `app alone, checkTx (each of ${VALIDATORS} nodes checks every tx): ${perS(checkTx.perS)}`,
      formatRatio(n.committedPerS, checkTx.perS),
    ],
    [
      tc,
      "p50 broadcast→commit (Tx event at the node sent to)",
      ms(n.latencyMs.p50),
      ms(o.latencyMs.p50),
      `network block interval: ${ms(interval)}`,
      formatRatio(n.latencyMs.p50, interval),
    ],
    [
      tc,
      "p99 broadcast→commit",
      ms(n.latencyMs.p99),
      ms(o.latencyMs.p99),
      `network block interval: ${ms(interval)}`,
      formatRatio(n.latencyMs.p99, interval),
    ],
    [
      tc,
      "blocks per minute",
      formatNumber(n.blocksPerMin),
      formatNumber(o.blocksPerMin),
      `60 s / timeout_commit: ${formatNumber(60_000 / durationMs(s.timeoutCommit))}`,
      formatRatio(n.blocksPerMin, 60_000 / durationMs(s.timeoutCommit)),
    ],
    [
      tc,
      "blocks per minute",
      formatNumber(n.blocksPerMin),
      formatNumber(o.blocksPerMin),
      `LMDB writeBlock alone: ${formatNumber(s.writeBlock.perS * 60)}/min`,
      formatRatio(n.blocksPerMin, s.writeBlock.perS * 60),
    ],
    [
      tc,
      "p2p bytes sent per committed tx (all nodes)",
      `${formatNumber(bytesPerTx(s.network))} B`,
      "- (no peers)",
      `each ${n.txBytes}-B tx once to each of ${VALIDATORS - 1} peers, in mempool + block: ${floorBytes} B`,
      formatRatio(bytesPerTx(s.network), floorBytes),
    ],
    [
      tc,
      `broadcast_tx_sync answered/s (${n.connections} clients)`,
      perS(n.offeredPerS),
      perS(o.offeredPerS),
      `RPC alone, health on one network node: ${perS(s.healthPerS)}`,
      formatRatio(n.offeredPerS, s.healthPerS),
    ],
    [
      tc,
      "txs/block (mean)",
      formatNumber(n.txsPerBlock),
      formatNumber(o.txsPerBlock),
      `max seen: ${n.maxTxsPerBlock}`,
      "-",
    ],
    [
      tc,
      "node processes' CPU",
      `${formatNumber(s.network.nodesCpuPct)}% of a core`,
      `${formatNumber(s.single.nodesCpuPct)}%`,
      `${cores} cores: ${cores * 100}%`,
      formatRatio(s.network.nodesCpuPct, cores * 100),
    ],
    [
      tc,
      "CPU of the load generator / of other work",
      `${formatNumber(s.network.genCpuPct)}% / ${formatNumber(s.network.noiseCpuPct)}%`,
      `${formatNumber(s.single.genCpuPct)}% / ${formatNumber(s.single.noiseCpuPct)}%`,
      "other work on a shared machine lowers every figure",
      "-",
    ],
  ];
}

function buildSection(): { header: string[]; rows: string[][]; notes: string[] } {
  const checkTx = checkTxLimit ?? { perS: Number.NaN, calls: 0 };
  const header = [
    "scenario",
    "figure",
    `${VALIDATORS} validators`,
    "1 validator",
    "raw limit (same run)",
    `ratio ${VALIDATORS}v/limit`,
  ];
  const rows = scenarios.flatMap((s) => scenarioRows(s, checkTx));
  const cpu = cpus();
  const notes = [
    "",
    `Setup: ${cpu.length} x ${cpu[0]?.model ?? "CPU"}; ${VALIDATORS} validator processes ` +
      "(qos testnet, loopback, direct p2p) and the load generator share the machine. " +
      `${CONNECTIONS} keep-alive HTTP clients in closed loops, spread evenly over the nodes, send ` +
      `unique ~${scenarios[0]?.network.load.txBytes ?? 50}-byte kvstore txs with broadcast_tx_sync ` +
      `for ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s. Latency: each client's ` +
      "websocket subscription to tm.event='Tx' on the node it sends to (filtered on its own keys); " +
      "committed txs/s and blocks/min: NewBlock events of node0, over the blocks between the first " +
      "and the last of the window. The 1-validator column is one `qos init` node under the same " +
      "load, measured the same way in this run. p2p bytes: the rise of " +
      "cometbft_p2p_message_send_bytes_total over the window, summed over every node and channel.",
  ];
  for (const s of scenarios) {
    const g = [...s.network.gossip]
      .sort((a, b) => b[1] - a[1])
      .map(
        ([ch, v]) => `${ch} ${formatNumber(v / Math.max(1, s.network.load.committedInWindow))} B`,
      )
      .join(", ");
    const n = s.network.load;
    notes.push(
      `timeout_commit=${s.timeoutCommit}: ${n.blocks} blocks over ${formatNumber(n.windowS)} s, ` +
        `${n.latencySamples} latency samples, ${n.rejected} refused broadcasts` +
        `${n.cancelledSubscriptions > 0 ? `, ${n.cancelledSubscriptions} Tx subscriptions cancelled` : ""}; ` +
        `bytes per committed tx by channel: ${g || "n/a"} ` +
        "(0x30 mempool, 0x21 consensus data, 0x22 votes, 0x20 consensus state, 0x40 block sync, 0x38 evidence).",
    );
  }
  notes.push(
    `Why p2p bytes exceed the floor: in a full mesh of ${VALIDATORS} a tx (and a block part) is ` +
      `relayed by every node that gets it to every peer it did not get it from, so it crosses ` +
      `${VALIDATORS - 1} + ${VALIDATORS - 1}×${VALIDATORS - 2} = ${VALIDATORS - 1 + (VALIDATORS - 1) * (VALIDATORS - 2)} ` +
      `links instead of ${VALIDATORS - 1} (CometBFT's mempool gossips the same way), plus framing and proofs.`,
  );
  return { header, rows, notes };
}

const ONCE = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };

describe(`network throughput: ${VALIDATORS} validators on one machine, kvstore, broadcast_tx_sync (figures in the summary)`, () => {
  for (const tc of TIMEOUT_COMMITS) {
    let ran = false;
    bench(
      `timeout_commit=${tc}: ${VALIDATORS} validators, then 1, ${(WARMUP_MS + DURATION_MS) / 1000} s load each + raw limits`,
      async () => {
        if (ran) return;
        ran = true;
        await runScenario(tc);
      },
      ONCE,
    );
  }
});

afterAll(() => {
  if (scenarios.length === 0) return;
  const { header, rows, notes } = buildSection();
  const title = `Network throughput (${VALIDATORS} validators, kvstore test app): figure | 1 validator | raw limit | ratio`;
  console.log(`\n${title}\n\n${formatTable(header, rows)}\n${notes.join("\n")}\n`);
  saveBenchSection({ file: import.meta.filename, title, header, rows, notes });
});
