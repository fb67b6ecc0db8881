// The QOS application behind the ABCI-shaped interface: modules auth, bank and qsc over the
// node's multi-store; CheckTx on a check state reset at each commit, FinalizeBlock on per-tx
// branches of the working state, gRPC-style and /store queries with proofs, Simulate.

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { KVReader, KVStore, WriteBatch } from "@qos/store";
import {
  computeProtoSizeForTxs,
  cosmosAbci,
  cosmosTxService,
  QosError,
  utf8Decode,
} from "@qos/types";
import type {
  Application,
  CheckTxRequest,
  CheckTxResponse,
  CommitResponse,
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
  QueryRequest,
  QueryResponse,
  Timestamp,
} from "./abci.ts";
import { createAccountKeeper } from "./modules/auth/accountKeeper.ts";
import { createAuthModule } from "./modules/auth/authModule.ts";
import { createBankKeeper } from "./modules/bank/bankKeeper.ts";
import { createBankModule } from "./modules/bank/bankModule.ts";
import { createQscModule } from "./modules/qsc/qscModule.ts";
import { type BranchStore, createBranchSet } from "./runtime/branchStore.ts";
import { createGasMeter, INFINITE_GAS } from "./runtime/gasMeter.ts";
import { parseGasPrices } from "./runtime/gasPrice.ts";
import {
  AppError,
  type AppModule,
  type QueryContext,
  type QueryHandler,
  type TxContext,
} from "./runtime/module.ts";
import { queryErrorOf } from "./runtime/provenQuery.ts";
import { createReadRecorder } from "./runtime/queryReads.ts";
import { SDK_CODE, SDK_CODESPACE } from "./runtime/sdkErrors.ts";
import { createSigCache, type SigCache } from "./runtime/sigCache.ts";
import {
  createTxRunner,
  FEE_COLLECTOR_ADDRESS,
  type SignatureCheck,
  type TxEnv,
  type TxOutcome,
  type TxRunner,
} from "./runtime/txRunner.ts";

/** The multi-store members the app uses (@qos/store `MultiStore` has this shape). */
export interface AppStateStore {
  readonly lastCommit: { readonly version: bigint; readonly appHash: Uint8Array };
  working(name: string): KVStore;
  workingCommitInfo(): { readonly appHash: Uint8Array };
  commit(batch: WriteBatch): { readonly version: bigint; readonly appHash: Uint8Array };
  discardWorking(): void;
  at(version?: bigint): {
    readonly version: bigint;
    readonly appHash: Uint8Array;
    store(name: string): KVReader;
    prove(
      name: string,
      key: Uint8Array,
    ): {
      readonly value: Uint8Array | undefined;
      readonly proofOps: readonly { type: string; key: Uint8Array; data: Uint8Array }[];
    };
    proveKeys(
      name: string,
      keys: readonly Uint8Array[],
    ): readonly { type: string; key: Uint8Array; data: Uint8Array }[];
  };
}

export interface QosAppOptions {
  /** The chain id (genesis.json); initChain must agree. SignDocs are checked against it. */
  readonly chainId: string;
  /** Node-local `minimum-gas-prices`, e.g. "0.025uqos" (CheckTx only). Default: none. */
  readonly minGasPrices?: string;
  /** Largest tx accepted, in bytes (sdk 21). Default 1 MiB. */
  readonly maxTxBytes?: number;
  /** Verified-signature cache entries. Default 20,000. */
  readonly sigCacheSize?: number;
  /** Run every module invariant after each block (throws, halting the node, when one breaks). Default false. */
  readonly checkInvariantsEveryBlock?: boolean;
}

/** Signature checks made elsewhere; a verdict of false means "not verified here". */
export interface SignatureVerifier {
  verify(checks: readonly SignatureCheck[]): Promise<readonly boolean[]>;
  /** False once it can only answer false (no worker): preCheckTx then skips the work. */
  available(): boolean;
}

export interface QosAppDeps {
  /** Opens the state store with the modules' store names (node: `openMultiStore({db, storeNames})`). */
  readonly openStore: (storeNames: readonly string[]) => AppStateStore;
  /**
   * Verifies secp256k1 signatures elsewhere (the node: a worker thread), one verdict per check.
   * With it, `preCheckTx` verifies a tx's signatures ahead of CheckTx and caches the successes.
   */
  readonly signatureVerifier?: SignatureVerifier;
}

export interface QosApp extends Application {
  persist(batch: WriteBatch): void;
  readonly modules: readonly AppModule[];
  readonly sigCache: SigCache;
  /** Runs every invariant on the last committed state (or the working state before the first commit). */
  checkInvariants(): readonly string[];
}

const ABCI_VERSION = "2.0.0";
const APP_VERSION = 1n;
const GENESIS_SECTIONS = ["auth", "bank", "qsc"];

function queryResponse(
  fields: Partial<QueryResponse> & Pick<QueryResponse, "height">,
): QueryResponse {
  return {
    code: 0,
    log: "",
    info: "",
    index: 0n,
    key: new Uint8Array(),
    value: new Uint8Array(),
    proofOps: null,
    codespace: "",
    ...fields,
  };
}

function errorQuery(e: unknown, height: bigint): QueryResponse {
  const err = queryErrorOf(e);
  if (err === undefined) throw e;
  return queryResponse({ ...err, height });
}

/** The ABCI result of one tx the runner ran (CheckTx adds its priority). */
function execTxResult(out: TxOutcome): ExecTxResult {
  return {
    code: out.code,
    data: out.data,
    log: out.log,
    info: "",
    gasWanted: out.gasWanted,
    gasUsed: out.gasUsed,
    events: out.events,
    codespace: out.codespace,
  };
}

function invalidGenesis(message: string): QosError<"invalid_genesis"> {
  return new QosError("invalid_genesis", `genesis app_state: ${message}`);
}

/** The app's modules over their keepers (stateless: the state is in the stores a context opens). */
function createQosModules() {
  const accounts = createAccountKeeper();
  const bank = createBankKeeper({ accounts });
  const modules: AppModule[] = [
    createAuthModule({ accounts }),
    createBankModule({ bank, accounts }),
    createQscModule({ bank }),
  ];
  return { accounts, bank, modules };
}

function queryHandlersOf(modules: readonly AppModule[]): ReadonlyMap<string, QueryHandler> {
  return new Map(modules.flatMap((m) => m.queries.map((q) => [q.path, q] as const)));
}

/**
 * The app's gRPC-style query handlers by path, as the node runs them: a client re-runs one over
 * a proven read set to check the node's answer (verifyQueryAnswer).
 */
export function qosQueryHandlers(): ReadonlyMap<string, QueryHandler> {
  return queryHandlersOf(createQosModules().modules);
}

export function createQosApp(opts: QosAppOptions, deps: QosAppDeps): QosApp {
  const { accounts, bank, modules } = createQosModules();
  const storeNames = modules.flatMap((m) => m.storeNames);
  const store = deps.openStore(storeNames);
  const sigCache = createSigCache(opts.sigCacheSize ?? 20_000);
  const runner: TxRunner = createTxRunner(
    {
      minGasPrices: parseGasPrices(opts.minGasPrices ?? ""),
      maxTxBytes: opts.maxTxBytes ?? 1 << 20,
    },
    { accounts, bank, modules, sigCache },
  );
  const queryPaths = queryHandlersOf(modules);

  let genesisPending = false;
  let finalized: { height: bigint; time: Timestamp } | null = null;
  let persisted = false;
  let lastTime: Timestamp = { seconds: 0n, nanos: 0 };
  let checkState = createBranchSet(committedReader);

  /** The committed state's stores, or the working (genesis) state before the first commit. */
  function committedReader(name: string): KVReader {
    return store.lastCommit.version === 0n ? store.working(name) : store.at().store(name);
  }

  function readContext(height: bigint, reader: (name: string) => KVReader): QueryContext {
    return { chainId: opts.chainId, height, store: reader };
  }

  function runInvariants(ctx: QueryContext): string[] {
    return modules.flatMap((m) =>
      m.invariants.flatMap((inv) => inv.check(ctx).map((s) => `${inv.name}: ${s}`)),
    );
  }

  function envFor(
    mode: TxEnv["mode"],
    height: bigint,
    time: Timestamp,
    stores: (name: string) => BranchStore,
  ): TxEnv {
    return { chainId: opts.chainId, height, time, mode, stores };
  }

  const app: QosApp = {
    modules,
    sigCache,

    async info(): Promise<InfoResponse> {
      return {
        data: "qos",
        version: ABCI_VERSION,
        appVersion: APP_VERSION,
        lastBlockHeight: store.lastCommit.version,
        lastBlockAppHash: store.lastCommit.appHash,
      };
    },

    async initChain(req: InitChainRequest): Promise<InitChainResponse> {
      if (store.lastCommit.version > 0n) {
        throw new Error(
          `qos app: initChain at committed height ${store.lastCommit.version}; want 0`,
        );
      }
      if (req.chainId !== opts.chainId) {
        throw invalidGenesis(`chain id ${req.chainId} differs from the node's ${opts.chainId}`);
      }
      let doc: unknown = {};
      if (req.appStateBytes.length > 0) {
        const text = utf8Decode(req.appStateBytes);
        if (text === null) throw invalidGenesis("not UTF-8");
        try {
          doc = JSON.parse(text);
        } catch (e) {
          throw invalidGenesis(`not valid JSON (${(e as Error).message})`);
        }
      }
      if (doc === null || typeof doc !== "object" || Array.isArray(doc))
        throw invalidGenesis("must be a JSON object");
      const sections = doc as Record<string, unknown>;
      for (const k of Object.keys(sections)) {
        if (!GENESIS_SECTIONS.includes(k)) {
          throw invalidGenesis(`unknown section "${k}" (known: ${GENESIS_SECTIONS.join(", ")})`);
        }
      }
      store.discardWorking();
      const ctx: TxContext = {
        chainId: opts.chainId,
        height: req.initialHeight,
        time: req.time,
        mode: "deliver",
        gasMeter: createGasMeter(INFINITE_GAS),
        store: (name) => store.working(name),
        emit: () => {},
      };
      try {
        for (const m of modules) m.initGenesis(ctx, sections[m.name]);
        accounts.ensure(ctx, FEE_COLLECTOR_ADDRESS);
      } catch (e) {
        store.discardWorking();
        if (e instanceof AppError) throw invalidGenesis(e.message);
        throw e;
      }
      const broken = runInvariants(readContext(0n, (n) => store.working(n)));
      if (broken.length > 0) {
        store.discardWorking();
        throw invalidGenesis(`invariants broken: ${broken.join("; ")}`);
      }
      genesisPending = true;
      lastTime = req.time;
      checkState = createBranchSet(committedReader);
      return { validators: [], appHash: store.workingCommitInfo().appHash };
    },

    async checkTx(req: CheckTxRequest): Promise<CheckTxResponse> {
      const out = runner.run(
        envFor(
          req.type === "recheck" ? "recheck" : "check",
          store.lastCommit.version + 1n,
          lastTime,
          checkState.store,
        ),
        req.tx,
      );
      return { ...execTxResult(out), priority: out.priority };
    },

    async preCheckTx(tx: Uint8Array): Promise<void> {
      const verifier = deps.signatureVerifier;
      if (verifier === undefined || !verifier.available()) return;
      const env = envFor("check", store.lastCommit.version + 1n, lastTime, checkState.store);
      const checks = runner.signatureChecks(env, tx);
      if (checks.length === 0) return;
      const verdicts = await verifier.verify(checks);
      checks.forEach((c, i) => {
        if (verdicts[i] === true) sigCache.add(c.signBytes, c.pubKey, c.signature);
      });
    },

    async prepareProposal(req: PrepareProposalRequest): Promise<PrepareProposalResponse> {
      const txs: Uint8Array[] = [];
      let bytes = 0n;
      for (const tx of req.txs) {
        if (!runner.decodes(tx)) continue;
        const size = BigInt(computeProtoSizeForTxs([tx]));
        if (bytes + size > req.maxTxBytes) break;
        bytes += size;
        txs.push(tx);
      }
      return { txs };
    },

    async processProposal(req: ProcessProposalRequest): Promise<ProcessProposalStatus> {
      for (const tx of req.txs) {
        if (!runner.decodes(tx)) return "reject";
      }
      return "accept";
    },

    async finalizeBlock(req: FinalizeBlockRequest): Promise<FinalizeBlockResponse> {
      const last = store.lastCommit.version;
      if (last > 0n && req.height !== last + 1n) {
        throw new Error(`qos app: finalizeBlock at height ${req.height}, last committed ${last}`);
      }
      // A re-run of an uncommitted block starts from the committed state (genesis stays).
      if (!genesisPending) store.discardWorking();
      // The block's changes go into the working trees at its end: each key once per block, in
      // key order, as Cosmos writes its cache-wrapped deliver state.
      const deliverState = createBranchSet((name) => store.working(name));
      const env = envFor("deliver", req.height, req.time, deliverState.store);
      const txResults = req.txs.map((tx) => execTxResult(runner.run(env, tx)));
      deliverState.write();
      if (opts.checkInvariantsEveryBlock === true) {
        const broken = runInvariants(readContext(req.height, (n) => store.working(n)));
        if (broken.length > 0)
          throw new Error(
            `qos app: invariants broken at height ${req.height}: ${broken.join("; ")}`,
          );
      }
      finalized = { height: req.height, time: req.time };
      persisted = false;
      return {
        events: [],
        txResults,
        validatorUpdates: [],
        appHash: store.workingCommitInfo().appHash,
      };
    },

    persist(batch: WriteBatch): void {
      if (finalized === null) throw new Error("qos app: persist without a preceding finalizeBlock");
      const info = store.commit(batch);
      if (info.version !== finalized.height) {
        throw new Error(
          `qos app: the store committed version ${info.version} for height ${finalized.height}`,
        );
      }
      persisted = true;
    },

    async commit(): Promise<CommitResponse> {
      if (finalized === null || !persisted) {
        throw new Error(
          "qos app: commit needs finalizeBlock then persist(batch) inside the node's writeBlock",
        );
      }
      lastTime = finalized.time;
      finalized = null;
      persisted = false;
      genesisPending = false;
      checkState = createBranchSet(committedReader);
      return { retainHeight: 0n };
    },

    async query(req: QueryRequest): Promise<QueryResponse> {
      if (store.lastCommit.version === 0n) {
        // Genesis is applied with block 1: there is no committed state to answer from yet.
        return queryResponse({
          code: SDK_CODE.invalidHeight,
          codespace: SDK_CODESPACE,
          log: "no block is committed yet: the state can be queried once block 1 is (wait a moment and retry)",
          height: 0n,
        });
      }
      let view: ReturnType<AppStateStore["at"]>;
      try {
        view = store.at(req.height === 0n ? undefined : req.height);
      } catch (e) {
        return errorQuery(e, req.height);
      }
      const height = view.version;
      try {
        if (req.path.startsWith("/store/") && req.path.endsWith("/key")) {
          const name = req.path.slice("/store/".length, -"/key".length);
          if (!storeNames.includes(name)) {
            throw new AppError(
              SDK_CODESPACE,
              6,
              `unknown store ${name} (stores: ${storeNames.join(", ")})`,
            );
          }
          if (req.prove) {
            const p = view.prove(name, req.data);
            return queryResponse({
              key: req.data,
              value: p.value ?? new Uint8Array(),
              proofOps: p.proofOps,
              height,
            });
          }
          return queryResponse({
            key: req.data,
            value: view.store(name).get(req.data) ?? new Uint8Array(),
            height,
          });
        }
        if (req.path === "/cosmos.tx.v1beta1.Service/Simulate" || req.path === "/app/simulate") {
          return queryResponse({ value: simulate(req.data, height, (n) => view.store(n)), height });
        }
        const handler = queryPaths.get(req.path);
        if (handler === undefined)
          throw new AppError(SDK_CODESPACE, 6, `unknown query path ${req.path}`);
        if (!req.prove) {
          const value = handler.handle(
            readContext(height, (n) => view.store(n)),
            req.data,
          );
          return queryResponse({ value, height });
        }
        // Proven: the proof covers every key and range the handler read, so a client re-runs
        // the handler over the proven facts alone (runtime/provenQuery.ts). Failures too.
        const recorder = createReadRecorder((n) => view.store(n));
        let answer: QueryResponse;
        try {
          const value = handler.handle(readContext(height, recorder.reader), req.data);
          answer = queryResponse({ value, height });
        } catch (e) {
          answer = errorQuery(e, height);
        }
        const proofOps = [...recorder.keysToProve()].flatMap(([name, keys]) =>
          view.proveKeys(name, keys),
        );
        return { ...answer, proofOps };
      } catch (e) {
        return errorQuery(e, height);
      }
    },

    checkInvariants() {
      const version = store.lastCommit.version;
      return runInvariants(
        readContext(version, version === 0n ? (n) => store.working(n) : (n) => store.at().store(n)),
      );
    },

    async close(): Promise<void> {},
  };

  function simulate(
    data: Uint8Array,
    height: bigint,
    reader: (name: string) => KVReader,
  ): Uint8Array {
    let req: cosmosTxService.SimulateRequest;
    try {
      req = fromBinary(cosmosTxService.SimulateRequestSchema, data);
    } catch (e) {
      throw new AppError(SDK_CODESPACE, 2, `invalid simulate request: ${(e as Error).message}`);
    }
    const scratch = createBranchSet(reader);
    const out = runner.run(envFor("simulate", height + 1n, lastTime, scratch.store), req.txBytes);
    if (out.code !== 0) throw new AppError(out.codespace, out.code, out.log);
    return toBinary(
      cosmosTxService.SimulateResponseSchema,
      create(cosmosTxService.SimulateResponseSchema, {
        gasInfo: create(cosmosAbci.GasInfoSchema, {
          gasWanted: out.gasWanted,
          gasUsed: out.gasUsed,
        }),
        result: create(cosmosAbci.ResultSchema, {
          data: out.data,
          log: out.log,
          events: out.events.map((ev) => ({
            type: ev.type,
            attributes: ev.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })),
          })),
          msgResponses: [...out.msgResponses],
        }),
      }),
    );
  }

  return app;
}
