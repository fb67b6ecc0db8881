// Client command output: `--output json` prints one JSON line; `--output text` prints the same
// value as YAML-like text (the Cosmos SDK's default look), keys in the value's own order.

import { QosError } from "@qos/types";

export type OutputFormat = "json" | "text";

export function checkOutputFormat(text: string): OutputFormat {
  if (text !== "json" && text !== "text")
    throw new QosError("cli_usage", `--output must be json or text, got "${text}"`);
  return text;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") {
    if (v === "" || /^[\s-?:,[\]{}#&*!|>'"%@`]|: |\s$|^(true|false|null|\d+)$/.test(v))
      return JSON.stringify(v);
    return v;
  }
  return String(v);
}

function lines(v: unknown, indent: string): string[] {
  if (Array.isArray(v)) {
    if (v.length === 0) return [`${indent}[]`];
    return v.flatMap((item) => {
      const inner = lines(item, `${indent}  `);
      const first = (inner[0] ?? "").trimStart();
      return [`${indent}- ${first}`, ...inner.slice(1)];
    });
  }
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v);
    if (entries.length === 0) return [`${indent}{}`];
    return entries.flatMap(([k, val]) => {
      const nested =
        (Array.isArray(val) && val.length > 0) ||
        (typeof val === "object" &&
          val !== null &&
          !Array.isArray(val) &&
          Object.keys(val).length > 0);
      if (!nested) return [`${indent}${k}: ${lines(val, "")[0] ?? ""}`];
      return [`${indent}${k}:`, ...lines(val, `${indent}  `)];
    });
  }
  return [`${indent}${scalar(v)}`];
}

/** YAML-like text of a JSON value. */
export function jsonToText(value: unknown): string {
  return lines(value, "").join("\n");
}

/** Prints `value` (a JSON value) to stdout in the chosen format. */
export function printValue(value: unknown, output: OutputFormat): void {
  process.stdout.write(`${output === "json" ? JSON.stringify(value) : jsonToText(value)}\n`);
}
