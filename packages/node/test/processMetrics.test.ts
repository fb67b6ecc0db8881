// The node's process metrics: prom-client's default collectors are registered, except the
// per-GC histogram (see src/processMetrics.ts).
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { collectProcessMetrics } from "../src/processMetrics.ts";

describe("collectProcessMetrics", () => {
  it("exports CPU, memory, heap and event-loop metrics, and no per-GC histogram", async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const text = await registry.metrics();
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
      "nodejs_heap_space_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_version_info",
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(text).not.toContain("nodejs_gc_duration_seconds");
  });
});
