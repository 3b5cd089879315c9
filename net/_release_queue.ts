/**
 * A min-heap of datagrams ordered by release time, ties broken by insertion
 * order so that equal release times keep FIFO order.
 *
 * @module
 */

/** One queued datagram. */
export interface Release<T> {
  at: number;
  seq: number;
  item: T;
}

/** Binary min-heap keyed on `(at, seq)`. */
export class ReleaseQueue<T> {
  #heap: Release<T>[] = [];
  #seq = 0;

  /** Number of queued items. */
  get size(): number {
    return this.#heap.length;
  }

  /** Release time of the earliest item, or `Infinity` when empty. */
  get nextAt(): number {
    return this.#heap.length === 0 ? Infinity : this.#heap[0].at;
  }

  /** Queues `item` for release at `at`. */
  push(at: number, item: T): void {
    const heap = this.#heap;
    const entry = { at, seq: this.#seq++, item };
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  /** Removes and returns the earliest item. The queue must not be empty. */
  pop(): T {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(heap[right], heap[left]) ? right : left;
        if (!before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top.item;
  }

  /** Empties the queue. */
  clear(): void {
    this.#heap = [];
  }
}

function before<T>(a: Release<T>, b: Release<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
