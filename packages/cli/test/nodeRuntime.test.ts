// The `qos` executable runs with NODE_RUNTIME_FLAGS: its shebang carries exactly those options,
// and executing it directly (as `npx qos` does) works.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NODE_RUNTIME_FLAGS } from "../src/nodeRuntime.ts";

const BIN = join(import.meta.dirname, "..", "bin", "qos.js");

describe("qos executable", () => {
  it("carries NODE_RUNTIME_FLAGS in its shebang and runs when executed directly", () => {
    const first = readFileSync(BIN, "utf8").split("\n")[0];
    expect(first).toBe(`#!/usr/bin/env -S node ${NODE_RUNTIME_FLAGS.join(" ")}`);
    const out = execFileSync(BIN, ["version"], { encoding: "utf8" });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
