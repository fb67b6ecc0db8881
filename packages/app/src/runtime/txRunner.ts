// Runs one tx against a state: decode, stateless checks, ante (timeout, memo, size gas, fee
// floor, signers: account, pubkey, sequence, SIGN_MODE_DIRECT secp256k1 signature; fee payment,
// sequence increment) and the messages, in place on the state's branches with a checkpoint per
// phase: an ante failure changes nothing; a message failure (including out of gas) keeps the fee
// and the sequence increment.

import { fromBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { secp256k1Address, secp256k1Verify } from "@qos/crypto";
import type { KVStore } from "@qos/store";
import {
  copyBytes,
  cosmosSecp256k1,
  cosmosSigning,
  type cosmosTx,
  equalBytes,
  toBase64,
  utf8Bytes,
  utf8Encode,
} from "@qos/types";
import type { Event, Timestamp } from "../abci.ts";
import type { AccountKeeper } from "../modules/auth/accountKeeper.ts";
import type { BankKeeper } from "../modules/bank/bankKeeper.ts";
import { addressToBech32, moduleAddress } from "./address.ts";
import { type BranchStore, createBranchSet } from "./branchStore.ts";
import { createBytesCache } from "./bytesCache.ts";
import { amountOf, BASE_DENOM, type Coin, coinsFromProto, coinsToString } from "./coins.ts";
import { makeEvent } from "./events.ts";
import {
  createGasKVStore,
  createGasMeter,
  INFINITE_GAS,
  type MutableGasMeter,
} from "./gasMeter.ts";
import { type GasPrice, requiredFee } from "./gasPrice.ts";
import {
  AppError,
  type AppModule,
  type ExecMode,
  type MsgHandler,
  type TxContext,
} from "./module.ts";
import { SDK_CODE, SDK_CODESPACE, sdkError } from "./sdkErrors.ts";
import type { SigCache } from "./sigCache.ts";
import { signDocBytes, signDocBytesTransient } from "./signDoc.ts";
import { decodeTx } from "./txDecode.ts";
import { txMsgDataBytes } from "./txMsgData.ts";

export const FEE_COLLECTOR = "fee_collector";
export const FEE_COLLECTOR_ADDRESS = moduleAddress(FEE_COLLECTOR);

export interface TxEnv {
  readonly chainId: string;
  readonly height: bigint;
  readonly time: Timestamp;
  readonly mode: ExecMode;
  /**
   * The state the tx applies to (the block's branches or the CheckTx state), written in place;
   * the runner checkpoints them so a failure undoes what it must (see `txScope`).
   */
  readonly stores: (name: string) => BranchStore;
}

export interface TxOutcome {
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  readonly data: Uint8Array;
  readonly gasWanted: bigint;
  readonly gasUsed: bigint;
  readonly events: readonly Event[];
  /** Mempool priority: fee in the base denom × 10^6 ÷ gas limit. */
  readonly priority: bigint;
  /** The tx's Any-packed message responses (success only). */
  readonly msgResponses: readonly Any[];
}

export interface TxRunnerOptions {
  /** Node-local minimum gas prices, enforced in CheckTx only (as Cosmos). Empty: no floor. */
  readonly minGasPrices: readonly GasPrice[];
  /** Largest tx in bytes (sdk 21 above). */
  readonly maxTxBytes: number;
  /** Decoded txs kept between CheckTx and FinalizeBlock (two generations of this many). Default 10,000. */
  readonly decodedCacheSize?: number;
}

export interface TxRunnerDeps {
  readonly accounts: AccountKeeper;
  readonly bank: BankKeeper;
  readonly modules: readonly AppModule[];
  readonly sigCache: SigCache;
}

/** One secp256k1 check CheckTx makes: this key's signature over these SignDoc bytes. */
export interface SignatureCheck {
  readonly pubKey: Uint8Array;
  readonly signBytes: Uint8Array;
  readonly signature: Uint8Array;
}

export interface TxRunner {
  run(env: TxEnv, txBytes: Uint8Array): TxOutcome;
  /**
   * Whether `decodeTx` accepts `txBytes`: true at once for a tx in the decoded-tx cache (it was
   * decoded to get there), else decoded here (nothing is cached).
   */
  decodes(txBytes: Uint8Array): boolean;
  /**
   * The signature checks ante would make for this tx in this state (signer's key from the tx
   * or the account, account number from the account), as far as they can be worked out without
   * running it; none for a tx that fails before. Reads only; decides nothing.
   */
  signatureChecks(env: TxEnv, txBytes: Uint8Array): SignatureCheck[];
  /** The handler registered for a message type URL. */
  handler(typeUrl: string): MsgHandler | undefined;
}

/** What SignerInfo.public_key says, checked statelessly (ante reports it in its own order). */
type SignerKey =
  | { readonly kind: "none" }
  | { readonly kind: "badType"; readonly typeUrl: string }
  | { readonly kind: "malformed" }
  | { readonly kind: "mismatch" }
  | { readonly kind: "ok"; readonly key: Uint8Array };

/** What ante reads of a SignerInfo. */
interface SignerInfoFacts {
  readonly sequence: bigint;
  /** The sign mode of a single signer's ModeInfo; undefined for anything else. */
  readonly singleMode: cosmosSigning.SignMode | undefined;
}

/**
 * A tx after decoding and the stateless checks: a pure function of its bytes, so it is cached.
 * It keeps only what ante and the messages read (the decoded envelope is dropped at once: the
 * cache holds thousands of these between CheckTx and FinalizeBlock, and every object kept is
 * work for the garbage collector).
 */
interface Prepared {
  /** Size of the TxRaw (ante charges gas per byte). */
  readonly txSize: number;
  /** Views of the cache's own copy of the TxRaw. */
  readonly bodyBytes: Uint8Array;
  readonly authInfoBytes: Uint8Array;
  readonly signatures: readonly Uint8Array[];
  readonly timeoutHeight: bigint;
  /** UTF-8 length of the memo. */
  readonly memoBytes: number;
  readonly signerInfos: readonly SignerInfoFacts[];
  readonly msgs: readonly {
    readonly handler: MsgHandler;
    readonly msg: unknown;
    readonly module: string;
    /** bech32 of the message's first signer (the message event's sender). */
    readonly sender: string | undefined;
  }[];
  readonly signers: readonly Uint8Array[];
  readonly signerKeys: readonly SignerKey[];
  readonly fee: readonly Coin[];
  readonly gasLimit: bigint;
}

function signerKeyOf(info: cosmosTx.SignerInfo, signer: Uint8Array): SignerKey {
  if (info.publicKey === undefined) return { kind: "none" };
  if (info.publicKey.typeUrl !== "/cosmos.crypto.secp256k1.PubKey")
    return { kind: "badType", typeUrl: info.publicKey.typeUrl };
  let key: Uint8Array;
  try {
    key = fromBinary(cosmosSecp256k1.PubKeySchema, info.publicKey.value).key;
  } catch {
    return { kind: "malformed" };
  }
  if (key.length !== 33 || !equalBytes(secp256k1AddressSafe(key), signer))
    return { kind: "mismatch" };
  return { kind: "ok", key };
}

function failure(
  e: unknown,
  gasWanted: bigint,
  gasUsed: bigint,
  events: readonly Event[],
): TxOutcome {
  if (!(e instanceof AppError)) throw e;
  return {
    code: e.code,
    codespace: e.codespace,
    log: e.message,
    data: new Uint8Array(),
    gasWanted,
    gasUsed: gasUsed > gasWanted && gasWanted > 0n ? gasWanted : gasUsed,
    events,
    priority: 0n,
    msgResponses: [],
  };
}

/**
 * The stores one tx runs on: the env's own branches, used in place. Each is checkpointed when the
 * tx first touches it, so `revert()` undoes the tx's changes so far; `checkpoint()` (after ante)
 * moves the mark so a message failure undoes only the messages' changes; `keep()` ends the marks.
 * No branch of its own: a tx's writes land in the block's (or CheckTx's) branch once, not twice.
 */
function txScope(stores: (name: string) => BranchStore): {
  store: (name: string) => BranchStore;
  checkpoint: () => void;
  revert: () => void;
  keep: () => void;
} {
  const used = new Map<string, BranchStore>();
  return {
    store(name) {
      let b = used.get(name);
      if (b === undefined) {
        b = stores(name);
        b.checkpoint();
        used.set(name, b);
      }
      return b;
    },
    checkpoint() {
      for (const b of used.values()) b.checkpoint();
    },
    revert() {
      for (const b of used.values()) b.revert();
    },
    keep() {
      for (const b of used.values()) b.keep();
    },
  };
}

function makeCtx(
  env: TxEnv,
  meter: MutableGasMeter,
  stores: (name: string) => KVStore,
  events: Event[],
): TxContext {
  const metered = new Map<string, KVStore>();
  return {
    chainId: env.chainId,
    height: env.height,
    time: env.time,
    mode: env.mode,
    gasMeter: meter,
    store(name) {
      let s = metered.get(name);
      if (s === undefined) {
        s = createGasKVStore(stores(name), meter);
        metered.set(name, s);
      }
      return s;
    },
    emit(event) {
      events.push(event);
    },
  };
}

export function createTxRunner(opts: TxRunnerOptions, deps: TxRunnerDeps): TxRunner {
  let chainIdText = "";
  let chainIdUtf8: Uint8Array = new Uint8Array();
  const chainIdBytes = (chainId: string): Uint8Array => {
    if (chainId !== chainIdText) {
      chainIdText = chainId;
      chainIdUtf8 = utf8Bytes(chainId);
    }
    return chainIdUtf8;
  };

  const handlers = new Map<string, { handler: MsgHandler; module: string }>();
  for (const m of deps.modules) {
    for (const h of m.msgs) {
      if (handlers.has(h.typeUrl)) throw new Error(`two handlers for ${h.typeUrl}`);
      handlers.set(h.typeUrl, { handler: h, module: m.name });
    }
  }

  // Decoded txs by their bytes: CheckTx decodes, FinalizeBlock finds it. Two generations of
  // this many (the bound counts each).
  const decoded = createBytesCache<Prepared>(2 * (opts.decodedCacheSize ?? 10_000));

  /** Stateless checks (Cosmos validateBasicTxMsgs + tx ValidateBasic), cached by tx bytes. */
  function prepare(txBytes: Uint8Array, mode: ExecMode): Prepared {
    if (txBytes.length > opts.maxTxBytes) {
      throw sdkError(
        SDK_CODE.txTooLarge,
        `tx of ${txBytes.length} bytes is larger than the maximum ${opts.maxTxBytes}`,
      );
    }
    let p = decoded.get(txBytes);
    if (p === undefined) {
      // Decoded from a copy the cache owns: the decoded fields are views of bytes no caller holds.
      const own = copyBytes(txBytes);
      p = decodeChecked(own);
      decoded.set(own, p);
    }
    if (p.gasLimit === 0n && mode !== "simulate")
      throw sdkError(SDK_CODE.invalidGasLimit, "gas limit must be positive");
    return p;
  }

  function decodeChecked(txBytes: Uint8Array): Prepared {
    const tx = decodeTx(txBytes);
    const { body, authInfo } = tx;
    if (body.messages.length === 0)
      throw sdkError(SDK_CODE.invalidRequest, "must contain at least one message");
    if (body.extensionOptions.length > 0) {
      throw sdkError(SDK_CODE.unknownExtensionOptions, "unknown extension options: not supported");
    }
    if (body.unordered || body.timeoutTimestamp !== undefined) {
      throw sdkError(
        SDK_CODE.invalidRequest,
        "unordered txs and timeout timestamps are not supported",
      );
    }
    if (authInfo.tip !== undefined)
      throw sdkError(SDK_CODE.invalidRequest, "tips are not supported");
    const msgs = body.messages.map((any, i) => {
      const entry = handlers.get(any.typeUrl);
      if (entry === undefined)
        throw sdkError(
          SDK_CODE.unknownRequest,
          `unknown message type ${any.typeUrl} (message ${i})`,
        );
      let msg: unknown;
      try {
        msg = fromBinary(entry.handler.schema, any.value);
      } catch (e) {
        throw sdkError(
          SDK_CODE.txDecode,
          `message ${i} (${any.typeUrl}): ${(e as Error).message}: tx parse error`,
        );
      }
      entry.handler.validateBasic(msg as never);
      const first = entry.handler.signers(msg as never)[0];
      const sender = first === undefined ? undefined : addressToBech32(first);
      return { handler: entry.handler, msg, module: entry.module, sender };
    });
    const signers: Uint8Array[] = [];
    for (const m of msgs) {
      for (const s of m.handler.signers(m.msg as never)) {
        if (!signers.some((x) => equalBytes(x, s))) signers.push(s);
      }
    }
    const fee = authInfo.fee;
    if (fee === undefined) throw sdkError(SDK_CODE.invalidRequest, "missing fee");
    const feeCoins = coinsFromProto(fee.amount);
    if (fee.granter !== "") throw sdkError(SDK_CODE.invalidRequest, "fee grants are not supported");
    if (fee.payer !== "" && fee.payer !== addressToBech32(signers[0] as Uint8Array)) {
      throw sdkError(SDK_CODE.invalidRequest, "fee payer must be the first signer");
    }
    if (authInfo.signerInfos.length !== signers.length) {
      throw sdkError(
        SDK_CODE.unauthorized,
        `wrong number of signers; expected ${signers.length}, got ${authInfo.signerInfos.length}`,
      );
    }
    if (tx.signatures.length !== signers.length) {
      throw sdkError(
        SDK_CODE.unauthorized,
        `wrong number of signatures; expected ${signers.length}, got ${tx.signatures.length}`,
      );
    }
    const signerKeys = signers.map((s, i) =>
      signerKeyOf(authInfo.signerInfos[i] as cosmosTx.SignerInfo, s),
    );
    return {
      txSize: tx.bytes.length,
      bodyBytes: tx.bodyBytes,
      authInfoBytes: tx.authInfoBytes,
      signatures: tx.signatures,
      timeoutHeight: body.timeoutHeight,
      memoBytes: body.memo === "" ? 0 : utf8Encode(body.memo).length,
      signerInfos: authInfo.signerInfos.map((info) => ({
        sequence: info.sequence,
        singleMode: info.modeInfo?.sum.case === "single" ? info.modeInfo.sum.value.mode : undefined,
      })),
      msgs,
      signers,
      signerKeys,
      fee: feeCoins,
      gasLimit: fee.gasLimit,
    };
  }

  /** `scratchCtx`: a context on the same gas meter over a branch of the ante state that is dropped. */
  function ante(
    ctx: TxContext,
    env: TxEnv,
    p: Prepared,
    events: Event[],
    scratchCtx: () => TxContext,
  ): bigint {
    const params = deps.accounts.params(ctx);
    if (p.timeoutHeight > 0n && env.height > p.timeoutHeight) {
      throw sdkError(
        SDK_CODE.txTimeoutHeight,
        `block height: ${env.height}, timeout height: ${p.timeoutHeight}: tx timeout height`,
      );
    }
    const memoBytes = p.memoBytes;
    if (BigInt(memoBytes) > params.maxMemoCharacters) {
      throw sdkError(
        SDK_CODE.memoTooLarge,
        `maximum number of characters is ${params.maxMemoCharacters} but received ${memoBytes} characters: memo too large`,
      );
    }
    if (BigInt(p.signers.length) > params.txSigLimit) {
      throw sdkError(
        SDK_CODE.tooManySignatures,
        `signatures: ${p.signers.length}, limit: ${params.txSigLimit}: too many signatures`,
      );
    }
    ctx.gasMeter.consume(params.txSizeCostPerByte * BigInt(p.txSize), "txSize");
    // Fee floor: node-local, CheckTx only (Cosmos checkTxFeeWithValidatorMinGasPrices).
    if ((env.mode === "check" || env.mode === "recheck") && opts.minGasPrices.length > 0) {
      const required = opts.minGasPrices.map((gp) => ({
        denom: gp.denom,
        amount: requiredFee(gp, p.gasLimit),
      }));
      const enough = required.some((r) => amountOf(p.fee, r.denom) >= r.amount);
      if (!enough) {
        throw sdkError(
          SDK_CODE.insufficientFee,
          `insufficient fees; got: ${coinsToString(p.fee) || "0"} required: ${coinsToString(required)}: insufficient fee`,
        );
      }
    }
    const updated = p.signers.map((signer, i) => {
      const info = p.signerInfos[i] as SignerInfoFacts;
      const acc = deps.accounts.get(ctx, signer);
      if (acc === undefined) {
        throw sdkError(
          SDK_CODE.unknownAddress,
          `account ${addressToBech32(signer)} does not exist: unknown address`,
        );
      }
      let pubKey = acc.pubKey;
      const sk = p.signerKeys[i] as SignerKey;
      if (sk.kind !== "none") {
        if (sk.kind === "badType") {
          throw sdkError(SDK_CODE.invalidPubKey, `unsupported public key type ${sk.typeUrl}`);
        }
        if (sk.kind === "malformed") {
          throw sdkError(SDK_CODE.invalidPubKey, `signer ${i}: malformed secp256k1 public key`);
        }
        if (sk.kind === "mismatch") {
          throw sdkError(
            SDK_CODE.invalidPubKey,
            `pubKey does not match signer address ${addressToBech32(signer)} with signer index: ${i}: invalid pubkey`,
          );
        }
        const key = sk.key;
        if (pubKey !== undefined && !equalBytes(pubKey, key)) {
          throw sdkError(
            SDK_CODE.invalidPubKey,
            `signer ${i}: public key differs from the account's`,
          );
        }
        pubKey = key;
      }
      if (pubKey === undefined && env.mode !== "simulate") {
        throw sdkError(
          SDK_CODE.invalidPubKey,
          `pubkey on account ${addressToBech32(signer)} is not set`,
        );
      }
      // Simulate verifies no signature, so the sign mode is not consulted there (Cosmos
      // SigVerificationDecorator); CosmJS simulates with SIGN_MODE_UNSPECIFIED and no signature.
      if (env.mode !== "simulate" && info.singleMode !== cosmosSigning.SignMode.DIRECT) {
        throw sdkError(
          SDK_CODE.unauthorized,
          `signer ${i}: only SIGN_MODE_DIRECT single signatures are supported`,
        );
      }
      if (info.sequence !== acc.sequence) {
        throw sdkError(
          SDK_CODE.wrongSequence,
          `account sequence mismatch, expected ${acc.sequence}, got ${info.sequence}: incorrect account sequence`,
        );
      }
      ctx.gasMeter.consume(params.sigVerifyCostSecp256k1, "ante verify: secp256k1");
      const signature = p.signatures[i] as Uint8Array;
      if (env.mode !== "simulate" && env.mode !== "recheck") {
        // SignDoc from the TxRaw's raw body and auth-info bytes (Cosmos SIGN_MODE_DIRECT),
        // only read below (the cache copies what it keeps).
        const signBytes = signDocBytesTransient(
          p.bodyBytes,
          p.authInfoBytes,
          chainIdBytes(env.chainId),
          acc.accountNumber,
        );
        const key = pubKey as Uint8Array;
        // A hit is this exact (key, message, signature) verified before: by an earlier CheckTx,
        // or by the node's verifier ahead of this one (QosApp.preCheckTx).
        const cached = deps.sigCache.has(signBytes, key, signature);
        if (!cached) {
          if (!secp256k1Verify(key, signBytes, signature)) {
            throw sdkError(
              SDK_CODE.unauthorized,
              `signature verification failed; please verify account number (${acc.accountNumber}), sequence (${acc.sequence}) and chain-id (${env.chainId}): unauthorized`,
            );
          }
          if (env.mode === "check") deps.sigCache.add(signBytes, key, signature);
        }
      }
      return { ...acc, pubKey, sequence: acc.sequence + 1n, signature };
    });
    // Fee payment (DeductFeeDecorator): first signer → fee_collector; kept even if the messages fail.
    const payer = p.signers[0] as Uint8Array;
    if (p.fee.length > 0) {
      try {
        deps.bank.send(ctx, payer, FEE_COLLECTOR_ADDRESS, p.fee);
      } catch (e) {
        if (
          e instanceof AppError &&
          e.codespace === SDK_CODESPACE &&
          e.code === SDK_CODE.insufficientFunds
        ) {
          throw sdkError(
            SDK_CODE.insufficientFunds,
            `insufficient funds to pay for fees; ${e.message}`,
          );
        }
        throw e;
      }
    } else if (env.mode === "simulate") {
      // A gas estimate must cover the fee payment the signed tx will make, but clients (CosmJS)
      // simulate with an empty fee: meter the same reads and writes with a one-unit stand-in
      // on a branch that is dropped, so the simulated messages see the state unchanged.
      try {
        deps.bank.send(scratchCtx(), payer, FEE_COLLECTOR_ADDRESS, [
          { denom: BASE_DENOM, amount: 1n },
        ]);
      } catch (e) {
        // The payer cannot pay: the signed tx will fail its fee; nothing more to meter.
        if (!(e instanceof AppError)) throw e;
      }
    }
    events.push(
      makeEvent("tx", [
        ["fee", coinsToString(p.fee)],
        ["fee_payer", addressToBech32(payer)],
      ]),
    );
    for (const u of updated) {
      const { signature, ...account } = u;
      deps.accounts.set(ctx, account);
      events.push(
        makeEvent("tx", [["acc_seq", `${addressToBech32(u.address)}/${u.sequence - 1n}`]]),
      );
      events.push(makeEvent("tx", [["signature", toBase64(signature)]]));
    }
    const gas = p.gasLimit === 0n ? 1n : p.gasLimit;
    return (amountOf(p.fee, BASE_DENOM) * 1_000_000n) / gas;
  }

  function signatureChecks(env: TxEnv, txBytes: Uint8Array): SignatureCheck[] {
    let p: Prepared;
    try {
      p = prepare(txBytes, "check");
    } catch {
      return [];
    }
    const ctx = makeCtx(env, createGasMeter(INFINITE_GAS), env.stores, []);
    const checks: SignatureCheck[] = [];
    p.signers.forEach((signer, i) => {
      const acc = deps.accounts.get(ctx, signer);
      const sk = p.signerKeys[i] as SignerKey;
      const pubKey = sk.kind === "ok" ? sk.key : acc?.pubKey;
      const signature = p.signatures[i];
      if (acc === undefined || pubKey === undefined || signature === undefined) return;
      const signBytes = signDocBytes(
        p.bodyBytes,
        p.authInfoBytes,
        chainIdBytes(env.chainId),
        acc.accountNumber,
      );
      checks.push({ pubKey, signBytes, signature });
    });
    return checks;
  }

  function run(env: TxEnv, txBytes: Uint8Array): TxOutcome {
    let p: Prepared;
    try {
      p = prepare(txBytes, env.mode);
    } catch (e) {
      return failure(e, 0n, 0n, []);
    }
    const gasWanted = p.gasLimit;
    const meter = createGasMeter(env.mode === "simulate" ? INFINITE_GAS : p.gasLimit);
    const scope = txScope(env.stores);
    const anteEvents: Event[] = [];
    let priority: bigint;
    try {
      priority = ante(makeCtx(env, meter, scope.store, anteEvents), env, p, anteEvents, () =>
        makeCtx(env, meter, createBranchSet(scope.store).store, []),
      );
    } catch (e) {
      scope.revert();
      return failure(e, gasWanted, meter.consumed, []);
    }
    // The ante's changes stay; a message failure reverts to here.
    scope.checkpoint();
    const msgEvents: Event[] = [];
    const ctx = makeCtx(env, meter, scope.store, msgEvents);
    const responses: Any[] = [];
    try {
      p.msgs.forEach((m, i) => {
        msgEvents.push(
          makeEvent("message", [
            ["action", m.handler.typeUrl],
            ["module", m.module],
            ...(m.sender !== undefined ? ([["sender", m.sender]] as const) : []),
            ["msg_index", String(i)],
          ]),
        );
        const response = m.handler.handle(ctx, m.msg as never);
        responses.push({
          $typeName: "google.protobuf.Any",
          typeUrl: `${m.handler.typeUrl}Response`,
          value: response,
        });
      });
    } catch (e) {
      scope.revert();
      const out = failure(e, gasWanted, meter.consumed, anteEvents);
      return { ...out, priority };
    }
    scope.keep();
    const data = txMsgDataBytes(responses);
    return {
      code: 0,
      codespace: "",
      log: "",
      data,
      gasWanted,
      gasUsed: meter.consumed,
      events: [...anteEvents, ...msgEvents],
      priority,
      msgResponses: responses,
    };
  }

  function decodes(txBytes: Uint8Array): boolean {
    if (decoded.get(txBytes) !== undefined) return true;
    try {
      decodeTx(txBytes);
      return true;
    } catch {
      return false;
    }
  }

  return { run, decodes, signatureChecks, handler: (typeUrl) => handlers.get(typeUrl)?.handler };
}

// Addresses of public keys seen in txs: a pure function of the key, so a cached answer is the
// computed one. Bounded.
const keyAddressMemo = createBytesCache<Uint8Array>(50_000);

function secp256k1AddressSafe(key: Uint8Array): Uint8Array {
  const hit = keyAddressMemo.get(key);
  if (hit !== undefined) return hit;
  let address: Uint8Array;
  try {
    address = secp256k1Address(key);
  } catch {
    address = new Uint8Array();
  }
  keyAddressMemo.set(copyBytes(key), address);
  return address;
}
