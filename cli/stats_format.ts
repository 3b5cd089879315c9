/**
 * Periodic statistics as srt-live-transmit prints them with `-s`/`-pf`: JSON (one object per
 * line), CSV (a header, then one row per report) or text. Field names are libsrt's.
 *
 * @module
 */

import type { SrtStats } from "../srt/stats.ts";
import type { StatsFormat } from "./args.ts";

/** libsrt-named counters and gauges in each report, in order. */
export const STATS_FIELDS: readonly string[] = [
  "msTimeStamp",
  "pktSentTotal",
  "pktSentUniqueTotal",
  "pktRetransTotal",
  "pktSndLossTotal",
  "pktSndDropTotal",
  "pktRecvTotal",
  "pktRecvUniqueTotal",
  "pktRcvLossTotal",
  "pktRcvRetransTotal",
  "pktRcvDropTotal",
  "pktRcvBelatedTotal",
  "byteSentTotal",
  "byteRecvTotal",
  "mbpsSendRate",
  "mbpsRecvRate",
  "msRTT",
  "mbpsBandwidth",
  "pktFlightSize",
  "pktSndBuf",
  "pktRcvBuf",
  "msRcvBuf",
  "msRcvTsbPdDelay",
  "msSndTsbPdDelay",
];

/** One report: a timestamp and the fields of {@linkcode STATS_FIELDS}. */
export type StatsRecord = Record<string, number | string>;

/** Turns successive snapshots into reports, computing send and receive rates in between. */
export class StatsReporter {
  readonly #format: StatsFormat;
  #prev: { at: number; sent: number; recv: number } | undefined;
  #headerDone = false;

  /** @param format json, csv or text */
  constructor(format: StatsFormat) {
    this.#format = format;
  }

  /**
   * Builds the record for one snapshot.
   *
   * @param stats the snapshot
   * @param nowMs a monotonic time in ms (rates are computed against the previous call)
   * @returns the record
   */
  record(stats: SrtStats, nowMs: number): StatsRecord {
    const p = this.#prev;
    const span = p ? nowMs - p.at : 0;
    const rate = (bytes: number) => (span > 0 ? (bytes * 8) / span / 1000 : 0);
    const r: StatsRecord = { timepoint: new Date().toISOString() };
    const s = stats as unknown as Record<string, number>;
    for (const f of STATS_FIELDS) r[f] = s[f] ?? 0;
    r.mbpsSendRate = round3(rate(stats.byteSentTotal - (p?.sent ?? stats.byteSentTotal)));
    r.mbpsRecvRate = round3(rate(stats.byteRecvTotal - (p?.recv ?? stats.byteRecvTotal)));
    r.msRTT = round3(stats.msRTT);
    r.mbpsBandwidth = round3(stats.mbpsBandwidth);
    r.msRcvBuf = round3(stats.msRcvBuf);
    this.#prev = { at: nowMs, sent: stats.byteSentTotal, recv: stats.byteRecvTotal };
    return r;
  }

  /**
   * Formats one snapshot (CSV: the header comes before the first row).
   *
   * @param stats the snapshot
   * @param nowMs a monotonic time in ms
   * @returns text ending with a newline
   */
  format(stats: SrtStats, nowMs: number): string {
    return formatRecord(this.record(stats, nowMs), this.#format, () => {
      const first = !this.#headerDone;
      this.#headerDone = true;
      return first;
    });
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Formats a record.
 *
 * @param r the record
 * @param format json, csv or text
 * @param wantHeader for CSV: whether to print the header first
 * @returns text ending with a newline
 */
export function formatRecord(
  r: StatsRecord,
  format: StatsFormat,
  wantHeader: () => boolean = () => false,
): string {
  if (format === "json") return JSON.stringify(r) + "\n";
  if (format === "csv") {
    const keys = Object.keys(r);
    const row = keys.map((k) => String(r[k])).join(",") + "\n";
    return wantHeader() ? keys.join(",") + "\n" + row : row;
  }
  return `[${r.timepoint}] RTT ${r.msRTT} ms, bandwidth ${r.mbpsBandwidth} Mb/s\n` +
    `  send: ${r.mbpsSendRate} Mb/s, ${r.pktSentTotal} pkts, ${r.pktRetransTotal} retrans, ` +
    `${r.pktSndLossTotal} lost, ${r.pktSndDropTotal} dropped, ${r.pktFlightSize} in flight\n` +
    `  recv: ${r.mbpsRecvRate} Mb/s, ${r.pktRecvTotal} pkts, ${r.pktRcvRetransTotal} retrans, ` +
    `${r.pktRcvLossTotal} lost, ${r.pktRcvDropTotal} dropped, buffer ${r.msRcvBuf} ms\n`;
}
