// CPU profiling of another Node process through its inspector (started with --inspect=PORT):
// the V8 sampling profiler of `node --cpu-prof`, but over a chosen window only.

import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import type { CpuProfile } from "./cpuProfile.ts";

export interface InspectorProfiler {
  start(samplingIntervalUs: number): Promise<void>;
  stop(): Promise<CpuProfile>;
  close(): void;
}

/** Connects to the inspector listening on 127.0.0.1:port (retries until it answers). */
export async function connectInspectorProfiler(
  port: number,
  timeoutMs = 10_000,
): Promise<InspectorProfiler> {
  const deadline = Date.now() + timeoutMs;
  let wsUrl: string | undefined;
  while (wsUrl === undefined) {
    try {
      const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
        webSocketDebuggerUrl?: string;
      }[];
      wsUrl = list[0]?.webSocketDebuggerUrl;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`no inspector on port ${port}: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false, maxPayload: 1 << 30 });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  ws.on("message", (raw: Buffer) => {
    const msg = JSON.parse(raw.toString("utf8")) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    if (msg.id === undefined) return; // an event
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error !== undefined) p?.reject(new Error(msg.error.message));
    else p?.resolve(msg.result);
  });
  const call = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    async start(intervalUs) {
      await call("Profiler.enable");
      await call("Profiler.setSamplingInterval", { interval: intervalUs });
      await call("Profiler.start");
    },
    async stop() {
      const res = (await call("Profiler.stop")) as { profile: CpuProfile };
      await call("Profiler.disable");
      return res.profile;
    },
    close: () => ws.close(),
  };
}

/** A profiled run: what `run` returned, the profile of its window, and the file it was saved to. */
export interface ProfiledWindow<T> {
  readonly result: T;
  readonly profile: CpuProfile;
  readonly file: string;
}

/**
 * Profiles the process behind `inspectPort` (1 ms sampling) over the window `run` reports through
 * `onWindow`, then saves the profile as `<tmpdir>/<prefix>-<time>.cpuprofile`.
 */
export async function profileWindow<T>(
  inspectPort: number,
  prefix: string,
  run: (onWindow: (edge: "start" | "end") => void) => Promise<T>,
): Promise<ProfiledWindow<T>> {
  const profiler = await connectInspectorProfiler(inspectPort);
  let started: Promise<void> = Promise.resolve();
  let stopped: Promise<CpuProfile> | undefined;
  const result = await run((edge) => {
    if (edge === "start") started = profiler.start(1000);
    else stopped = started.then(() => profiler.stop());
  });
  if (stopped === undefined) throw new Error("the profiled window never closed");
  const profile = await stopped;
  profiler.close();
  const file = join(tmpdir(), `${prefix}-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return { result, profile, file };
}
