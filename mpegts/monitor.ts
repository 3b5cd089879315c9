/**
 * ETSI TR 101 290 priority 1 and 2 indicators and bitrates, driven by a {@link TsDemuxer}'s
 * events and by caller-supplied time (milliseconds), so it is deterministic under test.
 *
 * ```
 * 1.1 TS_sync_loss          sync lost with more than one packet of bytes skipped
 * 1.2 Sync_byte_error       a sync byte missing where one was due
 * 1.3a PAT_error_2          no PAT section for > patIntervalMs (500); other table_id or scrambled on PID 0
 * 1.4 Continuity_count_error  loss, reordering or a packet seen more than twice
 * 1.5a PMT_error_2          a program's PMT absent for > pmtIntervalMs (500); scrambled PMT PID
 * 1.6 PID_error             a PID referenced by a PMT silent for > pidTimeoutMs (5000)
 * 2.1 Transport_error       transport_error_indicator set
 * 2.2 CRC_error             bad CRC_32 in a PSI/SI section
 * 2.3a PCR_repetition_error PCR interval > pcrRepetitionMs (40; "warning" up to 100, "error" above)
 * 2.3b PCR_discontinuity_indicator_error  PCR step outside 0..pcrDiscontinuityMs (100) unflagged
 * 2.5 PTS_error             PTS interval on a PID > ptsIntervalMs (700)
 * 2.6 CAT_error             scrambled packets without a CAT, or another table_id on PID 1
 * PCR intervals are measured on the PCR clock itself; the others on caller time.
 * 2.4 PCR_accuracy_error needs arrival timestamps precise to well under 500 ns and is not
 * evaluated.
 * ```
 *
 * @module
 */

import type { DemuxEvent, TsDemuxer } from "./demuxer.ts";
import { PCR_HZ } from "./packet.ts";

/**
 * TR 101 290 indicator names (priority 1 and 2).
 *
 * @example
 * ```ts
 * import { TsDemuxer, TsMonitor, type Tr101290Indicator } from "@tsrt/tsrt/mpegts";
 * const monitor = new TsMonitor(new TsDemuxer());
 * const watched: Tr101290Indicator[] = ["TS_sync_loss", "PAT_error_2", "Continuity_count_error"];
 * const total = watched.reduce((n, i) => n + monitor.counts[i], 0);
 * console.log(`priority 1 errors: ${total}`);
 * ```
 */
export type Tr101290Indicator =
  | "TS_sync_loss"
  | "Sync_byte_error"
  | "PAT_error_2"
  | "Continuity_count_error"
  | "PMT_error_2"
  | "PID_error"
  | "Transport_error"
  | "CRC_error"
  | "PCR_repetition_error"
  | "PCR_discontinuity_indicator_error"
  | "PTS_error"
  | "CAT_error";

const PRIORITY: Record<Tr101290Indicator, 1 | 2> = {
  TS_sync_loss: 1,
  Sync_byte_error: 1,
  PAT_error_2: 1,
  Continuity_count_error: 1,
  PMT_error_2: 1,
  PID_error: 1,
  Transport_error: 2,
  CRC_error: 2,
  PCR_repetition_error: 2,
  PCR_discontinuity_indicator_error: 2,
  PTS_error: 2,
  CAT_error: 2,
};

/**
 * One indicator occurrence.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MonitorEvent, TsDemuxer, TsMonitor } from "@tsrt/tsrt/mpegts";
 * const events: MonitorEvent[] = [];
 * const demux = new TsDemuxer();
 * const monitor = new TsMonitor(demux, { onEvent: (e) => events.push(e) });
 * const nulls = new Uint8Array(7 * 188); // stuffing only, so no PAT
 * for (let i = 0; i < 7; i++) nulls.set([0x47, 0x1f, 0xff, 0x10 | i], i * 188);
 * demux.push(nulls, 0);
 * monitor.check(1000);
 * const patMissing = events.find((e) => e.indicator === "PAT_error_2");
 * assert.equal(patMissing?.priority, 1);
 * assert.equal(patMissing?.severity, "error");
 * ```
 */
export interface MonitorEvent {
  /** the indicator */
  indicator: Tr101290Indicator;
  /** 1 or 2 */
  priority: 1 | 2;
  /** "warning" for PCR intervals between the threshold and 100 ms, else "error" */
  severity: "error" | "warning";
  /** PID concerned, -1 when none */
  pid: number;
  /** caller time (ms) */
  time: number;
  /** human-readable detail */
  message: string;
}

/**
 * Thresholds, all in milliseconds.
 *
 * @example
 * ```ts
 * import { type MonitorOptions, TsDemuxer, TsMonitor } from "@tsrt/tsrt/mpegts";
 * // ISO/IEC 13818-1's 100 ms PCR interval instead of DVB's 40 ms, and a 2 s bitrate window.
 * const options: MonitorOptions = { pcrRepetitionMs: 100, bitrateWindowMs: 2000 };
 * const monitor = new TsMonitor(new TsDemuxer(), options);
 * monitor.check(performance.now());
 * ```
 */
export interface MonitorOptions {
  /** 1.3a, default 500 */
  patIntervalMs?: number;
  /** 1.5a, default 500 */
  pmtIntervalMs?: number;
  /** 1.6, default 5000 */
  pidTimeoutMs?: number;
  /** 2.3a, default 40 (ISO/IEC 13818-1 allows 100) */
  pcrRepetitionMs?: number;
  /** 2.3b, default 100 */
  pcrDiscontinuityMs?: number;
  /** 2.5, default 700 */
  ptsIntervalMs?: number;
  /** bitrate averaging window, default 1000 */
  bitrateWindowMs?: number;
  /** receives every indicator occurrence */
  onEvent?: (event: MonitorEvent) => void;
}

function zeroCounts(): Record<Tr101290Indicator, number> {
  const c = {} as Record<Tr101290Indicator, number>;
  for (const k of Object.keys(PRIORITY) as Tr101290Indicator[]) c[k] = 0;
  return c;
}

const PCR_WRAP = 8589934592 * 300;

/**
 * The monitor. It subscribes to the demuxer; call {@link TsMonitor.check} with the current
 * time when no data arrives, so that timeouts fire during silence too.
 *
 * @example
 * ```ts
 * import { TsDemuxer } from "./demuxer.ts";
 * import { TsMonitor } from "./monitor.ts";
 * const demux = new TsDemuxer();
 * const mon = new TsMonitor(demux, { onEvent: (e) => console.log(e.indicator, e.pid) });
 * const nulls = new Uint8Array(7 * 188); // stuffing only, so no PAT
 * for (let i = 0; i < 7; i++) nulls.set([0x47, 0x1f, 0xff, 0x10 | i], i * 188);
 * demux.push(nulls, 0);
 * mon.check(1000);
 * mon.counts.PAT_error_2; // 1: no PAT for a second
 * ```
 */
export class TsMonitor {
  /** Occurrences per indicator. */
  readonly counts: Record<Tr101290Indicator, number> = zeroCounts();
  /** Bits per second per PID over the last complete window. */
  readonly bitrates: Map<number, number> = new Map();
  /** Bits per second of the whole stream over the last complete window. */
  totalBitrate: number = 0;

  private readonly _demux: TsDemuxer;
  private readonly _o: Required<Omit<MonitorOptions, "onEvent">>;
  private readonly _onEvent: ((e: MonitorEvent) => void) | undefined;
  private _start = -1;
  private _lastPat = -1;
  private _catSeen = false;
  private _catAlarmed = false;
  private readonly _lastPmt: Map<number, number> = new Map();
  private readonly _lastPcr: Map<number, number> = new Map();
  private readonly _lastPts: Map<number, number> = new Map();
  private readonly _pidSeen: Map<number, number> = new Map();
  private readonly _pidCount: Map<number, number> = new Map();
  private _winStart = -1;
  private _winBytes = 0;
  private _winPackets: Float64Array = new Float64Array(8192);
  private readonly _unsubscribe: () => void;

  /**
   * Subscribes to a demuxer at once; the first {@link TsMonitor.check} (called by every
   * demuxer event too) starts the clocks and the first bitrate window.
   *
   * @param demuxer the demuxer to watch; call {@link TsMonitor.detach} to unsubscribe
   * @param options thresholds in milliseconds (defaults: PAT and PMT 500, PID 5000, PCR
   *   repetition 40, PCR discontinuity 100, PTS 700, bitrate window 1000) and the event
   *   callback
   */
  constructor(demuxer: TsDemuxer, options: MonitorOptions = {}) {
    this._demux = demuxer;
    this._onEvent = options.onEvent;
    this._o = {
      patIntervalMs: options.patIntervalMs ?? 500,
      pmtIntervalMs: options.pmtIntervalMs ?? 500,
      pidTimeoutMs: options.pidTimeoutMs ?? 5000,
      pcrRepetitionMs: options.pcrRepetitionMs ?? 40,
      pcrDiscontinuityMs: options.pcrDiscontinuityMs ?? 100,
      ptsIntervalMs: options.ptsIntervalMs ?? 700,
      bitrateWindowMs: options.bitrateWindowMs ?? 1000,
    };
    this._unsubscribe = demuxer.on((ev) => this._on(ev));
  }

  /** Stops watching the demuxer. */
  detach(): void {
    this._unsubscribe();
  }

  /**
   * Evaluates the time-based indicators and the bitrate window at `now`.
   *
   * @param now caller time in milliseconds
   */
  check(now: number): void {
    if (this._start < 0) {
      this._start = now;
      this._lastPat = now;
      this._winStart = now;
      this._winBytes = this._demux.counters.bytes;
      this._winPackets.set(this._demux.pidPackets);
      return;
    }
    const o = this._o;
    if (now - this._lastPat > o.patIntervalMs) {
      this._raise("PAT_error_2", 0, now, `no PAT for ${Math.round(now - this._lastPat)} ms`);
      this._lastPat = now;
    }
    const pat = this._demux.pat;
    if (pat) {
      for (const p of pat.programs) {
        const last = this._lastPmt.get(p.programNumber);
        if (last === undefined) {
          this._lastPmt.set(p.programNumber, now);
        } else if (now - last > o.pmtIntervalMs) {
          this._raise(
            "PMT_error_2",
            p.pmtPid,
            now,
            `no PMT for program ${p.programNumber} for ${Math.round(now - last)} ms`,
          );
          this._lastPmt.set(p.programNumber, now);
        }
      }
    }
    const counts = this._demux.pidPackets;
    for (const pid of this._demux.streams.keys()) {
      const n = counts[pid];
      const seen = this._pidSeen.get(pid);
      if (seen === undefined || this._pidCount.get(pid) !== n) {
        this._pidSeen.set(pid, now);
        this._pidCount.set(pid, n);
      } else if (now - seen > o.pidTimeoutMs) {
        this._raise("PID_error", pid, now, `no packets for ${Math.round(now - seen)} ms`);
        this._pidSeen.set(pid, now);
      }
    }
    for (const [pid, last] of this._lastPts) {
      if (!this._demux.streams.has(pid)) {
        this._lastPts.delete(pid);
      } else if (now - last > o.ptsIntervalMs) {
        this._raise("PTS_error", pid, now, `no PTS for ${Math.round(now - last)} ms`);
        this._lastPts.set(pid, now);
      }
    }
    const span = now - this._winStart;
    if (span >= o.bitrateWindowMs) {
      const bytes = this._demux.counters.bytes - this._winBytes;
      this.totalBitrate = (bytes * 8000) / span;
      this.bitrates.clear();
      const w = this._winPackets;
      for (let pid = 0; pid < 8192; pid++) {
        const d = counts[pid] - w[pid];
        if (d > 0) this.bitrates.set(pid, (d * 188 * 8000) / span);
      }
      w.set(counts);
      this._winStart = now;
      this._winBytes = this._demux.counters.bytes;
    }
  }

  /**
   * Counts one indicator occurrence and reports it to `onEvent`.
   *
   * @param indicator the TR 101 290 indicator
   * @param pid PID concerned, -1 when none
   * @param time caller time in milliseconds
   * @param message human-readable detail
   * @param severity "warning" only for PCR intervals up to 100 ms; "error" otherwise
   */
  private _raise(
    indicator: Tr101290Indicator,
    pid: number,
    time: number,
    message: string,
    severity: "error" | "warning" = "error",
  ): void {
    this.counts[indicator]++;
    this._onEvent?.({ indicator, priority: PRIORITY[indicator], severity, pid, time, message });
  }

  /**
   * Maps one demuxer event to indicators (sync loss, continuity, transport, CRC, table_id
   * and scrambling errors, PCR steps measured on the PCR clock), records the arrival of
   * PAT, PMT, CAT and PTS, then runs {@link TsMonitor.check} at the event's time.
   *
   * @param ev event from the watched demuxer
   */
  private _on(ev: DemuxEvent): void {
    const t = ev.time;
    switch (ev.type) {
      case "section":
        if (!ev.crcOk) break;
        if (ev.pid === 0 && ev.tableId === 0x00) this._lastPat = t;
        else if (ev.tableId === 0x02) {
          const prog = (ev.section[3] << 8) | ev.section[4];
          if (
            this._demux.pat?.programs.some((p) => p.programNumber === prog && p.pmtPid === ev.pid)
          ) {
            this._lastPmt.set(prog, t);
          }
        } else if (ev.pid === 1 && ev.tableId === 0x01) this._catSeen = true;
        break;
      case "error":
        switch (ev.kind) {
          case "continuity":
            this._raise("Continuity_count_error", ev.pid, t, ev.message);
            break;
          case "transport_error":
            this._raise("Transport_error", ev.pid, t, ev.message);
            break;
          case "crc":
            this._raise("CRC_error", ev.pid, t, ev.message);
            break;
          case "sync_byte":
            this._raise("Sync_byte_error", ev.pid, t, ev.message);
            break;
          case "table_id":
            if (ev.pid === 0) this._raise("PAT_error_2", 0, t, ev.message);
            else if (ev.pid === 1) this._raise("CAT_error", 1, t, ev.message);
            break;
          case "scrambled":
            if (ev.pid === 0) this._raise("PAT_error_2", 0, t, "scrambled PAT");
            else if (this._demux.pat?.programs.some((p) => p.pmtPid === ev.pid)) {
              this._raise("PMT_error_2", ev.pid, t, "scrambled PMT");
            }
            if (!this._catSeen && !this._catAlarmed) {
              this._catAlarmed = true;
              this._raise("CAT_error", ev.pid, t, "scrambled packets but no CAT");
            }
            break;
        }
        break;
      case "sync":
        if (ev.locked && ev.garbageBytes > 188) {
          this._raise("TS_sync_loss", -1, t, `${ev.garbageBytes} bytes skipped to regain sync`);
        }
        break;
      case "pcr": {
        const prev = this._lastPcr.get(ev.pid);
        this._lastPcr.set(ev.pid, ev.pcr);
        if (prev === undefined || ev.discontinuity) break;
        let d = ev.pcr - prev;
        if (d < -PCR_WRAP / 2) d += PCR_WRAP;
        const ms = (d * 1000) / PCR_HZ;
        if (ms < 0 || ms > this._o.pcrDiscontinuityMs) {
          this._raise(
            "PCR_discontinuity_indicator_error",
            ev.pid,
            t,
            `PCR step ${ms.toFixed(1)} ms without discontinuity_indicator`,
          );
        } else if (ms > this._o.pcrRepetitionMs) {
          this._raise(
            "PCR_repetition_error",
            ev.pid,
            t,
            `PCR interval ${ms.toFixed(1)} ms`,
            ms <= 100 ? "warning" : "error",
          );
        }
        break;
      }
      case "pes":
        if (ev.pes.pts >= 0) this._lastPts.set(ev.pes.pid, t);
        break;
    }
    this.check(t);
  }
}
