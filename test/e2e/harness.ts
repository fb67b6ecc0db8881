// End-to-end harness: real `qos` processes on loopback, built from packages/cli/dist
// (npm test builds first). Helpers to init homes, start/kill nodes and wait on RPC.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const CLI = resolve(import.meta.dirname, "../../packages/cli/dist/main.js");

export function makeTempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs the CLI to completion and returns stdout; throws with stderr on a non-zero exit. */
export function qos(args: readonly string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface RunningNode {
  readonly proc: ChildProcess;
  readonly rpc: string;
  output(): string;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop) and wait for the exit code. */
  stop(): Promise<number | null>;
}

export function startNode(
  home: string,
  rpcPort: number,
  extraArgs: readonly string[] = [],
): RunningNode {
  const proc = spawn(
    process.execPath,
    [CLI, "start", "--home", home, "--rpc.laddr", `tcp://127.0.0.1:${rpcPort}`, ...extraArgs],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  proc.stderr?.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return {
    proc,
    rpc: `http://127.0.0.1:${rpcPort}`,
    output: () => out,
    kill: async () => {
      proc.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      proc.kill("SIGTERM");
      return await exited;
    },
  };
}

export async function rpcCall<T = unknown>(
  base: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<T> {
  const res = await fetch(base, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string; data?: string } };
  if (body.error !== undefined)
    throw new Error(`${method}: ${body.error.message} ${body.error.data ?? ""}`);
  return body.result as T;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

export async function latestHeight(base: string): Promise<bigint> {
  const st = await rpcCall<{ sync_info: { latest_block_height: string } }>(base, "status");
  return BigInt(st.sync_info.latest_block_height);
}

export async function waitForHeight(
  base: string,
  height: bigint,
  timeoutMs = 30_000,
): Promise<bigint> {
  return await waitFor(
    `height ${height} at ${base}`,
    async () => {
      const h = await latestHeight(base);
      return h >= height ? h : undefined;
    },
    timeoutMs,
  );
}

export function gitRoot(): string {
  return resolve(import.meta.dirname, "../..");
}
