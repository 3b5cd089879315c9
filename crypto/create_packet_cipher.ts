/**
 * Picks the fastest available AES-CTR backend for SRT data packets.
 *
 * @module
 */

import { createNoblePacketCipher } from "./aes_ctr_noble.ts";
import { createNodePacketCipher, nodeCryptoAvailable } from "./aes_ctr_node.ts";
import type { PacketCipher } from "./packet_cipher.ts";

/**
 * Options for {@linkcode createPacketCipher}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPacketCipher, type PacketCipherOptions } from "@tsrt/tsrt/crypto";
 * const options: PacketCipherOptions = { backend: "noble" };
 * const cipher = createPacketCipher(new Uint8Array(24), new Uint8Array(16), options);
 * assert.equal(cipher.backend, "noble");
 * ```
 */
export interface PacketCipherOptions {
  /**
   * `"node"` uses `node:crypto` (fastest on Deno and Bun), `"noble"` the
   * portable pure-JavaScript AES, `"auto"` (default) `node:crypto` when present.
   */
  backend?: "auto" | "node" | "noble";
}

/**
 * Creates a synchronous, in-place AES-CTR cipher for SRT data payloads.
 *
 * @param sek The stream-encrypting key (even or odd), 16, 24 or 32 bytes.
 * @param salt The 16-byte salt from the Key Material message.
 * @param options Backend choice.
 * @returns The packet cipher.
 * @throws {RangeError} On a bad key or salt length.
 * @throws {Error} When `backend: "node"` is requested but `node:crypto` is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPacketCipher } from "./create_packet_cipher.ts";
 * const sek = new Uint8Array(16).fill(1);
 * const salt = new Uint8Array(16).fill(2);
 * const tx = createPacketCipher(sek, salt);
 * const rx = createPacketCipher(sek, salt, { backend: "noble" });
 * const payload = new TextEncoder().encode("a live MPEG-TS payload");
 * tx.encrypt(42, payload);
 * rx.decrypt(42, payload);
 * assert.equal(new TextDecoder().decode(payload), "a live MPEG-TS payload");
 * ```
 */
export function createPacketCipher(
  sek: Uint8Array,
  salt: Uint8Array,
  options: PacketCipherOptions = {},
): PacketCipher {
  const backend = options.backend ?? "auto";
  if (backend !== "auto" && backend !== "node" && backend !== "noble") {
    throw new RangeError(`unknown cipher backend: ${String(backend)}`);
  }
  if (backend === "noble") return createNoblePacketCipher(sek, salt);
  if (backend === "node" || nodeCryptoAvailable()) return createNodePacketCipher(sek, salt);
  return createNoblePacketCipher(sek, salt);
}
