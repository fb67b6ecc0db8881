// The node's logger: pino, with CometBFT-like plain lines for terminals or JSON lines
// for log shippers. Library code takes a `Logger` and calls `child({ module })`.

import { Writable } from "node:stream";
import { type Logger as PinoLogger, pino } from "pino";

export type Logger = PinoLogger;
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "silent";

const LEVEL_LETTER: Record<number, string> = {
  10: "T",
  20: "D",
  30: "I",
  40: "W",
  50: "E",
  60: "F",
};

/** Turns pino's JSON lines into `I[2026-11-23|19:21:49.123] message module=consensus height=5`. */
function plainStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line === "") continue;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line) as Record<string, unknown>;
        } catch {
          out.write(`${line}\n`);
          continue;
        }
        const { level, time, msg, pid: _pid, hostname: _host, ...fields } = rec;
        const t = new Date(typeof time === "number" ? time : Date.now()).toISOString();
        const stamp = `${t.slice(0, 10)}|${t.slice(11, 23)}`;
        const kv = Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ");
        out.write(
          `${LEVEL_LETTER[level as number] ?? "?"}[${stamp}] ${String(msg ?? "")}${kv ? ` ${kv}` : ""}\n`,
        );
      }
      done();
    },
  });
}

export function createLogger(opts: {
  level: LogLevel;
  format: "plain" | "json";
  destination?: NodeJS.WritableStream;
}): Logger {
  const dest = opts.destination ?? process.stderr;
  return pino(
    { level: opts.level, base: null, timestamp: pino.stdTimeFunctions.epochTime },
    opts.format === "json" ? (dest as Writable) : plainStream(dest),
  );
}

/** A logger that drops everything (tests, embedded use). */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
