import { test } from "node:test";
import assert from "node:assert/strict";
import { newCounters, type SrtStats } from "../srt/stats.ts";
import { STATS_FIELDS, StatsReporter } from "./stats_format.ts";

/** The fields the reporter reads; the rest of a real snapshot does not matter here. */
function snapshot(over: Record<string, number> = {}): SrtStats {
  return {
    ...newCounters(),
    msTimeStamp: 1000,
    msRTT: 40.1234,
    mbpsBandwidth: 100,
    pktFlightSize: 3,
    pktSndBuf: 3,
    pktRcvBuf: 0,
    msRcvBuf: 0,
    msRcvTsbPdDelay: 120,
    msSndTsbPdDelay: 120,
    ...over,
  } as unknown as SrtStats;
}

test("StatsReporter computes send and receive rates between reports", () => {
  const r = new StatsReporter("json");
  const first = r.record(snapshot({ byteSentTotal: 0 }), 0);
  assert.equal(first.mbpsSendRate, 0);
  const second = r.record(snapshot({ byteSentTotal: 250_000 }), 1000);
  assert.equal(second.mbpsSendRate, 2);
  assert.equal(second.msRTT, 40.123);
  for (const f of STATS_FIELDS) assert.ok(f in second, f);
});

test("StatsReporter prints JSON lines, CSV with one header, and text", () => {
  const json = new StatsReporter("json").format(snapshot({ pktRetransTotal: 7 }), 0);
  assert.equal(JSON.parse(json).pktRetransTotal, 7);
  const csv = new StatsReporter("csv");
  const a = csv.format(snapshot(), 0).trimEnd().split("\n");
  const b = csv.format(snapshot(), 1000).trimEnd().split("\n");
  assert.equal(a.length, 2);
  assert.equal(b.length, 1);
  assert.equal(a[0].split(",")[0], "timepoint");
  assert.equal(a[0].split(",").length, b[0].split(",").length);
  const text = new StatsReporter("text").format(snapshot({ pktSndLossTotal: 3 }), 0);
  assert.match(text, /RTT 40\.123 ms/);
  assert.match(text, /3 lost/);
});
