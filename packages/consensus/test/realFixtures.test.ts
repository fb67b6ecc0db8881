// Golden vectors from a real CometBFT v0.38 chain (height 12 of chain-ORcSeX): header hash,
// validators hash, the 4 precommit signatures, the default consensus-params hash; then mutation
// tests showing that any single changed byte breaks verification.

import { clone, create, equals } from "@bufbuild/protobuf";
import { merkleRoot } from "@qos/crypto";
import {
  BlockParamsSchema,
  type Commit,
  CommitSchema,
  ConsensusParamsSchema,
  decodeWireMessage,
  encodeWireMessage,
  equalBytes,
  fromHex,
  type Header,
  HeaderSchema,
  toHex,
} from "@qos/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  commitHash,
  commitToVote,
  compareByVotingPower,
  consensusParamsHash,
  DEFAULT_TRUST_LEVEL,
  headerHash,
  headerLeaves,
  type Validator,
  ValidatorSet,
  validateCommit,
  validatorFromProto,
  validatorSetFromValidators,
  verifyCommit,
  verifyCommitLight,
  verifyCommitLightTrusting,
  voteSignBytes,
} from "../src/index.ts";
import { loadFixture12 } from "./fixtureLoader.ts";

const HEADER_HASH = "93232036CF95FF1890654092D560742F9305DD85F4FD80B3DFA71A1FF3A9B6D6";
const VALIDATORS_HASH = "3340D40CE35BC4A025795BBE753A1A1E0026D0904326DD20438ED0BE7A73EE94";

const fx = loadFixture12();

function fixtureValidators(): Validator[] {
  return fx.validators.map((vp) => {
    const v = validatorFromProto(vp);
    if (!v.ok) throw v.error;
    return v.value;
  });
}

function fixtureSet(): ValidatorSet {
  const s = validatorSetFromValidators(fixtureValidators());
  if (!s.ok) throw s.error;
  return s.value;
}

describe("CometBFT v0.38 fixture, height 12", () => {
  const valSet = fixtureSet();

  it("recomputes the header hash, equal to the commit's block id", () => {
    const h = headerHash(fx.header);
    expect(h).not.toBeNull();
    expect(toHex(h as Uint8Array)).toBe(HEADER_HASH);
    expect(toHex(fx.commit.blockId?.hash ?? new Uint8Array())).toBe(HEADER_HASH);
  });

  it("recomputes the validators hash, equal to header.validators_hash", () => {
    expect(toHex(valSet.hash())).toBe(VALIDATORS_HASH);
    expect(toHex(fx.header.validatorsHash)).toBe(VALIDATORS_HASH);
    expect(toHex(fx.header.nextValidatorsHash)).toBe(VALIDATORS_HASH);
  });

  it("reproduces the verified CanonicalVote sign bytes of §1.5", () => {
    const psh = "08DAFA6B9653A474F6D9C18302B904C15BF1D72FD4B1B72B6390D55AC0CCB3E8";
    const expected =
      "710802110C00000000000000" +
      `2248 0A20${HEADER_HASH} 1224 0801 1220${psh}` +
      "2A0C 08FFD98CC506 10A8B6E6B803 320C 636861696E2D4F5263536558";
    const sb = toHex(voteSignBytes(fx.chainId, commitToVote(fx.commit, 0)));
    expect(sb).toBe(expected.replaceAll(" ", ""));
  });

  it("verifies all 4 precommits with verifyCommit, Light and LightTrusting(1/3)", () => {
    expect(validateCommit(fx.commit).ok).toBe(true);
    const blockId = fx.commit.blockId;
    const full = verifyCommit(fx.chainId, valSet, blockId, 12n, fx.commit);
    expect(full).toEqual({ ok: true, value: { talliedPower: 4n, votingPowerNeeded: 2n } });
    const light = verifyCommitLight(fx.chainId, valSet, blockId, 12n, fx.commit);
    expect(light).toEqual({ ok: true, value: { talliedPower: 3n, votingPowerNeeded: 2n } });
    const trusting = verifyCommitLightTrusting(fx.chainId, valSet, fx.commit, DEFAULT_TRUST_LEVEL);
    expect(trusting).toEqual({ ok: true, value: { talliedPower: 2n, votingPowerNeeded: 1n } });
  });

  it("computes the default consensus params hash 048091BC…A22F", () => {
    const params = create(ConsensusParamsSchema, {
      block: create(BlockParamsSchema, { maxBytes: 22020096n, maxGas: -1n }),
    });
    const h = toHex(consensusParamsHash(params));
    expect(h.startsWith("048091BC")).toBe(true);
    expect(h.endsWith("A22F")).toBe(true);
    expect(h).toBe("048091BC7DDC283F77BFBF91D73C44DA58C3DF8A9CBC867405D8B7F3DAADA22F");
  });

  it("has a last commit hash and last block id that are well-formed", () => {
    expect(fx.header.lastCommitHash.length).toBe(32);
    expect(commitHash(fx.commit)).not.toBeNull();
  });
});

/** A set built without validation, to show the later checks catch what construction would. */
function forceSet(vals: readonly Validator[]): ValidatorSet {
  const total = vals.reduce((t, v) => t + v.votingPower, 0n);
  return new ValidatorSet([...vals].sort(compareByVotingPower), total);
}

/** Every byte position of every header leaf, as (leaf, byte) pairs. */
function headerBytePositions(header: Header): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  headerLeaves(header).forEach((leaf, i) => {
    for (let b = 0; b < leaf.length; b++) out.push([i, b]);
  });
  return out;
}

describe("mutations of the fixture break verification", () => {
  const valSet = fixtureSet();
  const expected = fromHex(HEADER_HASH) as Uint8Array;

  /** Applies `mutate` to a copy of the header, then checks its hash no longer matches the commit. */
  function headerStillVerifies(mutate: (h: Header) => void): boolean {
    const h = clone(HeaderSchema, fx.header);
    mutate(h);
    const hash = headerHash(h);
    return hash !== null && toHex(hash) === toHex(expected);
  }

  const byteFields = [
    "lastCommitHash",
    "dataHash",
    "validatorsHash",
    "nextValidatorsHash",
    "consensusHash",
    "appHash",
    "lastResultsHash",
    "evidenceHash",
    "proposerAddress",
  ] as const;

  it("flipping any bit of any byte field, the chain id, height, time or last block id changes the hash", () => {
    let mutations = 0;
    for (const field of byteFields) {
      for (let i = 0; i < fx.header[field].length; i++) {
        for (const bit of [0x01, 0x80]) {
          mutations++;
          expect(
            headerStillVerifies((h) => {
              const bytes = h[field].slice();
              bytes[i] = (bytes[i] as number) ^ bit;
              h[field] = bytes;
            }),
          ).toBe(false);
        }
      }
    }
    for (let i = 0; i < fx.header.chainId.length; i++) {
      mutations++;
      expect(
        headerStillVerifies((h) => {
          const c = h.chainId.charCodeAt(i) ^ 1;
          h.chainId = h.chainId.slice(0, i) + String.fromCharCode(c) + h.chainId.slice(i + 1);
        }),
      ).toBe(false);
    }
    for (const delta of [1n, -1n, 1n << 32n]) {
      mutations++;
      expect(
        headerStillVerifies((h) => {
          h.height += delta;
        }),
      ).toBe(false);
    }
    for (const [s, n] of [
      [1n, 0],
      [0n, 1],
      [-1n, 0],
      [0n, 1000],
    ] as const) {
      mutations++;
      expect(
        headerStillVerifies((h) => {
          if (h.time === undefined) throw new Error("fixture header has a time");
          h.time.seconds += s;
          h.time.nanos += n;
        }),
      ).toBe(false);
    }
    for (let i = 0; i < 32; i++) {
      mutations += 2;
      expect(
        headerStillVerifies((h) => {
          const bid = h.lastBlockId;
          if (bid === undefined) throw new Error("fixture has a last block id");
          bid.hash = bid.hash.slice();
          bid.hash[i] = (bid.hash[i] as number) ^ 1;
        }),
      ).toBe(false);
      expect(
        headerStillVerifies((h) => {
          const psh = h.lastBlockId?.partSetHeader;
          if (psh === undefined) throw new Error("fixture has a part set header");
          psh.hash = psh.hash.slice();
          psh.hash[i] = (psh.hash[i] as number) ^ 1;
        }),
      ).toBe(false);
    }
    for (const m of [
      (h: Header) => {
        if (h.version) h.version.block += 1n;
      },
      (h: Header) => {
        if (h.version) h.version.app += 1n;
      },
    ]) {
      mutations++;
      expect(headerStillVerifies(m)).toBe(false);
    }
    expect(mutations).toBeGreaterThan(500);
  });

  it("flipping any byte of the header's or the commit's proto encoding fails verification unless it decodes to the same message", () => {
    const headerBytes = encodeWireMessage(HeaderSchema, fx.header);
    const commitBytes = encodeWireMessage(CommitSchema, fx.commit);
    /** The whole check a verifier runs: header hash = commit block id, and the commit verifies. */
    const verifies = (header: Header, commit: Commit): boolean => {
      const h = headerHash(header);
      if (h === null || !equalBytes(h, commit.blockId?.hash ?? new Uint8Array())) return false;
      if (!validateCommit(commit).ok) return false;
      return verifyCommit(header.chainId, valSet, commit.blockId, header.height, commit).ok;
    };
    expect(verifies(fx.header, fx.commit)).toBe(true);
    let rejected = 0;
    let sameMessage = 0;
    for (const x of [0x01, 0x80, 0xff]) {
      for (let i = 0; i < headerBytes.length; i++) {
        const b = headerBytes.slice();
        b[i] = (b[i] as number) ^ x;
        const h = decodeWireMessage(HeaderSchema, b);
        if (!h.ok) rejected++;
        else if (equals(HeaderSchema, h.value, fx.header)) sameMessage++;
        else expect(verifies(h.value, fx.commit)).toBe(false);
      }
      for (let i = 0; i < commitBytes.length; i++) {
        const b = commitBytes.slice();
        b[i] = (b[i] as number) ^ x;
        const c = decodeWireMessage(CommitSchema, b);
        if (!c.ok) rejected++;
        else if (equals(CommitSchema, c.value, fx.commit)) sameMessage++;
        else expect(verifies(fx.header, c.value)).toBe(false);
      }
    }
    // The decoder (protobuf-es) reads a tag whose wire-type bit was flipped as the same field, so a
    // few flips decode to the identical message; verification is about the decoded content.
    expect(sameMessage).toBeLessThan(100);
    expect(rejected).toBeGreaterThan(0);
  });

  it("changing any single byte of the encoded header leaves changes the hash (property)", () => {
    const positions = headerBytePositions(fx.header);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: positions.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (pos, x) => {
          const [leafIdx, byteIdx] = positions[pos] as [number, number];
          const leaves = headerLeaves(fx.header).map((l) => l.slice());
          const leaf = leaves[leafIdx] as Uint8Array;
          leaf[byteIdx] = (leaf[byteIdx] as number) ^ x;
          // Rebuild the root from the mutated leaves, exactly as headerHash does.
          return toHex(merkleRoot(leaves)) !== HEADER_HASH;
        },
      ),
      { numRuns: 300 },
    );
  });

  /** The commit with one signature byte xor-ed. */
  function withSigByte(commit: Commit, sigIdx: number, byteIdx: number, x: number): Commit {
    const c = clone(CommitSchema, commit);
    const sig = c.signatures[sigIdx];
    if (sig === undefined) throw new Error("no such signature");
    sig.signature = sig.signature.slice();
    sig.signature[byteIdx] = (sig.signature[byteIdx] as number) ^ x;
    return c;
  }

  it("flipping any byte of any signature fails verifyCommit (all 4 × 64 bytes)", () => {
    for (let s = 0; s < fx.commit.signatures.length; s++) {
      for (let b = 0; b < 64; b++) {
        const c = withSigByte(fx.commit, s, b, 0x01);
        const r = verifyCommit(fx.chainId, valSet, fx.commit.blockId, 12n, c);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.code).toBe("invalid_signature");
      }
    }
  });

  it("a corrupted signature with the others intact still fails Light when it is reached", () => {
    // Light stops once > 2/3 is reached (3 of 4), so a bad 4th signature is never read.
    const bad0 = withSigByte(fx.commit, 0, 10, 0xff);
    expect(verifyCommitLight(fx.chainId, valSet, fx.commit.blockId, 12n, bad0).ok).toBe(false);
    const bad3 = withSigByte(fx.commit, 3, 10, 0xff);
    expect(verifyCommitLight(fx.chainId, valSet, fx.commit.blockId, 12n, bad3).ok).toBe(true);
    expect(verifyCommit(fx.chainId, valSet, fx.commit.blockId, 12n, bad3).ok).toBe(false);
  });

  it("changing any byte of any validator pubkey changes the validators hash and fails verification", () => {
    const vals = fixtureValidators();
    for (let v = 0; v < vals.length; v++) {
      for (let b = 0; b < 32; b++) {
        const mutated = vals.map((val, i) => {
          if (i !== v) return val;
          const key = val.pubKey.key.slice();
          key[b] = (key[b] as number) ^ 0x01;
          return { ...val, pubKey: { type: val.pubKey.type, key } };
        });
        // The address no longer derives from the key: rejected at construction.
        expect(validatorSetFromValidators(mutated).ok).toBe(false);
        // Even if someone kept the old address, the signature and hash checks catch it.
        const forced = forceSet(mutated);
        expect(toHex(forced.hash())).not.toBe(VALIDATORS_HASH);
        const r = verifyCommit(fx.chainId, forced, fx.commit.blockId, 12n, fx.commit);
        expect(r.ok).toBe(false);
      }
    }
  });

  it("changing any validator's power changes the validators hash", () => {
    const vals = fixtureValidators();
    for (let v = 0; v < vals.length; v++) {
      for (const p of [0n, 2n, 3n, 1n << 40n]) {
        const mutated = vals.map((val, i) => (i === v ? { ...val, votingPower: p } : val));
        const s = validatorSetFromValidators(mutated);
        if (!s.ok) continue;
        expect(toHex(s.value.hash())).not.toBe(VALIDATORS_HASH);
      }
    }
  });

  it("the wrong height, block id or chain id fails", () => {
    const r1 = verifyCommit(fx.chainId, valSet, fx.commit.blockId, 13n, fx.commit);
    expect(!r1.ok && r1.error.code).toBe("wrong_height");
    const other = clone(CommitSchema, fx.commit).blockId;
    if (other === undefined) throw new Error("commit has a block id");
    other.hash = other.hash.slice();
    other.hash[0] = (other.hash[0] as number) ^ 1;
    const r2 = verifyCommit(fx.chainId, valSet, other, 12n, fx.commit);
    expect(!r2.ok && r2.error.code).toBe("wrong_block_id");
    const r3 = verifyCommit("chain-ORcSeY", valSet, fx.commit.blockId, 12n, fx.commit);
    expect(!r3.ok && r3.error.code).toBe("invalid_signature");
    // A commit whose own block id was tampered with no longer matches its signatures.
    const tampered = clone(CommitSchema, fx.commit);
    if (tampered.blockId === undefined) throw new Error("commit has a block id");
    tampered.blockId.hash = other.hash;
    const r4 = verifyCommit(fx.chainId, valSet, tampered.blockId, 12n, tampered);
    expect(!r4.ok && r4.error.code).toBe("invalid_signature");
    const r5 = verifyCommitLightTrusting(fx.chainId, valSet, tampered, DEFAULT_TRUST_LEVEL);
    expect(!r5.ok && r5.error.code).toBe("invalid_signature");
  });
});
