/**
 * The per-packet cipher interface used by the SRT data path.
 *
 * @module
 */

import type { KeyLength } from "./key_length.ts";

/**
 * Names of the available AES-CTR implementations.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CipherBackendName, createPacketCipher } from "@tsrt/tsrt/crypto";
 * const cipher = createPacketCipher(new Uint8Array(16), new Uint8Array(16));
 * const backend: CipherBackendName = cipher.backend;
 * assert.ok(backend === "node" || backend === "noble");
 * ```
 */
export type CipherBackendName = "node" | "noble";

/**
 * Encrypts and decrypts SRT data packet payloads with one stream-encrypting
 * key (SEK) and salt, in place, synchronously.
 *
 * AES-CTR is symmetric, so `encrypt` and `decrypt` do the same thing; both
 * exist so call sites read naturally.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPacketCipher, type PacketCipher } from "@tsrt/tsrt/crypto";
 * const cipher: PacketCipher = createPacketCipher(new Uint8Array(16), new Uint8Array(16));
 * const payload = new Uint8Array(1316).fill(0x47);
 * cipher.encrypt(100, payload);
 * assert.notEqual(payload[0], 0x47);
 * cipher.decrypt(100, payload);
 * assert.equal(payload[0], 0x47);
 * ```
 */
export interface PacketCipher {
  /** The SEK length in bytes. */
  readonly keyLength: KeyLength;
  /** Which implementation runs the cipher. */
  readonly backend: CipherBackendName;
  /**
   * Encrypts a payload in place.
   *
   * @param seq The packet sequence number (0..2^31-1), which selects the IV.
   * @param payload The payload bytes (the data packet without its 16-byte header).
   */
  encrypt(seq: number, payload: Uint8Array): void;
  /**
   * Decrypts a payload in place.
   *
   * @param seq The packet sequence number (0..2^31-1), which selects the IV.
   * @param payload The payload bytes (the data packet without its 16-byte header).
   */
  decrypt(seq: number, payload: Uint8Array): void;
}
