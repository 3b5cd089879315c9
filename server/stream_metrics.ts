/**
 * Prometheus metrics of a {@linkcode StreamServer}: the per-connection `srt_*` families of
 * `srt_metrics.ts` (labels `stream`, `peer`, `mode`, and `user` when known), the access-control
 * decision counters, and per-stream families:
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `tsrt_streams` | gauge | |
 * | `tsrt_stream_publishers` | gauge | stream |
 * | `tsrt_stream_players` | gauge | stream |
 * | `tsrt_stream_received_bytes_total` | counter | stream |
 * | `tsrt_stream_received_payloads_total` | counter | stream |
 * | `tsrt_stream_bitrate_bits_per_second` | gauge | stream (publisher payload rate, 1 s window) |
 * | `tsrt_stream_player_dropped_payloads_total` | counter | stream (player queues full) |
 * | `tsrt_stream_frames_total` | counter | stream |
 * | `tsrt_stream_keyframes_total` | counter | stream (video) |
 * | `tsrt_stream_pcr_jitter_seconds` | gauge | stream |
 * | `tsrt_ts_continuity_errors_total` | counter | stream, cause (`srt_drop`, `other`) |
 * | `tsrt_ts_errors_total` | counter | stream, indicator, priority (TR 101 290) |
 *
 * @module
 */

import type { MetricFamily, MetricSample } from "./prometheus.ts";
import { renderPrometheus } from "./prometheus.ts";
import { accessControlMetricFamilies, srtMetricFamilies } from "./srt_metrics.ts";
import type { ServerSnapshot } from "./stream_server.ts";

const TR_PRIORITY: Readonly<Record<string, string>> = {
  TS_sync_loss: "1",
  Sync_byte_error: "1",
  PAT_error_2: "1",
  Continuity_count_error: "1",
  PMT_error_2: "1",
  PID_error: "1",
};

/**
 * Metric families for a server snapshot.
 *
 * @param snap What `StreamServer.snapshot()` returned.
 * @returns The families, `srt_*` first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StreamServer, streamServerMetricFamilies } from "@tsrt/tsrt/server";
 * const server = await StreamServer.start({ port: 0, hostname: "127.0.0.1" });
 * const families = streamServerMetricFamilies(server.snapshot());
 * assert.ok(families.some((f) => f.name === "tsrt_streams"));
 * await server.close();
 * ```
 */
export function streamServerMetricFamilies(snap: ServerSnapshot): MetricFamily[] {
  const conns = [];
  for (const s of snap.streams) {
    const all = s.publisher ? [s.publisher, ...s.players] : s.players;
    for (const c of all) {
      const rate = c.bitsPerSecond / 1e6;
      conns.push({
        stream: s.resource,
        peer: c.peer,
        labels: { mode: c.mode, ...(c.user !== undefined ? { user: c.user } : {}) },
        stats: {
          ...c.stats,
          ...(c.mode === "publish" ? { mbpsRecvRate: rate } : { mbpsSendRate: rate }),
        },
      });
    }
  }
  const per = (
    name: string,
    type: "counter" | "gauge",
    help: string,
    value: (s: ServerSnapshot["streams"][number]) => number | undefined,
  ): MetricFamily => {
    const samples: MetricSample[] = [];
    for (const s of snap.streams) {
      const v = value(s);
      if (v !== undefined) samples.push({ labels: { stream: s.resource }, value: v });
    }
    return { name, type, help, samples };
  };
  const cc: MetricSample[] = [];
  const tr: MetricSample[] = [];
  for (const s of snap.streams) {
    const m = s.media;
    if (!m) continue;
    cc.push({
      labels: { stream: s.resource, cause: "srt_drop" },
      value: m.continuityErrorsFromSrtDrops,
    });
    cc.push({
      labels: { stream: s.resource, cause: "other" },
      value: m.continuityErrors - m.continuityErrorsFromSrtDrops,
    });
    for (const [indicator, value] of Object.entries(m.tr101290)) {
      tr.push({
        labels: { stream: s.resource, indicator, priority: TR_PRIORITY[indicator] ?? "2" },
        value,
      });
    }
  }
  return [
    ...srtMetricFamilies(conns),
    ...accessControlMetricFamilies(snap.access),
    {
      name: "tsrt_streams",
      type: "gauge",
      help: "Streams with a publisher or players.",
      samples: [{ value: snap.streams.length }],
    },
    per(
      "tsrt_stream_publishers",
      "gauge",
      "Publishers connected (0 or 1).",
      (s) => s.publisher ? 1 : 0,
    ),
    per("tsrt_stream_players", "gauge", "Players connected.", (s) => s.players.length),
    per(
      "tsrt_stream_received_bytes_total",
      "counter",
      "Payload bytes received from publishers.",
      (s) => s.receivedBytes,
    ),
    per(
      "tsrt_stream_received_payloads_total",
      "counter",
      "Payloads received from publishers.",
      (s) => s.receivedPayloads,
    ),
    per(
      "tsrt_stream_bitrate_bits_per_second",
      "gauge",
      "Publisher payload rate over the last second.",
      (s) => s.publisher?.bitsPerSecond ?? 0,
    ),
    per(
      "tsrt_stream_player_dropped_payloads_total",
      "counter",
      "Payloads dropped because a player's queue was full.",
      (s) => s.playerDrops,
    ),
    per("tsrt_stream_frames_total", "counter", "Frames assembled.", (s) => s.media?.frames),
    per(
      "tsrt_stream_keyframes_total",
      "counter",
      "Video key frames assembled.",
      (s) => s.media?.videoKeyframes,
    ),
    per(
      "tsrt_stream_pcr_jitter_seconds",
      "gauge",
      "PCR arrival jitter (RFC 3550 estimator).",
      (s) => s.media?.pcrJitterSeconds,
    ),
    {
      name: "tsrt_ts_continuity_errors_total",
      type: "counter",
      help: "TS continuity-count errors, by cause (srt_drop: the publisher's SRT dropped packets).",
      samples: cc,
    },
    {
      name: "tsrt_ts_errors_total",
      type: "counter",
      help: "ETSI TR 101 290 indicator occurrences.",
      samples: tr,
    },
  ];
}

/**
 * The Prometheus exposition text for a server snapshot.
 *
 * @param snap What `StreamServer.snapshot()` returned.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { renderStreamServerMetrics, StreamServer } from "@tsrt/tsrt/server";
 * const server = await StreamServer.start({ port: 0, hostname: "127.0.0.1" });
 * console.log(renderStreamServerMetrics(server.snapshot())); // Prometheus text
 * await server.close();
 * ```
 */
export function renderStreamServerMetrics(snap: ServerSnapshot): string {
  return renderPrometheus(streamServerMetricFamilies(snap));
}
