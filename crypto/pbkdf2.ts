/**
 * Key-encrypting key (KEK) derivation from a passphrase, the way libsrt
 * (`haicrypt/hcrypt_sa.c`) does it: PBKDF2-HMAC-SHA1 with 2048 iterations,
 * using the last 8 bytes of the 16-byte Key Material salt.
 *
 * @module
 */

import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { assertKeyLength, type KeyLength } from "./key_length.ts";
import { loadNodeCrypto } from "./_node_crypto.ts";

/**
 * PBKDF2 iteration count used by libsrt (`HAICRYPT_PBKDF2_ITER_CNT`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deriveKek, PBKDF2_ITERATIONS, pbkdf2HmacSha1 } from "@tsrt/tsrt/crypto";
 * const salt = new Uint8Array(16).fill(3);
 * // deriveKek() is PBKDF2 over the salt's last 8 bytes with libsrt's iteration count.
 * assert.deepEqual(
 *   deriveKek("a long shared secret", salt, 16),
 *   pbkdf2HmacSha1("a long shared secret", salt.subarray(8), PBKDF2_ITERATIONS, 16),
 * );
 * ```
 */
export const PBKDF2_ITERATIONS = 2048;
/**
 * Number of trailing salt bytes fed to PBKDF2 (`HAICRYPT_PBKDF2_SALT_LEN`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KM_SALT_LENGTH, PBKDF2_SALT_LENGTH } from "@tsrt/tsrt/crypto";
 * // PBKDF2 uses the last 8 of the 16 salt bytes.
 * assert.equal(KM_SALT_LENGTH - PBKDF2_SALT_LENGTH, 8);
 * ```
 */
export const PBKDF2_SALT_LENGTH = 8;
/**
 * Shortest passphrase libsrt accepts, in bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PASSPHRASE_MIN_LENGTH, passphraseBytes } from "@tsrt/tsrt/crypto";
 * assert.throws(() => passphraseBytes("x".repeat(PASSPHRASE_MIN_LENGTH - 1)), RangeError);
 * ```
 */
export const PASSPHRASE_MIN_LENGTH = 10;
/**
 * Longest passphrase libsrt accepts, in bytes (`HAICRYPT_SECRET_MAX_SZ`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PASSPHRASE_MAX_LENGTH, passphraseBytes } from "@tsrt/tsrt/crypto";
 * assert.equal(passphraseBytes("x".repeat(PASSPHRASE_MAX_LENGTH)).length, 80);
 * ```
 */
export const PASSPHRASE_MAX_LENGTH = 80;
/**
 * Length of the salt carried in a Key Material message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, KM_SALT_LENGTH } from "@tsrt/tsrt/crypto";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const km = createKeyMaterial({ passphrase: "a long shared secret", keyLength: 16, rng });
 * assert.equal(km.salt.length, KM_SALT_LENGTH);
 * ```
 */
export const KM_SALT_LENGTH = 16;

const encoder = new TextEncoder();

/**
 * Generic PBKDF2-HMAC-SHA1 (RFC 8018 §5.2), exposed for known-answer tests.
 *
 * @param password The password bytes (strings are UTF-8 encoded).
 * @param salt The salt bytes (strings are UTF-8 encoded).
 * @param iterations The iteration count, at least 1.
 * @param length The output length in bytes.
 * @returns The derived key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pbkdf2HmacSha1 } from "./pbkdf2.ts";
 * // RFC 6070 test vector 1
 * const dk = pbkdf2HmacSha1("password", "salt", 1, 20);
 * assert.equal(dk[0], 0x0c);
 * ```
 */
export function pbkdf2HmacSha1(
  password: string | Uint8Array,
  salt: string | Uint8Array,
  iterations: number,
  length: number,
): Uint8Array {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new RangeError(`iterations must be a positive integer, got ${iterations}`);
  }
  if (!Number.isSafeInteger(length) || length < 1) {
    throw new RangeError(`length must be a positive integer, got ${length}`);
  }
  return pbkdf2(sha1, password, salt, { c: iterations, dkLen: length });
}

/**
 * Encodes a passphrase as UTF-8 and checks libsrt's 10..80 byte limit.
 *
 * @param passphrase The passphrase, as a string or raw bytes.
 * @returns The passphrase bytes.
 * @throws {RangeError} If the passphrase is shorter than 10 or longer than 80 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passphraseBytes } from "@tsrt/tsrt/crypto";
 * assert.equal(passphraseBytes("pässphrase").length, 11); // UTF-8 bytes, not characters
 * assert.throws(() => passphraseBytes("short"), RangeError);
 * ```
 */
export function passphraseBytes(passphrase: string | Uint8Array): Uint8Array {
  const bytes = typeof passphrase === "string" ? encoder.encode(passphrase) : passphrase;
  if (bytes.length < PASSPHRASE_MIN_LENGTH || bytes.length > PASSPHRASE_MAX_LENGTH) {
    throw new RangeError(
      `passphrase must be ${PASSPHRASE_MIN_LENGTH}..${PASSPHRASE_MAX_LENGTH} bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}

/**
 * Derives the SRT key-encrypting key from a passphrase and a Key Material salt.
 *
 * @param passphrase The shared passphrase (10..80 bytes once UTF-8 encoded).
 * @param salt The 16-byte salt from the Key Material message; only its last 8 bytes are used.
 * @param keyLength The KEK length, equal to the SEK length (16, 24 or 32).
 * @returns The KEK.
 * @throws {RangeError} On a bad passphrase length, salt length or key length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deriveKek } from "./pbkdf2.ts";
 * const kek = deriveKek("0123456789", new Uint8Array(16), 16);
 * assert.equal(kek.length, 16);
 * ```
 */
export function deriveKek(
  passphrase: string | Uint8Array,
  salt: Uint8Array,
  keyLength: KeyLength,
): Uint8Array {
  const pass = passphraseBytes(passphrase);
  if (salt.length !== KM_SALT_LENGTH) {
    throw new RangeError(`salt must be ${KM_SALT_LENGTH} bytes, got ${salt.length}`);
  }
  assertKeyLength(keyLength, "keyLength");
  const tail = salt.subarray(KM_SALT_LENGTH - PBKDF2_SALT_LENGTH);
  // Native where the runtime has node:crypto: about 1 ms instead of 3-10 ms (20+ cold) of
  // synchronous hashing per handshake, which stalls every other connection of the process.
  const node = loadNodeCrypto();
  if (node?.pbkdf2Sync) {
    return new Uint8Array(node.pbkdf2Sync(pass, tail, PBKDF2_ITERATIONS, keyLength, "sha1"));
  }
  return pbkdf2(sha1, pass, tail, { c: PBKDF2_ITERATIONS, dkLen: keyLength });
}
