// One peer's outbound queue for one channel: a bounded FIFO drained by a writer into a
// long-lived libp2p stream, several queued messages per write. A full queue drops new messages.

import type { Stream } from "@libp2p/interface";
import { frameSize, writeFrame } from "./frame.ts";

/** A write gathers queued frames up to this many bytes (one larger message goes alone). */
const BATCH_BYTES = 64 * 1024;

export interface PeerSendQueue {
  /** Queues a message; false when the queue is full or closed (the message is dropped). */
  push(bytes: Uint8Array): boolean;
  /** Messages waiting. */
  length(): number;
  /** Moves the writer to a new stream opener (the peer's connection changed); keeps the queue. */
  rebind(openStream: () => Promise<Stream>): void;
  /** Stops the writer and drops what is queued. */
  close(): void;
}

export interface PeerSendQueueOptions {
  readonly capacity: number;
  readonly openStream: () => Promise<Stream>;
  /** Payload bytes and message count handed to the stream. */
  readonly onSent: (bytes: number, messages: number) => void;
  readonly onError: (err: unknown) => void;
}

export function createPeerSendQueue(opts: PeerSendQueueOptions): PeerSendQueue {
  let openStream = opts.openStream;
  let queue: (Uint8Array | undefined)[] = [];
  let head = 0;
  let closed = false;
  let wake: (() => void) | null = null;
  // Each writer run has a generation; rebind/close end the current one.
  let generation = 0;
  let running = false;
  let stream: Stream | null = null;

  const size = () => queue.length - head;

  function notify(): void {
    const w = wake;
    wake = null;
    w?.();
  }

  function takeBatch(): { chunk: Uint8Array; bytes: number; count: number } {
    let total = 0;
    let end = head;
    while (end < queue.length) {
      const m = queue[end] as Uint8Array;
      const f = frameSize(m.length);
      if (end > head && total + f > BATCH_BYTES) break;
      total += f;
      end++;
    }
    const chunk = new Uint8Array(total);
    let off = 0;
    let bytes = 0;
    for (let i = head; i < end; i++) {
      const m = queue[i] as Uint8Array;
      off = writeFrame(chunk, off, m);
      bytes += m.length;
      queue[i] = undefined;
    }
    const count = end - head;
    head = end;
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    return { chunk, bytes, count };
  }

  async function* frames(gen: number): AsyncGenerator<Uint8Array> {
    while (!closed && gen === generation) {
      if (size() === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      const { chunk, bytes, count } = takeBatch();
      yield chunk;
      opts.onSent(bytes, count);
    }
  }

  async function run(): Promise<void> {
    const gen = generation;
    running = true;
    let s: Stream | null = null;
    try {
      s = await openStream();
      if (closed || gen !== generation) {
        s.abort(new Error("send queue closed"));
        return;
      }
      stream = s;
      await s.sink(frames(gen));
    } catch (e) {
      if (!closed && gen === generation) opts.onError(e);
    } finally {
      if (stream === s) stream = null;
      // After a failure the next push starts a new writer (no retry loop on a dead connection).
      if (gen === generation) running = false;
    }
  }

  function start(): void {
    void run();
  }

  return {
    push(bytes) {
      if (closed || size() >= opts.capacity) return false;
      queue.push(bytes);
      if (!running) start();
      else notify();
      return true;
    },
    length: size,
    rebind(next) {
      openStream = next;
      generation++;
      const old = stream;
      stream = null;
      running = false;
      notify();
      old?.abort(new Error("connection replaced"));
      if (!closed && size() > 0) start();
    },
    close() {
      if (closed) return;
      closed = true;
      generation++;
      queue = [];
      head = 0;
      notify();
      stream?.abort(new Error("send queue closed"));
      stream = null;
    },
  };
}
