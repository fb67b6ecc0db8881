import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBase64, toHex, utf8Decode, utf8Encode } from "@qos/types";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type {
  FinalizeBlockRequest,
  FinalizeBlockResponse,
  InitChainRequest,
  PrepareProposalRequest,
  QueryRequest,
  ValidatorUpdate,
} from "../../src/abci.ts";
import { createKvStoreApp, type KvStoreApp } from "../../src/kvstore/kvStoreApp.ts";
import { encodeKvValidatorTx } from "../../src/kvstore/kvTx.ts";

const enc = utf8Encode;
const dirs: string[] = [];
const apps: KvStoreApp[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kvstore-test-"));
  dirs.push(dir);
  return dir;
}

function openApp(dir: string): KvStoreApp {
  const app = createKvStoreApp({ dir });
  apps.push(app);
  return app;
}

async function reopen(app: KvStoreApp): Promise<KvStoreApp> {
  await app.close();
  return openApp(app.dir);
}

const pk = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const GENESIS_VALS: ValidatorUpdate[] = [
  { pubKey: { type: "ed25519", key: pk(1) }, power: 10n },
  { pubKey: { type: "ed25519", key: pk(2) }, power: 10n },
];

function initReq(appState = "{}", validators = GENESIS_VALS): InitChainRequest {
  return {
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: "kv-test",
    consensusParams: {},
    validators,
    appStateBytes: enc(appState),
    initialHeight: 1n,
  };
}

function finalizeReq(height: bigint, txs: readonly Uint8Array[]): FinalizeBlockRequest {
  return {
    txs,
    decidedLastCommit: { round: 0, votes: [] },
    misbehavior: [],
    hash: new Uint8Array(32),
    height,
    time: { seconds: 1_700_000_000n + height, nanos: 0 },
    nextValidatorsHash: new Uint8Array(32),
    proposerAddress: new Uint8Array(20),
  };
}

async function block(
  app: KvStoreApp,
  height: bigint,
  txs: readonly (string | Uint8Array)[],
): Promise<FinalizeBlockResponse> {
  const res = await app.finalizeBlock(
    finalizeReq(
      height,
      txs.map((t) => (typeof t === "string" ? enc(t) : t)),
    ),
  );
  await app.commit();
  return res;
}

function query(path: string, data: Uint8Array | string, height = 0n): QueryRequest {
  return { path, data: typeof data === "string" ? enc(data) : data, height, prove: false };
}

async function get(app: KvStoreApp, key: string): Promise<string | null> {
  const res = await app.query(query("/store", key));
  return res.log === "exists" ? utf8Decode(res.value) : null;
}

/** Independent oracle for the documented app-hash encoding (node:crypto, not @qos/crypto). */
function expectedAppHash(kv: Record<string, string>, vals: [Uint8Array, bigint][]): string {
  const entries: [Buffer, Buffer][] = [];
  for (const [k, v] of Object.entries(kv)) {
    entries.push([Buffer.concat([Buffer.of(1), Buffer.from(k)]), Buffer.from(v)]);
  }
  for (const [key, power] of vals) {
    const value = Buffer.alloc(9);
    value[0] = 1;
    value.writeBigUInt64BE(power, 1);
    entries.push([Buffer.concat([Buffer.of(2), Buffer.from(key)]), value]);
  }
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  const h = createHash("sha256");
  const varint = (n: number): Buffer => {
    const out: number[] = [];
    let v = n;
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    return Buffer.from(out);
  };
  for (const [k, v] of entries) h.update(Buffer.concat([varint(k.length), k, varint(v.length), v]));
  return h.digest("hex").toUpperCase();
}

describe("kvstore: genesis and info", () => {
  it("starts empty, then initChain stores the genesis validators and preloaded keys", async () => {
    const app = openApp(tempDir());
    const before = await app.info({ version: "", blockVersion: 11n, p2pVersion: 8n });
    expect(before.lastBlockHeight).toBe(0n);
    expect(before.lastBlockAppHash).toEqual(new Uint8Array());
    expect(before.appVersion).toBe(1n);

    const res = await app.initChain(initReq(JSON.stringify({ kv: { alpha: "1", beta: "2" } })));
    expect(res.validators).toEqual([]);
    expect(toHex(res.appHash)).toBe(
      expectedAppHash({ alpha: "1", beta: "2" }, [
        [pk(1), 10n],
        [pk(2), 10n],
      ]),
    );
    expect(await get(app, "alpha")).toBe("1");
    const info = await app.info({ version: "", blockVersion: 11n, p2pVersion: 8n });
    expect(info.lastBlockHeight).toBe(0n);
    expect(info.lastBlockAppHash).toEqual(res.appHash);
    expect(info.data).toBe('{"size":0}');
  });

  it("hashes an empty state to SHA-256 of nothing", async () => {
    const app = openApp(tempDir());
    const res = await app.initChain(initReq("", []));
    expect(toHex(res.appHash)).toBe(
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    );
  });

  it("rejects a malformed app_state with a clear error", async () => {
    const app = openApp(tempDir());
    await expect(app.initChain(initReq("[1]"))).rejects.toThrow(/must be a JSON object/);
    await expect(app.initChain(initReq("{"))).rejects.toThrow(/not valid JSON/);
    await expect(app.initChain(initReq('{"kv":{"a":1}}'))).rejects.toThrow(
      /kv\["a"\] must be a string/,
    );
    await expect(app.initChain(initReq('{"bank":{}}'))).rejects.toThrow(/unknown field "bank"/);
    await expect(app.initChain(initReq('{"kv":{"":"x"}}'))).rejects.toThrow(/non-empty/);
  });

  it("initChain again at height 0 replaces the earlier genesis state; after a block it refuses", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq(JSON.stringify({ kv: { old: "x" } })));
    const again = await app.initChain(initReq(JSON.stringify({ kv: { fresh: "y" } })));
    expect(await get(app, "old")).toBeNull();
    expect(await get(app, "fresh")).toBe("y");
    expect(toHex(again.appHash)).toBe(
      expectedAppHash({ fresh: "y" }, [
        [pk(1), 10n],
        [pk(2), 10n],
      ]),
    );
    await block(app, 1n, ["a=b"]);
    await expect(app.initChain(initReq())).rejects.toThrow(/initChain at committed height 1/);
  });
});

describe("kvstore: txs", () => {
  it("CheckTx accepts every valid form and rejects malformed txs with code 1", async () => {
    const app = openApp(tempDir());
    const check = (tx: Uint8Array | string) =>
      app.checkTx({ tx: typeof tx === "string" ? enc(tx) : tx, type: "new" });
    for (const tx of ["k=v", "k", encodeKvValidatorTx(pk(9), 3n)]) {
      const res = await check(tx);
      expect(res.code).toBe(0);
      expect(res.gasWanted).toBe(1n);
    }
    expect(await check("")).toMatchObject({ code: 1, log: "tx is empty" });
    expect(await check("a=b=c")).toMatchObject({ code: 1 });
    expect(await check(Uint8Array.of(0xc3, 0x28))).toMatchObject({
      code: 1,
      log: "tx is not valid UTF-8",
    });
    expect(await check("val:xyz!1")).toMatchObject({ code: 1 });
    expect((await app.checkTx({ tx: enc("k=v"), type: "recheck" })).code).toBe(0);
  });

  it("CheckTx checks validator changes against the committed set (code 3)", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    const removeTwo = { tx: encodeKvValidatorTx(pk(2), 0n), type: "new" } as const;
    expect((await app.checkTx(removeTwo)).code).toBe(0);
    expect(await app.checkTx({ tx: encodeKvValidatorTx(pk(9), 0n), type: "new" })).toMatchObject({
      code: 3,
      log: `cannot remove non-existent validator ${toBase64(pk(9))}`,
    });
    // Only committed state counts: a pending removal does not change CheckTx yet.
    await app.finalizeBlock(finalizeReq(1n, [removeTwo.tx]));
    expect((await app.checkTx({ ...removeTwo, type: "recheck" })).code).toBe(0);
    await app.commit();
    expect(await app.checkTx({ ...removeTwo, type: "recheck" })).toMatchObject({ code: 3 });
    expect(await app.checkTx({ tx: encodeKvValidatorTx(pk(1), 0n), type: "new" })).toMatchObject({
      code: 3,
      log: `cannot remove the last validator ${toBase64(pk(1))}`,
    });
  });

  it("FinalizeBlock sets keys, emits the kvstore events, and reports bad txs without applying them", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    const res = await app.finalizeBlock(
      finalizeReq(1n, [enc("name=satoshi"), enc("a=b=c"), enc("solo")]),
    );
    expect(res.txResults.map((r) => r.code)).toEqual([0, 1, 0]);
    expect(res.txResults[1]?.log).toBe(`invalid tx format: more than one '=' in "a=b=c"`);
    expect(res.txResults[1]?.events).toEqual([]);
    expect(res.txResults[0]?.events).toEqual([
      {
        type: "app",
        attributes: [
          { key: "creator", value: "Cosmoshi Netowoko", index: true },
          { key: "key", value: "name", index: true },
          { key: "index_key", value: "index is working", index: true },
          { key: "noindex_key", value: "index is working", index: false },
        ],
      },
    ]);
    expect(res.validatorUpdates).toEqual([]);
    expect(res.events).toEqual([]);
    // Pending until commit: queries read the committed state.
    expect(await get(app, "name")).toBeNull();
    await app.commit();
    expect(await get(app, "name")).toBe("satoshi");
    expect(await get(app, "solo")).toBe("solo");
    expect(await get(app, "a")).toBeNull();
    expect(toHex(res.appHash)).toBe(
      expectedAppHash({ name: "satoshi", solo: "solo" }, [
        [pk(1), 10n],
        [pk(2), 10n],
      ]),
    );
    const info = await app.info({ version: "", blockVersion: 11n, p2pVersion: 8n });
    expect(info.lastBlockHeight).toBe(1n);
    expect(info.data).toBe('{"size":2}');
  });

  it("later txs in a block see earlier ones; the last write wins", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    await block(app, 1n, ["k=1", "k=2"]);
    expect(await get(app, "k")).toBe("2");
    await block(app, 2n, ["k=3"]);
    expect(await get(app, "k")).toBe("3");
  });

  it("an empty block keeps the app hash", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    const b1 = await block(app, 1n, ["x=y"]);
    const b2 = await block(app, 2n, []);
    const b3 = await block(app, 3n, ["bad=tx=here"]);
    expect(b2.appHash).toEqual(b1.appHash);
    expect(b3.appHash).toEqual(b1.appHash);
  });

  it("checks the block height and the finalize/commit order", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    await expect(app.commit()).rejects.toThrow(/commit without a preceding finalizeBlock/);
    await block(app, 1n, []);
    await expect(app.finalizeBlock(finalizeReq(3n, []))).rejects.toThrow(
      /finalizeBlock at height 3, but the last committed height is 1/,
    );
  });
});

describe("kvstore: validator updates", () => {
  it("adds, changes and removes validators; the update comes back from FinalizeBlock", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    const add = await block(app, 1n, [encodeKvValidatorTx(pk(3), 5n)]);
    expect(add.txResults[0]?.code).toBe(0);
    expect(add.validatorUpdates).toEqual([{ pubKey: { type: "ed25519", key: pk(3) }, power: 5n }]);
    expect(add.txResults[0]?.events[1]).toEqual({
      type: "validator",
      attributes: [
        { key: "pub_key", value: toBase64(pk(3)), index: true },
        { key: "power", value: "5", index: true },
      ],
    });
    expect(add.txResults[0]?.events[0]?.attributes[1]).toEqual({
      key: "key",
      value: `val:${toBase64(pk(3))}`,
      index: true,
    });

    const change = await block(app, 2n, [encodeKvValidatorTx(pk(1), 7n)]);
    expect(change.validatorUpdates).toEqual([
      { pubKey: { type: "ed25519", key: pk(1) }, power: 7n },
    ]);
    const remove = await block(app, 3n, [encodeKvValidatorTx(pk(2), 0n)]);
    expect(remove.validatorUpdates).toEqual([
      { pubKey: { type: "ed25519", key: pk(2) }, power: 0n },
    ]);

    const one = await app.query(query("/val", pk(1)));
    expect(one).toMatchObject({ code: 0, log: "exists" });
    expect(utf8Decode(one.value)).toBe("7");
    expect((await app.query(query("/val", pk(2)))).log).toBe("does not exist");
    const all = await app.query(query("/val", new Uint8Array()));
    expect(JSON.parse(utf8Decode(all.value) ?? "")).toEqual([
      { pub_key_type: "ed25519", pub_key: toBase64(pk(1)), power: "7" },
      { pub_key_type: "ed25519", pub_key: toBase64(pk(3)), power: "5" },
    ]);
    expect(toHex(remove.appHash)).toBe(
      expectedAppHash({}, [
        [pk(1), 7n],
        [pk(3), 5n],
      ]),
    );
  });

  it("refuses to remove an unknown validator or the last one (code 3)", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq("{}", [{ pubKey: { type: "ed25519", key: pk(1) }, power: 1n }]));
    const res = await block(app, 1n, [
      encodeKvValidatorTx(pk(4), 0n),
      encodeKvValidatorTx(pk(1), 0n),
    ]);
    expect(res.txResults.map((r) => [r.code, r.log])).toEqual([
      [3, `cannot remove non-existent validator ${toBase64(pk(4))}`],
      [3, `cannot remove the last validator ${toBase64(pk(1))}`],
    ]);
    expect(res.validatorUpdates).toEqual([]);
  });

  it("refuses a change that would push the total power above CometBFT's maximum", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    const res = await block(app, 1n, [encodeKvValidatorTx(pk(5), 1152921504606846975n)]);
    expect(res.txResults[0]?.code).toBe(3);
    expect(res.txResults[0]?.log).toMatch(/total voting power would be 1152921504606846995/);
  });

  it("collapses several changes to one validator in a block into its final power", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    const res = await block(app, 1n, [
      encodeKvValidatorTx(pk(3), 5n),
      encodeKvValidatorTx(pk(1), 4n),
      encodeKvValidatorTx(pk(3), 6n),
      encodeKvValidatorTx(pk(8), 2n),
      encodeKvValidatorTx(pk(8), 0n), // added and removed: no update at all
      encodeKvValidatorTx(pk(2), 1n),
      encodeKvValidatorTx(pk(2), 10n), // back to its old power: no update
    ]);
    expect(res.txResults.every((r) => r.code === 0)).toBe(true);
    expect(res.validatorUpdates).toEqual([
      { pubKey: { type: "ed25519", key: pk(3) }, power: 6n },
      { pubKey: { type: "ed25519", key: pk(1) }, power: 4n },
    ]);
  });

  it("rejects a malformed validator tx in FinalizeBlock with code 1", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    const res = await block(app, 1n, [`val:${toBase64(pk(3))}!-1`]);
    expect(res.txResults[0]).toMatchObject({
      code: 1,
      log: "power can not be less than 0, got -1",
    });
    expect(res.validatorUpdates).toEqual([]);
  });
});

describe("kvstore: proposals", () => {
  const prepareReq = (txs: Uint8Array[], maxTxBytes: bigint): PrepareProposalRequest => ({
    maxTxBytes,
    txs,
    localLastCommit: { round: 0, votes: [] },
    misbehavior: [],
    height: 1n,
    time: { seconds: 0n, nanos: 0 },
    nextValidatorsHash: new Uint8Array(32),
    proposerAddress: new Uint8Array(20),
  });

  it("PrepareProposal drops invalid txs and fits the rest in maxTxBytes (proto size)", async () => {
    const app = openApp(tempDir());
    const txs = [enc("a=1"), enc("b=2=3"), enc(""), enc("c=3"), enc("d=4")];
    // Each valid 3-byte tx costs 1 (tag) + 1 (length) + 3 = 5 bytes in Data.
    expect((await app.prepareProposal(prepareReq(txs, 100n))).txs).toEqual([
      enc("a=1"),
      enc("c=3"),
      enc("d=4"),
    ]);
    expect((await app.prepareProposal(prepareReq(txs, 14n))).txs).toEqual([enc("a=1"), enc("c=3")]);
    expect((await app.prepareProposal(prepareReq(txs, 15n))).txs).toHaveLength(3);
    expect((await app.prepareProposal(prepareReq(txs, 4n))).txs).toEqual([]);
  });

  it("ProcessProposal accepts well-formed blocks and rejects one with a malformed tx", async () => {
    const app = openApp(tempDir());
    const req = (txs: Uint8Array[]) => ({
      txs,
      proposedLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      hash: new Uint8Array(32),
      height: 1n,
      time: { seconds: 0n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    });
    expect(await app.processProposal(req([]))).toBe("accept");
    expect(await app.processProposal(req([enc("a=1"), encodeKvValidatorTx(pk(1), 2n)]))).toBe(
      "accept",
    );
    expect(await app.processProposal(req([enc("a=1"), enc("x=y=z")]))).toBe("reject");
    expect(await app.processProposal(req([new Uint8Array()]))).toBe("reject");
    expect(await app.processProposal(req([enc("val:AAAA!1")]))).toBe("reject");
  });
});

describe("kvstore: query", () => {
  it("answers /store and the empty path, reports missing keys, and refuses unknown forms", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq());
    await block(app, 1n, ["color=blue"]);

    for (const path of ["/store", ""]) {
      const res = await app.query(query(path, "color"));
      expect(res).toMatchObject({ code: 0, log: "exists", height: 1n, proofOps: null });
      expect(res.key).toEqual(enc("color"));
      expect(utf8Decode(res.value)).toBe("blue");
    }
    const missing = await app.query(query("/store", "size"));
    expect(missing).toMatchObject({ code: 0, log: "does not exist", height: 1n });
    expect(missing.value).toEqual(new Uint8Array());

    const proved = await app.query({ ...query("/store", "color"), prove: true });
    expect(proved).toMatchObject({ code: 0, proofOps: null });
    expect(utf8Decode(proved.value)).toBe("blue");

    expect(await app.query(query("/store", "color", 1n))).toMatchObject({ code: 0, log: "exists" });
    expect(await app.query(query("/store", "color", 5n))).toMatchObject({
      code: 4,
      log: "the kvstore keeps only its latest state: height 5 is not available (latest is 1)",
    });
    expect(await app.query(query("/bank/balance", "x"))).toMatchObject({
      code: 4,
      log: 'unknown query path "/bank/balance": use "/store" (or "") or "/val"',
    });
  });
});

describe("kvstore: persistence", () => {
  it("info after a restart returns the last committed height and app hash, and the state", async () => {
    let app = openApp(tempDir());
    await app.initChain(initReq());
    await block(app, 1n, ["a=1", encodeKvValidatorTx(pk(3), 4n)]);
    const last = await block(app, 2n, ["b=2"]);
    app = await reopen(app);
    const info = await app.info({ version: "", blockVersion: 11n, p2pVersion: 8n });
    expect(info.lastBlockHeight).toBe(2n);
    expect(info.lastBlockAppHash).toEqual(last.appHash);
    expect(info.data).toBe('{"size":3}');
    expect(await get(app, "a")).toBe("1");
    expect(await get(app, "b")).toBe("2");
    expect(utf8Decode((await app.query(query("/val", pk(3)))).value)).toBe("4");
    // The validator set was reloaded: removing a genesis validator still works.
    const next = await block(app, 3n, [encodeKvValidatorTx(pk(1), 0n)]);
    expect(next.txResults[0]?.code).toBe(0);
    expect(next.validatorUpdates).toEqual([{ pubKey: { type: "ed25519", key: pk(1) }, power: 0n }]);
  });

  it("a stop between FinalizeBlock and Commit leaves the old state, and the block replays the same", async () => {
    let app = openApp(tempDir());
    await app.initChain(initReq());
    const b1 = await block(app, 1n, ["a=1"]);
    const first = await app.finalizeBlock(finalizeReq(2n, [enc("a=2"), enc("z=9")]));
    app = await reopen(app); // no commit
    const info = await app.info({ version: "", blockVersion: 11n, p2pVersion: 8n });
    expect(info.lastBlockHeight).toBe(1n);
    expect(info.lastBlockAppHash).toEqual(b1.appHash);
    expect(await get(app, "a")).toBe("1");
    expect(await get(app, "z")).toBeNull();
    // The node's handshake replays block 2: same result.
    const replay = await block(app, 2n, ["a=2", "z=9"]);
    expect(replay.appHash).toEqual(first.appHash);
    expect(await get(app, "a")).toBe("2");
  });

  it("memory mode runs in a temporary directory that close() removes", async () => {
    const app = createKvStoreApp({ memory: true });
    await app.initChain(initReq());
    await block(app, 1n, ["m=1"]);
    expect(await get(app, "m")).toBe("1");
    await app.close();
    const { existsSync } = await import("node:fs");
    expect(existsSync(app.dir)).toBe(false);
    await expect(app.info({ version: "", blockVersion: 0n, p2pVersion: 0n })).rejects.toThrow(
      /closed/,
    );
  });
});

describe("kvstore: app hash determinism", () => {
  it("two apps fed the same blocks give the same hashes; order of history does not matter", async () => {
    const a = openApp(tempDir());
    const b = openApp(tempDir());
    await a.initChain(initReq());
    await b.initChain(initReq());
    const ha = await block(a, 1n, ["x=1", "y=2"]);
    const hb = await block(b, 1n, ["y=2", "x=1"]);
    expect(ha.appHash).toEqual(hb.appHash);
    const a2 = await block(a, 2n, ["x=3"]);
    const b2 = await block(b, 2n, ["x=0", "x=3"]);
    expect(a2.appHash).toEqual(b2.appHash);
    expect(a2.appHash).not.toEqual(ha.appHash);
  });

  it("hashes a large state (40k keys in one block, then a small block over it)", async () => {
    const app = openApp(tempDir());
    await app.initChain(initReq("{}", []));
    const kv: Record<string, string> = {};
    const txs: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      kv[`k${i}`] = `v${i}`;
      txs.push(`k${i}=v${i}`);
    }
    await block(app, 1n, txs);
    kv.k7 = "changed";
    const res = await block(app, 2n, ["k7=changed"]);
    expect(toHex(res.appHash)).toBe(expectedAppHash(kv, []));
  });

  it("property: same random blocks → same hashes in two apps, equal to the documented encoding", async () => {
    const keyArb = fc.constantFrom("a", "b", "c", "dd", "e\u00e9", "key", "z");
    const txArb = fc.oneof(
      fc
        .tuple(keyArb, fc.string({ minLength: 1, maxLength: 6 }))
        .map(([k, v]) => enc(`${k}=${v.replaceAll("=", "_")}`)),
      keyArb.map((k) => enc(k)),
      fc
        .tuple(fc.integer({ min: 3, max: 6 }), fc.bigInt({ min: 0n, max: 20n }))
        .map(([n, p]) => encodeKvValidatorTx(pk(n), p)),
      fc.constant(enc("bad=tx=1")),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(txArb, { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
        async (blocks) => {
          const a = createKvStoreApp({ memory: true });
          const b = createKvStoreApp({ memory: true });
          try {
            await a.initChain(initReq());
            await b.initChain(initReq());
            const kv: Record<string, string> = {};
            const vals = new Map<number, bigint>([
              [1, 10n],
              [2, 10n],
            ]);
            let h = 0n;
            let last: FinalizeBlockResponse | null = null;
            for (const txs of blocks) {
              h++;
              const ra = await block(a, h, txs);
              const rb = await block(b, h, txs);
              expect(ra.appHash).toEqual(rb.appHash);
              expect(ra.txResults).toEqual(rb.txResults);
              expect(ra.validatorUpdates).toEqual(rb.validatorUpdates);
              ra.txResults.forEach((r, i) => {
                if (r.code !== 0) return;
                const text = utf8Decode(txs[i] as Uint8Array) ?? "";
                if (text.startsWith("val:")) {
                  const [b64, power] = text.slice(4).split("!") as [string, string];
                  const n = Buffer.from(b64, "base64")[0] as number;
                  if (power === "0") vals.delete(n);
                  else vals.set(n, BigInt(power));
                } else {
                  const [k, v] = text.includes("=") ? text.split("=") : [text, text];
                  kv[k as string] = v as string;
                }
              });
              last = ra;
            }
            const expected = expectedAppHash(
              kv,
              [...vals].map(([n, p]) => [pk(n), p] as [Uint8Array, bigint]),
            );
            expect(toHex((last as FinalizeBlockResponse).appHash)).toBe(expected);
          } finally {
            await a.close();
            await b.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
