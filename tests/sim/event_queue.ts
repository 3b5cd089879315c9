/**
 * A deterministic event queue for the network simulator: a binary min-heap ordered by time,
 * with an insertion counter breaking ties so that equal times run in scheduling order.
 *
 * @module
 */

interface Entry {
  t: number;
  n: number;
  fn: () => void;
}

/** Min-heap of timed callbacks. */
export class EventQueue {
  #heap: Entry[] = [];
  #counter = 0;

  /** Number of queued events. */
  get size(): number {
    return this.#heap.length;
  }

  /** Time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.#heap.length ? this.#heap[0].t : Infinity;
  }

  /** Queues `fn` to run at time `t`. */
  push(t: number, fn: () => void): void {
    const h = this.#heap;
    h.push({ t, n: this.#counter++, fn });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  /** Removes and returns the earliest event. */
  pop(): { t: number; fn: () => void } | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.t < b.t || (a.t === b.t && a.n < b.n);
}
