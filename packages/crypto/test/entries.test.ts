import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "@qos/crypto/random";
import { describe, expect, it } from "vitest";
import { browserEntry, nodeEntry } from "./entries.ts";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "../src");

/** Every module specifier reachable from `entry` through relative imports of our sources. */
function importGraph(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(join(SRC, file), "utf8");
    for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"/g)) {
      const spec = m[1] as string;
      // Paths relative to the importing file (sub-folders such as wallet/ import "../x.ts").
      if (spec.startsWith("./") || spec.startsWith("../"))
        visit(normalize(join(dirname(file), spec)));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files, external };
}

describe("entries", () => {
  it("the Node and browser entries export the same names with the same kinds", () => {
    const shape = (m: Record<string, unknown>) =>
      Object.keys(m)
        .sort()
        .map((k) => `${k}:${typeof m[k]}`);
    expect(shape(browserEntry)).toEqual(shape(nodeEntry));
    for (const name of [
      "sha256",
      "ripemd160",
      "merkleRoot",
      "merkleProofs",
      "verifyMerkleProof",
      "ed25519KeyFromSeed",
      "ed25519Sign",
      "ed25519Verify",
      "ed25519Address",
      "secp256k1PublicKey",
      "secp256k1Sign",
      "secp256k1Verify",
      "secp256k1Address",
      "bech32Encode",
      "bech32Decode",
    ]) {
      expect(typeof (nodeEntry as Record<string, unknown>)[name]).toBe("function");
    }
  });

  it("the browser entry reaches no Node module, native addon or the Node backend", () => {
    const { files, external } = importGraph("index.browser.ts");
    expect(files.has("nodeBackend.ts")).toBe(false);
    expect(files.has("random.ts")).toBe(false);
    for (const spec of external) {
      expect(spec).toMatch(/^@(noble|scure|qos)\//);
    }
    expect(browserEntry.cryptoBackendInfo.ed25519).toMatch(/^@noble/);
  });

  it("randomness lives only in @qos/crypto/random", () => {
    expect("randomBytes" in nodeEntry).toBe(false);
    const a = randomBytes(70_000);
    expect(a).toHaveLength(70_000);
    expect(randomBytes(0)).toHaveLength(0);
    expect(randomBytes(32)).not.toEqual(randomBytes(32));
    expect(a.subarray(65_536).some((b) => b !== 0)).toBe(true);
    expect(() => randomBytes(-1)).toThrow(RangeError);
  });
});
