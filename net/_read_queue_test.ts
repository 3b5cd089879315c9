// The bounded queue between a connection and a reader that may fall behind: what does not fit
// is dropped and counted, what fits is read in order, and room comes back as the reader reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ReadQueue } from "./_read_queue.ts";
import { SrtError } from "../srt/errors.ts";

const payload = (i: number): Uint8Array => Uint8Array.of(i & 0xff, i >>> 8);
const index = (p: Uint8Array): number => p[0] | (p[1] << 8);

test("a reader that does not read: the queue holds its limit, the rest is dropped and counted", async () => {
  const q = new ReadQueue(64);
  for (let i = 0; i < 100; i++) q.push(payload(i));
  assert.equal(q.dropped, 36);
  const reader = q.readable.getReader();
  const got: number[] = [];
  for (let i = 0; i < 64; i++) got.push(index((await reader.read()).value!));
  // The oldest are kept: a live reader that catches up resumes where it fell behind.
  assert.deepEqual(got, Array.from({ length: 64 }, (_, i) => i));
  // Room again once read.
  q.push(payload(1000));
  assert.equal(q.dropped, 36);
  assert.equal(index((await reader.read()).value!), 1000);
  q.end();
  assert.equal((await reader.read()).done, true);
});

test("after end() or a cancelled reader, pushes are ignored and not counted as drops", async () => {
  const q = new ReadQueue(4);
  q.push(payload(1));
  q.end(new SrtError("PEER_SHUTDOWN", "peer gone"));
  q.push(payload(2));
  q.end(); // idempotent
  assert.equal(q.dropped, 0);
  const reader = q.readable.getReader();
  // An error ends the stream at once, queued payloads included, as a stream error does.
  await assert.rejects(reader.read(), (e: unknown) => (e as SrtError).code === "PEER_SHUTDOWN");

  const c = new ReadQueue(4);
  await c.readable.cancel();
  for (let i = 0; i < 10; i++) c.push(payload(i));
  assert.equal(c.dropped, 0);
});
