// Crash test of the state tree with real processes: a child commits multi-store versions in a
// loop and records each app hash in a side file after writeBlock returns; it is SIGKILLed at
// random moments (most during a commit). Every reopen must land on the last complete version:
// the recorded one, or the one after it when the kill hit between writeBlock and the record.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { toHex } from "@qos/types";
import { describe, expect, test } from "vitest";
import { openMultiStore } from "../../src/multiStore.ts";
import { openNodeDb } from "../../src/nodeDb.ts";
import { runAndKill, seededRandom } from "../killChild.ts";
import { tempDir } from "../tempDir.ts";
import { KEEP_RECENT, opsFor, STORES } from "./fixtures/treeCrashData.mjs";
import { hexEntries, type Model, modelRange, modelSet } from "./treeModel.ts";

const CHILD = fileURLToPath(new URL("./fixtures/treeCrashChild.mjs", import.meta.url));
/** Kills that must land inside a commit (between "begin v" and "committed v"). */
const KILLS = Number(process.env.TREE_CRASH_KILLS ?? 20);
/** Kills allowed in all, counting those that land between commits. */
const MAX_RUNS = 4 * KILLS;

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
  test(`${KILLS} SIGKILLs inside commits: reopen lands on the last complete version`, async () => {
    const dir = tempDir("qos-tree-crash-");
    const dataDir = join(dir, "data");
    const sideFile = join(dir, "roots.txt");
    const random = seededRandom(0x7ee);
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
    let midCommit = 0;
    let runs = 0;
    while (midCommit < KILLS && runs < MAX_RUNS) {
      runs++;
      const lines = await runAndKill(
        CHILD,
        [dataDir, sideFile],
        /^committed /m,
        Math.floor(random() * 120),
      );
      if (lines[lines.length - 1]?.startsWith("begin ") === true) midCommit++;
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
    expect(midCommit).toBe(KILLS);
    expect(last).toBeGreaterThanOrEqual(BigInt(runs));
  }, 600_000);
});
