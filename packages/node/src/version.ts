// Versions the node reports: our software version, and the CometBFT protocol versions we
// are wire-compatible with (clients pick their decoder from `node_info.version`).

export const QOS_VERSION = "0.1.0";
/** Reported as `node_info.version`; @cosmjs/tendermint-rpc selects its 0.38 client on "0.38.". */
export const COMETBFT_COMPAT_VERSION = "0.38.17";
/** version/version.go: P2PProtocol 8 (BlockProtocol 11 is BLOCK_PROTOCOL in @qos/types); ABCI 2.0.0. */
export const P2P_PROTOCOL = 8n;
export const ABCI_VERSION = "2.0.0";
