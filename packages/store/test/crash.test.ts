// Crash tests with real processes: a child writes blocks, state and WAL records (or signs) in
// a loop and is SIGKILLed at random moments; after every kill the parent reopens everything
// and checks that nothing reported durable was lost and nothing half-written is visible.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { equalBytes, utf8Decode } from "@qos/types";
import { describe, expect, test } from "vitest";
import { createBlockStore } from "../src/blockStore.ts";
import { openLastSignState } from "../src/lastSignState.ts";
import { openNodeDb } from "../src/nodeDb.ts";
import { createStateStore } from "../src/stateStore.ts";
import { openWAL } from "../src/wal.ts";
import * as data from "./fixtures/crashData.mjs";
import { runAndKill, seededRandom } from "./killChild.ts";
import { tempDir } from "./tempDir.ts";

const CHILD = fileURLToPath(new URL("./fixtures/crashChild.mjs", import.meta.url));
const BLOCK_KILLS = 24;
const SIGN_KILLS = 12;

/** Byte comparison without vitest's deep-equality walk (too slow for 100 KB blocks). */
function sameBytes(got: Uint8Array | undefined, want: Uint8Array, what: string): void {
  if (got === undefined || !equalBytes(got, want)) {
    throw new Error(`${what}: ${got === undefined ? "missing" : `${got.length} bytes differ`}`);
  }
}

function lastReported(lines: string[], word: string): bigint {
  let max = 0n;
  for (const line of lines) {
    const [w, h] = line.split(" ");
    if (w === word && h !== undefined && BigInt(h) > max) max = BigInt(h);
  }
  return max;
}

async function verifyBlocksAndWal(
  dataDir: string,
  walDir: string,
  lines: string[],
  before: bigint,
) {
  const durable = lastReported(lines, "durable");
  const walSynced = lastReported(lines, "walsync");
  const ended = lastReported(lines, "end");

  const db = openNodeDb({ path: dataDir });
  let height: bigint;
  try {
    const blocks = createBlockStore(db);
    const states = createStateStore(db);
    height = blocks.height();
    expect(height).toBeGreaterThanOrEqual(durable);
    expect(height).toBeGreaterThanOrEqual(before);
    expect(blocks.base()).toBe(height === 0n ? 0n : 1n);
    for (let h = 1n; h <= height; h++) {
      // every height from base to height is there, complete
      sameBytes(blocks.loadBlock(h), data.blockBytes(h), `block ${h}`);
      expect(blocks.loadBlockMeta(h)).toEqual(data.metaBytes(h));
      expect(blocks.loadSeenCommit(h)).toEqual(data.seenCommitBytes(h));
      expect(blocks.loadResults(h)).toEqual(data.resultsBytes(h));
      expect(blocks.loadHeightByHash(data.blockHash(h))).toBe(h);
      const parts = data.blockParts(h);
      expect(blocks.loadBlockPartCount(h)).toBe(parts.length);
      parts.forEach((part, i) => {
        sameBytes(blocks.loadBlockPart(h, i), part, `part ${h}/${i}`);
      });
      if (h > 1n) expect(blocks.loadBlockCommit(h - 1n)).toEqual(data.commitBytes(h - 1n));
      expect(states.loadValidators(h)).toEqual(data.validatorsBytes(h));
    }
    expect(blocks.loadBlock(height + 1n)).toBeUndefined();
    // the state snapshot was written in the same transaction as the top block
    expect(states.loadState()).toEqual(height === 0n ? undefined : data.stateBytes(height));
  } finally {
    await db.close();
  }

  const wal = openWAL({ dir: walDir, maxSegmentBytes: 2048, retainHeights: 5n });
  try {
    const end = wal.lastEndHeight() ?? -1n;
    expect(end).toBeGreaterThanOrEqual(ended);
    // #ENDHEIGHT(h) follows the durable block h: at most one block ahead of it
    expect(end === height || end === height - 1n).toBe(true);
    const replay = wal.replayAfterEndHeight(end);
    if (!replay.found) throw new Error(`no #ENDHEIGHT(${end}) in the WAL`);
    expect(replay.nextEndHeight).toBeNull();
    const expected = Array.from({ length: data.WAL_MESSAGES_PER_HEIGHT }, (_, i) =>
      utf8Decode(data.walMessage(end + 1n, i)),
    );
    const got = replay.messages.map((m) => utf8Decode(m));
    // what follows the marker is a prefix of the next height's messages: never a partial record
    expect(got).toEqual(expected.slice(0, got.length));
    if (walSynced >= end + 1n) expect(got).toEqual(expected);
    // the retained heights replay exactly
    for (let h = end > 5n ? end - 4n : 1n; h <= end; h++) {
      const r = wal.replayAfterEndHeight(h - 1n);
      if (!r.found) throw new Error(`no #ENDHEIGHT(${h - 1n}) in the WAL`);
      expect(r.messages.map((m) => utf8Decode(m))).toEqual(
        Array.from({ length: data.WAL_MESSAGES_PER_HEIGHT }, (_, i) =>
          utf8Decode(data.walMessage(h, i)),
        ),
      );
      expect(r.nextEndHeight).toBe(h);
    }
  } finally {
    wal.close();
  }
  return height;
}

describe("crash safety with real processes and SIGKILL", () => {
  test(`blocks, state and WAL survive ${BLOCK_KILLS} kills at random moments`, async () => {
    const dir = tempDir("qos-crash-");
    const dataDir = join(dir, "data");
    const walDir = join(dir, "cs.wal");
    const random = seededRandom(0x5eed);
    let height = 0n;
    let killedAfterDurable = 0;
    for (let run = 0; run < BLOCK_KILLS; run++) {
      // even runs: kill anywhere from startup on; odd runs: once a block is durable
      const waitFor = run % 2 === 0 ? /^ready /m : /^durable /m;
      const lines = await runAndKill(
        CHILD,
        ["blocks", dataDir, walDir],
        waitFor,
        Math.floor(random() * 150),
      );
      if (lines.some((l) => l.startsWith("durable "))) killedAfterDurable++;
      height = await verifyBlocksAndWal(dataDir, walDir, lines, height);
    }
    expect(killedAfterDurable).toBeGreaterThanOrEqual(BLOCK_KILLS / 2);
    expect(height).toBeGreaterThanOrEqual(BigInt(BLOCK_KILLS / 2));
  }, 300_000);

  test(`the last-sign state is old or new, never corrupt, across ${SIGN_KILLS} kills`, async () => {
    const file = join(tempDir("qos-crash-sign-"), "priv_validator_state.json");
    const random = seededRandom(0xface);
    let last = { height: 0n, step: 0 };
    for (let run = 0; run < SIGN_KILLS; run++) {
      const lines = await runAndKill(
        CHILD,
        ["sign", file],
        /^signed /m,
        Math.floor(random() * 100),
      );
      let reported = last;
      for (const line of lines) {
        const [w, h, s] = line.split(" ");
        if (w === "signed") reported = { height: BigInt(h as string), step: Number(s) };
      }
      const lss = openLastSignState(file);
      expect(existsSync(`${file}.tmp`)).toBe(false);
      const now = lss.current();
      // at or one step past the last signature reported (the one being saved at the kill)
      const rank = (x: { height: bigint; step: number }) => x.height * 3n + BigInt(x.step);
      expect(rank(now)).toBeGreaterThanOrEqual(rank(reported));
      expect(rank(now) - rank(reported)).toBeLessThanOrEqual(1n);
      expect(now.signBytes).toEqual(data.signBytesFor(now.height, 0, now.step));
      expect(now.signature).toEqual(data.fakeSignature(data.signBytesFor(now.height, 0, now.step)));
      last = { height: now.height, step: now.step };
    }
    expect(last.height).toBeGreaterThan(0n);
  }, 300_000);
});
