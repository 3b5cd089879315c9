/**
 * Per-connection SRT statistics as Prometheus metrics.
 *
 * Takes plain stats objects with libsrt's `CBytePerfMon` field names (tsrt's `SrtStats` fits)
 * and produces metric families with `stream` and `peer` labels, in base units (seconds, bits
 * per second, bytes):
 *
 * | metric | type | from |
 * |---|---|---|
 * | `srt_connections` | gauge | number of connections given |
 * | `srt_sent_packets_total` | counter | `pktSentTotal` |
 * | `srt_received_packets_total` | counter | `pktRecvTotal` |
 * | `srt_retransmitted_packets_total` | counter | `pktRetransTotal` |
 * | `srt_lost_packets_total{direction="receive"\|"send"}` | counter | `pktRcvLossTotal`, `pktSndLossTotal` |
 * | `srt_dropped_packets_total{direction="receive"\|"send"}` | counter | `pktRcvDropTotal`, `pktSndDropTotal` |
 * | `srt_undecrypted_packets_total` | counter | `pktRcvUndecryptTotal` |
 * | `srt_sent_bytes_total` | counter | `byteSentTotal` |
 * | `srt_received_bytes_total` | counter | `byteRecvTotal` |
 * | `srt_rtt_seconds` | gauge | `msRTT` / 1000 |
 * | `srt_bandwidth_bits_per_second` | gauge | `mbpsBandwidth` × 10^6 |
 * | `srt_receive_buffer_seconds` | gauge | `msRcvBuf` / 1000 |
 * | `srt_receive_latency_seconds` | gauge | `msRcvTsbPdDelay` / 1000 |
 * | `srt_send_rate_bits_per_second` | gauge | `mbpsSendRate` × 10^6 |
 * | `srt_receive_rate_bits_per_second` | gauge | `mbpsRecvRate` × 10^6 |
 *
 * {@linkcode accessControlMetricFamilies} adds the access-control decision counters.
 *
 * A field that is absent or not a finite number is skipped for that connection.
 *
 * @module
 */

import type { AccessCounters } from "./access_control.ts";
import { type MetricFamily, type MetricSample, renderPrometheus } from "./prometheus.ts";

/**
 * The libsrt statistics this module reads; every field is optional.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderSrtMetrics, type SrtStatsInput } from "@tsrt/tsrt/server";
 * const stats: SrtStatsInput = { pktRecvTotal: 1200, pktRcvLossTotal: 3, msRTT: 12 };
 * const text = renderSrtMetrics([{ stream: "live/a", peer: "192.0.2.1:5000", stats }]);
 * assert.ok(text.includes('srt_rtt_seconds{peer="192.0.2.1:5000",stream="live/a"} 0.012\n'));
 * ```
 */
export interface SrtStatsInput {
  /** Data packets sent, retransmissions included. */
  readonly pktSentTotal?: number;
  /** Data packets received. */
  readonly pktRecvTotal?: number;
  /** Packets retransmitted. */
  readonly pktRetransTotal?: number;
  /** Packets detected lost by the receiver. */
  readonly pktRcvLossTotal?: number;
  /** Packets the peer reported lost. */
  readonly pktSndLossTotal?: number;
  /** Packets the receiver skipped as too late. */
  readonly pktRcvDropTotal?: number;
  /** Packets the sender dropped as too late. */
  readonly pktSndDropTotal?: number;
  /** Packets that could not be decrypted. */
  readonly pktRcvUndecryptTotal?: number;
  /** Payload bytes sent. */
  readonly byteSentTotal?: number;
  /** Payload bytes received. */
  readonly byteRecvTotal?: number;
  /** Smoothed round-trip time in ms. */
  readonly msRTT?: number;
  /** Estimated link capacity in Mbit/s. */
  readonly mbpsBandwidth?: number;
  /** Receive buffer span in ms. */
  readonly msRcvBuf?: number;
  /** Receive latency (TSBPD delay) in ms. */
  readonly msRcvTsbPdDelay?: number;
  /** Sending rate in Mbit/s (e.g. from a `BitrateMeter`). */
  readonly mbpsSendRate?: number;
  /** Receiving rate in Mbit/s (e.g. from a `BitrateMeter`). */
  readonly mbpsRecvRate?: number;
}

/**
 * One connection to report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ConnectionMetrics, renderSrtMetrics } from "@tsrt/tsrt/server";
 * const conn: ConnectionMetrics = {
 *   stream: "live/a",
 *   peer: "192.0.2.1:5000",
 *   stats: { pktSentTotal: 10 },
 *   labels: { mode: "request" },
 * };
 * const text = renderSrtMetrics([conn]);
 * const labels = 'mode="request",peer="192.0.2.1:5000",stream="live/a"';
 * assert.ok(text.includes(`srt_sent_packets_total{${labels}} 10\n`));
 * ```
 */
export interface ConnectionMetrics {
  /** Value of the `stream` label (the resource). */
  readonly stream: string;
  /** Value of the `peer` label (e.g. `192.0.2.1:5000`). */
  readonly peer: string;
  /** The connection's statistics. */
  readonly stats: SrtStatsInput;
  /** More labels (e.g. `mode`); they may not be named stream, peer or direction. */
  readonly labels?: Readonly<Record<string, string>>;
}

interface Series {
  readonly field: keyof SrtStatsInput;
  readonly scale: number;
  readonly labels?: Readonly<Record<string, string>>;
}

interface Spec {
  readonly name: string;
  readonly type: "counter" | "gauge";
  readonly help: string;
  readonly series: readonly Series[];
}

const SPECS: readonly Spec[] = [
  {
    name: "srt_sent_packets_total",
    type: "counter",
    help: "Data packets sent, retransmissions included.",
    series: [{ field: "pktSentTotal", scale: 1 }],
  },
  {
    name: "srt_received_packets_total",
    type: "counter",
    help: "Data packets received.",
    series: [{ field: "pktRecvTotal", scale: 1 }],
  },
  {
    name: "srt_retransmitted_packets_total",
    type: "counter",
    help: "Data packets retransmitted.",
    series: [{ field: "pktRetransTotal", scale: 1 }],
  },
  {
    name: "srt_lost_packets_total",
    type: "counter",
    help: "Packets detected lost (receive) or reported lost by the peer (send).",
    series: [
      { field: "pktRcvLossTotal", scale: 1, labels: { direction: "receive" } },
      { field: "pktSndLossTotal", scale: 1, labels: { direction: "send" } },
    ],
  },
  {
    name: "srt_dropped_packets_total",
    type: "counter",
    help: "Packets dropped as too late to play, by the receiver or the sender.",
    series: [
      { field: "pktRcvDropTotal", scale: 1, labels: { direction: "receive" } },
      { field: "pktSndDropTotal", scale: 1, labels: { direction: "send" } },
    ],
  },
  {
    name: "srt_undecrypted_packets_total",
    type: "counter",
    help: "Packets received that could not be decrypted.",
    series: [{ field: "pktRcvUndecryptTotal", scale: 1 }],
  },
  {
    name: "srt_sent_bytes_total",
    type: "counter",
    help: "Payload bytes sent, retransmissions included.",
    series: [{ field: "byteSentTotal", scale: 1 }],
  },
  {
    name: "srt_received_bytes_total",
    type: "counter",
    help: "Payload bytes received.",
    series: [{ field: "byteRecvTotal", scale: 1 }],
  },
  {
    name: "srt_rtt_seconds",
    type: "gauge",
    help: "Smoothed round-trip time.",
    series: [{ field: "msRTT", scale: 1e-3 }],
  },
  {
    name: "srt_bandwidth_bits_per_second",
    type: "gauge",
    help: "Estimated link capacity.",
    series: [{ field: "mbpsBandwidth", scale: 1e6 }],
  },
  {
    name: "srt_receive_buffer_seconds",
    type: "gauge",
    help: "Stream time held in the receive buffer.",
    series: [{ field: "msRcvBuf", scale: 1e-3 }],
  },
  {
    name: "srt_receive_latency_seconds",
    type: "gauge",
    help: "Receive latency (TSBPD delay) in effect.",
    series: [{ field: "msRcvTsbPdDelay", scale: 1e-3 }],
  },
  {
    name: "srt_send_rate_bits_per_second",
    type: "gauge",
    help: "Sending rate.",
    series: [{ field: "mbpsSendRate", scale: 1e6 }],
  },
  {
    name: "srt_receive_rate_bits_per_second",
    type: "gauge",
    help: "Receiving rate.",
    series: [{ field: "mbpsRecvRate", scale: 1e6 }],
  },
];

const RESERVED = new Set(["stream", "peer", "direction"]);

function scaled(value: number, scale: number): number {
  // Divide for sub-unit scales so that e.g. 12.5 ms gives exactly 0.0125.
  return scale < 1 ? value / Math.round(1 / scale) : value * scale;
}

/**
 * Metric families for a set of connections (combine them with other families and pass the
 * lot to `renderPrometheus`).
 *
 * @param connections The connections.
 * @returns One family per metric in the module table, `srt_connections` first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { srtMetricFamilies } from "./srt_metrics.ts";
 *
 * const fams = srtMetricFamilies([
 *   { stream: "live/a", peer: "192.0.2.1:5000", stats: { msRTT: 12.5, pktRcvDropTotal: 3 } },
 * ]);
 * const rtt = fams.find((f) => f.name === "srt_rtt_seconds")!;
 * assert.deepEqual(rtt.samples, [{ labels: { stream: "live/a", peer: "192.0.2.1:5000" }, value: 0.0125 }]);
 * ```
 */
export function srtMetricFamilies(connections: readonly ConnectionMetrics[]): MetricFamily[] {
  const out: MetricFamily[] = [{
    name: "srt_connections",
    type: "gauge",
    help: "SRT connections being reported.",
    samples: [{ value: connections.length }],
  }];
  for (const c of connections) {
    for (const k of Object.keys(c.labels ?? {})) {
      if (RESERVED.has(k)) throw new TypeError(`Extra label ${k} would override a built-in label`);
    }
  }
  for (const spec of SPECS) {
    const samples: MetricSample[] = [];
    for (const c of connections) {
      for (const s of spec.series) {
        const v = c.stats[s.field];
        if (typeof v !== "number" || !Number.isFinite(v)) continue;
        samples.push({
          labels: { ...c.labels, stream: c.stream, peer: c.peer, ...s.labels },
          value: scaled(v, s.scale),
        });
      }
    }
    out.push({ name: spec.name, type: spec.type, help: spec.help, samples });
  }
  return out;
}

/**
 * Renders a set of connections' statistics as Prometheus exposition text.
 *
 * @param connections The connections.
 * @returns The text (see `renderPrometheus`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderSrtMetrics } from "./srt_metrics.ts";
 *
 * const text = renderSrtMetrics([{ stream: "a", peer: "p", stats: { pktSentTotal: 5 } }]);
 * assert.ok(text.includes('srt_sent_packets_total{peer="p",stream="a"} 5\n'));
 * ```
 */
export function renderSrtMetrics(connections: readonly ConnectionMetrics[]): string {
  return renderPrometheus(srtMetricFamilies(connections));
}

/**
 * Metric families for access-control decisions: `srt_access_accepted_total{mode}` and
 * `srt_access_rejected_total{reason}` (the `SRT_REJX_*` code).
 *
 * @param counters The counters of an `AccessControl`.
 * @returns Two counter families.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl } from "./access_control.ts";
 * import { accessControlMetricFamilies } from "./srt_metrics.ts";
 *
 * const ac = new AccessControl({ deny: ["0.0.0.0/0"] });
 * ac.decide({ peer: { hostname: "192.0.2.1", port: 1 }, streamId: "x", listenerPort: 9000 }, 0);
 * const [, rejected] = accessControlMetricFamilies(ac.counters);
 * assert.deepEqual(rejected.samples, [{ labels: { reason: "1403" }, value: 1 }]);
 * ```
 */
export function accessControlMetricFamilies(counters: AccessCounters): MetricFamily[] {
  return [
    {
      name: "srt_access_accepted_total",
      type: "counter",
      help: "Callers accepted by access control, by mode.",
      samples: Object.entries(counters.byMode).map(([mode, value]) => ({
        labels: { mode },
        value,
      })),
    },
    {
      name: "srt_access_rejected_total",
      type: "counter",
      help: "Callers rejected by access control, by SRT_REJX rejection code.",
      samples: Object.entries(counters.byReason).map(([reason, value]) => ({
        labels: { reason },
        value,
      })),
    },
  ];
}
