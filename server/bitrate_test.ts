import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BitrateMeter, JitterEstimator } from "./bitrate.ts";

describe("BitrateMeter", () => {
  it("averages irregular samples over a sliding window of buckets", () => {
    // 5 buckets of 100 ms = a 500 ms window.
    const m = new BitrateMeter({ windowUs: 500_000, bucketUs: 100_000 });
    assert.equal(m.bitsPerSecond(0), 0);
    assert.equal(m.packetsPerSecond(0), 0);
    assert.equal(m.bytesInWindow(0), 0);
    m.add(0, 100);
    m.add(50_000, 200);
    // Warm-up: only one bucket (0.1 s) has elapsed.
    assert.equal(m.bitsPerSecond(50_000), (300 * 8) / 0.1);
    assert.equal(m.packetsPerSecond(50_000), 20);
    m.add(130_000, 300);
    m.add(480_000, 400);
    assert.equal(m.bytesInWindow(480_000), 1000);
    assert.equal(m.bitsPerSecond(480_000), (1000 * 8) / 0.5);
    m.add(510_000, 500); // bucket 5: bucket 0 (100 + 200) leaves the window
    assert.equal(m.bytesInWindow(510_000), 1200);
    assert.equal(m.bitsPerSecond(510_000), (1200 * 8) / 0.5);
    assert.equal(m.packetsPerSecond(510_000), 3 / 0.5);
    m.add(990_000, 600); // window is buckets 5..9
    assert.equal(m.bytesInWindow(990_000), 1100);
    m.add(1_200_000, 700); // window is buckets 8..12
    assert.equal(m.bitsPerSecond(1_200_000), (1300 * 8) / 0.5);
    assert.equal(m.bitsPerSecond(1_750_000), 0);
    assert.equal(m.totalBytes, 2800);
    assert.equal(m.totalPackets, 7);
  });

  it("counts multi-packet samples and keeps working after a gap longer than the ring", () => {
    const m = new BitrateMeter({ windowUs: 300_000, bucketUs: 100_000 });
    m.add(0, 1000, 4);
    m.add(10_000_000, 50, 2); // 100 buckets later: the ring wrapped many times
    assert.equal(m.bytesInWindow(10_000_000), 50);
    assert.equal(m.packetsPerSecond(10_000_000), 2 / 0.3);
    // A gap just shorter than the window keeps the older bucket.
    m.add(10_250_000, 10);
    assert.equal(m.bytesInWindow(10_250_000), 60);
    m.add(10_300_000, 1); // bucket 103: bucket 100 leaves
    assert.equal(m.bytesInWindow(10_300_000), 11);
  });

  it("treats a time going backwards as the latest time seen", () => {
    const m = new BitrateMeter({ windowUs: 200_000, bucketUs: 100_000 });
    m.add(1_000_000, 10);
    m.add(500_000, 20);
    assert.equal(m.bytesInWindow(400_000), 30);
    assert.equal(m.bytesInWindow(1_100_000), 30);
    assert.equal(m.bytesInWindow(1_200_000), 0);
  });

  it("gives the same answer as a direct sum for a pseudo-random trace", () => {
    const m = new BitrateMeter({ windowUs: 1_000_000, bucketUs: 50_000 });
    const trace: Array<[number, number]> = [];
    let t = 0;
    let x = 12345;
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      t += x % 3000; // irregular gaps up to 3 ms, sometimes 0
      const bytes = 188 * (1 + (x % 7));
      m.add(t, bytes);
      trace.push([t, bytes]);
      if (i % 97 === 0) {
        const idx = Math.floor(t / 50_000);
        const lo = (idx - 19) * 50_000;
        const want = trace.filter(([ts]) => ts >= lo).reduce((s, [, b]) => s + b, 0);
        assert.equal(m.bytesInWindow(t), want);
      }
    }
    assert.equal(m.totalBytes, trace.reduce((s, [, b]) => s + b, 0));
  });

  it("reset() forgets everything", () => {
    const m = new BitrateMeter();
    m.add(0, 1000);
    m.reset();
    assert.equal(m.totalBytes, 0);
    assert.equal(m.bitsPerSecond(0), 0);
    m.add(5_000_000, 125);
    assert.equal(m.bitsPerSecond(5_000_000), 1000 / 0.1);
  });

  it("rejects bad window and bucket lengths", () => {
    assert.throws(() => new BitrateMeter({ bucketUs: 0 }), RangeError);
    assert.throws(() => new BitrateMeter({ bucketUs: 1.5 }), RangeError);
    assert.throws(() => new BitrateMeter({ windowUs: 150_000, bucketUs: 100_000 }), RangeError);
    assert.throws(() => new BitrateMeter({ windowUs: 50_000, bucketUs: 100_000 }), RangeError);
  });
});

describe("JitterEstimator", () => {
  it("follows RFC 3550 for irregular arrivals", () => {
    const j = new JitterEstimator();
    assert.equal(j.update(0, 100), 0);
    assert.equal(j.update(20, 125), 0.3125);
    assert.equal(j.update(40, 140), 0.60546875);
    assert.equal(j.update(60, 170), 1.192626953125);
    assert.equal(j.jitter, 1.192626953125);
  });

  it("is zero for a constant delay, whatever the delay", () => {
    const j = new JitterEstimator();
    for (let i = 0; i < 100; i++) j.update(i * 1000, i * 1000 + 55_555);
    assert.equal(j.jitter, 0);
  });

  it("handles wrapping send timestamps when told the modulus", () => {
    const wrap = 2 ** 32;
    const j = new JitterEstimator({ sendWrap: wrap });
    j.update(wrap - 10_000, 5_000_000);
    assert.equal(j.update(10_000, 5_020_000), 0);
    assert.equal(j.update(30_000, 5_040_160), 10);
    const naive = new JitterEstimator();
    naive.update(wrap - 10_000, 5_000_000);
    assert.ok(naive.update(10_000, 5_020_000) > 1e8);
  });

  it("reset() forgets the previous packet", () => {
    const j = new JitterEstimator();
    j.update(0, 0);
    j.update(10, 1000);
    j.reset();
    assert.equal(j.jitter, 0);
    assert.equal(j.update(0, 999_999), 0);
  });
});
