/**
 * AES-CTR packet cipher on top of `node:crypto` (OpenSSL/BoringSSL in Node and
 * Bun, RustCrypto in Deno). Two strategies, picked per runtime by measurement:
 *
 * - `"ctr"`: one `createCipheriv("aes-N-ctr", sek, iv)` per packet. Cheapest
 *   under Bun, where creating a cipher is fast.
 * - `"ecb"`: one long-lived AES-ECB cipher turns a prepared block of counter
 *   values into keystream, which is XORed into the payload. Cheapest under
 *   Deno, where creating a cipher per packet dominates.
 *
 * Both return a fresh keystream buffer from `node:crypto`, so each packet
 * costs one allocation inside the runtime; the payload itself is updated in place.
 *
 * @module
 */

import { AES_BLOCK_SIZE, assertSeq, MAX_CTR_PAYLOAD, writeCtrIv } from "./ctr_iv.ts";
import { assertKeyLength, type KeyLength } from "./key_length.ts";
import { isBun, loadNodeCrypto, type NodeCipherLike, type NodeCryptoLike } from "./_node_crypto.ts";
import type { PacketCipher } from "./packet_cipher.ts";

/**
 * How the `node:crypto` backend produces keystream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNodePacketCipher, type NodeCtrStrategy } from "@tsrt/tsrt/crypto";
 * const strategy: NodeCtrStrategy = "ecb";
 * const cipher = createNodePacketCipher(new Uint8Array(16), new Uint8Array(16), { strategy });
 * assert.equal(cipher.backend, "node");
 * ```
 */
export type NodeCtrStrategy = "ctr" | "ecb";

/**
 * Options for {@linkcode createNodePacketCipher}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNodePacketCipher, type NodePacketCipherOptions } from "@tsrt/tsrt/crypto";
 * const options: NodePacketCipherOptions = { strategy: "ctr" };
 * const cipher = createNodePacketCipher(new Uint8Array(32), new Uint8Array(16), options);
 * assert.equal(cipher.keyLength, 32);
 * ```
 */
export interface NodePacketCipherOptions {
  /** Keystream strategy; by default `"ctr"` under Bun and `"ecb"` elsewhere. */
  strategy?: NodeCtrStrategy;
}

// Room for a 1456-byte payload (MSS 1500) plus a spare block; grown on demand.
const INITIAL_BLOCKS = 92;

class NodeCtrCipher implements PacketCipher {
  readonly keyLength: KeyLength;
  readonly backend = "node" as const;
  readonly #crypto: NodeCryptoLike;
  readonly #algo: string;
  readonly #sek: Uint8Array;
  readonly #salt: Uint8Array;
  readonly #iv = new Uint8Array(AES_BLOCK_SIZE);

  constructor(crypto: NodeCryptoLike, sek: Uint8Array, salt: Uint8Array) {
    this.keyLength = sek.length as KeyLength;
    this.#crypto = crypto;
    this.#algo = `aes-${sek.length * 8}-ctr`;
    this.#sek = sek.slice();
    this.#salt = salt.slice();
  }

  encrypt(seq: number, payload: Uint8Array): void {
    this.#apply(seq, payload);
  }

  decrypt(seq: number, payload: Uint8Array): void {
    this.#apply(seq, payload);
  }

  #apply(seq: number, payload: Uint8Array): void {
    if (payload.length > MAX_CTR_PAYLOAD) {
      throw new RangeError(`payload too long for AES-CTR: ${payload.length} bytes`);
    }
    writeCtrIv(this.#iv, this.#salt, seq);
    if (payload.length === 0) return;
    const out = this.#crypto.createCipheriv(this.#algo, this.#sek, this.#iv).update(payload);
    payload.set(out.length === payload.length ? out : out.subarray(0, payload.length));
  }
}

class NodeEcbKeystreamCipher implements PacketCipher {
  readonly keyLength: KeyLength;
  readonly backend = "node" as const;
  readonly #ecb: NodeCipherLike;
  readonly #salt: Uint8Array;
  // Counter blocks: bytes 0..13 of every block hold the salt (10..13 get the
  // sequence number mixed in per packet), bytes 14..15 the block index.
  #blocks: Uint8Array;

  constructor(crypto: NodeCryptoLike, sek: Uint8Array, salt: Uint8Array) {
    this.keyLength = sek.length as KeyLength;
    this.#ecb = crypto.createCipheriv(`aes-${sek.length * 8}-ecb`, sek, null);
    this.#ecb.setAutoPadding(false);
    this.#salt = salt.slice();
    this.#blocks = this.#makeBlocks(INITIAL_BLOCKS);
  }

  #makeBlocks(count: number): Uint8Array {
    const blocks = new Uint8Array(count * AES_BLOCK_SIZE);
    for (let b = 0; b < count; b++) {
      const at = b * AES_BLOCK_SIZE;
      blocks.set(this.#salt.subarray(0, 14), at);
      blocks[at + 14] = b >>> 8;
      blocks[at + 15] = b & 0xff;
    }
    return blocks;
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
    if (len === 0) return;
    const count = Math.ceil(len / AES_BLOCK_SIZE);
    if (count * AES_BLOCK_SIZE > this.#blocks.length) this.#blocks = this.#makeBlocks(count);
    const blocks = this.#blocks;
    const s = this.#salt;
    const b10 = s[10] ^ (seq >>> 24);
    const b11 = s[11] ^ ((seq >>> 16) & 0xff);
    const b12 = s[12] ^ ((seq >>> 8) & 0xff);
    const b13 = s[13] ^ (seq & 0xff);
    for (let at = 10, b = 0; b < count; b++, at += AES_BLOCK_SIZE) {
      blocks[at] = b10;
      blocks[at + 1] = b11;
      blocks[at + 2] = b12;
      blocks[at + 3] = b13;
    }
    const ks = this.#ecb.update(blocks.subarray(0, count * AES_BLOCK_SIZE));
    if (ks.length < len) throw new Error("node:crypto returned a short AES-ECB keystream");
    let i = 0;
    if (((p.byteOffset | ks.byteOffset) & 3) === 0 && len >= 64) {
      // Word-wise XOR when both buffers allow 32-bit views (~10% faster). Int32Array, not
      // Uint32Array: Bun reads Uint32Array words >= 2^31 as doubles, several times slower.
      const words = len >>> 2;
      const pw = new Int32Array(p.buffer, p.byteOffset, words);
      const kw = new Int32Array(ks.buffer, ks.byteOffset, words);
      for (let w = 0; w < words; w++) pw[w] ^= kw[w];
      i = words << 2;
    }
    for (; i < len; i++) p[i] ^= ks[i];
  }
}

/**
 * Tells whether the `node:crypto` backend can be used on this runtime.
 *
 * @returns `true` when `node:crypto` is available.
 *
 * @example
 * ```ts
 * import {
 *   createNoblePacketCipher,
 *   createNodePacketCipher,
 *   nodeCryptoAvailable,
 * } from "@tsrt/tsrt/crypto";
 * const sek = new Uint8Array(16);
 * const salt = new Uint8Array(16);
 * const cipher = nodeCryptoAvailable()
 *   ? createNodePacketCipher(sek, salt)
 *   : createNoblePacketCipher(sek, salt);
 * cipher.encrypt(1, new Uint8Array(1316));
 * ```
 */
export function nodeCryptoAvailable(): boolean {
  return loadNodeCrypto() !== undefined;
}

/**
 * Creates an AES-CTR packet cipher backed by `node:crypto`.
 *
 * @param sek The stream-encrypting key, 16, 24 or 32 bytes.
 * @param salt The 16-byte Key Material salt.
 * @param options Keystream strategy override.
 * @returns A synchronous in-place packet cipher.
 * @throws {RangeError} On a bad key or salt length.
 * @throws {Error} When `node:crypto` is not available.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNodePacketCipher } from "./aes_ctr_node.ts";
 * const c = createNodePacketCipher(new Uint8Array(16), new Uint8Array(16));
 * const data = new TextEncoder().encode("hello");
 * c.encrypt(7, data);
 * c.decrypt(7, data);
 * assert.equal(new TextDecoder().decode(data), "hello");
 * ```
 */
export function createNodePacketCipher(
  sek: Uint8Array,
  salt: Uint8Array,
  options: NodePacketCipherOptions = {},
): PacketCipher {
  assertKeyLength(sek.length, "SEK");
  if (salt.length !== 16) throw new RangeError(`salt must be 16 bytes, got ${salt.length}`);
  const crypto = loadNodeCrypto();
  if (!crypto) throw new Error("node:crypto is not available on this runtime");
  const strategy = options.strategy ?? (isBun() ? "ctr" : "ecb");
  return strategy === "ctr"
    ? new NodeCtrCipher(crypto, sek, salt)
    : new NodeEcbKeystreamCipher(crypto, sek, salt);
}
