// TR 101 290 monitor: expectations come from independent scans of the fixtures or from
// the mutation applied.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TsDemuxer } from "./demuxer.ts";
import { type MonitorEvent, type MonitorOptions, TsMonitor } from "./monitor.ts";
import { fixture, hasPayload, join, packets, pidOf } from "./_test_util.ts";

/** Feeds `data` in 1316-byte chunks with time = offset / bytesPerMs. */
function monitor(data: Uint8Array, durationMs: number, options: MonitorOptions = {}) {
  const demux = new TsDemuxer();
  const events: MonitorEvent[] = [];
  const mon = new TsMonitor(demux, { ...options, onEvent: (e) => events.push(e) });
  const perMs = data.length / durationMs;
  for (let off = 0; off < data.length; off += 1316) {
    demux.push(data.subarray(off, Math.min(data.length, off + 1316)), off / perMs);
  }
  demux.flush();
  mon.check(data.length / perMs);
  return { demux, mon, events };
}

/** Independent PCR scan: intervals in ms between consecutive PCRs on each PID. */
function pcrIntervals(data: Uint8Array): number[] {
  const last = new Map<number, number>();
  const out: number[] = [];
  for (const p of packets(data)) {
    if ((p[3] & 0x20) === 0 || p[4] < 7 || (p[5] & 0x10) === 0) continue;
    const base = p[6] * 2 ** 25 + p[7] * 2 ** 17 + p[8] * 2 ** 9 + p[9] * 2 + (p[10] >> 7);
    const pcr = base * 300 + ((p[10] & 1) * 256 + p[11]);
    const prev = last.get(pidOf(p));
    if (prev !== undefined) out.push((pcr - prev) / 27000);
    last.set(pidOf(p), pcr);
  }
  return out;
}

function setPcr(p: Uint8Array, pcr: number): void {
  const base = Math.floor(pcr / 300), ext = pcr % 300;
  p[6] = Math.floor(base / 2 ** 25) & 0xff;
  p[7] = Math.floor(base / 2 ** 17) & 0xff;
  p[8] = Math.floor(base / 2 ** 9) & 0xff;
  p[9] = Math.floor(base / 2) & 0xff;
  p[10] = ((base & 1) << 7) | 0x7e | (ext >> 8);
  p[11] = ext & 0xff;
}

function readPcr(p: Uint8Array): number {
  const base = p[6] * 2 ** 25 + p[7] * 2 ** 17 + p[8] * 2 ** 9 + p[9] * 2 + (p[10] >> 7);
  return base * 300 + ((p[10] & 1) * 256 + p[11]);
}

const hasPcr = (p: Uint8Array) => (p[3] & 0x20) !== 0 && p[4] >= 7 && (p[5] & 0x10) !== 0;

describe("TR 101 290 monitor", () => {
  it("a clean CBR stream with 20 ms PCR raises nothing", () => {
    const data = fixture("two_programs_cbr_2s.ts");
    const { events } = monitor(data, 2000);
    assert.deepEqual(events, []);
  });

  it("PCR repetition follows the configured threshold (80 ms PCR of the HEVC fixture)", () => {
    const data = fixture("hevc_ac3_2s.ts");
    const intervals = pcrIntervals(data);
    const over40 = intervals.filter((ms) => ms > 40).length;
    assert.ok(over40 > 0);
    const r = monitor(data, 2000);
    assert.equal(r.mon.counts.PCR_repetition_error, over40);
    assert.ok(
      r.events.every((e) => e.indicator !== "PCR_repetition_error" || e.severity === "warning"),
    );
    const relaxed = monitor(data, 2000, { pcrRepetitionMs: 100 });
    assert.equal(
      relaxed.mon.counts.PCR_repetition_error,
      intervals.filter((ms) => ms > 100).length,
    );
    const strict = fixture("av_h264_aac_3s.ts");
    assert.equal(
      monitor(strict, 3000, { pcrRepetitionMs: 30 }).mon.counts.PCR_repetition_error,
      pcrIntervals(strict).filter((ms) => ms > 30).length,
    );
  });

  it("a PCR jump is an error unless discontinuity_indicator flags it", () => {
    const pkts = packets(fixture("av_h264_aac_3s.ts")).map((p) => p.slice());
    const pcrPkts = pkts.filter(hasPcr);
    const from = pkts.indexOf(pcrPkts[40]);
    for (let k = from; k < pkts.length; k++) {
      if (hasPcr(pkts[k])) setPcr(pkts[k], readPcr(pkts[k]) + 27_000_000);
    }
    const unflagged = monitor(join(pkts), 3000);
    assert.equal(unflagged.mon.counts.PCR_discontinuity_indicator_error, 1);
    assert.equal(unflagged.demux.counters.continuityErrors, 0);
    pkts[from][5] |= 0x80;
    const flagged = monitor(join(pkts), 3000);
    assert.equal(flagged.mon.counts.PCR_discontinuity_indicator_error, 0);
  });

  it("PAT, PMT, PID and PTS timeouts fire when those packets stop", () => {
    const data = fixture("av_h264_aac_3s.ts");
    const pkts = packets(data);
    const n = pkts.length;
    // Drop PAT, PMT and audio packets for the middle second (time is proportional to offset).
    const lo = Math.floor(n / 3), hi = Math.floor((2 * n) / 3);
    const cut = pkts.filter((p, i) => i < lo || i >= hi || ![0, 0x1000, 0x101].includes(pidOf(p)));
    const ms = (3000 * cut.length) / n;
    const r = monitor(join(cut), ms, { pidTimeoutMs: 500 });
    assert.ok(r.mon.counts.PAT_error_2 >= 1);
    assert.ok(r.mon.counts.PMT_error_2 >= 1);
    assert.ok(r.events.some((e) => e.indicator === "PID_error" && e.pid === 0x101));
    assert.ok(r.events.some((e) => e.indicator === "PTS_error" && e.pid === 0x101));
    assert.ok(!r.events.some((e) => e.pid === 0x100 && e.indicator !== "PCR_repetition_error"));
    // each gap breaks that PID's continuity counter unless a multiple of 16 packets went
    const dropped = [0, 0x1000, 0x101].filter((pid) =>
      pkts.filter((p, i) => i >= lo && i < hi && pidOf(p) === pid && hasPayload(p)).length % 16
    );
    assert.equal(r.mon.counts.Continuity_count_error, dropped.length);
    const clean = monitor(data, 3000, { pidTimeoutMs: 500 });
    assert.equal(clean.mon.counts.PAT_error_2 + clean.mon.counts.PMT_error_2, 0);
    assert.equal(clean.mon.counts.PID_error + clean.mon.counts.PTS_error, 0);
  });

  it("mirrors transport, CRC, sync and CC errors of the demuxer", () => {
    const pkts = packets(fixture("av_h264_aac_3s.ts")).map((p) => p.slice());
    pkts[100][1] |= 0x80; // TEI
    const pmtIdx = pkts.findIndex((p, i) => i > 200 && pidOf(p) === 0x1000);
    pkts[pmtIdx][20] ^= 0x10; // PMT CRC
    const audio = pkts.findIndex((p, i) => i > 1000 && pidOf(p) === 0x101 && hasPayload(p));
    const lost = pkts.filter((_, i) => i !== audio);
    const garbage = new Uint8Array(400);
    const data = join([...lost.slice(0, 2000), garbage, ...lost.slice(2000)]);
    const r = monitor(data, 3000);
    assert.equal(r.mon.counts.Transport_error, 1);
    assert.equal(r.mon.counts.CRC_error, 1);
    assert.equal(r.mon.counts.Continuity_count_error, r.demux.counters.continuityErrors);
    assert.ok(r.mon.counts.Continuity_count_error >= 1);
    assert.equal(r.mon.counts.Sync_byte_error, 1);
    assert.equal(r.mon.counts.TS_sync_loss, 1);
    assert.equal(r.events.filter((e) => e.priority === 1).length > 0, true);
  });

  it("scrambled packets without a CAT raise CAT_error once", () => {
    const pkts = packets(fixture("hevc_ac3_2s.ts")).map((p) => p.slice());
    let n = 0;
    for (const p of pkts) if (pidOf(p) === 0x101 && n++ < 5) p[3] |= 0x80;
    const r = monitor(join(pkts), 2000);
    assert.equal(r.mon.counts.CAT_error, 1);
    assert.equal(r.demux.counters.scrambledPackets, 5);
  });

  it("measures bitrate per PID and in total on caller time", () => {
    const data = fixture("two_programs_cbr_2s.ts");
    // Caller time from the declared mux rate (1.5 Mbit/s): the total must come out at it.
    const { mon, demux } = monitor(data, (data.length * 8) / 1500);
    assert.ok(Math.abs(mon.totalBitrate - 1_500_000) < 15_000, `${mon.totalBitrate}`);
    let sum = 0;
    for (const v of mon.bitrates.values()) sum += v;
    assert.ok(Math.abs(sum - mon.totalBitrate) / mon.totalBitrate < 0.02);
    assert.ok((mon.bitrates.get(0x1fff) ?? 0) > 0);
    assert.ok(demux.counters.nullPackets > 0);
  });
});

describe("TR 101 290 monitor without data", () => {
  it("check() raises PAT_error_2 during silence, once per interval", () => {
    const demux = new TsDemuxer();
    const mon = new TsMonitor(demux, { patIntervalMs: 500 });
    mon.check(0);
    mon.check(400);
    assert.equal(mon.counts.PAT_error_2, 0);
    mon.check(501);
    assert.equal(mon.counts.PAT_error_2, 1);
    mon.check(900);
    assert.equal(mon.counts.PAT_error_2, 1);
    mon.check(1002);
    assert.equal(mon.counts.PAT_error_2, 2);
  });
});
