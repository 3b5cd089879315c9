import { test } from "node:test";
import assert from "node:assert/strict";
import { rechunk } from "./file_io.ts";
import { ChunkQueue } from "./_chunk_queue.ts";

async function collect(it: AsyncIterable<Uint8Array>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const c of it) out.push([...c]);
  return out;
}

test("rechunk() regroups pieces into fixed-size chunks, the last one shorter", async () => {
  async function* pieces() {
    yield new Uint8Array([1, 2]);
    yield new Uint8Array([3, 4, 5, 6, 7]);
    yield new Uint8Array([]);
    yield new Uint8Array([8]);
  }
  assert.deepEqual(await collect(rechunk(pieces(), 3)), [[1, 2, 3], [4, 5, 6], [7, 8]]);
});

test("ChunkQueue delivers in order, drops the oldest when full, and ends", async () => {
  const q = new ChunkQueue(2);
  q.push(new Uint8Array([1]));
  q.push(new Uint8Array([2]));
  q.push(new Uint8Array([3]));
  assert.equal(q.dropped, 1);
  const got = collect(q);
  await Promise.resolve();
  q.push(new Uint8Array([4]));
  q.end();
  q.push(new Uint8Array([5]));
  assert.deepEqual(await got, [[2], [3], [4]]);
});
