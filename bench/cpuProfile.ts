// Ranks the functions of a V8 CPU profile (node --cpu-prof, or the inspector's Profiler.stop)
// by self and inclusive time, and writes that ranking as a bench's note lines.

import { relative } from "node:path";
import { formatNumber, formatTable } from "./benchStats.ts";

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

/** The V8 `Profiler.Profile` (also the JSON of a .cpuprofile file). */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  /** `name (file:line)`, the file relative to `root`. */
  readonly fn: string;
  /** Self time (in `top`) or inclusive time (in `topInclusive`). */
  readonly ms: number;
  /** Share of all sampled time, idle included. */
  readonly pctTotal: number;
  /** Share of the time the process was not idle. */
  readonly pctBusy: number;
}

export interface CpuProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly top: readonly ProfileEntry[];
  /**
   * Named functions of this repository's packages by inclusive time (self + callees, each
   * sample counted once per function even under recursion): which stage of the node costs what.
   */
  readonly topInclusive: readonly ProfileEntry[];
  /** Self time grouped by where the code lives (our packages, node_modules, node internals). */
  readonly byArea: readonly {
    readonly area: string;
    readonly selfMs: number;
    readonly pctBusy: number;
  }[];
}

/** V8's own entries in a profile (no JavaScript behind them). */
const V8_PSEUDO_FRAMES = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

/** Code of this repository (not node_modules, not Node's own). */
function isOurs(url: string, root: string): boolean {
  if (url === "" || url.startsWith("node:") || url.includes("/node_modules/")) return false;
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  return !relative(root, path).startsWith("..");
}

function areaOf(url: string, root: string): string {
  if (url === "") return "(V8: gc, program, native)";
  if (url.startsWith("node:")) return "node internals";
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + "/node_modules/".length).split("/");
    const pkg = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
    return `dep ${pkg}`;
  }
  const m = /packages\/([^/]+)\//.exec(relative(root, path));
  return m ? `@qos/${m[1]}` : relative(root, path);
}

/** Self time per function (summed over call sites), the top `n`, and per-area totals. */
export function summarizeCpuProfile(profile: CpuProfile, root: string, n = 10): CpuProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parentOf.set(c, node.id);
  }
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let totalUs = 0;
  let idleUs = 0;
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const label = (frame: ProfileNode["callFrame"]): string => {
    const url = frame.url.startsWith("file://") ? new URL(frame.url).pathname : frame.url;
    const where = url === "" ? "" : ` (${relative(root, url) || url}:${frame.lineNumber + 1})`;
    return `${frame.functionName || "(anonymous)"}${where}`;
  };
  // Native code has no URL and V8 names it unreliably (a sodium or LMDB call may show up as
  // "Secp256k1Addon"): name it after the JavaScript that called it.
  const selfLabel = (id: number): string => {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return "?";
    if (frame.url !== "" || V8_PSEUDO_FRAMES.has(frame.functionName)) return label(frame);
    for (let cur = parentOf.get(id); cur !== undefined; cur = parentOf.get(cur)) {
      const caller = byId.get(cur)?.callFrame;
      if (caller !== undefined && caller.url !== "")
        return `native code, called from ${label(caller)}`;
    }
    return `${frame.functionName || "(anonymous)"} (native)`;
  };
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    totalUs += us;
    if (frame.functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    const key = selfLabel(id);
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (f === undefined || f.functionName === "" || !isOurs(f.url, root)) continue;
      const k = label(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
    const area = areaOf(frame.url, root);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const ranked = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([fn, us]) => ({
        fn,
        ms: us / 1000,
        pctTotal: (100 * us) / Math.max(1, totalUs),
        pctBusy: (100 * us) / busyUs,
      }));
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    top: ranked(byFn),
    topInclusive: ranked(inclusive),
    byArea: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, pctBusy: (100 * us) / busyUs })),
  };
}

/**
 * A profile summary as note lines: `intro` and the busy share, then `selfTitle` over the self-time
 * table, `inclusiveTitle` over the inclusive-time table, and the busiest areas.
 */
export function profileNoteLines(
  s: CpuProfileSummary,
  intro: string,
  selfTitle: string,
  inclusiveTitle: string,
): string[] {
  return [
    `${intro} Busy ${formatNumber(((s.totalMs - s.idleMs) / s.totalMs) * 100)}% of ` +
      `${formatNumber(s.totalMs / 1000)} s sampled. ${selfTitle}`,
    "",
    formatTable(
      ["function (file:line)", "self ms", "% busy"],
      s.top.map((t) => [t.fn, formatNumber(t.ms), formatNumber(t.pctBusy)]),
    ),
    "",
    inclusiveTitle,
    "",
    formatTable(
      ["function (file:line)", "incl. ms", "% busy"],
      s.topInclusive.map((t) => [t.fn, formatNumber(t.ms), formatNumber(t.pctBusy)]),
    ),
    "",
    `By area: ${s.byArea
      .slice(0, 8)
      .map((a) => `${a.area} ${formatNumber(a.pctBusy)}%`)
      .join(", ")}`,
  ];
}
