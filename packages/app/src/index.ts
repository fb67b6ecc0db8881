export * from "./abci.ts";
export * from "./kvstore/kvStateHash.ts";
export * from "./kvstore/kvStoreApp.ts";
export * from "./kvstore/kvTx.ts";
export { AUTH_STORE, accountKey } from "./modules/auth/accountKeeper.ts";
export * from "./modules/bank/bankKeeper.ts";
export { frozenKey, QSC_STORE, tokenKey } from "./modules/qsc/qscKeys.ts";
export * from "./modules/qsc/qscModule.ts";
export * from "./qosApp.ts";
export * from "./runtime/address.ts";
export * from "./runtime/coins.ts";
export * from "./runtime/module.ts";
export {
  type QueryAnswerToCheck,
  type QueryAnswerVerdict,
  verifyQueryAnswer,
} from "./runtime/provenQuery.ts";
export * from "./runtime/sdkErrors.ts";
export type { SignatureCheck } from "./runtime/txRunner.ts";
