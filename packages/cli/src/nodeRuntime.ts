// The V8 options a `qos` process runs with. bin/qos.js carries the same in its shebang
// (`env -S`), and `qos devnet` starts its nodes with them; test/bench harnesses use them too, so
// the figures in bench/README.md are those of the command users run.

/**
 * A 64 MiB young generation (V8 semi-space; Node 20's default is 16 MiB): a node under load
 * allocates per tx (HTTP request, decoded tx, events) and scavenges a quarter as often. Measured
 * +7% committed signed sends/s on one validator (bench/README.md, "V8 young generation").
 */
export const NODE_RUNTIME_FLAGS: readonly string[] = ["--max-semi-space-size=64"];
