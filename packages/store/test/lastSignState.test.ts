import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { concatBytes, equalBytes, utf8Encode } from "@qos/types";
import { describe, expect, test } from "vitest";
import {
  decodeLastSignState,
  encodeLastSignState,
  isLastSignError,
  type LastSignState,
  openLastSignState,
  SIGN_STEP,
  type SignRequest,
} from "../src/lastSignState.ts";
import { tempDir } from "./tempDir.ts";

const code = (c: string) => expect.objectContaining({ name: "QosError", code: c });

// Stand-in sign bytes: "vote|h|r|s|block" ‖ 8-byte timestamp. The node's real comparator
// decodes CanonicalVote/CanonicalProposal; this one ignores the trailing 8 bytes.
const TS = 8;
function signBytes(h: bigint, r: number, s: number, block: string, ts = 1000): Uint8Array {
  const t = new Uint8Array(TS);
  new DataView(t.buffer).setBigUint64(0, BigInt(ts));
  return concatBytes(utf8Encode(`vote|${h}|${r}|${s}|${block}`), t);
}
const sameExceptTimestamp = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && equalBytes(a.subarray(0, a.length - TS), b.subarray(0, b.length - TS));

let signCalls = 0;
const fakeSign = (bytes: Uint8Array) => {
  signCalls++;
  return concatBytes(utf8Encode("sig:"), bytes);
};

function req(h: bigint, r: number, s: 1 | 2 | 3, block = "B", ts = 1000): SignRequest {
  return { height: h, round: r, step: s, signBytes: signBytes(h, r, s, block, ts) };
}

function sign(lss: LastSignState, r: SignRequest) {
  return lss.sign(r, fakeSign, sameExceptTimestamp);
}

function fresh(): { path: string; lss: LastSignState } {
  const path = join(tempDir(), "priv_validator_state.json");
  return { path, lss: openLastSignState(path, { createIfMissing: true }) };
}

describe("last sign state file", () => {
  test("a new file has CometBFT's initial shape", () => {
    const { path, lss } = fresh();
    expect(readFileSync(path, "utf8")).toBe('{\n  "height": "0",\n  "round": 0,\n  "step": 0\n}');
    expect(lss.current()).toEqual({ height: 0n, round: 0, step: 0 });
  });

  test("after signing: height string, round/step numbers, base64 signature, upper-case hex signbytes", () => {
    const { path, lss } = fresh();
    expect(sign(lss, req(5n, 2, SIGN_STEP.precommit)).reused).toBe("none");
    const json = JSON.parse(readFileSync(path, "utf8"));
    expect(json).toEqual({
      height: "5",
      round: 2,
      step: 3,
      signature: Buffer.from(fakeSign(req(5n, 2, 3).signBytes)).toString("base64"),
      signbytes: Buffer.from(req(5n, 2, 3).signBytes)
        .toString("hex")
        .toUpperCase(),
    });
  });

  test("reads a file as CometBFT writes it (lower-case hex accepted too)", () => {
    const text = JSON.stringify({
      height: "12345678901",
      round: 0,
      step: 2,
      signature: "AQID",
      signbytes: "0a0b0C",
    });
    expect(decodeLastSignState(text)).toEqual({
      height: 12345678901n,
      round: 0,
      step: 2,
      signature: Uint8Array.of(1, 2, 3),
      signBytes: Uint8Array.of(10, 11, 12),
    });
    const value = decodeLastSignState(text);
    expect(decodeLastSignState(encodeLastSignState(value))).toEqual(value);
  });

  test("a missing file is an error unless creating a new validator", () => {
    const path = join(tempDir(), "data", "priv_validator_state.json");
    expect(() => openLastSignState(path)).toThrow(code("last_sign_state_missing"));
    expect(existsSync(path)).toBe(false);
    expect(openLastSignState(path, { createIfMissing: true }).current().height).toBe(0n);
    expect(existsSync(path)).toBe(true);
  });

  test("a corrupt file is a clear error, never a silent reset", () => {
    const dir = tempDir();
    const cases = [
      "",
      "{",
      "[]",
      '{"height":5,"round":0,"step":0}',
      '{"height":"-1","round":0,"step":0}',
      '{"height":"99999999999999999999","round":0,"step":0}',
      '{"height":"1","round":-1,"step":0}',
      '{"height":"1","round":0,"step":4}',
      '{"height":"1","round":0,"step":2,"signature":"AQID"}',
      '{"height":"1","round":0,"step":2,"signature":"!!","signbytes":"00"}',
      '{"height":"1","round":0,"step":2,"signature":"AQID","signbytes":"zz"}',
    ];
    cases.forEach((text, i) => {
      const path = join(dir, `state-${i}.json`);
      writeFileSync(path, text);
      expect(() => openLastSignState(path), text).toThrow(code("store_corrupt"));
      expect(readFileSync(path, "utf8")).toBe(text);
    });
  });
});

describe("sign: double-sign protection (privval CheckHRS)", () => {
  test("signs upwards in height, round and step", () => {
    const { lss } = fresh();
    for (const r of [req(1n, 0, 1), req(1n, 0, 2), req(1n, 0, 3), req(1n, 1, 2), req(2n, 0, 1)]) {
      expect(sign(lss, r)).toEqual({
        signature: fakeSign(r.signBytes),
        signBytes: r.signBytes,
        reused: "none",
      });
    }
    expect(lss.current()).toMatchObject({ height: 2n, round: 0, step: 1 });
  });

  test("refuses regressions with typed errors and does not call the signer", () => {
    const { lss } = fresh();
    sign(lss, req(10n, 3, SIGN_STEP.prevote));
    const before = signCalls;
    expect(() => sign(lss, req(9n, 5, 3))).toThrow(code("height_regression"));
    expect(() => sign(lss, req(10n, 2, 3))).toThrow(code("round_regression"));
    expect(() => sign(lss, req(10n, 3, SIGN_STEP.propose))).toThrow(code("step_regression"));
    expect(signCalls).toBe(before);
    expect(() => sign(lss, req(9n, 0, 1))).toThrow("height regression. Got 9, last height 10");
    let caught: unknown;
    try {
      sign(lss, req(9n, 0, 1));
    } catch (error) {
      caught = error;
    }
    expect(isLastSignError(caught)).toBe(true);
    expect(isLastSignError(new Error("x"))).toBe(false);
    expect(lss.current()).toMatchObject({ height: 10n, round: 3, step: 2 });
  });

  test("same HRS and same bytes: the stored signature, no new signing", () => {
    const { lss } = fresh();
    const first = sign(lss, req(3n, 0, 2));
    const before = signCalls;
    const again = sign(lss, req(3n, 0, 2));
    expect(signCalls).toBe(before);
    expect(again).toEqual({
      signature: first.signature,
      signBytes: req(3n, 0, 2).signBytes,
      reused: "identical",
    });
  });

  test("same HRS, only the timestamp differs: stored signature and stored sign bytes (old timestamp)", () => {
    const { lss } = fresh();
    const first = sign(lss, req(3n, 0, 3, "B", 1000));
    const later = sign(lss, req(3n, 0, 3, "B", 2000));
    expect(later).toEqual({
      signature: first.signature,
      signBytes: signBytes(3n, 0, 3, "B", 1000),
      reused: "timestamp",
    });
  });

  test("same HRS, different block: conflicting data", () => {
    const { lss } = fresh();
    sign(lss, req(3n, 0, 3, "B"));
    expect(() => sign(lss, req(3n, 0, 3, "OTHER"))).toThrow(code("conflicting_data"));
    expect(lss.current().signBytes).toEqual(req(3n, 0, 3, "B").signBytes);
  });

  test("same HRS as a state without sign bytes: refused (CometBFT 'no SignBytes found')", () => {
    const path = join(tempDir(), "s.json");
    writeFileSync(path, JSON.stringify({ height: "4", round: 0, step: 2 }));
    expect(() => sign(openLastSignState(path), req(4n, 0, 2))).toThrow(code("no_sign_bytes"));
  });

  test("persisted before it is returned and read back on reopen", () => {
    const { path, lss } = fresh();
    sign(lss, req(7n, 1, 2, "B", 1000));
    const reopened = openLastSignState(path);
    expect(reopened.current()).toEqual(lss.current());
    expect(() => sign(reopened, req(7n, 1, 1))).toThrow(code("step_regression"));
    expect(() => sign(reopened, req(7n, 1, 2, "X"))).toThrow(code("conflicting_data"));
    expect(sign(reopened, req(7n, 1, 2, "B", 5)).reused).toBe("timestamp");
  });

  test("a signer that throws leaves the state as it was", () => {
    const { path, lss } = fresh();
    sign(lss, req(1n, 0, 1));
    const before = readFileSync(path, "utf8");
    expect(() =>
      lss.sign(
        req(2n, 0, 1),
        () => {
          throw new Error("hsm unplugged");
        },
        sameExceptTimestamp,
      ),
    ).toThrow("hsm unplugged");
    expect(readFileSync(path, "utf8")).toBe(before);
    expect(lss.current().height).toBe(1n);
  });

  test("bad requests are bugs", () => {
    const { lss } = fresh();
    expect(() => sign(lss, { ...req(1n, 0, 1), height: 0n })).toThrow(
      code("store_invalid_argument"),
    );
    expect(() => sign(lss, { ...req(1n, 0, 1), round: -1 })).toThrow(
      code("store_invalid_argument"),
    );
    expect(() => sign(lss, { ...req(1n, 0, 1), step: 4 as 1 })).toThrow(
      code("store_invalid_argument"),
    );
    expect(() => sign(lss, { ...req(1n, 0, 1), signBytes: new Uint8Array(0) })).toThrow(
      code("store_invalid_argument"),
    );
  });

  test("a temp file left by a crash during a save is discarded on open", () => {
    const { path, lss } = fresh();
    sign(lss, req(2n, 0, 1));
    writeFileSync(`${path}.tmp`, "{ half written");
    const reopened = openLastSignState(path);
    expect(reopened.current().height).toBe(2n);
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });
});
