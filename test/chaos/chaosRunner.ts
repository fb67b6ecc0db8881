// The chaos run (acceptance "Chaos"): 4 validators behind loopback proxies, a tx load on
// random nodes, and a seeded schedule of faults (kill, clean stop, isolation, partial
// partition, kill while isolated), never more than f = 1 faulty node at once. Afterwards:
// no fork, every acknowledged tx in its reported block on every node, no long stall.

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { type ChainWatch, highest, type Stall, startChainWatch } from "../e2e/chainWatch.ts";
import { createPrng, latestHeight, type Prng, rpcCall, sleep, txBase64 } from "../e2e/harness.ts";
import { type ProxiedCluster, startProxiedCluster } from "../e2e/proxiedCluster.ts";

export interface ChaosOptions {
  readonly minutes: number;
  readonly seed: number;
  /** The longest the chain may go without a new block (the bound "heights advanced throughout"). */
  readonly maxStallS: number;
  /** Keep the homes and logs even when the run passes. */
  readonly keep: boolean;
  /** Progress lines (the runner prints them as they come). */
  readonly log: (line: string) => void;
}

export interface ChaosReport {
  readonly violations: readonly string[];
  readonly summary: string;
}

const VALIDATORS = 4;
/** Byzantine tolerance of 4 equal validators: f = floor((n − 1) / 3). */
const F = Math.floor((VALIDATORS - 1) / 3);
const COMMIT_CLIENTS = 6;
const SYNC_CLIENTS = 6;
/** A restored node must be back at the chain's tip within this. */
const CATCH_UP_BOUND_MS = 90_000;
/** After the chaos, every node must reach the final height within this. */
const SETTLE_BOUND_MS = 120_000;
const LOG_FAILURE = /consensus halted|^F\[/m;

type FaultKind = "kill" | "kill-twice" | "stop" | "isolate" | "partial" | "kill-isolated";

interface FaultRecord {
  readonly kind: FaultKind;
  readonly node: number;
  readonly atS: number;
  readonly durationMs: number;
  /** Nodes cut from `node` (partial partitions). */
  readonly cutFrom: readonly number[];
  /** Time from restoring the node to it being at the tip again (NaN if it never was). */
  catchUpMs: number;
  /** When the node was back at the tip (or given up on). */
  endS: number;
}

interface AckedTx {
  readonly text: string;
  readonly b64: string;
  readonly height: bigint;
  readonly node: number;
  readonly via: "commit" | "sync+tx";
}

function pickFault(prng: Prng): FaultKind {
  const r = prng.next();
  if (r < 0.2) return "kill";
  if (r < 0.3) return "kill-twice";
  if (r < 0.4) return "stop";
  if (r < 0.7) return "isolate";
  if (r < 0.85) return "partial";
  return "kill-isolated";
}

function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs the whole chaos scenario; never throws for a violation (it is reported instead). */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const violations: string[] = [];
  const log = opts.log;
  const prng = createPrng(opts.seed);
  const t0 = performance.now();
  const at = () => (performance.now() - t0) / 1000;
  const say = (line: string) => log(`[chaos ${at().toFixed(1).padStart(6)} s] ${line}`);
  say(
    `seed ${opts.seed}, ${opts.minutes} min, ${VALIDATORS} validators (f = ${F}), ` +
      `max stall ${opts.maxStallS} s`,
  );

  const cluster: ProxiedCluster = await startProxiedCluster({
    prefix: "qos-chaos-",
    chainId: "chaos-test",
    validators: VALIDATORS,
  });
  say(`cluster up in ${cluster.dir}`);
  let watch: ChainWatch | undefined;
  const faults: FaultRecord[] = [];
  const acked: AckedTx[] = [];
  const unacked = new Map<string, number>();
  let sent = 0;
  let keep = opts.keep;
  let startHeight = 0n;
  /** Chaos time (s) at which the chain watch started: its times are relative to it. */
  let watchStartS = 0;
  let finalHeight = 0n;
  try {
    const w = await startChainWatch({
      rpcs: cluster.nodes.map((n) => n.rpc),
      isUp: (i) => cluster.isRunning(i),
    });
    watch = w;
    watchStartS = at();
    startHeight = w.maxHeight();

    // ---- load: unique kvstore txs to random running nodes ----------------------------
    let loadStopping = false;
    const noteUnacked = (reason: string) => {
      const key = reason.replace(/\d+/g, "N").slice(0, 60);
      unacked.set(key, (unacked.get(key) ?? 0) + 1);
    };
    const randomRunning = (p: Prng): number | null => {
      const up = cluster.nodes.filter((n) => cluster.isRunning(n.index)).map((n) => n.index);
      return up.length === 0 ? null : (up[p.int(0, up.length - 1)] as number);
    };
    const client = async (c: number, via: AckedTx["via"]): Promise<void> => {
      const p = createPrng((opts.seed ^ (0x9e3779b9 * (c + 1))) >>> 0);
      for (let seq = 0; !loadStopping; seq++) {
        const i = randomRunning(p);
        if (i === null) {
          await sleep(100);
          continue;
        }
        const rpc = cluster.nodes[i]?.rpc as string;
        const text = `chaos${opts.seed}.c${c}.${seq}=v${p.int(0, 1_000_000)}`;
        const b64 = txBase64(text);
        sent++;
        try {
          if (via === "commit") {
            const r = await rpcCall<{
              check_tx: { code?: number };
              tx_result: { code?: number };
              height: string;
            }>(rpc, "broadcast_tx_commit", { tx: b64 }, 15_000);
            const height = BigInt(r.height);
            if ((r.check_tx.code ?? 0) === 0 && (r.tx_result.code ?? 0) === 0 && height > 0n)
              acked.push({ text, b64, height, node: i, via });
            else noteUnacked(`code ${r.check_tx.code ?? 0}/${r.tx_result.code ?? 0}`);
          } else {
            const r = await rpcCall<{ code?: number; hash: string }>(
              rpc,
              "broadcast_tx_sync",
              { tx: b64 },
              5_000,
            );
            if ((r.code ?? 0) !== 0) {
              noteUnacked(`checkTx code ${r.code}`);
              continue;
            }
            const hash = Buffer.from(r.hash, "hex").toString("base64");
            const deadline = performance.now() + 20_000;
            let found: { height: string; tx_result: { code?: number } } | undefined;
            while (
              found === undefined &&
              performance.now() < deadline &&
              !loadStopping &&
              cluster.isRunning(i)
            ) {
              await sleep(150);
              found = await rpcCall<{ height: string; tx_result: { code?: number } }>(
                rpc,
                "tx",
                { hash },
                5_000,
              ).catch(() => undefined);
            }
            if (found !== undefined && (found.tx_result.code ?? 0) === 0)
              acked.push({ text, b64, height: BigInt(found.height), node: i, via });
            else noteUnacked(found === undefined ? "not found by tx within 20 s" : "code≠0");
          }
        } catch (e) {
          noteUnacked((e as Error).name === "TimeoutError" ? "timeout" : (e as Error).message);
        }
      }
    };
    const clients = [
      ...Array.from({ length: COMMIT_CLIENTS }, (_, c) => client(c, "commit")),
      ...Array.from({ length: SYNC_CLIENTS }, (_, c) => client(COMMIT_CLIENTS + c, "sync+tx")),
    ];

    // ---- faults: one at a time, each node back at the tip before the next --------------
    const endAt = opts.minutes * 60;
    let aborted = false;
    const catchUp = async (k: number): Promise<number> => {
      const from = performance.now();
      const deadline = from + CATCH_UP_BOUND_MS;
      while (performance.now() < deadline) {
        const h = await latestHeight(cluster.nodes[k]?.rpc as string, 2_000).catch(() => -1n);
        const tip = highest(w.heights().filter((_, j) => j !== k));
        if (h >= 0n && h + 1n >= tip) return performance.now() - from;
        await sleep(200);
      }
      return Number.NaN;
    };
    while (at() < endAt && !aborted) {
      await sleep(prng.int(1_000, 4_000));
      if (at() >= endAt) break;
      const kind = pickFault(prng);
      const k = prng.int(0, VALIDATORS - 1);
      const durationMs = prng.int(2_000, 10_000);
      const others = cluster.nodes.map((n) => n.index).filter((j) => j !== k);
      const cutFrom =
        kind === "partial"
          ? others.filter(() => prng.next() < 0.5)
          : kind === "isolate"
            ? others
            : [];
      if (kind === "partial" && cutFrom.length === 0) cutFrom.push(others[0] as number);
      const rec: FaultRecord = {
        kind,
        node: k,
        atS: at(),
        durationMs,
        cutFrom,
        catchUpMs: Number.NaN,
        endS: Number.NaN,
      };
      faults.push(rec);
      const h = w.maxHeight();
      switch (kind) {
        case "kill":
        case "kill-twice":
          await cluster.kill(k);
          say(`SIGKILL node${k} for ${fmtS(durationMs)} (tip ${h})`);
          break;
        case "stop":
          await cluster.stop(k);
          say(`SIGTERM node${k} for ${fmtS(durationMs)} (tip ${h})`);
          break;
        case "isolate":
          cluster.mesh.isolate(k);
          say(`isolate node${k} for ${fmtS(durationMs)} (tip ${h})`);
          break;
        case "partial":
          for (const j of cutFrom) cluster.mesh.cutBetween(k, j);
          say(`cut node${k} from node${cutFrom.join(",node")} for ${fmtS(durationMs)} (tip ${h})`);
          break;
        case "kill-isolated":
          cluster.mesh.isolate(k);
          await sleep(Math.floor(durationMs / 3));
          await cluster.kill(k);
          say(`isolate node${k}, then SIGKILL it (tip ${h})`);
          break;
      }
      await sleep(kind === "kill-isolated" ? durationMs - Math.floor(durationMs / 3) : durationMs);
      // Restore.
      if (kind === "kill-isolated") {
        await cluster.start(k);
        await sleep(1_000); // restarted while still isolated
        cluster.mesh.healAll();
      } else if (kind === "kill" || kind === "stop") {
        await cluster.start(k);
      } else if (kind === "kill-twice") {
        // Killed again while it catches up (block sync, WAL replay), then restarted.
        await cluster.start(k);
        const again = prng.int(0, 2_000);
        await sleep(again);
        await cluster.kill(k);
        say(`SIGKILL node${k} again ${fmtS(again)} after its restart (tip ${w.maxHeight()})`);
        await sleep(prng.int(500, 3_000));
        await cluster.start(k);
      } else {
        cluster.mesh.healAll();
      }
      rec.catchUpMs = await catchUp(k);
      rec.endS = at();
      if (Number.isNaN(rec.catchUpMs)) {
        violations.push(
          `node${k} was not back at the tip ${CATCH_UP_BOUND_MS / 1000} s after its ${kind} ended ` +
            `(height ${w.heights()[k]}, tip ${w.maxHeight()})`,
        );
        aborted = true;
      }
      say(
        `node${k} restored (${kind}); at the tip after ${fmtS(rec.catchUpMs)} (tip ${w.maxHeight()})`,
      );
    }

    // ---- settle: everything healed and running, load stopped, everyone at one height ---
    cluster.mesh.healAll();
    for (const n of cluster.nodes) if (!cluster.isRunning(n.index)) await cluster.start(n.index);
    loadStopping = true;
    await Promise.all(clients);
    say(`load stopped: ${sent} txs sent, ${acked.length} acknowledged as committed`);
    finalHeight = w.maxHeight() + 2n;
    const settleDeadline = performance.now() + SETTLE_BOUND_MS;
    for (;;) {
      await w.pollNow();
      if (cluster.nodes.every((n) => w.scanned(n.index) >= finalHeight)) break;
      if (performance.now() > settleDeadline) {
        violations.push(
          `not every node reached height ${finalHeight} within ${SETTLE_BOUND_MS / 1000} s ` +
            `(heights ${w.heights().join(", ")})`,
        );
        break;
      }
      await sleep(250);
    }
    await w.stop();
    say(`settled at height ${finalHeight}; checking`);

    // ---- checks ---------------------------------------------------------------------
    for (const f of w.forks()) {
      violations.push(
        `fork at height ${f.height}: node${f.first.node} has ${f.first.hash}, ` +
          `node${f.other.node} has ${f.other.hash}`,
      );
    }
    violations.push(...(await checkAckedTxs(cluster, acked)));
    if (w.maxStallMs() > opts.maxStallS * 1000) {
      const worst = [...w.stalls()].sort((a, b) => b.toMs - b.fromMs - (a.toMs - a.fromMs))[0];
      violations.push(
        `the chain made no progress for ${fmtS(w.maxStallMs())} (bound ${opts.maxStallS} s)` +
          (worst === undefined
            ? " at the end of the run"
            : `, at height ${worst.height} from ${fmtS(worst.fromMs)} into the run`),
      );
    }
    for (const e of cluster.unexpectedExits()) violations.push(e);
    for (const n of cluster.nodes) {
      const text = readFileSync(n.logPath, "utf8");
      const m = LOG_FAILURE.exec(text);
      if (m !== null) violations.push(`node${n.index}'s log: ${m[0]} (see ${n.logPath})`);
    }
  } catch (e) {
    violations.push(`the run itself failed: ${(e as Error).stack ?? String(e)}`);
  } finally {
    await watch?.stop();
    if (violations.length > 0) keep = true;
    await cluster.close({ keep });
  }

  const summary = summarize({
    opts,
    faults,
    acked,
    sent,
    unacked,
    watch,
    startHeight,
    finalHeight,
    watchStartS,
    durationS: at(),
    violations,
    keptDir: keep ? cluster.dir : null,
  });
  return { violations, summary };
}

/** Every acknowledged tx is in the block at its reported height, on every node. */
async function checkAckedTxs(
  cluster: ProxiedCluster,
  acked: readonly AckedTx[],
): Promise<string[]> {
  const out: string[] = [];
  const byHeight = new Map<bigint, AckedTx[]>();
  for (const t of acked) byHeight.set(t.height, [...(byHeight.get(t.height) ?? []), t]);
  for (const n of cluster.nodes) {
    for (const [height, txs] of byHeight) {
      const r = await rpcCall<{ block: { data: { txs: string[] | null } } }>(
        n.rpc,
        "block",
        { height: String(height) },
        10_000,
      );
      const inBlock = new Set(r.block.data.txs ?? []);
      for (const t of txs) {
        if (!inBlock.has(t.b64)) {
          out.push(
            `tx ${t.text} acknowledged by node${t.node} (${t.via}) at height ${height} ` +
              `is not in node${n.index}'s block ${height}`,
          );
        }
      }
    }
  }
  return out;
}

function summarize(r: {
  opts: ChaosOptions;
  faults: readonly FaultRecord[];
  acked: readonly AckedTx[];
  sent: number;
  unacked: ReadonlyMap<string, number>;
  watch: ChainWatch | undefined;
  startHeight: bigint;
  finalHeight: bigint;
  watchStartS: number;
  durationS: number;
  violations: readonly string[];
  keptDir: string | null;
}): string {
  const count = (k: FaultKind) => r.faults.filter((f) => f.kind === k).length;
  const catchUps = r.faults
    .map((f) => f.catchUpMs)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  const median = catchUps[Math.floor(catchUps.length / 2)] ?? Number.NaN;
  const w = r.watch;
  const stalls = w?.stalls() ?? [];
  /** The faults under way during a stall (watch times are ms since the watch started). */
  const during = (s: Stall): string => {
    const from = r.watchStartS + s.fromMs / 1000;
    const to = r.watchStartS + s.toMs / 1000;
    const active = r.faults.filter((f) => f.atS < to && !(f.endS < from));
    return active.length === 0
      ? " (no fault)"
      : ` (${active.map((f) => `${f.kind} node${f.node}`).join(", ")})`;
  };
  const lines = [
    "",
    "=".repeat(78),
    `CHAOS SUMMARY — seed ${r.opts.seed}, ${r.opts.minutes} min of faults, ${r.durationS.toFixed(0)} s in all`,
    "=".repeat(78),
    `faults (at most ${F} faulty node at once): ${r.faults.length} — ` +
      `${count("kill")} SIGKILL, ${count("kill-twice")} SIGKILL + SIGKILL while catching up, ` +
      `${count("stop")} SIGTERM, ${count("isolate")} isolations, ` +
      `${count("partial")} partial partitions, ${count("kill-isolated")} kills while isolated`,
    `kills/restarts: ${count("kill") + 2 * count("kill-twice") + count("stop") + count("kill-isolated")}, ` +
      `partitions: ${count("isolate") + count("partial") + count("kill-isolated")}`,
    `back at the tip after a fault: median ${fmtS(median)}, max ${fmtS(catchUps.at(-1) ?? Number.NaN)}`,
    `txs: ${r.sent} sent, ${r.acked.length} acknowledged as committed ` +
      `(${r.acked.filter((t) => t.via === "commit").length} broadcast_tx_commit, ` +
      `${r.acked.filter((t) => t.via === "sync+tx").length} broadcast_tx_sync + tx), all checked on every node`,
    `not acknowledged (node killed or cut off mid-request, timeouts): ${
      [...r.unacked].map(([k, v]) => `${v}× ${k}`).join("; ") || "none"
    }`,
    `heights: ${r.startHeight} at the start, ${r.finalHeight} at the end ` +
      `(${r.finalHeight - r.startHeight} blocks); every node compared at every height`,
    `max stall (highest height standing still): ${fmtS(w?.maxStallMs() ?? Number.NaN)} ` +
      `(bound ${r.opts.maxStallS} s); stalls over 5 s: ${
        stalls
          .map((s) => `${fmtS(s.toMs - s.fromMs)} at height ${s.height}${during(s)}`)
          .join(", ") || "none"
      }`,
    r.violations.length === 0
      ? "RESULT: PASS — no fork, every acknowledged tx on every node, heights advanced throughout"
      : `RESULT: FAIL — ${r.violations.length} violation(s):\n${r.violations.map((v) => `  - ${v}`).join("\n")}`,
    r.keptDir === null ? "" : `homes and logs kept in ${r.keptDir}`,
    `replay: npm run test:chaos -- --minutes ${r.opts.minutes} --seed ${r.opts.seed}`,
    "",
  ];
  return lines.join("\n");
}
