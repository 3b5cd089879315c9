/**
 * The server side of tsrt: a live SRT stream server ({@linkcode StreamServer}) with access
 * control, per-stream TS analysis, Prometheus metrics over HTTP, and a reconnecting caller.
 *
 * @example
 * ```ts ignore
 * import { serveMetrics, StreamServer } from "@tsrt/tsrt/server";
 *
 * const server = await StreamServer.start({
 *   port: 9000,
 *   access: { resources: [{ match: "live/*" }] },
 *   players: { waitForPublisher: true },
 * });
 * await serveMetrics(() => server.snapshot(), { port: 9100 });
 * ```
 *
 * @module
 */

export * from "./stream_server.ts";
export * from "./player_queue.ts";
export * from "./stream_pipeline.ts";
export * from "./stream_metrics.ts";
export * from "./metrics_http.ts";
export * from "./reconnect.ts";
export * from "./access_control.ts";
export * from "./cidr.ts";
export * from "./bitrate.ts";
export * from "./prometheus.ts";
export * from "./prometheus_parse.ts";
export * from "./srt_metrics.ts";
export type { MissingModePolicy } from "../srt/haivision.ts";
export type {
  ParseStreamIdOptions,
  StreamIdDialect,
  StreamIdMode,
  StreamIdSyntax,
  StreamIdType,
} from "../srt/stream_id.ts";
