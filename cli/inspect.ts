/**
 * `tsrt inspect <input>`: receives any input and reports SRT health (for SRT inputs) and the
 * MPEG-TS analysis, live as text, or as JSON (at the end, or each `-s` period).
 *
 * @module
 */

import process from "node:process";
import type { SrtStats } from "../srt/stats.ts";
import type { Log } from "./_log.ts";
import type { CliArgs } from "./args.ts";
import type { Sink } from "./media_io.ts";
import { type MediaUri, redactSecrets } from "./media_uri.ts";
import { Relay } from "./relay.ts";
import { StatsReporter } from "./stats_format.ts";
import { StatusLine } from "./status_line.ts";
import { describeTs, TsAnalyzer } from "./ts_analyzer.ts";

/** Default period of the live text report. */
const REPORT_MS = 2000;

function analysisSink(analyzer: TsAnalyzer): Sink {
  return {
    label: "inspect",
    failure: undefined,
    ended: new Promise<void>(() => {}),
    write: (chunk) => analyzer.push(chunk, performance.now()),
    close: () => Promise.resolve(),
  };
}

function srtHealth(s: SrtStats): string {
  return `SRT: RTT ${s.msRTT.toFixed(1)} ms, ${s.pktRecvTotal} pkts received, ` +
    `${s.pktRcvLossTotal} lost, ${s.pktRcvRetransTotal} retransmitted, ` +
    `${s.pktRcvDropTotal} dropped, buffer ${
      Math.round(s.msRcvBuf)
    } ms, latency ${s.msRcvTsbPdDelay} ms`;
}

/**
 * Runs `tsrt inspect`.
 *
 * @param input the input URI
 * @param args the command line
 * @param log messages
 * @param signal ends the run
 * @returns the exit code
 */
export async function runInspect(
  input: MediaUri,
  args: CliArgs,
  log: Log,
  signal: AbortSignal,
): Promise<number> {
  const analyzer = new TsAnalyzer((m) => log.verbose(`TR 101 290: ${m}`));
  const relay = new Relay({
    input,
    output: analysisSink(analyzer),
    chunk: args.chunk,
    realtime: args.realtime,
    autoReconnect: args.autoReconnect,
    log,
    signal,
  });
  const reporter = new StatsReporter("json");
  let lastSrt: SrtStats | undefined;
  const doc = () => {
    const s = relay.srt?.stats() ?? lastSrt;
    return {
      input: redactSecrets(input.text),
      bytes: relay.bytes,
      srt: s ? reporter.record(s, performance.now()) : undefined,
      ts: analyzer.summary(),
    };
  };
  const status = new StatusLine();
  const tick = setInterval(() => {
    // The TR 101 290 timers start with the data: waiting for a caller is not a PAT error.
    if (relay.bytes > 0) analyzer.tick(performance.now());
    lastSrt = relay.srt?.stats() ?? lastSrt;
  }, 250);
  const period = args.statsEveryMs ?? REPORT_MS;
  const report = setInterval(() => {
    if (args.json) {
      if (args.statsEveryMs !== undefined) process.stdout.write(JSON.stringify(doc()) + "\n");
      return;
    }
    const lines = [
      `--- ${new Date().toISOString()} ${
        status.format({
          nowMs: performance.now(),
          bytes: relay.bytes,
          stats: undefined,
          side: relay.srtSide,
        })
      }`,
    ];
    const s = relay.srt?.stats();
    if (s) lines.push(srtHealth(s));
    lines.push(...describeTs(analyzer.summary()));
    process.stdout.write(lines.join("\n") + "\n");
  }, period);
  try {
    const r = await relay.run();
    if (relay.bytes > 0) analyzer.tick(performance.now());
    if (args.json) process.stdout.write(JSON.stringify(doc(), null, 2) + "\n");
    else {
      const lines = [`=== ${r.bytes} bytes received`];
      if (lastSrt) lines.push(srtHealth(lastSrt));
      lines.push(...describeTs(analyzer.summary()));
      process.stdout.write(lines.join("\n") + "\n");
    }
    if (r.failure) {
      log.error(r.failure.message);
      return 1;
    }
    return 0;
  } finally {
    clearInterval(tick);
    clearInterval(report);
  }
}
