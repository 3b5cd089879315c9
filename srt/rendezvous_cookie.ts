/**
 * The rendezvous cookie contest that decides which side is the HSv5 Initiator.
 *
 * libsrt (`CUDT::cookieContest`, 1.5.1; `backwardCompatibleCookieContest`, 1.5.5) treats the
 * cookies as signed 32-bit values and subtracts them in 64 bits:
 *
 * ```
 * contest = int64(local) - int64(peer)
 * low 32 bits of contest == 0            -> draw (no roles; libsrt rejects, SRT_REJ_RDVCOOKIE)
 * bit 31 of contest set                  -> RESPONDER
 *   (1.5.5: unless the difference is exactly 2^31 mod 2^32 and local > peer -> INITIATOR)
 * otherwise                              -> INITIATOR
 * ```
 *
 * This is a 32-bit wrap-around comparison, not the true signed comparison of the 2025 draft
 * text: they disagree when the cookies are 2^31 or more apart, and a peer following the draft
 * would end up with the same role as libsrt. A cookie of 0 means "not ready": no contest yet.
 *
 * @module
 */

/** Outcome of the contest for the local side. */
export type CookieContestResult = "initiator" | "responder" | "draw" | "not-ready";

/**
 * Runs libsrt's cookie contest from the local side's point of view.
 *
 * @param local this side's cookie (as sent, u32 or i32)
 * @param peer the peer's cookie (as received)
 * @param tieBreak apply libsrt 1.5.5's tie-break for a difference of exactly 2^31 (default
 *   true; 1.5.1 makes both sides RESPONDER there)
 * @returns this side's role, `draw` for equal cookies, `not-ready` when either is 0
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cookieContest } from "./rendezvous_cookie.ts";
 * // The pair from srt PR #1517's logs.
 * assert.equal(cookieContest(811599203, -1480577720), "responder");
 * assert.equal(cookieContest(-1480577720, 811599203), "initiator");
 * ```
 */
export function cookieContest(local: number, peer: number, tieBreak = true): CookieContestResult {
  const a = local | 0;
  const b = peer | 0;
  if (a === 0 || b === 0) return "not-ready";
  const contest = a - b; // exact: both fit in 32 bits, the difference in 33
  const low = contest >= 0 ? contest % 0x100000000 : (contest % 0x100000000 + 0x100000000) %
    0x100000000;
  if (low === 0) return "draw";
  if (low >= 0x80000000) {
    if (tieBreak && low === 0x80000000 && a > b) return "initiator";
    return "responder";
  }
  return "initiator";
}
