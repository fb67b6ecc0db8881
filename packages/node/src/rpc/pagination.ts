// Page arithmetic of CometBFT's list endpoints (`rpc/core/env.go`): per_page defaults to 30
// and is clamped to 100; an out-of-range page is an error naming the valid range.

import { err, ok, type Result } from "@qos/types";

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 100;

/** Absent or < 1 → 30; > 100 → 100 (CometBFT clamps rather than failing). */
export function validatePerPage(perPage: number | undefined): number {
  if (perPage === undefined || perPage < 1) return DEFAULT_PER_PAGE;
  return Math.min(perPage, MAX_PER_PAGE);
}

/** Absent → 1; otherwise must lie in [1, pages] (one page even when empty). */
export function validatePage(
  page: number | undefined,
  perPage: number,
  totalCount: number,
): Result<number, string> {
  if (page === undefined) return ok(1);
  const pages = Math.max(1, Math.floor((totalCount - 1) / perPage) + 1);
  if (page <= 0 || page > pages) {
    return err(`page should be within [1, ${pages}] range, given ${page}`);
  }
  return ok(page);
}
