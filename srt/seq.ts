/**
 * Wrap-around arithmetic for SRT's 31-bit packet sequence numbers and 26-bit message numbers
 * (libsrt `CSeqNo`, `MsgNo`). Comparisons use half the number space as the threshold, so two
 * numbers are "close" when they differ by less than 2^30.
 *
 * @module
 */

/** Largest packet sequence number (2^31 - 1). */
export const SEQ_MAX = 0x7fffffff;
const SEQ_SPAN = 0x80000000;
const SEQ_HALF = 0x40000000;

/** Largest message number (2^26 - 1); message numbers run 1..MSG_MAX. */
export const MSG_MAX = 0x03ffffff;

/**
 * Signed distance from `a` to `b` (b - a) on the 31-bit circle.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seqOff } from "./seq.ts";
 * assert.equal(seqOff(0x7fffffff, 1), 2);
 * ```
 */
export function seqOff(a: number, b: number): number {
  let d = b - a;
  if (d >= SEQ_HALF) d -= SEQ_SPAN;
  else if (d < -SEQ_HALF) d += SEQ_SPAN;
  return d;
}

/** Compares two sequence numbers: negative if a is before b, 0 if equal, positive if after. */
export function seqCmp(a: number, b: number): number {
  return -seqOff(a, b);
}

/** The sequence number after `s`. */
export function seqInc(s: number, n = 1): number {
  return (s + n) & SEQ_MAX;
}

/** The sequence number before `s`. */
export function seqDec(s: number, n = 1): number {
  return (s - n) & SEQ_MAX;
}

/** Number of sequence numbers in the inclusive range first..last (1 when equal). */
export function seqLen(first: number, last: number): number {
  return seqOff(first, last) + 1;
}

/** The message number after `m`, skipping 0 (message numbers start at 1). */
export function msgInc(m: number): number {
  const n = (m + 1) & MSG_MAX;
  return n === 0 ? 1 : n;
}
