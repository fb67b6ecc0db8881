// CPU shares over a bench's measuring window: the node processes, this process (the load
// generator) and the rest of the machine (noise), each in % of one core.

import { performance } from "node:perf_hooks";
import { machineBusyMs } from "./networkLoad.ts";

export interface CpuShares {
  /** The node processes (utime + stime). */
  readonly nodesPct: number;
  /** This process: load generator, websocket clients. */
  readonly genPct: number;
  /** Everything else on the machine, never below 0. */
  readonly otherPct: number;
}

export interface CpuWindow {
  /** Samples the window's opening edge. */
  start(): void;
  /** Samples the window's closing edge. */
  end(): void;
  /** The shares between the two edges (NaN where a sample was unreadable). */
  shares(): CpuShares;
}

/** A window over the node processes whose CPU time so far (ms) `nodesCpuMs` reads. */
export function createCpuWindow(nodesCpuMs: () => number): CpuWindow {
  let nodes0 = Number.NaN;
  let nodes1 = Number.NaN;
  let busy0 = Number.NaN;
  let busy1 = Number.NaN;
  let gen0 = process.cpuUsage();
  let gen1 = gen0;
  let t0 = 0;
  let t1 = 0;
  return {
    start() {
      nodes0 = nodesCpuMs();
      busy0 = machineBusyMs();
      gen0 = process.cpuUsage();
      t0 = performance.now();
    },
    end() {
      nodes1 = nodesCpuMs();
      busy1 = machineBusyMs();
      gen1 = process.cpuUsage(gen0);
      t1 = performance.now();
    },
    shares() {
      const wall = t1 - t0;
      const nodesMs = nodes1 - nodes0;
      const genMs = (gen1.user + gen1.system) / 1000;
      return {
        nodesPct: (100 * nodesMs) / wall,
        genPct: (100 * genMs) / wall,
        otherPct: Math.max(0, (100 * (busy1 - busy0 - nodesMs - genMs)) / wall),
      };
    },
  };
}

/**
 * A window whose edges timers sample `startMs` and `endMs` from now; `onEdge` runs after each
 * sample (e.g. to start and stop a profiler). `cancel` clears the timers that have not fired.
 */
export function timedCpuWindow(
  nodesCpuMs: () => number,
  startMs: number,
  endMs: number,
  onEdge?: (edge: "start" | "end") => void,
): { shares(): CpuShares; cancel(): void } {
  const window = createCpuWindow(nodesCpuMs);
  const startTimer = setTimeout(() => {
    window.start();
    onEdge?.("start");
  }, startMs);
  const endTimer = setTimeout(() => {
    window.end();
    onEdge?.("end");
  }, endMs);
  return {
    shares: () => window.shares(),
    cancel() {
      clearTimeout(startTimer);
      clearTimeout(endTimer);
    },
  };
}
