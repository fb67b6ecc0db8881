export * from "./bytes.ts";
export * from "./errors.ts";
// Generated protobuf-es schemas and types (buf generate from proto/; do not edit gen/).
export * from "./gen/tendermint/abci/types_pb.ts";
export * from "./gen/tendermint/crypto/keys_pb.ts";
export * from "./gen/tendermint/crypto/proof_pb.ts";
export * from "./gen/tendermint/types/block_pb.ts";
export * from "./gen/tendermint/types/canonical_pb.ts";
export * from "./gen/tendermint/types/evidence_pb.ts";
export * from "./gen/tendermint/types/params_pb.ts";
export * from "./gen/tendermint/types/types_pb.ts";
export * from "./gen/tendermint/types/validator_pb.ts";
export * from "./gen/tendermint/version/types_pb.ts";
export * from "./gen/qos/node/v1/state_pb.ts";
