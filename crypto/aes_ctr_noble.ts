/**
 * Portable AES-CTR packet cipher built on the `@noble/ciphers` AES block
 * function. The key schedule is expanded once per SEK and the keystream is
 * XORed straight into the payload, so a packet costs no allocation here.
 *
 * @module
 */

import { unsafe } from "@noble/ciphers/aes.js";
import { AES_BLOCK_SIZE, assertSeq, MAX_CTR_PAYLOAD } from "./ctr_iv.ts";
import { assertKeyLength, type KeyLength } from "./key_length.ts";
import type { PacketCipher } from "./packet_cipher.ts";

/** Reads bytes `i..i+3` of `b` as a little-endian 32-bit word. */
function le32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** XORs the low `n` bytes (little-endian order) of `w` into `p` at `at`. */
function xorWordTail(p: Uint8Array, at: number, w: number, n: number): void {
  for (let k = 0; k < n; k++) p[at + k] ^= (w >>> (8 * k)) & 0xff;
}

/** XORs the four bytes of `w` (little-endian order) into `p` at `at`. */
function xorWord(p: Uint8Array, at: number, w: number): void {
  p[at] ^= w & 0xff;
  p[at + 1] ^= (w >>> 8) & 0xff;
  p[at + 2] ^= (w >>> 16) & 0xff;
  p[at + 3] ^= w >>> 24;
}

class NoblePacketCipher implements PacketCipher {
  readonly keyLength: KeyLength;
  readonly backend = "noble" as const;
  readonly #xk: Uint32Array;
  readonly #salt: Uint8Array;
  // Counter words 0 and 1 (IV bytes 0..7) never depend on the packet.
  readonly #w0: number;
  readonly #w1: number;

  constructor(sek: Uint8Array, salt: Uint8Array) {
    assertKeyLength(sek.length, "SEK");
    if (salt.length !== 16) throw new RangeError(`salt must be 16 bytes, got ${salt.length}`);
    this.keyLength = sek.length;
    this.#xk = unsafe.expandKeyLE(sek);
    this.#salt = salt.slice();
    this.#w0 = le32(this.#salt, 0);
    this.#w1 = le32(this.#salt, 4);
  }

  encrypt(seq: number, payload: Uint8Array): void {
    this.#apply(seq, payload);
  }

  decrypt(seq: number, payload: Uint8Array): void {
    this.#apply(seq, payload);
  }

  #apply(seq: number, p: Uint8Array): void {
    assertSeq(seq);
    const len = p.length;
    if (len > MAX_CTR_PAYLOAD) throw new RangeError(`payload too long for AES-CTR: ${len} bytes`);
    const s = this.#salt;
    const xk = this.#xk;
    const w0 = this.#w0;
    const w1 = this.#w1;
    // IV bytes 8..11: salt[8], salt[9], salt[10]^seq[0], salt[11]^seq[1].
    const w2 = (s[8] | (s[9] << 8) | ((s[10] ^ (seq >>> 24)) << 16) |
      ((s[11] ^ ((seq >>> 16) & 0xff)) << 24)) >>> 0;
    // IV bytes 12..13: salt[12]^seq[2], salt[13]^seq[3]; bytes 14..15 are the block counter.
    const w3lo = (s[12] ^ ((seq >>> 8) & 0xff)) | ((s[13] ^ (seq & 0xff)) << 8);
    let block = 0;
    for (let off = 0; off < len; off += AES_BLOCK_SIZE, block++) {
      const w3 = (w3lo | ((block >>> 8) << 16) | ((block & 0xff) << 24)) >>> 0;
      const o = unsafe.encrypt(xk, w0, w1, w2, w3);
      const left = len - off;
      if (left >= AES_BLOCK_SIZE) {
        xorWord(p, off, o.s0);
        xorWord(p, off + 4, o.s1);
        xorWord(p, off + 8, o.s2);
        xorWord(p, off + 12, o.s3);
      } else {
        xorWordTail(p, off, o.s0, Math.min(4, left));
        if (left > 4) xorWordTail(p, off + 4, o.s1, Math.min(4, left - 4));
        if (left > 8) xorWordTail(p, off + 8, o.s2, Math.min(4, left - 8));
        if (left > 12) xorWordTail(p, off + 12, o.s3, left - 12);
      }
    }
  }
}

/**
 * Creates a pure-JavaScript AES-CTR packet cipher (works on every runtime).
 *
 * @param sek The stream-encrypting key, 16, 24 or 32 bytes.
 * @param salt The 16-byte Key Material salt.
 * @returns A synchronous in-place packet cipher.
 * @throws {RangeError} On a bad key or salt length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNoblePacketCipher } from "./aes_ctr_noble.ts";
 * const c = createNoblePacketCipher(new Uint8Array(16), new Uint8Array(16));
 * const data = new TextEncoder().encode("hello");
 * c.encrypt(7, data);
 * c.decrypt(7, data);
 * assert.equal(new TextDecoder().decode(data), "hello");
 * ```
 */
export function createNoblePacketCipher(sek: Uint8Array, salt: Uint8Array): PacketCipher {
  return new NoblePacketCipher(sek, salt);
}
