// `npm run test:chaos -- --minutes M [--seed S]` (scripts/chaos.mjs) runs this file through
// test/chaos/vitest.chaos.config.ts; the options come in CHAOS_* environment variables.

import { randomInt } from "node:crypto";
import { expect, it } from "vitest";
import { runChaos } from "./chaosRunner.ts";

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw}: want a non-negative number`);
  return n;
}

const MINUTES = envNumber("CHAOS_MINUTES", 2);
const SEED = envNumber("CHAOS_SEED", randomInt(2 ** 32)) >>> 0;
const MAX_STALL_S = envNumber("CHAOS_MAX_STALL_S", 20);
const KEEP = process.env.CHAOS_KEEP === "1";

it(`chaos: ${MINUTES} min of kills, restarts and partitions (seed ${SEED})`, async () => {
  const report = await runChaos({
    minutes: MINUTES,
    seed: SEED,
    maxStallS: MAX_STALL_S,
    keep: KEEP,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(report.summary);
  expect(report.violations).toEqual([]);
});
