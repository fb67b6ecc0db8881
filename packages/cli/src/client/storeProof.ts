// Checks a store proof a node returned with abci_query: the ICS-23 ops must prove `value` (or
// its absence) at `key` of a module store against the app hash of a header signed by +2/3 of
// the validators (the state after block H is committed to by header H+1).

import { verifyStoreProof } from "@qos/crypto";
import { QosError } from "@qos/types";
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
  const headerHeight = p.height + 1n;
  const { chainId } = await rpc.status();
  await waitForHeight(rpc, headerHeight);
  const header = await fetchVerifiedHeader(rpc, chainId, headerHeight);
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
