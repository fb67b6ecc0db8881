// Helpers of the crash tests: a seeded PRNG for kill schedules and a child process that is
// SIGKILLed a chosen delay after it prints a marker line.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** Seeded (mulberry32), so a kill schedule is the same each run (the moments still vary with timing). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs `node script ...args` from the repo root until `waitFor` shows on its stdout, waits
 * `delayMs`, SIGKILLs it and resolves with its non-empty stdout lines. Rejects if the child ends
 * any other way (its stderr and stdout are in the error).
 */
export function runAndKill(
  script: string,
  args: readonly string[],
  waitFor: RegExp,
  delayMs: number,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let killTimer: NodeJS.Timeout | undefined;
    const safety = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (killTimer === undefined && waitFor.test(out)) {
        killTimer = setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.stderr.on("data", (chunk: string) => {
      err += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(safety);
      clearTimeout(killTimer);
      if (signal !== "SIGKILL" || killTimer === undefined) {
        reject(new Error(`child ended with code ${code} signal ${signal}\n${err}\n${out}`));
      } else {
        resolve(out.split("\n").filter((l) => l.length > 0));
      }
    });
  });
}
