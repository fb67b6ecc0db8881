export * from "./abci.ts";
