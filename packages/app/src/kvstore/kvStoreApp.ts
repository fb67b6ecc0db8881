// The key-value test application behind the ABCI-shaped interface (CometBFT's kvstore
// semantics): `key=value` and validator-change txs, state in LMDB committed once per block.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeProtoSizeForTxs, concatBytes, QosError, toBase64, utf8Encode } from "@qos/types";
import { open, type RootDatabase } from "lmdb";
import type {
  Application,
  CheckTxRequest,
  CheckTxResponse,
  CommitResponse,
  Event,
  ExecTxResult,
  FinalizeBlockRequest,
  FinalizeBlockResponse,
  InfoResponse,
  InitChainRequest,
  InitChainResponse,
  PrepareProposalRequest,
  PrepareProposalResponse,
  ProcessProposalRequest,
  ProcessProposalStatus,
  PubKey,
  QueryRequest,
  QueryResponse,
  ValidatorUpdate,
} from "../abci.ts";
import { computeKvAppHash, KV_NS, type KvEntry, mergeKvEntries } from "./kvStateHash.ts";
import {
  KV_CODE,
  KV_MAX_KEY_BYTES,
  KV_MAX_TOTAL_VOTING_POWER,
  KV_VALIDATOR_TX_PREFIX,
  parseKvTx,
} from "./kvTx.ts";

/** The subset of a pino logger the app uses. */
export interface KvStoreLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type KvStoreOptions = (
  | { readonly dir: string; readonly memory?: false }
  | { readonly memory: true; readonly dir?: undefined }
) & { readonly logger?: KvStoreLogger };

export interface KvStoreApp extends Application {
  /** Where the LMDB environment lives (a temporary directory in memory mode). */
  readonly dir: string;
}

export type KvStoreErrorCode = "invalid_app_state";

/** ABCI semantic version the app speaks, as CometBFT's kvstore reports `version.ABCIVersion`. */
const ABCI_VERSION = "2.0.0";
const APP_VERSION = 1n;
const CREATOR = "Cosmoshi Netowoko";

const META_HEIGHT = concatBytes(Uint8Array.of(KV_NS.meta), utf8Encode("height"));
const META_APP_HASH = concatBytes(Uint8Array.of(KV_NS.meta), utf8Encode("appHash"));
const META_SIZE = concatBytes(Uint8Array.of(KV_NS.meta), utf8Encode("size"));
const HASHED_START = Uint8Array.of(KV_NS.kv);
const HASHED_END = Uint8Array.of(KV_NS.validator + 1);
const KEY_TYPE_BYTE = { ed25519: 1, secp256k1: 2 } as const;

const NO_LOGGER: KvStoreLogger = { debug() {}, info() {}, warn() {}, error() {} };

interface Validator {
  readonly pubKey: PubKey;
  readonly power: bigint;
}

interface Committed {
  height: bigint;
  appHash: Uint8Array;
  size: bigint;
  /** Validators by their pubkey bytes (latin1 string of the raw key). */
  validators: Map<string, Validator>;
}

interface Pending {
  readonly height: bigint;
  readonly appHash: Uint8Array;
  readonly size: bigint;
  readonly validators: Map<string, Validator>;
  /** Full LMDB key (latin1) → new value, or null to delete. */
  readonly writes: Map<string, { readonly key: Uint8Array; readonly value: Uint8Array | null }>;
}

function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

function readU64(b: Uint8Array | undefined): bigint {
  if (b === undefined || b.length !== 8) return 0n;
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
}

function bin(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** A plain Uint8Array copy (LMDB hands out Buffers; `slice` would keep the Buffer species). */
function copy(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

function kvKey(key: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(KV_NS.kv), key);
}

function validatorKey(pubKey: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(KV_NS.validator), pubKey);
}

function encodeValidator(v: Validator): Uint8Array {
  return concatBytes(Uint8Array.of(KEY_TYPE_BYTE[v.pubKey.type]), u64(v.power));
}

function decodeValidator(pubKey: Uint8Array, value: Uint8Array): Validator {
  const type = value[0] === KEY_TYPE_BYTE.secp256k1 ? "secp256k1" : "ed25519";
  return { pubKey: { type, key: copy(pubKey) }, power: readU64(value.subarray(1)) };
}

function totalPower(validators: Map<string, Validator>): bigint {
  let sum = 0n;
  for (const v of validators.values()) sum += v.power;
  return sum;
}

/** Why the set refuses this change (removing an unknown or the last validator, too much power), or null. */
function validatorChangeRefusal(
  validators: Map<string, Validator>,
  pubKey: Uint8Array,
  power: bigint,
): string | null {
  const existing = validators.get(bin(pubKey));
  if (power === 0n) {
    if (existing === undefined) return `cannot remove non-existent validator ${toBase64(pubKey)}`;
    if (validators.size === 1) return `cannot remove the last validator ${toBase64(pubKey)}`;
  }
  const newTotal = totalPower(validators) - (existing?.power ?? 0n) + power;
  if (newTotal > KV_MAX_TOTAL_VOTING_POWER) {
    return `total voting power would be ${newTotal}, above the maximum ${KV_MAX_TOTAL_VOTING_POWER}`;
  }
  return null;
}

function checkTxResponse(code: number, log: string): CheckTxResponse {
  return {
    code,
    data: new Uint8Array(),
    log,
    info: "",
    gasWanted: code === KV_CODE.ok ? 1n : 0n,
    gasUsed: 0n,
    events: [],
    codespace: "",
  };
}

function execResult(code: number, log: string, events: readonly Event[]): ExecTxResult {
  return {
    code,
    data: new Uint8Array(),
    log,
    info: "",
    gasWanted: code === KV_CODE.ok ? 1n : 0n,
    gasUsed: code === KV_CODE.ok ? 1n : 0n,
    events,
    codespace: "",
  };
}

/** The `app` event CometBFT's kvstore emits per tx (indexed and non-indexed attributes). */
function appEvent(key: string): Event {
  return {
    type: "app",
    attributes: [
      { key: "creator", value: CREATOR, index: true },
      { key: "key", value: key, index: true },
      { key: "index_key", value: "index is working", index: true },
      { key: "noindex_key", value: "index is working", index: false },
    ],
  };
}

// Decodes without stripping a leading BOM, so event keys show the tx's exact text.
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

function queryResponse(
  fields: Partial<QueryResponse> & Pick<QueryResponse, "code" | "log" | "height">,
): QueryResponse {
  return {
    info: "",
    index: 0n,
    key: new Uint8Array(),
    value: new Uint8Array(),
    proofOps: null,
    codespace: "",
    ...fields,
  };
}

function invalidAppState(message: string): QosError<KvStoreErrorCode> {
  return new QosError("invalid_app_state", `kvstore genesis app_state: ${message}`);
}

/** Parses genesis `app_state`: `{}` or `{"kv": {"key": "value", …}}` (empty bytes = `{}`). */
function parseAppState(bytes: Uint8Array): [Uint8Array, Uint8Array][] {
  if (bytes.length === 0) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw invalidAppState(`not valid JSON (${(e as Error).message})`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw invalidAppState("must be a JSON object");
  }
  const record = doc as Record<string, unknown>;
  for (const field of Object.keys(record)) {
    if (field !== "kv") throw invalidAppState(`unknown field "${field}" (only "kv" is read)`);
  }
  const kv = record.kv;
  if (kv === undefined) return [];
  if (kv === null || typeof kv !== "object" || Array.isArray(kv)) {
    throw invalidAppState(`"kv" must be an object of string values`);
  }
  const out: [Uint8Array, Uint8Array][] = [];
  for (const [k, v] of Object.entries(kv as Record<string, unknown>)) {
    if (typeof v !== "string") throw invalidAppState(`kv["${k}"] must be a string`);
    const key = utf8Encode(k);
    if (key.length === 0 || v.length === 0) {
      throw invalidAppState("kv keys and values must be non-empty");
    }
    if (key.length > KV_MAX_KEY_BYTES) {
      throw invalidAppState(`kv key of ${key.length} bytes is longer than ${KV_MAX_KEY_BYTES}`);
    }
    out.push([key, utf8Encode(v)]);
  }
  return out;
}

/**
 * Opens (or creates) the kvstore under `dir`, or in a temporary directory removed on
 * `close()` when `memory` is set. State survives restarts: `info()` reports the last
 * committed height and app hash.
 */
export function createKvStoreApp(opts: KvStoreOptions): KvStoreApp {
  const logger = opts.logger ?? NO_LOGGER;
  const memory = opts.memory === true;
  const dir = memory ? mkdtempSync(join(tmpdir(), "qos-kvstore-")) : (opts.dir as string);
  mkdirSync(dir, { recursive: true });
  const db: RootDatabase<Uint8Array, Uint8Array> = open({
    path: join(dir, "kvstore"),
    keyEncoding: "binary",
    encoding: "binary",
    compression: false,
    // Each commit is flushed before transactionSync returns: a committed block is durable.
    overlappingSync: false,
  });

  const getBytes = (key: Uint8Array): Uint8Array | undefined => {
    const v = db.get(key);
    return v === undefined ? undefined : copy(v);
  };

  /** The committed hashed entries in key order; each is valid until the next is read. */
  function committedEntries(): Iterable<KvEntry> {
    return db.getRange({ start: HASHED_START, end: HASHED_END }) as Iterable<KvEntry>;
  }

  function loadCommitted(): Committed {
    const validators = new Map<string, Validator>();
    const start = Uint8Array.of(KV_NS.validator);
    for (const { key, value } of db.getRange({ start, end: HASHED_END })) {
      const pubKey = (key as Uint8Array).subarray(1);
      validators.set(bin(pubKey), decodeValidator(pubKey, value));
    }
    return {
      height: readU64(getBytes(META_HEIGHT)),
      appHash: getBytes(META_APP_HASH) ?? new Uint8Array(),
      size: readU64(getBytes(META_SIZE)),
      validators,
    };
  }

  let committed = loadCommitted();
  let pending: Pending | null = null;
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new Error("kvstore: the application is closed");
  };

  function stateHash(writes: Pending["writes"]): Uint8Array {
    const overlay = [...writes.values()].sort((a, b) => Buffer.compare(a.key, b.key));
    return computeKvAppHash(mergeKvEntries(committedEntries(), overlay));
  }

  const app: KvStoreApp = {
    dir,

    async info(): Promise<InfoResponse> {
      assertOpen();
      return {
        data: JSON.stringify({ size: Number(committed.size) }),
        version: ABCI_VERSION,
        appVersion: APP_VERSION,
        lastBlockHeight: committed.height,
        lastBlockAppHash: committed.appHash,
      };
    },

    async initChain(req: InitChainRequest): Promise<InitChainResponse> {
      assertOpen();
      if (committed.height > 0n) {
        throw new Error(`kvstore: initChain at committed height ${committed.height}; want 0`);
      }
      const pairs = parseAppState(req.appStateBytes);
      const entries = new Map<string, KvEntry>();
      for (const [k, v] of pairs) {
        const key = kvKey(k);
        entries.set(bin(key), { key, value: v });
      }
      const validators = new Map<string, Validator>();
      for (const u of req.validators) {
        if (u.power <= 0n) continue;
        const v: Validator = {
          pubKey: { type: u.pubKey.type, key: copy(u.pubKey.key) },
          power: u.power,
        };
        validators.set(bin(u.pubKey.key), v);
        const key = validatorKey(u.pubKey.key);
        entries.set(bin(key), { key, value: encodeValidator(v) });
      }
      const sorted = [...entries.values()].sort((a, b) => Buffer.compare(a.key, b.key));
      const appHash = computeKvAppHash(sorted);
      // Replaces whatever an earlier, uncommitted initChain left: at height 0 the
      // node calls initChain again after a restart, and it must give the same state.
      const stale = [...db.getKeys({})].map((k) => copy(k as Uint8Array));
      db.transactionSync(() => {
        for (const key of stale) db.removeSync(key);
        for (const e of sorted) db.putSync(e.key, e.value);
        db.putSync(META_HEIGHT, u64(0n));
        db.putSync(META_APP_HASH, appHash);
        db.putSync(META_SIZE, u64(0n));
      });
      committed = { height: 0n, appHash, size: 0n, validators };
      pending = null;
      logger.info(
        { chainId: req.chainId, keys: pairs.length, validators: validators.size },
        "kvstore initialised from genesis",
      );
      return { validators: [], appHash };
    },

    async checkTx(req: CheckTxRequest): Promise<CheckTxResponse> {
      assertOpen();
      const parsed = parseKvTx(req.tx);
      if (!parsed.ok) return checkTxResponse(parsed.code, parsed.log);
      // Validator changes are also checked against the committed set, so a recheck
      // evicts e.g. a removal whose validator a block has removed meanwhile.
      if (parsed.tx.kind === "validator") {
        const refusal = validatorChangeRefusal(
          committed.validators,
          parsed.tx.pubKey,
          parsed.tx.power,
        );
        if (refusal !== null) return checkTxResponse(KV_CODE.unauthorized, refusal);
      }
      return checkTxResponse(KV_CODE.ok, "");
    },

    async prepareProposal(req: PrepareProposalRequest): Promise<PrepareProposalResponse> {
      assertOpen();
      const txs: Uint8Array[] = [];
      let bytes = 0n;
      for (const tx of req.txs) {
        if (!parseKvTx(tx).ok) continue;
        const size = BigInt(computeProtoSizeForTxs([tx]));
        if (bytes + size > req.maxTxBytes) break;
        bytes += size;
        txs.push(tx);
      }
      return { txs };
    },

    async processProposal(req: ProcessProposalRequest): Promise<ProcessProposalStatus> {
      assertOpen();
      for (const tx of req.txs) {
        const parsed = parseKvTx(tx);
        if (!parsed.ok) {
          logger.info({ height: req.height, log: parsed.log }, "kvstore rejects proposal");
          return "reject";
        }
      }
      return "accept";
    },

    async finalizeBlock(req: FinalizeBlockRequest): Promise<FinalizeBlockResponse> {
      assertOpen();
      if (committed.height > 0n && req.height !== committed.height + 1n) {
        throw new Error(
          `kvstore: finalizeBlock at height ${req.height}, but the last committed height is ${committed.height}`,
        );
      }
      const writes: Pending["writes"] = new Map();
      const validators = new Map(committed.validators);
      const touched: string[] = [];
      let size = committed.size;
      const txResults: ExecTxResult[] = [];

      for (const raw of req.txs) {
        const parsed = parseKvTx(raw);
        if (!parsed.ok) {
          txResults.push(execResult(parsed.code, parsed.log, []));
          continue;
        }
        const tx = parsed.tx;
        if (tx.kind === "set") {
          const key = kvKey(tx.key);
          writes.set(bin(key), { key, value: tx.value });
          size++;
          txResults.push(execResult(KV_CODE.ok, "", [appEvent(textDecoder.decode(tx.key))]));
          continue;
        }
        const id = bin(tx.pubKey);
        const b64 = toBase64(tx.pubKey);
        const refusal = validatorChangeRefusal(validators, tx.pubKey, tx.power);
        if (refusal !== null) {
          txResults.push(execResult(KV_CODE.unauthorized, refusal, []));
          continue;
        }
        const key = validatorKey(tx.pubKey);
        if (tx.power === 0n) {
          validators.delete(id);
          writes.set(bin(key), { key, value: null });
        } else {
          const v: Validator = { pubKey: { type: "ed25519", key: tx.pubKey }, power: tx.power };
          validators.set(id, v);
          writes.set(bin(key), { key, value: encodeValidator(v) });
        }
        if (!touched.includes(id)) touched.push(id);
        size++;
        txResults.push(
          execResult(KV_CODE.ok, "", [
            appEvent(`${KV_VALIDATOR_TX_PREFIX}${b64}`),
            {
              type: "validator",
              attributes: [
                { key: "pub_key", value: b64, index: true },
                { key: "power", value: tx.power.toString(), index: true },
              ],
            },
          ]),
        );
      }

      // One update per validator, its final power in this block, in first-touched order
      // (CometBFT rejects duplicate pubkeys and removals of unknown validators).
      const validatorUpdates: ValidatorUpdate[] = [];
      for (const id of touched) {
        const before = committed.validators.get(id);
        const after = validators.get(id);
        if (before?.power === after?.power) continue;
        const pubKey = after?.pubKey ?? before?.pubKey;
        if (pubKey === undefined) continue;
        validatorUpdates.push({ pubKey, power: after?.power ?? 0n });
      }

      const appHash = writes.size === 0 ? committed.appHash : stateHash(writes);
      pending = { height: req.height, appHash, size, validators, writes };
      return { events: [], txResults, validatorUpdates, appHash };
    },

    async commit(): Promise<CommitResponse> {
      assertOpen();
      const p = pending;
      if (p === null) throw new Error("kvstore: commit without a preceding finalizeBlock");
      db.transactionSync(() => {
        for (const { key, value } of p.writes.values()) {
          if (value === null) db.removeSync(key);
          else db.putSync(key, value);
        }
        db.putSync(META_HEIGHT, u64(p.height));
        db.putSync(META_APP_HASH, p.appHash);
        db.putSync(META_SIZE, u64(p.size));
      });
      committed = {
        height: p.height,
        appHash: p.appHash,
        size: p.size,
        validators: p.validators,
      };
      pending = null;
      return { retainHeight: 0n };
    },

    async query(req: QueryRequest): Promise<QueryResponse> {
      assertOpen();
      const height = committed.height;
      if (req.height !== 0n && req.height !== height) {
        return queryResponse({
          code: KV_CODE.unknown,
          log: `the kvstore keeps only its latest state: height ${req.height} is not available (latest is ${height})`,
          height,
        });
      }
      // No proofs: `prove` is accepted and proofOps stays null (the authenticated
      // store comes later).
      if (req.path === "" || req.path === "/store") {
        const value = getBytes(kvKey(req.data));
        return queryResponse({
          code: KV_CODE.ok,
          log: value === undefined ? "does not exist" : "exists",
          key: req.data,
          value: value ?? new Uint8Array(),
          height,
        });
      }
      if (req.path === "/val") {
        if (req.data.length === 0) {
          const list = [...committed.validators.values()]
            .sort((a, b) => Buffer.compare(a.pubKey.key, b.pubKey.key))
            .map((v) => ({
              pub_key_type: v.pubKey.type,
              pub_key: toBase64(v.pubKey.key),
              power: v.power.toString(),
            }));
          return queryResponse({
            code: KV_CODE.ok,
            log: "exists",
            value: utf8Encode(JSON.stringify(list)),
            height,
          });
        }
        const v = committed.validators.get(bin(req.data));
        return queryResponse({
          code: KV_CODE.ok,
          log: v === undefined ? "does not exist" : "exists",
          key: req.data,
          value: v === undefined ? new Uint8Array() : utf8Encode(v.power.toString()),
          height,
        });
      }
      return queryResponse({
        code: KV_CODE.unknown,
        log: `unknown query path ${JSON.stringify(req.path)}: use "/store" (or "") or "/val"`,
        height,
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      pending = null;
      await db.close();
      if (memory) rmSync(dir, { recursive: true, force: true });
    },
  };
  return app;
}
