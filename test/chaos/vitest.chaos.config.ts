import { resolve } from "node:path";
import { defineConfig } from "vitest/config";
import base from "../../vitest.config.ts";

// The chaos run only (scripts/chaos.mjs): test/chaos/*.run.ts, with a time limit that fits
// CHAOS_MINUTES of faults plus start-up, settling and the checks. Spread, not mergeConfig:
// mergeConfig would append the base config's include patterns to ours.
const minutes = Number(process.env.CHAOS_MINUTES ?? 2);
const limitMs = (Math.max(0, minutes) * 60 + 900) * 1000;

export default defineConfig({
  ...base,
  root: resolve(import.meta.dirname, "../.."),
  test: {
    ...base.test,
    include: ["test/chaos/**/*.run.ts"],
    testTimeout: limitMs,
    hookTimeout: limitMs,
  },
});
