/**
 * AES-CTR for a stream of packets, with the keystream of the next packets computed ahead in
 * one `node:crypto` AES-ECB call. A live sender encrypts sequence numbers in order, and a
 * receiver mostly decrypts them in order, so one call (and one buffer from the runtime) serves
 * `window` packets instead of one: the per-call cost dominates in Deno and Bun. Packets out of
 * the window (retransmissions, a jump) get their own keystream without disturbing it.
 *
 * ```
 *  keystream window:  | seq b | seq b+1 | ... | seq b+window-1 |
 *  block of slot k:   salt[0..9] | salt[10..13] ^ (b+k) | block index (2 bytes)
 * ```
 *
 * A slot holds as many blocks as the largest payload seen so far needs (83 for 1316 bytes).
 *
 * Same IV layout as `ctr_iv.ts` (libsrt `hcrypt_SetCtrIV`), so it interoperates with the
 * other backends byte for byte.
 *
 * @module
 */

import { AES_BLOCK_SIZE, assertSeq } from "./ctr_iv.ts";
import { assertKeyLength, type KeyLength } from "./key_length.ts";
import { isBun, loadNodeCrypto, type NodeCipherLike } from "./_node_crypto.ts";
import type { PacketCipher } from "./packet_cipher.ts";

/** Largest payload: MSS 1500 - 28 - 16. */
const MAX_SLOT_BYTES = 1456;
/** Packets per keystream computation. */
const DEFAULT_WINDOW = 32;

/**
 * The keystream as 32-bit words when it starts on a 4-byte boundary, else undefined.
 *
 * `Int32Array`, not `Uint32Array`: JavaScriptCore (Bun) reads a `Uint32Array` element of 2^31
 * or more as a double, and in a running connection the XOR loop over such words measured
 * 4-11 µs per 1316-byte packet where the same loop over `Int32Array` words (the same bits)
 * took about 1 µs.
 */
function wordsOf(ks: Uint8Array): Int32Array | undefined {
  return (ks.byteOffset & 3) === 0
    ? new Int32Array(ks.buffer, ks.byteOffset, ks.length >>> 2)
    : undefined;
}

/** Whether typed arrays use little-endian byte order on this host (they use the host's). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Shift that puts a byte at the last (fourth) position of a 32-bit word in memory. */
const BYTE3_SHIFT = LITTLE_ENDIAN ? 24 : 0;

/** The 32-bit word that `Int32Array` stores as bytes `a b c d` in memory. */
function word(a: number, b: number, c: number, d: number): number {
  return LITTLE_ENDIAN
    ? a | (b << 8) | (c << 16) | (d << 24)
    : (a << 24) | (b << 16) | (c << 8) | d;
}

/** A {@linkcode PacketCipher} that can also work on a payload inside a larger buffer. */
export interface BatchedPacketCipher extends PacketCipher {
  /**
   * Encrypts or decrypts (the same in CTR) `buf[start..]` in place, without a `subarray()`.
   *
   * @param seq The packet sequence number.
   * @param buf The buffer holding the payload, e.g. a whole data packet.
   * @param start Where the payload starts in `buf`, e.g. 16 after the data header.
   */
  applyAt(seq: number, buf: Uint8Array, start: number): void;
}

class BatchedCtrCipher implements BatchedPacketCipher {
  readonly keyLength: KeyLength;
  readonly backend = "node" as const;
  #ecb: NodeCipherLike;
  #salt: Uint8Array;
  #window: number;
  // Keystream per packet slot: the largest payload seen so far, rounded up to whole blocks
  // (83 blocks for the usual 1316 bytes, not the 91 a 1456-byte payload would need).
  #slotBlocks = 0;
  #slotBytes = 0;
  #blocks: Uint8Array = new Uint8Array(0); // counter blocks for one window
  #blockWords: Int32Array = new Int32Array(0);
  #ks: Uint8Array = new Uint8Array(0); // keystream of the window
  #kw: Int32Array | undefined; // the same keystream as words, made once per window
  #base = -1; // sequence number of slot 0, -1 before the first fill
  #one: Uint8Array = new Uint8Array(0); // counter blocks for a single out-of-window packet
  #oneWords: Int32Array = new Int32Array(0);
  // Bun: the payload is XORed in this aligned copy (see #xorCopy), 16 spare bytes for a header.
  #scratch: Int32Array | undefined;
  #scratch8: Uint8Array | undefined;
  #scratchView: Uint8Array | undefined; // the first n bytes of #scratch8, n = last packet size

  constructor(
    ecb: NodeCipherLike,
    key: Uint8Array,
    salt: Uint8Array,
    window: number,
    copyXor: boolean,
  ) {
    this.keyLength = key.length as KeyLength;
    this.#ecb = ecb;
    this.#salt = salt.slice();
    this.#window = window;
    if (copyXor) {
      this.#scratch = new Int32Array((MAX_SLOT_BYTES + 2 * AES_BLOCK_SIZE) >>> 2);
      this.#scratch8 = new Uint8Array(this.#scratch.buffer);
    }
  }

  /** Makes the slots fit a payload of `len` bytes; the window is computed again. */
  #resize(len: number): void {
    this.#slotBlocks = Math.ceil(len / AES_BLOCK_SIZE);
    this.#slotBytes = this.#slotBlocks * AES_BLOCK_SIZE;
    this.#blocks = this.#template(this.#window);
    this.#blockWords = new Int32Array(this.#blocks.buffer);
    this.#one = this.#template(1);
    this.#oneWords = new Int32Array(this.#one.buffer);
    this.#base = -1;
  }

  /** Counter blocks with the salt and block indexes in place; bytes 10..13 set per packet. */
  #template(packets: number): Uint8Array {
    const n = this.#slotBlocks;
    const b = new Uint8Array(packets * this.#slotBytes);
    for (let p = 0; p < packets; p++) {
      for (let k = 0; k < n; k++) {
        const at = (p * n + k) * AES_BLOCK_SIZE;
        b.set(this.#salt.subarray(0, 14), at);
        b[at + 14] = k >>> 8;
        b[at + 15] = k & 0xff;
      }
    }
    return b;
  }

  /**
   * Puts `seq` into every counter block of one slot: two 32-bit stores per block (bytes 8..11
   * and 12..15) instead of four byte stores.
   */
  #setSeq(words: Int32Array, slot: number, seq: number): void {
    const s = this.#salt;
    const w2 = word(s[8], s[9], s[10] ^ (seq >>> 24), s[11] ^ ((seq >>> 16) & 0xff));
    const w3 = word(s[12] ^ ((seq >>> 8) & 0xff), s[13] ^ (seq & 0xff), 0, 0);
    let w = (slot * this.#slotBytes + 8) >>> 2;
    for (let k = 0, n = this.#slotBlocks; k < n; k++, w += 4) {
      words[w] = w2;
      words[w + 1] = w3 | (k << BYTE3_SHIFT);
    }
  }

  encrypt(seq: number, payload: Uint8Array): void {
    this.applyAt(seq, payload, 0);
  }

  decrypt(seq: number, payload: Uint8Array): void {
    this.applyAt(seq, payload, 0);
  }

  applyAt(seq: number, buf: Uint8Array, start: number): void {
    assertSeq(seq);
    const len = buf.length - start;
    if (len <= 0) return;
    if (len > MAX_SLOT_BYTES) throw new RangeError(`payload too long: ${len} bytes`);
    if (len > this.#slotBytes) this.#resize(len);
    let ks: Uint8Array;
    let kw: Int32Array | undefined;
    let off: number;
    const k = this.#base < 0 ? -1 : (seq - this.#base) & 0x7fffffff;
    if (k >= 0 && k < this.#window) {
      ks = this.#ks;
      kw = this.#kw;
      off = k * this.#slotBytes;
    } else if (this.#base >= 0 && k >= 0x40000000) {
      // Behind the window (a retransmission): its own keystream, the window stays.
      this.#setSeq(this.#oneWords, 0, seq);
      ks = this.#ecb.update(this.#one);
      kw = wordsOf(ks);
      off = 0;
    } else {
      // Ahead of the window (or the first packet): compute the next window from here.
      for (let i = 0; i < this.#window; i++) {
        this.#setSeq(this.#blockWords, i, (seq + i) & 0x7fffffff);
      }
      this.#ks = ks = this.#ecb.update(this.#blocks);
      this.#kw = kw = wordsOf(ks);
      this.#base = seq;
      off = 0;
    }
    if (ks.length < off + len) throw new Error("node:crypto returned a short AES-ECB keystream");
    if (kw !== undefined && len >= 64) {
      if (
        this.#scratch !== undefined && (start & 3) === 0 && buf.length <= this.#scratch8!.length
      ) {
        return this.#xorCopy(buf, start, len, kw, off);
      }
      const at = buf.byteOffset + start;
      if ((at & 3) === 0) {
        // Word-wise XOR; slots are whole blocks, so every slot starts on a word.
        const words = len >>> 2;
        const pw = new Int32Array(buf.buffer, at, words);
        const ko = off >>> 2;
        for (let w = 0; w < words; w++) pw[w] ^= kw[ko + w];
        for (let i = words << 2; i < len; i++) buf[start + i] ^= ks[off + i];
        return;
      }
    }
    for (let i = 0; i < len; i++) buf[start + i] ^= ks[off + i];
  }

  /**
   * The XOR through an aligned scratch copy: copy in, XOR words, copy back, with no view of
   * `buf` made. Under Bun a packet that just came from the socket has no `ArrayBuffer` object
   * yet, and reading `buf.buffer` to make an `Int32Array` view creates one: that and the view
   * cost more than the two native copies. `start` is a multiple of 4 and `buf` fits.
   */
  #xorCopy(buf: Uint8Array, start: number, len: number, kw: Int32Array, off: number): void {
    const n = start + len;
    const s8 = this.#scratch8!;
    const sw = this.#scratch!;
    s8.set(buf);
    // Whole words: up to 3 bytes past the payload are XORed in the copy and never copied back.
    const first = start >>> 2;
    const end = (n + 3) >>> 2;
    const delta = (off >>> 2) - first;
    for (let w = first; w < end; w++) sw[w] ^= kw[w + delta];
    let view = this.#scratchView;
    if (view === undefined || view.length !== n) this.#scratchView = view = s8.subarray(0, n);
    buf.set(view);
  }
}

/**
 * Creates an AES-CTR packet cipher that computes keystream a window of packets ahead with
 * `node:crypto`'s AES-ECB, or returns undefined when `node:crypto` is missing.
 *
 * @param sek The stream-encrypting key, 16, 24 or 32 bytes.
 * @param salt The 16-byte KM salt.
 * @param window Packets per keystream computation (default 32).
 * @returns The cipher, or undefined without `node:crypto`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBatchedCtrCipher } from "./aes_ctr_batched.ts";
 * import { createNoblePacketCipher } from "./aes_ctr_noble.ts";
 * const key = new Uint8Array(16).fill(3), salt = new Uint8Array(16).fill(5);
 * const a = new Uint8Array(100).fill(7), b = a.slice();
 * createBatchedCtrCipher(key, salt)!.encrypt(42, a);
 * createNoblePacketCipher(key, salt).encrypt(42, b);
 * assert.deepEqual(a, b);
 * ```
 */
export function createBatchedCtrCipher(
  sek: Uint8Array,
  salt: Uint8Array,
  window: number = DEFAULT_WINDOW,
): BatchedPacketCipher | undefined {
  assertKeyLength(sek.length, "SEK");
  if (salt.length !== 16) throw new RangeError(`salt must be 16 bytes, got ${salt.length}`);
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`bad window ${window}`);
  const crypto = loadNodeCrypto();
  if (!crypto) return undefined;
  const ecb = crypto.createCipheriv(`aes-${sek.length * 8}-ecb`, sek, null);
  ecb.setAutoPadding(false);
  return new BatchedCtrCipher(ecb, sek, salt, window, isBun());
}
