// Hand-built negative cases: every mutation is made over an ffmpeg fixture, and the
// expected counts follow from the mutation itself.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  byPid,
  fixture,
  hasPayload,
  join,
  packets,
  pidOf,
  run,
  sectionPackets,
  withCrc,
} from "./_test_util.ts";
import type { Frame } from "./frame_assembler.ts";

const BASE = fixture("av_h264_aac_3s.ts");
const CLEAN = run(BASE);
const VIDEO = 0x100, AUDIO = 0x101, PMT = 0x1000;

function frameKey(f: Frame): string {
  return `${f.pid}:${f.pts}:${f.dts}:${f.keyframe}:${f.data.length}`;
}

/** Index of the n-th packet on `pid` matching `pred`. */
function nth(pkts: Uint8Array[], pid: number, n: number, pred = (_p: Uint8Array) => true): number {
  let seen = 0;
  for (let i = 0; i < pkts.length; i++) {
    if (pidOf(pkts[i]) === pid && pred(pkts[i]) && seen++ === n) return i;
  }
  throw new Error("not found");
}

const notStart = (p: Uint8Array) => (p[1] & 0x40) === 0 && hasPayload(p);

function pmtSection(
  version: number,
  streams: Array<[type: number, pid: number, es?: number[]]>,
): Uint8Array {
  const body: number[] = [0x00, 0x01, 0xc1 | (version << 1), 0, 0, 0xe0 | 0x01, 0x00, 0xf0, 0x00];
  for (const [type, pid, es = []] of streams) {
    body.push(type, 0xe0 | (pid >> 8), pid & 0xff, 0xf0, es.length, ...es);
  }
  const len = body.length + 4;
  return withCrc([0x02, 0xb0 | (len >> 8), len & 0xff, ...body]);
}

/** Replaces the payload of every PMT packet from index `from` on with `section`. */
function replacePmt(pkts: Uint8Array[], from: number, section: Uint8Array): Uint8Array[] {
  return pkts.map((p, i) => {
    if (i < from || pidOf(p) !== PMT) return p;
    const q = sectionPackets(PMT, section, p[3] & 15)[0];
    return q;
  });
}

describe("continuity", () => {
  it("a lost packet gives one CC error and one damaged frame on that PID only", () => {
    const pkts = packets(BASE);
    const i = nth(pkts, VIDEO, 40, notStart);
    const r = run(join(pkts.filter((_, k) => k !== i)));
    assert.equal(r.demux.counters.continuityErrors, 1);
    const errs = r.events.filter((e) => e.type === "error");
    assert.equal(errs.length, 1);
    assert.equal(errs[0].type === "error" && errs[0].kind, "continuity");
    assert.equal(errs[0].type === "error" && errs[0].pid, VIDEO);
    assert.deepEqual(r.frames.filter((f) => f.damaged).map((f) => f.pid), [VIDEO]);
    assert.equal(r.frames.length, CLEAN.frames.length);
  });

  it("one duplicate is allowed and dropped; a third copy is an error", () => {
    const pkts = packets(BASE);
    const i = nth(pkts, AUDIO, 10, notStart);
    const twice = [...pkts.slice(0, i + 1), pkts[i], ...pkts.slice(i + 1)];
    const r2 = run(join(twice));
    assert.equal(r2.demux.counters.duplicates, 1);
    assert.equal(r2.demux.counters.continuityErrors, 0);
    assert.deepEqual(r2.frames.map(frameKey), CLEAN.frames.map(frameKey));
    const thrice = [...pkts.slice(0, i + 1), pkts[i], pkts[i], ...pkts.slice(i + 1)];
    const r3 = run(join(thrice));
    assert.equal(r3.demux.counters.duplicates, 1);
    assert.equal(r3.demux.counters.continuityErrors, 1);
  });

  it("a repeated CC with different bytes is an error, not a duplicate", () => {
    const pkts = packets(BASE);
    const i = nth(pkts, AUDIO, 10, notStart);
    const fake = pkts[i].slice();
    fake[100] ^= 0xff;
    const r = run(join([...pkts.slice(0, i + 1), fake, ...pkts.slice(i + 1)]));
    assert.equal(r.demux.counters.duplicates, 0);
    assert.equal(r.demux.counters.continuityErrors, 1);
  });

  it("a CC jump flagged by discontinuity_indicator is not an error", () => {
    const pkts = packets(BASE).map((p) => p.slice());
    // Video packets with an adaptation field carry PCR; flag one and shift CC from there on.
    const i = nth(pkts, VIDEO, 30, (p) => (p[3] & 0x20) !== 0 && p[4] > 0 && hasPayload(p));
    for (let k = i; k < pkts.length; k++) {
      if (pidOf(pkts[k]) === VIDEO) pkts[k][3] = (pkts[k][3] & 0xf0) | ((pkts[k][3] + 5) & 15);
    }
    pkts[i][5] |= 0x80;
    const r = run(join(pkts));
    assert.equal(r.demux.counters.continuityErrors, 0);
    const flagged = r.events.filter((e) => e.type === "pcr" && e.discontinuity);
    assert.equal(flagged.length, 1);
  });
});

describe("transport errors and sync", () => {
  it("TEI packets are counted, dropped and damage their frame", () => {
    const pkts = packets(BASE).map((p) => p.slice());
    const i = nth(pkts, VIDEO, 100, notStart);
    pkts[i][1] |= 0x80;
    const r = run(join(pkts));
    assert.equal(r.demux.counters.transportErrors, 1);
    assert.ok(r.events.some((e) => e.type === "error" && e.kind === "transport_error"));
    assert.equal(r.frames.filter((f) => f.damaged).length, 1);
  });

  it("garbage between packets is skipped and every frame still comes out", () => {
    const pkts = packets(BASE);
    const garbage = new Uint8Array(77).fill(0x00);
    const at = 500;
    const data = join([...pkts.slice(0, at), garbage, ...pkts.slice(at)]);
    for (const chunk of [1316, 100, 7]) {
      const r = run(data, chunk);
      assert.equal(r.demux.counters.syncLosses, 1);
      assert.equal(r.demux.counters.garbageBytes, garbage.length);
      assert.deepEqual(r.frames.map(frameKey), CLEAN.frames.map(frameKey));
      const sync = r.events.filter((e) => e.type === "sync");
      assert.deepEqual(sync.map((e) => e.type === "sync" && e.locked), [true, false, true]);
    }
  });

  it("leading garbage with stray sync bytes does not lock falsely", () => {
    const junk = new Uint8Array(1000);
    for (let k = 0; k < junk.length; k++) junk[k] = k % 97 === 0 ? 0x47 : (k * 31) & 0x3f;
    const r = run(join([junk, BASE]));
    assert.equal(r.demux.counters.garbageBytes, junk.length);
    assert.deepEqual(r.frames.map(frameKey), CLEAN.frames.map(frameKey));
  });

  it("204-byte packets (16 parity bytes) are detected and demuxed alike", () => {
    const parity = new Uint8Array(16).fill(0xa5);
    const data = join(packets(BASE).flatMap((p) => [p, parity]));
    for (const chunk of [1316, 333]) {
      const r = run(data, chunk);
      assert.equal(r.demux.packetSize, 204);
      assert.deepEqual(r.frames.map(frameKey), CLEAN.frames.map(frameKey));
    }
  });
});

describe("PSI", () => {
  it("a corrupted PMT copy is a CRC error and does not disturb demuxing", () => {
    const pkts = packets(BASE).map((p) => p.slice());
    let bad = 0;
    for (let n = 3;; n += 5) {
      let i: number;
      try {
        i = nth(pkts, PMT, n);
      } catch {
        break;
      }
      pkts[i][12] ^= 0x01; // inside the section body
      bad++;
    }
    const r = run(join(pkts));
    assert.ok(bad > 0);
    assert.equal(r.demux.counters.crcErrors, bad);
    assert.equal(r.events.filter((e) => e.type === "error" && e.kind === "crc").length, bad);
    assert.deepEqual(r.frames.map(frameKey), CLEAN.frames.map(frameKey));
  });

  it("a PMT version change removing audio is reported and audio stops", () => {
    const pkts = packets(BASE);
    const cut = Math.floor(pkts.length / 2);
    const v2 = pmtSection(5, [[0x1b, VIDEO]]);
    const r = run(join(replacePmt(pkts, cut, v2)));
    const pmts = r.events.filter((e) => e.type === "pmt");
    assert.equal(pmts.length, 2);
    const second = pmts[1];
    assert.ok(second.type === "pmt" && second.previous);
    assert.equal(second.type === "pmt" && second.pmt.version, 5);
    assert.deepEqual(second.type === "pmt" && second.streams.map((s) => s.pid), [VIDEO]);
    const changes = r.asmEvents.filter((e) => e.type === "program");
    assert.deepEqual(changes.map((e) => e.type === "program" && e.change), ["added", "updated"]);
    const cutTime = cut * 188;
    const audio = byPid(r.frames).get(AUDIO) ?? [];
    assert.ok(audio.length > 0);
    assert.ok(audio.every((f) => f.receivedAt < cutTime));
    assert.equal(
      byPid(r.frames).get(VIDEO)?.length,
      byPid(CLEAN.frames).get(VIDEO)?.length,
    );
  });

  it("a section split across packets with several sections per packet is reassembled", () => {
    // PAT + a long PMT (descriptor padding makes it span two packets) on hand-made packets.
    const pad = new Array(200).fill(0x20);
    const pmt = pmtSection(1, [[0x1b, 0x200, [
      0x05,
      4,
      0x41,
      0x42,
      0x43,
      0x44,
      0x99,
      200,
      ...pad,
    ]]]);
    const pat = withCrc([0x00, 0xb0, 13, 0, 1, 0xc1, 0, 0, 0, 1, 0xe0 | (PMT >> 8), PMT & 0xff]);
    const pkts = [
      ...sectionPackets(0, pat),
      ...sectionPackets(PMT, pmt),
    ];
    assert.equal(pkts.length, 3);
    const r = run(join(pkts), 50);
    const s = r.demux.streams.get(0x200);
    assert.equal(s?.codec, "h264");
    assert.equal(s?.descriptors[1].data.length, 200);
    // Two PMT sections (programs 1 and 2 share PID 0x1000) back to back in one packet.
    const pat2 = withCrc([
      0x00,
      0xb0,
      17,
      0,
      1,
      0xc1,
      0,
      0,
      0,
      1,
      0xe0 | (PMT >> 8),
      PMT & 0xff,
      0,
      2,
      0xe0 | (PMT >> 8),
      PMT & 0xff,
    ]);
    const prog2 = pmtSection(0, [[0x0f, 0x201]]);
    prog2[3] = 0;
    prog2[4] = 2; // program_number 2 (re-sign below)
    const prog2Signed = withCrc([...prog2.subarray(0, prog2.length - 4)]);
    const small = pmtSection(2, [[0x1b, 0x202]]);
    const both = new Uint8Array(188).fill(0xff);
    both.set([0x47, 0x40 | (PMT >> 8), PMT & 0xff, 0x10, 0x00]);
    both.set(small, 5);
    both.set(prog2Signed, 5 + small.length);
    const r2 = run(join([...sectionPackets(0, pat2), both]));
    assert.equal(r2.demux.streams.get(0x201)?.codec, "aac");
    assert.equal(r2.demux.streams.get(0x201)?.programNumber, 2);
    assert.equal(r2.demux.streams.get(0x202)?.programNumber, 1);
    assert.equal(r2.demux.counters.sectionErrors, 0);
  });
});

describe("SCTE-35", () => {
  it("decodes splice_insert and time_signal from a stream_type 0x86 PID", () => {
    const pkts = packets(BASE);
    const cue = 0x1f0;
    const v2 = pmtSection(3, [[0x1b, VIDEO], [0x0f, AUDIO], [0x86, cue]]);
    const withCue = replacePmt(pkts, 0, v2);
    const ptsTime = 8589934000; // near the 33-bit wrap
    const insert = (() => {
      const cmd = [
        0x12,
        0x34,
        0x56,
        0x78, // splice_event_id
        0x7f, // cancel 0
        0xff, // out_of_network 1, program 1, duration 1, immediate 1? -> set below
        0xfe | ((ptsTime / 2 ** 32) & 1), // time_specified + reserved + pts bit 32
        (ptsTime >>> 24) & 0xff,
        (ptsTime >>> 16) & 0xff,
        (ptsTime >>> 8) & 0xff,
        ptsTime & 0xff,
        0xfe,
        0x00,
        0x29,
        0x32,
        0xe0, // auto_return 1, duration 30 s (2700000)
        0x00,
        0x2a,
        0x01,
        0x02, // unique_program_id 42, avail 1, expected 2
      ];
      cmd[5] = 0xe0 | 0x0f; // out 1, program 1, duration 1, immediate 0, reserved 1111
      return cmd;
    })();
    const section = (type: number, cmd: number[]) => {
      const body = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xf0 | 0, cmd.length, type];
      body[6 - 1] = 0; // pts_adjustment = 0
      const rest = [...body, ...cmd, 0x00, 0x00];
      const len = rest.length + 4;
      return withCrc([0xfc, 0x30 | (len >> 8), len & 0xff, ...rest]);
    };
    const signal = [0xfe, 0x00, 0x01, 0x5f, 0x90]; // time_specified, pts_time 90000
    const s1 = sectionPackets(cue, section(5, insert), 0);
    const s2 = sectionPackets(cue, section(6, signal), 1);
    const bad = section(6, signal);
    bad[bad.length - 1] ^= 1;
    const s3 = sectionPackets(cue, bad, 2);
    const data = join([
      ...withCue.slice(0, 300),
      ...s1,
      ...withCue.slice(300, 600),
      ...s2,
      ...s3,
      ...withCue.slice(600),
    ]);
    const r = run(data);
    const cues = r.events.filter((e) => e.type === "scte35");
    assert.equal(cues.length, 2);
    const a = cues[0].type === "scte35" ? cues[0].splice : undefined;
    assert.equal(a?.commandType, 5);
    assert.equal(a?.spliceInsert?.eventId, 0x12345678);
    assert.equal(a?.spliceInsert?.outOfNetwork, true);
    assert.equal(a?.spliceInsert?.ptsTime, ptsTime);
    assert.deepEqual(a?.spliceInsert?.breakDuration, { autoReturn: true, duration: 2700000 });
    assert.equal(a?.spliceInsert?.uniqueProgramId, 42);
    assert.equal(a?.spliceInsert?.availsExpected, 2);
    const b = cues[1].type === "scte35" ? cues[1].splice : undefined;
    assert.equal(b?.commandType, 6);
    assert.deepEqual(b?.timeSignal, { ptsTime: 90000 });
    assert.equal(r.demux.counters.crcErrors, 1);
    assert.equal(r.demux.streams.get(cue)?.codec, "scte35");
  });
});

describe("adaptation fields, CAT and KLV", () => {
  it("reports splice countdown and private data of an adaptation-only packet", () => {
    const pkts = packets(BASE);
    const af = new Uint8Array(188).fill(0xff);
    // AFC 10 (adaptation only), flags: splicing point + private data
    af.set([0x47, VIDEO >> 8, VIDEO & 0xff, 0x20, 183, 0x06, 0xfd, 3, 0x11, 0x22, 0x33]);
    const r = run(join([...pkts.slice(0, 50), af, ...pkts.slice(50)]));
    const evs = r.events.filter((e) => e.type === "adaptation");
    assert.equal(evs.length, 1);
    const f = evs[0].type === "adaptation" ? evs[0].field : undefined;
    assert.equal(f?.spliceCountdown, -3);
    assert.equal(r.demux.counters.continuityErrors, 0);
    assert.deepEqual(r.frames.map(frameKey), CLEAN.frames.map(frameKey));
  });

  it("parses a CAT with a CA descriptor", () => {
    const body = [0x01, 0xb0, 15, 0xff, 0xff, 0xc3, 0, 0, 0x09, 4, 0x0b, 0x00, 0xff, 0xf0];
    const cat = withCrc(body);
    const pkts = packets(BASE);
    const r = run(join([...sectionPackets(1, cat), ...pkts.slice(0, 200)]));
    const ev = r.events.find((e) => e.type === "cat");
    assert.ok(ev && ev.type === "cat");
    assert.equal(ev.cat.version, 1);
    assert.equal(ev.cat.descriptors[0].tag, 0x09);
    assert.deepEqual([...ev.cat.descriptors[0].data], [0x0b, 0x00, 0xff, 0xf0]);
  });

  it("delivers KLV (registration KLVA) PES payloads as data frames", () => {
    const klv = 0x1f1;
    const pmt = pmtSection(7, [[0x1b, VIDEO], [0x0f, AUDIO], [0x06, klv, [
      0x05,
      4,
      0x4b,
      0x4c,
      0x56,
      0x41,
    ]]]);
    const pkts = replacePmt(packets(BASE), 0, pmt);
    const units = [[0x06, 0x0e, 0x2b, 0x34, 1, 2, 3], [0x06, 0x0e, 0x2b, 0x34, 9, 8, 7, 6, 5]];
    const pesPkts = units.map((u, i) => {
      const pts = 200000 + i * 90000;
      const pes = [
        0,
        0,
        1,
        0xbd,
        0,
        8 + u.length,
        0x84,
        0x80,
        5,
        0x21 | ((pts / 2 ** 29) & 0x0e),
        (pts >> 22) & 0xff,
        ((pts >> 14) & 0xfe) | 1,
        (pts >> 7) & 0xff,
        ((pts << 1) & 0xfe) | 1,
        ...u,
      ];
      // PES carried with adaptation-field stuffing to fill the packet
      const pkt = new Uint8Array(188).fill(0xff);
      const stuff = 188 - 4 - pes.length;
      pkt.set([0x47, 0x40 | (klv >> 8), klv & 0xff, 0x30 | i, stuff - 1, 0x00]);
      pkt.set(pes, 4 + stuff);
      return pkt;
    });
    const data = join([
      ...pkts.slice(0, 100),
      pesPkts[0],
      ...pkts.slice(100, 200),
      pesPkts[1],
      ...pkts.slice(200),
    ]);
    const r = run(data);
    const frames = byPid(r.frames).get(klv) ?? [];
    assert.equal(r.demux.streams.get(klv)?.codec, "klv");
    assert.deepEqual(frames.map((f) => [f.kind, f.codec, f.pts, [...f.data]]), [
      ["data", "klv", 200000, units[0]],
      ["data", "klv", 290000, units[1]],
    ]);
  });
});

describe("program changes", () => {
  it("a PAT that drops a program removes it and its streams stop", () => {
    const data = fixture("two_programs_cbr_2s.ts");
    const pkts = packets(data);
    const cut = Math.floor(pkts.length / 2);
    // PAT v1 with program 101 only (PMT 0x1000); the transport_stream_id stays as in the file.
    const orig = pkts.find((p) => pidOf(p) === 0 && (p[1] & 0x40) !== 0) as Uint8Array;
    const tsid = [orig[8], orig[9]];
    const version = ((orig[10] >> 1) + 1) & 0x1f;
    const pat = withCrc([0x00, 0xb0, 13, ...tsid, 0xc1 | (version << 1), 0, 0, 0, 101, 0xf0, 0x00]);
    const mutated = pkts.map((p, i) =>
      i >= cut && pidOf(p) === 0 ? sectionPackets(0, pat, p[3] & 15)[0] : p
    );
    const r = run(join(mutated));
    const removed = r.events.filter((e) => e.type === "program-removed");
    assert.deepEqual(
      removed.map((e) => e.type === "program-removed" && [e.programNumber, e.pmtPid]),
      [[202, 0x1001]],
    );
    const changes = r.asmEvents.filter((e) => e.type === "program");
    assert.deepEqual(
      changes.map((e) => e.type === "program" && `${e.programNumber}:${e.change}`).sort(),
      ["101:added", "202:added", "202:removed"],
    );
    const cutTime = cut * 188;
    for (const pid of [0x102, 0x103, 0x104]) {
      const fs = byPid(r.frames).get(pid) ?? [];
      assert.ok(fs.length > 0 && fs.every((f) => f.receivedAt < cutTime), `PID ${pid}`);
    }
    assert.equal(r.demux.pmts.has(202), false);
    assert.equal(
      byPid(r.frames).get(0x100)?.length,
      byPid(run(data).frames).get(0x100)?.length,
    );
  });
});
