/**
 * AES key wrap (RFC 3394) with the default initial value `A6A6A6A6A6A6A6A6`,
 * which SRT uses to carry stream-encrypting keys (SEKs) inside the Key
 * Material message. A failed integrity check on unwrap is how a wrong
 * passphrase shows up (KM state BADSECRET).
 *
 * @module
 */

import { aeskw } from "@noble/ciphers/aes.js";
import { assertKeyLength } from "./key_length.ts";

/**
 * Length of the integrity check value prepended by the key wrap.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AES_KW_ICV_LENGTH, aesKeyWrap } from "@tsrt/tsrt/crypto";
 * const wrapped = aesKeyWrap(new Uint8Array(16), new Uint8Array(32));
 * assert.equal(wrapped.length, 32 + AES_KW_ICV_LENGTH);
 * ```
 */
export const AES_KW_ICV_LENGTH = 8;

/**
 * Wraps key data with a key-encrypting key (RFC 3394 §2.2.1).
 *
 * @param kek The key-encrypting key, 16, 24 or 32 bytes.
 * @param keyData The key data, a multiple of 8 bytes and at least 16 bytes.
 * @returns The wrapped key, 8 bytes longer than `keyData`.
 * @throws {RangeError} On a bad KEK or key data length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aesKeyUnwrap, aesKeyWrap } from "./aes_kw.ts";
 * const kek = new Uint8Array(16).fill(1);
 * const sek = new Uint8Array(16).fill(2);
 * const wrapped = aesKeyWrap(kek, sek);
 * assert.equal(wrapped.length, 24);
 * assert.deepEqual(aesKeyUnwrap(kek, wrapped), sek);
 * ```
 */
export function aesKeyWrap(kek: Uint8Array, keyData: Uint8Array): Uint8Array {
  assertKeyLength(kek.length, "KEK");
  if (keyData.length < 16 || keyData.length % 8 !== 0) {
    throw new RangeError(
      `key data must be a multiple of 8 bytes and at least 16 bytes, got ${keyData.length}`,
    );
  }
  return aeskw(kek).encrypt(keyData);
}

/**
 * Unwraps key data and verifies the RFC 3394 integrity check value.
 *
 * @param kek The key-encrypting key, 16, 24 or 32 bytes.
 * @param wrapped The wrapped key, a multiple of 8 bytes and at least 24 bytes.
 * @returns The key data, or `undefined` when the integrity check fails
 *   (wrong KEK, that is a wrong passphrase, or corrupted data).
 * @throws {RangeError} On a bad KEK or wrapped length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aesKeyUnwrap, aesKeyWrap } from "@tsrt/tsrt/crypto";
 * const wrapped = aesKeyWrap(new Uint8Array(16).fill(7), new Uint8Array(16).fill(9));
 * assert.deepEqual(aesKeyUnwrap(new Uint8Array(16).fill(7), wrapped), new Uint8Array(16).fill(9));
 * // The wrong KEK fails the integrity check.
 * assert.equal(aesKeyUnwrap(new Uint8Array(16).fill(8), wrapped), undefined);
 * ```
 */
export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array | undefined {
  assertKeyLength(kek.length, "KEK");
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw new RangeError(
      `wrapped key must be a multiple of 8 bytes and at least 24 bytes, got ${wrapped.length}`,
    );
  }
  try {
    return aeskw(kek).decrypt(wrapped).slice();
  } catch {
    // Lengths were checked above, so the only remaining failure is the ICV check.
    return undefined;
  }
}
