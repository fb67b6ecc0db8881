// "A change decided at height H takes effect at H+2, and a voting power of 0 removes the
// validator": kvstore `val:` txs on a single-validator chain, checked through /validators,
// /block_results, /commit and the blocks' proposers while the chain keeps committing.

import { Comet38Client } from "@cosmjs/tendermint-rpc";
import { verifyCommit } from "@qos/consensus";
import { ed25519Address, ed25519KeyFromSeed } from "@qos/crypto";
import { signedHeaderFromJson, toBase64, toHex } from "@qos/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type JsonRpcReply,
  latestHeight,
  rpcCall,
  rpcReply,
  type SingleNodeChain,
  startSingleNodeChain,
  txBase64,
  validatorSetAt,
  waitFor,
  waitForHeight,
  waitForTx,
} from "./harness.ts";

const CHAIN_ID = "e2e-valupdates-1";

let chain: SingleNodeChain;
/** The genesis validator (power 10): base64 pubkey and hex address. */
let genesisPub: string;
let genesisAddr: string;
/** The validator the test adds and removes (no process runs it: it never signs). */
const newKey = ed25519KeyFromSeed(new Uint8Array(32).fill(42));
const newPub = toBase64(newKey.publicKey);
const newAddr = toHex(ed25519Address(newKey.publicKey));
const otherPub = toBase64(ed25519KeyFromSeed(new Uint8Array(32).fill(43)).publicKey);
let client: Comet38Client;

beforeAll(async () => {
  chain = await startSingleNodeChain({ prefix: "qos-e2e-vals-", chainId: CHAIN_ID });
  const g = await rpcCall<{
    genesis: { validators: { address: string; pub_key: { value: string }; power: string }[] };
  }>(chain.rpc, "genesis");
  const v = g.genesis.validators[0];
  if (v === undefined || g.genesis.validators.length !== 1) throw new Error("expected 1 validator");
  expect(v.power).toBe("10");
  genesisPub = v.pub_key.value;
  genesisAddr = v.address;
  client = await Comet38Client.connect(chain.rpc);
});

afterAll(async () => {
  client?.disconnect();
  await chain?.close();
});

interface CommitResult {
  height: bigint;
  code: number;
  log: string;
}

async function commitTx(text: string): Promise<CommitResult> {
  const r = await rpcCall<{
    check_tx: { code: number; log?: string };
    tx_result: { code?: number; log?: string };
    height: string;
  }>(chain.rpc, "broadcast_tx_commit", { tx: txBase64(text) });
  expect(r.check_tx.code).toBe(0);
  return { height: BigInt(r.height), code: r.tx_result.code ?? 0, log: r.tx_result.log ?? "" };
}

async function validatorsAt(height: bigint) {
  const r = await rpcCall<{
    block_height: string;
    validators: { address: string; voting_power: string; proposer_priority: string }[];
    total: string;
  }>(chain.rpc, "validators", { height: String(height) });
  expect(r.block_height).toBe(String(height));
  return r.validators;
}

async function blockResults(height: bigint) {
  return await rpcCall<{
    validator_updates:
      | { pub_key: { Sum: { type: string; value: { ed25519: string } } }; power?: string }[]
      | null;
    txs_results: { code?: number }[] | null;
  }>(chain.rpc, "block_results", { height: String(height) });
}

/** /commit at h verified against /validators at h with our verifier; returns the commit round. */
async function verifiedCommit(h: bigint): Promise<{ round: number; flags: number[] }> {
  const c = await rpcCall<{ signed_header: unknown }>(chain.rpc, "commit", { height: String(h) });
  const sh = signedHeaderFromJson(c.signed_header);
  if (!sh.ok) throw sh.error;
  const { header, commit } = sh.value;
  if (header === undefined || commit === undefined) throw new Error(`no signed header at ${h}`);
  const { set } = await validatorSetAt(chain.rpc, h);
  expect(toHex(set.hash())).toBe(toHex(header.validatorsHash));
  const verdict = verifyCommit(CHAIN_ID, set, commit.blockId, h, commit);
  if (!verdict.ok) throw new Error(`commit ${h}: ${verdict.error.message}`);
  return { round: commit.round, flags: commit.signatures.map((s) => s.blockIdFlag) };
}

describe("validator updates through kvstore val: txs", () => {
  let added: bigint;
  let removed: bigint;

  it("val:<key>!1 committed at H: /validators shows 1 validator at H+1 and 2 at H+2", async () => {
    const r = await commitTx(`val:${newPub}!1`);
    expect(r.code).toBe(0);
    const h = r.height;
    added = h;

    // block_results of H lists the update in CometBFT's JSON shape.
    const res = await blockResults(h);
    expect(res.validator_updates).toEqual([
      {
        pub_key: {
          Sum: { type: "tendermint.crypto.PublicKey_Ed25519", value: { ed25519: newPub } },
        },
        power: "1",
      },
    ]);

    // /validators?height=H+2 exists as soon as H is committed (the next height's next set);
    // wait for H+2 anyway so the block of H+2 can be checked too.
    await waitForHeight(chain.rpc, h + 2n);
    expect((await validatorsAt(h)).length).toBe(1);
    const atH1 = await validatorsAt(h + 1n);
    expect(atH1.map((v) => v.address)).toEqual([genesisAddr]);
    expect(atH1[0]?.proposer_priority).toBe("0");

    const atH2 = await validatorsAt(h + 2n);
    expect(atH2.length).toBe(2);
    // Sorted by power (desc): the genesis validator first, then the new one.
    expect(atH2.map((v) => [v.address, v.voting_power])).toEqual([
      [genesisAddr, "10"],
      [newAddr, "1"],
    ]);
    // Proposer priorities by CometBFT's rules (reference §1.7): the new validator starts at
    // -(T + T>>3) = -12 with T = 11; re-centring gives (6, -6); IncrementProposerPriority(1)
    // adds the powers (16, -5), picks the genesis validator and subtracts 11: (5, -5).
    expect(atH2.map((v) => v.proposer_priority)).toEqual(["5", "-5"]);

    // Headers: H+1 still names the 1-validator set and announces the 2-validator one.
    const { set: set1 } = await validatorSetAt(chain.rpc, h + 1n);
    const { set: set2 } = await validatorSetAt(chain.rpc, h + 2n);
    const header = async (height: bigint) =>
      (
        await rpcCall<{
          block: { header: { validators_hash: string; next_validators_hash: string } };
        }>(chain.rpc, "block", { height: String(height) })
      ).block.header;
    const hdr1 = await header(h + 1n);
    expect(hdr1.validators_hash).toBe(toHex(set1.hash()));
    expect(hdr1.next_validators_hash).toBe(toHex(set2.hash()));
    const hdrH = await header(h);
    expect(hdrH.next_validators_hash).toBe(toHex(set1.hash()));
    expect((await header(h + 2n)).validators_hash).toBe(toHex(set2.hash()));
  });

  it("the chain keeps committing with 10 of 11 power, the new validator absent from commits", async ({
    annotate,
  }) => {
    const from = added + 2n;
    // Eleven heights: the new validator (power 1 of 11) is the round-0 proposer at one of them,
    // where round 0 times out and the genesis validator proposes in a later round.
    const to = from + 11n;
    await waitForHeight(chain.rpc, to, 60_000);
    let laterRounds = 0;
    for (let h = from; h <= to; h++) {
      const { round, flags } = await verifiedCommit(h);
      // Index 0: the genesis validator signed (Commit = 2); index 1: the new one is absent (1).
      expect(flags).toEqual([2, 1]);
      if (round > 0) laterRounds++;
      const b = await rpcCall<{ block: { header: { proposer_address: string } } }>(
        chain.rpc,
        "block",
        { height: String(h) },
      );
      expect(b.block.header.proposer_address).toBe(genesisAddr);
    }
    expect(laterRounds).toBeGreaterThanOrEqual(1);
    await annotate(
      `verified commits ${from}..${to}; ${laterRounds} height(s) needed round > 0 (absent proposer)`,
    );
  }, 90_000);

  it("val:<same key>!0 committed at H2 removes it from H2+2 on", async () => {
    const r = await commitTx(`val:${newPub}!0`);
    expect(r.code).toBe(0);
    const h = r.height;
    removed = h;
    const res = await blockResults(h);
    // Power 0 is omitted, as CometBFT's omitempty JSON does; cosmjs reads it as 0.
    expect(res.validator_updates).toEqual([
      {
        pub_key: {
          Sum: { type: "tendermint.crypto.PublicKey_Ed25519", value: { ed25519: newPub } },
        },
      },
    ]);
    const viaCosmjs = await client.blockResults(Number(h));
    expect(viaCosmjs.validatorUpdates.map((u) => [toBase64(u.pubkey.data), u.votingPower])).toEqual(
      [[newPub, 0n]],
    );
    await waitForHeight(chain.rpc, h + 3n, 60_000);
    expect((await validatorsAt(h + 1n)).length).toBe(2);
    const after = await validatorsAt(h + 2n);
    expect(after.map((v) => [v.address, v.voting_power, v.proposer_priority])).toEqual([
      [genesisAddr, "10", "0"],
    ]);
    // The commits follow the sets: two signatures at H2+1, one from H2+2 on.
    expect((await verifiedCommit(h + 1n)).flags).toEqual([2, 1]);
    expect((await verifiedCommit(h + 2n)).flags).toEqual([2]);
    expect((await verifiedCommit(h + 3n)).flags).toEqual([2]);
    // The app agrees: only the genesis validator is left.
    const q = await rpcCall<{ response: { value?: string } }>(chain.rpc, "abci_query", {
      path: "/val",
      data: "",
    });
    const vals = JSON.parse(Buffer.from(q.response.value ?? "", "base64").toString("utf8")) as {
      pub_key: string;
    }[];
    expect(vals.map((v) => v.pub_key)).toEqual([genesisPub]);
    expect(removed).toBeGreaterThan(added);
  }, 90_000);

  it("removing the only validator is refused (CheckTx code 3); the set never empties", async () => {
    const last = `val:${genesisPub}!0`;
    const sync = await rpcCall<{ code: number; log: string }>(chain.rpc, "broadcast_tx_sync", {
      tx: txBase64(last),
    });
    expect(sync.code).toBe(3);
    expect(sync.log).toMatch(/cannot remove the last validator/);
    const commit = await rpcCall<{ check_tx: { code: number }; height: string }>(
      chain.rpc,
      "broadcast_tx_commit",
      { tx: txBase64(last) },
    );
    expect(commit.check_tx.code).toBe(3);
    expect(commit.height).toBe("0");
  });

  it("a removal that passes CheckTx but would empty the set is refused by FinalizeBlock", async ({
    annotate,
  }) => {
    // Add a second validator and wait until it is in the set, so that removing the genesis
    // validator passes CheckTx (it is not the last one in the committed app state). A fresh key:
    // the mempool cache refuses the very same tx bytes a block already committed.
    const back = await commitTx(`val:${otherPub}!1`);
    expect(back.code).toBe(0);
    await waitForHeight(chain.rpc, back.height + 2n, 60_000);
    expect((await validatorsAt(back.height + 2n)).length).toBe(2);

    // One batch: first remove the new validator, then the genesis one. Each passes CheckTx
    // against the committed set of two; applied in order, the second would empty the set.
    const batch = await fetch(chain.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        [`val:${otherPub}!0`, `val:${genesisPub}!0`].map((tx, i) => ({
          jsonrpc: "2.0",
          id: i + 1,
          method: "broadcast_tx_sync",
          params: { tx: txBase64(tx) },
        })),
      ),
    });
    const [first, second] = (await batch.json()) as JsonRpcReply<{ code: number; hash: string }>[];
    expect(first?.result?.code).toBe(0);
    expect(second?.result?.code).toBe(0);
    const removal = await waitForTx(chain.rpc, first?.result?.hash ?? "");
    expect(removal.code).toBe(0);

    // The genesis removal is refused either way: by FinalizeBlock (code 3) when it shares the
    // block with the first removal, or, in a later block, evicted by the mempool's recheck
    // against the new app state (and then refused by CheckTx).
    const secondHash = second?.result?.hash ?? "";
    const outcome = await waitFor("the genesis removal's fate", async () => {
      const r = await rpcCall<{ n_txs: string }>(chain.rpc, "num_unconfirmed_txs");
      const found = await rpcReply(chain.rpc, "tx", {
        hash: Buffer.from(secondHash, "hex").toString("base64"),
      });
      if (found.result !== undefined) {
        return found.result as { height: string; tx_result: { code?: number; log?: string } };
      }
      return r.n_txs === "0" && (await latestHeight(chain.rpc)) > removal.height + 1n
        ? null
        : undefined;
    });
    await annotate(
      outcome === null
        ? "the two removals landed in different blocks: recheck evicted the second"
        : `both removals in block ${outcome.height}: FinalizeBlock refused the second`,
    );
    if (outcome === null) {
      const again = await rpcCall<{ code: number; log: string }>(chain.rpc, "broadcast_tx_sync", {
        tx: txBase64(`val:${genesisPub}!0`),
      });
      expect(again.code).toBe(3);
      expect(again.log).toMatch(/cannot remove the last validator/);
    } else {
      expect(outcome.tx_result.code).toBe(3);
      expect(outcome.tx_result.log).toMatch(/cannot remove the last validator/);
      expect(BigInt(outcome.height)).toBe(removal.height);
      // Only the accepted removal is a validator update of that block.
      const res = await blockResults(removal.height);
      expect(res.validator_updates?.map((u) => [u.pub_key.Sum.value.ed25519, u.power])).toEqual([
        [otherPub, undefined],
      ]);
    }

    // Two heights on, the genesis validator alone, and the chain goes on.
    await waitForHeight(chain.rpc, removal.height + 3n, 60_000);
    const final = await validatorsAt(removal.height + 2n);
    expect(final.map((v) => [v.address, v.voting_power])).toEqual([[genesisAddr, "10"]]);
    expect((await verifiedCommit(removal.height + 3n)).flags).toEqual([2]);
  }, 90_000);
});
