// A header fetched from a node and checked the way a light client checks one against a
// validator set: it hashes to the commit's block id, its validators hash matches the set the node
// serves for that height, and +2/3 of that set signed it. The set itself is the node's word (a
// light client would verify it by bisection from a trusted header).

import {
  headerHash,
  type ValidatorSet,
  validatorFromProto,
  validatorSetFromValidators,
  verifyCommit,
} from "@qos/consensus";
import {
  equalBytes,
  type Header,
  QosError,
  signedHeaderFromJson,
  validatorFromJson,
} from "@qos/types";
import type { NodeRpc } from "./nodeRpc.ts";

export const HEADER_CHECK_ERROR = "header_check_failed";

function fail(height: bigint, message: string): QosError {
  return new QosError(HEADER_CHECK_ERROR, `header ${height}: ${message}`);
}

/** `/validators?height=h`, every page, as a validator set. */
export async function fetchValidatorSet(rpc: NodeRpc, height: bigint): Promise<ValidatorSet> {
  const raw: unknown[] = [];
  for (let page = 1; ; page++) {
    const r = (await rpc.call("validators", {
      height: String(height),
      page: String(page),
      per_page: "100",
    })) as { validators?: unknown[]; total?: string };
    const vals = r.validators ?? [];
    raw.push(...vals);
    if (vals.length === 0 || raw.length >= Number(r.total ?? 0)) break;
  }
  const validators = raw.map((j, i) => {
    const proto = validatorFromJson(j, `validators[${i}]`);
    if (!proto.ok) throw fail(height, proto.error.message);
    const v = validatorFromProto(proto.value);
    if (!v.ok) throw fail(height, v.error.message);
    return v.value;
  });
  const set = validatorSetFromValidators(validators);
  if (!set.ok) throw fail(height, set.error.message);
  return set.value;
}

/** The header at `height`, checked against its commit and the node's validator set for it. */
export async function fetchVerifiedHeader(
  rpc: NodeRpc,
  chainId: string,
  height: bigint,
): Promise<Header> {
  const c = (await rpc.call("commit", { height: String(height) })) as { signed_header?: unknown };
  const sh = signedHeaderFromJson(c.signed_header);
  if (!sh.ok) throw fail(height, sh.error.message);
  const { header, commit } = sh.value;
  if (header === undefined || commit === undefined) throw fail(height, "no header or commit");
  if (header.height !== height || commit.height !== height)
    throw fail(height, `the node served height ${header.height}`);
  if (header.chainId !== chainId)
    throw fail(height, `chain id ${header.chainId}, expected ${chainId}`);
  const hash = headerHash(header);
  if (hash === null || !equalBytes(hash, commit.blockId?.hash ?? new Uint8Array()))
    throw fail(height, "the header does not hash to its commit's block id");
  const set = await fetchValidatorSet(rpc, height);
  if (!equalBytes(set.hash(), header.validatorsHash))
    throw fail(height, "the validator set does not match the header's validators_hash");
  const verdict = verifyCommit(chainId, set, commit.blockId, height, commit);
  if (!verdict.ok) throw fail(height, `commit does not verify: ${verdict.error.message}`);
  return header;
}

/**
 * Waits (polling every 250 ms, up to `timeoutMs`) for the node to commit `height`: the app hash
 * of state version H is in header H+1, so a proof at the latest height needs the next block.
 */
export async function waitForHeight(
  rpc: NodeRpc,
  height: bigint,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { latestHeight } = await rpc.status();
    if (latestHeight >= height) return;
    if (Date.now() > deadline)
      throw new QosError(
        HEADER_CHECK_ERROR,
        `the node did not reach height ${height} within ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
