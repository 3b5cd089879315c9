// Compares the demuxer and frame assembler with ffprobe's recorded view of every fixture.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { byPid, fixture, probe, rng, run } from "./_test_util.ts";
import { crc32Mpeg2 } from "./crc32.ts";
import type { Frame } from "./frame_assembler.ts";

const FFPROBE_CODEC: Record<string, string> = {
  h264: "h264",
  h265: "hevc",
  aac: "aac",
  aac_latm: "aac_latm",
  mp2: "mp2",
  mp3: "mp3",
  ac3: "ac3",
  eac3: "eac3",
  opus: "opus",
};

const NAMES = [
  "av_h264_aac_3s.ts",
  "hevc_ac3_2s.ts",
  "two_programs_cbr_2s.ts",
  "h264_latm_2s.ts",
  "h264_opus_2s.ts",
  "h264_aac_m2ts_2s.m2ts",
  "audio_eac3_mp3_2s.ts",
];

function summary(frames: Frame[]): string {
  return frames.map((f) =>
    `${f.pid}:${f.pts}:${f.dts}:${f.keyframe ? 1 : 0}:${f.data.length}:${crc32Mpeg2(f.data)}`
  )
    .join(",");
}

for (const name of NAMES) {
  describe(`fixture ${name} vs ffprobe`, () => {
    const data = fixture(name);
    const pr = probe(name);
    const r = run(data, 1316);

    it("finds ffprobe's programs, PMT and PCR PIDs and service names", () => {
      const pat = r.demux.pat;
      assert.ok(pat);
      assert.deepEqual(
        pat.programs.map((p) => [p.programNumber, p.pmtPid]).sort((a, b) => a[0] - b[0]),
        pr.programs.map((p) => [p.program_id, p.pmt_pid]).sort((a, b) => a[0] - b[0]),
      );
      for (const p of pr.programs) {
        const pmt = r.demux.pmts.get(p.program_id);
        assert.ok(pmt, `PMT of program ${p.program_id}`);
        assert.equal(pmt.pcrPid, p.pcr_pid);
        assert.deepEqual(
          pmt.streams.map((s) => s.pid),
          p.streams.map((s) => parseInt(s.id, 16)),
        );
        const svc = r.demux.sdt?.services.find((s) => s.serviceId === p.program_id);
        assert.equal(svc?.name, p.tags?.service_name);
        assert.equal(svc?.provider, p.tags?.service_provider);
      }
    });

    it("detects codecs and stream parameters as ffprobe does", () => {
      for (const s of pr.streams) {
        const pid = parseInt(s.id, 16);
        const params = r.assembler.params.get(pid);
        assert.ok(params, `params for PID ${s.id}`);
        assert.equal(FFPROBE_CODEC[params.codec], s.codec_name, `codec of ${s.id}`);
        if (s.codec_type === "video") {
          assert.equal(params.width, s.width);
          assert.equal(params.height, s.height);
          assert.equal(params.profile, s.profile);
          assert.equal(params.level, s.level);
          const [n, d] = (s.r_frame_rate ?? "0/1").split("/").map(Number);
          assert.equal(params.frameRate, n / d, `frame rate of ${s.id}`);
        } else {
          assert.equal(params.sampleRate, Number(s.sample_rate));
          assert.equal(params.channels, s.channels);
        }
      }
    });

    it("gives ffprobe's frame count, PTS, DTS and keyframes per stream", () => {
      const g = byPid(r.frames);
      for (const s of pr.streams) {
        const pid = parseInt(s.id, 16);
        const want = pr.packets.filter((p) => p.stream_index === s.index);
        const got = g.get(pid) ?? [];
        assert.equal(got.length, want.length, `frame count of ${s.id}`);
        assert.equal(got[0].pts, want[0].pts, `first PTS of ${s.id}`);
        assert.equal(got.at(-1)?.pts, want.at(-1)?.pts, `last PTS of ${s.id}`);
        assert.deepEqual(got.map((f) => f.pts), want.map((p) => p.pts));
        assert.deepEqual(got.map((f) => f.dts), want.map((p) => p.dts));
        assert.deepEqual(
          got.map((f) => f.keyframe),
          want.map((p) => p.flags.startsWith("K")),
          `keyframes of ${s.id}`,
        );
      }
    });

    it("reports no errors on a clean file", () => {
      const c = r.demux.counters;
      assert.equal(c.continuityErrors + c.crcErrors + c.transportErrors + c.pesErrors, 0);
      assert.equal(c.garbageBytes, 0);
      assert.equal(r.events.filter((e) => e.type === "error").length, 0);
      assert.equal(r.frames.filter((f) => f.damaged).length, 0);
    });

    it("gives identical frames for random chunk sizes", () => {
      const reference = summary(r.frames);
      const rand = rng(name.length * 7919);
      for (const max of [1, 200, 5000]) {
        const other = run(data, () => 1 + Math.floor(rand() * max), { copyChunks: true });
        assert.equal(summary(other.frames), reference, `chunks up to ${max}`);
        assert.deepEqual(other.demux.counters.packets, r.demux.counters.packets);
      }
    });
  });
}

describe("fixture specifics", () => {
  it("M2TS packets are detected as 192 bytes, plain TS as 188", () => {
    assert.equal(run(fixture("h264_aac_m2ts_2s.m2ts")).demux.packetSize, 192);
    assert.equal(run(fixture("hevc_ac3_2s.ts")).demux.packetSize, 188);
  });

  it("the CBR fixture's null packets are counted, not demuxed", () => {
    const data = fixture("two_programs_cbr_2s.ts");
    let nulls = 0;
    for (let p = 0; p < data.length; p += 188) {
      if ((((data[p + 1] & 0x1f) << 8) | data[p + 2]) === 0x1fff) nulls++;
    }
    const r = run(data);
    assert.ok(nulls > 0);
    assert.equal(r.demux.counters.nullPackets, nulls);
    assert.equal(r.demux.pidPackets[0x1fff], nulls);
  });

  it("decodes registration and AC-3 descriptors that drive detection", () => {
    const a = run(fixture("hevc_ac3_2s.ts")).demux.streams;
    const reg = (pid: number) =>
      a.get(pid)?.descriptors.find((d) => d.decoded?.kind === "registration")?.decoded;
    assert.deepEqual(reg(0x100), { kind: "registration", formatIdentifier: "HEVC" });
    assert.deepEqual(reg(0x101), { kind: "registration", formatIdentifier: "AC-3" });
    const b = run(fixture("two_programs_cbr_2s.ts")).demux.streams.get(0x104);
    assert.equal(b?.streamType, 0x06);
    assert.ok(b?.descriptors.some((d) => d.tag === 0x6a && d.decoded?.kind === "ac3"));
    const o = run(fixture("h264_opus_2s.ts")).demux.streams.get(0x101);
    assert.equal(o?.codec, "opus");
    assert.ok(o?.descriptors.some((d) => d.decoded?.kind === "extension"));
  });
});
