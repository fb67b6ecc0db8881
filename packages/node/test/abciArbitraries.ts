// fast-check arbitraries of the app's ABCI results (events, ExecTxResult), shared by the tests of
// the converters and of the block results record.

import type { Event, ExecTxResult } from "@qos/app";
import fc from "fast-check";

export const eventArb: fc.Arbitrary<Event> = fc.record({
  type: fc.string({ maxLength: 12 }),
  attributes: fc.array(
    fc.record({
      key: fc.string({ maxLength: 10 }),
      value: fc.string({ maxLength: 300 }),
      index: fc.boolean(),
    }),
    { maxLength: 4 },
  ),
});

export const txResultArb: fc.Arbitrary<ExecTxResult> = fc.record({
  code: fc.nat(),
  data: fc.uint8Array({ maxLength: 40 }),
  log: fc.string({ maxLength: 200 }),
  info: fc.string({ maxLength: 20 }),
  gasWanted: fc.bigInt(0n, 2n ** 63n - 1n),
  gasUsed: fc.bigInt(0n, 2n ** 63n - 1n),
  events: fc.array(eventArb, { maxLength: 6 }),
  codespace: fc.string({ maxLength: 10 }),
});
