// `npm run test:chaos -- --minutes M [--seed S] [--max-stall SECONDS] [--keep]`: the chaos run
// (test/chaos/chaosRunner.ts) over the built CLI, through vitest so it shares the e2e
// harness and proxies in TypeScript. Exits non-zero on any violation.

import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";

const usage =
  "usage: npm run test:chaos -- [--minutes M (default 2)] [--seed S (default random)] " +
  "[--max-stall SECONDS (default 20)] [--keep (keep homes and logs)]";

let values;
try {
  ({ values } = parseArgs({
    options: {
      minutes: { type: "string", default: "2" },
      seed: { type: "string" },
      "max-stall": { type: "string", default: "20" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  }));
} catch (e) {
  console.error(`${e.message}\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0) {
  console.error(`--minutes ${values.minutes}: want a positive number\n${usage}`);
  process.exit(2);
}
const maxStall = Number(values["max-stall"]);
if (!Number.isFinite(maxStall) || maxStall <= 0) {
  console.error(`--max-stall ${values["max-stall"]}: want a positive number of seconds\n${usage}`);
  process.exit(2);
}
const seed = values.seed === undefined ? randomInt(2 ** 32) : Number(values.seed);
if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
  console.error(`--seed ${values.seed}: want an integer from 0 to 2^32-1\n${usage}`);
  process.exit(2);
}

const root = resolve(import.meta.dirname, "..");
const vitest = join(
  dirname(createRequire(import.meta.url).resolve("vitest/package.json")),
  "vitest.mjs",
);
console.log(`chaos: ${minutes} min, seed ${seed} (replay with --seed ${seed})`);
const run = spawnSync(
  process.execPath,
  [vitest, "run", "--config", "test/chaos/vitest.chaos.config.ts"],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      CHAOS_MINUTES: String(minutes),
      CHAOS_SEED: String(seed),
      CHAOS_MAX_STALL_S: String(maxStall),
      CHAOS_KEEP: values.keep ? "1" : "0",
    },
  },
);
process.exit(run.status ?? 1);
