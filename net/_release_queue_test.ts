import { test } from "node:test";
import assert from "node:assert/strict";
import { ReleaseQueue } from "./_release_queue.ts";
import { createPrng } from "./prng.ts";

test("release queue pops by time, FIFO among equal times, under interleaved use", () => {
  const rng = createPrng(21);
  const queue = new ReleaseQueue<number>();
  const reference: Array<{ at: number; id: number }> = [];
  let id = 0;
  const popped: number[] = [];
  const expected: number[] = [];
  for (let round = 0; round < 2000; round++) {
    if (reference.length === 0 || rng.next() < 0.6) {
      // Few distinct times, so that ties are common.
      const at = rng.nextInt(20);
      queue.push(at, id);
      reference.push({ at, id });
      id++;
    } else {
      reference.sort((a, b) => a.at - b.at || a.id - b.id);
      expected.push(reference.shift()!.id);
      popped.push(queue.pop());
    }
    assert.equal(queue.size, reference.length);
    const min = reference.reduce((m, r) => Math.min(m, r.at), Infinity);
    assert.equal(queue.nextAt, min);
  }
  assert.deepEqual(popped, expected);
  queue.clear();
  assert.equal(queue.size, 0);
  assert.equal(queue.nextAt, Infinity);
});
