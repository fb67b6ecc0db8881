// The start-up handshake (CometBFT consensus/replay.go Handshaker): reconcile the block
// store, the state store and the application's height. A new chain runs InitChain; an
// application behind the node gets the stored blocks replayed; any other mismatch stops
// the node with an error that says what is wrong and what to do.

import type { Application } from "@qos/app";
import { genesisValidatorSets, type ValidatorSet, validatorSetFromProto } from "@qos/consensus";
import type { BlockStore, NodeDb, StateStore } from "@qos/store";
import {
  BlockSchema,
  type Commit,
  CommitSchema,
  createCommit,
  decodeWireMessage,
  equalBytes,
  QosError,
  toHex,
  ValidatorSetSchema,
} from "@qos/types";
import {
  paramsToAbci,
  paramsUpdateToProto,
  timestampToAbci,
  validatorUpdateFromAbci,
  validatorUpdateToAbci,
} from "./abciConvert.ts";
import { type BlockExecutor, saveStateRecords } from "./blockExecutor.ts";
import {
  type ChainState,
  decodeChainState,
  genesisChainState,
  updateConsensusParams,
} from "./chainState.ts";
import { appStateBytes, type GenesisDoc } from "./genesis.ts";
import type { Logger } from "./logger.ts";
import { ABCI_VERSION, P2P_PROTOCOL } from "./version.ts";

export const HandshakeErrorCode = {
  Mismatch: "handshake/mismatch",
  Corrupt: "handshake/corrupt",
} as const;

export interface HandshakeDeps {
  readonly app: Application;
  readonly genesis: GenesisDoc;
  readonly db: NodeDb;
  readonly blockStore: BlockStore;
  readonly stateStore: StateStore;
  readonly executor: BlockExecutor;
  readonly logger: Logger;
}

export interface HandshakeResult {
  readonly state: ChainState;
  /** The commit for the last block (the next block's LastCommit); empty at genesis. */
  readonly lastCommit: Commit;
  /** How many stored blocks were replayed to the application. */
  readonly replayed: number;
}

function mismatch(message: string): QosError {
  return new QosError(HandshakeErrorCode.Mismatch, message);
}

function corrupt(message: string): QosError {
  return new QosError(HandshakeErrorCode.Corrupt, message);
}

async function initChainState(deps: HandshakeDeps): Promise<ChainState> {
  const { app, genesis } = deps;
  const validators = genesis.validators.map((v) => ({
    pubKey: {
      type: v.pubKey.sum.case as "ed25519" | "secp256k1",
      key: v.pubKey.sum.value as Uint8Array,
    },
    votingPower: v.power,
  }));
  const base = genesisChainState({
    chainId: genesis.chainId,
    initialHeight: genesis.initialHeight,
    genesisTime: genesis.genesisTime,
    consensusParams: genesis.consensusParams,
    validators,
    appHash: genesis.appHash,
  });
  if (!base.ok) throw base.error;
  const res = await app.initChain({
    time: timestampToAbci(genesis.genesisTime),
    chainId: genesis.chainId,
    consensusParams: paramsToAbci(genesis.consensusParams),
    validators: validators.map(validatorUpdateToAbci),
    appStateBytes: appStateBytes(genesis),
    initialHeight: genesis.initialHeight,
  });
  let state = base.value;
  if (res.validators.length > 0) {
    // The app chose the genesis validators (ResponseInitChain.Validators).
    const sets = genesisValidatorSets(res.validators.map(validatorUpdateFromAbci));
    if (!sets.ok)
      throw mismatch(`InitChain returned an invalid validator set: ${sets.error.message}`);
    state = {
      ...state,
      validators: sets.value.validators,
      nextValidators: sets.value.nextValidators,
    };
  }
  if (res.consensusParams !== undefined) {
    const params = updateConsensusParams(
      state.consensusParams,
      paramsUpdateToProto(res.consensusParams),
    );
    if (!params.ok)
      throw mismatch(`InitChain returned invalid consensus params: ${params.error.message}`);
    state = {
      ...state,
      consensusParams: params.value,
      appVersion: params.value.version?.app ?? state.appVersion,
    };
  }
  if (res.appHash.length > 0) state = { ...state, appHash: res.appHash };
  return state;
}

function loadValidatorSet(stateStore: StateStore, height: bigint): ValidatorSet {
  const bytes = stateStore.loadValidators(height);
  if (bytes === undefined) throw corrupt(`no validator set stored for height ${height}`);
  const proto = decodeWireMessage(ValidatorSetSchema, bytes);
  if (!proto.ok) throw corrupt(`validator set of height ${height}: ${proto.error.message}`);
  const set = validatorSetFromProto(proto.value);
  if (!set.ok) throw corrupt(`validator set of height ${height}: ${set.error.message}`);
  return set.value;
}

export async function handshake(deps: HandshakeDeps): Promise<HandshakeResult> {
  const { app, db, blockStore, stateStore, executor, logger, genesis } = deps;
  const log = logger.child({ module: "handshake" });
  const info = await app.info({
    version: ABCI_VERSION,
    blockVersion: 11n,
    p2pVersion: P2P_PROTOCOL,
  });
  const stored = stateStore.loadState();
  let state: ChainState;
  if (stored === undefined) {
    if (info.lastBlockHeight !== 0n) {
      throw mismatch(
        `the application is at height ${info.lastBlockHeight} but the node has no chain state: restore the node's data directory, or reset the application too`,
      );
    }
    if (blockStore.height() !== 0n)
      throw corrupt("the block store holds blocks but there is no chain state");
    state = await initChainState(deps);
    db.writeBlock((batch) => saveStateRecords(stateStore, batch, state));
    log.info(
      { chainId: state.chainId, appHash: toHex(state.appHash) },
      "initialized chain from genesis",
    );
  } else {
    const decoded = decodeChainState(stored);
    if (!decoded.ok) throw decoded.error;
    state = decoded.value;
    if (state.chainId !== genesis.chainId) {
      throw mismatch(
        `the stored chain state is for chain ${state.chainId}, but genesis.json is for ${genesis.chainId}`,
      );
    }
  }

  const storeHeight = blockStore.height();
  const stateHeight = state.lastBlockHeight;
  const appHeight = info.lastBlockHeight;
  // Block and state are written in one transaction, so the two heights always agree.
  if (storeHeight !== stateHeight) {
    throw corrupt(`block store height ${storeHeight} and state height ${stateHeight} differ`);
  }
  if (appHeight > stateHeight) {
    throw mismatch(
      `the application is at height ${appHeight}, ahead of the node at ${stateHeight}: the node's data was rolled back or replaced; restore it or reset the application`,
    );
  }

  let replayed = 0;
  for (let h = appHeight + 1n; h <= stateHeight; h++) {
    const bytes = blockStore.loadBlock(h);
    if (bytes === undefined) throw corrupt(`block ${h} is missing from the block store`);
    const block = decodeWireMessage(BlockSchema, bytes);
    if (!block.ok) throw corrupt(`block ${h}: ${block.error.message}`);
    const lastVals = h === state.initialHeight ? null : loadValidatorSet(stateStore, h - 1n);
    const appHash = await executor.replayBlockToApp(state, block.value, lastVals);
    const expected =
      h === stateHeight
        ? state.appHash
        : (() => {
            const nextBytes = blockStore.loadBlock(h + 1n);
            const next =
              nextBytes === undefined ? undefined : decodeWireMessage(BlockSchema, nextBytes);
            return next?.ok ? (next.value.header?.appHash ?? new Uint8Array()) : new Uint8Array();
          })();
    if (!equalBytes(appHash, expected)) {
      throw mismatch(
        `replaying block ${h}: the application's app hash ${toHex(appHash)} differs from the chain's ${toHex(expected)}`,
      );
    }
    replayed++;
  }
  if (replayed > 0)
    log.info(
      { from: String(appHeight + 1n), to: String(stateHeight) },
      "replayed blocks to the application",
    );
  else if (stateHeight > 0n && !equalBytes(info.lastBlockAppHash, state.appHash)) {
    throw mismatch(
      `the application's app hash ${toHex(info.lastBlockAppHash)} at height ${appHeight} differs from the chain's ${toHex(state.appHash)}`,
    );
  }

  let lastCommit = createCommit();
  if (stateHeight > 0n) {
    const seen = blockStore.loadSeenCommit(stateHeight);
    if (seen === undefined) throw corrupt(`no commit stored for height ${stateHeight}`);
    const c = decodeWireMessage(CommitSchema, seen);
    if (!c.ok) throw corrupt(`commit of height ${stateHeight}: ${c.error.message}`);
    lastCommit = c.value;
  }
  return { state, lastCommit, replayed };
}
