// Small fs helpers for crash safety: write a whole buffer, fsync a directory, and replace a
// file atomically and durably (temp file, fsync, rename, fsync the directory).

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** Writes all of `bytes` at the file's current position (or its end, for an append fd). */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, bytes.length - done);
  }
}

/** Makes a directory's entries (created, renamed, removed files) durable. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `bytes` so that after a crash at any moment the file holds either the
 * old content or the new one, and the new one is on disk when this returns.
 */
export function saveFileDurably(path: string, bytes: Uint8Array, mode = 0o600): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", mode);
  try {
    writeAllSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDirSync(dirname(path));
}
