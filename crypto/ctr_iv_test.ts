import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex } from "@noble/hashes/utils.js";
import { writeCtrIv } from "./ctr_iv.ts";

describe("writeCtrIv()", () => {
  const salt = Uint8Array.from({ length: 16 }, (_, i) => i); // 00 01 .. 0f

  it("puts seqno big-endian in bytes 10..13, XORed with the salt (hcrypt_SetCtrIV)", () => {
    // 0x0a^0x7f, 0x0b^0xff, 0x0c^0xff, 0x0d^0xff; salt bytes 14..15 are not used.
    const iv = writeCtrIv(new Uint8Array(16), salt, 0x7fffffff);
    assert.equal(bytesToHex(iv), "00010203040506070809" + "75f4f3f2" + "0000");
  });

  it("is the plain salt prefix for seqno 0 and zero block counter", () => {
    const iv = writeCtrIv(new Uint8Array(16).fill(0xee), salt, 0);
    assert.equal(bytesToHex(iv), "000102030405060708090a0b0c0d0000");
  });

  it("places seqno 0x01020304 so that each byte lands in its own slot", () => {
    const iv = writeCtrIv(new Uint8Array(16), new Uint8Array(16), 0x01020304);
    assert.equal(bytesToHex(iv), "00000000000000000000010203040000");
  });

  it("rejects out-of-range sequence numbers and bad sizes", () => {
    assert.throws(() => writeCtrIv(new Uint8Array(16), salt, -1), RangeError);
    assert.throws(() => writeCtrIv(new Uint8Array(16), salt, 2 ** 31), RangeError);
    assert.throws(() => writeCtrIv(new Uint8Array(16), salt, 1.5), RangeError);
    assert.throws(() => writeCtrIv(new Uint8Array(15), salt, 0), RangeError);
    assert.throws(() => writeCtrIv(new Uint8Array(16), new Uint8Array(8), 0), RangeError);
  });
});
