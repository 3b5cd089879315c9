/**
 * A sorted list of lost sequence ranges, shared by the sender (what to retransmit) and the
 * receiver (what to report in NAKs). Ranges never overlap and are kept in sequence order.
 *
 * @module
 */

import type { LossRange } from "./nak.ts";
import { seqCmp, seqDec, seqInc, seqLen } from "./seq.ts";

/** Sorted, coalesced lost sequence ranges. */
export class LossList {
  #first: number[] = [];
  #last: number[] = [];
  #count = 0;

  /** Number of lost packets in the list. */
  get size(): number {
    return this.#count;
  }

  /** Number of ranges in the list. */
  get rangeCount(): number {
    return this.#first.length;
  }

  /** Adds first..last, merging with neighbours and overlaps. */
  insert(first: number, last: number): void {
    const f = this.#first;
    const l = this.#last;
    // Find the first range whose end is at or after first-1 (it may touch or overlap).
    let i = 0;
    while (i < f.length && seqCmp(l[i], seqDec(first)) < 0) i++;
    let newFirst = first;
    let newLast = last;
    let j = i;
    while (j < f.length && seqCmp(f[j], seqInc(newLast)) <= 0) {
      if (seqCmp(f[j], newFirst) < 0) newFirst = f[j];
      if (seqCmp(l[j], newLast) > 0) newLast = l[j];
      this.#count -= seqLen(f[j], l[j]);
      j++;
    }
    f.splice(i, j - i, newFirst);
    l.splice(i, j - i, newLast);
    this.#count += seqLen(newFirst, newLast);
  }

  /** Removes one sequence number; returns whether it was in the list. */
  remove(seq: number): boolean {
    const f = this.#first;
    const l = this.#last;
    for (let i = 0; i < f.length; i++) {
      if (seqCmp(seq, f[i]) < 0) return false;
      if (seqCmp(seq, l[i]) > 0) continue;
      if (f[i] === l[i]) {
        f.splice(i, 1);
        l.splice(i, 1);
      } else if (seq === f[i]) f[i] = seqInc(seq);
      else if (seq === l[i]) l[i] = seqDec(seq);
      else {
        f.splice(i + 1, 0, seqInc(seq));
        l.splice(i + 1, 0, l[i]);
        l[i] = seqDec(seq);
      }
      this.#count--;
      return true;
    }
    return false;
  }

  /** Removes every sequence number before `seq` (exclusive); returns how many were removed. */
  removeBefore(seq: number): number {
    const f = this.#first;
    const l = this.#last;
    let removed = 0;
    while (f.length > 0 && seqCmp(f[0], seq) < 0) {
      if (seqCmp(l[0], seq) < 0) {
        removed += seqLen(f[0], l[0]);
        f.shift();
        l.shift();
      } else {
        removed += seqLen(f[0], seqDec(seq));
        f[0] = seq;
      }
    }
    this.#count -= removed;
    return removed;
  }

  /** True when `seq` is in the list. */
  has(seq: number): boolean {
    for (let i = 0; i < this.#first.length; i++) {
      if (seqCmp(seq, this.#first[i]) < 0) return false;
      if (seqCmp(seq, this.#last[i]) <= 0) return true;
    }
    return false;
  }

  /** First sequence number of range `i` (0 = oldest), for iterating without allocation. */
  firstOf(i: number): number {
    return this.#first[i];
  }

  /** Last sequence number of range `i` (0 = oldest). */
  lastOf(i: number): number {
    return this.#last[i];
  }

  /** The first lost sequence number, or -1 when empty. */
  peekFirst(): number {
    return this.#first.length ? this.#first[0] : -1;
  }

  /** Removes and returns the first lost sequence number, or -1 when empty. */
  popFirst(): number {
    if (this.#first.length === 0) return -1;
    const s = this.#first[0];
    this.remove(s);
    return s;
  }

  /** The ranges, oldest first, at most `limit` of them. */
  ranges(limit = Infinity): LossRange[] {
    const out: LossRange[] = [];
    for (let i = 0; i < this.#first.length && out.length < limit; i++) {
      out.push([this.#first[i], this.#last[i]]);
    }
    return out;
  }

  /** Empties the list. */
  clear(): void {
    this.#first.length = 0;
    this.#last.length = 0;
    this.#count = 0;
  }
}
