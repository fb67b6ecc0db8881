// `qos tx …`: builds bank and qsc transactions (Cosmos SDK flags), signs them with keyring keys
// (SIGN_MODE_DIRECT, every signer from one keyring), broadcasts them and prints the TxResponse;
// offline signing with --generate-only, `tx sign` and `tx broadcast` on proto3 JSON files.

import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { create, fromJsonString } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { parseCoins } from "@qos/app";
import {
  cosmosBankTx,
  fromBase64,
  QosError,
  qosBankTx,
  qscTx,
  qscTypes,
  toBase64,
} from "@qos/types";
import { type Command, Option } from "commander";
import {
  BROADCAST_MODES,
  type BroadcastMode,
  broadcastTx,
  txResponseToJson,
} from "../client/broadcaster.ts";
import { accountSigningInfo, qscDenomOf, simulateTx } from "../client/chainQueries.ts";
import {
  type ClientKeyringFlags,
  findKey,
  keyringPasswordFor,
  openClientKeyring,
  resolveAddress,
} from "../client/clientKeyring.ts";
import {
  adjustGas,
  DEFAULT_GAS_ADJUSTMENT,
  feeFromGasPrices,
  parseDecimal,
  parseGasFlag,
  parseGasPrices,
} from "../client/gasFees.ts";
import { createNodeRpc, type NodeRpc } from "../client/nodeRpc.ts";
import { checkOutputFormat, type OutputFormat, printValue } from "../client/outputFormat.ts";
import {
  buildUnsignedTx,
  DEFAULT_GAS_LIMIT,
  missingSignatures,
  signTx,
  txFromBytes,
  txFromJson,
  txToBytes,
  txToJson,
} from "../client/txBuilder.ts";
import { packMsg, txSigners } from "../client/txMessages.ts";
import type { Keyring } from "../keyring/keyring.ts";
import { createTerminalInput, type TerminalInput } from "../keyring/terminalInput.ts";
import { DEFAULT_NODE } from "./queryCommands.ts";

/** Flags every tx command takes. */
export interface TxFlags extends ClientKeyringFlags {
  from?: string;
  node: string;
  chainId?: string;
  fees?: string;
  gas?: string;
  gasAdjustment?: string;
  gasPrices?: string;
  output: string;
  yes: boolean;
  memo: string;
  timeoutHeight?: string;
  generateOnly: boolean;
  offline: boolean;
  accountNumber?: string;
  sequence?: string;
  broadcastMode: string;
  wait: boolean;
}

function usage(message: string): QosError {
  return new QosError("cli_usage", message);
}

function homeOf(cmd: Command): string {
  return resolve(cmd.optsWithGlobals<{ home: string }>().home);
}

function uint(text: string | undefined, flag: string): bigint | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,20}$/.test(text))
    throw usage(`${flag} must be a non-negative integer, got "${text}"`);
  return BigInt(text);
}

/** A token amount as the qsc messages carry it: decimal digits, no sign or leading zero. */
function amountArg(text: string, what: string): string {
  if (!/^(0|[1-9]\d{0,77})$/.test(text))
    throw usage(`${what} must be a whole number of base units, got "${text}"`);
  return text;
}

/** "NAME_OR_ADDRESS:COINS" of --sender/--receiver/--holder (key names and addresses have no ':'). */
export function parseAddressItem(item: string, flag: string): { who: string; rest: string } {
  const i = item.indexOf(":");
  if (i <= 0 || i === item.length - 1)
    throw usage(`${flag} takes NAME_OR_ADDRESS:AMOUNT, got "${item}"`);
  return { who: item.slice(0, i), rest: item.slice(i + 1) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function coinsProto(text: string) {
  return parseCoins(text).map((c) => ({ denom: c.denom, amount: c.amount.toString() }));
}

export function withTxFlags(cmd: Command, needsFrom = true): Command {
  if (needsFrom) cmd.option("--from <name>", "the key (name or address) that signs");
  return cmd
    .option("--node <url>", "the node's RPC address", DEFAULT_NODE)
    .option("--chain-id <id>", "chain id (default: the node's, from /status)")
    .option("--fees <coins>", 'fee to pay, e.g. "2000uqos"')
    .option(
      "--gas <gas>",
      `gas limit: a number or "auto" (simulate) (default ${DEFAULT_GAS_LIMIT})`,
    )
    .option(
      "--gas-adjustment <factor>",
      `--gas auto multiplies the simulated gas by this (default ${DEFAULT_GAS_ADJUSTMENT})`,
    )
    .option("--gas-prices <prices>", 'fee = ceil(gas × price), e.g. "0.025uqos"')
    .option("--memo <text>", "memo", "")
    .option("--timeout-height <h>", "the tx is invalid after this block height")
    .option("--keyring-backend <backend>", "where keys live: file, test or memory", "file")
    .option("--keyring-password-file <path>", "file backend: read the password from this file")
    .option("-y, --yes", "sign and broadcast without asking for confirmation", false)
    .option("--generate-only", "print the unsigned tx as JSON (no key needed)", false)
    .option(
      "--offline",
      "do not contact the node (needs --chain-id, --account-number, --sequence): print the signed tx JSON instead of broadcasting",
      false,
    )
    .option("--account-number <n>", "the signer's account number (with --offline)")
    .option("--sequence <n>", "the signer's sequence (with --offline)")
    .addOption(
      new Option("-b, --broadcast-mode <mode>", "sync (CheckTx result), async, or commit")
        .choices(BROADCAST_MODES as string[])
        .default("sync"),
    )
    .option("--wait", "after CheckTx accepts the tx, wait until it is in a block", false)
    .option("-o, --output <format>", "json or text", "text");
}

interface SignerSlot {
  readonly address: string;
  readonly key: { name: string; pubKey: Uint8Array } | undefined;
  accountNumber: bigint;
  sequence: bigint;
  pubKey: Uint8Array | undefined;
}

interface Context {
  readonly flags: TxFlags;
  readonly output: OutputFormat;
  readonly home: string;
  readonly keyring: Keyring;
  readonly rpc: NodeRpc | null;
}

function contextOf(flags: TxFlags, cmd: Command): Context {
  const home = homeOf(cmd);
  const output = checkOutputFormat(flags.output);
  if (flags.offline && flags.gas === "auto")
    throw usage("--gas auto simulates on a node; it cannot be --offline");
  if (flags.fees !== undefined && flags.gasPrices !== undefined)
    throw usage("give --fees or --gas-prices, not both");
  return {
    flags,
    output,
    home,
    keyring: openClientKeyring(flags, home),
    rpc: flags.offline ? null : createNodeRpc(flags.node),
  };
}

async function chainIdOf(ctx: Context): Promise<string> {
  if (ctx.flags.chainId !== undefined) return ctx.flags.chainId;
  if (ctx.rpc === null) throw usage("--offline needs --chain-id");
  return (await ctx.rpc.status()).chainId;
}

/** Account number, sequence and key of every signer: from the chain, or the offline flags. */
async function signerSlots(ctx: Context, addresses: readonly string[]): Promise<SignerSlot[]> {
  const { flags } = ctx;
  const slots: SignerSlot[] = [];
  for (const address of addresses) {
    const record = findKey(ctx.keyring, address);
    const key = record !== undefined ? { name: record.name, pubKey: record.pubKey } : undefined;
    if (key === undefined && !flags.generateOnly)
      throw usage(
        `${address} must sign this tx but is not a key in the ${ctx.keyring.backend} keyring (use --generate-only and sign it where the key is)`,
      );
    if (ctx.rpc === null) {
      if (addresses.length > 1)
        throw usage("--offline signs for one signer; this tx has several (sign online)");
      const accountNumber = uint(flags.accountNumber, "--account-number");
      const sequence = uint(flags.sequence, "--sequence");
      if (accountNumber === undefined || sequence === undefined)
        throw usage("--offline needs --account-number and --sequence");
      slots.push({ address, key, accountNumber, sequence, pubKey: key?.pubKey });
    } else {
      const info = await accountSigningInfo(ctx.rpc, address);
      slots.push({
        address,
        key,
        accountNumber: info.accountNumber,
        sequence: info.sequence,
        pubKey: key?.pubKey ?? info.pubKey,
      });
    }
  }
  return slots;
}

async function confirm(tx: unknown, input: TerminalInput): Promise<void> {
  process.stderr.write(`${JSON.stringify(tx, null, 2)}\n\n`);
  let answer: string;
  try {
    answer = await input.line("confirm transaction before signing and broadcasting [y/N]: ");
  } catch {
    throw usage("no confirmation on stdin: answer y, or pass --yes to skip the question");
  }
  if (/^y(es)?$/i.test(answer.trim())) return;
  throw new QosError(
    "tx_canceled",
    input.interactive || answer.trim() !== ""
      ? "canceled transaction"
      : "canceled transaction: no answer on stdin (answer y, or pass --yes to skip the question)",
  );
}

/** Exits 1 (after printing) when the node refused or the tx failed. */
function reportOutcome(res: { code: number; codespace: string; rawLog: string }): void {
  if (res.code === 0) return;
  process.stderr.write(
    `Error: the tx failed: codespace ${res.codespace || "-"}, code ${res.code}: ${res.rawLog}\n`,
  );
  process.exitCode = 1;
}

/** Builds, (simulates,) signs and broadcasts `messages`, or prints them unsigned. */
export async function runTx(flags: TxFlags, cmd: Command, messages: readonly Any[]): Promise<void> {
  const ctx = contextOf(flags, cmd);
  const addresses = txSigners(messages);
  const slots = await signerSlots(ctx, addresses);
  const gasFlag = parseGasFlag(flags.gas ?? String(DEFAULT_GAS_LIMIT));
  const prices = flags.gasPrices !== undefined ? parseGasPrices(flags.gasPrices) : [];
  const fixedFee = flags.fees !== undefined ? parseCoins(flags.fees) : [];
  const timeoutHeight = uint(flags.timeoutHeight, "--timeout-height");
  const base = {
    messages,
    memo: flags.memo,
    ...(timeoutHeight !== undefined ? { timeoutHeight } : {}),
    signers: slots.map((s) => ({ pubKey: s.pubKey, sequence: s.sequence })),
  };
  let gasLimit: bigint;
  if (gasFlag === "auto") {
    if (ctx.rpc === null) throw usage("--gas auto simulates on a node; it cannot be --offline");
    const sim = buildUnsignedTx({ ...base, fee: fixedFee, gasLimit: 0n });
    const { gasUsed } = await simulateTx(ctx.rpc, txToBytes(sim));
    const adjustment = parseDecimal(
      flags.gasAdjustment ?? DEFAULT_GAS_ADJUSTMENT,
      "--gas-adjustment",
    );
    gasLimit = adjustGas(gasUsed, adjustment);
    process.stderr.write(`estimated gas: ${gasLimit} (simulated ${gasUsed})\n`);
  } else {
    gasLimit = gasFlag;
  }
  const fee = prices.length > 0 ? feeFromGasPrices(prices, gasLimit) : fixedFee;
  let tx = buildUnsignedTx({ ...base, fee, gasLimit });
  if (flags.generateOnly) {
    printValue(txToJson(tx), "json");
    return;
  }
  const input = createTerminalInput();
  if (!flags.yes) await confirm(txToJson(tx), input);
  const chainId = await chainIdOf(ctx);
  const password = await keyringPasswordFor(flags, input);
  const keyring = openClientKeyring(flags, ctx.home, password);
  for (const slot of slots) {
    const signer = keyring.signer((slot.key as { name: string }).name);
    try {
      tx = signTx(tx, signer, { chainId, accountNumber: slot.accountNumber });
    } finally {
      signer.wipe();
    }
  }
  if (ctx.rpc === null) {
    // Offline: the signed tx is the result; `qos tx broadcast FILE` sends it later.
    printValue(txToJson(tx), "json");
    return;
  }
  const res = await broadcastTx(ctx.rpc, txToBytes(tx), flags.broadcastMode as BroadcastMode, {
    wait: flags.wait,
  });
  printValue(txResponseToJson(res), ctx.output);
  reportOutcome(res);
}

function readTxFile(file: string) {
  const text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  return txFromJson(text);
}

function registerBank(tx: Command): void {
  const bank = tx.command("bank").description("bank transactions: send, transfer, allowances");

  withTxFlags(
    bank
      .command("send")
      .argument("<from>", "sender: key name or address (signs)")
      .argument("<to>", "receiver: key name or address")
      .argument("<coins>", 'e.g. "1000uqos,5qsc/star"')
      .description("send coins (cosmos.bank.v1beta1.MsgSend)"),
    false,
  ).action(async (from: string, to: string, coins: string, flags: TxFlags, cmd: Command) => {
    const keyring = openClientKeyring(flags, homeOf(cmd));
    const msg = create(cosmosBankTx.MsgSendSchema, {
      fromAddress: resolveAddress(keyring, from, "sender"),
      toAddress: resolveAddress(keyring, to, "receiver"),
      amount: coinsProto(coins),
    });
    await runTx(flags, cmd, [packMsg(cosmosBankTx.MsgSendSchema, msg)]);
  });

  withTxFlags(
    bank
      .command("transfer")
      .description(
        "many-to-many transfer (qos.bank.v1.MsgTransfer): the sums per denom must match; every sender signs, the first pays the fee",
      )
      .option("--sender <name:coins>", "NAME_OR_ADDRESS:COINS (repeat)", collect, [])
      .option("--receiver <name:coins>", "NAME_OR_ADDRESS:COINS (repeat)", collect, []),
    false,
  ).action(async (flags: TxFlags & { sender: string[]; receiver: string[] }, cmd: Command) => {
    if (flags.sender.length === 0 || flags.receiver.length === 0)
      throw usage("transfer needs at least one --sender and one --receiver");
    const keyring = openClientKeyring(flags, homeOf(cmd));
    const items = (list: string[], flag: string) =>
      list.map((item) => {
        const { who, rest } = parseAddressItem(item, flag);
        return create(qosBankTx.TransferItemSchema, {
          address: resolveAddress(keyring, who, flag.slice(2)),
          coins: coinsProto(rest),
        });
      });
    const msg = create(qosBankTx.MsgTransferSchema, {
      senders: items(flags.sender, "--sender"),
      receivers: items(flags.receiver, "--receiver"),
    });
    await runTx(flags, cmd, [packMsg(qosBankTx.MsgTransferSchema, msg)]);
  });

  /** approve / increase / decrease: one shape, `{owner, spender, coins}`, another message. */
  const allowance = (
    name: string,
    description: string,
    schema:
      | typeof qosBankTx.MsgApproveSchema
      | typeof qosBankTx.MsgIncreaseAllowanceSchema
      | typeof qosBankTx.MsgDecreaseAllowanceSchema,
  ) =>
    withTxFlags(
      bank
        .command(name)
        .argument("<spender>", "key name or address")
        .argument("<coins>", 'e.g. "500qsc/star"')
        .description(description),
    ).action(async (spender: string, coins: string, flags: TxFlags, cmd: Command) => {
      const keyring = openClientKeyring(flags, homeOf(cmd));
      const owner = resolveAddress(keyring, requireFrom(flags), "--from");
      const fields = {
        owner,
        spender: resolveAddress(keyring, spender, "spender"),
        coins: coinsProto(coins),
      };
      await runTx(flags, cmd, [packMsg(schema, create(schema, fields))]);
    });
  allowance(
    "approve",
    "set the allowance of SPENDER to COINS (qos.bank.v1.MsgApprove)",
    qosBankTx.MsgApproveSchema,
  );
  allowance(
    "increase-allowance",
    "add COINS to the allowance of SPENDER",
    qosBankTx.MsgIncreaseAllowanceSchema,
  );
  allowance(
    "decrease-allowance",
    "take COINS off the allowance of SPENDER",
    qosBankTx.MsgDecreaseAllowanceSchema,
  );

  withTxFlags(
    bank
      .command("revoke")
      .argument("<spender>", "key name or address")
      .argument("[denoms...]", "denoms to revoke (default: all)")
      .description("revoke allowances given to SPENDER (qos.bank.v1.MsgRevokeAllowance)"),
  ).action(async (spender: string, denoms: string[], flags: TxFlags, cmd: Command) => {
    const keyring = openClientKeyring(flags, homeOf(cmd));
    const msg = create(qosBankTx.MsgRevokeAllowanceSchema, {
      owner: resolveAddress(keyring, requireFrom(flags), "--from"),
      spender: resolveAddress(keyring, spender, "spender"),
      denoms,
    });
    await runTx(flags, cmd, [packMsg(qosBankTx.MsgRevokeAllowanceSchema, msg)]);
  });

  withTxFlags(
    bank
      .command("transfer-from")
      .argument("<owner>", "whose coins move: key name or address")
      .argument("<to>", "receiver: key name or address")
      .argument("<coins>", 'e.g. "100qsc/star"')
      .description("move an owner's coins within your allowance (--from is the spender)"),
  ).action(async (owner: string, to: string, coins: string, flags: TxFlags, cmd: Command) => {
    const keyring = openClientKeyring(flags, homeOf(cmd));
    const msg = create(qosBankTx.MsgTransferFromSchema, {
      spender: resolveAddress(keyring, requireFrom(flags), "--from"),
      owner: resolveAddress(keyring, owner, "owner"),
      to: resolveAddress(keyring, to, "receiver"),
      coins: coinsProto(coins),
    });
    await runTx(flags, cmd, [packMsg(qosBankTx.MsgTransferFromSchema, msg)]);
  });
}

function requireFrom(flags: TxFlags): string {
  if (flags.from === undefined) throw usage("--from is required (the key that signs)");
  return flags.from;
}

function readCertificate(file: string): qscTypes.SignedQscCertificate {
  try {
    return fromJsonString(qscTypes.SignedQscCertificateSchema, readFileSync(file, "utf8"));
  } catch (e) {
    throw usage(
      `--certificate ${file}: expected the JSON of a SignedQscCertificate {"certificate": base64, "signature": base64}: ${(e as Error).message}`,
    );
  }
}

function registerQsc(tx: Command): void {
  const qsc = tx.command("qsc").description("QSC token transactions");

  withTxFlags(
    qsc
      .command("create")
      .description("create a QSC token (qos.qsc.v1.MsgCreateToken); --from is the creator")
      .requiredOption("--symbol <symbol>", "2–16 letters and digits; the denom is qsc/<lower-case>")
      .requiredOption("--name <name>", "the token's name")
      .requiredOption("--decimals <n>", "0–18")
      .option("--max-supply <amount>", "cap on the supply in base units (0: none)", "0")
      .option("--issuer <name_or_address>", "the issuer (banker) (default: the creator)")
      .option(
        "--holder <addr:amount>",
        "initial holder NAME_OR_ADDRESS:AMOUNT (repeat)",
        collect,
        [],
      )
      .option("--certificate <file>", "SignedQscCertificate JSON (certificate creation mode)"),
  ).action(
    async (
      flags: TxFlags & {
        symbol: string;
        name: string;
        decimals: string;
        maxSupply: string;
        issuer?: string;
        holder: string[];
        certificate?: string;
      },
      cmd: Command,
    ) => {
      const keyring = openClientKeyring(flags, homeOf(cmd));
      const creator = resolveAddress(keyring, requireFrom(flags), "--from");
      if (!/^\d{1,2}$/.test(flags.decimals))
        throw usage(`--decimals must be an integer 0–18, got "${flags.decimals}"`);
      const msg = create(qscTx.MsgCreateTokenSchema, {
        creator,
        symbol: flags.symbol,
        name: flags.name,
        decimals: Number(flags.decimals),
        issuer:
          flags.issuer !== undefined ? resolveAddress(keyring, flags.issuer, "--issuer") : creator,
        maxSupply: amountArg(flags.maxSupply, "--max-supply"),
        initialHolders: flags.holder.map((item) => {
          const { who, rest } = parseAddressItem(item, "--holder");
          return create(qscTx.HolderSchema, {
            address: resolveAddress(keyring, who, "holder"),
            amount: amountArg(rest, "a --holder amount"),
          });
        }),
        ...(flags.certificate !== undefined
          ? { certificate: readCertificate(flags.certificate) }
          : {}),
      });
      await runTx(flags, cmd, [packMsg(qscTx.MsgCreateTokenSchema, msg)]);
    },
  );

  withTxFlags(
    qsc
      .command("issue")
      .argument("<denom>", "qsc/<symbol> or the symbol")
      .argument("<amount>", "base units")
      .option("--to <name_or_address>", "who receives (default: the issuer)")
      .description("mint new tokens (issuer only)"),
  ).action(
    async (denom: string, amount: string, flags: TxFlags & { to?: string }, cmd: Command) => {
      const keyring = openClientKeyring(flags, homeOf(cmd));
      const msg = create(qscTx.MsgIssueSchema, {
        issuer: resolveAddress(keyring, requireFrom(flags), "--from"),
        denom: qscDenomOf(denom),
        amount: amountArg(amount, "AMOUNT"),
        to: flags.to !== undefined ? resolveAddress(keyring, flags.to, "--to") : "",
      });
      await runTx(flags, cmd, [packMsg(qscTx.MsgIssueSchema, msg)]);
    },
  );

  withTxFlags(
    qsc
      .command("burn")
      .argument("<denom>", "qsc/<symbol> or the symbol")
      .argument("<amount>", "base units")
      .description("burn your own (unfrozen) tokens"),
  ).action(async (denom: string, amount: string, flags: TxFlags, cmd: Command) => {
    const keyring = openClientKeyring(flags, homeOf(cmd));
    const msg = create(qscTx.MsgBurnSchema, {
      owner: resolveAddress(keyring, requireFrom(flags), "--from"),
      denom: qscDenomOf(denom),
      amount: amountArg(amount, "AMOUNT"),
    });
    await runTx(flags, cmd, [packMsg(qscTx.MsgBurnSchema, msg)]);
  });

  for (const [name, schema, what] of [
    ["freeze", qscTx.MsgFreezeSchema, "freeze AMOUNT of HOLDER's tokens (issuer only)"],
    ["unfreeze", qscTx.MsgUnfreezeSchema, "unfreeze AMOUNT of HOLDER's tokens (issuer only)"],
  ] as const) {
    withTxFlags(
      qsc
        .command(name)
        .argument("<denom>", "qsc/<symbol> or the symbol")
        .argument("<holder>", "key name or address")
        .argument("<amount>", "base units")
        .description(what),
    ).action(
      async (denom: string, holder: string, amount: string, flags: TxFlags, cmd: Command) => {
        const keyring = openClientKeyring(flags, homeOf(cmd));
        const msg = create(schema, {
          issuer: resolveAddress(keyring, requireFrom(flags), "--from"),
          denom: qscDenomOf(denom),
          holder: resolveAddress(keyring, holder, "holder"),
          amount: amountArg(amount, "AMOUNT"),
        });
        await runTx(flags, cmd, [packMsg(schema, msg)]);
      },
    );
  }

  for (const [name, schema, what] of [
    ["pause", qscTx.MsgPauseSchema, "stop every movement of the token (issuer only)"],
    ["unpause", qscTx.MsgUnpauseSchema, "resume the token (issuer only)"],
  ] as const) {
    withTxFlags(
      qsc.command(name).argument("<denom>", "qsc/<symbol> or the symbol").description(what),
    ).action(async (denom: string, flags: TxFlags, cmd: Command) => {
      const keyring = openClientKeyring(flags, homeOf(cmd));
      const msg = create(schema, {
        issuer: resolveAddress(keyring, requireFrom(flags), "--from"),
        denom: qscDenomOf(denom),
      });
      await runTx(flags, cmd, [packMsg(schema, msg)]);
    });
  }
}

function registerOffline(tx: Command): void {
  tx.command("sign")
    .argument("<file>", "a tx JSON file (--generate-only output; - for stdin)")
    .description("sign a tx JSON file as --from and print the signed tx JSON")
    .requiredOption("--from <name>", "the key (name or address) that signs")
    .option("--node <url>", "the node's RPC address", DEFAULT_NODE)
    .option("--chain-id <id>", "chain id (default: the node's)")
    .option(
      "--offline",
      "do not contact the node: needs --chain-id, --account-number, --sequence",
      false,
    )
    .option("--account-number <n>", "the signer's account number (with --offline)")
    .option("--sequence <n>", "the signer's sequence (with --offline)")
    .option("--keyring-backend <backend>", "where keys live: file, test or memory", "file")
    .option("--keyring-password-file <path>", "file backend: read the password from this file")
    .option("--output-document <file>", "write the signed tx here instead of stdout")
    .action(
      async (file: string, flags: TxFlags & { from: string; outputDocument?: string }, cmd) => {
        const home = homeOf(cmd as Command);
        let tx = readTxFile(file);
        const keyring = openClientKeyring(flags, home);
        const key = findKey(keyring, flags.from);
        if (key === undefined)
          throw usage(`--from "${flags.from}" is not a key in the ${keyring.backend} keyring`);
        let accountNumber: bigint;
        let sequence: bigint;
        let chainId = flags.chainId;
        if (flags.offline) {
          const a = uint(flags.accountNumber, "--account-number");
          const s = uint(flags.sequence, "--sequence");
          if (a === undefined || s === undefined || chainId === undefined)
            throw usage("--offline needs --chain-id, --account-number and --sequence");
          accountNumber = a;
          sequence = s;
        } else {
          const rpc = createNodeRpc(flags.node);
          const info = await accountSigningInfo(rpc, key.address);
          accountNumber = uint(flags.accountNumber, "--account-number") ?? info.accountNumber;
          sequence = uint(flags.sequence, "--sequence") ?? info.sequence;
          chainId ??= (await rpc.status()).chainId;
        }
        const input = createTerminalInput();
        const password = await keyringPasswordFor(flags, input);
        const signer = openClientKeyring(flags, home, password).signer(key.name);
        try {
          tx = signTx(tx, signer, { chainId, accountNumber, sequence });
        } finally {
          signer.wipe();
        }
        const json = JSON.stringify(txToJson(tx));
        if (flags.outputDocument !== undefined) writeFileSync(flags.outputDocument, `${json}\n`);
        else process.stdout.write(`${json}\n`);
      },
    );

  tx.command("broadcast")
    .argument("<file>", "a signed tx JSON file (- for stdin)")
    .description("broadcast a signed tx JSON file")
    .option("--node <url>", "the node's RPC address", DEFAULT_NODE)
    .addOption(
      new Option("-b, --broadcast-mode <mode>", "sync, async or commit")
        .choices(BROADCAST_MODES as string[])
        .default("sync"),
    )
    .option("--wait", "after CheckTx accepts the tx, wait until it is in a block", false)
    .option("-o, --output <format>", "json or text", "text")
    .action(async (file: string, flags: TxFlags) => {
      const output = checkOutputFormat(flags.output);
      const tx = readTxFile(file);
      const missing = missingSignatures(tx);
      if (missing.length > 0)
        throw usage(`the tx is not signed by ${missing.join(", ")} (qos tx sign FILE --from …)`);
      const res = await broadcastTx(
        createNodeRpc(flags.node),
        txToBytes(tx),
        flags.broadcastMode as BroadcastMode,
        { wait: flags.wait },
      );
      printValue(txResponseToJson(res), output);
      reportOutcome(res);
    });

  tx.command("encode")
    .argument("<file>", "a tx JSON file (- for stdin)")
    .description("print the tx's TxRaw bytes in base64 (what broadcast_tx sends)")
    .action((file: string) => {
      process.stdout.write(`${toBase64(txToBytes(readTxFile(file)))}\n`);
    });

  tx.command("decode")
    .argument("<base64>", "TxRaw bytes in base64")
    .description("print a base64 TxRaw as tx JSON")
    .action((text: string) => {
      const bytes = fromBase64(text);
      if (bytes === null) throw usage("the argument is not base64");
      printValue(txToJson(txFromBytes(bytes)), "json");
    });
}

export function registerTxCommands(program: Command): void {
  const tx = program
    .command("tx")
    .description("build, sign and broadcast transactions (Cosmos SDK style flags)");
  registerBank(tx);
  registerQsc(tx);
  registerOffline(tx);
}
