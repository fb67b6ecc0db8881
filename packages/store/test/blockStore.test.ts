import { concatBytes, utf8Encode } from "@qos/types";
import { describe, expect, test } from "vitest";
import { type BlockStore, createBlockStore, type SaveBlockInput } from "../src/blockStore.ts";
import { decodeHeightKey } from "../src/heightKey.ts";
import { NODE_DB_TABLES, type NodeDb, openNodeDb } from "../src/nodeDb.ts";
import { tempDir } from "./tempDir.ts";

const code = (c: string) => expect.objectContaining({ name: "QosError", code: c });
const tag = (what: string, h: bigint, i = 0) => utf8Encode(`${what}:${h}:${i}`);

/** Deterministic stand-ins for the encoded records of block `h` (the store never decodes them). */
function fakeBlock(h: bigint, first: boolean, nParts = 3): SaveBlockInput {
  return {
    height: h,
    hash: concatBytes(utf8Encode("hash"), tag("", h)),
    blockBytes: tag("block", h),
    parts: Array.from({ length: nParts }, (_, i) => tag("part", h, i)),
    metaBytes: tag("meta", h),
    lastCommitBytes: first ? null : tag("commit", h - 1n),
    seenCommitBytes: tag("seen", h),
  };
}

async function withStore(
  fn: (store: BlockStore, db: NodeDb, path: string) => void | Promise<void>,
) {
  const path = tempDir();
  const db = openNodeDb({ path });
  try {
    await fn(createBlockStore(db), db, path);
  } finally {
    await db.close();
  }
}

function saveRange(db: NodeDb, store: BlockStore, from: bigint, to: bigint): void {
  for (let h = from; h <= to; h++) {
    const input = fakeBlock(h, store.height() === 0n);
    db.writeBlock((batch) => {
      store.saveBlock(batch, input);
      store.saveResults(batch, h, tag("results", h));
    });
  }
}

describe("block store", () => {
  test("empty store: base and height are 0, loads are undefined", async () => {
    await withStore((store) => {
      expect(store.base()).toBe(0n);
      expect(store.height()).toBe(0n);
      expect(store.size()).toBe(0n);
      expect(store.loadBlock(1n)).toBeUndefined();
      expect(store.loadBlockMeta(1n)).toBeUndefined();
      expect(store.loadBlockByHash(utf8Encode("nope"))).toBeUndefined();
    });
  });

  test("round trip of every record, and the canonical commit comes from the next block", async () => {
    await withStore((store, db) => {
      saveRange(db, store, 1n, 5n);
      expect(store.base()).toBe(1n);
      expect(store.height()).toBe(5n);
      expect(store.size()).toBe(5n);
      for (let h = 1n; h <= 5n; h++) {
        const b = fakeBlock(h, h === 1n);
        expect(store.loadBlock(h)).toEqual(b.blockBytes);
        expect(store.loadBlockMeta(h)).toEqual(b.metaBytes);
        expect(store.loadSeenCommit(h)).toEqual(b.seenCommitBytes);
        expect(store.loadResults(h)).toEqual(tag("results", h));
        expect(store.loadBlockPartCount(h)).toBe(3);
        for (let i = 0; i < 3; i++) expect(store.loadBlockPart(h, i)).toEqual(tag("part", h, i));
        expect(store.loadBlockPart(h, 3)).toBeUndefined();
        // commit for h arrives with block h+1: none yet for the top block
        expect(store.loadBlockCommit(h)).toEqual(h < 5n ? tag("commit", h) : undefined);
      }
      expect(store.loadBlockCommit(0n)).toBeUndefined();
    });
  });

  test("hash index finds blocks and their heights", async () => {
    await withStore((store, db) => {
      saveRange(db, store, 1n, 4n);
      for (let h = 1n; h <= 4n; h++) {
        const { hash, blockBytes } = fakeBlock(h, false);
        expect(store.loadBlockByHash(hash)).toEqual(blockBytes);
        expect(store.loadHeightByHash(hash)).toBe(h);
      }
    });
  });

  test("the first block may start above 1 (initial height, state sync) without a last commit", async () => {
    await withStore((store, db) => {
      saveRange(db, store, 100n, 102n);
      expect(store.base()).toBe(100n);
      expect(store.height()).toBe(102n);
      expect(store.loadBlockCommit(100n)).toEqual(tag("commit", 100n));
      expect(store.loadBlockCommit(99n)).toBeUndefined();
    });
  });

  test("heights beyond 2^32 keep numeric order", async () => {
    await withStore(async (store, db, path) => {
      const start = 2n ** 32n - 2n;
      saveRange(db, store, start, start + 4n);
      expect(store.base()).toBe(start);
      expect(store.height()).toBe(start + 4n);
      const keys = [...db.table(NODE_DB_TABLES.blockMeta).keys()];
      expect(keys.length).toBe(5);
      for (let i = 0; i < 5; i++) {
        expect(store.loadBlock(start + BigInt(i))).toEqual(tag("block", start + BigInt(i)));
      }
      await db.close();
      const again = openNodeDb({ path });
      try {
        const s2 = createBlockStore(again);
        expect(s2.height()).toBe(start + 4n);
        expect(s2.base()).toBe(start);
      } finally {
        await again.close();
      }
    });
  });

  test("a height that does not follow height() is a bug", async () => {
    await withStore((store, db) => {
      saveRange(db, store, 1n, 3n);
      expect(() => db.writeBlock((b) => store.saveBlock(b, fakeBlock(5n, false)))).toThrow(
        code("store_non_contiguous_height"),
      );
      expect(() => db.writeBlock((b) => store.saveBlock(b, fakeBlock(3n, false)))).toThrow(
        code("store_non_contiguous_height"),
      );
      expect(() => db.writeBlock((b) => store.saveBlock(b, fakeBlock(4n, true)))).toThrow(
        code("store_invalid_argument"),
      );
      expect(() => db.writeBlock((b) => store.saveBlock(b, fakeBlock(0n, true)))).toThrow(
        code("store_invalid_argument"),
      );
      expect(() =>
        db.writeBlock((b) =>
          store.saveBlock(b, { ...fakeBlock(4n, false), hash: fakeBlock(2n, false).hash }),
        ),
      ).toThrow(code("store_invalid_argument"));
      expect(() => db.writeBlock((b) => store.saveBlock(b, fakeBlock(4n, false, 0)))).toThrow(
        code("store_invalid_argument"),
      );
      expect(() => db.writeBlock((b) => store.saveResults(b, 9n, tag("results", 9n)))).toThrow(
        code("store_invalid_argument"),
      );
      expect(store.height()).toBe(3n);
    });
  });

  test("several blocks in one writeBlock see each other (contiguity checked inside the transaction)", async () => {
    await withStore((store, db) => {
      db.writeBlock((batch) => {
        store.saveBlock(batch, fakeBlock(1n, true));
        store.saveBlock(batch, fakeBlock(2n, false));
        expect(store.height()).toBe(2n);
      });
      expect(store.height()).toBe(2n);
    });
  });

  test("a failing writeBlock leaves neither block nor index behind", async () => {
    await withStore((store, db) => {
      saveRange(db, store, 1n, 2n);
      expect(() =>
        db.writeBlock((batch) => {
          store.saveBlock(batch, fakeBlock(3n, false));
          store.saveResults(batch, 3n, tag("results", 3n));
          throw new Error("finalizeBlock failed");
        }),
      ).toThrow("finalizeBlock failed");
      expect(store.height()).toBe(2n);
      expect(store.loadBlock(3n)).toBeUndefined();
      expect(store.loadBlockPart(3n, 0)).toBeUndefined();
      expect(store.loadBlockCommit(2n)).toBeUndefined();
      expect(store.loadResults(3n)).toBeUndefined();
      expect(store.loadBlockByHash(fakeBlock(3n, false).hash)).toBeUndefined();
      saveRange(db, store, 3n, 3n);
      expect(store.height()).toBe(3n);
    });
  });

  test("prune removes every record and index entry below the retain height", async () => {
    await withStore((store, db) => {
      saveRange(db, store, 1n, 10n);
      expect(store.prune(4n)).toBe(3n);
      expect(store.base()).toBe(4n);
      expect(store.height()).toBe(10n);
      for (let h = 1n; h < 4n; h++) {
        expect(store.loadBlock(h)).toBeUndefined();
        expect(store.loadBlockMeta(h)).toBeUndefined();
        expect(store.loadBlockPartCount(h)).toBe(0);
        expect(store.loadBlockCommit(h)).toBeUndefined();
        expect(store.loadSeenCommit(h)).toBeUndefined();
        expect(store.loadResults(h)).toBeUndefined();
        expect(store.loadBlockByHash(fakeBlock(h, false).hash)).toBeUndefined();
      }
      for (let h = 4n; h <= 10n; h++) {
        expect(store.loadBlock(h)).toEqual(tag("block", h));
        expect(store.loadBlockPartCount(h)).toBe(3);
        expect(store.loadBlockByHash(fakeBlock(h, false).hash)).toEqual(tag("block", h));
      }
      // nothing is left below 4 in any height-keyed table
      const T = NODE_DB_TABLES;
      for (const name of [
        T.blockMeta,
        T.blockBody,
        T.blockSeenCommit,
        T.blockResults,
        T.blockHeightToHash,
      ]) {
        expect(decodeHeightKey(db.table(name).firstKey() as Uint8Array)).toBe(4n);
      }
      expect(decodeHeightKey(db.table(T.blockCommit).firstKey() as Uint8Array)).toBe(4n);
      expect(decodeHeightKey(db.table(T.blockPart).firstKey() as Uint8Array)).toBe(4n);
      expect([...db.table(T.blockHashToHeight).keys()].length).toBe(7);
      expect([...db.table(T.blockPart).keys()].length).toBe(21);

      expect(store.prune(2n)).toBe(0n);
      expect(store.prune(4n)).toBe(0n);
      expect(() => store.prune(11n)).toThrow(code("store_prune_range"));
      expect(store.prune(10n)).toBe(6n);
      expect(store.base()).toBe(10n);
      expect(store.height()).toBe(10n);
      saveRange(db, store, 11n, 11n);
      expect(store.height()).toBe(11n);
    });
  });

  test("prune in a caller's writeBlock rolls back with it", async () => {
    await withStore((store, db) => {
      saveRange(db, store, 1n, 5n);
      expect(() =>
        db.writeBlock((batch) => {
          store.prune(3n, batch);
          expect(store.base()).toBe(3n);
          throw new Error("abort");
        }),
      ).toThrow("abort");
      expect(store.base()).toBe(1n);
    });
  });

  test("data survives reopening", async () => {
    const path = tempDir();
    let db = openNodeDb({ path });
    saveRange(db, createBlockStore(db), 1n, 3n);
    await db.close();
    db = openNodeDb({ path });
    try {
      const store = createBlockStore(db);
      expect(store.height()).toBe(3n);
      expect(store.loadBlockCommit(2n)).toEqual(tag("commit", 2n));
      saveRange(db, store, 4n, 4n);
      expect(store.height()).toBe(4n);
    } finally {
      await db.close();
    }
  });
});
