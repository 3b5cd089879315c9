// AES-CTR known answers from real libsrt 1.5.1 traffic; see tests/vectors/README.md.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import capture from "../tests/vectors/srt_aes_ctr_capture.json" with { type: "json" };
import { createNoblePacketCipher } from "./aes_ctr_noble.ts";
import { createNodePacketCipher } from "./aes_ctr_node.ts";
import { openKeyMaterial } from "./km_exchange.ts";
import type { PacketCipher } from "./packet_cipher.ts";

const backends: Array<[string, (k: Uint8Array, s: Uint8Array) => PacketCipher]> = [
  ["noble", createNoblePacketCipher],
  ["node/ctr", (k, s) => createNodePacketCipher(k, s, { strategy: "ctr" })],
  ["node/ecb", (k, s) => createNodePacketCipher(k, s, { strategy: "ecb" })],
];

describe("srt-live-transmit capture", () => {
  for (const v of capture.vectors) {
    const name = `AES-${v.keyLength * 8}`;

    it(`${name}: the listener echoed the caller's KM message in its KMRSP`, () => {
      assert.equal(v.kmrsp, v.kmreq);
    });

    for (const [backend, make] of backends) {
      it(`${name}: ${backend} decrypts libsrt's data packets to the payload that was sent`, () => {
        const opened = openKeyMaterial(hexToBytes(v.kmreq), v.passphrase);
        assert.ok(opened.ok);
        const { evenKey, salt } = opened.keyMaterial;
        const cipher = make(evenKey!, salt);
        for (const p of v.packets) {
          const pkt = hexToBytes(p.packet);
          const view = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength);
          assert.equal(view.getUint32(0) >>> 31, 0, "data packet");
          assert.equal(view.getUint32(0) & 0x7fffffff, p.seq, "seqno from header");
          assert.equal((view.getUint32(4) >>> 27) & 3, 1, "KK = even key");
          const payload = pkt.subarray(16);
          cipher.decrypt(p.seq, payload);
          assert.equal(bytesToHex(payload), p.plaintext);
        }
      });

      it(`${name}: ${backend} encrypts the payload to libsrt's exact ciphertext`, () => {
        const opened = openKeyMaterial(hexToBytes(v.kmreq), v.passphrase);
        assert.ok(opened.ok);
        const cipher = make(opened.keyMaterial.evenKey!, opened.keyMaterial.salt);
        for (const p of v.packets) {
          const payload = hexToBytes(p.plaintext);
          cipher.encrypt(p.seq, payload);
          assert.equal(bytesToHex(payload), p.packet.slice(32));
        }
      });
    }

    it(`${name}: decrypting with the wrong sequence number does not give the plaintext`, () => {
      const opened = openKeyMaterial(hexToBytes(v.kmreq), v.passphrase);
      assert.ok(opened.ok);
      const cipher = createNoblePacketCipher(opened.keyMaterial.evenKey!, opened.keyMaterial.salt);
      const p = v.packets[0];
      const payload = hexToBytes(p.packet).subarray(16);
      cipher.decrypt(p.seq + 1, payload);
      assert.notEqual(bytesToHex(payload), p.plaintext);
    });
  }
});
