/**
 * Shared pieces of the tests that stream the MPEG-TS fixture through tsrt and real peers:
 * the fixture in 1316-byte chunks, real-time pacing, byte-exact comparison, collection.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { SrtSocket } from "../mod.ts";

/** Path of the 3 s H.264 + AAC fixture. */
export const FIXTURE_PATH: string =
  new URL("./fixtures/av_h264_aac_3s.ts", import.meta.url).pathname;
/** The fixture's bytes. */
export const fixture: Uint8Array = new Uint8Array(readFileSync(FIXTURE_PATH));
/** The fixture's duration in milliseconds (its real bitrate spreads it over this). */
export const FIXTURE_MS = 3000;
/** SRT live payload size: 7 TS packets. */
export const CHUNK = 1316;
/** The fixture cut into live payloads. */
export const chunks: readonly Uint8Array[] = Array.from(
  { length: Math.ceil(fixture.length / CHUNK) },
  (_, i) => fixture.subarray(i * CHUNK, Math.min((i + 1) * CHUNK, fixture.length)),
);

/**
 * Sends `list` (by default the fixture's chunks) spread evenly over `totalMs` (the fixture's
 * real duration), in bursts of whatever is due every ~5 ms: timers are too coarse for one
 * wake-up per packet, and a burst of more than ~90 datagrams would overflow the default
 * 208 KiB socket receive buffer.
 */
export async function paced(
  send: (chunk: Uint8Array) => void | Promise<void>,
  totalMs: number = FIXTURE_MS,
  list: readonly Uint8Array[] = chunks,
): Promise<void> {
  const start = performance.now();
  let i = 0;
  while (i < list.length) {
    const elapsed = performance.now() - start;
    const due = Math.min(list.length, Math.ceil((elapsed / totalMs) * list.length));
    for (; i < due; i++) await send(list[i]);
    if (i < list.length) await new Promise((r) => setTimeout(r, 5));
  }
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Fails with the length or the first differing offset when the bytes differ. */
export function assertSameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} bytes, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) assert.fail(`${what}: first difference at byte ${i}`);
  }
}

/** Reads a socket until it ends, concatenated. */
export async function readAll(socket: SrtSocket): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of socket.readable) parts.push(p.slice());
  return concat(parts);
}

/**
 * Collects what a socket delivers; `done` resolves once `bytes` have arrived or the socket
 * ended, whichever comes first. `parts` holds the payloads as delivered, one per packet, so
 * far (also when the caller stops waiting before `done`).
 */
export function collect(
  socket: SrtSocket,
  bytes: number,
): { done: Promise<Uint8Array>; parts: readonly Uint8Array[] } {
  const parts: Uint8Array[] = [];
  let total = 0;
  const done = new Promise<Uint8Array>((resolve, reject) => {
    (async () => {
      for await (const p of socket.readable) {
        parts.push(p.slice());
        total += p.length;
        if (total >= bytes) break;
      }
      resolve(concat(parts));
    })().catch(reject);
  });
  return { done, parts };
}
