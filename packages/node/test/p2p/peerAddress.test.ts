import { describe, expect, it } from "vitest";
import {
  isLoopbackIp,
  multiaddrHostPort,
  parsePeerAddress,
  parsePeerList,
  peerAddressToMultiaddr,
  peerAddressToString,
} from "../../src/p2p/peerAddress.ts";

const ID = "0123456789abcdef0123456789abcdef01234567";

describe("peer addresses", () => {
  it("parses id@host:port, host:port and IPv6 in brackets", () => {
    expect(parsePeerAddress(`${ID}@1.2.3.4:26656`)).toEqual({
      id: ID,
      host: "1.2.3.4",
      port: 26656,
    });
    expect(parsePeerAddress("tcp://0.0.0.0:26656")).toEqual({
      id: null,
      host: "0.0.0.0",
      port: 26656,
    });
    expect(parsePeerAddress(`${ID.toUpperCase()}@[::1]:5`)).toEqual({
      id: ID,
      host: "::1",
      port: 5,
    });
    expect(parsePeerAddress("node0.example:26656")?.host).toBe("node0.example");
  });

  it("rejects bad ids, ports and shapes", () => {
    for (const bad of [
      "1.2.3.4",
      "1.2.3.4:0",
      "1.2.3.4:65536",
      "abc@1.2.3.4:1",
      `${ID}@:1`,
      "[zz]:1",
      "a b:1",
      "",
    ]) {
      expect(parsePeerAddress(bad), bad).toBeNull();
    }
    expect(parsePeerAddress("127.0.0.1:0", true)?.port).toBe(0);
  });

  it("splits config lists and reports bad entries", () => {
    expect(parsePeerList(` ${ID}@a:1 , ,b:2,bad`)).toEqual({
      addrs: [
        { id: ID, host: "a", port: 1 },
        { id: null, host: "b", port: 2 },
      ],
      invalid: ["bad"],
    });
  });

  it("round-trips through multiaddrs and strings", () => {
    for (const a of [
      { id: ID, host: "10.0.0.1", port: 26656 },
      { id: null, host: "::1", port: 1 },
      { id: null, host: "seed.example", port: 2 },
    ]) {
      expect(multiaddrHostPort(peerAddressToMultiaddr(a))).toEqual({ host: a.host, port: a.port });
      expect(parsePeerAddress(peerAddressToString(a))).toEqual(a);
    }
  });

  it("knows loopback addresses", () => {
    expect(isLoopbackIp("127.0.0.1")).toBe(true);
    expect(isLoopbackIp("127.8.0.1")).toBe(true);
    expect(isLoopbackIp("::1")).toBe(true);
    expect(isLoopbackIp("10.0.0.1")).toBe(false);
  });
});
