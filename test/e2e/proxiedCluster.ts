// A local validator network whose p2p links all run through controllable loopback proxies
// (test/e2e/proxy.ts): `qos testnet` homes, `qos start` processes with logs in files.
// Used by the partition test and the chaos runner (test/chaos).

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { NODE_RUNTIME_FLAGS } from "../../packages/cli/src/nodeRuntime.ts";
import { CLI, makeTempDir, qos, rpcCall, waitFor } from "./harness.ts";
import { type ProxyMesh, startProxyMesh } from "./proxy.ts";

export interface ProxiedClusterOptions {
  /** Prefix of the temporary directory holding the homes. */
  readonly prefix: string;
  readonly chainId: string;
  /** Number of validators (default 4). */
  readonly validators?: number;
  /** `consensus.timeout_commit` (default 200ms). */
  readonly timeoutCommit?: string;
  /** Extra `--section.key value` flags for every node. */
  readonly nodeArgs?: readonly string[];
}

export interface ClusterNode {
  readonly index: number;
  readonly nodeId: string;
  readonly home: string;
  /** `http://127.0.0.1:<rpc port>`. */
  readonly rpc: string;
  /** The node's real p2p port (peers reach it only through the mesh's proxies). */
  readonly p2pPort: number;
  /** stdout and stderr of every run of this node, appended. */
  readonly logPath: string;
}

export interface ProxiedCluster {
  readonly dir: string;
  readonly chainId: string;
  readonly nodes: readonly ClusterNode[];
  readonly mesh: ProxyMesh;
  /** Starts node i (again) and resolves once its RPC answers. */
  start(i: number): Promise<void>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(i: number): Promise<void>;
  /** SIGTERM (a clean stop), SIGKILL after 15 s; resolves with the exit code. */
  stop(i: number): Promise<number | null>;
  isRunning(i: number): boolean;
  pid(i: number): number | undefined;
  /** Exits nobody asked for (a node that crashed by itself), with the end of its log. */
  unexpectedExits(): readonly string[];
  /** The last `lines` lines of node i's log. */
  logTail(i: number, lines?: number): string;
  /** Stops every node and proxy; removes the directory unless `keep`. Idempotent. */
  close(opts?: { keep?: boolean }): Promise<void>;
}

async function portIsFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/**
 * A base port P below Linux's ephemeral range (32768+) with P+10·i+{0,1,2} free for i < count
 * (p2p, RPC, metrics of `qos testnet --starting-port P`): a restarted node gets its port back
 * even while the proxies hold many outbound connections, which use ephemeral ports.
 */
export async function freeLowPortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 10_000 + 10 * Math.floor(Math.random() * 2_000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) {
      for (let k = 0; k < 3 && ok; k++) ok = await portIsFree(base + 10 * i + k);
    }
    if (ok) return base;
  }
  throw new Error("no free block of low ports found");
}

/** The metrics port of node i in a cluster laid out from `base` (P + 10·i + 2). */
export function metricsPort(base: number, i: number): number {
  return base + 10 * i + 2;
}

/**
 * Writes `qos testnet` homes for `validators` nodes and starts them all with their persistent
 * peers pointing at the mesh's proxies and PEX off (PEX would teach them the real addresses
 * and let them bypass the proxies). Resolves once every node has committed block 1.
 */
export async function startProxiedCluster(opts: ProxiedClusterOptions): Promise<ProxiedCluster> {
  const count = opts.validators ?? 4;
  const dir = makeTempDir(opts.prefix);
  const base = await freeLowPortBlock(count);
  const out = qos([
    "testnet",
    "--v",
    String(count),
    "--o",
    dir.path,
    "--chain-id",
    opts.chainId,
    "--starting-port",
    String(base),
    "--app",
    "kvstore",
  ]);
  const ids = [...out.matchAll(/^node(\d+)\s+validator\s+id\s+([0-9a-f]{40})/gm)]
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => m[2] as string);
  if (ids.length !== count) throw new Error(`qos testnet printed ${ids.length} node ids:\n${out}`);
  const nodes: ClusterNode[] = ids.map((nodeId, index) => ({
    index,
    nodeId,
    home: join(dir.path, `node${index}`),
    rpc: `http://127.0.0.1:${base + 10 * index + 1}`,
    p2pPort: base + 10 * index,
    logPath: join(dir.path, `node${index}.log`),
  }));
  const mesh = await startProxyMesh(nodes.map((n) => n.p2pPort));
  const procs: (ChildProcess | null)[] = nodes.map(() => null);
  const exits: (Promise<number | null> | null)[] = nodes.map(() => null);
  const expectingExit = new Set<number>();
  const unexpected: string[] = [];
  let closing: Promise<void> | null = null;

  const logTail = (i: number, lines = 40): string => {
    try {
      return readFileSync((nodes[i] as ClusterNode).logPath, "utf8")
        .split("\n")
        .slice(-lines - 1)
        .join("\n");
    } catch {
      return "";
    }
  };
  const isRunning = (i: number): boolean => {
    const p = procs[i];
    return p != null && p.exitCode === null && p.signalCode === null;
  };

  const spawnNode = (i: number): void => {
    const n = nodes[i] as ClusterNode;
    const fd = openSync(n.logPath, "a");
    const args = [
      ...NODE_RUNTIME_FLAGS,
      CLI,
      "start",
      "--home",
      n.home,
      "--consensus.timeout_commit",
      opts.timeoutCommit ?? "200ms",
      "--p2p.persistent_peers",
      mesh.persistentPeers(i, ids),
      "--p2p.pex",
      "false",
      ...(opts.nodeArgs ?? []),
    ];
    const proc = spawn(process.execPath, args, { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    procs[i] = proc;
    exits[i] = new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        if (!expectingExit.has(i) && closing === null) {
          unexpected.push(
            `node${i} exited by itself (code ${code}, signal ${signal}); log tail:\n${logTail(i)}`,
          );
        }
        resolve(code);
      });
    });
  };

  const start = async (i: number): Promise<void> => {
    if (isRunning(i)) throw new Error(`node${i} is already running`);
    expectingExit.delete(i);
    spawnNode(i);
    const n = nodes[i] as ClusterNode;
    await waitFor(
      `node${i}'s RPC`,
      async () => {
        if (!isRunning(i)) throw new Error(`node${i} exited:\n${logTail(i)}`);
        await rpcCall(n.rpc, "health", {}, 2_000);
        return true;
      },
      60_000,
    );
  };

  const stopWith = async (i: number, signal: "SIGKILL" | "SIGTERM"): Promise<number | null> => {
    const p = procs[i];
    const exited = exits[i];
    if (p == null || exited == null) return null;
    expectingExit.add(i);
    if (!isRunning(i)) return await exited;
    p.kill(signal);
    const timer = signal === "SIGTERM" ? setTimeout(() => p.kill("SIGKILL"), 15_000) : undefined;
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const cluster: ProxiedCluster = {
    dir: dir.path,
    chainId: opts.chainId,
    nodes,
    mesh,
    start,
    kill: async (i) => {
      await stopWith(i, "SIGKILL");
    },
    stop: (i) => stopWith(i, "SIGTERM"),
    isRunning,
    pid: (i) => procs[i]?.pid,
    unexpectedExits: () => unexpected,
    logTail,
    close(closeOpts) {
      closing ??= (async () => {
        await Promise.all(nodes.map((_, i) => stopWith(i, "SIGTERM")));
        await mesh.close();
        if (closeOpts?.keep !== true) dir.remove();
      })();
      return closing;
    },
  };

  try {
    for (let i = 0; i < count; i++) spawnNode(i);
    await waitFor(
      "block 1 on every node",
      async () => {
        for (let i = 0; i < count; i++) {
          if (!isRunning(i)) throw new Error(`node${i} exited:\n${logTail(i)}`);
        }
        const heights = await Promise.all(
          nodes.map((n) =>
            rpcCall<{ sync_info: { latest_block_height: string } }>(n.rpc, "status", {}, 2_000),
          ),
        );
        return heights.every((s) => BigInt(s.sync_info.latest_block_height) >= 1n)
          ? true
          : undefined;
      },
      90_000,
    );
  } catch (e) {
    await cluster.close({ keep: true });
    throw new Error(
      `${e instanceof Error ? e.message : String(e)} (logs kept in ${dir.path})\n${nodes
        .map((_, i) => `--- node${i}\n${logTail(i, 20)}`)
        .join("\n")}`,
    );
  }
  return cluster;
}
