// `qos keys` as real processes (node packages/cli/bin/qos.js, built first): add, recover, list,
// show, export, import, delete on the file, test and memory backends; then every file under the
// home is searched for the mnemonics, BIP-39 passphrases, seeds and private keys in any encoding.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { deriveKeyPair, mnemonicToEntropy, mnemonicToSeed } from "@qos/crypto";
import { toBase64, toHex, toHexLower } from "@qos/types";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "./harness.ts";

const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/qos.js");
const tmp = makeTempDir("qos-e2e-keys-");
afterAll(() => tmp.remove());

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[], input = "", env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input,
    encoding: "utf8",
    env: { ...process.env, QOS_KEYRING_PASSWORD: "", ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: readonly string[], input = ""): string {
  const r = run(args, input);
  if (r.status !== 0) throw new Error(`qos ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** Every form a secret could take in a file: text, hex (both cases), base64, raw bytes. */
function needles(secrets: { text: string[]; bytes: Uint8Array[] }): Buffer[] {
  const out: Buffer[] = [];
  for (const t of secrets.text) out.push(Buffer.from(t, "utf8"));
  for (const b of secrets.bytes) {
    out.push(Buffer.from(b), Buffer.from(toHexLower(b)), Buffer.from(toHex(b)));
    out.push(Buffer.from(toBase64(b)), Buffer.from(toBase64(b).replace(/=+$/, "")));
  }
  return out;
}

describe.each(["file", "test"] as const)("qos keys, %s backend", (backend) => {
  const home = join(tmp.path, `home-${backend}`);
  const outside = join(tmp.path, `outside-${backend}`);
  const pwFile = join(tmp.path, `pw-${backend}.txt`);
  writeFileSync(pwFile, "correct horse battery staple\n");
  const wrongPwFile = join(tmp.path, `wrong-${backend}.txt`);
  writeFileSync(wrongPwFile, "not the password\n");
  const kr = ["--home", home, "--keyring-backend", backend, "--keyring-password-file", pwFile];

  it("adds, recovers, lists, shows, exports, imports and deletes, leaving no secret on disk", () => {
    const alice = JSON.parse(ok(["keys", "add", "alice", ...kr, "--output", "json"]));
    expect(alice.address).toMatch(/^qosacc1/);
    expect(alice.mnemonic.split(" ")).toHaveLength(24);
    expect(JSON.parse(alice.pubkey)["@type"]).toBe("/cosmos.crypto.secp256k1.PubKey");
    const carol = JSON.parse(
      ok(["keys", "add", "carol", ...kr, "--random-passphrase", "--output", "json"]),
    );
    expect(carol.bip39_passphrase).toMatch(/^[0-9a-f]{64}$/);

    // Text output: the record on stdout, the mnemonic once on stderr; --no-backup hides it.
    const text = run(["keys", "add", "dave", ...kr]);
    expect(text.stdout).toMatch(/^- address: qosacc1/);
    expect(text.stderr).toMatch(/\*\*Important\*\* write this mnemonic phrase/);
    const daveMnemonic = text.stderr.trim().split("\n").at(-1) as string;
    expect(daveMnemonic.split(" ")).toHaveLength(24);
    const quiet = run(["keys", "add", "erin", ...kr, "--no-backup"]);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).not.toMatch(/Important/);

    // Recover from stdin: same addresses, also with the random passphrase and on a business chain.
    ok(["keys", "recover", "alice2", ...kr], `${alice.mnemonic}\n`);
    ok(
      ["keys", "add", "carol2", ...kr, "--recover", "--bip39-passphrase"],
      `${carol.mnemonic}\n${carol.bip39_passphrase}\n`,
    );
    ok(
      ["keys", "recover", "biz", ...kr, "--account", "2", "--index", "1", "--prefix", "bizacc"],
      alice.mnemonic,
    );
    const show = (name: string) => ok(["keys", "show", name, ...kr, "--address"]).trim();
    expect(show("alice2")).toBe(alice.address);
    expect(show("carol2")).toBe(carol.address);
    expect(show("biz")).toBe(
      deriveKeyPair({ mnemonic: alice.mnemonic, account: 2, index: 1, prefix: "bizacc" }).address,
    );
    expect(JSON.parse(ok(["keys", "show", "alice", ...kr, "--pubkey"]))).toEqual(
      JSON.parse(alice.pubkey),
    );
    const bad = run(["keys", "recover", "nope", ...kr], "abandon abandon abandon\n");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/12, 15, 18, 21 or 24 words/);
    const dup = run(["keys", "add", "alice", ...kr]);
    expect(dup.stderr).toMatch(/a key named 'alice' already exists/);

    // Export (still encrypted) and import; a wrong password is a clear error.
    const exported = ok(["keys", "export", "alice", ...kr]);
    expect(JSON.parse(exported).version).toBe(3);
    const exportFile = join(tmp.path, `alice-${backend}.json`);
    writeFileSync(exportFile, exported);
    const filePw = backend === "file" ? pwFile : join(tmp.path, "test-pw.txt");
    writeFileSync(join(tmp.path, "test-pw.txt"), "test\n");
    const wrong = run([
      "keys",
      "import",
      "alice3",
      exportFile,
      ...kr,
      "--import-password-file",
      wrongPwFile,
    ]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/wrong password for key 'alice3'/);
    ok(["keys", "import", "alice3", exportFile, ...kr, "--import-password-file", filePw]);
    expect(show("alice3")).toBe(alice.address);

    const list = JSON.parse(ok(["keys", "list", ...kr, "--output", "json"]));
    expect(list.map((k: { name: string }) => k.name)).toEqual([
      "alice",
      "alice2",
      "alice3",
      "biz",
      "carol",
      "carol2",
      "dave",
      "erin",
    ]);

    // Delete: refused without a yes, done with --yes.
    const no = run(["keys", "delete", "alice3", ...kr], "n\n");
    expect(no.status).toBe(1);
    ok(["keys", "delete", "alice3", ...kr, "--yes"]);
    expect(run(["keys", "show", "alice3", ...kr]).stderr).toMatch(/no key named 'alice3'/);

    // Files: 0600 in a 0700 directory, and no secret in any encoding anywhere under the home.
    const dir = join(home, `keyring-${backend}`);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = filesUnder(home);
    expect(files.length).toBe(7);
    const text_: string[] = [];
    const bytes: Uint8Array[] = [];
    for (const [m, p] of [
      [alice.mnemonic, ""],
      [carol.mnemonic, carol.bip39_passphrase],
      [daveMnemonic, ""],
    ] as [string, string][]) {
      text_.push(m, m.split(" ").slice(0, 3).join(" "), m.split(" ").slice(-3).join(" "));
      if (p !== "") text_.push(p);
      const entropy = mnemonicToEntropy(m);
      if (entropy.ok) bytes.push(entropy.value);
      bytes.push(mnemonicToSeed(m, p));
      for (const pos of [{}, { account: 2, index: 1 }]) {
        bytes.push(deriveKeyPair({ mnemonic: m, passphrase: p, ...pos }).privateKey);
      }
    }
    const all = needles({ text: text_, bytes });
    // The search finds what it looks for: the add output does hold the mnemonic.
    expect(Buffer.from(JSON.stringify(alice)).includes(all[0] as Buffer)).toBe(true);
    for (const f of files) {
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
      const content = readFileSync(f);
      for (const n of all) expect(content.includes(n), `${f} holds a secret`).toBe(false);
    }
    expect(filesUnder(outside)).toEqual([]);
  }, 240_000);
});

describe("qos keys, memory backend and bad input", () => {
  it("a memory keyring writes nothing", () => {
    const home = join(tmp.path, "home-memory");
    const r = JSON.parse(
      ok(["keys", "add", "m", "--home", home, "--keyring-backend", "memory", "--output", "json"]),
    );
    expect(r.address).toMatch(/^qosacc1/);
    expect(existsSync(home)).toBe(false);
    expect(ok(["keys", "list", "--home", home, "--keyring-backend", "memory"]).trim()).toBe(
      "No records were found in keyring",
    );
  });

  it("the file backend without a password, a short one, or a bad name fails clearly", () => {
    const home = join(tmp.path, "home-nopw");
    const none = run(["keys", "add", "x", "--home", home]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/needs a password/);
    const short = run(["keys", "add", "x", "--home", home], "", { QOS_KEYRING_PASSWORD: "short" });
    expect(short.stderr).toMatch(/at least 8 characters/);
    const name = run(["keys", "add", "../evil", "--home", home, "--keyring-backend", "test"]);
    expect(name.stderr).toMatch(/invalid key name/);
    expect(filesUnder(home)).toEqual([]);
  });
});
