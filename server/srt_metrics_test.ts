import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  accessControlMetricFamilies,
  type ConnectionMetrics,
  renderSrtMetrics,
  srtMetricFamilies,
} from "./srt_metrics.ts";
import { parsePrometheus } from "./prometheus_parse.ts";
import { renderPrometheus } from "./prometheus.ts";
import { AccessControl } from "./access_control.ts";

const full = {
  pktSentTotal: 1000,
  pktRecvTotal: 2000,
  pktRetransTotal: 17,
  pktRcvLossTotal: 21,
  pktSndLossTotal: 19,
  pktRcvDropTotal: 3,
  pktSndDropTotal: 2,
  pktRcvUndecryptTotal: 1,
  byteSentTotal: 1_316_000,
  byteRecvTotal: 2_632_000,
  msRTT: 12.5,
  mbpsBandwidth: 843.25,
  msRcvBuf: 118,
  msRcvTsbPdDelay: 120,
  mbpsSendRate: 4.5,
  mbpsRecvRate: 0.25,
};

describe("renderSrtMetrics()", () => {
  it("renders every libsrt field under its metric with exact values that parse back", () => {
    const conns: ConnectionMetrics[] = [
      { stream: "live/a", peer: "192.0.2.1:5000", stats: full, labels: { mode: "publish" } },
      {
        stream: 'odd "name"\\x',
        peer: "[2001:db8::1]:6000",
        stats: { pktRecvTotal: 5, msRTT: 0.1 },
      },
    ];
    const parsed = parsePrometheus(renderSrtMetrics(conns));
    const one = (name: string, labels: Record<string, string>) => {
      const f = parsed.get(name);
      assert.ok(f, name);
      const hits = f.samples.filter((s) =>
        Object.entries(labels).every(([k, v]) => s.labels[k] === v)
      );
      assert.equal(hits.length, 1, `${name} ${JSON.stringify(labels)}`);
      return hits[0];
    };
    const a = { stream: "live/a", peer: "192.0.2.1:5000" };
    assert.equal(parsed.get("srt_connections")?.samples[0].value, 2);
    assert.equal(one("srt_sent_packets_total", a).value, 1000);
    assert.equal(one("srt_received_packets_total", a).value, 2000);
    assert.equal(one("srt_retransmitted_packets_total", a).value, 17);
    assert.equal(one("srt_lost_packets_total", { ...a, direction: "receive" }).value, 21);
    assert.equal(one("srt_lost_packets_total", { ...a, direction: "send" }).value, 19);
    assert.equal(one("srt_dropped_packets_total", { ...a, direction: "receive" }).value, 3);
    assert.equal(one("srt_dropped_packets_total", { ...a, direction: "send" }).value, 2);
    assert.equal(one("srt_undecrypted_packets_total", a).value, 1);
    assert.equal(one("srt_sent_bytes_total", a).value, 1_316_000);
    assert.equal(one("srt_received_bytes_total", a).value, 2_632_000);
    assert.equal(one("srt_rtt_seconds", a).value, 0.0125);
    assert.equal(one("srt_bandwidth_bits_per_second", a).value, 843_250_000);
    assert.equal(one("srt_receive_buffer_seconds", a).value, 0.118);
    assert.equal(one("srt_receive_latency_seconds", a).value, 0.12);
    assert.equal(one("srt_send_rate_bits_per_second", a).value, 4_500_000);
    assert.equal(one("srt_receive_rate_bits_per_second", a).value, 250_000);
    assert.deepEqual(one("srt_sent_packets_total", a).labels, { ...a, mode: "publish" });
    // The escaped stream name survives, and absent fields produce no sample.
    const b = { stream: 'odd "name"\\x', peer: "[2001:db8::1]:6000" };
    assert.equal(one("srt_received_packets_total", b).value, 5);
    assert.equal(one("srt_rtt_seconds", b).value, 0.0001);
    assert.equal(parsed.get("srt_sent_packets_total")?.samples.length, 1);
    // Types and help are present for every family.
    for (const f of parsed.values()) {
      assert.ok(f.help && f.help.length > 0, f.name);
      assert.equal(f.type, f.name.endsWith("_total") ? "counter" : "gauge", f.name);
    }
  });

  it("is deterministic whatever the connection order", () => {
    const c1 = { stream: "b", peer: "p1", stats: full };
    const c2 = { stream: "a", peer: "p2", stats: full };
    assert.equal(renderSrtMetrics([c1, c2]), renderSrtMetrics([c2, c1]));
  });

  it("skips non-finite fields and reports zero connections", () => {
    const fams = srtMetricFamilies([{
      stream: "s",
      peer: "p",
      stats: { msRTT: NaN, pktSentTotal: Infinity },
    }]);
    assert.equal(fams.find((f) => f.name === "srt_rtt_seconds")?.samples.length, 0);
    assert.equal(fams.find((f) => f.name === "srt_sent_packets_total")?.samples.length, 0);
    const empty = parsePrometheus(renderSrtMetrics([]));
    assert.equal(empty.get("srt_connections")?.samples[0].value, 0);
    assert.equal(empty.get("srt_rtt_seconds")?.samples.length, 0);
  });

  it("refuses extra labels that would override built-in ones", () => {
    for (const k of ["stream", "peer", "direction"]) {
      assert.throws(
        () => srtMetricFamilies([{ stream: "s", peer: "p", stats: {}, labels: { [k]: "x" } }]),
        TypeError,
      );
    }
  });
});

describe("accessControlMetricFamilies()", () => {
  it("exports decision counters that parse back exactly", () => {
    const ac = new AccessControl({ resources: [{ match: "live/*", modes: ["publish"] }] });
    const peer = { hostname: "192.0.2.1", port: 1 };
    const d = (streamId: string) => ac.decide({ peer, streamId, listenerPort: 9000 }, 0);
    d("#!::r=live/a,m=publish");
    d("#!::r=live/b,m=publish");
    d("#!::r=live/a");
    d("#!::r=vod/a");
    d("#!::r=vod/b");
    d("#!::r=x,m=nope");
    const parsed = parsePrometheus(renderPrometheus(accessControlMetricFamilies(ac.counters)));
    const acc = parsed.get("srt_access_accepted_total")!;
    assert.equal(acc.type, "counter");
    assert.deepEqual(acc.samples.map((s) => [s.labels.mode, s.value]), [
      ["bidirectional", 0],
      ["publish", 2],
      ["request", 0],
    ]);
    const rej = parsed.get("srt_access_rejected_total")!;
    assert.deepEqual(rej.samples.map((s) => [s.labels.reason, s.value]), [
      ["1404", 2],
      ["1405", 2],
    ]);
  });
});
