import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TsDemuxer } from "../mpegts/demuxer.ts";
import { seamlessLoop } from "./_seamless_loop.ts";

const fixture = new Uint8Array(
  readFileSync(new URL("../tests/fixtures/av_h264_aac_3s.ts", import.meta.url)),
);

test("seamlessLoop() keeps one copy as it is", () => {
  assert.deepEqual(seamlessLoop(fixture, 1), fixture);
});

test("seamlessLoop() joins copies without continuity errors and with PCR moving forward", () => {
  const looped = seamlessLoop(fixture, 3);
  assert.equal(looped.length, fixture.length * 3);
  const demux = new TsDemuxer();
  const pcrs: number[] = [];
  demux.on((ev) => {
    if (ev.type === "pcr") pcrs.push(ev.pcr);
  });
  for (let off = 0; off < looped.length; off += 1316) {
    demux.push(looped.subarray(off, off + 1316), off);
  }
  assert.equal(demux.counters.continuityErrors, 0);
  assert.ok(pcrs.length > 200, `${pcrs.length} PCRs`);
  for (let i = 1; i < pcrs.length; i++) {
    const step = pcrs[i] - pcrs[i - 1];
    // 27 MHz units: forward, and never more than 100 ms between PCRs (TR 101 290 2.3b).
    assert.ok(step > 0 && step <= 0.1 * 27e6, `PCR step ${step} at ${i}`);
  }
  // Plain concatenation, for contrast, breaks both.
  const plain = new Uint8Array(fixture.length * 2);
  plain.set(fixture);
  plain.set(fixture, fixture.length);
  const d2 = new TsDemuxer();
  for (let off = 0; off < plain.length; off += 1316) d2.push(plain.subarray(off, off + 1316), off);
  assert.ok(d2.counters.continuityErrors > 0);
});
