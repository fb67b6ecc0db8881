import {
  closeSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { utf8Encode } from "@qos/types";
import { describe, expect, test } from "vitest";
import { NODE_DB_TABLES, type NodeDb, openNodeDb, type WriteBatch } from "../src/nodeDb.ts";
import { tempDir } from "./tempDir.ts";

const k = (...bytes: number[]) => Uint8Array.from(bytes);
const code = (c: string) => expect.objectContaining({ name: "QosError", code: c });

async function withDb<T>(path: string, fn: (db: NodeDb) => T): Promise<T> {
  const db = openNodeDb({ path });
  try {
    return fn(db);
  } finally {
    await db.close();
  }
}

describe("openNodeDb", () => {
  test("creates the environment with the schema marker, reopens it, and keeps data", async () => {
    const path = join(tempDir(), "data");
    await withDb(path, (db) => {
      const t = db.table("test/a");
      db.writeBlock((batch) => t.put(batch, k(1), k(9, 9)));
    });
    await withDb(path, (db) => {
      expect(db.table("test/a").get(k(1))).toEqual(k(9, 9));
      expect(db.table(NODE_DB_TABLES.meta).get(utf8Encode("schema"))).toEqual(
        utf8Encode("qos-store/1"),
      );
    });
  });

  test("values come back as plain Uint8Array", async () => {
    await withDb(tempDir(), (db) => {
      const t = db.table("test/a");
      db.writeBlock((batch) => t.put(batch, k(1), k(1, 2, 3)));
      const v = t.get(k(1));
      expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype);
    });
  });

  test("a data dir of another layout version is refused", async () => {
    const path = tempDir();
    await withDb(path, (db) => {
      const meta = db.table(NODE_DB_TABLES.meta);
      db.writeBlock((batch) => meta.put(batch, utf8Encode("schema"), utf8Encode("qos-store/999")));
    });
    expect(() => openNodeDb({ path })).toThrow(code("store_schema_mismatch"));
  });

  test("a path that is a file is store_open_failed", () => {
    const file = join(tempDir(), "file");
    writeFileSync(file, "x");
    expect(() => openNodeDb({ path: file })).toThrow(code("store_open_failed"));
    expect(() => openNodeDb({ path: join(file, "sub") })).toThrow(code("store_open_failed"));
  });

  test("garbage, a too-short file and a data.mdb directory are clear errors, not a crash", () => {
    const garbage = tempDir();
    writeFileSync(join(garbage, "data.mdb"), new Uint8Array(20000).fill(0x41));
    expect(() => openNodeDb({ path: garbage })).toThrow(code("store_corrupt"));

    const short = tempDir();
    writeFileSync(join(short, "data.mdb"), k(1, 2, 3));
    expect(() => openNodeDb({ path: short })).toThrow(code("store_corrupt"));
  });

  test("a data file truncated below its last page, and a damaged meta page, are store_corrupt", async () => {
    const path = tempDir();
    await withDb(path, (db) => {
      const t = db.table("test/a");
      for (let i = 0; i < 50; i++)
        db.writeBlock((batch) => t.put(batch, k(i), new Uint8Array(4000)));
    });
    const file = join(path, "data.mdb");
    const size = statSync(file).size;
    const original = readFileSync(file);

    truncateSync(file, size - 4096 * 3);
    expect(() => openNodeDb({ path })).toThrow(code("store_corrupt"));

    writeFileSync(file, original);
    const fd = openSync(file, "r+");
    writeSync(fd, k(0, 0, 0, 0), 0, 4, 24); // meta magic of page 0
    closeSync(fd);
    expect(() => openNodeDb({ path })).toThrow(code("store_corrupt"));

    writeFileSync(file, original);
    await withDb(path, (db) => expect(db.table("test/a").get(k(49))?.length).toBe(4000));
  });

  test("garbage in lock.mdb is harmless (LMDB re-creates it)", async () => {
    const path = tempDir();
    await withDb(path, (db) => {
      const t = db.table("test/a");
      db.writeBlock((batch) => t.put(batch, k(1), k(7)));
    });
    writeFileSync(join(path, "lock.mdb"), new Uint8Array(9000).fill(0x41));
    await withDb(path, (db) => expect(db.table("test/a").get(k(1))).toEqual(k(7)));
  });
});

describe("writeBlock", () => {
  test("all tables' writes commit together, and reads inside see them", async () => {
    await withDb(tempDir(), (db) => {
      const a = db.table("test/a");
      const b = db.table("test/b");
      const seen = db.writeBlock((batch) => {
        a.put(batch, k(1), k(10));
        b.put(batch, k(2), k(20));
        return [a.get(k(1)), [...b.keys()]];
      });
      expect(seen).toEqual([k(10), [k(2)]]);
      expect(a.get(k(1))).toEqual(k(10));
      expect(b.get(k(2))).toEqual(k(20));
    });
  });

  test("a callback that throws leaves nothing written, in any table", async () => {
    const path = tempDir();
    await withDb(path, (db) => {
      const a = db.table("test/a");
      const b = db.table("test/b");
      db.writeBlock((batch) => a.put(batch, k(0), k(0)));
      expect(() =>
        db.writeBlock((batch) => {
          a.put(batch, k(1), k(1));
          a.remove(batch, k(0));
          b.put(batch, k(2), k(2));
          throw new Error("app failed");
        }),
      ).toThrow("app failed");
      expect([...a.keys()]).toEqual([k(0)]);
      expect([...b.keys()]).toEqual([]);
    });
    await withDb(path, (db) => {
      expect([...db.table("test/a").keys()]).toEqual([k(0)]);
      expect([...db.table("test/b").keys()]).toEqual([]);
    });
  });

  test("an async callback is refused and aborts", async () => {
    await withDb(tempDir(), (db) => {
      const a = db.table("test/a");
      expect(() =>
        db.writeBlock(async (batch) => {
          a.put(batch, k(1), k(1));
        }),
      ).toThrow(code("store_batch_misuse"));
      expect(a.get(k(1))).toBeUndefined();
    });
  });

  test("batches are dead after their callback; nesting and foreign batches are bugs", async () => {
    const dir = tempDir();
    await withDb(join(dir, "one"), async (db) => {
      const a = db.table("test/a");
      let kept: WriteBatch | undefined;
      db.writeBlock((batch) => {
        kept = batch;
        expect(batch.live).toBe(true);
      });
      expect(kept?.live).toBe(false);
      expect(() => a.put(kept as WriteBatch, k(1), k(1))).toThrow(code("store_batch_misuse"));
      expect(() => db.writeBlock(() => db.writeBlock(() => 1))).toThrow(code("store_batch_misuse"));
      expect(() => db.writeBlock(() => db.table("test/new"))).toThrow(code("store_batch_misuse"));

      const other = openNodeDb({ path: join(dir, "two") });
      const ot = other.table("test/a");
      try {
        db.writeBlock((batch) => {
          expect(() => ot.put(batch, k(1), k(1))).toThrow(code("store_batch_misuse"));
        });
      } finally {
        await other.close();
      }
    });
  });

  test("bad table names and keys are refused", async () => {
    await withDb(tempDir(), (db) => {
      expect(() => db.table("noowner")).toThrow(code("store_invalid_argument"));
      const a = db.table("test/a");
      db.writeBlock((batch) => {
        expect(() => a.put(batch, new Uint8Array(0), k(1))).toThrow(code("store_invalid_argument"));
        expect(() => a.put(batch, new Uint8Array(5000), k(1))).toThrow(
          code("store_invalid_argument"),
        );
      });
    });
  });

  test("use after close is store_closed", async () => {
    const db = openNodeDb({ path: tempDir() });
    const a = db.table("test/a");
    await db.close();
    expect(db.closed).toBe(true);
    expect(() => a.get(k(1))).toThrow(code("store_closed"));
    expect(() => db.writeBlock(() => 1)).toThrow(code("store_closed"));
  });
});

describe("table ranges", () => {
  test("gte inclusive, lt exclusive, both directions, limits", async () => {
    await withDb(tempDir(), (db) => {
      const t = db.table("test/r");
      db.writeBlock((batch) => {
        for (const i of [2, 4, 6, 8, 10]) t.put(batch, k(i), k(i * 10));
      });
      const keys = (r: Parameters<typeof t.keys>[0]) => [...t.keys(r)].map((x) => x[0]);
      expect(keys({})).toEqual([2, 4, 6, 8, 10]);
      expect(keys({ gte: k(4), lt: k(8) })).toEqual([4, 6]);
      expect(keys({ gte: k(3), lt: k(9) })).toEqual([4, 6, 8]);
      expect(keys({ gte: k(4), lt: k(8), reverse: true })).toEqual([6, 4]);
      expect(keys({ gte: k(3), lt: k(9), reverse: true })).toEqual([8, 6, 4]);
      expect(keys({ reverse: true, limit: 2 })).toEqual([10, 8]);
      expect(keys({ gte: k(5), limit: 1 })).toEqual([6]);
      expect(keys({ limit: 0 })).toEqual([]);
      expect(t.firstKey()).toEqual(k(2));
      expect(t.lastKey()).toEqual(k(10));
      expect([...t.entries({ gte: k(10) })]).toEqual([{ key: k(10), value: k(100) }]);
    });
  });
});
