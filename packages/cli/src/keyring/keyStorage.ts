// Where a keyring keeps its encrypted key files: a directory (0700, files 0600, written
// atomically) or a Map in memory. It stores keystore JSON text and never sees a secret in clear.
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { randomBytes } from "@qos/crypto/random";
import { toHexLower } from "@qos/types";
import { KEYRING_ERROR, keyringError } from "./keyringError.ts";

/** Key names: a letter or digit, then up to 63 letters, digits, '.', '_' or '-'. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface KeyStorage {
  /** The directory of the key files, or null in memory. */
  readonly dir: string | null;
  /** Key names, sorted. */
  names(): string[];
  load(name: string): string | null;
  /** Throws keyring_key_exists if the name is taken and `overwrite` is false. */
  save(name: string, text: string, overwrite: boolean): void;
  remove(name: string): boolean;
}

export function checkKeyName(name: string): void {
  if (typeof name !== "string" || !KEY_NAME_PATTERN.test(name)) {
    throw keyringError(
      KEYRING_ERROR.invalidName,
      `invalid key name "${name}": use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

function exists(name: string): never {
  throw keyringError(KEYRING_ERROR.keyExists, `a key named '${name}' already exists`);
}

function ioError(what: string, e: unknown): never {
  throw keyringError(KEYRING_ERROR.io, `${what}: ${(e as Error).message}`);
}

/** Key files `<dir>/<name>.json`; the directory is created 0700 and kept so. */
export function createFileKeyStorage(dir: string): KeyStorage {
  const fileOf = (name: string) => {
    checkKeyName(name);
    return join(dir, `${name}.json`);
  };
  const ensureDir = () => {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    } catch (e) {
      ioError(`cannot create the keyring directory ${dir}`, e);
    }
  };
  return {
    dir,
    names() {
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => f.slice(0, -".json".length))
        .filter((n) => KEY_NAME_PATTERN.test(n))
        .sort();
    },
    load(name) {
      const file = fileOf(name);
      if (!existsSync(file)) return null;
      try {
        return readFileSync(file, "utf8");
      } catch (e) {
        return ioError(`cannot read ${file}`, e);
      }
    },
    save(name, text, overwrite) {
      const file = fileOf(name);
      ensureDir();
      if (!overwrite && existsSync(file)) exists(name);
      const tmp = join(dir, `.${name}.${toHexLower(randomBytes(6))}.tmp`);
      try {
        const fd = openSync(tmp, "wx", 0o600);
        try {
          writeSync(fd, text);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        chmodSync(tmp, 0o600);
        if (overwrite) {
          renameSync(tmp, file);
        } else {
          // link fails if the name appeared meanwhile: no key is ever replaced by accident.
          try {
            linkSync(tmp, file);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "EEXIST") exists(name);
            throw e;
          } finally {
            rmSync(tmp, { force: true });
          }
        }
      } catch (e) {
        rmSync(tmp, { force: true });
        if (e instanceof Error && "code" in e && e.code === KEYRING_ERROR.keyExists) throw e;
        ioError(`cannot write ${file}`, e);
      }
    },
    remove(name) {
      const file = fileOf(name);
      if (!existsSync(file)) return false;
      try {
        unlinkSync(file);
      } catch (e) {
        ioError(`cannot delete ${file}`, e);
      }
      return true;
    },
  };
}

/** Keys in a Map: nothing touches the disk; gone when the process ends. */
export function createMemoryKeyStorage(): KeyStorage {
  const files = new Map<string, string>();
  return {
    dir: null,
    names: () => [...files.keys()].sort(),
    load(name) {
      checkKeyName(name);
      return files.get(name) ?? null;
    },
    save(name, text, overwrite) {
      checkKeyName(name);
      if (!overwrite && files.has(name)) exists(name);
      files.set(name, text);
    },
    remove(name) {
      checkKeyName(name);
      return files.delete(name);
    },
  };
}
