// The address book: other nodes' `id@ip:port` learnt from config, peers and PEX, with dial
// attempts and successes; saved as JSON (<home>/config/addrbook.json) by an atomic write.

import { readFileSync } from "node:fs";
import { saveFileAtomic } from "../fileUtil.ts";
import type { NodeId } from "./p2pNetwork.ts";
import { isDialableIp, isValidNodeId } from "./peerAddress.ts";

export interface AddrBookEntry {
  readonly id: NodeId;
  readonly ip: string;
  readonly port: number;
  /** Who told us: a node id, or "config". */
  readonly src: string;
  lastAttemptMs: number;
  lastSuccessMs: number;
  /** Failed dials since the last success. */
  attempts: number;
}

export interface AddrBookOptions {
  /** Where to load and save the book; null keeps it in memory (tests). */
  readonly path: string | null;
  /** Our own node id: never stored. */
  readonly selfId: NodeId;
  /** Most entries kept (default 5000); when full the entry with most failures makes room. */
  readonly maxSize?: number;
}

export interface AddrBook {
  /** Adds or refreshes an address; false when it is invalid or ours. */
  add(
    addr: { readonly id: string; readonly ip: string; readonly port: number },
    src: string,
  ): boolean;
  get(id: NodeId): AddrBookEntry | undefined;
  remove(id: NodeId): void;
  size(): number;
  entries(): AddrBookEntry[];
  markAttempt(id: NodeId, nowMs: number): void;
  markGood(id: NodeId, nowMs: number): void;
  /** Whether we should ask peers for more addresses. */
  needMoreAddrs(): boolean;
  /** Up to `max` entries that pass `eligible`, fewest failures first, skipping those in backoff. */
  pickToDial(max: number, nowMs: number, eligible: (e: AddrBookEntry) => boolean): AddrBookEntry[];
  /** A random selection to answer a PEX request (CometBFT GetSelection: 23%, 32 to 250). */
  selection(exclude: NodeId): AddrBookEntry[];
  /** Writes the book if it changed since the last save (no-op in memory). */
  save(): void;
}

/** Failed dials after which an address is forgotten. */
const MAX_ATTEMPTS = 16;
const NEED_ADDRS_THRESHOLD = 1000;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 5 * 60_000;

function loadEntries(path: string): unknown[] {
  try {
    const json = JSON.parse(readFileSync(path, "utf8")) as { addrs?: unknown };
    return Array.isArray(json.addrs) ? json.addrs : [];
  } catch {
    return [];
  }
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

export function createAddrBook(opts: AddrBookOptions): AddrBook {
  const maxSize = opts.maxSize ?? 5000;
  const book = new Map<NodeId, AddrBookEntry>();
  let dirty = false;

  function valid(a: { id: unknown; ip: unknown; port: unknown }): boolean {
    return (
      typeof a.id === "string" &&
      isValidNodeId(a.id) &&
      a.id !== opts.selfId &&
      typeof a.ip === "string" &&
      isDialableIp(a.ip) &&
      typeof a.port === "number" &&
      Number.isInteger(a.port) &&
      a.port >= 1 &&
      a.port <= 65535
    );
  }

  function makeRoom(): void {
    let worst: AddrBookEntry | undefined;
    for (const e of book.values())
      if (worst === undefined || e.attempts > worst.attempts) worst = e;
    if (worst !== undefined) book.delete(worst.id);
  }

  if (opts.path !== null) {
    for (const raw of loadEntries(opts.path)) {
      const r = raw as Partial<AddrBookEntry> | null;
      if (r === null || typeof r !== "object" || !valid({ id: r.id, ip: r.ip, port: r.port })) {
        continue;
      }
      book.set(r.id as string, {
        id: r.id as string,
        ip: r.ip as string,
        port: r.port as number,
        src: typeof r.src === "string" ? r.src : "",
        lastAttemptMs: typeof r.lastAttemptMs === "number" ? r.lastAttemptMs : 0,
        lastSuccessMs: typeof r.lastSuccessMs === "number" ? r.lastSuccessMs : 0,
        attempts: typeof r.attempts === "number" ? r.attempts : 0,
      });
    }
  }

  return {
    add(addr, src) {
      if (!valid(addr)) return false;
      const old = book.get(addr.id);
      if (old !== undefined && old.ip === addr.ip && old.port === addr.port) return true;
      if (old === undefined && book.size >= maxSize) makeRoom();
      book.set(addr.id, {
        id: addr.id,
        ip: addr.ip,
        port: addr.port,
        src,
        lastAttemptMs: 0,
        lastSuccessMs: old?.lastSuccessMs ?? 0,
        attempts: 0,
      });
      dirty = true;
      return true;
    },
    get: (id) => book.get(id),
    remove(id) {
      if (book.delete(id)) dirty = true;
    },
    size: () => book.size,
    entries: () => [...book.values()],
    markAttempt(id, nowMs) {
      const e = book.get(id);
      if (e === undefined) return;
      e.lastAttemptMs = nowMs;
      e.attempts++;
      if (e.attempts >= MAX_ATTEMPTS) book.delete(id);
      dirty = true;
    },
    markGood(id, nowMs) {
      const e = book.get(id);
      if (e === undefined) return;
      e.lastSuccessMs = nowMs;
      e.attempts = 0;
      dirty = true;
    },
    needMoreAddrs: () => book.size < NEED_ADDRS_THRESHOLD,
    pickToDial(max, nowMs, eligible) {
      const ready = [...book.values()].filter((e) => {
        if (e.attempts > 0) {
          const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (e.attempts - 1));
          if (nowMs - e.lastAttemptMs < backoff) return false;
        }
        return eligible(e);
      });
      shuffle(ready).sort((a, b) => a.attempts - b.attempts);
      return ready.slice(0, Math.max(0, max));
    },
    selection(exclude) {
      const all = [...book.values()].filter((e) => e.id !== exclude);
      const n = Math.min(250, all.length, Math.max(32, Math.ceil(all.length * 0.23)));
      return shuffle(all).slice(0, n);
    },
    save() {
      if (opts.path === null || !dirty) return;
      const addrs = [...book.values()];
      saveFileAtomic(opts.path, `${JSON.stringify({ addrs }, null, 2)}\n`);
      dirty = false;
    },
  };
}
