// Peer addresses as config.toml and PEX write them (`id@host:port`, CometBFT's NetAddress)
// and their libp2p multiaddrs; IP classification for the duplicate-IP and ban rules.

import { isIP } from "node:net";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";

export interface PeerAddress {
  /** The node id the peer must prove (lower-case hex), or null when the address gave none. */
  readonly id: string | null;
  /** An IP address or a DNS name. */
  readonly host: string;
  readonly port: number;
}

const NODE_ID = /^[0-9a-f]{40}$/;

export function isValidNodeId(id: string): boolean {
  return NODE_ID.test(id);
}

/**
 * `[id@]host:port`, optionally after `tcp://`; an IPv6 host is written in brackets. Port 0
 * (any free port) is accepted only for a listen address (`allowPortZero`).
 */
export function parsePeerAddress(text: string, allowPortZero = false): PeerAddress | null {
  let s = text.trim().replace(/^tcp:\/\//, "");
  let id: string | null = null;
  const at = s.indexOf("@");
  if (at >= 0) {
    id = s.slice(0, at).toLowerCase();
    if (!isValidNodeId(id)) return null;
    s = s.slice(at + 1);
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/@]+)):(\d{1,5})$/.exec(s);
  if (m === null) return null;
  const host = m[1] ?? m[2] ?? "";
  if (m[1] !== undefined && isIP(host) !== 6) return null;
  const port = Number(m[3]);
  if (host === "" || port < (allowPortZero ? 0 : 1) || port > 65535) return null;
  return { id, host, port };
}

/** A comma-separated list (config.toml `persistent_peers`, `seeds`); bad entries are returned apart. */
export function parsePeerList(text: string): { addrs: PeerAddress[]; invalid: string[] } {
  const addrs: PeerAddress[] = [];
  const invalid: string[] = [];
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const a = parsePeerAddress(part);
    if (a === null) invalid.push(part.trim());
    else addrs.push(a);
  }
  return { addrs, invalid };
}

export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function peerAddressToString(a: PeerAddress): string {
  return a.id === null ? hostPort(a.host, a.port) : `${a.id}@${hostPort(a.host, a.port)}`;
}

export function peerAddressToMultiaddr(a: Pick<PeerAddress, "host" | "port">): Multiaddr {
  const kind = isIP(a.host);
  const proto = kind === 4 ? "ip4" : kind === 6 ? "ip6" : "dns";
  return multiaddr(`/${proto}/${a.host}/tcp/${a.port}`);
}

/** The host and port of a TCP multiaddr (ip4, ip6 or dns, then tcp), or null. */
export function multiaddrHostPort(ma: Multiaddr): { host: string; port: number } | null {
  const parts = ma.stringTuples();
  const [hostPart, portPart] = parts;
  if (hostPart === undefined || portPart === undefined) return null;
  const [code, host] = hostPart;
  // 4 ip4, 41 ip6, 53/54/55/56 dns/dns4/dns6/dnsaddr; 6 tcp.
  if (host === undefined || ![4, 41, 53, 54, 55].includes(code)) return null;
  if (portPart[0] !== 6 || portPart[1] === undefined) return null;
  return { host, port: Number(portPart[1]) };
}

export function isLoopbackIp(ip: string): boolean {
  if (isIP(ip) === 4) return ip.startsWith("127.");
  const lower = ip.toLowerCase();
  return lower === "::1" || lower.startsWith("::ffff:127.");
}

export function isUnspecifiedIp(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::" || ip === "";
}

/** A routable-looking IP for the address book: IPv4 or IPv6, not 0.0.0.0 or ::. */
export function isDialableIp(ip: string): boolean {
  return isIP(ip) !== 0 && !isUnspecifiedIp(ip);
}
