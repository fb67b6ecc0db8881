// The qsc module's events, ERC20-style: TokenCreated, Issued, Burned, Frozen, Unfrozen, Paused,
// Unpaused. (Transfer and Approval come from bank, which moves, mints and burns every denom.)

import type { Event } from "../../abci.ts";

export const QSC_EVENT = {
  tokenCreated: "TokenCreated",
  issued: "Issued",
  burned: "Burned",
  frozen: "Frozen",
  unfrozen: "Unfrozen",
  paused: "Paused",
  unpaused: "Unpaused",
} as const;

export type QscEventType = (typeof QSC_EVENT)[keyof typeof QSC_EVENT];

/** Addresses and the denom are indexed (searchable); amounts and descriptive fields are not. */
const INDEXED = new Set(["denom", "from", "to", "owner", "issuer", "creator", "account"]);

export function qscEvent(type: QscEventType, attributes: Readonly<Record<string, string>>): Event {
  return {
    type,
    attributes: Object.entries(attributes).map(([key, value]) => ({
      key,
      value,
      index: INDEXED.has(key),
    })),
  };
}
