/**
 * The per-packet cipher interface used by the SRT data path.
 *
 * @module
 */

import type { KeyLength } from "./key_length.ts";

/** Names of the available AES-CTR implementations. */
export type CipherBackendName = "node" | "noble";

/**
 * Encrypts and decrypts SRT data packet payloads with one stream-encrypting
 * key (SEK) and salt, in place, synchronously.
 *
 * AES-CTR is symmetric, so `encrypt` and `decrypt` do the same thing; both
 * exist so call sites read naturally.
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
