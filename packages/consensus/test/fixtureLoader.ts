// Loads the captured CometBFT v0.38 fixtures (packages/types/test/fixtures/cometbft) through the
// @qos/types JSON decoders, for the golden-vector and mutation tests.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type Commit,
  type Header,
  signedHeaderFromJson,
  type Validator as ValidatorProto,
  validatorFromJson,
} from "@qos/types";

const FIXTURES = fileURLToPath(new URL("../../types/test/fixtures/cometbft/", import.meta.url));

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, "utf8"));
}

export interface Fixture12 {
  readonly chainId: string;
  readonly header: Header;
  readonly commit: Commit;
  readonly validators: ValidatorProto[];
}

export function loadFixture12(): Fixture12 {
  const commitJson = readJson("commit-12.json") as { signed_header: unknown };
  const sh = signedHeaderFromJson(commitJson.signed_header);
  if (!sh.ok) throw sh.error;
  const { header, commit } = sh.value;
  if (header === undefined || commit === undefined) throw new Error("fixture lacks header/commit");
  const valsJson = readJson("validators-12.json") as { validators: unknown[] };
  const validators = valsJson.validators.map((v, i) => {
    const r = validatorFromJson(v, `validators[${i}]`);
    if (!r.ok) throw r.error;
    return r.value;
  });
  return { chainId: header.chainId, header, commit, validators };
}
