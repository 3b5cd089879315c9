/**
 * Creating and opening SRT Key Material: the sender draws a salt and
 * stream-encrypting key(s), wraps them under the passphrase-derived KEK and
 * sends the KM message in its KMREQ; the receiver derives the same KEK from
 * the salt and unwraps. A failed unwrap means the passphrases differ (BADSECRET).
 *
 * No randomness is drawn here: the caller passes a random-bytes source.
 *
 * @module
 */

import { aesKeyUnwrap, aesKeyWrap } from "./aes_kw.ts";
import {
  decodeKeyMaterial,
  encodeKeyMaterial,
  KeyFlags,
  KM_SE_SRT,
  KmAuth,
  KmCipher,
  KmError,
} from "./key_material.ts";
import { assertKeyLength, type KeyLength } from "./key_length.ts";
import { KmState } from "./km_state.ts";
import { deriveKek, KM_SALT_LENGTH, passphraseBytes } from "./pbkdf2.ts";

/**
 * A source of cryptographically secure random bytes, e.g. `crypto.getRandomValues`-based.
 *
 * @example
 * ```ts
 * import { createKeyMaterial, type RandomBytes } from "@tsrt/tsrt/crypto";
 * const rng: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
 * createKeyMaterial({ passphrase: "a long shared secret", keyLength: 16, rng });
 * ```
 */
export type RandomBytes = (n: number) => Uint8Array;

/**
 * Options for {@linkcode createKeyMaterial}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, type CreateKeyMaterialOptions } from "@tsrt/tsrt/crypto";
 * const options: CreateKeyMaterialOptions = {
 *   passphrase: "a long shared secret",
 *   keyLength: 24,
 *   rng: (n) => crypto.getRandomValues(new Uint8Array(n)),
 * };
 * assert.equal(createKeyMaterial(options).evenKey?.length, 24);
 * ```
 */
export interface CreateKeyMaterialOptions {
  /** The shared passphrase, 10..80 bytes once UTF-8 encoded. */
  passphrase: string | Uint8Array;
  /** SEK length in bytes (PBKEYLEN). */
  keyLength: KeyLength;
  /** Which keys to create; default even only. */
  kk?: KeyFlags;
  /** Payload cipher; default AES-CTR. */
  cipher?: KmCipher;
  /** Random-bytes source for the salt and keys. */
  rng: RandomBytes;
}

/**
 * Key material in the clear, plus its encoded KM message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, type KeyMaterial } from "@tsrt/tsrt/crypto";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const passphrase = "a long shared secret";
 * const km: KeyMaterial = createKeyMaterial({ passphrase, keyLength: 16, rng });
 * assert.equal(km.salt.length, 16);
 * assert.equal(km.oddKey, undefined); // even key only by default
 * assert.equal(km.message.length, 56);
 * ```
 */
export interface KeyMaterial {
  /** Which keys are present. */
  readonly kk: KeyFlags;
  /** Payload cipher. */
  readonly cipher: KmCipher;
  /** SEK length in bytes. */
  readonly keyLength: KeyLength;
  /** The 16-byte salt (IV source and PBKDF2 salt). */
  readonly salt: Uint8Array;
  /** The even SEK, when `kk` includes it. */
  readonly evenKey?: Uint8Array;
  /** The odd SEK, when `kk` includes it. */
  readonly oddKey?: Uint8Array;
  /** The encoded KM message to put in a KMREQ or KM refresh. */
  readonly message: Uint8Array;
}

/**
 * Result of {@linkcode openKeyMaterial}: the key material, or why it failed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KmState, type OpenKeyMaterialResult, openKeyMaterial } from "@tsrt/tsrt/crypto";
 * const r: OpenKeyMaterialResult = openKeyMaterial(new Uint8Array(56), "a long shared secret");
 * assert.ok(!r.ok);
 * assert.equal(r.state, KmState.NOSECRET); // malformed message
 * ```
 */
export type OpenKeyMaterialResult =
  | { readonly ok: true; readonly keyMaterial: KeyMaterial }
  | {
    readonly ok: false;
    /** The state to report in a one-word KMRSP, as libsrt does. */
    readonly state:
      | typeof KmState.NOSECRET
      | typeof KmState.BADSECRET
      | typeof KmState.BADCRYPTOMODE;
    readonly error: KmError;
  };

function draw(rng: RandomBytes, n: number, what: string): Uint8Array {
  const bytes = rng(n);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new RangeError(`rng must return ${n} bytes for the ${what}`);
  }
  return bytes.slice();
}

/**
 * Creates fresh key material: a random salt, random SEK(s) and the KM message
 * carrying them wrapped under the passphrase-derived KEK.
 *
 * @param options Passphrase, key length, key flags, cipher and random source.
 * @returns The keys in the clear and the encoded KM message.
 * @throws {RangeError} On a bad passphrase or key length, or a misbehaving `rng`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, openKeyMaterial } from "./km_exchange.ts";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const km = createKeyMaterial({ passphrase: "correct horse", keyLength: 16, rng });
 * const opened = openKeyMaterial(km.message, "correct horse");
 * assert.ok(opened.ok);
 * assert.deepEqual(opened.keyMaterial.evenKey, km.evenKey);
 * ```
 */
export function createKeyMaterial(options: CreateKeyMaterialOptions): KeyMaterial {
  const { passphrase, keyLength, rng } = options;
  const kk = options.kk ?? KeyFlags.EVEN;
  const cipher = options.cipher ?? KmCipher.AES_CTR;
  assertKeyLength(keyLength, "keyLength");
  if (kk !== 1 && kk !== 2 && kk !== 3) throw new RangeError(`kk must be 1, 2 or 3, got ${kk}`);
  if (cipher !== KmCipher.AES_CTR && cipher !== KmCipher.AES_GCM) {
    throw new RangeError(`unsupported cipher ${cipher}`);
  }
  passphraseBytes(passphrase);
  const salt = draw(rng, KM_SALT_LENGTH, "salt");
  const evenKey = kk & KeyFlags.EVEN ? draw(rng, keyLength, "even key") : undefined;
  const oddKey = kk & KeyFlags.ODD ? draw(rng, keyLength, "odd key") : undefined;
  const plain = new Uint8Array((evenKey ? keyLength : 0) + (oddKey ? keyLength : 0));
  if (evenKey) plain.set(evenKey, 0);
  if (oddKey) plain.set(oddKey, evenKey ? keyLength : 0);
  const kek = deriveKek(passphrase, salt, keyLength);
  const wrappedKeys = aesKeyWrap(kek, plain);
  plain.fill(0);
  kek.fill(0);
  const message = encodeKeyMaterial({
    kk,
    keki: 0,
    cipher,
    auth: cipher === KmCipher.AES_GCM ? KmAuth.AES_GCM : KmAuth.NONE,
    se: KM_SE_SRT,
    salt,
    keyLength,
    wrappedKeys,
  });
  return { kk, cipher, keyLength, salt, evenKey, oddKey, message };
}

/**
 * Decodes a received KM message, derives the KEK from the passphrase and
 * unwraps the SEK(s).
 *
 * @param kmBytes The KM message (KMREQ extension contents or KM refresh payload).
 * @param passphrase The local passphrase, 10..80 bytes once UTF-8 encoded.
 * @returns `{ ok: true, keyMaterial }`, or `{ ok: false, state, error }` where
 *   `state` is BADSECRET for a wrong passphrase, BADCRYPTOMODE for an
 *   unsupported cipher and NOSECRET for any other malformed message (libsrt's mapping).
 * @throws {RangeError} Only for a bad local passphrase (a programming error).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, KmState, openKeyMaterial } from "@tsrt/tsrt/crypto";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const km = createKeyMaterial({ passphrase: "a long shared secret", keyLength: 16, rng });
 * const good = openKeyMaterial(km.message, "a long shared secret");
 * assert.ok(good.ok);
 * assert.deepEqual(good.keyMaterial.evenKey, km.evenKey);
 * const bad = openKeyMaterial(km.message, "not the same secret");
 * assert.ok(!bad.ok);
 * assert.equal(bad.state, KmState.BADSECRET);
 * ```
 */
export function openKeyMaterial(
  kmBytes: Uint8Array,
  passphrase: string | Uint8Array,
): OpenKeyMaterialResult {
  passphraseBytes(passphrase);
  const msg = decodeKeyMaterial(kmBytes);
  if (msg instanceof KmError) {
    const state = msg.code === "BAD_CIPHER" ? KmState.BADCRYPTOMODE : KmState.NOSECRET;
    return { ok: false, state, error: msg };
  }
  const kek = deriveKek(passphrase, msg.salt, msg.keyLength);
  const plain = aesKeyUnwrap(kek, msg.wrappedKeys);
  kek.fill(0);
  if (!plain) {
    return {
      ok: false,
      state: KmState.BADSECRET,
      error: new KmError("BAD_SECRET", "key unwrap integrity check failed: passphrases differ"),
    };
  }
  const n = msg.keyLength;
  let evenKey: Uint8Array | undefined;
  let oddKey: Uint8Array | undefined;
  if (msg.kk === KeyFlags.BOTH) {
    evenKey = plain.slice(0, n);
    oddKey = plain.slice(n, 2 * n);
  } else if (msg.kk === KeyFlags.EVEN) {
    evenKey = plain.slice(0, n);
  } else {
    oddKey = plain.slice(0, n);
  }
  plain.fill(0);
  return {
    ok: true,
    keyMaterial: {
      kk: msg.kk,
      cipher: msg.cipher,
      keyLength: msg.keyLength,
      salt: msg.salt,
      evenKey,
      oddKey,
      message: kmBytes.slice(),
    },
  };
}
