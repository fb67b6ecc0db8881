// Parses CometBFT-style listen addresses: `tcp://127.0.0.1:26657`, `0.0.0.0:26657`, `:26660`,
// `[::1]:26657`. An empty host means every interface, as in Go's net.Listen.

import { err, ok, QosError, type Result } from "@qos/types";

export interface ListenAddress {
  /** Host to bind; "0.0.0.0" for an empty host. */
  readonly host: string;
  readonly port: number;
}

export function parseListenAddress(
  laddr: string,
): Result<ListenAddress, QosError<"INVALID_LISTEN_ADDRESS">> {
  const fail = (why: string) =>
    err(new QosError("INVALID_LISTEN_ADDRESS", `invalid listen address "${laddr}": ${why}`));
  let rest = laddr.trim();
  const scheme = /^([a-z0-9]+):\/\//i.exec(rest);
  if (scheme !== null) {
    if ((scheme[1] as string).toLowerCase() !== "tcp") {
      return fail(`only tcp:// is supported, got ${scheme[1]}://`);
    }
    rest = rest.slice(scheme[0].length);
  }
  let host: string;
  let portText: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0 || rest[close + 1] !== ":") return fail("expected [ipv6]:port");
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon < 0) return fail("missing :port");
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(":")) return fail("put an IPv6 host in brackets, e.g. [::1]:26657");
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    return fail(`bad port "${portText}"`);
  }
  return ok({ host: host === "" ? "0.0.0.0" : host, port: Number(portText) });
}
