// `qos genesis …`: edits and checks a home's genesis.json before the chain starts:
// add-account (a funded account in app_state.bank) and validate (the node's own checks plus a dry
// run of the application's InitChain).

import { resolve } from "node:path";
import {
  addCoins,
  BASE_DENOM,
  bech32ToAddress,
  type Coin,
  coinsToString,
  parseCoins,
} from "@qos/app";
import {
  configPaths,
  createLogger,
  dryRunGenesis,
  type GenesisDoc,
  loadConfig,
  loadGenesis,
  saveGenesis,
} from "@qos/node";
import { QosError, toHex } from "@qos/types";
import type { Command } from "commander";

/** 10 billion QOS in uqos: the total supply (MISSION.md, seed §2). */
export const TOTAL_QOS_SUPPLY_UQOS = 10_000_000_000n * 1_000_000n;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function homeOf(cmd: Command): string {
  return resolve(cmd.optsWithGlobals<{ home: string }>().home);
}

function genesisPathOf(home: string): string {
  const config = loadConfig(home);
  if (!config.ok) throw config.error;
  return configPaths(home, config.value).genesis;
}

function load(path: string): GenesisDoc {
  const doc = loadGenesis(path);
  if (!doc.ok) throw doc.error;
  return doc.value;
}

type JsonRecord = Record<string, unknown>;

function section(parent: JsonRecord, name: string): JsonRecord {
  const v = parent[name];
  if (v === undefined) {
    const created: JsonRecord = {};
    parent[name] = created;
    return created;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new QosError("genesis_invalid", `app_state.${name} must be an object`);
  return v as JsonRecord;
}

interface BalanceEntry {
  address: string;
  coins: { denom: string; amount: string }[];
}

/** The balances in app_state.bank, as coins per address (the file is checked by validate). */
function balancesOf(appState: unknown): Map<string, Coin[]> {
  const bank = (appState as JsonRecord | undefined)?.bank as JsonRecord | undefined;
  const list = (bank?.balances ?? []) as BalanceEntry[];
  return new Map(
    list.map((b) => [
      b.address,
      b.coins.map((c) => ({ denom: c.denom, amount: BigInt(c.amount) })),
    ]),
  );
}

/**
 * Adds `coins` to `address` in app_state.bank.balances (and to bank.supply when the file lists
 * it). An address already funded is refused unless `append` is set.
 */
export function addGenesisAccount(
  doc: GenesisDoc,
  address: string,
  coinsText: string,
  append: boolean,
): GenesisDoc {
  bech32ToAddress(address); // throws "invalid address …" with the reason
  const coins = parseCoins(coinsText);
  const appState = structuredClone((doc.appState ?? {}) as JsonRecord);
  const bank = section(appState, "bank");
  const balances = (bank.balances ?? []) as BalanceEntry[];
  if (!Array.isArray(balances))
    throw new QosError("genesis_invalid", "app_state.bank.balances must be a list");
  const existing = balances.find((b) => b.address === address);
  const toJson = (list: readonly Coin[]) =>
    list.map((c) => ({ denom: c.denom, amount: c.amount.toString() }));
  if (existing !== undefined) {
    if (!append)
      throw new QosError(
        "genesis_account_exists",
        `${address} already has a genesis balance (${existing.coins.map((c) => `${c.amount}${c.denom}`).join(",")}); use --append to add to it`,
      );
    const held = existing.coins.map((c) => ({ denom: c.denom, amount: BigInt(c.amount) }));
    existing.coins = toJson(addCoins(held, coins));
  } else {
    balances.push({ address, coins: toJson(coins) });
  }
  bank.balances = balances;
  if (Array.isArray(bank.supply)) {
    const supply = (bank.supply as { denom: string; amount: string }[]).map((c) => ({
      denom: c.denom,
      amount: BigInt(c.amount),
    }));
    bank.supply = toJson(addCoins(supply, coins));
  }
  return { ...doc, appState };
}

export function registerGenesisCommands(program: Command): void {
  const genesis = program
    .command("genesis")
    .description("edit and check the genesis file of a home");

  genesis
    .command("add-account")
    .description("fund an account in genesis: app_state.bank.balances gets ADDRESS with COINS")
    .argument("<address>", "a qosacc… address")
    .argument("<coins>", 'coins, e.g. "1000000uqos,500qsc/star"')
    .option("--append", "add to an address that already has a genesis balance", false)
    .action((address: string, coinsText: string, opts: { append: boolean }, cmd: Command) => {
      const path = genesisPathOf(homeOf(cmd));
      const updated = addGenesisAccount(load(path), address, coinsText, opts.append);
      saveGenesis(path, updated);
      out(`added ${coinsToString(parseCoins(coinsText))} to ${address} in ${path}`);
    });

  genesis
    .command("validate")
    .description(
      "check a genesis file: its CometBFT fields, and its app_state through the application's InitChain",
    )
    .argument("[file]", "the genesis file (default: the home's)")
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const home = homeOf(cmd);
      const config = loadConfig(home);
      if (!config.ok) throw config.error;
      const path = file !== undefined ? resolve(file) : configPaths(home, config.value).genesis;
      const doc = load(path);
      const appHash = await dryRunGenesis(
        config.value,
        doc,
        createLogger({ level: "error", format: "plain" }),
      );
      const balances = balancesOf(doc.appState);
      const supply = addCoins(...balances.values());
      const uqos = supply.find((c) => c.denom === BASE_DENOM)?.amount ?? 0n;
      out(`${path} is a valid genesis for the ${config.value.app.name} application`);
      out(`chain id:       ${doc.chainId} (initial height ${doc.initialHeight})`);
      out(`validators:     ${doc.validators.length}`);
      out(`funded:         ${balances.size} accounts`);
      out(`supply:         ${supply.length === 0 ? "(none)" : coinsToString(supply)}`);
      out(
        `QOS at genesis: ${uqos / 1_000_000n} QOS = ${(Number((uqos * 1_000_000n) / TOTAL_QOS_SUPPLY_UQOS) / 10_000).toFixed(4)}% of the 10 billion QOS total`,
      );
      out(`app hash:       ${toHex(appHash)}`);
    });
}
