// @qos/store: the node's durable state on disk. LMDB environment with block and state
// stores, the consensus WAL, the last-sign-state guard, and their error codes.

export * from "./blockStore.ts";
export * from "./crc32c.ts";
export * from "./durableFile.ts";
export * from "./heightKey.ts";
export * from "./kvStore.ts";
export * from "./lastSignState.ts";
export * from "./lmdbDataFile.ts";
export * from "./multiStore.ts";
export * from "./multiStoreProof.ts";
export * from "./multiStoreSnapshot.ts";
export * from "./nodeDb.ts";
export * from "./stateStore.ts";
export * from "./storeErrors.ts";
export * from "./storeLogger.ts";
export * from "./tree/ics23Proof.ts";
export * from "./tree/versionedTree.ts";
export * from "./wal.ts";
export * from "./walRecord.ts";
