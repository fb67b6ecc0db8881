// Summary sections a bench file hands to the summary reporter: JSON files in the directory
// named by QOS_BENCH_RESULTS (set by vitest.bench.config.ts), read once every file has run.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

export const BENCH_RESULTS_ENV = "QOS_BENCH_RESULTS";

export interface BenchSection {
  /** The bench file that produced it: its vitest rows are left out of the micro-bench summary. */
  readonly file: string;
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
}

/**
 * Saves a section for the closing summary. False (nothing saved) when the bench runs without
 * vitest.bench.config.ts: the caller then prints the section itself.
 */
export function saveBenchSection(section: BenchSection): boolean {
  const dir = process.env[BENCH_RESULTS_ENV];
  if (dir === undefined || dir === "") return false;
  const name = `${basename(section.file).replace(/\W+/g, "_")}-${Date.now()}.json`;
  writeFileSync(join(dir, name), JSON.stringify(section, null, 2));
  return true;
}

export function loadBenchSections(dir: string): BenchSection[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  return names.sort().map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")) as BenchSection);
}
