// @qos/types: byte helpers, QosError/Result, the generated CometBFT v0.38 protobuf types
// (gen/, from `npm run gen`), Go-faithful createX constructors, CometBFT JSON codecs, and the
// hand-written protobuf encoders of hot records (protoWire, ExecTxResult) and the block record's
// events decoder.
export * from "./blockRecordEvents.ts";
export * from "./bytes.ts";
export * from "./cometJson/abciJson.ts";
export * from "./cometJson/blockJson.ts";
export * from "./cometJson/commitJson.ts";
export * from "./cometJson/evidenceJson.ts";
export * from "./cometJson/headerJson.ts";
export * from "./cometJson/jsonReader.ts";
export * from "./cometJson/paramsJson.ts";
export * from "./cometJson/timeJson.ts";
export * from "./cometJson/validatorJson.ts";
export * from "./cometJson/voteJson.ts";
export * from "./computeProtoSizeForTxs.ts";
export * from "./errors.ts";
export * from "./execTxResultEncoding.ts";
// Cosmos SDK tx envelope, coins, auth and bank: namespaced (their names repeat across packages).
export * as cosmosAuth from "./gen/cosmos/auth/v1beta1/auth_pb.ts";
export * as cosmosAuthQuery from "./gen/cosmos/auth/v1beta1/query_pb.ts";
export * as cosmosBankQuery from "./gen/cosmos/bank/v1beta1/query_pb.ts";
export * as cosmosBankTx from "./gen/cosmos/bank/v1beta1/tx_pb.ts";
export * as cosmosAbci from "./gen/cosmos/base/abci/v1beta1/abci_pb.ts";
export * as cosmosPagination from "./gen/cosmos/base/query/v1beta1/pagination_pb.ts";
export * as cosmosCoin from "./gen/cosmos/base/v1beta1/coin_pb.ts";
export * as cosmosMultisig from "./gen/cosmos/crypto/multisig/v1beta1/multisig_pb.ts";
export * as cosmosSecp256k1 from "./gen/cosmos/crypto/secp256k1/keys_pb.ts";
// ICS-23 commitment proofs (cosmos.ics23.v1): generic names (LeafOp, ProofSpec), namespaced.
export * as ics23 from "./gen/cosmos/ics23/v1/proofs_pb.ts";
export * as cosmosSigning from "./gen/cosmos/tx/signing/v1beta1/signing_pb.ts";
export * as cosmosTxService from "./gen/cosmos/tx/v1beta1/service_pb.ts";
export * as cosmosTx from "./gen/cosmos/tx/v1beta1/tx_pb.ts";
export * as qosBankQuery from "./gen/qos/bank/v1/query_pb.ts";
export * as qosBankTx from "./gen/qos/bank/v1/tx_pb.ts";
export * from "./gen/qos/node/v1/state_pb.ts";
export * as p2pWire from "./gen/qos/p2p/v1/p2p_pb.ts";
// QSC tokens (qos.qsc.v1): metadata, params, certificate, genesis; messages; queries.
export * as qscTypes from "./gen/qos/qsc/v1/qsc_pb.ts";
export * as qscQuery from "./gen/qos/qsc/v1/query_pb.ts";
export * as qscTx from "./gen/qos/qsc/v1/tx_pb.ts";
export * from "./gen/tendermint/abci/types_pb.ts";
// Block sync messages (Message, BlockRequest, …): generic names, namespaced.
export * as blocksyncWire from "./gen/tendermint/blocksync/types_pb.ts";
// Consensus reactor messages share names with tendermint.types (Proposal, Vote): namespaced.
export * as consensusWire from "./gen/tendermint/consensus/types_pb.ts";
export * from "./gen/tendermint/crypto/keys_pb.ts";
export * from "./gen/tendermint/crypto/proof_pb.ts";
export * from "./gen/tendermint/libs/bits/types_pb.ts";
// Mempool gossip (tendermint.mempool.Message, Txs) and QOS p2p (NodeInfo, PEX): namespaced.
export * as mempoolWire from "./gen/tendermint/mempool/types_pb.ts";
export * from "./gen/tendermint/types/block_pb.ts";
export * from "./gen/tendermint/types/canonical_pb.ts";
export * from "./gen/tendermint/types/evidence_pb.ts";
export * from "./gen/tendermint/types/params_pb.ts";
export * from "./gen/tendermint/types/types_pb.ts";
export * from "./gen/tendermint/types/validator_pb.ts";
export * from "./gen/tendermint/version/types_pb.ts";
export * from "./protoWire.ts";
export * from "./typesError.ts";
export * from "./wireConstructors.ts";
export * from "./wireMessage.ts";
