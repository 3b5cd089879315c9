import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { aesKeyUnwrap, aesKeyWrap } from "./aes_kw.ts";

const h = (s: string) => hexToBytes(s.replace(/\s+/g, ""));

// RFC 3394 §4.1-4.6.
const KEK128 = "000102030405060708090A0B0C0D0E0F";
const KEK192 = "000102030405060708090A0B0C0D0E0F1011121314151617";
const KEK256 = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
const DATA128 = "00112233445566778899AABBCCDDEEFF";
const DATA192 = "00112233445566778899AABBCCDDEEFF0001020304050607";
const DATA256 = "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F";
const rfc3394: Array<[string, string, string, string]> = [
  ["4.1", KEK128, DATA128, "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"],
  ["4.2", KEK192, DATA128, "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D"],
  ["4.3", KEK256, DATA128, "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7"],
  ["4.4", KEK192, DATA192, "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2"],
  ["4.5", KEK256, DATA192, "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1"],
  [
    "4.6",
    KEK256,
    DATA256,
    "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21",
  ],
];

// libsrt test/test_cryspr.cpp UTV_cryspr_km_wrap: zero SEK under the PBKDF2 tv1 KEKs.
const libsrt: Array<[string, string, number, string]> = [
  [
    "tv1.128",
    "b6bf5f0cdd25e85823fd847ab2b67f79",
    16,
    "F8B6121BF20362408032608DED0B8E4B297E80174E8968F1",
  ],
  [
    "tv1.192",
    "b6bf5f0cdd25e85823fd847ab2b67f7990abca6ef002f1ad",
    24,
    "C1A6589EC0526D37843CBD3B02DD793FE6142D81694B8E07264FCD86D66A7062",
  ],
  [
    "tv1.256",
    "b6bf5f0cdd25e85823fd847ab2b67f7990abca6ef002f1ad1959cf18ac91533d",
    32,
    "94BE9CA67A272056EDEAA08F71B1F185F6C567F4A9C21E784936A5AE60D01C3068274F66565A55AA",
  ],
];

describe("aesKeyWrap() / aesKeyUnwrap()", () => {
  for (const [section, kek, data, wrapped] of rfc3394) {
    it(`wraps and unwraps RFC 3394 §${section}`, () => {
      assert.equal(bytesToHex(aesKeyWrap(h(kek), h(data))), bytesToHex(h(wrapped)));
      assert.equal(bytesToHex(aesKeyUnwrap(h(kek), h(wrapped))!), bytesToHex(h(data)));
    });
  }

  for (const [name, kek, sekLen, wrapped] of libsrt) {
    it(`matches libsrt test_cryspr KMWRAP/KMUNWRAP ${name}`, () => {
      const sek = new Uint8Array(sekLen);
      assert.equal(bytesToHex(aesKeyWrap(h(kek), sek)), bytesToHex(h(wrapped)));
      assert.deepEqual(aesKeyUnwrap(h(kek), h(wrapped)), sek);
    });
  }

  it("reports a wrong KEK as undefined (BADSECRET), not an exception", () => {
    const wrong = h(KEK128);
    wrong[0] ^= 1;
    assert.equal(aesKeyUnwrap(wrong, h(rfc3394[0][3])), undefined);
  });

  it("reports a tampered wrapped key as undefined", () => {
    for (const at of [0, 7, 8, 23]) {
      const w = h(rfc3394[0][3]);
      w[at] ^= 0x80;
      assert.equal(aesKeyUnwrap(h(KEK128), w), undefined, `flip at byte ${at}`);
    }
  });

  it("does not modify its inputs and returns an unaliased key", () => {
    const w = h(rfc3394[0][3]);
    const copy = w.slice();
    const out = aesKeyUnwrap(h(KEK128), w)!;
    assert.deepEqual(w, copy);
    assert.equal(out.byteOffset, 0);
    assert.equal(out.buffer.byteLength, 16);
  });

  it("rejects bad lengths with RangeError", () => {
    assert.throws(() => aesKeyWrap(new Uint8Array(15), new Uint8Array(16)), RangeError);
    assert.throws(() => aesKeyWrap(h(KEK128), new Uint8Array(8)), RangeError);
    assert.throws(() => aesKeyWrap(h(KEK128), new Uint8Array(20)), RangeError);
    assert.throws(() => aesKeyUnwrap(h(KEK128), new Uint8Array(16)), RangeError);
    assert.throws(() => aesKeyUnwrap(h(KEK128), new Uint8Array(25)), RangeError);
  });
});
