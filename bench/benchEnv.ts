// What the node benches read from and set in the process environment: numeric knobs, and the
// inspector flag handed to a node process spawned for profiling.

/** The non-negative number in env `name`, or `fallback` when it is unset or empty. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw}: want a non-negative number`);
  return n;
}

/**
 * Runs `spawn` with `--inspect=127.0.0.1:PORT` added to NODE_OPTIONS when `inspectPort` is given,
 * then puts NODE_OPTIONS back. --cpu-prof is refused in NODE_OPTIONS, --inspect is not; spawn
 * copies the environment synchronously, so only the child started inside sees the flag.
 */
export function withInspectOption<T>(inspectPort: number | undefined, spawn: () => T): T {
  const saved = process.env.NODE_OPTIONS;
  if (inspectPort !== undefined)
    process.env.NODE_OPTIONS = `${saved ?? ""} --inspect=127.0.0.1:${inspectPort}`.trim();
  try {
    return spawn();
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
}
