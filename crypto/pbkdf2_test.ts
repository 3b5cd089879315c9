import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex } from "@noble/hashes/utils.js";
import { deriveKek, passphraseBytes, pbkdf2HmacSha1 } from "./pbkdf2.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe("pbkdf2HmacSha1()", () => {
  // RFC 6070 §2 (the 16777216-iteration case is left out: too slow for a unit test).
  const rfc6070: Array<[string, string, number, number, string]> = [
    ["password", "salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"],
    ["password", "salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"],
    ["password", "salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"],
    [
      "passwordPASSWORDpassword",
      "saltSALTsaltSALTsaltSALTsaltSALTsalt",
      4096,
      25,
      "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
    ],
    ["pass\0word", "sa\0lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"],
  ];
  for (const [p, s, c, len, want] of rfc6070) {
    it(`matches RFC 6070 (${JSON.stringify(p)}, c=${c}, dkLen=${len})`, () => {
      assert.equal(bytesToHex(pbkdf2HmacSha1(text(p), text(s), c, len)), want);
    });
  }

  // libsrt test/test_cryspr.cpp, pbkdf2_tv[0..2]: "000000000000" / "00000000" / 2048.
  const libsrt: Array<[number, string]> = [
    [16, "b6bf5f0cdd25e85823fd847ab2b67f79"],
    [24, "b6bf5f0cdd25e85823fd847ab2b67f7990abca6ef002f1ad"],
    [32, "b6bf5f0cdd25e85823fd847ab2b67f7990abca6ef002f1ad1959cf18ac91533d"],
  ];
  for (const [len, want] of libsrt) {
    it(`matches libsrt test_cryspr PBKDF2 tv1.${len * 8}`, () => {
      assert.equal(bytesToHex(pbkdf2HmacSha1("000000000000", "00000000", 2048, len)), want);
    });
  }

  it("rejects a zero iteration count and a zero length", () => {
    assert.throws(() => pbkdf2HmacSha1("password", "salt", 0, 20), RangeError);
    assert.throws(() => pbkdf2HmacSha1("password", "salt", 1, 0), RangeError);
  });
});

describe("deriveKek()", () => {
  it("uses only the last 8 salt bytes and 2048 iterations (libsrt tv1.128/256)", () => {
    // salt[8..15] = "00000000"; salt[0..7] must not matter.
    const salt = new Uint8Array(16);
    salt.set(text("garbage!"), 0);
    salt.set(text("00000000"), 8);
    assert.equal(
      bytesToHex(deriveKek("000000000000", salt, 16)),
      "b6bf5f0cdd25e85823fd847ab2b67f79",
    );
    salt.set(text("other..."), 0);
    assert.equal(
      bytesToHex(deriveKek("000000000000", salt, 32)),
      "b6bf5f0cdd25e85823fd847ab2b67f7990abca6ef002f1ad1959cf18ac91533d",
    );
  });

  it("native node:crypto and the portable PBKDF2 agree (every key length, UTF-8 passphrase)", () => {
    // deriveKek() uses node:crypto's pbkdf2Sync where the runtime has it; pbkdf2HmacSha1() is
    // the pure-JavaScript path used elsewhere.
    const salt = new Uint8Array(16).map((_, i) => i * 17 + 3);
    for (const len of [16, 24, 32] as const) {
      for (const pass of ["0123456789", "pässphrase with ünïcode", "x".repeat(80)]) {
        assert.deepEqual(
          deriveKek(pass, salt, len),
          pbkdf2HmacSha1(passphraseBytes(pass), salt.subarray(8), 2048, len),
          `${len} ${pass}`,
        );
      }
    }
  });

  it("changes when the tail of the salt changes", () => {
    const a = new Uint8Array(16);
    const b = new Uint8Array(16);
    b[15] = 1;
    assert.notDeepEqual(deriveKek("0123456789", a, 16), deriveKek("0123456789", b, 16));
  });

  it("rejects salts that are not 16 bytes and bad key lengths", () => {
    assert.throws(() => deriveKek("0123456789", new Uint8Array(8), 16), RangeError);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => deriveKek("0123456789", new Uint8Array(16), 20 as any), RangeError);
  });
});

describe("passphraseBytes()", () => {
  it("accepts 10 and 80 bytes and rejects 9 and 81 (libsrt socketconfig.cpp)", () => {
    assert.equal(passphraseBytes("x".repeat(10)).length, 10);
    assert.equal(passphraseBytes("x".repeat(80)).length, 80);
    assert.throws(() => passphraseBytes("x".repeat(9)), RangeError);
    assert.throws(() => passphraseBytes("x".repeat(81)), RangeError);
    assert.throws(() => passphraseBytes(new Uint8Array(0)), RangeError);
  });

  it("counts UTF-8 bytes, not UTF-16 code units", () => {
    // 5 × "é" is 5 characters but 10 bytes.
    assert.equal(passphraseBytes("ééééé").length, 10);
    // 41 × "é" is 82 bytes.
    assert.throws(() => passphraseBytes("é".repeat(41)), RangeError);
  });

  it("gives a clear message", () => {
    assert.throws(() => passphraseBytes("short"), /passphrase must be 10\.\.80 bytes, got 5/);
  });
});
