export * from "./abci.ts";
export * from "./kvstore/kvStateHash.ts";
export * from "./kvstore/kvStoreApp.ts";
export * from "./kvstore/kvTx.ts";
