/**
 * Connection statistics, named, scaled and meant like libsrt's `CBytePerfMon` (see libsrt's
 * `docs/API/statistics.md`), so that figures can be compared side by side with
 * srt-live-transmit's:
 *
 * - accumulated counters (`*Total`) over the life of the connection;
 * - interval values (the same names without `Total`, plus `mbpsSendRate`, `mbpsRecvRate`,
 *   `pktReorderDistance`, `pktRcvBelated`) since the connection started or since the last
 *   `stats(now, { clear: true })`, like `srt_bstats(sock, &perf, clear)`;
 * - instantaneous values (RTT, buffers, flight size, flow window, send period, latency,
 *   reorder tolerance, belated time, link capacity).
 *
 * tsrt adds a few figures libsrt lacks: duplicates and invalid datagrams received, the loss
 * still pending, loss rates in percent and the interarrival jitter.
 *
 * @module
 */

import type { FecFilterStats } from "./fec_filter.ts";

/**
 * Counters accumulated over the life of a connection (libsrt's `*Total` fields).
 *
 * @example
 * ```ts
 * import type { SrtCounters, SrtSocket } from "@tsrt/tsrt";
 * function lossRatio(socket: SrtSocket): number {
 *   const s: Readonly<SrtCounters> = socket.stats();
 *   return s.pktRecvTotal === 0 ? 0 : s.pktRcvLossTotal / s.pktRecvTotal;
 * }
 * console.log(typeof lossRatio);
 * ```
 */
export interface SrtCounters {
  /** Data packets sent, retransmissions included. */
  pktSentTotal: number;
  /** Data packets received, retransmissions and duplicates included. */
  pktRecvTotal: number;
  /** Distinct data packets sent (no retransmissions). */
  pktSentUniqueTotal: number;
  /** Distinct data packets received and accepted into the buffer. */
  pktRecvUniqueTotal: number;
  /** Packets the peer reported lost (each report counts). */
  pktSndLossTotal: number;
  /** Packets detected lost by this receiver (gaps in the sequence). */
  pktRcvLossTotal: number;
  /** Packets retransmitted. */
  pktRetransTotal: number;
  /** Retransmitted packets received. */
  pktRcvRetransTotal: number;
  /** ACKs sent (full and light). */
  pktSentACKTotal: number;
  /** ACKs received. */
  pktRecvACKTotal: number;
  /** NAKs sent. */
  pktSentNAKTotal: number;
  /** NAKs received. */
  pktRecvNAKTotal: number;
  /** Time (us) the sender had data unacknowledged or waiting. */
  usSndDurationTotal: number;
  /** Packets the sender dropped as too late. */
  pktSndDropTotal: number;
  /** Packets the receiver skipped or dropped as too late (never delivered). */
  pktRcvDropTotal: number;
  /** Packets that could not be decrypted (never delivered). */
  pktRcvUndecryptTotal: number;
  /** Packets that arrived behind the delivery point (already played, skipped or dropped). */
  pktRcvBelatedTotal: number;
  /** Duplicate packets received and discarded (not a libsrt field). */
  pktRcvDuplicate: number;
  /** Datagrams that were not valid SRT packets, discarded (not a libsrt field). */
  pktRcvInvalid: number;
  /** Largest reorder distance (packets) seen since the last clear (libsrt: interval value). */
  pktReorderDistance: number;
  /** Payload bytes sent, retransmissions included. */
  byteSentTotal: number;
  /** Payload bytes received, retransmissions and duplicates included. */
  byteRecvTotal: number;
  /** Distinct payload bytes sent. */
  byteSentUniqueTotal: number;
  /** Distinct payload bytes received. */
  byteRecvUniqueTotal: number;
  /** Payload bytes of packets detected lost (estimated from the packet after the gap). */
  byteRcvLossTotal: number;
  /** Payload bytes retransmitted. */
  byteRetransTotal: number;
  /** Payload bytes the receiver skipped or dropped as too late. */
  byteRcvDropTotal: number;
  /** Payload bytes the sender dropped as too late. */
  byteSndDropTotal: number;
  /** Payload bytes that could not be decrypted. */
  byteRcvUndecryptTotal: number;
}

/**
 * Interval values: the change of each `*Total` counter since the last clear, and rates.
 *
 * @example
 * ```ts
 * import { SrtEndpoint, type SrtIntervalStats } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const conn = endpoint.connect(0, { hostname: "192.0.2.10", port: 9000 });
 * // Interval values count since the last snapshot taken with clear: true.
 * const interval: SrtIntervalStats = conn.stats(1_000_000, { clear: true });
 * console.log(interval.pktSent, interval.mbpsSendRate);
 * ```
 */
export interface SrtIntervalStats {
  /** Data packets sent in the interval. */
  readonly pktSent: number;
  /** Data packets received in the interval. */
  readonly pktRecv: number;
  /** Distinct data packets sent. */
  readonly pktSentUnique: number;
  /** Distinct data packets received. */
  readonly pktRecvUnique: number;
  /** Packets the peer reported lost. */
  readonly pktSndLoss: number;
  /** Packets detected lost. */
  readonly pktRcvLoss: number;
  /** Packets retransmitted. */
  readonly pktRetrans: number;
  /** Retransmitted packets received. */
  readonly pktRcvRetrans: number;
  /** ACKs sent. */
  readonly pktSentACK: number;
  /** ACKs received. */
  readonly pktRecvACK: number;
  /** NAKs sent. */
  readonly pktSentNAK: number;
  /** NAKs received. */
  readonly pktRecvNAK: number;
  /** Time (us) the sender had data to send. */
  readonly usSndDuration: number;
  /** Packets the sender dropped. */
  readonly pktSndDrop: number;
  /** Packets the receiver dropped. */
  readonly pktRcvDrop: number;
  /** Packets that could not be decrypted. */
  readonly pktRcvUndecrypt: number;
  /** Belated packets received. */
  readonly pktRcvBelated: number;
  /** Payload bytes sent. */
  readonly byteSent: number;
  /** Payload bytes received. */
  readonly byteRecv: number;
  /** Distinct payload bytes sent. */
  readonly byteSentUnique: number;
  /** Distinct payload bytes received. */
  readonly byteRecvUnique: number;
  /** Payload bytes detected lost. */
  readonly byteRcvLoss: number;
  /** Payload bytes retransmitted. */
  readonly byteRetrans: number;
  /** Payload bytes the sender dropped. */
  readonly byteSndDrop: number;
  /** Payload bytes the receiver dropped. */
  readonly byteRcvDrop: number;
  /** Payload bytes that could not be decrypted. */
  readonly byteRcvUndecrypt: number;
  /** Send rate over the interval in Mbit/s, headers included (libsrt counts 44 per packet). */
  readonly mbpsSendRate: number;
  /** Receive rate over the interval in Mbit/s, headers included. */
  readonly mbpsRecvRate: number;
  /** Receiver loss over the interval, percent of the packets expected (not a libsrt field). */
  readonly pctRcvLoss: number;
  /** Loss reported by the peer over the interval, percent of packets sent (not a libsrt field). */
  readonly pctSndLoss: number;
}

/**
 * Instantaneous values supplied by the connection's halves.
 *
 * @example
 * ```ts
 * import { SrtEndpoint, type SrtGauges } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const conn = endpoint.connect(0, { hostname: "192.0.2.10", port: 9000 });
 * const gauges: SrtGauges = conn.stats(0);
 * console.log(gauges.msRTT, gauges.msRcvTsbPdDelay);
 * ```
 */
export interface SrtGauges {
  /** Smoothed round-trip time in milliseconds. */
  readonly msRTT: number;
  /** Round-trip time variance in milliseconds (not a libsrt field). */
  readonly msRTTVar: number;
  /** Estimated link capacity in Mbit/s. */
  readonly mbpsBandwidth: number;
  /** Packets sent but not yet acknowledged. */
  readonly pktFlightSize: number;
  /** The window the peer allows: min(its flow window, its free buffer), in packets. */
  readonly pktFlowWindow: number;
  /** Live mode has no congestion window: the flow window (libsrt's LiveCC does the same). */
  readonly pktCongestionWindow: number;
  /** Interval between two paced packets in microseconds. */
  readonly usPktSndPeriod: number;
  /** The bandwidth ceiling of the pacer in Mbit/s. */
  readonly mbpsMaxBW: number;
  /** Maximum segment size in bytes. */
  readonly byteMSS: number;
  /** Packets in the send buffer (unacknowledged or waiting to go out). */
  readonly pktSndBuf: number;
  /** Payload bytes in the send buffer. */
  readonly byteSndBuf: number;
  /** Span of the send buffer in milliseconds. */
  readonly msSndBuf: number;
  /** Free send buffer in bytes (at the payload size). */
  readonly byteAvailSndBuf: number;
  /** Packets in the receive buffer, waiting for delivery. */
  readonly pktRcvBuf: number;
  /** Payload bytes in the receive buffer. */
  readonly byteRcvBuf: number;
  /** Span of the receive buffer in milliseconds of stream time. */
  readonly msRcvBuf: number;
  /** Free receive buffer in bytes (at the payload size). */
  readonly byteAvailRcvBuf: number;
  /** Latency applied when receiving, in milliseconds. */
  readonly msRcvTsbPdDelay: number;
  /** Latency the peer applies to what this side sends, in milliseconds. */
  readonly msSndTsbPdDelay: number;
  /** Packets the receiver waits for before reporting a gap (SRTO_LOSSMAXTTL). */
  readonly pktReorderTolerance: number;
  /** Average lateness of belated packets in milliseconds. */
  readonly pktRcvAvgBelatedTime: number;
  /** Packets currently known lost and not yet recovered (not a libsrt field). */
  readonly pktRcvLossPending: number;
  /** RFC 3550 interarrival jitter of data packets in microseconds (not a libsrt field). */
  readonly usRcvJitter: number;
  /** Clock drift the TSBPD drift tracer currently applies, in microseconds. */
  readonly usRcvDrift: number;
}

/**
 * A statistics snapshot: accumulated counters, interval values and instantaneous values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SrtEndpoint, type SrtStats } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const conn = endpoint.connect(0, { hostname: "192.0.2.10", port: 9000 });
 * const stats: SrtStats = conn.stats(2_000_000);
 * assert.equal(stats.msTimeStamp, 2000);
 * assert.equal(stats.pktRetransTotal, 0);
 * ```
 */
export interface SrtStats
  extends Readonly<SrtCounters>, SrtIntervalStats, SrtGauges, FecFilterStats {
  /** Milliseconds since the connection started. */
  readonly msTimeStamp: number;
  /** Length of the interval in milliseconds. */
  readonly msInterval: number;
}

/**
 * Options of a statistics snapshot.
 *
 * @example
 * ```ts
 * import { SrtEndpoint, type StatsOptions } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const conn = endpoint.connect(0, { hostname: "192.0.2.10", port: 9000 });
 * // One-second intervals, as srt-live-transmit -s 1000 prints them.
 * const everySecond: StatsOptions = { clear: true };
 * for (let t = 1; t <= 3; t++) console.log(conn.stats(t * 1_000_000, everySecond).pktSent);
 * ```
 */
export interface StatsOptions {
  /** Start a new interval after this snapshot (libsrt's `clear`). */
  readonly clear?: boolean;
}

/** A zeroed set of counters. */
export function newCounters(): SrtCounters {
  return {
    pktSentTotal: 0,
    pktRecvTotal: 0,
    pktSentUniqueTotal: 0,
    pktRecvUniqueTotal: 0,
    pktSndLossTotal: 0,
    pktRcvLossTotal: 0,
    pktRetransTotal: 0,
    pktRcvRetransTotal: 0,
    pktSentACKTotal: 0,
    pktRecvACKTotal: 0,
    pktSentNAKTotal: 0,
    pktRecvNAKTotal: 0,
    usSndDurationTotal: 0,
    pktSndDropTotal: 0,
    pktRcvDropTotal: 0,
    pktRcvUndecryptTotal: 0,
    pktRcvBelatedTotal: 0,
    pktRcvDuplicate: 0,
    pktRcvInvalid: 0,
    pktReorderDistance: 0,
    byteSentTotal: 0,
    byteRecvTotal: 0,
    byteSentUniqueTotal: 0,
    byteRecvUniqueTotal: 0,
    byteRcvLossTotal: 0,
    byteRetransTotal: 0,
    byteRcvDropTotal: 0,
    byteSndDropTotal: 0,
    byteRcvUndecryptTotal: 0,
  };
}

/** Bytes libsrt adds per packet to payload bytes when it computes rates (SRT + UDP + IPv4). */
const PACKET_HEADER_BYTES = 44;

/**
 * Keeps the start of the current interval and builds snapshots.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newCounters, StatsTracker } from "./stats.ts";
 * const c = newCounters();
 * const t = new StatsTracker(c, 0);
 * c.pktSentTotal = 10;
 * c.byteSentTotal = 10_000;
 * assert.equal(t.interval(1_000_000, true).pktSent, 10);
 * c.pktSentTotal = 15;
 * assert.equal(t.interval(2_000_000, false).pktSent, 5);
 * ```
 */
export class StatsTracker {
  #counters: SrtCounters;
  #start: SrtCounters;
  #startUs: number;

  /**
   * @param counters The live counters.
   * @param now Start of the first interval (us).
   */
  constructor(counters: SrtCounters, now: number) {
    this.#counters = counters;
    this.#start = { ...counters };
    this.#startUs = now;
  }

  /**
   * The interval values at `now`; with `clear`, a new interval starts.
   *
   * @param now Current time (us).
   * @param clear Start a new interval afterwards.
   * @returns The interval values and the interval length.
   */
  interval(now: number, clear: boolean): SrtIntervalStats & { readonly msInterval: number } {
    const c = this.#counters;
    const s = this.#start;
    const us = Math.max(1, now - this.#startUs);
    const pktSent = c.pktSentTotal - s.pktSentTotal;
    const pktRecv = c.pktRecvTotal - s.pktRecvTotal;
    const byteSent = c.byteSentTotal - s.byteSentTotal;
    const byteRecv = c.byteRecvTotal - s.byteRecvTotal;
    const pktRcvLoss = c.pktRcvLossTotal - s.pktRcvLossTotal;
    const pktRecvUnique = c.pktRecvUniqueTotal - s.pktRecvUniqueTotal;
    const pktSndLoss = c.pktSndLossTotal - s.pktSndLossTotal;
    const pktSentUnique = c.pktSentUniqueTotal - s.pktSentUniqueTotal;
    const out = {
      msInterval: us / 1000,
      pktSent,
      pktRecv,
      pktSentUnique,
      pktRecvUnique,
      pktSndLoss,
      pktRcvLoss,
      pktRetrans: c.pktRetransTotal - s.pktRetransTotal,
      pktRcvRetrans: c.pktRcvRetransTotal - s.pktRcvRetransTotal,
      pktSentACK: c.pktSentACKTotal - s.pktSentACKTotal,
      pktRecvACK: c.pktRecvACKTotal - s.pktRecvACKTotal,
      pktSentNAK: c.pktSentNAKTotal - s.pktSentNAKTotal,
      pktRecvNAK: c.pktRecvNAKTotal - s.pktRecvNAKTotal,
      usSndDuration: c.usSndDurationTotal - s.usSndDurationTotal,
      pktSndDrop: c.pktSndDropTotal - s.pktSndDropTotal,
      pktRcvDrop: c.pktRcvDropTotal - s.pktRcvDropTotal,
      pktRcvUndecrypt: c.pktRcvUndecryptTotal - s.pktRcvUndecryptTotal,
      pktRcvBelated: c.pktRcvBelatedTotal - s.pktRcvBelatedTotal,
      byteSent,
      byteRecv,
      byteSentUnique: c.byteSentUniqueTotal - s.byteSentUniqueTotal,
      byteRecvUnique: c.byteRecvUniqueTotal - s.byteRecvUniqueTotal,
      byteRcvLoss: c.byteRcvLossTotal - s.byteRcvLossTotal,
      byteRetrans: c.byteRetransTotal - s.byteRetransTotal,
      byteSndDrop: c.byteSndDropTotal - s.byteSndDropTotal,
      byteRcvDrop: c.byteRcvDropTotal - s.byteRcvDropTotal,
      byteRcvUndecrypt: c.byteRcvUndecryptTotal - s.byteRcvUndecryptTotal,
      mbpsSendRate: ((byteSent + pktSent * PACKET_HEADER_BYTES) * 8) / us,
      mbpsRecvRate: ((byteRecv + pktRecv * PACKET_HEADER_BYTES) * 8) / us,
      pctRcvLoss: pktRcvLoss > 0 ? (100 * pktRcvLoss) / (pktRecvUnique + pktRcvLoss) : 0,
      pctSndLoss: pktSndLoss > 0 ? (100 * pktSndLoss) / Math.max(pktSent, pktSentUnique) : 0,
    };
    if (clear) {
      this.#start = { ...c };
      this.#startUs = now;
      c.pktReorderDistance = 0;
    }
    return out;
  }
}
