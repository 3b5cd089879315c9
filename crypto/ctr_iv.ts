/**
 * The AES-CTR counter block SRT uses for each data packet
 * (libsrt `haicrypt/hcrypt.h`, `hcrypt_SetCtrIV`):
 *
 * ```
 *  byte:  0            9   10  11  12  13   14  15
 *        +--------------+---+---+---+---+---+---+
 *        |   salt[0..9] |  salt[10..13] ^   |ctr|
 *        |              |  seqno (BE)       |   |
 *        +--------------+---+---+---+---+---+---+
 * ```
 *
 * Bytes 14..15 are the big-endian block counter, starting at 0 for the first
 * 16 bytes of the payload. Equivalently `IV = (MSB(112, salt) XOR seqno) << 16`.
 * The draft's `(MSB(112, Salt) << 2) XOR PktSeqNo` formula is not what libsrt does.
 *
 * @module
 */

/**
 * AES block size in bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AES_BLOCK_SIZE } from "@tsrt/tsrt/crypto";
 * // A 1316-byte payload takes 83 AES blocks of keystream.
 * assert.equal(Math.ceil(1316 / AES_BLOCK_SIZE), 83);
 * ```
 */
export const AES_BLOCK_SIZE = 16;
/**
 * Largest SRT packet sequence number (31 bits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPacketCipher, MAX_SEQ } from "@tsrt/tsrt/crypto";
 * const cipher = createPacketCipher(new Uint8Array(16), new Uint8Array(16));
 * cipher.encrypt(MAX_SEQ, new Uint8Array(188)); // the last sequence number before wrap
 * assert.throws(() => cipher.encrypt(MAX_SEQ + 1, new Uint8Array(188)), RangeError);
 * ```
 */
export const MAX_SEQ = 0x7fffffff;
/** Largest payload a 16-bit block counter can cover without wrapping: 65536 blocks. */
export const MAX_CTR_PAYLOAD = 65536 * AES_BLOCK_SIZE;

/**
 * Throws a `RangeError` unless `seq` is a 31-bit packet sequence number.
 *
 * @param seq The candidate sequence number.
 */
export function assertSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw new RangeError(`sequence number must be an integer in 0..2^31-1, got ${seq}`);
  }
}

/**
 * Writes the initial AES-CTR counter block for packet `seq` into `out`.
 *
 * @param out A 16-byte destination.
 * @param salt The 16-byte Key Material salt (only bytes 0..13 are used).
 * @param seq The packet sequence number, 0..2^31-1.
 * @returns `out`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeCtrIv } from "./ctr_iv.ts";
 * const iv = writeCtrIv(new Uint8Array(16), new Uint8Array(16), 0x01020304);
 * assert.deepEqual([...iv.subarray(10, 16)], [1, 2, 3, 4, 0, 0]);
 * ```
 */
export function writeCtrIv(out: Uint8Array, salt: Uint8Array, seq: number): Uint8Array {
  if (out.length !== AES_BLOCK_SIZE) throw new RangeError(`IV must be 16 bytes, got ${out.length}`);
  if (salt.length < 14) throw new RangeError(`salt must be at least 14 bytes, got ${salt.length}`);
  assertSeq(seq);
  for (let i = 0; i < 10; i++) out[i] = salt[i];
  out[10] = salt[10] ^ (seq >>> 24);
  out[11] = salt[11] ^ ((seq >>> 16) & 0xff);
  out[12] = salt[12] ^ ((seq >>> 8) & 0xff);
  out[13] = salt[13] ^ (seq & 0xff);
  out[14] = 0;
  out[15] = 0;
  return out;
}
