/**
 * Test helpers for the net/ tests: bounded waits without sleeping.
 *
 * @module
 */

/**
 * Resolves with `promise`, or rejects with an `Error` naming `what` when it
 * has not settled within `ms` milliseconds. The timer is always cleared.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A counter whose value can be awaited: `until(n)` resolves once it reaches `n`. */
export class Counter {
  #value = 0;
  #waiters: Array<{ target: number; resolve: () => void }> = [];

  /** Current value. */
  get value(): number {
    return this.#value;
  }

  /** Adds `by` (default 1) and wakes the waiters whose target is reached. */
  add(by = 1): void {
    this.#value += by;
    if (this.#waiters.length === 0) return;
    const still: Array<{ target: number; resolve: () => void }> = [];
    for (const waiter of this.#waiters) {
      if (this.#value >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  /** Resolves once the value is at least `target`. */
  until(target: number): Promise<void> {
    if (this.#value >= target) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ target, resolve }));
  }
}
