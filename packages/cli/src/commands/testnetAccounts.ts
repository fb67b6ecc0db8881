// The funded accounts of a local network running the QOS app: one key per validator, kept
// in that validator's `test` keyring (encrypted, never a mnemonic in a plain file), and the
// genesis balances that hand them the 49% of the 10 billion QOS that exists at genesis.

import { join } from "node:path";
import { entropyToMnemonic } from "@qos/crypto";
import { randomBytes } from "@qos/crypto/random";
import { createKeyring } from "../keyring/keyring.ts";
import { TOTAL_QOS_SUPPLY_UQOS } from "./genesisCommands.ts";

/** uqos in genesis: 49% of the total supply (MISSION.md: 4.9 billion QOS). */
export const GENESIS_QOS_UQOS = (TOTAL_QOS_SUPPLY_UQOS * 49n) / 100n;

export interface TestnetAccount {
  /** The key's name in the node's test keyring: `node<i>`. */
  readonly name: string;
  readonly home: string;
  readonly address: string;
  readonly uqos: bigint;
}

/**
 * Creates key `node<i>` in the test keyring of `<dir>/node<i>` for each of `count` validators and
 * splits the genesis QOS equally among them (the remainder goes to node0).
 */
export function createTestnetAccounts(dir: string, count: number): TestnetAccount[] {
  const share = GENESIS_QOS_UQOS / BigInt(count);
  const remainder = GENESIS_QOS_UQOS - share * BigInt(count);
  return Array.from({ length: count }, (_, i) => {
    const home = join(dir, `node${i}`);
    const name = `node${i}`;
    const keyring = createKeyring({ backend: "test", home });
    const record = keyring.add({
      name,
      mnemonic: entropyToMnemonic(randomBytes(32)),
      overwrite: false,
    });
    return { name, home, address: record.address, uqos: share + (i === 0 ? remainder : 0n) };
  });
}

/** The genesis app_state funding `accounts` in uqos. */
export function testnetAppState(accounts: readonly TestnetAccount[]): unknown {
  return {
    bank: {
      balances: accounts.map((a) => ({
        address: a.address,
        coins: [{ denom: "uqos", amount: a.uqos.toString() }],
      })),
    },
  };
}
