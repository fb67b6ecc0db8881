// Acceptance "A running node": a real `qos start` process answered through @cosmjs/tendermint-rpc
// 0.39 (HTTP and websocket), and every commit it serves verified with our own commit verifier.

import {
  Comet38Client,
  type CometClient,
  type comet38,
  connectComet,
  isComet38Client,
} from "@cosmjs/tendermint-rpc";
import { headerHash, verifyCommit } from "@qos/consensus";
import { sha256, verifyMerkleProof } from "@qos/crypto";
import { equalBytes, signedHeaderFromJson, toHex, utf8Decode, utf8Encode } from "@qos/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  rpcCall,
  type SingleNodeChain,
  startSingleNodeChain,
  validatorSetAt,
  waitFor,
  waitForHeight,
} from "./harness.ts";

const CHAIN_ID = "e2e-comet-1";

let chain: SingleNodeChain;
let client: Comet38Client;
const wsClients: CometClient[] = [];

beforeAll(async () => {
  chain = await startSingleNodeChain({ prefix: "qos-e2e-comet-", chainId: CHAIN_ID });
  await waitForHeight(chain.rpc, 3n);
  const c = await connectComet(chain.rpc);
  if (!isComet38Client(c)) throw new Error(`connectComet picked ${c.constructor.name}`);
  client = c;
});

afterAll(async () => {
  for (const c of wsClients) c.disconnect();
  client?.disconnect();
  await chain?.close();
});

/** Commits a kvstore tx through broadcastTxSync and returns where it landed. */
async function commitKv(key: string, value: string): Promise<comet38.TxResponse> {
  const tx = utf8Encode(`${key}=${value}`);
  const sent = await client.broadcastTxSync({ tx });
  expect(sent.code).toBe(0);
  expect(equalBytes(sent.hash, sha256(tx))).toBe(true);
  return await waitFor(`tx ${key}`, async () => {
    try {
      return await client.tx({ hash: sent.hash });
    } catch {
      return undefined;
    }
  });
}

describe("a running node through @cosmjs/tendermint-rpc", () => {
  it("connectComet picks the Comet38 client and status describes the node", async () => {
    expect(client).toBeInstanceOf(Comet38Client);
    const st = await client.status();
    expect(st.nodeInfo.version.startsWith("0.38.")).toBe(true);
    expect(st.nodeInfo.network).toBe(CHAIN_ID);
    expect(st.nodeInfo.moniker).toBe("e2e");
    // The harness moved p2p.laddr to a free loopback port; status reports it.
    expect(st.nodeInfo.listenAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(st.nodeInfo.other.get("tx_index")).toBe("on");
    expect(st.syncInfo.latestBlockHeight).toBeGreaterThanOrEqual(3);
    expect(st.syncInfo.latestBlockHash.length).toBe(32);
    expect(st.syncInfo.latestAppHash.length).toBe(32);
    expect(st.syncInfo.catchingUp).toBe(false);
    expect(st.syncInfo.earliestBlockHeight).toBe(1);
    expect(st.validatorInfo.votingPower).toBe(10n);
    expect(st.validatorInfo.address.length).toBe(20);
    // The latest block hash is the hash of the block at that height.
    const b = await client.block(st.syncInfo.latestBlockHeight);
    expect(toHex(b.blockId.hash)).toBe(toHex(st.syncInfo.latestBlockHash));
  });

  it("block(), block(h), blockchain(), commit(h) and validators() agree with each other", async () => {
    const latest = await client.block();
    const h = latest.block.header.height;
    expect(h).toBeGreaterThanOrEqual(3);
    expect(latest.block.header.chainId).toBe(CHAIN_ID);

    const b2 = await client.block(2);
    expect(b2.block.header.height).toBe(2);
    const b1 = await client.block(1);
    expect(b1.block.lastCommit).toBeNull();
    // Block 2 links to block 1 and carries its commit.
    expect(toHex(b2.block.header.lastBlockId?.hash ?? new Uint8Array())).toBe(
      toHex(b1.blockId.hash),
    );
    expect(b2.block.lastCommit?.height).toBe(1);
    expect(toHex(b2.block.lastCommit?.blockId.hash ?? new Uint8Array())).toBe(
      toHex(b1.blockId.hash),
    );

    const chainResp = await client.blockchain(1, 2);
    expect(chainResp.lastHeight).toBeGreaterThanOrEqual(h);
    expect(chainResp.blockMetas.map((m) => m.header.height)).toEqual([2, 1]);
    expect(toHex(chainResp.blockMetas[0]?.blockId.hash ?? new Uint8Array())).toBe(
      toHex(b2.blockId.hash),
    );
    const all = await client.blockchain();
    expect(all.blockMetas.length).toBeGreaterThan(0);
    expect(all.blockMetas.length).toBeLessThanOrEqual(20);

    const c2 = await client.commit(2);
    expect(c2.canonical).toBe(true);
    expect(c2.header.height).toBe(2);
    expect(toHex(c2.commit.blockId.hash)).toBe(toHex(b2.blockId.hash));
    expect(c2.commit.signatures.length).toBe(1);
    expect(toHex(c2.header.validatorsHash)).toBe(toHex(b2.block.header.validatorsHash));

    const vals = await client.validators({ height: 2 });
    expect(vals.blockHeight).toBe(2);
    expect(vals.count).toBe(1);
    expect(vals.total).toBe(1);
    expect(vals.validators[0]?.votingPower).toBe(10n);
    expect(toHex(vals.validators[0]?.address ?? new Uint8Array())).toBe(
      toHex(b2.block.header.proposerAddress),
    );
    // Without a height, /validators serves the next height's set (CometBFT's latest uncommitted
    // height), which the latest block already fixed.
    const before = (await client.status()).syncInfo.latestBlockHeight;
    const latestVals = await client.validators({});
    expect(latestVals.total).toBe(1);
    expect(latestVals.blockHeight).toBeGreaterThanOrEqual(before + 1);
    const next = await client.validators({ height: before + 1 });
    expect(next.blockHeight).toBe(before + 1);

    // The latest block's commit is the node's seen commit (canonical: false) until the next block
    // carries the canonical one.
    const tip = (await client.status()).syncInfo.latestBlockHeight;
    const tipCommit = await client.commit(tip);
    const moved = (await client.status()).syncInfo.latestBlockHeight > tip;
    expect(tipCommit.canonical === false || moved).toBe(true);
  });

  it("genesis(), abciInfo() and abciQuery() describe the app", async () => {
    const g = await client.genesis();
    expect(g.chainId).toBe(CHAIN_ID);
    expect(g.validators.length).toBe(1);
    expect(g.validators[0]?.votingPower).toBe(10n);
    expect(g.consensusParams.block?.maxBytes).toBeGreaterThan(0);

    const info = await client.abciInfo();
    expect(info.lastBlockHeight).toBeGreaterThanOrEqual(3);
    expect(info.lastBlockAppHash?.length).toBe(32);

    const missing = await client.abciQuery({ path: "/store", data: utf8Encode("no-such-key") });
    expect(missing.code ?? 0).toBe(0);
    expect(missing.value.length).toBe(0);
    expect(missing.log).toBe("does not exist");
  });

  it("a broadcast kvstore tx is found by tx(), with a proof against the block's data hash, and by txSearch", async () => {
    const key = "e2e-comet-key";
    const found = await commitKv(key, "hello");
    expect(found.result.code).toBe(0);
    expect(utf8Decode(found.tx)).toBe(`${key}=hello`);
    expect(found.height).toBeGreaterThan(0);
    const appEvent = found.result.events.find((e) => e.type === "app");
    expect(appEvent?.attributes.find((a) => a.key === "key")?.value).toBe(key);

    // prove: true → the Merkle proof of the tx hash under the header's data hash.
    const proved = await client.tx({ hash: found.hash, prove: true });
    const proof = proved.proof;
    if (proof === undefined) throw new Error("tx with prove: true came back without a proof");
    const block = await client.block(found.height);
    expect(toHex(proof.rootHash)).toBe(toHex(block.block.header.dataHash));
    expect(utf8Decode(proof.data)).toBe(`${key}=hello`);
    expect(proof.proof.index).toBe(found.index);
    expect(proof.proof.total).toBe(block.block.txs.length);
    const merkleProof = {
      total: BigInt(proof.proof.total),
      index: BigInt(proof.proof.index),
      leafHash: proof.proof.leafHash,
      aunts: [...proof.proof.aunts],
    };
    expect(verifyMerkleProof(merkleProof, block.block.header.dataHash, sha256(proof.data))).toBe(
      true,
    );
    // The same proof does not verify another leaf or another root.
    expect(
      verifyMerkleProof(merkleProof, block.block.header.dataHash, sha256(utf8Encode("x"))),
    ).toBe(false);
    expect(verifyMerkleProof(merkleProof, sha256(utf8Encode("root")), sha256(proof.data))).toBe(
      false,
    );

    const byKey = await client.txSearch({ query: `app.key='${key}'` });
    expect(byKey.totalCount).toBe(1);
    expect(toHex(byKey.txs[0]?.hash ?? new Uint8Array())).toBe(toHex(found.hash));
    const byHeight = await client.txSearch({ query: `tx.height=${found.height}` });
    expect(byHeight.txs.map((t) => toHex(t.hash))).toContain(toHex(found.hash));
    const none = await client.txSearch({ query: "app.key='never-sent'" });
    expect(none.totalCount).toBe(0);

    // The app now has the key, and the block's results list the tx.
    const q = await client.abciQuery({ path: "/store", data: utf8Encode(key) });
    expect(utf8Decode(q.value)).toBe("hello");
    expect(q.log).toBe("exists");
    const results = await client.blockResults(found.height);
    expect(results.height).toBe(found.height);
    expect(results.results.length).toBe(block.block.txs.length);
    expect(results.results[found.index]?.code).toBe(0);
    expect(results.validatorUpdates).toEqual([]);
  });

  it("tx proofs of blocks with several txs verify against each block's data hash", async ({
    annotate,
  }) => {
    // One HTTP batch of broadcast_tx_sync calls: the txs reach the mempool within
    // milliseconds, so blocks with several txs (proofs with aunts) are the usual outcome.
    const txs = Array.from({ length: 7 }, (_, i) => utf8Encode(`e2e-multi-${i}=v${i}`));
    const res = await fetch(chain.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        txs.map((tx, i) => ({
          jsonrpc: "2.0",
          id: i + 1,
          method: "broadcast_tx_sync",
          params: { tx: Buffer.from(tx).toString("base64") },
        })),
      ),
    });
    const replies = (await res.json()) as { result?: { code: number } }[];
    expect(replies.map((r) => r.result?.code)).toEqual(txs.map(() => 0));
    let maxPerBlock = 0;
    for (const tx of txs) {
      const hash = sha256(tx);
      const t = await waitFor("a batched tx", async () => {
        try {
          return await client.tx({ hash, prove: true });
        } catch {
          return undefined;
        }
      });
      const proof = t.proof;
      if (proof === undefined) throw new Error("no proof");
      const block = await client.block(t.height);
      expect(proof.proof.total).toBe(block.block.txs.length);
      expect(proof.proof.index).toBe(t.index);
      expect(equalBytes(block.block.txs[t.index] ?? new Uint8Array(), tx)).toBe(true);
      maxPerBlock = Math.max(maxPerBlock, block.block.txs.length);
      const mp = {
        total: BigInt(proof.proof.total),
        index: BigInt(proof.proof.index),
        leafHash: proof.proof.leafHash,
        aunts: [...proof.proof.aunts],
      };
      expect(verifyMerkleProof(mp, block.block.header.dataHash, hash)).toBe(true);
      // The proof is bound to its position: another index does not verify.
      if (mp.total > 1n) {
        const moved = { ...mp, index: (mp.index + 1n) % mp.total };
        expect(verifyMerkleProof(moved, block.block.header.dataHash, hash)).toBe(false);
      }
    }
    await annotate(`7 batched txs; the fullest block held ${maxPerBlock} of them`);
  });

  it("broadcastTxCommit returns the committed height and the FinalizeBlock result", async () => {
    const tx = utf8Encode("e2e-commit-key=committed");
    const r = await client.broadcastTxCommit({ tx });
    expect(r.checkTx.code).toBe(0);
    expect(r.txResult?.code).toBe(0);
    expect(r.height).toBeGreaterThan(0);
    expect(equalBytes(r.hash, sha256(tx))).toBe(true);
    const block = await client.block(r.height);
    expect(block.block.txs.some((t) => equalBytes(t, tx))).toBe(true);
    const again = await client.tx({ hash: r.hash });
    expect(again.height).toBe(r.height);

    // A tx the app refuses comes back with its CheckTx code and height 0.
    const bad = await client.broadcastTxCommit({ tx: utf8Encode("a=b=c") });
    expect(bad.checkTx.code).toBe(1);
    expect(bad.checkTx.log).toMatch(/more than one '='/);
    expect(bad.height).toBe(0);
  });

  it("a websocket client receives NewBlock events and the Tx event of a broadcast tx", async () => {
    const ws = await connectComet(chain.ws);
    wsClients.push(ws);
    expect(isComet38Client(ws)).toBe(true);
    // The websocket client answers plain calls too.
    expect((await ws.status()).nodeInfo.network).toBe(CHAIN_ID);

    const blocks: comet38.NewBlockEvent[] = [];
    const gotBlocks = new Promise<void>((resolve, reject) => {
      const sub = ws.subscribeNewBlock().subscribe({
        next: (b) => {
          blocks.push(b as comet38.NewBlockEvent);
          if (blocks.length === 3) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
        complete: () => reject(new Error("NewBlock stream completed early")),
      });
    });
    await gotBlocks;
    const heights = blocks.map((b) => b.header.height);
    expect(heights[1]).toBe((heights[0] ?? 0) + 1);
    expect(heights[2]).toBe((heights[0] ?? 0) + 2);
    for (const b of blocks) expect(b.header.chainId).toBe(CHAIN_ID);
    // An event's block is the stored block at that height.
    const stored = await client.block(heights[0]);
    expect(toHex(stored.block.header.appHash)).toBe(
      toHex(blocks[0]?.header.appHash ?? new Uint8Array()),
    );

    const tx = utf8Encode("e2e-ws-key=over-websocket");
    const txEvents: comet38.TxEvent[] = [];
    const sub = ws.subscribeTx(`app.key='e2e-ws-key'`).subscribe({
      next: (e) => txEvents.push(e as comet38.TxEvent),
      error: () => {},
      complete: () => {},
    });
    try {
      // The subscription is registered once its ack is back; a tx sent after a NewBlock round
      // trip on the same socket cannot race it.
      await ws.status();
      const sent = await client.broadcastTxSync({ tx });
      expect(sent.code).toBe(0);
      const ev = await waitFor("the Tx event", async () => txEvents[0]);
      expect(equalBytes(ev.tx, tx)).toBe(true);
      expect(toHex(ev.hash)).toBe(toHex(sha256(tx)));
      expect(ev.result.code).toBe(0);
      const committed = await client.tx({ hash: ev.hash });
      expect(committed.height).toBe(ev.height);
    } finally {
      sub.unsubscribe();
    }
  });

  it("every /commit the node serves verifies with our commit verifier against its /validators", async ({
    annotate,
  }) => {
    const latest = await waitForHeight(chain.rpc, 20n);
    let verified = 0;
    for (let h = 1n; h <= latest; h++) {
      const c = await rpcCall<{ signed_header: unknown; canonical: boolean }>(chain.rpc, "commit", {
        height: String(h),
      });
      const sh = signedHeaderFromJson(c.signed_header);
      if (!sh.ok) throw sh.error;
      const header = sh.value.header;
      const commit = sh.value.commit;
      if (header === undefined || commit === undefined) throw new Error(`height ${h}: no header`);
      const { set, raw } = await validatorSetAt(chain.rpc, h);
      expect(raw.length).toBe(1);
      expect(header.height).toBe(h);
      expect(commit.height).toBe(h);
      expect(header.chainId).toBe(CHAIN_ID);
      const hash = headerHash(header);
      expect(hash === null ? null : toHex(hash)).toBe(
        toHex(commit.blockId?.hash ?? new Uint8Array()),
      );
      expect(toHex(set.hash())).toBe(toHex(header.validatorsHash));
      const verdict = verifyCommit(CHAIN_ID, set, commit.blockId, h, commit);
      if (!verdict.ok) throw new Error(`commit ${h} does not verify: ${verdict.error.message}`);
      expect(verdict.value.talliedPower).toBe(10n);

      // A commit checked against the wrong chain id or height does not verify.
      expect(verifyCommit("other-chain", set, commit.blockId, h, commit).ok).toBe(false);
      expect(verifyCommit(CHAIN_ID, set, commit.blockId, h + 1n, commit).ok).toBe(false);
      verified++;
    }
    expect(verified).toBe(Number(latest));
    await annotate(`verified the commits of heights 1..${latest} against /validators`);
  });
});
