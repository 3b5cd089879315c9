/**
 * SRT key-material states (libsrt `SRT_KM_STATE`, `srtcore/srt.h`). A KMRSP
 * that carries a single 32-bit word instead of an echoed Key Material message
 * reports one of these.
 *
 * @module
 */

/**
 * Key-material exchange states, numbered as on the wire.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KmState } from "@tsrt/tsrt/crypto";
 * // A caller's stats().kmState after a successful encrypted handshake:
 * const kmState: number = 2;
 * assert.equal(kmState, KmState.SECURED);
 * ```
 */
export const KmState = {
  /** No encryption on this side. */
  UNSECURED: 0,
  /** Key material exchange in progress. */
  SECURING: 1,
  /** Keys agreed; traffic is encrypted. */
  SECURED: 2,
  /** The peer encrypts but no passphrase is set here. */
  NOSECRET: 3,
  /** The passphrases differ: the SEK could not be unwrapped. */
  BADSECRET: 4,
  /** The two sides ask for different cipher modes (libsrt ≥ 1.5.2). */
  BADCRYPTOMODE: 5,
} as const;

/**
 * One of the {@linkcode KmState} values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KmState } from "@tsrt/tsrt/crypto";
 * function describe(state: KmState): string {
 *   return state === KmState.BADSECRET ? "wrong passphrase" : "ok";
 * }
 * assert.equal(describe(KmState.BADSECRET), "wrong passphrase");
 * ```
 */
export type KmState = typeof KmState[keyof typeof KmState];
