// AES-GCM in libsrt 1.5.4's packet layout. The expected bytes were computed outside tsrt with
// Python's `cryptography` (AESGCM), from the layout written out by hand: IV = 8 zero bytes then
// the sequence number (big-endian), XOR salt[0..11]; AAD = the header with R cleared; the tag
// follows the ciphertext. Debian's libsrt 1.5.1 has no GCM, so no capture exists.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createGcmPacketCipher, GCM_TAG_LENGTH, writeGcmIv } from "./aes_gcm.ts";

const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const SALT = hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
const SEQ = 0x12345678;
// seq; PP=11, KK=01 (even key), R=1 (a retransmission), msgno 5; timestamp; destination id.
const HEADER = hex("12345678cc000005000102030a0b0c0d");
const PLAIN = new TextEncoder().encode("tsrt AES-GCM byte-layout vector, 1.5.4 format");
const VECTORS = [
  {
    key: Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i),
    out: "3cfdbdc08fc0d4614ff87071ecf695508bf3fd94db16238f6b764632a65e8b0cdd634535" +
      "79fb44308315951934e6fbe66f5b1726f7d2cc3ec910afd860",
  },
  {
    key: Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i),
    out: "46e221a2781daa9869bb9ed2ff5aae9115c343e6ffaba7b2a0445a74b08e9eef98f63e8d" +
      "ad3cbd25a84440771387afd10f75817bf5402139817596745d",
  },
];

function packet(): Uint8Array {
  const p = new Uint8Array(16 + PLAIN.length + GCM_TAG_LENGTH);
  p.set(HEADER);
  p.set(PLAIN, 16);
  return p;
}

describe("AES-GCM packet cipher (libsrt 1.5.4 layout)", () => {
  it("builds the IV from the salt and the sequence number", () => {
    assert.equal(toHex(writeGcmIv(new Uint8Array(12), SALT, SEQ)), "a0a1a2a3a4a5a6a7ba9dfcd3");
  });

  for (const { key, out } of VECTORS) {
    for (const backend of ["node", "noble"] as const) {
      it(`AES-${key.length * 8} ${backend}: ciphertext and tag match the independent vector`, (t) => {
        let c;
        try {
          c = createGcmPacketCipher(key, SALT, { backend });
        } catch {
          t.skip(`node:crypto has no AES-${key.length * 8}-GCM here`);
          return;
        }
        const p = packet();
        c.seal(p, SEQ);
        assert.deepEqual(p.subarray(0, 16), HEADER, "the header is not encrypted");
        assert.equal(toHex(p.subarray(16)), out);
        assert.ok(c.open(p, SEQ));
        assert.deepEqual(p.subarray(16, 16 + PLAIN.length), PLAIN);
      });
    }
  }

  it("the R flag is outside the authenticated data; KK, sequence and payload are inside", () => {
    const c = createGcmPacketCipher(VECTORS[0].key, SALT);
    const sealed = packet();
    c.seal(sealed, SEQ);
    const first = sealed.slice();
    first[4] &= ~0x04; // the original transmission, R clear
    assert.ok(c.open(first, SEQ));
    for (
      const [what, at, mask] of [["KK", 4, 0x10], ["timestamp", 11, 1], ["payload", 20, 1], [
        "tag",
        first.length - 1,
        1,
      ]] as const
    ) {
      const bad = sealed.slice();
      bad[at] ^= mask;
      const before = bad.slice();
      assert.equal(c.open(bad, SEQ), false, what);
      assert.deepEqual(bad, before, `${what}: a rejected packet is left as it was`);
    }
    assert.equal(c.open(sealed.slice(), SEQ + 1), false, "another sequence number");
  });
});
