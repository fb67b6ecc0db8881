// `qos query …`: reads from a node over its RPC. `query store` reads one raw key of a module
// store; auth, bank, qsc and tx queries decode the app's protobuf answers (list queries take the
// Cosmos pagination flags). With --prove, the ICS-23 proof is checked locally against a verified
// header: for an app query, the app's handler re-runs here over the proven reads.

import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import {
  cosmosAuthQuery,
  cosmosBankQuery,
  cosmosPagination,
  fromBase64,
  fromHex,
  QosError,
  qosBankQuery,
  qscQuery,
  toHex,
} from "@qos/types";
import type { Command } from "commander";
import { txResponseToJson } from "../client/broadcaster.ts";
import {
  type QueryAnswer,
  queryAccount,
  queryAllBalances,
  queryAllowance,
  queryAllowances,
  queryBalance,
  queryFrozen,
  queryQscParams,
  queryToken,
  queryTokens,
} from "../client/chainQueries.ts";
import { openClientKeyring, resolveAddress } from "../client/clientKeyring.ts";
import { createNodeRpc, type NodeRpc } from "../client/nodeRpc.ts";
import { checkOutputFormat, printValue } from "../client/outputFormat.ts";
import { checkStoreProof } from "../client/storeProof.ts";
import { messageToJson, txFromBytes, txToJson } from "../client/txBuilder.ts";

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

  registerAppQueries(query);
  return query;
}

/** The Cosmos pagination flags of a list query. */
interface PageFlags {
  pageKey?: string;
  offset?: string;
  limit?: string;
  page?: string;
  countTotal?: boolean;
  reverse?: boolean;
}

interface AppQueryFlags extends PageFlags {
  node: string;
  output: string;
  height?: string;
  prove: boolean;
  keyringBackend: string;
}

/** The flags every app query takes; a list query also takes the Cosmos pagination flags. */
function withQueryFlags(cmd: Command, kind: "one" | "list" = "one"): Command {
  cmd
    .option("--node <url>", "the node's RPC address", DEFAULT_NODE)
    .option("--height <h>", "read the state at this height (default: latest)")
    .option("-o, --output <format>", "json or text", "text")
    .option("--keyring-backend <backend>", "resolve key names in this keyring", "file")
    .option(
      "--prove",
      "check the answer against a header signed by +2/3 of the validators: the node proves every key and range it read (ICS-23) and the app's query runs here over the proven state",
      false,
    );
  if (kind === "list")
    cmd
      .option("--limit <n>", "one page of at most N entries (default: every entry, all pages)")
      .option("--page-key <base64>", "the page starting at this key (next_key of the last page)")
      .option("--offset <n>", "the page starting after N entries (not with --page-key)")
      .option(
        "--page <n>",
        "page N of --limit entries (1 = first; not with --offset or --page-key)",
      )
      .option("--count-total", "also count every entry (pagination.total)", false)
      .option("--reverse", "newest key first", false);
  return cmd;
}

/** A whole non-negative number from flag `name`. */
function count(name: string, text: string): bigint {
  if (!/^\d+$/.test(text))
    throw usage(`--${name} wants a whole number, got ${JSON.stringify(text)}`);
  return BigInt(text);
}

/** Cosmos client/flags ReadPageRequest: the PageRequest the pagination flags ask for, if any. */
export function pageRequestOf(f: PageFlags): cosmosPagination.PageRequest | undefined {
  const any =
    f.pageKey !== undefined ||
    f.offset !== undefined ||
    f.limit !== undefined ||
    f.page !== undefined ||
    f.countTotal === true ||
    f.reverse === true;
  if (!any) return undefined;
  const limit = f.limit === undefined ? 100n : count("limit", f.limit);
  if (limit === 0n) throw usage("--limit must be at least 1");
  let offset = f.offset === undefined ? 0n : count("offset", f.offset);
  if (f.page !== undefined) {
    const page = count("page", f.page);
    if (page === 0n) throw usage("--page starts at 1");
    if (f.offset !== undefined || f.pageKey !== undefined)
      throw usage("--page cannot be combined with --offset or --page-key");
    offset = (page - 1n) * limit;
  }
  let key: Uint8Array = new Uint8Array();
  if (f.pageKey !== undefined) {
    if (f.offset !== undefined) throw usage("--page-key and --offset cannot be used together");
    const bytes = fromBase64(f.pageKey);
    if (bytes === null) throw usage("--page-key wants base64 (the next_key a page printed)");
    key = bytes;
  }
  return create(cosmosPagination.PageRequestSchema, {
    key,
    offset,
    limit,
    countTotal: f.countTotal === true,
    reverse: f.reverse === true,
  });
}

/** Reads the flags, resolves key names, runs `run` and prints its answer. */
function queryAction<Desc extends DescMessage>(
  schema: Desc,
  run: (
    rpc: NodeRpc,
    o: { height?: bigint; prove: boolean; page?: cosmosPagination.PageRequest },
    address: (nameOrAddress: string, what: string) => string,
    args: readonly (string | undefined)[],
    flags: Record<string, unknown>,
  ) => Promise<QueryAnswer<MessageShape<Desc>>>,
) {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const args = all.slice(0, -2) as (string | undefined)[];
    const flags = cmd.opts<AppQueryFlags>();
    const output = checkOutputFormat(flags.output);
    const height = parseHeight(flags.height);
    const home = cmd.optsWithGlobals<{ home: string }>().home;
    const address = (text: string, what: string) =>
      resolveAddress(openClientKeyring(flags, home), text, what);
    const page = pageRequestOf(flags);
    const a = await run(
      createNodeRpc(flags.node),
      {
        ...(height !== 0n ? { height } : {}),
        prove: flags.prove === true,
        ...(page !== undefined ? { page } : {}),
      },
      address,
      args,
      flags as unknown as Record<string, unknown>,
    );
    const json = messageToJson(schema, a.response) as Record<string, unknown>;
    printValue(
      a.proof === undefined
        ? json
        : {
            ...json,
            proof: {
              verified: true,
              height: String(a.height),
              header_height: String(a.proof.headerHeight),
              app_hash: toHex(a.proof.appHash),
              ops: a.proof.ops,
            },
          },
      output,
    );
  };
}

function arg(args: readonly (string | undefined)[], i: number): string {
  return args[i] as string;
}

function registerAppQueries(query: Command): void {
  const auth = query.command("auth").description("accounts");
  withQueryFlags(
    auth
      .command("account")
      .argument("<address>", "address or key name")
      .description("an account: number, sequence, public key"),
  ).action(
    queryAction(cosmosAuthQuery.QueryAccountResponseSchema, (rpc, o, address, args) =>
      queryAccount(rpc, address(arg(args, 0), "address"), o),
    ),
  );

  const bank = query.command("bank").description("balances and allowances");
  withQueryFlags(
    bank
      .command("balances")
      .argument("<address>", "address or key name")
      .option("--denom <denom>", "only this denom")
      .description("an account's balances"),
    "list",
  ).action(async (...all: unknown[]) => {
    const flags = (all[all.length - 1] as Command).opts<AppQueryFlags & { denom?: string }>();
    if (flags.denom !== undefined && pageRequestOf(flags) !== undefined)
      throw usage("--denom asks for one balance: drop the pagination flags");
    const action =
      flags.denom === undefined
        ? queryAction(cosmosBankQuery.QueryAllBalancesResponseSchema, (rpc, o, address, args) =>
            queryAllBalances(rpc, address(arg(args, 0), "address"), o),
          )
        : queryAction(cosmosBankQuery.QueryBalanceResponseSchema, (rpc, o, address, args) =>
            queryBalance(rpc, address(arg(args, 0), "address"), flags.denom as string, o),
          );
    await action(...all);
  });
  withQueryFlags(
    bank
      .command("allowance")
      .argument("<owner>", "address or key name")
      .argument("<spender>", "address or key name")
      .argument("[denom]", "one denom; default: every allowance to SPENDER")
      .description("what SPENDER may move of OWNER's coins"),
    "list",
  ).action(async (...all: unknown[]) => {
    const denom = all[2] as string | undefined;
    if (denom !== undefined && pageRequestOf((all[all.length - 1] as Command).opts()) !== undefined)
      throw usage("DENOM asks for one allowance: drop the pagination flags");
    const action =
      denom === undefined
        ? queryAction(qosBankQuery.QueryAllowancesResponseSchema, (rpc, o, address, args) =>
            queryAllowances(
              rpc,
              address(arg(args, 0), "owner"),
              address(arg(args, 1), "spender"),
              o,
            ),
          )
        : queryAction(qosBankQuery.QueryAllowanceResponseSchema, (rpc, o, address, args) =>
            queryAllowance(
              rpc,
              address(arg(args, 0), "owner"),
              address(arg(args, 1), "spender"),
              denom,
              o,
            ),
          );
    await action(...all);
  });

  const qsc = query.command("qsc").description("QSC tokens");
  withQueryFlags(
    qsc
      .command("token")
      .argument("<denom_or_symbol>", "qsc/star or STAR")
      .description("a token: metadata, issuer, max supply, paused, supply"),
  ).action(
    queryAction(qscQuery.QueryTokenResponseSchema, (rpc, o, _address, args) =>
      queryToken(rpc, arg(args, 0), o),
    ),
  );
  withQueryFlags(qsc.command("tokens").description("every token"), "list").action(
    queryAction(qscQuery.QueryTokensResponseSchema, (rpc, o) => queryTokens(rpc, o)),
  );
  withQueryFlags(
    qsc
      .command("frozen")
      .argument("<denom>", "qsc/star or STAR")
      .argument("<holder>", "address or key name")
      .description("the frozen amount of HOLDER's tokens"),
  ).action(
    queryAction(qscQuery.QueryFrozenResponseSchema, (rpc, o, address, args) =>
      queryFrozen(rpc, arg(args, 0), address(arg(args, 1), "holder"), o),
    ),
  );
  withQueryFlags(qsc.command("params").description("creation mode, fee, root CA")).action(
    queryAction(qscQuery.QueryParamsResponseSchema, (rpc, o) => queryQscParams(rpc, o)),
  );

  query
    .command("tx")
    .argument("<hash>", "the tx hash (hex)")
    .description("a committed tx: its messages, signers, result code, log and events")
    .option("--node <url>", "the node's RPC address", DEFAULT_NODE)
    .option("-o, --output <format>", "json or text", "text")
    .action(async (hash: string, flags: { node: string; output: string }) => {
      const output = checkOutputFormat(flags.output);
      const t = await createNodeRpc(flags.node).getTx(hash.replace(/^0x/, ""));
      if (t === undefined)
        throw new QosError("tx_not_found", `tx ${hash} not found (not committed, or not indexed)`);
      const r = t.txResult;
      printValue(
        txResponseToJson(
          {
            txhash: t.hash,
            height: t.height,
            code: r.code,
            codespace: r.codespace,
            rawLog: r.log,
            data: r.data,
            gasWanted: r.gasWanted,
            gasUsed: r.gasUsed,
            events: r.events,
          },
          { index: t.index, tx: txToJson(txFromBytes(t.tx)) },
        ),
        output,
      );
    });
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
  const proof = await checkStoreProof(rpc, {
    storeName: opts.store,
    key,
    value,
    proofOps: r.proofOps,
    height: r.height,
  });
  return { ...base, proof };
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
