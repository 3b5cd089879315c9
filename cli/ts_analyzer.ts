/**
 * MPEG-TS analysis for `tsrt inspect` and the demo: programs, PIDs, codecs, resolution,
 * bitrates and TR 101 290 indicators, from the mpegts/ toolkit.
 *
 * @module
 */

import { TsDemuxer } from "../mpegts/demuxer.ts";
import { FrameAssembler } from "../mpegts/frame_assembler.ts";
import { type Tr101290Indicator, TsMonitor } from "../mpegts/monitor.ts";

/** One elementary stream in a {@linkcode TsSummary}. */
export interface TsStreamSummary {
  /** Elementary PID. */
  readonly pid: number;
  /** stream_type. */
  readonly streamType: number;
  /** Detected codec. */
  readonly codec: string;
  /** video, audio, data... */
  readonly kind: string;
  /** Profile (video), when known. */
  readonly profile?: string;
  /** Picture width, when known. */
  readonly width?: number;
  /** Picture height, when known. */
  readonly height?: number;
  /** Frames per second, when signalled. */
  readonly frameRate?: number;
  /** Audio sampling rate, when known. */
  readonly sampleRate?: number;
  /** Audio channels, when known. */
  readonly channels?: number;
  /** Bits per second over the last second. */
  readonly bitrate: number;
  /** Frames assembled. */
  readonly frames: number;
}

/** A program in a {@linkcode TsSummary}. */
export interface TsProgramSummary {
  /** program_number. */
  readonly programNumber: number;
  /** PMT PID. */
  readonly pmtPid: number;
  /** PCR PID. */
  readonly pcrPid: number;
  /** Its streams. */
  readonly streams: readonly TsStreamSummary[];
}

/** What the analyzer has learnt so far. */
export interface TsSummary {
  /** Bytes analysed. */
  readonly bytes: number;
  /** Transport packets. */
  readonly packets: number;
  /** Bits per second of the whole stream over the last second. */
  readonly bitrate: number;
  /** Programs. */
  readonly programs: readonly TsProgramSummary[];
  /** TR 101 290 priority 1 and 2 occurrences. */
  readonly tr101290: Readonly<Record<Tr101290Indicator, number>>;
  /** Sum of the TR 101 290 occurrences. */
  readonly tr101290Errors: number;
}

/** Feeds chunks to a demuxer, frame assembler and TR 101 290 monitor. */
export class TsAnalyzer {
  readonly #demux = new TsDemuxer();
  readonly #monitor: TsMonitor;
  readonly #frames = new Map<number, number>();
  readonly #assembler: FrameAssembler;

  /** @param onEvent receives each TR 101 290 occurrence as text */
  constructor(onEvent?: (message: string) => void) {
    this.#monitor = new TsMonitor(this.#demux, {
      onEvent: onEvent && ((e) => onEvent(`${e.indicator} (PID ${e.pid}): ${e.message}`)),
    });
    this.#assembler = new FrameAssembler({
      onFrame: (f) => this.#frames.set(f.pid, (this.#frames.get(f.pid) ?? 0) + 1),
    });
    this.#assembler.attach(this.#demux);
  }

  /**
   * Analyses one chunk.
   *
   * @param chunk bytes
   * @param nowMs arrival time in ms
   */
  push(chunk: Uint8Array, nowMs: number): void {
    this.#demux.push(chunk, nowMs);
  }

  /**
   * Evaluates time-based indicators and bitrates; call periodically, also during silence.
   *
   * @param nowMs time in ms
   */
  tick(nowMs: number): void {
    this.#monitor.check(nowMs);
  }

  /** The analysis so far. */
  summary(): TsSummary {
    const d = this.#demux;
    const programs: TsProgramSummary[] = [];
    for (const pmt of d.pmts.values()) {
      const pat = d.pat?.programs.find((p) => p.programNumber === pmt.programNumber);
      const streams: TsStreamSummary[] = [];
      for (const s of pmt.streams) {
        const info = d.streams.get(s.pid);
        const p = this.#assembler.params.get(s.pid);
        streams.push({
          pid: s.pid,
          streamType: s.streamType,
          codec: p?.codec ?? info?.codec ?? "unknown",
          kind: info?.kind ?? "unknown",
          profile: p?.profile,
          width: p?.width,
          height: p?.height,
          frameRate: p?.frameRate,
          sampleRate: p?.sampleRate,
          channels: p?.channels,
          bitrate: Math.round(this.#monitor.bitrates.get(s.pid) ?? 0),
          frames: this.#frames.get(s.pid) ?? 0,
        });
      }
      programs.push({
        programNumber: pmt.programNumber,
        pmtPid: pat?.pmtPid ?? -1,
        pcrPid: pmt.pcrPid,
        streams,
      });
    }
    const counts = { ...this.#monitor.counts };
    return {
      bytes: d.counters.bytes,
      packets: d.counters.packets,
      bitrate: Math.round(this.#monitor.totalBitrate),
      programs,
      tr101290: counts,
      tr101290Errors: Object.values(counts).reduce((a, b) => a + b, 0),
    };
  }
}

/** One line per stream, e.g. `PID 256 h264 video High 1280x720 25 fps 1.80 Mb/s`. */
export function describeStream(s: TsStreamSummary): string {
  const parts = [`PID ${s.pid}`, s.codec, s.kind];
  if (s.profile) parts.push(s.profile);
  if (s.width && s.height) parts.push(`${s.width}x${s.height}`);
  if (s.frameRate) parts.push(`${Math.round(s.frameRate * 100) / 100} fps`);
  if (s.sampleRate) parts.push(`${s.sampleRate} Hz`);
  if (s.channels) parts.push(`${s.channels} ch`);
  // No bitrate before a full second of wall-clock time (e.g. an unpaced file).
  if (s.bitrate > 0) parts.push(`${(s.bitrate / 1e6).toFixed(2)} Mb/s`);
  return parts.join(" ");
}

/**
 * The analysis as text lines.
 *
 * @param s the summary
 * @returns lines, without newlines
 */
export function describeTs(s: TsSummary): string[] {
  const lines = [
    `MPEG-TS: ${s.packets} packets, ` +
    `${s.bitrate > 0 ? `${(s.bitrate / 1e6).toFixed(2)} Mb/s` : "bitrate n/a (read with -r)"}, ` +
    `${s.programs.length} program(s)`,
  ];
  for (const p of s.programs) {
    lines.push(`  program ${p.programNumber} (PMT PID ${p.pmtPid}, PCR PID ${p.pcrPid})`);
    for (const st of p.streams) lines.push(`    ${describeStream(st)}`);
  }
  const errs = Object.entries(s.tr101290).filter(([, n]) => n > 0);
  lines.push(
    `  TR 101 290: ${
      errs.length === 0 ? "no errors" : errs.map(([k, n]) => `${k} ${n}`).join(", ")
    }`,
  );
  return lines;
}
