// The qsc module (QSC tokens: ERC20 through bank, plus freeze and pause): wires the keeper,
// messages, queries, genesis and invariants, and registers qsc's hooks with bank.

import type { AppModule } from "../../runtime/module.ts";
import { exportQscGenesis, initQscGenesis } from "./qscGenesis.ts";
import { createQscInvariants } from "./qscInvariants.ts";
import {
  createQscKeeper,
  type QscBank,
  type QscKeeper,
  qscLockedAmount,
  qscSendRestriction,
} from "./qscKeeper.ts";
import { QSC_STORE } from "./qscKeys.ts";
import { createQscMsgHandlers } from "./qscMsgs.ts";
import { createQscQueryHandlers } from "./qscQueries.ts";

export interface QscModule extends AppModule {
  readonly keeper: QscKeeper;
}

/** Creates the module and registers its send restriction and locked amount with `deps.bank`. */
export function createQscModule(deps: { readonly bank: QscBank }): QscModule {
  const keeper = createQscKeeper(deps.bank);
  deps.bank.addSendRestriction(qscSendRestriction(keeper));
  deps.bank.addLockedAmount(qscLockedAmount(keeper));
  return {
    name: "qsc",
    storeNames: [QSC_STORE],
    keeper,
    msgs: createQscMsgHandlers(keeper),
    queries: createQscQueryHandlers(keeper),
    invariants: createQscInvariants(keeper),
    initGenesis: (ctx, genesis) => initQscGenesis(keeper, ctx, genesis),
    exportGenesis: (ctx) => exportQscGenesis(keeper, ctx),
  };
}
