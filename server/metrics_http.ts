/**
 * HTTP endpoints of a stream server, over `node:http` (which Deno and Bun both implement):
 *
 * - `GET /metrics`: Prometheus text exposition (see `stream_metrics.ts`);
 * - `GET /streams` (also `/stats.json`): the JSON snapshot of every stream and connection;
 * - `GET /healthz`: `ok`.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";
import { renderStreamServerMetrics } from "./stream_metrics.ts";
import type { ServerSnapshot } from "./stream_server.ts";

/**
 * Options of {@linkcode serveMetrics}.
 *
 * @example
 * ```ts
 * import { type MetricsHttpOptions, serveMetrics, StreamServer } from "@tsrt/tsrt/server";
 * const server = await StreamServer.start({ port: 0, hostname: "127.0.0.1" });
 * const options: MetricsHttpOptions = { port: 0, hostname: "127.0.0.1" };
 * const http = await serveMetrics(() => server.snapshot(), options);
 * console.log(`metrics on http://127.0.0.1:${http.port}/metrics`);
 * await http.close();
 * await server.close();
 * ```
 */
export interface MetricsHttpOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Address to bind. Default `127.0.0.1`. */
  hostname?: string;
}

/**
 * A running metrics endpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MetricsHttpServer, serveMetrics, StreamServer } from "@tsrt/tsrt/server";
 * const server = await StreamServer.start({ port: 0, hostname: "127.0.0.1" });
 * const http: MetricsHttpServer = await serveMetrics(() => server.snapshot(), { port: 0 });
 * const res = await fetch(`http://127.0.0.1:${http.port}/streams`);
 * assert.equal(res.status, 200);
 * await res.body?.cancel();
 * await http.close();
 * await server.close();
 * ```
 */
export interface MetricsHttpServer {
  /** The bound port. */
  readonly port: number;
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Serves a stream server's metrics and snapshot over HTTP.
 *
 * @param source Gives the current snapshot (e.g. `() => server.snapshot()`).
 * @param options Port and address.
 * @returns The running endpoint.
 *
 * @example
 * ```ts ignore
 * import { StreamServer } from "./stream_server.ts";
 * import { serveMetrics } from "./metrics_http.ts";
 * const server = await StreamServer.start({ port: 9000 });
 * const http = await serveMetrics(() => server.snapshot(), { port: 9100 });
 * // curl http://127.0.0.1:9100/metrics
 * ```
 */
export function serveMetrics(
  source: () => ServerSnapshot,
  options: MetricsHttpOptions,
): Promise<MetricsHttpServer> {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    try {
      if (path === "/metrics") {
        const body = renderStreamServerMetrics(source());
        res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(body);
      } else if (path === "/streams" || path === "/stats.json") {
        const body = JSON.stringify(source(), null, 2) + "\n";
        res.writeHead(200, { "content-type": "application/json" }).end(body);
      } else if (path === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      } else {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      }
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${(e as Error).message}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port, options.hostname ?? "127.0.0.1", () => {
      http.off("error", reject);
      resolve({
        port: (http.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            http.close(() => r());
            http.closeAllConnections?.();
          }),
      });
    });
  });
}
