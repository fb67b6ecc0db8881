// Event builders: plain key/value events with an index flag per attribute (CometBFT), so the
// node's indexer and clients' tx_search see Cosmos-shaped events. Pure.

import type { Event, EventAttribute } from "../abci.ts";

/** An event; every attribute is indexed unless listed in `noIndex`. */
export function makeEvent(
  type: string,
  attrs: readonly (readonly [string, string])[],
  noIndex: readonly string[] = [],
): Event {
  const attributes: EventAttribute[] = attrs.map(([key, value]) => ({
    key,
    value,
    index: !noIndex.includes(key),
  }));
  return { type, attributes };
}
