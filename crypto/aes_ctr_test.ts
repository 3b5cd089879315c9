import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { createNoblePacketCipher } from "./aes_ctr_noble.ts";
import { createNodePacketCipher, nodeCryptoAvailable } from "./aes_ctr_node.ts";
import { createPacketCipher } from "./create_packet_cipher.ts";
import type { PacketCipher } from "./packet_cipher.ts";

type Factory = (sek: Uint8Array, salt: Uint8Array) => PacketCipher;
const factories: Array<[string, Factory]> = [
  ["noble", createNoblePacketCipher],
  ["node/ctr", (k, s) => createNodePacketCipher(k, s, { strategy: "ctr" })],
  ["node/ecb", (k, s) => createNodePacketCipher(k, s, { strategy: "ecb" })],
];

/** Deterministic test bytes (not random: reproducible failures). */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// libsrt test/test_cryspr.cpp UTV_cryspr_aes_ctr: zero key, zero IV, 24 ASCII '0' bytes.
// A zero salt and seqno 0 give exactly that zero IV; the 24 bytes span two blocks, so the
// block counter in IV byte 15 is covered too. Counters past 255 (byte 14) are covered by
// comparing with node:crypto "aes-N-ctr", whose OpenSSL counter is a 128-bit increment.
const libsrtCtr: Array<[number, string]> = [
  [16, "56D97BE4DFBA1C0BB87CCA69FA041B1E68D2CCFECA4E0051"],
  [24, "9AD059A29C8F6293D8C4995EF9003BE7FD0382BAF743C77B"],
  [32, "ECA5F0489270B9B99D789224A2B410B7633FBACBF7750689"],
];

describe("AES-CTR packet ciphers", () => {
  it("node:crypto is available on this runtime (Deno and Bun both ship it)", () => {
    assert.equal(nodeCryptoAvailable(), true);
  });

  for (const [name, make] of factories) {
    for (const [keyLength, cipherHex] of libsrtCtr) {
      it(`${name}: matches libsrt test_cryspr AES-CTR tv1.${keyLength * 8} both ways`, () => {
        const c = make(new Uint8Array(keyLength), new Uint8Array(16));
        const buf = new TextEncoder().encode("0".repeat(24));
        c.encrypt(0, buf);
        assert.equal(bytesToHex(buf), cipherHex.toLowerCase());
        c.decrypt(0, buf);
        assert.equal(new TextDecoder().decode(buf), "0".repeat(24));
      });
    }

    it(`${name}: reports its key length and backend`, () => {
      const c = make(new Uint8Array(24), new Uint8Array(16));
      assert.equal(c.keyLength, 24);
      assert.equal(c.backend, name.startsWith("node") ? "node" : "noble");
    });

    it(`${name}: works in place on an unaligned view and leaves the neighbours alone`, () => {
      const c = make(pattern(16, 1), pattern(16, 2));
      const outer = pattern(1400, 3);
      const before = outer.slice();
      const view = outer.subarray(3, 3 + 1317);
      c.encrypt(12345, view);
      assert.deepEqual(outer.subarray(0, 3), before.subarray(0, 3));
      assert.deepEqual(outer.subarray(1320), before.subarray(1320));
      assert.notDeepEqual(view, before.subarray(3, 1320));
      c.decrypt(12345, view);
      assert.deepEqual(outer, before);
    });

    it(`${name}: an empty payload is a no-op`, () => {
      const c = make(new Uint8Array(16), new Uint8Array(16));
      c.encrypt(1, new Uint8Array(0));
    });

    it(`${name}: rejects bad sequence numbers, keys and salts`, () => {
      const c = make(new Uint8Array(16), new Uint8Array(16));
      assert.throws(() => c.encrypt(-1, new Uint8Array(4)), RangeError);
      assert.throws(() => c.encrypt(2 ** 31, new Uint8Array(4)), RangeError);
      assert.throws(() => c.encrypt(0, new Uint8Array(65536 * 16 + 1)), RangeError);
      assert.throws(() => make(new Uint8Array(20), new Uint8Array(16)), RangeError);
      assert.throws(() => make(new Uint8Array(16), new Uint8Array(14)), RangeError);
    });
  }

  it("all backends agree for every key length, many lengths and edge sequence numbers", () => {
    const lengths = [1, 4, 15, 16, 17, 31, 188, 1316, 1456, 256 * 16 + 5];
    const seqs = [0, 1, 255, 256, 0x00ffffff, 0x40000000, 0x7fffffff];
    for (const keyLength of [16, 24, 32]) {
      const sek = pattern(keyLength, keyLength);
      const salt = pattern(16, 99);
      const ciphers = factories.map(([, make]) => make(sek, salt));
      for (const len of lengths) {
        for (const seq of seqs) {
          const outs = ciphers.map((c) => {
            const buf = pattern(len, len + seq);
            c.encrypt(seq, buf);
            return bytesToHex(buf);
          });
          assert.equal(
            outs[1],
            outs[0],
            `node/ctr vs noble: key ${keyLength}, len ${len}, seq ${seq}`,
          );
          assert.equal(
            outs[2],
            outs[0],
            `node/ecb vs noble: key ${keyLength}, len ${len}, seq ${seq}`,
          );
        }
      }
    }
  });

  it("uses a different keystream per sequence number and per salt", () => {
    const sek = pattern(16, 5);
    const a = createNoblePacketCipher(sek, pattern(16, 6));
    const b = createNoblePacketCipher(sek, pattern(16, 7));
    const ks = (c: PacketCipher, seq: number) => {
      const z = new Uint8Array(32);
      c.encrypt(seq, z);
      return bytesToHex(z);
    };
    assert.notEqual(ks(a, 1), ks(a, 2));
    assert.notEqual(ks(a, 1), ks(b, 1));
  });
});

describe("createPacketCipher()", () => {
  const sek = hexToBytes("000102030405060708090a0b0c0d0e0f");
  const salt = new Uint8Array(16);

  it("picks node:crypto by default and noble on request", () => {
    assert.equal(createPacketCipher(sek, salt).backend, "node");
    assert.equal(createPacketCipher(sek, salt, { backend: "auto" }).backend, "node");
    assert.equal(createPacketCipher(sek, salt, { backend: "node" }).backend, "node");
    assert.equal(createPacketCipher(sek, salt, { backend: "noble" }).backend, "noble");
  });

  it("rejects an unknown backend name", () => {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => createPacketCipher(sek, salt, { backend: "webcrypto" as any }), RangeError);
  });
});
