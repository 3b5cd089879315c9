/**
 * `tsrt serve --config tsrt.yaml`: runs a {@linkcode StreamServer} (and its metrics endpoint)
 * from a YAML configuration until SIGINT/SIGTERM, then shuts down gracefully.
 *
 * ```sh
 * deno run -A cli/serve.ts --config tsrt.yaml      # or: bun cli/serve.ts --config tsrt.yaml
 * ```
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { rejectReasonName } from "../srt/reject_reason.ts";
import { serveMetrics } from "../server/metrics_http.ts";
import { StreamServer, type StreamServerLogEntry } from "../server/stream_server.ts";
import { ConfigError, parseServeConfig } from "./config.ts";

/** `tsrt serve --help`. */
export const SERVE_HELP: string = `Usage: tsrt serve --config <file.yaml> [-v | -q]

Runs an SRT stream server: callers publish with a stream ID such as
"#!::r=live/cam1,m=publish" and play with "#!::r=live/cam1,m=request".

Options:
  -c, --config <file>   YAML configuration (srt, streams, limits, access, metrics)
  -v, --verbose         log every access decision and stream event (default: rejections,
                        publish and unpublish)
  -q, --quiet           log errors only
  -h, --help            this text

SIGINT or SIGTERM stops it gracefully: players get what is queued, everyone gets SHUTDOWN.
Exit status: 0 stopped, 1 could not start, 2 bad arguments or configuration.
`;

/** Where `runServe` writes; defaults to the process's stderr and signals. */
export interface ServeIo {
  /** Writes one line (with its newline). */
  write(line: string): void;
  /** Resolves when the server should stop. */
  stopSignal: Promise<string>;
}

function processIo(): ServeIo {
  return {
    write: (l) => void process.stderr.write(l),
    stopSignal: new Promise((resolve) => {
      // process.on, not once: Deno's node:process installs OS signal handlers for on() only.
      let count = 0;
      const on = (sig: string) => {
        if (++count > 1) process.exit(sig === "SIGINT" ? 130 : 143); // a second signal: at once
        resolve(sig);
      };
      process.on("SIGINT", () => on("SIGINT"));
      process.on("SIGTERM", () => on("SIGTERM"));
    }),
  };
}

/** One line for a log entry, or undefined when the verbosity hides it. */
function describe(e: StreamServerLogEntry, verbosity: number): string | undefined {
  if (e.kind === "access") {
    const who = `${e.peer}${e.user !== undefined ? ` user=${e.user}` : ""}`;
    const what = e.resource !== undefined ? ` ${e.mode ?? ""} ${e.resource}` : "";
    if (e.accept) {
      return verbosity >= 2
        ? `accept ${who}${what}${e.encrypted ? " (encrypted)" : ""}`
        : undefined;
    }
    return verbosity >= 1
      ? `reject ${who}${what}: ${rejectReasonName(e.reason ?? 0)}: ${e.message}`
      : undefined;
  }
  const who = `${e.peer}${e.user !== undefined ? ` user=${e.user}` : ""}`;
  const err = e.error !== undefined ? ` (${e.error})` : "";
  if (e.kind === "publish" || e.kind === "unpublish") {
    return verbosity >= 1 ? `${e.kind} ${e.resource} by ${who}${err}` : undefined;
  }
  return verbosity >= 2
    ? `${e.kind === "play" ? "play" : "stop"} ${e.resource} by ${who}${err}`
    : undefined;
}

/**
 * Runs `tsrt serve`.
 *
 * @param argv Arguments after `serve`.
 * @param io Output and stop signal (default: stderr, SIGINT/SIGTERM).
 * @returns The exit status.
 */
export async function runServe(argv: readonly string[], io?: ServeIo): Promise<number> {
  let configPath: string | undefined;
  let verbosity = 1;
  const out = io?.write ?? ((l: string) => void process.stderr.write(l));
  const usage = (m: string) => {
    out(`tsrt serve: ${m}\nRun "tsrt serve --help" for usage.\n`);
    return 2;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") {
      out(SERVE_HELP);
      return 0;
    } else if (a === "-c" || a === "--config") {
      configPath = argv[++i];
      if (configPath === undefined) return usage(`${a} needs a file`);
    } else if (a.startsWith("--config=")) configPath = a.slice(9);
    else if (a === "-v" || a === "--verbose") verbosity = 2;
    else if (a === "-q" || a === "--quiet") verbosity = 0;
    else return usage(`unknown argument ${JSON.stringify(a)}`);
  }
  if (configPath === undefined) return usage("--config <file> is required");
  let text: string;
  try {
    text = readFileSync(configPath, "utf8");
  } catch (e) {
    return usage(`cannot read ${configPath}: ${(e as Error).message}`);
  }
  let config;
  try {
    config = parseServeConfig(text, configPath);
  } catch (e) {
    if (e instanceof ConfigError) {
      out(`tsrt serve: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const ioUsed = io ?? processIo();
  let server: StreamServer;
  try {
    server = await StreamServer.start({
      ...config.server,
      log: (e) => {
        const line = describe(e, verbosity);
        if (line !== undefined) out(`tsrt serve: ${line}\n`);
      },
    });
  } catch (e) {
    out(`tsrt serve: cannot start: ${(e as Error).message}\n`);
    return 1;
  }
  let http: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (config.metrics) {
    try {
      http = await serveMetrics(() => server.snapshot(), config.metrics);
    } catch (e) {
      await server.close();
      out(`tsrt serve: cannot start metrics: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const srt = config.server.srt ?? {};
  const addr = server.address;
  const enc = srt.passphrase !== undefined ? `, AES-${(srt.pbkeylen || 16) * 8}` : "";
  out(
    `tsrt serve: listening on srt://${addr.hostname}:${addr.port} ` +
      `(latency ${srt.latency ?? 120} ms${enc})\n`,
  );
  if (http) {
    out(
      `tsrt serve: metrics on http://${config.metrics!.hostname}:${http.port}/metrics ` +
        `and /streams\n`,
    );
  }
  const sig = await ioUsed.stopSignal;
  out(`tsrt serve: ${sig}: shutting down (${server.connectionCount} connections)\n`);
  await server.close();
  await http?.close();
  const a = server.accessCounters;
  out(`tsrt serve: stopped; ${a.accepted} callers accepted, ${a.rejected} rejected\n`);
  return 0;
}

if (import.meta.main) {
  runServe(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`tsrt serve: internal error: ${(e as Error)?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
