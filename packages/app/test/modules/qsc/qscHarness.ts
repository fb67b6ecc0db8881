// Test harness for the qsc module: in-memory stores, a TxContext that records events, the real
// bank and account keepers, accounts with bech32 addresses, store snapshots (to check a failure wrote nothing) and helpers
// to run a message through validateBasic + handle.

import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import type { KVStore } from "@qos/store";
import { qscTypes, toHex } from "@qos/types";
import type { Event } from "../../../src/abci.ts";
import { createAccountKeeper } from "../../../src/modules/auth/accountKeeper.ts";
import { type BankKeeperInternal, createBankKeeper } from "../../../src/modules/bank/bankKeeper.ts";
import { createQscModule, type QscModule } from "../../../src/modules/qsc/qscModule.ts";
import { addressToBech32 } from "../../../src/modules/qsc/qscValidation.ts";
import { createMemoryStore } from "../../../src/runtime/branchStore.ts";
import { createGasKVStore, createGasMeter, INFINITE_GAS } from "../../../src/runtime/gasMeter.ts";
import type { AppError, MsgHandler, TxContext } from "../../../src/runtime/module.ts";
import { isAppError } from "../../../src/runtime/module.ts";

export const CHAIN_ID = "qos-test";

export interface Account {
  readonly address: Uint8Array;
  readonly bech32: string;
}

export function account(n: number): Account {
  const address = new Uint8Array(20).fill(n);
  return { address, bech32: addressToBech32(address) };
}

export interface Harness {
  readonly module: QscModule;
  readonly bank: BankKeeperInternal;
  readonly events: Event[];
  height: bigint;
  ctx(): TxContext;
  snapshot(): string;
  /** Runs validateBasic and handle of the handler for `schema`; returns the response bytes. */
  run<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Uint8Array;
  /** Runs a message expected to fail; returns the AppError (and checks that no state changed). */
  fail<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): AppError;
}

/**
 * A harness with qsc genesis `genesis` (default: open creation, no fee) loaded after `setup`
 * (which may fill bank, as bank's genesis runs before qsc's).
 */
export function createHarness(genesis?: unknown, setup?: (h: Harness) => void): Harness {
  const stores = new Map<string, KVStore>();
  const events: Event[] = [];
  const store = (name: string): KVStore => {
    let s = stores.get(name);
    if (s === undefined) {
      s = createMemoryStore();
      stores.set(name, s);
    }
    return s;
  };
  const bank = createBankKeeper({ accounts: createAccountKeeper() });
  const module = createQscModule({ bank });
  const h: Harness = {
    module,
    bank,
    events,
    height: 1n,
    ctx() {
      const meter = createGasMeter(INFINITE_GAS);
      return {
        chainId: CHAIN_ID,
        height: h.height,
        time: { seconds: 1_700_000_000n, nanos: 0 },
        mode: "deliver",
        gasMeter: meter,
        store: (name) => createGasKVStore(store(name), meter),
        emit: (e) => {
          events.push(e);
        },
      };
    },
    snapshot() {
      const lines: string[] = [];
      for (const name of [...stores.keys()].sort()) {
        for (const { key, value } of store(name).iterate()) {
          lines.push(`${name} ${toHex(key)} ${toHex(value)}`);
        }
      }
      return lines.join("\n");
    },
    run(schema, init) {
      const handler = handlerFor(module, schema);
      const msg = create(schema, init);
      handler.validateBasic(msg);
      return handler.handle(h.ctx(), msg);
    },
    fail(schema, init) {
      const before = h.snapshot();
      const eventCount = events.length;
      const handler = handlerFor(module, schema);
      const msg = create(schema, init);
      try {
        handler.validateBasic(msg);
        handler.handle(h.ctx(), msg);
      } catch (e) {
        if (!isAppError(e)) throw e;
        if (h.snapshot() !== before)
          throw new Error(`${schema.typeName} failed after writing state`);
        if (events.length !== eventCount)
          throw new Error(`${schema.typeName} failed after emitting`);
        return e;
      }
      throw new Error(`${schema.typeName} succeeded`);
    },
  };
  setup?.(h);
  module.initGenesis(h.ctx(), genesis === undefined ? openGenesis(0n) : genesis);
  return h;
}

function handlerFor(module: QscModule, schema: DescMessage): MsgHandler {
  const handler = module.msgs.find((m) => m.typeUrl === `/${schema.typeName}`);
  if (handler === undefined) throw new Error(`no handler for ${schema.typeName}`);
  return handler;
}

/** Genesis with open creation and a creation fee of `fee` uqos. */
export function openGenesis(fee: bigint): unknown {
  return {
    params: {
      creation_mode: "CREATION_MODE_OPEN",
      creation_fee: { denom: "uqos", amount: fee.toString() },
    },
  };
}

export function events(h: Harness, type: string): Record<string, string>[] {
  return h.events
    .filter((e) => e.type === type)
    .map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
}

export const CreationMode = qscTypes.CreationMode;
