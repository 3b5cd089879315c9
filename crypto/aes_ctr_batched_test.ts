// The windowed keystream must give exactly what the per-packet backends give, whatever order
// the sequence numbers come in.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBatchedCtrCipher } from "./aes_ctr_batched.ts";
import { createNoblePacketCipher } from "./aes_ctr_noble.ts";

function payload(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed * 7) & 0xff);
}

describe("createBatchedCtrCipher()", () => {
  for (const keyLength of [16, 24, 32]) {
    it(`AES-${keyLength * 8}: in order, retransmissions, jumps and the 31-bit wrap`, () => {
      const key = Uint8Array.from({ length: keyLength }, (_, i) => i * 3 + 1);
      const salt = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
      const fast = createBatchedCtrCipher(key, salt, 8)!;
      const ref = createNoblePacketCipher(key, salt);
      const seqs: number[] = [];
      for (let s = 100; s < 140; s++) seqs.push(s); // in order across windows
      seqs.push(101, 99, 139, 5000, 5001, 120, 5002); // behind, ahead, jump, behind again
      for (let s = 0x7ffffff8; s <= 0x7fffffff; s++) seqs.push(s);
      seqs.push(0, 1, 2, 0x7ffffffe, 3); // across the wrap, and one just before it
      seqs.forEach((seq, i) => {
        const len = [1316, 1456, 1, 17, 188, 0, 1000][i % 7];
        const a = payload(len, i);
        const b = a.slice();
        fast.encrypt(seq, a);
        ref.encrypt(seq, b);
        assert.deepEqual(a, b, `seq ${seq} len ${len}`);
      });
    });
  }

  it("applyAt() equals encrypt() on the subarray, at aligned and unaligned starts", () => {
    const key = new Uint8Array(32).fill(6);
    const salt = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i);
    const fast = createBatchedCtrCipher(key, salt, 4)!;
    const ref = createNoblePacketCipher(key, salt);
    for (const [seq, start, len] of [[7, 16, 1316], [8, 16, 1456], [9, 3, 1000], [3, 16, 100]]) {
      const packet = payload(start + len, seq);
      const expected = packet.slice();
      fast.applyAt(seq, packet, start);
      ref.encrypt(seq, expected.subarray(start));
      assert.deepEqual(packet, expected, `seq ${seq} start ${start}`);
    }
    const header = payload(16, 1);
    fast.applyAt(10, header, 16); // no payload: nothing changes
    assert.deepEqual(header, payload(16, 1));
  });

  it("works on unaligned views and refuses payloads beyond 1456 bytes", () => {
    const key = new Uint8Array(16).fill(9);
    const salt = new Uint8Array(16).fill(4);
    const fast = createBatchedCtrCipher(key, salt)!;
    const ref = createNoblePacketCipher(key, salt);
    const buf = payload(1400, 1);
    const a = buf.slice().subarray(3, 1303);
    const b = a.slice();
    fast.decrypt(77, a);
    ref.decrypt(77, b);
    assert.deepEqual(a, b);
    assert.throws(() => fast.encrypt(1, new Uint8Array(1457)), RangeError);
  });
});
