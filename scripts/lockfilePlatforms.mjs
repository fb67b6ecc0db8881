#!/usr/bin/env node
// Adds lockfile entries for the other platforms' builds of packages that ship native
// binaries as optional dependencies (Biome, buf). The npm registry mirror this project
// builds on serves only this platform's builds, so `npm install` cannot record the others,
// and `npm ci` then refuses the lockfile as out of sync. The entries carry the exact
// os/cpu/libc constraints, so npm ci skips them on every other platform.
// Run after changing dependencies: `node scripts/lockfilePlatforms.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = {
  "android-arm64": { os: ["android"], cpu: ["arm64"] },
  "android-x64": { os: ["android"], cpu: ["x64"] },
  "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "linux-arm64": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
  "linux-x64": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
  "linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
  "linux-armv7": { os: ["linux"], cpu: ["arm"] },
  "linux-aarch64": { os: ["linux"], cpu: ["arm64"] },
  "win32-arm64": { os: ["win32"], cpu: ["arm64"] },
  "win32-x64": { os: ["win32"], cpu: ["x64"] },
};

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const suffix = Object.keys(PLATFORMS).find((p) => dep.endsWith(`-${p}`));
    if (suffix === undefined) continue;
    const at = key === "" ? "node_modules/" : `${key}/node_modules/`;
    const hoisted = `node_modules/${dep}`;
    if (lock.packages[`${at}${dep}`] !== undefined || lock.packages[hoisted] !== undefined)
      continue;
    lock.packages[hoisted] = {
      version,
      ...PLATFORMS[suffix],
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) =>
    a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0,
  ),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`added ${added} platform entries to package-lock.json\n`);
