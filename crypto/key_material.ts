/**
 * Codec for the SRT Key Material (KM) message (draft-sharabayko-srt §3.2.2,
 * libsrt `haicrypt/hcrypt_msg.h`). It travels as the KMREQ/KMRSP handshake
 * extension and as the KM refresh control packet; its bytes are not swapped.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |S|  V  |   PT  |              Sign             |   Resv1   | KK|  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                              KEKI                             |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Cipher     |      Auth     |       SE      |     Resv2     |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             Resv3             |     SLen/4    |     KLen/4    | 12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Salt (SLen = 16 bytes)                  | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      Wrapped keys: 8-byte ICV + KLen (even) [+ KLen (odd)]    | 32
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * S = 0, V = 1, PT = 2 (KM), Sign = 0x2029 ("HAI"), KEKI = 0 (passphrase KEK),
 * Cipher 2 = AES-CTR / 4 = AES-GCM, Auth 0 = none / 1 = AES-GCM, SE = 2
 * (MPEG-TS over SRT). KK: 1 = even key, 2 = odd key, 3 = both (even first).
 *
 * @module
 */

import { AES_KW_ICV_LENGTH } from "./aes_kw.ts";
import { isKeyLength, type KeyLength } from "./key_length.ts";
import { KM_SALT_LENGTH } from "./pbkdf2.ts";

/**
 * Length of the fixed KM header before the salt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, KM_HEADER_LENGTH } from "@tsrt/tsrt/crypto";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const km = createKeyMaterial({ passphrase: "a long shared secret", keyLength: 16, rng });
 * // The salt follows the fixed header.
 * assert.deepEqual(km.message.subarray(KM_HEADER_LENGTH, KM_HEADER_LENGTH + 16), km.salt);
 * ```
 */
export const KM_HEADER_LENGTH = 16;
/**
 * Longest valid KM message in bytes (104): header, salt, ICV and two 32-byte keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyFlags, keyMaterialLength, KM_MAX_LENGTH } from "@tsrt/tsrt/crypto";
 * assert.equal(keyMaterialLength(32, KeyFlags.BOTH), KM_MAX_LENGTH);
 * ```
 */
export const KM_MAX_LENGTH: number = KM_HEADER_LENGTH + KM_SALT_LENGTH + AES_KW_ICV_LENGTH + 2 * 32;
/**
 * Shortest valid KM message in bytes (56): header, salt, ICV and one 16-byte key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyFlags, keyMaterialLength, KM_MIN_LENGTH } from "@tsrt/tsrt/crypto";
 * assert.equal(keyMaterialLength(16, KeyFlags.EVEN), KM_MIN_LENGTH);
 * ```
 */
export const KM_MIN_LENGTH: number = KM_HEADER_LENGTH + KM_SALT_LENGTH + AES_KW_ICV_LENGTH + 16;
/** The KM version field value. */
export const KM_VERSION = 1;
/** The KM packet type field value. */
export const KM_PACKET_TYPE = 2;
/** The KM signature, "HAI" as a PnP vendor id. */
export const KM_SIGN = 0x2029;
/**
 * Stream encapsulation value used by SRT (MPEG-TS over SRT).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, decodeKeyMaterial, KM_SE_SRT, KmError } from "@tsrt/tsrt/crypto";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const km = createKeyMaterial({ passphrase: "a long shared secret", keyLength: 16, rng });
 * const msg = decodeKeyMaterial(km.message);
 * assert.ok(!(msg instanceof KmError));
 * assert.equal(msg.se, KM_SE_SRT);
 * ```
 */
export const KM_SE_SRT = 2;

/**
 * Which keys a KM message (or a data packet's KK bits) refers to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, KeyFlags } from "@tsrt/tsrt/crypto";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * // Both keys, as a sender announces them before a key refresh.
 * const passphrase = "a long shared secret";
 * const km = createKeyMaterial({ passphrase, keyLength: 16, kk: KeyFlags.BOTH, rng });
 * assert.ok(km.evenKey && km.oddKey);
 * ```
 */
export const KeyFlags = {
  /** The even key only. */
  EVEN: 1,
  /** The odd key only. */
  ODD: 2,
  /** Both keys, even first. */
  BOTH: 3,
} as const;
/**
 * One of the {@linkcode KeyFlags} values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyFlags } from "@tsrt/tsrt/crypto";
 * const kk: KeyFlags = KeyFlags.ODD;
 * assert.equal(kk, 2);
 * ```
 */
export type KeyFlags = typeof KeyFlags[keyof typeof KeyFlags];

/**
 * Cipher field values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, KmCipher } from "@tsrt/tsrt/crypto";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const passphrase = "a long shared secret";
 * const km = createKeyMaterial({ passphrase, keyLength: 16, cipher: KmCipher.AES_GCM, rng });
 * assert.equal(km.cipher, KmCipher.AES_GCM);
 * ```
 */
export const KmCipher = {
  /** AES in counter mode (every libsrt version). */
  AES_CTR: 2,
  /** AES-GCM (libsrt ≥ 1.5.2 built with the AEAD preview). */
  AES_GCM: 4,
} as const;
/**
 * One of the {@linkcode KmCipher} values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KmCipher } from "@tsrt/tsrt/crypto";
 * const cipher: KmCipher = KmCipher.AES_CTR;
 * assert.equal(cipher, 2);
 * ```
 */
export type KmCipher = typeof KmCipher[keyof typeof KmCipher];

/**
 * Auth field values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, decodeKeyMaterial, KmAuth, KmError } from "@tsrt/tsrt/crypto";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const km = createKeyMaterial({ passphrase: "a long shared secret", keyLength: 16, rng });
 * const msg = decodeKeyMaterial(km.message);
 * assert.ok(!(msg instanceof KmError));
 * assert.equal(msg.auth, KmAuth.NONE); // AES-CTR carries no tag
 * ```
 */
export const KmAuth = {
  /** No message authentication (AES-CTR). */
  NONE: 0,
  /** AES-GCM tag (goes with cipher AES-GCM). */
  AES_GCM: 1,
} as const;
/**
 * One of the {@linkcode KmAuth} values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KmAuth } from "@tsrt/tsrt/crypto";
 * const auth: KmAuth = KmAuth.AES_GCM;
 * assert.equal(auth, 1);
 * ```
 */
export type KmAuth = typeof KmAuth[keyof typeof KmAuth];

/**
 * A decoded Key Material message. Byte fields are copies, not views of the input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   decodeKeyMaterial,
 *   encodeKeyMaterial,
 *   type KeyMaterialMessage,
 *   KmError,
 * } from "@tsrt/tsrt/crypto";
 * const msg: KeyMaterialMessage = {
 *   kk: 1, keki: 0, cipher: 2, auth: 0, se: 2,
 *   salt: new Uint8Array(16), keyLength: 16, wrappedKeys: new Uint8Array(24),
 * };
 * const decoded = decodeKeyMaterial(encodeKeyMaterial(msg));
 * assert.ok(!(decoded instanceof KmError));
 * assert.equal(decoded.keyLength, 16);
 * ```
 */
export interface KeyMaterialMessage {
  /** Which wrapped keys are present. */
  readonly kk: KeyFlags;
  /** Key-encrypting key index; always 0 (passphrase-derived KEK). */
  readonly keki: number;
  /** Payload cipher. */
  readonly cipher: KmCipher;
  /** Message authentication; AES-GCM iff cipher is AES-GCM. */
  readonly auth: KmAuth;
  /** Stream encapsulation; always 2 for SRT. */
  readonly se: number;
  /** 16-byte salt. */
  readonly salt: Uint8Array;
  /** SEK length in bytes. */
  readonly keyLength: KeyLength;
  /** RFC 3394 output: 8-byte ICV then the wrapped even and/or odd key. */
  readonly wrappedKeys: Uint8Array;
}

/**
 * Why a KM message was rejected.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeKeyMaterial, KmError, type KmErrorCode } from "@tsrt/tsrt/crypto";
 * const r = decodeKeyMaterial(new Uint8Array(200));
 * const code: KmErrorCode | undefined = r instanceof KmError ? r.code : undefined;
 * assert.equal(code, "TOO_LONG");
 * ```
 */
export type KmErrorCode =
  | "TOO_SHORT"
  | "TOO_LONG"
  | "BAD_HEADER"
  | "BAD_KK"
  | "BAD_KEKI"
  | "BAD_CIPHER"
  | "BAD_SE"
  | "BAD_SALT_LENGTH"
  | "BAD_KEY_LENGTH"
  | "LENGTH_MISMATCH"
  | "BAD_SECRET";

/**
 * A malformed, unsupported or undecryptable Key Material message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, KmError, openKeyMaterial } from "@tsrt/tsrt/crypto";
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const km = createKeyMaterial({ passphrase: "the sender's secret", keyLength: 16, rng });
 * const r = openKeyMaterial(km.message, "another passphrase");
 * assert.ok(!r.ok);
 * assert.ok(r.error instanceof KmError);
 * assert.equal(r.error.code, "BAD_SECRET");
 * ```
 */
export class KmError extends Error {
  /** Machine-readable reason. */
  readonly code: KmErrorCode;

  /**
   * Creates the error thrown by the KM codec; `name` is set to `"KmError"`.
   *
   * @param code Machine-readable reason, e.g. `"BAD_SECRET"` when the key unwrap's
   *   integrity check fails (wrong passphrase).
   * @param message Human-readable detail.
   */
  constructor(code: KmErrorCode, message: string) {
    super(message);
    this.name = "KmError";
    this.code = code;
  }
}

/**
 * Number of wrapped keys implied by a KK value.
 *
 * @param kk The key flags.
 * @returns 2 for both keys, else 1.
 */
export function keyCount(kk: KeyFlags): 1 | 2 {
  return kk === KeyFlags.BOTH ? 2 : 1;
}

/**
 * Length of the encoded KM message for a key length and KK value.
 *
 * @param keyLength The SEK length.
 * @param kk The key flags.
 * @returns The message length in bytes (56..104).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyFlags, keyMaterialLength } from "@tsrt/tsrt/crypto";
 * assert.equal(keyMaterialLength(16, KeyFlags.EVEN), 56);
 * assert.equal(keyMaterialLength(32, KeyFlags.BOTH), 104);
 * ```
 */
export function keyMaterialLength(keyLength: KeyLength, kk: KeyFlags): number {
  return KM_HEADER_LENGTH + KM_SALT_LENGTH + AES_KW_ICV_LENGTH + keyCount(kk) * keyLength;
}

/**
 * Decodes and validates a Key Material message. Never throws on bad input
 * and never reads past `bytes.length`; an oversized input is rejected before
 * anything is copied.
 *
 * @param bytes The KM message bytes (the KMREQ/KMRSP extension contents).
 * @returns The decoded message, or a {@linkcode KmError} saying what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeKeyMaterial, KmError } from "./key_material.ts";
 * const r = decodeKeyMaterial(new Uint8Array(10));
 * assert.ok(r instanceof KmError);
 * assert.equal(r.code, "TOO_SHORT");
 * ```
 */
export function decodeKeyMaterial(bytes: Uint8Array): KeyMaterialMessage | KmError {
  const len = bytes.length;
  if (len > KM_MAX_LENGTH) {
    return new KmError("TOO_LONG", `KM message is ${len} bytes, at most ${KM_MAX_LENGTH} allowed`);
  }
  if (len < KM_MIN_LENGTH) {
    return new KmError("TOO_SHORT", `KM message is ${len} bytes, at least ${KM_MIN_LENGTH} needed`);
  }
  const version = (bytes[0] >>> 4) & 0x07;
  const packetType = bytes[0] & 0x0f;
  const sign = (bytes[1] << 8) | bytes[2];
  if ((bytes[0] & 0x80) !== 0 || version !== KM_VERSION || packetType !== KM_PACKET_TYPE) {
    return new KmError("BAD_HEADER", `not a KM message: first byte 0x${bytes[0].toString(16)}`);
  }
  if (sign !== KM_SIGN) {
    return new KmError("BAD_HEADER", `bad KM signature 0x${sign.toString(16)}`);
  }
  const kk = bytes[3] & 0x03;
  if (kk === 0) return new KmError("BAD_KK", "KM message carries no key (KK = 0)");
  const keki = ((bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]) >>> 0;
  if (keki !== 0) return new KmError("BAD_KEKI", `unsupported KEK index ${keki}`);
  const cipher = bytes[8];
  const auth = bytes[9];
  const ctrOk = cipher === KmCipher.AES_CTR && auth === KmAuth.NONE;
  const gcmOk = cipher === KmCipher.AES_GCM && auth === KmAuth.AES_GCM;
  if (!ctrOk && !gcmOk) {
    return new KmError("BAD_CIPHER", `unsupported cipher/auth ${cipher}/${auth}`);
  }
  const se = bytes[10];
  if (se !== KM_SE_SRT) return new KmError("BAD_SE", `unsupported stream encapsulation ${se}`);
  const saltLength = bytes[14] * 4;
  if (saltLength !== KM_SALT_LENGTH) {
    return new KmError("BAD_SALT_LENGTH", `salt length ${saltLength}, expected ${KM_SALT_LENGTH}`);
  }
  const keyLength = bytes[15] * 4;
  if (!isKeyLength(keyLength)) {
    return new KmError("BAD_KEY_LENGTH", `key length ${keyLength}, expected 16, 24 or 32`);
  }
  const expected = keyMaterialLength(keyLength, kk as KeyFlags);
  if (len !== expected) {
    return new KmError("LENGTH_MISMATCH", `KM message is ${len} bytes, fields say ${expected}`);
  }
  const saltEnd = KM_HEADER_LENGTH + KM_SALT_LENGTH;
  return {
    kk: kk as KeyFlags,
    keki,
    cipher: cipher as KmCipher,
    auth: auth as KmAuth,
    se,
    salt: bytes.slice(KM_HEADER_LENGTH, saltEnd),
    keyLength,
    wrappedKeys: bytes.slice(saltEnd, len),
  };
}

/**
 * Encodes a Key Material message.
 *
 * @param msg The message fields; `wrappedKeys` must match `keyLength` and `kk`.
 * @returns The encoded bytes.
 * @throws {RangeError} When a field is out of range or lengths disagree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeKeyMaterial, KeyFlags, KmAuth, KmCipher } from "./key_material.ts";
 * const km = encodeKeyMaterial({
 *   kk: KeyFlags.EVEN, keki: 0, cipher: KmCipher.AES_CTR, auth: KmAuth.NONE, se: 2,
 *   salt: new Uint8Array(16), keyLength: 16, wrappedKeys: new Uint8Array(24),
 * });
 * assert.equal(km.length, 56);
 * assert.equal(km[0], 0x12);
 * ```
 */
export function encodeKeyMaterial(msg: KeyMaterialMessage): Uint8Array {
  const { kk, keki, cipher, auth, se, salt, keyLength, wrappedKeys } = msg;
  if (kk !== 1 && kk !== 2 && kk !== 3) throw new RangeError(`kk must be 1, 2 or 3, got ${kk}`);
  if (keki !== 0) throw new RangeError(`keki must be 0, got ${keki}`);
  const ctrOk = cipher === KmCipher.AES_CTR && auth === KmAuth.NONE;
  const gcmOk = cipher === KmCipher.AES_GCM && auth === KmAuth.AES_GCM;
  if (!ctrOk && !gcmOk) throw new RangeError(`unsupported cipher/auth ${cipher}/${auth}`);
  if (se !== KM_SE_SRT) throw new RangeError(`se must be ${KM_SE_SRT}, got ${se}`);
  if (salt.length !== KM_SALT_LENGTH) {
    throw new RangeError(`salt must be ${KM_SALT_LENGTH} bytes, got ${salt.length}`);
  }
  if (!isKeyLength(keyLength)) throw new RangeError(`bad keyLength ${keyLength}`);
  const wrapLength = AES_KW_ICV_LENGTH + keyCount(kk) * keyLength;
  if (wrappedKeys.length !== wrapLength) {
    throw new RangeError(`wrappedKeys must be ${wrapLength} bytes, got ${wrappedKeys.length}`);
  }
  const out = new Uint8Array(keyMaterialLength(keyLength, kk));
  out[0] = (KM_VERSION << 4) | KM_PACKET_TYPE;
  out[1] = KM_SIGN >>> 8;
  out[2] = KM_SIGN & 0xff;
  out[3] = kk;
  // bytes 4..7: KEKI = 0
  out[8] = cipher;
  out[9] = auth;
  out[10] = se;
  out[14] = KM_SALT_LENGTH / 4;
  out[15] = keyLength / 4;
  out.set(salt, KM_HEADER_LENGTH);
  out.set(wrappedKeys, KM_HEADER_LENGTH + KM_SALT_LENGTH);
  return out;
}
