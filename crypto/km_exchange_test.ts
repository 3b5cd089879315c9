import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hexToBytes } from "@noble/hashes/utils.js";
import capture from "../tests/vectors/srt_aes_ctr_capture.json" with { type: "json" };
import { aesKeyUnwrap } from "./aes_kw.ts";
import { decodeKeyMaterial, KeyFlags, KmCipher, KmError } from "./key_material.ts";
import { createKeyMaterial, openKeyMaterial } from "./km_exchange.ts";
import { KmState } from "./km_state.ts";
import { deriveKek } from "./pbkdf2.ts";

/** A deterministic byte source: 1, 2, 3, ... so every draw is distinguishable. */
function counterRng(): (n: number) => Uint8Array {
  let next = 1;
  return (n) => Uint8Array.from({ length: n }, () => next++ & 0xff);
}

describe("KmState", () => {
  it("numbers the states as libsrt SRT_KM_STATE does", () => {
    assert.deepEqual(
      [
        KmState.UNSECURED,
        KmState.SECURING,
        KmState.SECURED,
        KmState.NOSECRET,
        KmState.BADSECRET,
        KmState.BADCRYPTOMODE,
      ],
      [0, 1, 2, 3, 4, 5],
    );
  });
});

describe("openKeyMaterial()", () => {
  for (const v of capture.vectors) {
    it(`unwraps the SEK from libsrt's AES-${v.keyLength * 8} KMREQ`, () => {
      const r = openKeyMaterial(hexToBytes(v.kmreq), v.passphrase);
      assert.ok(r.ok);
      assert.equal(r.keyMaterial.keyLength, v.keyLength);
      assert.equal(r.keyMaterial.evenKey?.length, v.keyLength);
      assert.equal(r.keyMaterial.oddKey, undefined);
      assert.deepEqual(r.keyMaterial.salt, hexToBytes(v.kmreq).subarray(16, 32));
    });

    it(`reports BADSECRET for a wrong passphrase (AES-${v.keyLength * 8})`, () => {
      const r = openKeyMaterial(hexToBytes(v.kmreq), v.passphrase + "x");
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.state, KmState.BADSECRET);
        assert.equal(r.error.code, "BAD_SECRET");
      }
    });
  }

  it("reports NOSECRET for a malformed message and BADCRYPTOMODE for an unknown cipher", () => {
    const km = hexToBytes(capture.vectors[0].kmreq);
    const r1 = openKeyMaterial(km.subarray(0, 40), capture.vectors[0].passphrase);
    assert.ok(!r1.ok && r1.state === KmState.NOSECRET && r1.error.code === "TOO_SHORT");
    const bad = km.slice();
    bad[8] = 3;
    const r2 = openKeyMaterial(bad, capture.vectors[0].passphrase);
    assert.ok(!r2.ok && r2.state === KmState.BADCRYPTOMODE);
  });

  it("throws RangeError only for a bad local passphrase", () => {
    assert.throws(() => openKeyMaterial(new Uint8Array(56), "short"), RangeError);
  });
});

describe("createKeyMaterial()", () => {
  it("draws the salt first, then the key, from the injected rng", () => {
    const km = createKeyMaterial({ passphrase: "0123456789", keyLength: 16, rng: counterRng() });
    assert.deepEqual([...km.salt], Array.from({ length: 16 }, (_, i) => i + 1));
    assert.deepEqual([...km.evenKey!], Array.from({ length: 16 }, (_, i) => i + 17));
    assert.equal(km.oddKey, undefined);
    assert.equal(km.message.length, 56);
  });

  it("is deterministic for a deterministic rng (no hidden randomness)", () => {
    const a = createKeyMaterial({ passphrase: "0123456789", keyLength: 24, rng: counterRng() });
    const b = createKeyMaterial({ passphrase: "0123456789", keyLength: 24, rng: counterRng() });
    assert.deepEqual(a.message, b.message);
  });

  it("wraps even then odd key when kk = both", () => {
    const km = createKeyMaterial({
      passphrase: "a shared secret",
      keyLength: 32,
      kk: KeyFlags.BOTH,
      rng: counterRng(),
    });
    assert.equal(km.message.length, 104);
    const msg = decodeKeyMaterial(km.message);
    assert.ok(!(msg instanceof KmError));
    const plain = aesKeyUnwrap(deriveKek("a shared secret", km.salt, 32), msg.wrappedKeys)!;
    assert.deepEqual(plain.subarray(0, 32), km.evenKey);
    assert.deepEqual(plain.subarray(32), km.oddKey);
  });

  it("round-trips through openKeyMaterial for every key length and kk", () => {
    for (const keyLength of [16, 24, 32] as const) {
      for (const kk of [KeyFlags.EVEN, KeyFlags.ODD, KeyFlags.BOTH]) {
        const km = createKeyMaterial({ passphrase: "ééééé", keyLength, kk, rng: counterRng() });
        const r = openKeyMaterial(km.message, "ééééé");
        assert.ok(r.ok, `key ${keyLength} kk ${kk}`);
        assert.equal(r.keyMaterial.kk, kk);
        assert.deepEqual(r.keyMaterial.evenKey, km.evenKey);
        assert.deepEqual(r.keyMaterial.oddKey, km.oddKey);
        assert.deepEqual(r.keyMaterial.salt, km.salt);
      }
    }
  });

  it("marks AES-GCM key material with the GCM auth field", () => {
    const km = createKeyMaterial({
      passphrase: "0123456789",
      keyLength: 16,
      cipher: KmCipher.AES_GCM,
      rng: counterRng(),
    });
    assert.equal(km.message[8], 4);
    assert.equal(km.message[9], 1);
  });

  it("rejects bad passphrases, key lengths and rng output", () => {
    const rng = counterRng();
    assert.throws(
      () => createKeyMaterial({ passphrase: "123456789", keyLength: 16, rng }),
      RangeError,
    );
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => createKeyMaterial({ passphrase: "0123456789", keyLength: 8 as any, rng }),
      RangeError,
    );
    assert.throws(
      () =>
        createKeyMaterial({
          passphrase: "0123456789",
          keyLength: 16,
          rng: () => new Uint8Array(3),
        }),
      RangeError,
    );
  });
});
