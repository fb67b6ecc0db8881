// Crash test of the state tree with real processes: a child commits multi-store versions in a
// loop and records each app hash in a side file after writeBlock returns; it is SIGKILLed at
// random moments (most during a commit). Every reopen must land on the last complete version:
// the recorded one, or the one after it when the kill hit between writeBlock and the record.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { toHex } from "@qos/types";
import { describe, expect, test } from "vitest";
import { openMultiStore } from "../../src/multiStore.ts";
import { openNodeDb } from "../../src/nodeDb.ts";
import { tempDir } from "../tempDir.ts";
import { KEEP_RECENT, opsFor, STORES } from "./fixtures/treeCrashData.mjs";
import { hexEntries, type Model, modelRange, modelSet } from "./treeModel.ts";

const CHILD = fileURLToPath(new URL("./fixtures/treeCrashChild.mjs", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
const KILLS = Number(process.env.TREE_CRASH_KILLS ?? 24);

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the child until `waitFor` shows on its stdout, waits `delayMs`, SIGKILLs it. */
function runAndKill(args: string[], waitFor: RegExp, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], {
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
        resolve();
      }
    });
  });
}

/** Complete lines of the side file: version → app hash (hex). */
function recorded(file: string): Map<bigint, string> {
  const out = new Map<bigint, string>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^(\d+) ([0-9a-f]{64})$/.exec(line);
    if (m) out.set(BigInt(m[1] as string), m[2] as string);
  }
  return out;
}

describe("state tree crash safety", () => {
  test(`${KILLS} SIGKILLs during commits: reopen lands on the last complete version`, async () => {
    const dir = tempDir("qos-tree-crash-");
    const dataDir = join(dir, "data");
    const sideFile = join(dir, "roots.txt");
    const random = prng(0x7ee);
    // the model: the state after each version, replayed from the deterministic ops
    const models: Model[][] = [STORES.map(() => new Map())];
    const modelAt = (v: bigint): Model[] => {
      while (BigInt(models.length) <= v) {
        const next = (models[models.length - 1] as Model[]).map((m) => new Map(m));
        const ops = opsFor(BigInt(models.length)) as [string, Uint8Array, Uint8Array | null][];
        for (const [name, key, value] of ops) {
          const m = next[STORES.indexOf(name)] as Model;
          if (value === null) m.delete(toHex(key));
          else modelSet(m, key, value);
        }
        models.push(next);
      }
      return models[Number(v)] as Model[];
    };
    let last = 0n;
    for (let run = 0; run < KILLS; run++) {
      await runAndKill([dataDir, sideFile], /^committed /m, Math.floor(random() * 120));
      const rec = recorded(sideFile);
      let lastRecorded = 0n;
      for (const v of rec.keys()) if (v > lastRecorded) lastRecorded = v;
      const db = openNodeDb({ path: dataDir });
      const ms = openMultiStore({ db, storeNames: STORES, keepRecent: KEEP_RECENT });
      const version = ms.lastCommit.version;
      // recorded after writeBlock returned: the store is at it, or one commit ahead
      expect(version === lastRecorded || version === lastRecorded + 1n).toBe(true);
      expect(version).toBeGreaterThan(last);
      for (const v of ms.retainedVersions()) {
        const hash = rec.get(v);
        const view = ms.at(v);
        if (hash !== undefined) expect(toHex(view.appHash).toLowerCase()).toBe(hash);
      }
      // the latest version holds exactly the model's keys
      const view = ms.at();
      const model = modelAt(version);
      STORES.forEach((name, i) => {
        expect(hexEntries(view.store(name).iterate())).toEqual(
          hexEntries(modelRange(model[i] as Model, {})),
        );
      });
      last = version;
      ms.close();
      await db.close();
    }
    expect(last).toBeGreaterThanOrEqual(BigInt(KILLS));
  }, 600_000);
});
