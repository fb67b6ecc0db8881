// One node process per data directory: a LOCK file holding the owner's pid. A lock left by
// a process that no longer exists (killed, crashed) is taken over; a live owner is an error.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { QosError } from "@qos/types";

export const DataDirLockErrorCode = { Locked: "datadir/locked" } as const;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock; returns the function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, "LOCK");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = Number.parseInt(readFileSync(path, "utf8"), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new QosError(
          DataDirLockErrorCode.Locked,
          `${dataDir} is in use by another qos process (pid ${owner}); stop it first (two nodes on one data directory, or one validator key, would corrupt data or double-sign)`,
        );
      }
      unlinkSync(path);
    }
  }
  throw new QosError(DataDirLockErrorCode.Locked, `cannot take the lock on ${dataDir}`);
}
