// The readable side shared by SrtSocket and SrtGroupSocket: a ReadableStream of payloads with
// a bounded queue; what a reader too slow to keep up would make it exceed is dropped and counted.

import type { SrtError } from "../srt/errors.ts";

/** Most payloads queued for a reader that does not keep up; later ones are dropped. */
const MAX_READ_QUEUE = 8192;

/** A bounded ReadableStream of payloads fed by a connection or a group. */
export class ReadQueue {
  /** The stream the application reads. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Payloads dropped because the queue was full. */
  dropped = 0;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #open = true;

  /** @param limit Most payloads queued (default 8192). */
  constructor(limit: number = MAX_READ_QUEUE) {
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.#controller = c;
      },
      cancel: () => {
        this.#open = false;
      },
    }, { highWaterMark: limit });
  }

  /** Queues a payload, or drops and counts it when the reader is that far behind. */
  push(payload: Uint8Array): void {
    if (!this.#open) return;
    if ((this.#controller.desiredSize ?? 0) <= 0) {
      this.dropped++;
      return;
    }
    this.#controller.enqueue(payload);
  }

  /** Ends the stream: with `error` the reader's next read rejects with it. Idempotent. */
  end(error?: SrtError): void {
    if (!this.#open) return;
    this.#open = false;
    if (error) this.#controller.error(error);
    else this.#controller.close();
  }
}
