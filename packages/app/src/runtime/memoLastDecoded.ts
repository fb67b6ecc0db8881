// A decoder that remembers its last input by identity: a stored record read again without
// having been rewritten comes back as the same Uint8Array (the tree and the branch stores hand
// out their stored value), so its decoding is reused. Any other input is decoded. Pure.

/** `decode`, reusing the last answer while the input is the very same array. Answers are shared: keep them immutable. */
export function memoLastDecoded<T>(decode: (bytes: Uint8Array) => T): (bytes: Uint8Array) => T {
  let lastInput: Uint8Array | undefined;
  let lastOutput: T | undefined;
  return (bytes) => {
    if (bytes === lastInput) return lastOutput as T;
    const out = decode(bytes);
    lastInput = bytes;
    lastOutput = out;
    return out;
  };
}
