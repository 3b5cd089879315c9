// A min-heap of (deadline, item) pairs for the endpoint's timers. Entries are never updated in
// place: an item gets a new entry when its deadline moves earlier, and the caller recognises
// superseded entries when they surface (it keeps the current deadline of each item).

interface Entry<T> {
  t: number;
  item: T;
}

/** Min-heap of deadlines. */
export class DeadlineHeap<T> {
  #h: Entry<T>[] = [];

  /** Number of entries, superseded ones included. */
  get size(): number {
    return this.#h.length;
  }

  /** The earliest entry, or undefined. */
  peek(): Entry<T> | undefined {
    return this.#h[0];
  }

  /** Adds an entry. */
  push(t: number, item: T): void {
    const h = this.#h;
    h.push({ t, item });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].t <= h[i].t) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  /** Removes and returns the earliest entry. */
  pop(): Entry<T> | undefined {
    const h = this.#h;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].t < h[m].t) m = l;
        if (r < h.length && h[r].t < h[m].t) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}
