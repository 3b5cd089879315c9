// The frame assembler's allocation-free paths against the public, descriptive functions
// they stand in for: access-unit scans against inspectH264/H265AccessUnit() on every
// fixture access unit, inline ADTS splitting against splitAdtsFrames() on awkward payloads.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { scanH264AccessUnit, scanH265AccessUnit } from "./_au_scan.ts";
import { splitAdtsFrames } from "./adts.ts";
import type { Pmt } from "./psi.ts";
import { type Frame, FrameAssembler } from "./frame_assembler.ts";
import { inspectH264AccessUnit } from "./h264.ts";
import { inspectH265AccessUnit } from "./h265.ts";
import type { PesPacket } from "./pes.ts";
import { fixture, run } from "./_test_util.ts";

function spanOf(au: Uint8Array, view: Uint8Array | undefined): [number, number] {
  if (!view) return [-1, -1];
  const start = view.byteOffset - au.byteOffset;
  return [start, start + view.length];
}

describe("access-unit scans", () => {
  for (const name of ["av_h264_aac_3s.ts", "h264_latm_2s.ts", "hevc_ac3_2s.ts"]) {
    it(`agree with inspect*AccessUnit() on every access unit of ${name}`, () => {
      const { frames } = run(fixture(name));
      const spans = new Int32Array(4);
      let checked = 0;
      for (const f of frames) {
        if (f.codec === "h264") {
          const info = inspectH264AccessUnit(f.data);
          assert.equal(scanH264AccessUnit(f.data, spans), info.keyframe);
          assert.deepEqual([spans[0], spans[1]], spanOf(f.data, info.sps));
          assert.deepEqual([spans[2], spans[3]], [-1, -1]);
          checked++;
        } else if (f.codec === "h265") {
          const info = inspectH265AccessUnit(f.data);
          assert.equal(scanH265AccessUnit(f.data, spans), info.keyframe);
          assert.deepEqual([spans[0], spans[1]], spanOf(f.data, info.sps));
          assert.deepEqual([spans[2], spans[3]], spanOf(f.data, info.vps));
          checked++;
        }
      }
      assert.ok(checked > 10);
    });
  }
});

function adts(length: number, crc = false, sfi = 3, blocks = 1): number[] {
  const h = crc ? 9 : 7;
  const out = new Array<number>(length).fill(0x11);
  out[0] = 0xff;
  out[1] = crc ? 0xf0 : 0xf1;
  out[2] = (1 << 6) | (sfi << 2); // AAC-LC
  out[3] = (2 << 6) | ((length >> 11) & 3); // 2 channels
  out[4] = (length >> 3) & 0xff;
  out[5] = ((length & 7) << 5) | 0x1f;
  out[6] = 0xfc | (blocks - 1);
  return out.slice(0, Math.max(h, length));
}

function framesOf(payload: Uint8Array, pts: number): Frame[] {
  const frames: Frame[] = [];
  const fa = new FrameAssembler({ onFrame: (f) => frames.push(f) });
  fa.handle({
    type: "pmt",
    time: 0,
    pid: 0x1000,
    pmt: { programNumber: 1, pcrPid: 0x101, version: 0 } as Pmt,
    streams: [{
      pid: 0x101,
      programNumber: 1,
      streamType: 0x0f,
      codec: "aac",
      kind: "audio",
      descriptors: [],
    }],
  });
  const pes: PesPacket = {
    streamId: 0xc0,
    packetLength: 0,
    pts,
    dts: pts,
    dataAlignment: true,
    scrambling: 0,
    payloadOffset: 14,
    pid: 0x101,
    payload,
    randomAccess: false,
    damaged: false,
    receivedAt: 7,
  };
  fa.handle({ type: "pes", time: 7, pes });
  return frames;
}

describe("FrameAssembler ADTS splitting", () => {
  const cases: Array<[string, number[]]> = [
    ["three frames", [...adts(20), ...adts(30), ...adts(25)]],
    ["garbage before, between and a truncated frame after", [
      1,
      2,
      3,
      ...adts(20),
      0xff,
      0x00,
      ...adts(12, true),
      ...adts(40).slice(0, 30),
    ]],
    ["a header whose length is shorter than itself", [...adts(5), ...adts(16)]],
    ["a reserved sampling frequency index", [...adts(20, false, 13), ...adts(18, false, 4, 2)]],
    ["no whole frame", [...adts(40).slice(0, 20)]],
    ["empty", []],
  ];
  for (const [name, bytes] of cases) {
    it(`matches splitAdtsFrames(): ${name}`, () => {
      const payload = new Uint8Array(bytes);
      const frames = framesOf(payload, 8589934592 - 1000);
      const want = splitAdtsFrames(payload);
      if (want.length === 0) {
        assert.equal(frames.length, 1);
        assert.equal(frames[0].data, payload);
        return;
      }
      assert.equal(frames.length, want.length);
      let pts = 8589934592 - 1000;
      want.forEach((w, i) => {
        const f = frames[i];
        assert.equal(f.data.byteOffset - payload.byteOffset, w.offset);
        assert.equal(f.data.length, w.length);
        assert.equal(f.pts, pts % 8589934592);
        assert.equal(f.dts, f.pts);
        assert.equal(f.keyframe, true);
        assert.equal(f.receivedAt, 7);
        assert.equal(f.damaged, undefined);
        pts += Math.round((w.samples * 90000) / w.sampleRate);
      });
    });
  }
});
