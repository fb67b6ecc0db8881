// The NodeInfo two nodes exchange when they connect (CometBFT p2p/node_info.go
// DefaultNodeInfo): its codec, its checks (Validate) and the compatibility rule (CompatibleWith).

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { p2pWire } from "@qos/types";
import type { NodeId } from "./p2pNetwork.ts";
import { isValidNodeId, parsePeerAddress } from "./peerAddress.ts";

/** What a peer said about itself in the handshake. */
export interface P2PNodeInfo {
  readonly protocolVersion: { readonly p2p: bigint; readonly block: bigint; readonly app: bigint };
  readonly nodeId: NodeId;
  /** `host:port` the peer says it can be dialled at. */
  readonly listenAddr: string;
  /** The chain id. */
  readonly network: string;
  readonly version: string;
  /** Channel ids the peer handles. */
  readonly channels: Uint8Array;
  readonly moniker: string;
  readonly other: { readonly txIndex: string; readonly rpcAddress: string };
}

/** CometBFT maxNodeInfoSize: a longer NodeInfo is refused unread. */
export const MAX_NODE_INFO_BYTES = 10240;
const MAX_CHANNELS = 16;
const MAX_TEXT = 256;

export function encodeNodeInfo(info: P2PNodeInfo): Uint8Array {
  return toBinary(
    p2pWire.NodeInfoSchema,
    create(p2pWire.NodeInfoSchema, {
      protocolVersion: { ...info.protocolVersion },
      nodeId: info.nodeId,
      listenAddr: info.listenAddr,
      network: info.network,
      version: info.version,
      channels: info.channels,
      moniker: info.moniker,
      other: { txIndex: info.other.txIndex, rpcAddress: info.other.rpcAddress },
    }),
  );
}

const printable = (s: string) => /^[\x20-\x7e]*$/.test(s) && s.length <= MAX_TEXT;

/** Decodes and checks a NodeInfo (DefaultNodeInfo.Validate); an error string when it is not valid. */
export function decodeNodeInfo(bytes: Uint8Array): P2PNodeInfo | string {
  let m: p2pWire.NodeInfo;
  try {
    m = fromBinary(p2pWire.NodeInfoSchema, bytes);
  } catch (e) {
    return `undecodable NodeInfo: ${(e as Error).message}`;
  }
  if (!isValidNodeId(m.nodeId)) return "node id is not 40 lower-case hex digits";
  if (m.listenAddr !== "" && parsePeerAddress(m.listenAddr) === null) {
    return `invalid listen address ${JSON.stringify(m.listenAddr.slice(0, 64))}`;
  }
  if (m.network === "" || !printable(m.network)) return "invalid network";
  if (!printable(m.version) || !printable(m.moniker)) return "invalid version or moniker";
  if (m.channels.length > MAX_CHANNELS) return `more than ${MAX_CHANNELS} channels`;
  if (new Set(m.channels).size !== m.channels.length) return "duplicate channel";
  const other = m.other;
  if (other !== undefined) {
    if (!["", "on", "off"].includes(other.txIndex)) return "invalid other.tx_index";
    if (!printable(other.rpcAddress)) return "invalid other.rpc_address";
  }
  return {
    protocolVersion: {
      p2p: m.protocolVersion?.p2p ?? 0n,
      block: m.protocolVersion?.block ?? 0n,
      app: m.protocolVersion?.app ?? 0n,
    },
    nodeId: m.nodeId,
    listenAddr: m.listenAddr,
    network: m.network,
    version: m.version,
    channels: m.channels,
    moniker: m.moniker,
    other: { txIndex: other?.txIndex ?? "", rpcAddress: other?.rpcAddress ?? "" },
  };
}

/** CometBFT CompatibleWith: same block protocol and network; null when compatible. */
export function nodeInfoIncompatibility(ours: P2PNodeInfo, theirs: P2PNodeInfo): string | null {
  if (ours.protocolVersion.block !== theirs.protocolVersion.block) {
    return `peer is on block protocol ${theirs.protocolVersion.block}, we are on ${ours.protocolVersion.block}`;
  }
  if (ours.network !== theirs.network) {
    return `peer is on network ${JSON.stringify(theirs.network)}, we are on ${JSON.stringify(ours.network)}`;
  }
  return null;
}
