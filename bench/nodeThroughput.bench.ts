// Single-node throughput: committed txs/s and broadcast→commit latency of one validator running
// the kvstore app, beside the ceilings measured in the same run (app alone, RPC alone, LMDB).
// Run alone: npx vitest bench --run --config vitest.bench.config.ts bench/nodeThroughput.bench.ts
import { cpus, loadavg, tmpdir } from "node:os";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "@qos/node";
import { afterAll, bench, describe } from "vitest";
import {
  freePort,
  latestHeight,
  makeTempDir,
  qos,
  type RunningNode,
  rpcCall,
  startNode,
} from "../test/e2e/harness.ts";
import { envNumber, withInspectOption } from "./benchEnv.ts";
import { saveBenchSection } from "./benchResults.ts";
import { formatNumber, formatRatio, formatTable } from "./benchStats.ts";
import { type CpuProfileSummary, profileNoteLines, summarizeCpuProfile } from "./cpuProfile.ts";
import { timedCpuWindow } from "./cpuWindow.ts";
import { profileWindow } from "./inspectorProfiler.ts";
import {
  type HealthLoadResult,
  runHealthLoad,
  runTxLoad,
  STALL_MS,
  type TxLoadResult,
} from "./loadGenerator.ts";
import { processCpuMs } from "./networkLoad.ts";
import {
  type CheckTxLimit,
  type FinalizeLimit,
  measureAppCheckTx,
  measureAppFinalize,
  measureWriteBlock,
  type WriteBlockLimit,
} from "./rawLimits.ts";

const ROOT = resolve(import.meta.dirname, "..");

const DURATION_MS = envNumber("BENCH_DURATION_S", 20) * 1000;
const WARMUP_MS = envNumber("BENCH_WARMUP_S", 4) * 1000;
const CONNECTIONS = Math.max(1, Math.round(envNumber("BENCH_CONNECTIONS", 16)));
const HEALTH_MS = envNumber("BENCH_HEALTH_S", 3) * 1000;
const PROFILE_MS = envNumber("BENCH_PROFILE_S", 10) * 1000;
const APP_MAX_MS = envNumber("BENCH_APP_S", 6) * 1000;
const TIMEOUT_COMMITS = (process.env.BENCH_TIMEOUT_COMMITS ?? "1s,200ms")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s !== "");
const MEMPOOL_SIZE = process.env.BENCH_MEMPOOL_SIZE;
const PROFILE_TIMEOUT_COMMIT = process.env.BENCH_PROFILE_TIMEOUT_COMMIT ?? "200ms";

/** CometBFT-style duration ("1s", "200ms") in milliseconds. */
function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (m === null) throw new Error(`timeout_commit "${text}": use e.g. 1s or 200ms`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

// Refuse a bad knob before any node starts.
for (const tc of [...TIMEOUT_COMMITS, PROFILE_TIMEOUT_COMMIT]) durationMs(tc);

interface BenchNode {
  readonly node: RunningNode;
  readonly rpc: string;
  readonly mempoolSize: number;
  stop(): Promise<void>;
}

/** `qos init` + `qos start` of a fresh single validator on a free loopback port. */
async function startBenchNode(timeoutCommit: string, inspectPort?: number): Promise<BenchNode> {
  const dir = makeTempDir("qos-bench-node-");
  let node: RunningNode | undefined;
  const stop = async () => {
    const running = node;
    const timer = setTimeout(() => running?.proc.kill("SIGKILL"), 15_000);
    try {
      if (
        running !== undefined &&
        running.proc.exitCode === null &&
        running.proc.signalCode === null
      )
        await running.stop();
    } finally {
      clearTimeout(timer);
      dir.remove();
    }
  };
  try {
    qos([
      "init",
      "--home",
      dir.path,
      "--chain-id",
      "bench-throughput",
      "--moniker",
      "bench",
      "--app",
      "kvstore",
    ]);
    const overrides: Record<string, string> = { "consensus.timeout_commit": timeoutCommit };
    if (MEMPOOL_SIZE !== undefined) overrides["mempool.size"] = MEMPOOL_SIZE;
    const config = loadConfig(dir.path, overrides);
    if (!config.ok) throw config.error;
    const port = await freePort();
    const args = Object.entries(overrides).flatMap(([k, v]) => [`--${k}`, v]);
    // The profiler then runs over the measuring window only.
    const started = withInspectOption(inspectPort, () => startNode(dir.path, port, args));
    node = started;
    const deadline = performance.now() + 30_000;
    for (;;) {
      if (started.proc.exitCode !== null) throw new Error(`node exited:\n${started.output()}`);
      const height = await latestHeight(started.rpc).catch(() => 0n);
      if (height >= 1n) break;
      if (performance.now() > deadline) throw new Error(`no block 1 in 30 s:\n${started.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { node: started, rpc: started.rpc, mempoolSize: config.value.mempool.size, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Polls num_unconfirmed_txs until the mempool is empty (or the time is up). */
async function waitForEmptyMempool(rpc: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const r = await rpcCall<{ total: string }>(rpc, "num_unconfirmed_txs");
    if (r.total === "0") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ScenarioResult {
  readonly timeoutCommit: string;
  readonly mempoolSize: number;
  readonly health: HealthLoadResult;
  readonly load: TxLoadResult;
  /** Share of one core the node process used in the window (utime + stime). */
  readonly nodeCpuPct: number;
  /** Share of one core this process (load generator + websocket client) used in the window. */
  readonly genCpuPct: number;
  /** Share of one core everything else on the machine used in the window (noise). */
  readonly otherCpuPct: number;
  /** 1-minute load average when the scenario started. */
  readonly loadAvg: number;
  readonly finalize: FinalizeLimit;
  readonly writeBlock: WriteBlockLimit;
}

/** Runs one node under load for warmup + duration, with probes of CPU at the window edges. */
async function loadNode(
  n: BenchNode,
  tag: string,
  durationMsValue: number,
  onWindow?: (edge: "start" | "end") => void,
): Promise<{ load: TxLoadResult; nodeCpuPct: number; genCpuPct: number; otherCpuPct: number }> {
  const cpu = timedCpuWindow(
    () => processCpuMs(n.node.proc.pid),
    WARMUP_MS,
    WARMUP_MS + durationMsValue,
    onWindow,
  );
  try {
    const load = await runTxLoad({
      rpc: n.rpc,
      connections: CONNECTIONS,
      warmupMs: WARMUP_MS,
      durationMs: durationMsValue,
      tag,
    });
    const shares = cpu.shares();
    return {
      load,
      nodeCpuPct: shares.nodesPct,
      genCpuPct: shares.genPct,
      otherCpuPct: shares.otherPct,
    };
  } finally {
    cpu.cancel();
  }
}

let checkTxLimit: CheckTxLimit | undefined;
const scenarios: ScenarioResult[] = [];
let profiled:
  | {
      readonly timeoutCommit: string;
      readonly load: TxLoadResult;
      readonly nodeCpuPct: number;
      readonly summary: CpuProfileSummary;
      readonly file: string;
    }
  | undefined;

function log(line: string): void {
  console.log(`[node bench] ${line}`);
}

async function runScenario(timeoutCommit: string): Promise<void> {
  const loadAvg = loadavg()[0] ?? Number.NaN;
  if (loadAvg > 1.5) {
    log(`the machine is busy (load average ${formatNumber(loadAvg)}): expect low, noisy figures`);
  }
  checkTxLimit ??= await measureAppCheckTx(2_000);
  const n = await startBenchNode(timeoutCommit);
  let health: HealthLoadResult;
  let measured: Awaited<ReturnType<typeof loadNode>>;
  try {
    const before = await runHealthLoad(n.rpc, CONNECTIONS, HEALTH_MS, 1_500);
    log(
      `timeout_commit=${timeoutCommit}: health ${formatNumber(before.perS)} req/s; ` +
        `broadcast_tx_sync load for ${WARMUP_MS / 1000}+${DURATION_MS / 1000} s…`,
    );
    measured = await loadNode(n, `tc${timeoutCommit}`, DURATION_MS);
    // Again once the mempool is empty (no block executing) and the node's JIT is warm: the
    // transport's ceiling is the better of the two.
    await waitForEmptyMempool(n.rpc, 15_000);
    const after = await runHealthLoad(n.rpc, CONNECTIONS, HEALTH_MS, 500);
    health = after.perS > before.perS ? after : before;
  } finally {
    await n.stop();
  }
  const { load } = measured;
  log(
    `timeout_commit=${timeoutCommit}: ${formatNumber(load.committedPerS)} committed txs/s, ` +
      `p50 ${formatNumber(load.latencyMs.p50)} ms, p99 ${formatNumber(load.latencyMs.p99)} ms; ` +
      "replaying the same blocks into the app alone…",
  );
  const blockTxs = Math.max(1, Math.round(load.txsPerBlock));
  const finalize = await measureAppFinalize(
    blockTxs,
    Math.max(3, Math.ceil(load.committedTotal / blockTxs)),
    APP_MAX_MS,
  );
  const writeBlock = await measureWriteBlock(
    tmpdir(),
    Math.round(load.blockTxBytes) + 1_024, // txs + header, last commit, framing
    finalize.resultsBytes,
    1_500,
  );
  scenarios.push({
    timeoutCommit,
    mempoolSize: n.mempoolSize,
    health,
    load,
    nodeCpuPct: measured.nodeCpuPct,
    genCpuPct: measured.genCpuPct,
    otherCpuPct: measured.otherCpuPct,
    loadAvg,
    finalize,
    writeBlock,
  });
}

async function runProfiled(): Promise<void> {
  const inspectPort = await freePort();
  const n = await startBenchNode(PROFILE_TIMEOUT_COMMIT, inspectPort);
  try {
    log(`profiling the node (timeout_commit=${PROFILE_TIMEOUT_COMMIT}, ${PROFILE_MS / 1000} s)…`);
    const p = await profileWindow(inspectPort, "qos-node-bench", (onWindow) =>
      loadNode(n, "prof", PROFILE_MS, onWindow),
    );
    profiled = {
      timeoutCommit: PROFILE_TIMEOUT_COMMIT,
      load: p.result.load,
      nodeCpuPct: p.result.nodeCpuPct,
      summary: summarizeCpuProfile(p.profile, ROOT, 10),
      file: p.file,
    };
  } finally {
    await n.stop();
  }
}

function ms(n: number): string {
  return `${formatNumber(n)} ms`;
}

function perS(n: number, unit = "/s"): string {
  return `${formatNumber(n)}${unit}`;
}

function scenarioRows(s: ScenarioResult, checkTx: CheckTxLimit): string[][] {
  const l = s.load;
  const tc = `timeout_commit=${s.timeoutCommit}`;
  const interval = l.blocksPerS > 0 ? 1000 / l.blocksPerS : Number.NaN;
  const rejectPct = l.answered > 0 ? (100 * l.rejected) / l.answered : 0;
  const reasons = Object.entries(l.rejectedByReason)
    .map(([r, c]) => `${c}× ${r}`)
    .join("; ");
  const f = s.finalize;
  return [
    [
      tc,
      "committed txs/s (sustained)",
      perS(l.committedPerS),
      `app alone, finalizeBlock+commit: ${perS(f.txsPerS)} (${f.blocks} blocks × ${f.txsPerBlock} txs)`,
      formatRatio(l.committedPerS, f.txsPerS),
    ],
    [
      tc,
      "committed txs/s (sustained)",
      perS(l.committedPerS),
      `app alone, checkTx: ${perS(checkTx.perS)}`,
      formatRatio(l.committedPerS, checkTx.perS),
    ],
    [
      tc,
      `broadcast_tx_sync answered/s (offered, ${l.connections} clients)`,
      perS(l.offeredPerS),
      `RPC alone, health: ${perS(s.health.perS)} (${s.health.connections} clients; best of before/after)`,
      formatRatio(l.offeredPerS, s.health.perS),
    ],
    [
      tc,
      "broadcast_tx_sync round trip p50",
      `${ms(l.broadcastRttMs.p50)} (p99 ${ms(l.broadcastRttMs.p99)})`,
      `RPC alone, health round trip p50: ${ms(s.health.rttMs.p50)}`,
      formatRatio(l.broadcastRttMs.p50, s.health.rttMs.p50),
    ],
    [
      tc,
      `RPC silent (no answer for ≥${STALL_MS} ms), per block`,
      `${ms(l.stallMsPerBlock)} (${formatNumber(l.stallPct)}% of the window)`,
      "0 ms: answers keep flowing while a block executes",
      "-",
    ],
    [
      tc,
      "p50 broadcast→commit latency",
      ms(l.latencyMs.p50),
      `block interval (1 / blocks/s): ${ms(interval)}`,
      formatRatio(l.latencyMs.p50, interval),
    ],
    [
      tc,
      "p99 broadcast→commit latency",
      ms(l.latencyMs.p99),
      `block interval: ${ms(interval)}`,
      formatRatio(l.latencyMs.p99, interval),
    ],
    [
      tc,
      "blocks/s",
      perS(l.blocksPerS),
      `1 / timeout_commit: ${perS(1000 / durationMs(s.timeoutCommit))}`,
      formatRatio(l.blocksPerS, 1000 / durationMs(s.timeoutCommit)),
    ],
    [
      tc,
      "blocks/s",
      perS(l.blocksPerS),
      `LMDB writeBlock alone: ${perS(s.writeBlock.perS)} (blocks of ${formatNumber(s.writeBlock.blockBytes / 1024)} KB + results)`,
      formatRatio(l.blocksPerS, s.writeBlock.perS),
    ],
    [
      tc,
      `txs/block (max ${l.maxTxsPerBlock})`,
      formatNumber(l.txsPerBlock),
      `mempool.size: ${s.mempoolSize}`,
      formatRatio(l.txsPerBlock, s.mempoolSize),
    ],
    [
      tc,
      "node process CPU",
      `${formatNumber(s.nodeCpuPct)}% of a core`,
      "one core (the JS thread): 100%",
      formatRatio(s.nodeCpuPct, 100),
    ],
    [
      tc,
      "other processes' CPU (noise)",
      `${formatNumber(s.otherCpuPct)}% of a core`,
      `quiet machine: 0% (of ${cpus().length * 100}%; load generator ${formatNumber(s.genCpuPct)}%, ` +
        `load average at start ${formatNumber(s.loadAvg, 2)})`,
      "-",
    ],
    [
      tc,
      "CheckTx rejections",
      `${l.rejected} (${formatNumber(rejectPct)}%)`,
      reasons === "" ? "-" : reasons,
      "-",
    ],
  ];
}

function buildSection(): { header: string[]; rows: string[][]; notes: string[] } {
  const checkTx = checkTxLimit ?? { perS: Number.NaN, calls: 0 };
  const header = ["scenario", "figure", "value", "raw limit (same run)", "ratio"];
  const rows = scenarios.flatMap((s) => scenarioRows(s, checkTx));
  const cpu = cpus();
  const notes: string[] = [
    "",
    `Setup: ${cpu.length} x ${cpu[0]?.model ?? "CPU"}; node and load generator share the machine. ` +
      `${CONNECTIONS} keep-alive HTTP clients in closed loops send unique ~${scenarios[0]?.load.txBytes ?? 50}-byte ` +
      `kvstore txs with broadcast_tx_sync for ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s; ` +
      "commit time = arrival of the NewBlockHeader websocket event of the block carrying the tx " +
      "(its txs fetched after the load). Committed txs/s and blocks/s are over the blocks between " +
      "the first and the last header of the window.",
  ];
  const busiest = Math.max(0, ...scenarios.map((s) => s.otherCpuPct));
  if (busiest > 25) {
    notes.push(
      `WARNING: other processes used up to ${formatNumber(busiest)}% of a core during the windows ` +
        `(of ${cpu.length * 100}%): every figure above is below what this machine does when quiet.`,
    );
  }
  for (const s of scenarios) {
    notes.push(
      `timeout_commit=${s.timeoutCommit}: ${s.load.blocks} blocks over ${formatNumber(s.load.windowS)} s, ` +
        `${s.load.latencySamples} latency samples, ${s.load.committedTotal} txs committed in all; ` +
        `load generator CPU ${formatNumber(s.genCpuPct)}% of a core; app alone per block ` +
        `${ms(s.finalize.msPerBlock)} (last quarter ${ms(s.finalize.msPerBlockAtEnd)}); ` +
        `writeBlock ${ms(s.writeBlock.msPerBlock)}.`,
    );
  }
  if (profiled !== undefined) {
    const p = profiled;
    notes.push(
      "",
      ...profileNoteLines(
        p.summary,
        `Where the time goes: V8 CPU profile of the node over a ${PROFILE_MS / 1000} s window ` +
          `(timeout_commit=${p.timeoutCommit}; that run: ${perS(p.load.committedPerS)} committed txs/s, ` +
          `node CPU ${formatNumber(p.nodeCpuPct)}% of a core).`,
        "Top 10 self time:",
        "Top 10 of this repository's functions by inclusive time (the node's stages):",
      ),
      `Profile saved to ${p.file} (open in Chrome DevTools > Performance, or VS Code).`,
    );
  }
  return { header, rows, notes };
}

const ONCE = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };

describe("node throughput: single validator, kvstore, broadcast_tx_sync (figures in the summary)", () => {
  for (const tc of TIMEOUT_COMMITS) {
    let ran = false;
    bench(
      `timeout_commit=${tc}: ${(WARMUP_MS + DURATION_MS) / 1000} s load + raw limits`,
      async () => {
        if (ran) return;
        ran = true;
        await runScenario(tc);
      },
      ONCE,
    );
  }
  if (PROFILE_MS > 0) {
    let ran = false;
    bench(
      `CPU profile of the node, timeout_commit=${PROFILE_TIMEOUT_COMMIT}: ${(WARMUP_MS + PROFILE_MS) / 1000} s load`,
      async () => {
        if (ran) return;
        ran = true;
        await runProfiled();
      },
      ONCE,
    );
  }
});

afterAll(() => {
  if (scenarios.length === 0 && profiled === undefined) return;
  const { header, rows, notes } = buildSection();
  const title = "Node throughput (single validator, kvstore test app): figure | raw limit | ratio";
  if (saveBenchSection({ file: import.meta.filename, title, header, rows, notes })) {
    log("figures saved for the closing summary");
  } else {
    console.log(`\n${title}\n\n${formatTable(header, rows)}\n${notes.join("\n")}\n`);
  }
});
