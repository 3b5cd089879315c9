/**
 * AES-GCM for SRT data packets in libsrt 1.5.4's wire format (srt PR #2962), synchronous.
 *
 * ```
 *  IV (12 bytes):  0 ........................ 7 | 8 ........ 11
 *                  0  0  0  0  0  0  0  0       | seq (big-endian)     XOR salt[0..11]
 *
 *  packet:  | 16-byte header | ciphertext (same length as the payload) | 16-byte tag |
 *            \_____________/
 *             AAD, as on the wire with the R bit (0x04 of byte 4) cleared; KK set
 * ```
 *
 * The tag follows the ciphertext, so an encrypted packet is 16 bytes longer than a clear one.
 * Peers of libsrt 1.5.2 and 1.5.3 use an older IV and a host-order AAD; tsrt does not
 * implement that format (see `srt/crypto_control.ts`).
 *
 * @module
 */

import { gcm } from "@noble/ciphers/aes.js";
import { assertKeyLength, type KeyLength } from "./key_length.ts";
import { loadNodeCrypto } from "./_node_crypto.ts";

/**
 * Length of the GCM authentication tag appended to each packet.
 *
 * @example
 * ```ts
 * import { GCM_TAG_LENGTH } from "@tsrt/tsrt/crypto";
 * // An AES-GCM data packet: 16-byte SRT header, the payload, then the tag.
 * const payload = new Uint8Array(1316);
 * const packet = new Uint8Array(16 + payload.length + GCM_TAG_LENGTH);
 * packet.set(payload, 16);
 * ```
 */
export const GCM_TAG_LENGTH = 16;
/**
 * Length of the GCM IV.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GCM_IV_LENGTH, writeGcmIv } from "@tsrt/tsrt/crypto";
 * const iv = new Uint8Array(GCM_IV_LENGTH);
 * writeGcmIv(iv, new Uint8Array(16), 1000);
 * assert.equal(iv.length, 12);
 * ```
 */
export const GCM_IV_LENGTH = 12;
const HEADER = 16;

/**
 * A per-key AES-GCM cipher working on whole SRT data packets, in place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createGcmPacketCipher, type GcmPacketCipher } from "@tsrt/tsrt/crypto";
 * const cipher: GcmPacketCipher = createGcmPacketCipher(new Uint8Array(16), new Uint8Array(16));
 * const packet = new Uint8Array(16 + 4 + 16); // header, payload, tag
 * packet.set([1, 2, 3, 4], 16);
 * cipher.seal(packet, 5);
 * packet[17] ^= 1; // tampered in transit
 * assert.equal(cipher.open(packet, 5), false);
 * ```
 */
export interface GcmPacketCipher {
  /** The SEK length in bytes. */
  readonly keyLength: KeyLength;
  /** Which implementation runs the cipher. */
  readonly backend: "node" | "noble";
  /**
   * Encrypts `packet[16 .. length-16]` in place and writes the tag into the last 16 bytes.
   * Set the KK bits first: they are authenticated.
   *
   * @param packet The whole data packet with 16 spare bytes at the end for the tag.
   * @param seq Its sequence number.
   */
  seal(packet: Uint8Array, seq: number): void;
  /**
   * Checks the tag and decrypts in place; on failure the packet is left as it was.
   *
   * @param packet The whole data packet as received (tag last).
   * @param seq Its sequence number.
   * @returns Whether the tag was valid.
   */
  open(packet: Uint8Array, seq: number): boolean;
}

/**
 * Writes libsrt 1.5.4's GCM IV for a sequence number.
 *
 * @param out 12 bytes to fill.
 * @param salt The 16-byte KM salt (its first 12 bytes are used).
 * @param seq The packet sequence number.
 * @returns `out`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeGcmIv } from "./aes_gcm.ts";
 * const iv = writeGcmIv(new Uint8Array(12), new Uint8Array(16), 0x01020304);
 * assert.deepEqual([...iv.subarray(8)], [1, 2, 3, 4]);
 * ```
 */
export function writeGcmIv(out: Uint8Array, salt: Uint8Array, seq: number): Uint8Array {
  for (let i = 0; i < 8; i++) out[i] = salt[i];
  out[8] = salt[8] ^ (seq >>> 24);
  out[9] = salt[9] ^ ((seq >>> 16) & 0xff);
  out[10] = salt[10] ^ ((seq >>> 8) & 0xff);
  out[11] = salt[11] ^ (seq & 0xff);
  return out;
}

/** Copies the header into `aad` with the R (retransmitted) bit cleared. */
function writeAad(aad: Uint8Array, packet: Uint8Array): void {
  aad.set(packet.subarray(0, HEADER));
  aad[4] &= ~0x04;
}

interface NodeGcm {
  setAAD(aad: Uint8Array): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
  setAuthTag(tag: Uint8Array): unknown;
}

interface NodeGcmCrypto {
  createCipheriv(algo: string, key: Uint8Array, iv: Uint8Array): NodeGcm;
  createDecipheriv(algo: string, key: Uint8Array, iv: Uint8Array): NodeGcm;
}

class NodeGcmCipher implements GcmPacketCipher {
  readonly backend = "node" as const;
  readonly keyLength: KeyLength;
  #c: NodeGcmCrypto;
  #algo: string;
  #key: Uint8Array;
  #salt: Uint8Array;
  #iv = new Uint8Array(GCM_IV_LENGTH);
  #aad = new Uint8Array(HEADER);

  constructor(c: NodeGcmCrypto, key: Uint8Array, salt: Uint8Array) {
    this.#c = c;
    this.keyLength = key.length as KeyLength;
    this.#algo = `aes-${key.length * 8}-gcm`;
    this.#key = key.slice();
    this.#salt = salt.slice();
  }

  seal(packet: Uint8Array, seq: number): void {
    const end = packet.length - GCM_TAG_LENGTH;
    writeAad(this.#aad, packet);
    const c = this.#c.createCipheriv(this.#algo, this.#key, writeGcmIv(this.#iv, this.#salt, seq));
    c.setAAD(this.#aad);
    const ct = c.update(packet.subarray(HEADER, end));
    c.final();
    packet.set(ct, HEADER);
    packet.set(c.getAuthTag(), end);
  }

  open(packet: Uint8Array, seq: number): boolean {
    const end = packet.length - GCM_TAG_LENGTH;
    if (end < HEADER) return false;
    writeAad(this.#aad, packet);
    const d = this.#c.createDecipheriv(
      this.#algo,
      this.#key,
      writeGcmIv(this.#iv, this.#salt, seq),
    );
    d.setAAD(this.#aad);
    d.setAuthTag(packet.subarray(end));
    const pt = d.update(packet.subarray(HEADER, end));
    try {
      d.final();
    } catch {
      return false;
    }
    packet.set(pt, HEADER);
    return true;
  }
}

class NobleGcmCipher implements GcmPacketCipher {
  readonly backend = "noble" as const;
  readonly keyLength: KeyLength;
  #key: Uint8Array;
  #salt: Uint8Array;
  #iv = new Uint8Array(GCM_IV_LENGTH);
  #aad = new Uint8Array(HEADER);

  constructor(key: Uint8Array, salt: Uint8Array) {
    this.keyLength = key.length as KeyLength;
    this.#key = key.slice();
    this.#salt = salt.slice();
  }

  seal(packet: Uint8Array, seq: number): void {
    const end = packet.length - GCM_TAG_LENGTH;
    writeAad(this.#aad, packet);
    const out = gcm(this.#key, writeGcmIv(this.#iv, this.#salt, seq), this.#aad)
      .encrypt(packet.subarray(HEADER, end));
    packet.set(out, HEADER);
  }

  open(packet: Uint8Array, seq: number): boolean {
    if (packet.length < HEADER + GCM_TAG_LENGTH) return false;
    writeAad(this.#aad, packet);
    let pt: Uint8Array;
    try {
      pt = gcm(this.#key, writeGcmIv(this.#iv, this.#salt, seq), this.#aad)
        .decrypt(packet.subarray(HEADER));
    } catch {
      return false;
    }
    packet.set(pt, HEADER);
    return true;
  }
}

/**
 * Creates an AES-GCM packet cipher for one SEK: `node:crypto` when it has this key size
 * (Deno's lacks AES-192-GCM), else `@noble/ciphers`.
 *
 * @param sek The stream-encrypting key, 16, 24 or 32 bytes.
 * @param salt The 16-byte KM salt.
 * @param options `backend: "noble"` forces the portable implementation.
 * @returns The cipher.
 * @throws {RangeError} On a bad key or salt length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createGcmPacketCipher } from "./aes_gcm.ts";
 * const c = createGcmPacketCipher(new Uint8Array(16), new Uint8Array(16));
 * const packet = new Uint8Array(16 + 5 + 16);
 * packet.set([1, 2, 3, 4, 5], 16);
 * c.seal(packet, 9);
 * assert.ok(c.open(packet, 9));
 * assert.deepEqual([...packet.subarray(16, 21)], [1, 2, 3, 4, 5]);
 * ```
 */
export function createGcmPacketCipher(
  sek: Uint8Array,
  salt: Uint8Array,
  options: { backend?: "auto" | "node" | "noble" } = {},
): GcmPacketCipher {
  assertKeyLength(sek.length, "SEK");
  if (salt.length !== 16) throw new RangeError(`salt must be 16 bytes, got ${salt.length}`);
  if (options.backend !== "noble") {
    const c = loadNodeCrypto() as unknown as NodeGcmCrypto | undefined;
    if (c && typeof c.createDecipheriv === "function") {
      try {
        c.createCipheriv(`aes-${sek.length * 8}-gcm`, sek, new Uint8Array(GCM_IV_LENGTH));
        return new NodeGcmCipher(c, sek, salt);
      } catch {
        // This runtime's node:crypto lacks the key size: use noble.
      }
    }
    if (options.backend === "node") throw new Error("node:crypto has no AES-GCM for this key");
  }
  return new NobleGcmCipher(sek, salt);
}
