// The process and runtime metrics of prom-client's `collectDefaultMetrics` (CPU, memory, heap
// spaces, event-loop lag, handles, file descriptors, version) without its per-GC histogram
// `nodejs_gc_duration_seconds`: that one observes every V8 collection through a
// PerformanceObserver, and Node builds each GC entry with deprecated-property wrappers, which
// cost about 2% of the main thread at 3,000 txs/s, when V8 scavenges every few milliseconds.

import { createRequire } from "node:module";
import { collectDefaultMetrics, type Registry } from "prom-client";

const require = createRequire(import.meta.url);

type Collector = (registry: Registry, config: { eventLoopMonitoringPrecision: number }) => void;

/** Registers the default collectors except "gc" (prom-client 15 keeps one module per collector). */
export function collectProcessMetrics(registry: Registry): void {
  for (const name of collectDefaultMetrics.metricsList) {
    if (name === "gc") continue;
    const collector = require(`prom-client/lib/metrics/${name}`) as Collector;
    collector(registry, { eventLoopMonitoringPrecision: 10 });
  }
}
