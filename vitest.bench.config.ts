import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig, mergeConfig } from "vitest/config";
import { BENCH_RESULTS_ENV } from "./bench/benchResults.ts";
import { BenchSummaryReporter } from "./bench/benchSummaryReporter.ts";
import base from "./vitest.config.ts";

// `npm run bench`: every bench/*.bench.ts, one file at a time (they measure the machine, so
// nothing else may run beside them), ending with one summary (bench/benchSummaryReporter.ts).
// Bench files hand their own tables to the summary through files in this directory.
const resultsDir = mkdtempSync(join(tmpdir(), "qos-bench-results-"));

export default mergeConfig(
  base,
  defineConfig({
    test: {
      fileParallelism: false,
      env: { [BENCH_RESULTS_ENV]: resultsDir },
      benchmark: {
        include: ["bench/**/*.bench.ts"],
        reporters: [new BenchSummaryReporter(resultsDir)],
      },
    },
  }),
);
