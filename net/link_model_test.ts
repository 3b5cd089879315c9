import { test } from "node:test";
import assert from "node:assert/strict";
import { LinkModel, type LinkProfile, validateProfile } from "./link_model.ts";
import { createPrng } from "./prng.ts";

/** Indices of the datagrams `profile` drops among `n` arriving 1 ms apart. */
function dropped(profile: LinkProfile, seed: number, n: number): number[] {
  const model = new LinkModel(profile, createPrng(seed));
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (model.admit(1316, i).copies === 0) out.push(i);
  return out;
}

test("without impairments every datagram leaves at once, exactly once", () => {
  const model = new LinkModel({}, createPrng(1));
  for (let i = 0; i < 1000; i++) {
    const d = model.admit(1316, i * 0.5);
    assert.equal(d.copies, 1);
    assert.deepEqual(d.releaseAt, [i * 0.5]);
  }
  assert.deepEqual(model.counters, {
    received: 1000,
    forwarded: 1000,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
  });
});

test("10 % loss drops close to 10 %, and the same seed drops the same datagrams", () => {
  const n = 20_000;
  const first = dropped({ loss: 0.1 }, 42, n);
  // Binomial sd is about 0.2 % here; 1 % is five sd.
  assert.ok(Math.abs(first.length / n - 0.1) < 0.01, `loss ${first.length / n}`);
  assert.deepEqual(dropped({ loss: 0.1 }, 42, n), first);
  assert.notDeepEqual(dropped({ loss: 0.1 }, 43, n), first);
});

test("loss decisions do not depend on the other impairments", () => {
  // Every datagram consumes the same draws, so adding delay, jitter or
  // duplication must not change which datagrams are lost.
  const plain = dropped({ loss: 0.2 }, 9, 5000);
  const busy = dropped(
    { loss: 0.2, delayMs: 30, jitterMs: 4, duplicate: 0.1, reorder: 0.05 },
    9,
    5000,
  );
  assert.deepEqual(busy, plain);
});

test("Gilbert-Elliott loss has the stationary rate and comes in bursts", () => {
  const burst = { pGoodToBad: 0.01, pBadToGood: 0.2, lossInBad: 0.8 };
  const n = 200_000;
  const lost = dropped({ burst }, 5, n);
  // Stationary P(bad) = 0.01 / 0.21; expected loss = P(bad) * 0.8 = 3.8 %.
  const expected = (0.01 / 0.21) * 0.8;
  assert.ok(Math.abs(lost.length / n - expected) < 0.005, `loss ${lost.length / n}`);
  // Mean run of consecutive losses: 1 / (1 - 0.038) = 1.04 if independent;
  // in the bad state it is about 1 / (1 - 0.8 * 0.8) = 2.8.
  let runs = 0;
  for (let i = 0; i < lost.length; i++) if (i === 0 || lost[i] !== lost[i - 1] + 1) runs++;
  const meanRun = lost.length / runs;
  assert.ok(meanRun > 2, `mean loss run ${meanRun}`);
  const independent = dropped({ loss: expected }, 5, n);
  let independentRuns = 0;
  for (let i = 0; i < independent.length; i++) {
    if (i === 0 || independent[i] !== independent[i - 1] + 1) independentRuns++;
  }
  assert.ok(independent.length / independentRuns < 1.2);
});

test("duplication forwards a second copy at the same time", () => {
  const model = new LinkModel({ duplicate: 0.25, delayMs: 5 }, createPrng(3));
  let doubles = 0;
  for (let i = 0; i < 10_000; i++) {
    const d = model.admit(100, i);
    if (d.copies === 2) {
      doubles++;
      assert.deepEqual(d.releaseAt, [i + 5, i + 5]);
    } else {
      assert.equal(d.copies, 1);
    }
  }
  assert.ok(Math.abs(doubles / 10_000 - 0.25) < 0.02, `duplicated ${doubles}`);
  assert.equal(model.counters.duplicated, doubles);
  assert.equal(model.counters.forwarded, 10_000 + doubles);
});

test("delay is added, jitter spreads it without reordering or going negative", () => {
  const model = new LinkModel({ delayMs: 50, jitterMs: 5 }, createPrng(11));
  const delays: number[] = [];
  let last = -Infinity;
  for (let i = 0; i < 20_000; i++) {
    const now = i * 100; // far apart, so the FIFO clamp never applies
    const at = model.admit(1316, now).releaseAt[0];
    assert.ok(at >= last, "jitter reordered datagrams");
    assert.ok(at >= now);
    last = at;
    delays.push(at - now);
  }
  const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
  const sd = Math.sqrt(delays.reduce((a, b) => a + (b - mean) ** 2, 0) / delays.length);
  assert.ok(Math.abs(mean - 50) < 0.2, `mean delay ${mean}`);
  assert.ok(Math.abs(sd - 5) < 0.2, `delay sd ${sd}`);

  const tight = new LinkModel({ jitterMs: 20 }, createPrng(2));
  for (let i = 0; i < 1000; i++) assert.ok(tight.admit(10, i).releaseAt[0] >= i);
});

test("reordered datagrams are overtaken by the ones after them", () => {
  const model = new LinkModel({ reorder: 0.1, reorderDelayMs: 10 }, createPrng(4));
  const release: number[] = [];
  for (let i = 0; i < 5000; i++) release.push(model.admit(1316, i * 0.1).releaseAt[0]);
  const held = model.counters.reordered;
  assert.ok(Math.abs(held / 5000 - 0.1) < 0.015, `reordered ${held}`);
  // Departure order differs from arrival order exactly where datagrams were held.
  let overtaken = 0;
  for (let i = 0; i + 1 < release.length; i++) if (release[i] > release[i + 1]) overtaken++;
  assert.ok(overtaken > 0 && overtaken <= held);
});

test("a rate limit serialises datagrams and tail-drops past the queue limit", () => {
  // 1250 bytes at 1 Mbit/s take 10 ms each.
  const model = new LinkModel({ rateBps: 1_000_000, queueMs: 35 }, createPrng(1));
  const times = [];
  for (let i = 0; i < 6; i++) {
    const d = model.admit(1250, 0);
    times.push(d.copies === 0 ? "drop" : d.releaseAt[0]);
  }
  // The 5th would wait 40 ms > 35 ms: dropped; so is the 6th.
  assert.deepEqual(times, [10, 20, 30, 40, "drop", "drop"]);
  assert.equal(model.counters.dropped, 2);
  // Once the queue has drained the link is idle again.
  assert.deepEqual(model.admit(1250, 100).releaseAt, [110]);
});

test("invalid profiles are rejected with RangeError", () => {
  assert.throws(() => validateProfile({ loss: 1.5 }), RangeError);
  assert.throws(() => validateProfile({ loss: -0.1 }), RangeError);
  assert.throws(() => validateProfile({ duplicate: Number.NaN }), RangeError);
  assert.throws(() => validateProfile({ delayMs: -1 }), RangeError);
  assert.throws(() => validateProfile({ rateBps: 0 }), RangeError);
  assert.throws(
    () => validateProfile({ burst: { pGoodToBad: 2, pBadToGood: 0.1, lossInBad: 1 } }),
    RangeError,
  );
  assert.throws(() => new LinkModel({ jitterMs: Infinity }, createPrng(1)), RangeError);
  validateProfile({ loss: 0, duplicate: 1, delayMs: 0, rateBps: 1e9 });
});
