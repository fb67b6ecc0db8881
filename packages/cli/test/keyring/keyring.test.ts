// The keyring on real directories (file and test backends) and in memory: add, list, get, sign,
// export/import (ours and ethers'), delete, names, passwords, file modes, no secret in the clear.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  deriveAccount,
  entropyToMnemonic,
  SCRYPT_TEST,
  secp256k1Verify,
  WALLET_ERROR,
} from "@qos/crypto";
import { toHexLower, utf8Encode } from "@qos/types";
import { encryptKeystoreJsonSync, Wallet } from "ethers";
import { afterEach, describe, expect, it } from "vitest";
import { createKeyring, keyringDir } from "../../src/keyring/keyring.ts";
import { KEYRING_ERROR } from "../../src/keyring/keyringError.ts";

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempHome(): string {
  const d = mkdtempSync(join(tmpdir(), "qos-keyring-"));
  made.push(d);
  return d;
}

const MNEMONIC = entropyToMnemonic(Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 3) & 0xff));
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe("memory keyring", () => {
  it("adds, lists, shows, signs and deletes", () => {
    const kr = createKeyring({ backend: "memory" });
    expect(kr.dir).toBeNull();
    const a = kr.add({ name: "alice", mnemonic: MNEMONIC });
    const b = kr.add({ name: "bob", mnemonic: MNEMONIC, account: 1, prefix: "bizacc" });
    expect(a.address).toBe(deriveAccount({ mnemonic: MNEMONIC }).address);
    expect(b.address).toBe(
      deriveAccount({ mnemonic: MNEMONIC, account: 1, prefix: "bizacc" }).address,
    );
    expect(b.hdPath).toBe("m/44'/389'/1'/0/0");
    expect(kr.list().map((r) => r.name)).toEqual(["alice", "bob"]);
    const signer = kr.signer("bob");
    expect(signer.address).toBe(b.address);
    const msg = utf8Encode("sign doc");
    expect(secp256k1Verify(signer.pubKey, msg, signer.sign(msg))).toBe(true);
    expect(kr.delete("alice")).toBe(true);
    expect(kr.delete("alice")).toBe(false);
    expect(code(() => kr.get("alice"))).toBe(KEYRING_ERROR.keyNotFound);
  });

  it("refuses duplicate and invalid names, and bad mnemonics", () => {
    const kr = createKeyring({ backend: "memory" });
    kr.add({ name: "a", mnemonic: MNEMONIC });
    expect(code(() => kr.add({ name: "a", mnemonic: MNEMONIC }))).toBe(KEYRING_ERROR.keyExists);
    for (const bad of ["", "../x", "a/b", ".hidden", "x".repeat(65), "with space"]) {
      expect(
        code(() => kr.add({ name: bad, mnemonic: MNEMONIC })),
        bad,
      ).toBe(KEYRING_ERROR.invalidName);
    }
    expect(code(() => kr.add({ name: "c", mnemonic: "abandon abandon" }))).toBe(
      WALLET_ERROR.invalidMnemonic,
    );
  });
});

describe.each(["file", "test"] as const)("%s keyring on disk", (backend) => {
  const password = "a long enough password";
  const open = (home: string, pw: string | undefined = password) =>
    createKeyring({
      backend,
      home,
      scrypt: SCRYPT_TEST,
      ...(pw !== undefined ? { password: pw } : {}),
    });

  it("keeps 0600 key files in a 0700 directory with no secret in the clear", () => {
    const home = tempHome();
    const kr = open(home);
    const passphrase = "ab".repeat(32);
    kr.add({ name: "alice", mnemonic: MNEMONIC, passphrase });
    const dir = keyringDir(home, backend) as string;
    expect(kr.dir).toBe(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(["alice.json"]);
    const file = join(dir, "alice.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(MNEMONIC.split(" ").slice(0, 2).join(" "));
    expect(text).not.toContain(passphrase);
    expect(open(home).get("alice").address).toBe(
      deriveAccount({ mnemonic: MNEMONIC, passphrase }).address,
    );
  });

  it("exports and imports (ours and ethers'), re-encrypting under the keyring password", () => {
    const home = tempHome();
    const kr = open(home);
    const a = kr.add({ name: "alice", mnemonic: MNEMONIC, prefix: "bizacc" });
    const exported = kr.exportKeystore("alice");
    const filePw = backend === "file" ? password : "test";
    const b = kr.importKeystore("alice2", exported, filePw);
    expect(b.address).toBe(a.address);
    expect(b.hasMnemonic).toBe(true);
    expect(kr.signer("alice2").sign(utf8Encode("x"))).toEqual(
      kr.signer("alice").sign(utf8Encode("x")),
    );
    const key = new Uint8Array(32).fill(9);
    const eth = new Wallet(`0x${toHexLower(key)}`);
    const ethJson = encryptKeystoreJsonSync(
      { address: eth.address, privateKey: eth.privateKey },
      "ethers pw",
      { scrypt: { N: 1024 } },
    );
    expect(code(() => kr.importKeystore("eth", ethJson, "nope"))).toBe(WALLET_ERROR.wrongPassword);
    const e = kr.importKeystore("eth", ethJson, "ethers pw");
    expect(e.address.startsWith("qosacc1")).toBe(true);
    expect(e.hdPath).toBeNull();
    expect(e.hasMnemonic).toBe(false);
    expect(kr.list().map((r) => r.name)).toEqual(["alice", "alice2", "eth"]);
  });

  it("a wrong or missing password is a clear error (file backend)", () => {
    const home = tempHome();
    open(home).add({ name: "alice", mnemonic: MNEMONIC });
    if (backend === "test") {
      expect(open(home, "ignored").signer("alice").address).toBeTruthy();
      return;
    }
    let message = "";
    try {
      open(home, "the wrong password").signer("alice");
    } catch (e) {
      message = (e as Error).message;
      expect((e as { code?: string }).code).toBe(WALLET_ERROR.wrongPassword);
    }
    expect(message).toBe("wrong password for key 'alice'");
    const noPw = createKeyring({ backend, home, scrypt: SCRYPT_TEST });
    expect(noPw.list()).toHaveLength(1);
    expect(code(() => noPw.signer("alice"))).toBe(KEYRING_ERROR.noPassword);
    expect(code(() => open(home, "short").add({ name: "b", mnemonic: MNEMONIC }))).toBe(
      KEYRING_ERROR.weakPassword,
    );
  });
});
