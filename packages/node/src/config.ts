// The node's config.toml: CometBFT's layout and key names (so operators know it), our
// defaults, validation with clear messages, and `--section.key` command-line overrides.

import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { err, ok, QosError, type Result } from "@qos/types";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { z } from "zod";
import { saveFileAtomic } from "./fileUtil.ts";

export const ConfigErrorCode = {
  Unreadable: "config/unreadable",
  Syntax: "config/syntax",
  Invalid: "config/invalid",
  UnknownKey: "config/unknown-key",
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** Parses a Go duration string ("3s", "500ms", "1m30s", "0s") into milliseconds. */
export function parseDurationMs(text: string): number | null {
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unitMs: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (unitMs[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) return null;
  return Math.round(total);
}

/** Formats milliseconds as a Go duration string, as CometBFT writes config.toml. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDurationMs(text);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: `not a duration like "3s" or "500ms": ${text}` });
    return z.NEVER;
  }
  return ms;
});

const laddr = z
  .string()
  .regex(/^(tcp:\/\/)?[^:/\s]*:\d{1,5}$/, 'expected an address like "tcp://127.0.0.1:26657"');

const peerList = z
  .string()
  .refine(
    (s) => s === "" || s.split(",").every((p) => /^[0-9a-f]{40}@[^:\s]+:\d{1,5}$/.test(p.trim())),
    'expected a comma-separated list of "nodeid@host:port"',
  );

const configSchema = z
  .object({
    moniker: z.string().min(1),
    log_level: z.enum(["trace", "debug", "info", "warn", "error"]),
    log_format: z.enum(["plain", "json"]),
    db_dir: z.string().min(1),
    genesis_file: z.string().min(1),
    priv_validator_key_file: z.string().min(1),
    priv_validator_state_file: z.string().min(1),
    node_key_file: z.string().min(1),
    rpc: z
      .object({
        laddr,
        cors_allowed_origins: z.array(z.string()),
        max_open_connections: z.number().int().nonnegative(),
        max_subscription_clients: z.number().int().nonnegative(),
        max_subscriptions_per_client: z.number().int().nonnegative(),
        timeout_broadcast_tx_commit: duration,
        max_body_bytes: z.number().int().positive(),
      })
      .strict(),
    p2p: z
      .object({
        laddr,
        external_address: z.string(),
        seeds: peerList,
        persistent_peers: peerList,
        max_num_inbound_peers: z.number().int().nonnegative(),
        max_num_outbound_peers: z.number().int().nonnegative(),
        pex: z.boolean(),
        max_packet_msg_payload_size: z.number().int().positive(),
        send_rate: z.number().int().positive(),
        recv_rate: z.number().int().positive(),
        allow_duplicate_ip: z.boolean(),
      })
      .strict(),
    mempool: z
      .object({
        recheck: z.boolean(),
        broadcast: z.boolean(),
        size: z.number().int().positive(),
        max_txs_bytes: z.number().int().positive(),
        max_tx_bytes: z.number().int().positive(),
        cache_size: z.number().int().nonnegative(),
        "keep-invalid-txs-in-cache": z.boolean(),
      })
      .strict(),
    consensus: z
      .object({
        wal_file: z.string().min(1),
        timeout_propose: duration,
        timeout_propose_delta: duration,
        timeout_prevote: duration,
        timeout_prevote_delta: duration,
        timeout_precommit: duration,
        timeout_precommit_delta: duration,
        timeout_commit: duration,
        skip_timeout_commit: z.boolean(),
        create_empty_blocks: z.boolean(),
        create_empty_blocks_interval: duration,
      })
      .strict(),
    tx_index: z.object({ indexer: z.enum(["kv", "null"]) }).strict(),
    app: z
      .object({
        name: z.enum(["qos", "kvstore"]),
        "minimum-gas-prices": z
          .string()
          .regex(
            /^$|^\d+(\.\d+)?[a-zA-Z][a-zA-Z0-9/:._-]{2,127}(,\d+(\.\d+)?[a-zA-Z][a-zA-Z0-9/:._-]{2,127})*$/,
            'expected a comma-separated list of decimal prices like "0.025uqos"',
          ),
        "pruning-keep-recent": z.number().int().nonnegative(),
        "pruning-keep-every": z.number().int().nonnegative(),
        "iavl-cache-size": z.number().int().nonnegative(),
      })
      .strict(),
    instrumentation: z
      .object({
        prometheus: z.boolean(),
        prometheus_listen_addr: z.string(),
        namespace: z.string().min(1),
      })
      .strict(),
  })
  .strict();

/** The validated config; durations are in milliseconds. */
export type NodeConfig = z.output<typeof configSchema>;
type ConfigInput = z.input<typeof configSchema>;

/** CometBFT v0.38 defaults, except the paths, which follow the same layout. */
export function defaultConfigInput(moniker: string): ConfigInput {
  return {
    moniker,
    log_level: "info",
    log_format: "plain",
    db_dir: "data",
    genesis_file: "config/genesis.json",
    priv_validator_key_file: "config/priv_validator_key.json",
    priv_validator_state_file: "data/priv_validator_state.json",
    node_key_file: "config/node_key.json",
    rpc: {
      laddr: "tcp://127.0.0.1:26657",
      cors_allowed_origins: [],
      max_open_connections: 900,
      max_subscription_clients: 100,
      max_subscriptions_per_client: 5,
      timeout_broadcast_tx_commit: "10s",
      max_body_bytes: 1_000_000,
    },
    p2p: {
      laddr: "tcp://0.0.0.0:26656",
      external_address: "",
      seeds: "",
      persistent_peers: "",
      max_num_inbound_peers: 40,
      max_num_outbound_peers: 10,
      pex: true,
      max_packet_msg_payload_size: 1024,
      send_rate: 5_120_000,
      recv_rate: 5_120_000,
      allow_duplicate_ip: false,
    },
    mempool: {
      recheck: true,
      broadcast: true,
      size: 5000,
      max_txs_bytes: 1_073_741_824,
      max_tx_bytes: 1_048_576,
      cache_size: 10_000,
      "keep-invalid-txs-in-cache": false,
    },
    consensus: {
      wal_file: "data/cs.wal",
      timeout_propose: "3s",
      timeout_propose_delta: "500ms",
      timeout_prevote: "1s",
      timeout_prevote_delta: "500ms",
      timeout_precommit: "1s",
      timeout_precommit_delta: "500ms",
      timeout_commit: "1s",
      skip_timeout_commit: false,
      create_empty_blocks: true,
      create_empty_blocks_interval: "0s",
    },
    tx_index: { indexer: "kv" },
    app: {
      name: "kvstore",
      "minimum-gas-prices": "",
      "pruning-keep-recent": 0,
      "pruning-keep-every": 0,
      "iavl-cache-size": 100_000,
    },
    instrumentation: {
      prometheus: false,
      prometheus_listen_addr: ":26660",
      namespace: "cometbft",
    },
  };
}

function invalid(issues: readonly z.core.$ZodIssue[]): QosError<ConfigErrorCode> {
  const lines = issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  return new QosError(ConfigErrorCode.Invalid, `invalid config: ${lines.join("; ")}`, { lines });
}

/** Validates a raw config object (parsed TOML merged over the defaults). */
export function validateConfig(raw: unknown): Result<NodeConfig, QosError<ConfigErrorCode>> {
  const parsed = configSchema.safeParse(raw);
  return parsed.success ? ok(parsed.data) : err(invalid(parsed.error.issues));
}

/** Renders a config as config.toml text (durations as Go duration strings). */
export function encodeConfigToml(input: ConfigInput): string {
  return `# QOS node configuration (CometBFT v0.38 layout). Paths are relative to the home directory.\n\n${stringifyToml(input)}\n`;
}

/**
 * Applies `section.key=value` overrides (from command-line flags such as
 * `--rpc.laddr` or `--consensus.timeout_commit`) to a raw config object. Values are
 * coerced to the type of the existing entry; unknown keys are an error.
 */
export function applyOverrides(
  raw: Record<string, unknown>,
  overrides: Readonly<Record<string, string>>,
): Result<Record<string, unknown>, QosError<ConfigErrorCode>> {
  const out: Record<string, unknown> = structuredClone(raw);
  for (const [path, text] of Object.entries(overrides)) {
    const parts = path.split(".");
    let target: Record<string, unknown> = out;
    for (const part of parts.slice(0, -1)) {
      const next = target[part];
      if (typeof next !== "object" || next === null || Array.isArray(next)) {
        return err(new QosError(ConfigErrorCode.UnknownKey, `unknown config key: ${path}`));
      }
      target = next as Record<string, unknown>;
    }
    const key = parts[parts.length - 1] as string;
    const current = target[key];
    if (current === undefined) {
      return err(new QosError(ConfigErrorCode.UnknownKey, `unknown config key: ${path}`));
    }
    if (typeof current === "boolean") {
      if (text !== "true" && text !== "false") {
        return err(new QosError(ConfigErrorCode.Invalid, `${path}: expected true or false`));
      }
      target[key] = text === "true";
    } else if (typeof current === "number") {
      const n = Number(text);
      if (!Number.isFinite(n)) {
        return err(new QosError(ConfigErrorCode.Invalid, `${path}: expected a number`));
      }
      target[key] = n;
    } else if (Array.isArray(current)) {
      target[key] = text === "" ? [] : text.split(",");
    } else {
      target[key] = text;
    }
  }
  return ok(out);
}

function mergeDefaults(defaults: unknown, given: unknown): unknown {
  if (
    typeof defaults !== "object" ||
    defaults === null ||
    Array.isArray(defaults) ||
    typeof given !== "object" ||
    given === null ||
    Array.isArray(given)
  ) {
    return given === undefined ? defaults : given;
  }
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(given as Record<string, unknown>)) {
    out[k] = mergeDefaults((defaults as Record<string, unknown>)[k], v);
  }
  return out;
}

/** Reads `<home>/config/config.toml`, fills missing keys with defaults, applies overrides, validates. */
export function loadConfig(
  home: string,
  overrides: Readonly<Record<string, string>> = {},
): Result<NodeConfig, QosError<ConfigErrorCode>> {
  const file = join(home, "config", "config.toml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return err(
      new QosError(
        ConfigErrorCode.Unreadable,
        `cannot read ${file}: ${(e as Error).message} (run "qos init --home ${home}" first)`,
      ),
    );
  }
  let parsed: unknown;
  try {
    parsed = parseToml(text);
  } catch (e) {
    return err(new QosError(ConfigErrorCode.Syntax, `${file}: ${(e as Error).message}`));
  }
  const merged = mergeDefaults(defaultConfigInput("node"), parsed) as Record<string, unknown>;
  const withOverrides = applyOverrides(merged, overrides);
  if (!withOverrides.ok) return withOverrides;
  return validateConfig(withOverrides.value);
}

/** Resolves a config path against the home directory. */
export function homePath(home: string, path: string): string {
  return isAbsolute(path) ? path : join(home, path);
}

/** `tcp://host:port` or `host:port` → host and port (an empty host means all interfaces). */
export function parseLaddr(addr: string): { host: string; port: number } {
  const m = /^(?:tcp:\/\/)?([^:/\s]*):(\d{1,5})$/.exec(addr);
  if (m === null) throw new QosError(ConfigErrorCode.Invalid, `not a listen address: ${addr}`);
  return { host: m[1] === "" ? "0.0.0.0" : (m[1] as string), port: Number(m[2]) };
}

/** Rewrites `<home>/config/config.toml` with `section.key` overrides applied (keeps the rest). */
export function updateConfigFile(
  home: string,
  overrides: Readonly<Record<string, string>>,
): Result<NodeConfig, QosError<ConfigErrorCode>> {
  const file = join(home, "config", "config.toml");
  let parsed: unknown;
  try {
    parsed = parseToml(readFileSync(file, "utf8"));
  } catch (e) {
    return err(
      new QosError(ConfigErrorCode.Unreadable, `cannot read ${file}: ${(e as Error).message}`),
    );
  }
  const merged = mergeDefaults(defaultConfigInput("node"), parsed) as Record<string, unknown>;
  const updated = applyOverrides(merged, overrides);
  if (!updated.ok) return updated;
  const valid = validateConfig(updated.value);
  if (!valid.ok) return valid;
  saveFileAtomic(file, encodeConfigToml(updated.value as ConfigInput));
  return valid;
}
