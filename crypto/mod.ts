/**
 * SRT encryption: passphrase → KEK (PBKDF2-HMAC-SHA1), RFC 3394 key wrap of
 * the stream-encrypting keys, the Key Material message codec, and a
 * synchronous in-place AES-CTR packet cipher with a `node:crypto` backend and
 * a portable `@noble/ciphers` fallback. Byte-compatible with libsrt.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKeyMaterial, createPacketCipher, openKeyMaterial } from "./mod.ts";
 *
 * const rng = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * const km = createKeyMaterial({ passphrase: "a long shared secret", keyLength: 16, rng });
 * const peer = openKeyMaterial(km.message, "a long shared secret");
 * assert.ok(peer.ok);
 *
 * const tx = createPacketCipher(km.evenKey!, km.salt);
 * const rx = createPacketCipher(peer.keyMaterial.evenKey!, peer.keyMaterial.salt);
 * const payload = new TextEncoder().encode("payload");
 * tx.encrypt(1000, payload);
 * rx.decrypt(1000, payload);
 * assert.equal(new TextDecoder().decode(payload), "payload");
 * ```
 *
 * @module
 */

export { isKeyLength, type KeyLength } from "./key_length.ts";
export {
  deriveKek,
  KM_SALT_LENGTH,
  PASSPHRASE_MAX_LENGTH,
  PASSPHRASE_MIN_LENGTH,
  passphraseBytes,
  PBKDF2_ITERATIONS,
  PBKDF2_SALT_LENGTH,
  pbkdf2HmacSha1,
} from "./pbkdf2.ts";
export { AES_KW_ICV_LENGTH, aesKeyUnwrap, aesKeyWrap } from "./aes_kw.ts";
export { AES_BLOCK_SIZE, MAX_SEQ, writeCtrIv } from "./ctr_iv.ts";
export type { CipherBackendName, PacketCipher } from "./packet_cipher.ts";
export { createNoblePacketCipher } from "./aes_ctr_noble.ts";
export {
  createNodePacketCipher,
  nodeCryptoAvailable,
  type NodeCtrStrategy,
  type NodePacketCipherOptions,
} from "./aes_ctr_node.ts";
export { createPacketCipher, type PacketCipherOptions } from "./create_packet_cipher.ts";
export {
  decodeKeyMaterial,
  encodeKeyMaterial,
  KeyFlags,
  keyMaterialLength,
  type KeyMaterialMessage,
  KM_HEADER_LENGTH,
  KM_MAX_LENGTH,
  KM_MIN_LENGTH,
  KM_SE_SRT,
  KmAuth,
  KmCipher,
  KmError,
  type KmErrorCode,
} from "./key_material.ts";
export { KmState } from "./km_state.ts";
export {
  createKeyMaterial,
  type CreateKeyMaterialOptions,
  type KeyMaterial,
  openKeyMaterial,
  type OpenKeyMaterialResult,
  type RandomBytes,
} from "./km_exchange.ts";
export {
  createGcmPacketCipher,
  GCM_IV_LENGTH,
  GCM_TAG_LENGTH,
  type GcmPacketCipher,
  writeGcmIv,
} from "./aes_gcm.ts";
