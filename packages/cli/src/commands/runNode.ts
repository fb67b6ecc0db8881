// `qos start`: run a node in the foreground until SIGINT/SIGTERM, then shut down cleanly.

import { type RunningNode, startNode } from "@qos/node";

export async function runNode(
  home: string,
  overrides: Readonly<Record<string, string>>,
): Promise<RunningNode> {
  const node = await startNode({ home, overrides });
  process.stdout.write(
    `node ${node.nodeId} of chain ${node.genesis.chainId} is running\nRPC: ${node.rpcUrl}\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.logger.info({ signal }, "shutting down");
    node.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`error during shutdown: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  return node;
}
