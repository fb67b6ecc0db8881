// Accounts and signers against CosmJS as the independent implementation: the same mnemonic (and
// BIP-39 password) gives CosmJS's qosacc address, public key and SIGN_MODE_DIRECT signature.
import { stringToPath } from "@cosmjs/crypto";
import { DirectSecp256k1HdWallet, makeSignBytes, makeSignDoc } from "@cosmjs/proto-signing";
import {
  entropyToMnemonic,
  mnemonicToSecret,
  qosHdPath,
  randomSecretToPassphrase,
  SECP256K1_SIGNATURE_LENGTH,
  WALLET_ERROR,
} from "@qos/crypto";
import { fromBase64, toBase64, utf8Encode } from "@qos/types";
import { describe, expect, it } from "vitest";
import { ENTRIES } from "../entries.ts";

// A fixed 24-word mnemonic (its entropy is a fixed pattern, so its checksum is right).
const MNEMONIC = entropyToMnemonic(Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff));
const RANDOM_PASSPHRASE = randomSecretToPassphrase(
  Uint8Array.from({ length: 32 }, (_, i) => i * 7),
);

async function cosmjsAccount(
  mnemonic: string,
  account: number,
  index: number,
  prefix: string,
  bip39Password = "",
) {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, {
    prefix,
    hdPaths: [stringToPath(qosHdPath(account, index))],
    bip39Password,
  });
  const [acc] = await wallet.getAccounts();
  if (acc === undefined) throw new Error("no account");
  return { wallet, address: acc.address, pubKey: acc.pubkey };
}

const POSITIONS: [number, number, string][] = [
  [0, 0, "qosacc"],
  [0, 1, "qosacc"],
  [0, 7, "qosacc"],
  [1, 0, "qosacc"],
  [5, 3, "qosacc"],
  [2, 0, "bizchainacc"],
  [3, 4, "tradeacc"],
];

describe.each(ENTRIES)("wallet (%s entry)", (_name, c) => {
  it.each(POSITIONS)("account %i index %i prefix %s = CosmJS", async (account, index, prefix) => {
    for (const passphrase of ["", RANDOM_PASSPHRASE]) {
      const ours = c.deriveAccount({ mnemonic: MNEMONIC, passphrase, account, index, prefix });
      const theirs = await cosmjsAccount(MNEMONIC, account, index, prefix, passphrase);
      expect(ours.address).toBe(theirs.address);
      expect(toBase64(ours.pubKey)).toBe(toBase64(theirs.pubKey));
      expect(ours.hdPath).toBe(`m/44'/389'/${account}'/0/${index}`);
      expect(ours.address.startsWith(`${prefix}1`)).toBe(true);
    }
  });

  it("the passphrase (the second secret) changes every address", () => {
    const a = c.deriveAccount({ mnemonic: MNEMONIC });
    const b = c.deriveAccount({ mnemonic: MNEMONIC, passphrase: RANDOM_PASSPHRASE });
    expect(a.address).not.toBe(b.address);
    expect(a.address).toBe(c.accountAddress(a.pubKey));
  });

  it("a mnemonic signer signs what CosmJS signs, byte for byte (SIGN_MODE_DIRECT)", async () => {
    const theirs = await cosmjsAccount(MNEMONIC, 0, 2, "qosacc", RANDOM_PASSPHRASE);
    const signer = c.createMnemonicSigner({
      mnemonic: MNEMONIC,
      passphrase: RANDOM_PASSPHRASE,
      index: 2,
    });
    expect(signer.address).toBe(theirs.address);
    const doc = makeSignDoc(utf8Encode("body"), utf8Encode("auth info"), "qos-test-1", 42n);
    const bytes = makeSignBytes(doc);
    const sig = signer.sign(bytes);
    expect(sig).toHaveLength(SECP256K1_SIGNATURE_LENGTH);
    const { signature } = await theirs.wallet.signDirect(theirs.address, doc);
    expect(toBase64(sig)).toBe(signature.signature);
    expect(fromBase64(signature.pub_key.value)).toEqual(signer.pubKey);
    expect(c.secp256k1Verify(signer.pubKey, bytes, sig)).toBe(true);
  });

  it("signers from a secret or a private key agree; wiped signers refuse to sign", () => {
    const secret = mnemonicToSecret(MNEMONIC, RANDOM_PASSPHRASE);
    if (!secret.ok) throw secret.error;
    const fromSecret = c.createMnemonicSigner({ secret: secret.value, account: 1 });
    const pair = c.deriveKeyPair({ mnemonic: MNEMONIC, passphrase: RANDOM_PASSPHRASE, account: 1 });
    const fromKey = c.createPrivateKeySigner(pair.privateKey);
    expect(fromKey.address).toBe(fromSecret.address);
    const msg = utf8Encode("hello");
    expect(fromSecret.sign(msg)).toEqual(fromKey.sign(msg));
    // The signer holds copies: wiping it leaves the caller's buffers alone, and vice versa.
    fromSecret.wipe();
    fromKey.wipe();
    expect(secret.value.entropy.some((b) => b !== 0)).toBe(true);
    expect(pair.privateKey.some((b) => b !== 0)).toBe(true);
    for (const s of [fromSecret, fromKey]) {
      expect(() => s.sign(msg)).toThrow(
        expect.objectContaining({ code: WALLET_ERROR.signerWiped }),
      );
    }
  });

  it("refuses a bad mnemonic, prefix or position with typed errors", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return "no error";
    };
    expect(code(() => c.deriveAccount({ mnemonic: "abandon abandon" }))).toBe(
      WALLET_ERROR.invalidMnemonic,
    );
    expect(code(() => c.deriveAccount({ mnemonic: MNEMONIC, prefix: "QOS" }))).toBe(
      WALLET_ERROR.invalidPrefix,
    );
    expect(code(() => c.deriveAccount({ mnemonic: MNEMONIC, index: -1 }))).toBe(
      WALLET_ERROR.invalidPath,
    );
    expect(code(() => c.createMnemonicSigner({ mnemonic: `${MNEMONIC} zoo` }))).toBe(
      WALLET_ERROR.invalidMnemonic,
    );
  });

  it("12-word mnemonics work as well", async () => {
    const m12 = entropyToMnemonic(new Uint8Array(16).fill(0x5a));
    const ours = c.deriveAccount({ mnemonic: m12, account: 4 });
    expect(ours.address).toBe((await cosmjsAccount(m12, 4, 0, "qosacc")).address);
  });
});
