// Zeroing secret buffers, and a comparison whose time does not depend on where bytes differ.
// Wiping in JS is best effort: see the crypto README ("What wiping does and does not do").

/** Overwrites each buffer with zeros (null/undefined are skipped). */
export function wipeBytes(...buffers: ReadonlyArray<Uint8Array | null | undefined>): void {
  for (const b of buffers) b?.fill(0);
}

/** Equality that reads every byte of equal-length inputs (for MACs). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
