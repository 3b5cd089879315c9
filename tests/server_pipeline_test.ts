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
import { StreamServer } from "../server/stream_server.ts";
import { LogRecorder, sendPaced } from "../server/_test_util.ts";
import { startLossyRelay } from "../net/lossy_relay.ts";
import { connect } from "../mod.ts";

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

test("through a lossy link with a latency too short to repair, CC errors are blamed on SRT drops", {
  timeout: 60_000,
}, async () => {
  const log = new LogRecorder();
  const server = await StreamServer.start({
    port: 0,
    hostname: "127.0.0.1",
    log: log.log,
    srt: { latency: 20 },
  });
  const relay = await startLossyRelay({
    listen: { hostname: "127.0.0.1" },
    target: { hostname: "127.0.0.1", port: server.address.port },
    seed: 7,
    forward: { loss: 0.03, delayMs: 40 },
    backward: { delayMs: 40 },
  });
  try {
    const pub = await connect(
      `srt://127.0.0.1:${relay.address.port}?streamid=#!::r=live/lossy,m=publish&latency=20`,
    );
    await sendPaced(chunks, 1000, (c) => pub.send(c));
    await pub.close();
    await log.waitFor((e) => e.kind === "unpublish", 1, 20_000);
    const end = log.entries.find((e) => e.kind === "unpublish");
    assert.ok(end && end.kind === "unpublish" && end.media, JSON.stringify(end));
    const m = end.media;
    assert.ok(relay.forward.dropped > 0 || m.continuityErrors > 0, JSON.stringify(relay.forward));
    assert.ok(m.continuityErrors > 0, `no CC errors: ${JSON.stringify(m)}`);
    assert.equal(m.continuityErrorsFromSrtDrops, m.continuityErrors, JSON.stringify(m));
    assert.ok(end.receivedPayloads! < chunks.length);
  } finally {
    await relay.close();
    await server.close();
  }
});
