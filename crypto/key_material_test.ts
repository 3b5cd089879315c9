import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import capture from "../tests/vectors/srt_aes_ctr_capture.json" with { type: "json" };
import {
  decodeKeyMaterial,
  encodeKeyMaterial,
  KeyFlags,
  keyMaterialLength,
  type KeyMaterialMessage,
  KM_MAX_LENGTH,
  KmAuth,
  KmCipher,
  KmError,
  type KmErrorCode,
} from "./key_material.ts";

const captured = capture.vectors.map((v) => ({ keyLength: v.keyLength, km: hexToBytes(v.kmreq) }));
const km128 = captured.find((c) => c.keyLength === 16)!.km;

function decodeOk(bytes: Uint8Array): KeyMaterialMessage {
  const r = decodeKeyMaterial(bytes);
  if (r instanceof KmError) throw new Error(`unexpected ${r.code}: ${r.message}`);
  return r;
}

function expectError(bytes: Uint8Array, code: KmErrorCode): void {
  const r = decodeKeyMaterial(bytes);
  assert.ok(r instanceof KmError, `expected ${code}, got a message`);
  assert.equal(r.code, code, r.message);
}

function mutate(at: number, value: number): Uint8Array {
  const b = km128.slice();
  b[at] = value;
  return b;
}

describe("decodeKeyMaterial()", () => {
  for (const { keyLength, km } of captured) {
    it(`decodes the KMREQ libsrt 1.5.1 sent for AES-${keyLength * 8}`, () => {
      assert.equal(km.length, keyMaterialLength(keyLength as 16 | 24 | 32, KeyFlags.EVEN));
      const m = decodeOk(km);
      assert.equal(m.kk, KeyFlags.EVEN);
      assert.equal(m.keki, 0);
      assert.equal(m.cipher, KmCipher.AES_CTR);
      assert.equal(m.auth, KmAuth.NONE);
      assert.equal(m.se, 2);
      assert.equal(m.keyLength, keyLength);
      assert.deepEqual(m.salt, km.subarray(16, 32));
      assert.deepEqual(m.wrappedKeys, km.subarray(32));
      assert.equal(m.wrappedKeys.length, 8 + keyLength);
    });

    it(`re-encodes the AES-${keyLength * 8} KMREQ byte for byte`, () => {
      assert.equal(bytesToHex(encodeKeyMaterial(decodeOk(km))), bytesToHex(km));
    });
  }

  it("returns copies, so later changes to the datagram do not leak in", () => {
    const b = km128.slice();
    const m = decodeOk(b);
    b.fill(0);
    assert.deepEqual(m.salt, km128.subarray(16, 32));
    assert.deepEqual(m.wrappedKeys, km128.subarray(32));
  });

  it("never throws on any truncation of a valid message", () => {
    for (let n = 0; n < km128.length; n++) {
      const r = decodeKeyMaterial(km128.subarray(0, n));
      assert.ok(r instanceof KmError, `length ${n}`);
    }
  });

  it("never throws for any single-byte change or for random input", () => {
    for (let at = 0; at < km128.length; at++) {
      for (let v = 0; v < 256; v++) {
        const r = decodeKeyMaterial(mutate(at, v));
        assert.ok(r instanceof KmError || typeof r.kk === "number");
      }
    }
    let x = 0x2545f491;
    for (let n = 0; n < 3000; n++) {
      const bytes = new Uint8Array(n % 130);
      for (let i = 0; i < bytes.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        bytes[i] = x & 0xff;
      }
      // Make some of them look like KM headers so the deeper checks run too.
      if (n % 2 === 0 && bytes.length >= 16) bytes.set([0x12, 0x20, 0x29], 0);
      const r = decodeKeyMaterial(bytes);
      if (!(r instanceof KmError)) assert.equal(bytes.length, keyMaterialLength(r.keyLength, r.kk));
    }
  });

  it("rejects an oversized message before looking at it", () => {
    expectError(new Uint8Array(KM_MAX_LENGTH + 1), "TOO_LONG");
    expectError(new Uint8Array(1 << 20), "TOO_LONG");
    expectError(new Uint8Array(55), "TOO_SHORT");
  });

  it("checks S, version, packet type and signature", () => {
    expectError(mutate(0, 0x92), "BAD_HEADER"); // S bit set
    expectError(mutate(0, 0x22), "BAD_HEADER"); // version 2
    expectError(mutate(0, 0x11), "BAD_HEADER"); // packet type 1 (media)
    expectError(mutate(1, 0x21), "BAD_HEADER");
    expectError(mutate(2, 0x28), "BAD_HEADER");
  });

  it("checks KK, KEKI, cipher/auth and SE", () => {
    expectError(mutate(3, 0x00), "BAD_KK");
    expectError(mutate(7, 0x01), "BAD_KEKI");
    expectError(mutate(8, 3), "BAD_CIPHER"); // AES-CBC (reserved)
    expectError(mutate(8, 4), "BAD_CIPHER"); // GCM without the GCM auth
    expectError(mutate(9, 1), "BAD_CIPHER"); // CTR with GCM auth
    expectError(mutate(10, 1), "BAD_SE");
  });

  it("checks salt and key length fields against the message size", () => {
    expectError(mutate(14, 2), "BAD_SALT_LENGTH");
    expectError(mutate(15, 5), "BAD_KEY_LENGTH");
    expectError(mutate(15, 6), "LENGTH_MISMATCH"); // 24-byte key claimed, 16 present
    expectError(mutate(3, 0x03), "LENGTH_MISMATCH"); // both keys claimed, one present
  });

  it("ignores the reserved bits next to KK", () => {
    const m = decodeOk(mutate(3, 0xfd));
    assert.equal(m.kk, KeyFlags.EVEN);
  });
});

describe("encodeKeyMaterial()", () => {
  const base: KeyMaterialMessage = {
    kk: KeyFlags.BOTH,
    keki: 0,
    cipher: KmCipher.AES_CTR,
    auth: KmAuth.NONE,
    se: 2,
    salt: new Uint8Array(16).fill(0xaa),
    keyLength: 32,
    wrappedKeys: new Uint8Array(8 + 64).fill(0xbb),
  };

  it("gives the sizes of draft §3.2.2: 56 bytes for one AES-128 key, 104 for two AES-256 keys", () => {
    assert.equal(keyMaterialLength(16, KeyFlags.EVEN), 56);
    assert.equal(encodeKeyMaterial(base).length, 104);
  });

  it("lays out the header as in hcrypt_msg.h", () => {
    const b = encodeKeyMaterial({ ...base, cipher: KmCipher.AES_GCM, auth: KmAuth.AES_GCM });
    assert.equal(bytesToHex(b.subarray(0, 16)), "12202903" + "00000000" + "04010200" + "00000408");
    assert.deepEqual(decodeOk(b).cipher, KmCipher.AES_GCM);
  });

  it("rejects inconsistent fields with RangeError", () => {
    assert.throws(
      () => encodeKeyMaterial({ ...base, wrappedKeys: new Uint8Array(40) }),
      RangeError,
    );
    assert.throws(() => encodeKeyMaterial({ ...base, salt: new Uint8Array(8) }), RangeError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => encodeKeyMaterial({ ...base, kk: 0 as any }), RangeError);
    assert.throws(() => encodeKeyMaterial({ ...base, keki: 1 }), RangeError);
    assert.throws(() => encodeKeyMaterial({ ...base, se: 1 }), RangeError);
    assert.throws(() => encodeKeyMaterial({ ...base, auth: KmAuth.AES_GCM }), RangeError);
  });
});
