import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { PcrClock, type TimedChunk } from "./pcr_clock.ts";

const PID = 0x100;

/** A 188-byte packet on PID, with a PCR (in 27 MHz ticks) when given. */
function packet(pcr?: number): Uint8Array {
  const p = new Uint8Array(188).fill(0xff);
  p[0] = 0x47;
  p[1] = PID >> 8;
  p[2] = PID & 0xff;
  if (pcr === undefined) {
    p[3] = 0x10;
    return p;
  }
  p[3] = 0x30;
  p[4] = 7;
  p[5] = 0x10;
  const base = Math.floor(pcr / 300);
  const ext = pcr % 300;
  p[6] = Math.floor(base / 2 ** 25) & 0xff;
  p[7] = Math.floor(base / 2 ** 17) & 0xff;
  p[8] = Math.floor(base / 2 ** 9) & 0xff;
  p[9] = Math.floor(base / 2) & 0xff;
  p[10] = ((base & 1) << 7) | 0x7e | (ext >> 8);
  p[11] = ext & 0xff;
  return p;
}

const MS = 27_000;

function join(...ps: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(ps.length * 188);
  ps.forEach((p, i) => out.set(p, i * 188));
  return out;
}

test("PcrClock interpolates chunk times between PCRs by byte position", () => {
  const clock = new PcrClock();
  const out: TimedChunk[] = [];
  // PCR every 4 packets, 10 ms apart; chunks of 2 packets.
  for (let i = 0; i < 4; i++) {
    out.push(...clock.feed(join(packet(1_000 * MS + i * 10 * MS), packet())));
    out.push(...clock.feed(join(packet(), packet())));
  }
  out.push(...clock.flush());
  assert.equal(clock.pcrPid, PID);
  assert.deepEqual(out.map((c) => c.at), [0, 5, 10, 15, 20, 25, 30, 35]);
});

test("PcrClock holds chunks until the next PCR and bridges discontinuities", () => {
  const clock = new PcrClock();
  assert.equal(clock.feed(join(packet(0), packet())).length, 1);
  assert.equal(clock.feed(join(packet(), packet())).length, 0, "held until the next PCR");
  assert.deepEqual(clock.feed(join(packet(20 * MS), packet())).map((c) => c.at), [10, 20]);
  // The file starts again: the PCR jumps back; the clock goes on at the last rate.
  assert.deepEqual(clock.feed(join(packet(0), packet())).map((c) => c.at), [30]);
  assert.equal(clock.discontinuities, 1);
  assert.deepEqual(clock.feed(join(packet(20 * MS), packet())).map((c) => c.at), [50]);
});

test("PcrClock handles the 33-bit PCR wrap", () => {
  const clock = new PcrClock();
  const wrap = 2 ** 33 * 300;
  clock.feed(packet(wrap - 5 * MS));
  assert.deepEqual(clock.feed(packet(5 * MS)).map((c) => c.at), [10]);
  assert.equal(clock.discontinuities, 0);
});

test("PcrClock times the 3 s fixture over about 3 s", () => {
  const data = new Uint8Array(
    readFileSync(new URL("../tests/fixtures/av_h264_aac_3s.ts", import.meta.url)),
  );
  const clock = new PcrClock();
  const out: TimedChunk[] = [];
  for (let off = 0; off < data.length; off += 1316) {
    out.push(...clock.feed(data.subarray(off, off + 1316)));
  }
  out.push(...clock.flush());
  assert.equal(out.length, Math.ceil(data.length / 1316));
  for (let i = 1; i < out.length; i++) assert.ok(out[i].at >= out[i - 1].at, `order at ${i}`);
  const last = out[out.length - 1].at;
  assert.ok(last > 2800 && last < 3200, `last chunk at ${last} ms`);
});
