// Both entries of @qos/crypto, so every vector runs against the Node (native) and browser (@noble) builds.
import * as nodeEntry from "@qos/crypto";
import * as browserEntry from "../src/index.browser.ts";

export type CryptoEntry = typeof nodeEntry;

export const ENTRIES: ReadonlyArray<readonly [string, CryptoEntry]> = [
  ["node", nodeEntry],
  ["browser", browserEntry],
];

export { browserEntry, nodeEntry };
