// Prometheus metrics of the p2p layer, in CometBFT's names where it has them (namespace
// `cometbft`, subsystem `p2p`; `p2p/metrics.go`), labelled by channel id as "0x30".

import { Counter, Gauge, type Registry } from "prom-client";

export interface P2PMetrics {
  /** cometbft_p2p_peers: connected peers (handshake done). */
  readonly peers: { set(value: number): void };
  /** cometbft_p2p_message_send_bytes_total{chID}: payload bytes handed to peers' streams. */
  readonly messageSendBytes: { inc(labels: { chID: string }, value: number): void };
  /** cometbft_p2p_message_receive_bytes_total{chID}: payload bytes received. */
  readonly messageReceiveBytes: { inc(labels: { chID: string }, value: number): void };
  /** cometbft_p2p_message_dropped_total{chID,reason}: queue_full (send) or oversized (receive). */
  readonly messagesDropped: { inc(labels: { chID: string; reason: string }, value?: number): void };
  /** cometbft_p2p_peer_reports_total{offence}: offences reactors reported. */
  readonly peerReports: { inc(labels: { offence: string }, value?: number): void };
  /** cometbft_p2p_peer_bans_total{reason}: bans (an offence name, or "manual"). */
  readonly peerBans: { inc(labels: { reason: string }, value?: number): void };
  /** cometbft_p2p_rejected_connections_total{reason}: connections refused or dropped at the handshake. */
  readonly rejectedConnections: { inc(labels: { reason: string }, value?: number): void };
}

export function createP2PMetrics(register: Registry): P2PMetrics {
  const registers = [register];
  return {
    peers: new Gauge({ name: "cometbft_p2p_peers", help: "Number of peers.", registers }),
    messageSendBytes: new Counter({
      name: "cometbft_p2p_message_send_bytes_total",
      help: "Number of bytes of messages sent, per channel.",
      labelNames: ["chID"] as const,
      registers,
    }),
    messageReceiveBytes: new Counter({
      name: "cometbft_p2p_message_receive_bytes_total",
      help: "Number of bytes of messages received, per channel.",
      labelNames: ["chID"] as const,
      registers,
    }),
    messagesDropped: new Counter({
      name: "cometbft_p2p_message_dropped_total",
      help: "Messages dropped: send queue full, or an oversized frame received.",
      labelNames: ["chID", "reason"] as const,
      registers,
    }),
    peerReports: new Counter({
      name: "cometbft_p2p_peer_reports_total",
      help: "Misbehaviour reports against peers, per offence.",
      labelNames: ["offence"] as const,
      registers,
    }),
    peerBans: new Counter({
      name: "cometbft_p2p_peer_bans_total",
      help: "Peers banned, per reason.",
      labelNames: ["reason"] as const,
      registers,
    }),
    rejectedConnections: new Counter({
      name: "cometbft_p2p_rejected_connections_total",
      help: "Connections refused or dropped before becoming peers, per reason.",
      labelNames: ["reason"] as const,
      registers,
    }),
  };
}

/** CometBFT's label for a channel id (`%#x`): 0x30. */
export function channelLabel(id: number): string {
  return `0x${id.toString(16)}`;
}
