/**
 * Units of the stream server: the per-stream TS pipeline (frames, TR 101 290, continuity
 * errors attributed to SRT drops) and the bounded player queue (a slow player loses its oldest
 * payloads, counted, without holding anyone up).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { StreamPipeline } from "../server/stream_pipeline.ts";
import { PlayerQueue } from "../server/player_queue.ts";

const fixture = new Uint8Array(
  readFileSync(new URL("./fixtures/av_h264_aac_3s.ts", import.meta.url).pathname),
);
const chunks: Uint8Array[] = [];
for (let o = 0; o < fixture.length; o += 1316) chunks.push(fixture.subarray(o, o + 1316));

test("pipeline: a clean stream gives frames, H.264 parameters and no errors", () => {
  const frames: string[] = [];
  const p = new StreamPipeline({ onFrame: (f) => frames.push(f.kind) });
  chunks.forEach((c, i) => p.push(c, i));
  const s = p.snapshot();
  assert.ok(s.frames > 50, `${s.frames} frames`);
  assert.equal(frames.length, s.frames);
  assert.ok(s.videoKeyframes >= 1);
  assert.equal(s.continuityErrors, 0);
  assert.equal(s.tr101290.Continuity_count_error, 0);
  assert.ok(s.streams.some((x) => x.params.codec === "h264" && x.params.width! > 0));
  p.close();
});

test("pipeline: continuity errors are attributed to SRT drops when the drop count moved", () => {
  let drops = 0;
  const p = new StreamPipeline({ dropCounter: () => drops, dropWindowMs: 50 });
  let t = 0;
  for (let i = 0; i < chunks.length; i++) {
    t += 5;
    if (i === 100) {
      drops += 1; // the publisher's SRT dropped this payload
      continue;
    }
    if (i === 300) {
      t += 1000; // long after the drop, a gap SRT knows nothing about (source damage)
      continue;
    }
    p.push(chunks[i], t);
  }
  const s = p.snapshot();
  assert.ok(s.continuityErrors >= 2, JSON.stringify(s));
  assert.ok(s.continuityErrorsFromSrtDrops >= 1, JSON.stringify(s));
  assert.ok(s.continuityErrors > s.continuityErrorsFromSrtDrops, JSON.stringify(s));
  assert.equal(s.tr101290.Continuity_count_error, s.continuityErrors);
  p.close();
});

test("player queue: a stalled player drops its oldest payloads; a healthy one gets all", async () => {
  const sentSlow: number[] = [];
  const sentFast: number[] = [];
  let slowBuffered = 0;
  let stalled = true;
  const slow = new PlayerQueue({
    send: (p) => (sentSlow.push(p[0]), slowBuffered++),
    stats: () => ({ pktSndBuf: stalled ? slowBuffered : 0 }),
  }, { maxQueued: 10, maxInFlight: 5, retryMs: 1 });
  const fast = new PlayerQueue({
    send: (p) => void sentFast.push(p[0]),
    stats: () => ({ pktSndBuf: 0 }),
  }, { maxQueued: 10, maxInFlight: 5 });
  const start = performance.now();
  for (let i = 0; i < 100; i++) {
    const p = new Uint8Array([i]);
    slow.push(p);
    fast.push(p);
  }
  assert.ok(performance.now() - start < 100, "push never waits");
  assert.equal(sentFast.length, 100);
  assert.deepEqual(sentSlow, [0, 1, 2, 3, 4]);
  assert.equal(slow.counters.queued, 10);
  assert.equal(slow.counters.dropped, 85);
  // The player's link recovers: what is queued (the newest 10) goes out, in order.
  stalled = false;
  await slow.drained();
  assert.deepEqual(sentSlow.slice(5), [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  slow.close();
  fast.close();
});

test("player queue: a failing socket closes the queue instead of throwing to the publisher", () => {
  const q = new PlayerQueue({
    send: () => {
      throw new Error("closed");
    },
    stats: () => ({ pktSndBuf: 0 }),
  });
  q.push(new Uint8Array(1));
  assert.equal(q.closed, true);
  q.push(new Uint8Array(1));
  assert.equal(q.counters.sent, 0);
});
