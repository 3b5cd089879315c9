import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HAIVISION_STAT_LABELS, toHaivisionStats } from "./haivision_stats.ts";

describe("Haivision statistics labels", () => {
  it("maps the documented names", () => {
    const byField = new Map(HAIVISION_STAT_LABELS.map((e) => [`${e.field}/${e.side}`, e]));
    assert.equal(byField.get("pktRetransTotal/source")?.label, "Resent Packets");
    assert.equal(byField.get("pktSndLossTotal/source")?.label, "Dropped Packets");
    assert.equal(byField.get("pktRcvDropTotal/destination")?.label, "Skipped Packets");
    assert.equal(byField.get("pktRcvLossTotal/destination")?.label, "Lost Packets");
    assert.equal(byField.get("mbpsBandwidth/source")?.label, "Path Max Bandwidth");
    assert.equal(byField.get("msRcvTsbPdDelay/destination")?.label, "Latency");
    assert.equal(byField.get("msRTT/both")?.label, "RTT");
    // A (field, side) pair appears at most once.
    assert.equal(byField.size, HAIVISION_STAT_LABELS.length);
  });

  it("renders a stats object per side with units", () => {
    const stats = {
      pktSentTotal: 1000,
      pktRetransTotal: 7,
      pktSndLossTotal: 9,
      pktRecvTotal: 990,
      pktRcvDropTotal: 2,
      mbpsSendRate: 4.5,
      mbpsRecvRate: 4.25,
      msRTT: 20,
      msRcvBuf: 118,
      msSndBuf: 30,
      mbpsBandwidth: NaN,
      label: "ignored",
    };
    const src = toHaivisionStats(stats, "source");
    assert.deepEqual(src.map((r) => [r.label, r.value, r.unit]), [
      ["Sent Packets", 1000, "packets"],
      ["Resent Packets", 7, "packets"],
      ["Dropped Packets", 9, "packets"],
      ["Bitrate", 4500, "kbps"],
      ["RTT", 20, "ms"],
      ["Buffer", 30, "ms"],
    ]);
    const dst = toHaivisionStats(stats, "destination");
    assert.deepEqual(dst.map((r) => [r.label, r.value]), [
      ["Received Packets", 990],
      ["Skipped Packets", 2],
      ["Bitrate", 4250],
      ["RTT", 20],
      ["Buffer", 118],
    ]);
  });
});
