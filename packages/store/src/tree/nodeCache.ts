// The bounded cache of decoded persisted tree nodes, keyed by node key (version, nonce).
// Two generations approximate LRU at O(1) per access: a hit in the old one moves to the young.

import type { TreeNode } from "./treeNode.ts";

/** Numeric cache key while it is exact in a double; a string beyond (huge versions or nonces). */
export function nodeCacheKey(version: number, nonce: number): number | string {
  return version < 0x20000000 && nonce < 0x1000000
    ? version * 0x1000000 + nonce
    : `${version}/${nonce}`;
}

export class NodeCache {
  private young = new Map<number | string, TreeNode>();
  private old = new Map<number | string, TreeNode>();
  private readonly half: number;

  /** Holds at most `capacity` nodes (0 disables caching). */
  constructor(capacity: number) {
    this.half = Math.max(0, Math.floor(capacity / 2));
  }

  get(key: number | string): TreeNode | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const old = this.old.get(key);
    if (old !== undefined) {
      this.old.delete(key);
      this.set(key, old);
    }
    return old;
  }

  set(key: number | string, node: TreeNode): void {
    if (this.half === 0) return;
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, node);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
