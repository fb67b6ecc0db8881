// Vitest bench reporter: vitest's usual per-group tables, then ONE closing summary in place of
// vitest's "BENCH Summary": every micro-bench row beside its group's raw row, then the sections
// (e.g. node throughput) that bench files saved with saveBenchSection.

import { rmSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { relative } from "node:path";
import type { BenchmarkResult, RunnerTask, RunnerTestFile } from "vitest";
import { BenchmarkReporter } from "vitest/node";
import { loadBenchSections } from "./benchResults.ts";
import { formatNumber, formatRatio, formatTable } from "./benchStats.ts";

interface BenchRow {
  readonly name: string;
  readonly hz: number;
}

function benchResult(task: RunnerTask): BenchmarkResult | undefined {
  return (task.result as { benchmark?: BenchmarkResult } | undefined)?.benchmark;
}

/** Each suite's bench rows, with the suite's full name (describe names joined by " > "). */
function benchGroups(file: RunnerTestFile): { name: string; rows: BenchRow[] }[] {
  const out: { name: string; rows: BenchRow[] }[] = [];
  const walk = (suite: RunnerTask, name: string) => {
    if (suite.type !== "suite") return;
    const rows: BenchRow[] = [];
    for (const t of suite.tasks) {
      const r = benchResult(t);
      if (r !== undefined && t.type === "test") rows.push({ name: t.name, hz: r.hz });
      if (t.type === "suite") walk(t, name === "" ? t.name : `${name} > ${t.name}`);
    }
    if (rows.length > 0) out.push({ name: name === "" ? "(top level)" : name, rows });
  };
  walk(file, "");
  return out;
}

export class BenchSummaryReporter extends BenchmarkReporter {
  readonly #resultsDir: string;

  constructor(resultsDir: string) {
    super();
    this.#resultsDir = resultsDir;
  }

  override reportBenchmarkSummary(files: RunnerTestFile[]): void {
    const sections = loadBenchSections(this.#resultsDir);
    rmSync(this.#resultsDir, { recursive: true, force: true });
    const covered = new Set(sections.map((s) => s.file));
    const cpu = cpus();
    const lines: string[] = [
      "",
      "=".repeat(100),
      `BENCH SUMMARY — ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ` +
        `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      "=".repeat(100),
    ];
    const rows: string[][] = [];
    for (const file of files) {
      if (covered.has(file.filepath)) continue;
      const fileName = relative(this.ctx.config.root, file.filepath);
      for (const group of benchGroups(file)) {
        // The limit is the fastest `raw …` row of the group, else the fastest row.
        const raws = group.rows.filter((r) => r.name.startsWith("raw"));
        const limit = (raws.length > 0 ? raws : group.rows).reduce((a, b) => (b.hz > a.hz ? b : a));
        const figures = group.rows.filter((r) => r !== limit && !r.name.startsWith("raw"));
        if (figures.length === 0) continue;
        rows.push([
          `${fileName} > ${group.name}`,
          "",
          `${raws.length > 0 ? "" : "fastest: "}${limit.name}: ${formatNumber(limit.hz)}/s`,
          "",
        ]);
        for (const r of figures) {
          rows.push([`  ${r.name}`, `${formatNumber(r.hz)}/s`, "", formatRatio(r.hz, limit.hz)]);
        }
      }
    }
    if (rows.length > 0) {
      lines.push(
        "",
        "Micro-benchmarks: each figure beside its group's limit, the fastest `raw …` row (the",
        "native call or plain fs/LMDB call it wraps; else the fastest row), measured in this run.",
        "",
        formatTable(["bench > group / figure", "ops/s", "limit (same run)", "ratio"], rows),
      );
    }
    for (const s of sections) {
      lines.push("", s.title, "", formatTable(s.header, s.rows));
      for (const n of s.notes) lines.push(n);
    }
    lines.push("");
    this.log(lines.join("\n"));
  }
}
