import { defineConfig } from "vitest/config";

// Tests run against the TypeScript sources: the "@qos/source" export condition
// points each workspace package at its src/index.ts, so no build is needed first.
export default defineConfig({
  resolve: { conditions: ["@qos/source"] },
  ssr: { resolve: { conditions: ["@qos/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
