import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createAddrBook } from "../../src/p2p/addrBook.ts";

const id = (n: number) => n.toString(16).padStart(40, "0");
const SELF = id(0);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("address book", () => {
  it("refuses our own id, bad ids, unroutable IPs and bad ports", () => {
    const book = createAddrBook({ path: null, selfId: SELF });
    expect(book.add({ id: SELF, ip: "1.2.3.4", port: 1 }, "x")).toBe(false);
    expect(book.add({ id: "zz", ip: "1.2.3.4", port: 1 }, "x")).toBe(false);
    expect(book.add({ id: id(1), ip: "0.0.0.0", port: 1 }, "x")).toBe(false);
    expect(book.add({ id: id(1), ip: "example.com", port: 1 }, "x")).toBe(false);
    expect(book.add({ id: id(1), ip: "1.2.3.4", port: 70000 }, "x")).toBe(false);
    expect(book.add({ id: id(1), ip: "1.2.3.4", port: 26656 }, "x")).toBe(true);
    expect(book.size()).toBe(1);
  });

  it("saves atomically and loads back, skipping corrupt entries", () => {
    const dir = mkdtempSync(join(tmpdir(), "addrbook-"));
    dirs.push(dir);
    const path = join(dir, "config", "addrbook.json");
    const book = createAddrBook({ path, selfId: SELF });
    for (let i = 1; i <= 3; i++) book.add({ id: id(i), ip: `10.0.0.${i}`, port: 26656 }, "config");
    book.markAttempt(id(2), 5);
    book.save();
    const json = JSON.parse(readFileSync(path, "utf8")) as { addrs: unknown[] };
    json.addrs.push({ id: "nope", ip: "1.1.1.1", port: 1 }, null, 7);
    writeFileSync(path, JSON.stringify(json));
    const again = createAddrBook({ path, selfId: SELF });
    expect(again.size()).toBe(3);
    expect(again.get(id(2))?.attempts).toBe(1);
    // A missing or unreadable file is an empty book.
    writeFileSync(path, "{not json");
    expect(createAddrBook({ path, selfId: SELF }).size()).toBe(0);
  });

  it("backs off failed addresses and forgets them after many failures", () => {
    const book = createAddrBook({ path: null, selfId: SELF });
    book.add({ id: id(1), ip: "10.0.0.1", port: 1 }, "x");
    book.markAttempt(id(1), 1000);
    expect(book.pickToDial(5, 1500, () => true)).toEqual([]);
    expect(book.pickToDial(5, 2000, () => true).map((e) => e.id)).toEqual([id(1)]);
    book.markGood(id(1), 2000);
    expect(book.get(id(1))?.attempts).toBe(0);
    for (let i = 0; i < 16; i++) book.markAttempt(id(1), 0);
    expect(book.get(id(1))).toBeUndefined();
  });

  it("answers PEX with a bounded random selection without the asker", () => {
    const book = createAddrBook({ path: null, selfId: SELF });
    for (let i = 1; i <= 2000; i++) {
      book.add({ id: id(i), ip: `10.${i >> 8}.${i & 255}.1`, port: 26656 }, "x");
    }
    const sel = book.selection(id(5));
    expect(sel.length).toBe(250);
    expect(sel.some((e) => e.id === id(5))).toBe(false);
    expect(new Set(sel.map((e) => e.id)).size).toBe(250);
    const small = createAddrBook({ path: null, selfId: SELF });
    small.add({ id: id(1), ip: "10.0.0.1", port: 1 }, "x");
    small.add({ id: id(2), ip: "10.0.0.2", port: 1 }, "x");
    expect(small.selection(id(1)).map((e) => e.id)).toEqual([id(2)]);
  });
});
