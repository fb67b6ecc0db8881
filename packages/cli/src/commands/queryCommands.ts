// `qos query …`: reads from a node over its RPC. `query store` reads one raw key of a
// module store and, with --prove, checks the ICS-23 proof locally against a verified header.

import { verifyStoreProof } from "@qos/crypto";
import { fromHex, QosError, toHex } from "@qos/types";
import type { Command } from "commander";
import { createNodeRpc, type NodeRpc } from "../client/nodeRpc.ts";
import { fetchVerifiedHeader, waitForHeight } from "../client/verifiedHeader.ts";

export const DEFAULT_NODE = "tcp://127.0.0.1:26657";

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function usage(message: string): QosError {
  return new QosError("cli_usage", message);
}

/** Options every query command takes. */
export interface QueryOptions {
  readonly node: string;
  readonly output: "json" | "text";
  readonly height?: string;
}

/** The `query` command group; the client commands of other modules add subcommands to it. */
export function registerQueryCommands(program: Command): Command {
  const query = program
    .command("query")
    .alias("q")
    .description("query the chain through a node's RPC");

  query
    .command("store")
    .description(
      "read one key of a module store (abci_query /store/<name>/key); with --prove, verify its ICS-23 proof against the app hash of a header signed by +2/3 of the validators",
    )
    .requiredOption("--store <name>", "the module store (auth, bank, qsc, …)")
    .requiredOption("--key <hex>", "the key, hex-encoded")
    .option("--height <h>", "read the state at this height (default: latest)")
    .option("--prove", "fetch the proof and check it locally", false)
    .option("--node <url>", "the node's RPC address", DEFAULT_NODE)
    .option("-o, --output <format>", "json or text", "text")
    .action(async (opts: QueryOptions & { store: string; key: string; prove: boolean }) => {
      const result = await queryStore(createNodeRpc(opts.node), opts);
      printStoreResult(result, opts.output);
    });

  return query;
}

export interface StoreQueryResult {
  readonly store: string;
  readonly key: Uint8Array;
  readonly height: bigint;
  readonly value: Uint8Array | undefined;
  /** Set when --prove: what the proof was checked against. */
  readonly proof?: {
    readonly headerHeight: bigint;
    readonly appHash: Uint8Array;
    readonly ops: readonly string[];
  };
}

function parseHeight(text: string | undefined): bigint {
  if (text === undefined) return 0n;
  if (!/^\d+$/.test(text)) throw usage(`--height must be a non-negative integer, got "${text}"`);
  return BigInt(text);
}

function parseKey(text: string): Uint8Array {
  const hex = text.startsWith("0x") ? text.slice(2) : text;
  const bytes = hex.length > 0 ? fromHex(hex) : null;
  if (bytes === null) throw usage(`--key must be non-empty hex, got "${text}"`);
  return bytes;
}

export async function queryStore(
  rpc: NodeRpc,
  opts: { store: string; key: string; height?: string; prove: boolean },
): Promise<StoreQueryResult> {
  if (!/^[a-z0-9_]+$/.test(opts.store)) throw usage(`--store "${opts.store}" is not a store name`);
  const key = parseKey(opts.key);
  const height = parseHeight(opts.height);
  const r = await rpc.abciQuery(`/store/${opts.store}/key`, key, { height, prove: opts.prove });
  if (r.code !== 0)
    throw new QosError(
      "query_failed",
      `query failed (codespace ${r.codespace || "-"}, code ${r.code}): ${r.log}`,
    );
  const value = r.value.length > 0 ? r.value : undefined;
  const base = { store: opts.store, key, height: r.height, value };
  if (!opts.prove) return base;
  if (r.proofOps.length === 0) throw new QosError("proof_missing", "the node returned no proof");
  // The state after block H is committed to by the app hash in header H+1.
  const headerHeight = r.height + 1n;
  const { chainId } = await rpc.status();
  await waitForHeight(rpc, headerHeight);
  const header = await fetchVerifiedHeader(rpc, chainId, headerHeight);
  const verdict = verifyStoreProof({
    appHash: header.appHash,
    storeName: opts.store,
    key,
    value,
    proofOps: r.proofOps,
  });
  if (!verdict.ok)
    throw new QosError(
      "proof_invalid",
      `the proof does not verify against the app hash of header ${headerHeight}: ${verdict.message}`,
    );
  return {
    ...base,
    proof: { headerHeight, appHash: header.appHash, ops: r.proofOps.map((o) => o.type) },
  };
}

function printStoreResult(r: StoreQueryResult, output: string): void {
  if (output === "json") {
    out(
      JSON.stringify({
        store: r.store,
        key: toHex(r.key),
        height: String(r.height),
        value: r.value === undefined ? null : toHex(r.value),
        ...(r.proof !== undefined
          ? {
              proof: {
                verified: true,
                header_height: String(r.proof.headerHeight),
                app_hash: toHex(r.proof.appHash),
                ops: r.proof.ops,
              },
            }
          : {}),
      }),
    );
    return;
  }
  if (output !== "text") throw usage(`--output must be json or text, got "${output}"`);
  out(`height: ${r.height}`);
  out(`store:  ${r.store}`);
  out(`key:    ${toHex(r.key)}`);
  out(
    `value:  ${r.value === undefined ? "(absent)" : `${toHex(r.value)} (${r.value.length} bytes)`}`,
  );
  if (r.proof !== undefined)
    out(
      `proof:  ${r.value === undefined ? "absence" : "presence"} verified (${r.proof.ops.join(" → ")}) against app hash ${toHex(r.proof.appHash)} of header ${r.proof.headerHeight}, signed by +2/3 of the node's validator set`,
    );
}
