// Cosmos-style pagination (cosmos.base.query.v1beta1) over items already in key order: resume
// after `key` (next_key of the previous page) or skip `offset`; `limit` defaults to 100. Pure.

import { create } from "@bufbuild/protobuf";
import { compareBytes, cosmosPagination } from "@qos/types";
import { SDK_CODE, sdkError } from "./sdkErrors.ts";

export const DEFAULT_PAGE_LIMIT = 100n;

export interface Keyed<T> {
  readonly key: Uint8Array;
  readonly item: T;
}

export function paginate<T>(
  all: Iterable<Keyed<T>>,
  page: cosmosPagination.PageRequest | undefined,
): { readonly items: T[]; readonly pagination: cosmosPagination.PageResponse } {
  const key = page?.key ?? new Uint8Array();
  const offset = page?.offset ?? 0n;
  if (key.length > 0 && offset > 0n) {
    throw sdkError(SDK_CODE.invalidRequest, "either offset or key is expected, got both");
  }
  const limit = page === undefined || page.limit === 0n ? DEFAULT_PAGE_LIMIT : page.limit;
  let list = [...all];
  if (page?.reverse === true) list = list.reverse();
  const total = BigInt(list.length);
  let start = 0;
  if (key.length > 0) {
    const rev = page?.reverse === true;
    start = list.findIndex((e) =>
      rev ? compareBytes(e.key, key) <= 0 : compareBytes(e.key, key) >= 0,
    );
    if (start < 0) start = list.length;
  } else {
    start = Number(offset > total ? total : offset);
  }
  const end = Math.min(list.length, start + Number(limit > total ? total : limit));
  const next = list[end];
  return {
    items: list.slice(start, end).map((e) => e.item),
    pagination: create(cosmosPagination.PageResponseSchema, {
      nextKey: next === undefined ? new Uint8Array() : next.key,
      total: page?.countTotal === true ? total : 0n,
    }),
  };
}
