// Mutated input must never make the demuxer or the frame assembler throw.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixture, rng, run } from "./_test_util.ts";

describe("mutation fuzzing", () => {
  const sources = ["hevc_ac3_2s.ts", "two_programs_cbr_2s.ts", "h264_latm_2s.ts", "h264_opus_2s.ts"]
    .map((n) => fixture(n).subarray(0, 188 * 300));

  it("random byte flips, header-targeted flips, cuts and splices never throw", () => {
    const rand = rng(12345);
    let rounds = 0;
    for (const src of sources) {
      for (let round = 0; round < 12; round++) {
        const data = src.slice();
        const mode = round % 4;
        const n = 1 + Math.floor(rand() * 60);
        for (let k = 0; k < n; k++) {
          const pkt = Math.floor(rand() * (data.length / 188));
          // mode 0: anywhere; 1: headers and adaptation fields; 2: PES/section headers
          const within = mode === 0
            ? Math.floor(rand() * 188)
            : mode === 1
            ? Math.floor(rand() * 12)
            : 4 + Math.floor(rand() * 24);
          data[pkt * 188 + within] = Math.floor(rand() * 256);
        }
        let input: Uint8Array = data;
        if (mode === 3) {
          // drop a random span and duplicate another one
          const a = Math.floor(rand() * data.length), b = Math.floor(rand() * data.length);
          const lo = Math.min(a, b), hi = Math.max(a, b);
          const out = new Uint8Array(data.length - (hi - lo) + Math.min(hi - lo, 4000));
          out.set(data.subarray(0, lo));
          out.set(data.subarray(lo, lo + Math.min(hi - lo, 4000)), lo);
          out.set(data.subarray(hi), lo + Math.min(hi - lo, 4000));
          input = out;
        }
        const r = run(input, () => 1 + Math.floor(rand() * 3000));
        assert.ok(r.demux.counters.packets >= 0);
        rounds++;
      }
    }
    assert.equal(rounds, 48);
  });

  it("random noise and all-0x47 input never throw", () => {
    const rand = rng(99);
    const noise = new Uint8Array(50000);
    for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rand() * 256);
    run(noise, 1316);
    const syncs = new Uint8Array(188 * 20).fill(0x47);
    const r = run(syncs, 100);
    assert.ok(r.demux.counters.packets > 0);
  });
});
