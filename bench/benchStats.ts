// Small statistics and text-table helpers shared by the benchmarks and the summary reporter.

/** Nearest-rank percentile of an ascending array (NaN when empty); q in [0, 1]. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** A number with thousands separators and `digits` decimals below 100 (none above). */
export function formatNumber(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return "n/a";
  const d = Math.abs(n) >= 100 ? 0 : digits;
  return n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** figure / limit as "0.42x" (n/a when either is missing). */
export function formatRatio(figure: number, limit: number): string {
  if (!Number.isFinite(figure) || !Number.isFinite(limit) || limit === 0) return "n/a";
  const r = figure / limit;
  return `${r < 0.01 ? r.toFixed(4) : r.toFixed(2)}x`;
}

/** A left-aligned text table with a header rule; numbers are pre-formatted strings. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(" | ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}
