// Test signers (our ed25519 and secp256k1 from @qos/crypto) and a helper that builds a signed
// CometBFT commit for a validator set, with chosen absent / nil / wrong-key signatures.

import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { ed25519KeyFromSeed, ed25519Sign, secp256k1PublicKey, secp256k1Sign } from "@qos/crypto";
import {
  type BlockID,
  BlockIDFlag,
  BlockIDSchema,
  type Commit,
  CommitSchema,
  CommitSigSchema,
  PartSetHeaderSchema,
  zeroGoTime,
} from "@qos/types";
import {
  commitVoteSignBytes,
  createValidator,
  type PubKey,
  type Validator,
  type ValidatorSet,
} from "../src/index.ts";

export interface TestSigner {
  readonly pubKey: PubKey;
  readonly validator: Validator;
  sign(message: Uint8Array): Uint8Array;
}

export function ed25519Signer(seedByte: number, power = 10n, salt = 0): TestSigner {
  const seed = new Uint8Array(32);
  seed[0] = seedByte & 0xff;
  seed[1] = (seedByte >> 8) & 0xff;
  seed[2] = salt;
  seed[31] = 7;
  const { publicKey, privateKey } = ed25519KeyFromSeed(seed);
  const pubKey: PubKey = { type: "ed25519", key: publicKey };
  return {
    pubKey,
    validator: createValidator(pubKey, power),
    sign: (m) => ed25519Sign(privateKey, m),
  };
}

export function secp256k1Signer(seedByte: number, power = 10n): TestSigner {
  const priv = new Uint8Array(32);
  priv[31] = (seedByte & 0xff) + 1;
  priv[0] = 0x11;
  const pubKey: PubKey = { type: "secp256k1", key: secp256k1PublicKey(priv, true) };
  return {
    pubKey,
    validator: createValidator(pubKey, power),
    sign: (m) => secp256k1Sign(priv, m),
  };
}

export function testBlockId(tag: number): BlockID {
  return create(BlockIDSchema, {
    hash: new Uint8Array(32).fill(tag),
    partSetHeader: create(PartSetHeaderSchema, {
      total: 1,
      hash: new Uint8Array(32).fill(tag ^ 0x5a),
    }),
  });
}

export type SigKind = "commit" | "nil" | "absent";

/**
 * A commit at (height, round) for blockId over `valSet`, one CommitSig per validator in set order.
 * `kinds[i]` picks each signature's flag (default "commit"); signers are looked up by address.
 */
export function signCommit(
  chainId: string,
  valSet: ValidatorSet,
  signers: readonly TestSigner[],
  height: bigint,
  round: number,
  blockId: BlockID,
  kinds: readonly SigKind[] = [],
): Commit {
  const byAddr = new Map(signers.map((s) => [s.validator.address.join(","), s]));
  const commit = create(CommitSchema, {
    height,
    round,
    blockId,
    signatures: valSet.validators.map((v, i) => {
      const kind = kinds[i] ?? "commit";
      if (kind === "absent") {
        return create(CommitSigSchema, {
          blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT,
          timestamp: zeroGoTime(),
        });
      }
      return create(CommitSigSchema, {
        blockIdFlag:
          kind === "commit" ? BlockIDFlag.BLOCK_ID_FLAG_COMMIT : BlockIDFlag.BLOCK_ID_FLAG_NIL,
        validatorAddress: v.address,
        timestamp: create(TimestampSchema, {
          seconds: 1_700_000_000n + BigInt(i),
          nanos: i * 1000,
        }),
      });
    }),
  });
  for (const [i, sig] of commit.signatures.entries()) {
    if (sig.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_ABSENT) continue;
    const signer = byAddr.get(sig.validatorAddress.join(","));
    if (signer === undefined) throw new Error("no signer for a validator of the set");
    sig.signature = signer.sign(commitVoteSignBytes(chainId, commit, i));
  }
  return commit;
}
