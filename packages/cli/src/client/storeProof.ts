// Checks proofs a node returned with abci_query against the app hash of a header signed by +2/3
// of the validators (the state after block H is committed to by header H+1):
//   - a store proof (`/store/NAME/key`): the ICS-23 ops must prove `value` (or its absence) at
//     `key` of a module store;
//   - a proven gRPC-style query: the ops prove every key and range the app's handler read, and
//     the same handler, run here over the proven facts alone, must give the node's answer.

import { qosQueryHandlers, verifyQueryAnswer } from "@qos/app";
import { verifyStoreProof } from "@qos/crypto";
import { type Header, QosError } from "@qos/types";
import type { AbciQueryResult, NodeRpc } from "./nodeRpc.ts";
import { fetchVerifiedHeader, waitForHeight } from "./verifiedHeader.ts";

export const PROOF_ERROR = { missing: "proof_missing", invalid: "proof_invalid" } as const;

export interface CheckedProof {
  readonly headerHeight: bigint;
  readonly appHash: Uint8Array;
  readonly ops: readonly string[];
}

export async function checkStoreProof(
  rpc: NodeRpc,
  p: {
    readonly storeName: string;
    readonly key: Uint8Array;
    /** undefined: the proof must show the key is absent. */
    readonly value: Uint8Array | undefined;
    readonly proofOps: AbciQueryResult["proofOps"];
    /** The state version the query answered at. */
    readonly height: bigint;
  },
): Promise<CheckedProof> {
  if (p.proofOps.length === 0)
    throw new QosError(PROOF_ERROR.missing, "the node returned no proof");
  const { header, headerHeight } = await headerCommitting(rpc, p.height);
  const verdict = verifyStoreProof({
    appHash: header.appHash,
    storeName: p.storeName,
    key: p.key,
    value: p.value,
    proofOps: p.proofOps,
  });
  if (!verdict.ok)
    throw new QosError(
      PROOF_ERROR.invalid,
      `the proof does not verify against the app hash of header ${headerHeight}: ${verdict.message}`,
    );
  return { headerHeight, appHash: header.appHash, ops: p.proofOps.map((o) => o.type) };
}

/** The verified header committing to the state at `height` (waits for it to exist). */
async function headerCommitting(
  rpc: NodeRpc,
  height: bigint,
): Promise<{ header: Header; headerHeight: bigint; chainId: string }> {
  const headerHeight = height + 1n;
  const { chainId } = await rpc.status();
  await waitForHeight(rpc, headerHeight);
  const header = await fetchVerifiedHeader(rpc, chainId, headerHeight);
  return { header, headerHeight, chainId };
}

/** The app's query handlers, built on the first proven query (every page of a list reuses them). */
let handlers: ReturnType<typeof qosQueryHandlers> | undefined;

/**
 * Checks a proven answer of the app's gRPC-style query `path` (request bytes `request`): success
 * or failure, the node's answer must be what the app's handler gives over the proven reads.
 */
export async function checkQueryProof(
  rpc: NodeRpc,
  path: string,
  request: Uint8Array,
  raw: AbciQueryResult,
): Promise<CheckedProof> {
  handlers ??= qosQueryHandlers();
  const handler = handlers.get(path);
  if (handler === undefined)
    throw new QosError(
      PROOF_ERROR.invalid,
      `no query ${path} in this client to check a proof with`,
    );
  const { header, headerHeight, chainId } = await headerCommitting(rpc, raw.height);
  const verdict = verifyQueryAnswer({
    appHash: header.appHash,
    chainId,
    height: raw.height,
    handler,
    request,
    code: raw.code,
    codespace: raw.codespace,
    log: raw.log,
    value: raw.value,
    proofOps: raw.proofOps,
  });
  if (!verdict.ok) {
    throw new QosError(
      raw.proofOps.length === 0 ? PROOF_ERROR.missing : PROOF_ERROR.invalid,
      raw.proofOps.length === 0
        ? `the node returned no proof (${verdict.message})`
        : `the answer is not proven by header ${headerHeight}: ${verdict.message}`,
    );
  }
  return { headerHeight, appHash: header.appHash, ops: raw.proofOps.map((o) => o.type) };
}
