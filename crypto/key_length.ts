/**
 * AES key lengths used by SRT (PBKEYLEN).
 *
 * @module
 */

/**
 * An AES key length in bytes accepted by SRT: AES-128, AES-192 or AES-256.
 *
 * @example
 * ```ts
 * import { createKeyMaterial, type KeyLength } from "@tsrt/tsrt/crypto";
 * const keyLength: KeyLength = 32; // AES-256, pbkeylen=32
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * createKeyMaterial({ passphrase: "a long shared secret", keyLength, rng });
 * ```
 */
export type KeyLength = 16 | 24 | 32;

/**
 * Tells whether a number is a valid SRT key length (16, 24 or 32 bytes).
 *
 * @param n The candidate length in bytes.
 * @returns `true` when `n` is 16, 24 or 32.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isKeyLength } from "./key_length.ts";
 * assert.equal(isKeyLength(24), true);
 * assert.equal(isKeyLength(20), false);
 * ```
 */
export function isKeyLength(n: number): n is KeyLength {
  return n === 16 || n === 24 || n === 32;
}

/**
 * Throws a `RangeError` unless `n` is a valid SRT key length.
 *
 * @param n The candidate length in bytes.
 * @param what A name for the value, used in the error message.
 */
export function assertKeyLength(n: number, what: string): asserts n is KeyLength {
  if (!isKeyLength(n)) {
    throw new RangeError(`${what} must be 16, 24 or 32 bytes, got ${n}`);
  }
}
