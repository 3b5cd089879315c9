/**
 * A bounded queue of byte chunks with one async reader: producers push without waiting, and
 * when the reader falls behind the oldest chunks are dropped (live streams prefer fresh data).
 *
 * @module
 */

/** Pushed chunks, read with `for await`. */
export class ChunkQueue implements AsyncIterable<Uint8Array> {
  /** Chunks dropped because the queue was full. */
  dropped = 0;
  readonly #limit: number;
  #items: Uint8Array[] = [];
  #head = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  /** @param limit most chunks held; default 8192 */
  constructor(limit = 8192) {
    this.#limit = limit;
  }

  /** Chunks waiting. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds a chunk (ignored after {@linkcode ChunkQueue.end}). */
  push(chunk: Uint8Array): void {
    if (this.#ended) return;
    if (this.length >= this.#limit) {
      this.#head++;
      this.dropped++;
    }
    this.#items.push(chunk);
    this.#wakeUp();
  }

  /** Ends the stream; the reader gets what is queued, then the end. */
  end(): void {
    this.#ended = true;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    while (true) {
      if (this.#head < this.#items.length) {
        const c = this.#items[this.#head++];
        if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
        yield c;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((r) => (this.#wake = r));
    }
  }
}
