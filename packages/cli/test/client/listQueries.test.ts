// List queries of the client against the app in-process: every page merged into one answer
// (with its total), or the one page the pagination flags ask for.

import { create } from "@bufbuild/protobuf";
import { cosmosPagination } from "@qos/types";
import { describe, expect, it } from "vitest";
import { queryAllBalances } from "../../src/client/chainQueries.ts";
import { appRpc, startApp } from "./inProcessApp.ts";

const HOLDER = "qosacc1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc57unk5z";
const DENOMS = Array.from({ length: 250 }, (_, i) => `tok${String(i).padStart(3, "0")}`);

describe("list queries", () => {
  it("merge every page (100 each) into one answer whose total is its length; one page on request", async () => {
    const app = await startApp({
      bank: {
        balances: [
          { address: HOLDER, coins: DENOMS.map((denom, i) => ({ denom, amount: String(i + 1) })) },
        ],
      },
    });
    const rpc = appRpc(app);
    const all = await queryAllBalances(rpc, HOLDER);
    expect(all.response.balances.map((c) => c.denom)).toEqual(DENOMS);
    expect(all.response.pagination?.total).toBe(250n);
    expect(all.response.pagination?.nextKey).toEqual(new Uint8Array());

    const page = create(cosmosPagination.PageRequestSchema, { limit: 30n, offset: 200n });
    const one = await queryAllBalances(rpc, HOLDER, { page });
    expect(one.response.balances.map((c) => c.denom)).toEqual(DENOMS.slice(200, 230));
    expect(new TextDecoder().decode(one.response.pagination?.nextKey)).toBe("tok230");
  });
});
