/**
 * Turns demuxer PES packets into frames: one access unit per video PES, one frame per
 * audio frame (ADTS, LOAS, AC-3, MPEG audio, Opus), one data unit per KLV/ID3 PES. Also
 * reports program changes and stream parameters (resolution, profile, sample rate...).
 *
 * ```
 * DemuxEvent "pes" --codec--> h264/h265: NAL scan -> keyframe (IDR / IRAP), SPS -> params
 *                             audio:     frame split -> pts + n x duration -> params
 *                             data:      whole payload
 * DemuxEvent "pmt"/"program-removed" -> "program" events
 * ```
 *
 * @module
 */

import { scanH264AccessUnit, scanH265AccessUnit } from "./_au_scan.ts";
import { splitAc3Frames } from "./ac3.ts";
import { AAC_SAMPLE_RATES } from "./adts.ts";
import type { AudioFrame } from "./audio_frame.ts";
import type { DemuxEvent, StreamInfo, TsDemuxer } from "./demuxer.ts";
import { h264ProfileName, parseH264Sps } from "./h264.ts";
import { h265ProfileName, parseH265Sps, parseH265VpsFrameRate } from "./h265.ts";
import { type LatmConfig, splitLoasFrames } from "./latm.ts";
import { splitMpegAudioFrames } from "./mpeg_audio.ts";
import { splitOpusFrames } from "./opus.ts";
import { PTS_WRAP } from "./pes.ts";
import { type Codec, codecKind, sniffCodec, type StreamKind } from "./stream_type.ts";

/**
 * A demultiplexed frame. `data` is never written to again by the toolkit (it is a view into
 * a slab shared with neighbouring frames of the same PID), so it may be kept as is.
 *
 * @example
 * ```ts
 * import { FrameAssembler, type Frame, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * const keyframes: Frame[] = [];
 * const demux = new TsDemuxer();
 * new FrameAssembler({
 *   onFrame: (f) => {
 *     if (f.kind === "video" && f.keyframe) keyframes.push({ ...f, data: f.data.slice() });
 *   },
 * }).attach(demux);
 * ```
 */
export interface Frame {
  /** elementary PID */
  pid: number;
  /** broad kind */
  kind: StreamKind;
  /** codec */
  codec: Codec;
  /** presentation time (90 kHz, 33-bit), -1 when unknown */
  pts: number;
  /** decoding time (90 kHz, 33-bit), -1 when unknown */
  dts: number;
  /** IDR/IRAP for video; true for every audio frame */
  keyframe: boolean;
  /** access unit (Annex B), audio frame (header included; Opus: the packet) or data unit */
  data: Uint8Array;
  /** caller time at which the first packet of the PES arrived */
  receivedAt: number;
  /** true when packets of the PES were lost */
  damaged?: boolean;
}

/**
 * Stream parameters learnt from the bitstream.
 *
 * @example
 * ```ts
 * import { FrameAssembler, type StreamParams, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * const demux = new TsDemuxer();
 * const frames = new FrameAssembler({
 *   onFrame: () => {},
 *   onEvent: (ev) => {
 *     if (ev.type !== "stream-params") return;
 *     const p: StreamParams = ev.params;
 *     console.log(ev.pid, p.codec, p.width, p.height, p.frameRate, p.sampleRate);
 *   },
 * });
 * frames.attach(demux);
 * ```
 */
export interface StreamParams {
  /** codec (refined, e.g. mp2 -> mp3) */
  codec: Codec;
  /** profile name as FFmpeg prints it (video) */
  profile?: string;
  /** level_idc (H.264) or general_level_idc (H.265) */
  level?: number;
  /** picture width */
  width?: number;
  /** picture height */
  height?: number;
  /** frames per second when signalled */
  frameRate?: number;
  /** sampling rate in Hz */
  sampleRate?: number;
  /** channel count */
  channels?: number;
}

/**
 * Events from the assembler besides frames.
 *
 * @example
 * ```ts
 * import { FrameAssembler, type FrameAssemblerEvent, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * function describe(ev: FrameAssemblerEvent): string {
 *   return ev.type === "program"
 *     ? `program ${ev.programNumber} ${ev.change}: ${ev.streams.length} streams`
 *     : `PID ${ev.pid}: ${ev.params.codec}`;
 * }
 * new FrameAssembler({ onFrame: () => {}, onEvent: (ev) => console.log(describe(ev)) })
 *   .attach(new TsDemuxer());
 * ```
 */
export type FrameAssemblerEvent =
  | {
    type: "program";
    change: "added" | "updated" | "removed";
    programNumber: number;
    pmtPid: number;
    pcrPid: number;
    version: number;
    streams: StreamInfo[];
    time: number;
  }
  | { type: "stream-params"; pid: number; params: StreamParams; time: number };

/**
 * Options for {@link FrameAssembler}.
 *
 * @example
 * ```ts
 * import { FrameAssembler, type FrameAssemblerOptions, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * const options: FrameAssemblerOptions = {
 *   onFrame: (f) => console.log(f.pid, f.codec, f.pts),
 *   keepDamaged: false, // drop frames of PES packets that lost data
 * };
 * new FrameAssembler(options).attach(new TsDemuxer());
 * ```
 */
export interface FrameAssemblerOptions {
  /** receives frames */
  onFrame: (frame: Frame) => void;
  /** receives program and stream-parameter changes */
  onEvent?: (event: FrameAssemblerEvent) => void;
  /** emit frames of damaged PES packets too (default true) */
  keepDamaged?: boolean;
}

/** The fields of a PES packet that frames are built from. */
interface PesFields {
  pid: number;
  pts: number;
  dts: number;
  payload: Uint8Array;
  damaged: boolean;
  receivedAt: number;
}

interface PidState {
  info: StreamInfo;
  codec: Codec;
  kind: StreamKind;
  sniffed: boolean;
  params: StreamParams | null;
  latm: LatmConfig | null;
  vpsRate?: number;
  opusChannels: number;
}

function sameParams(a: StreamParams | null, b: StreamParams): boolean {
  if (!a) return false;
  return a.codec === b.codec && a.width === b.width && a.height === b.height &&
    a.profile === b.profile && a.level === b.level && a.frameRate === b.frameRate &&
    a.sampleRate === b.sampleRate && a.channels === b.channels;
}

function opusChannels(info: StreamInfo): number {
  for (const d of info.descriptors) {
    if (d.decoded?.kind === "extension" && d.decoded.extensionTag === 0x80) {
      const c = d.decoded.body[0];
      return c === 0 ? 2 : c <= 8 ? c : 0;
    }
  }
  return 0;
}

/**
 * Builds frames from a {@link TsDemuxer}'s events.
 *
 * @example
 * ```ts
 * import { TsDemuxer } from "./demuxer.ts";
 * import { FrameAssembler } from "./frame_assembler.ts";
 * const demux = new TsDemuxer();
 * const frames = new FrameAssembler({ onFrame: (f) => console.log(f.codec, f.pts, f.keyframe) });
 * frames.attach(demux);
 * ```
 */
export class FrameAssembler {
  /** Parameters per PID learnt so far. */
  readonly params: Map<number, StreamParams> = new Map();
  private readonly _onFrame: (frame: Frame) => void;
  private readonly _onEvent: ((event: FrameAssemblerEvent) => void) | undefined;
  private readonly _keepDamaged: boolean;
  private readonly _pids: Map<number, PidState> = new Map();
  /** SPS and VPS positions found by the last access-unit scan. */
  private readonly _spans: Int32Array = new Int32Array(4);

  /**
   * Creates an assembler that knows no streams yet; it learns them from the `pmt` events
   * it is given, so attach it before the demuxer sees the PMT.
   *
   * @param options `onFrame` receives frames, `onEvent` program and stream-parameter
   *   changes; `keepDamaged` (default true) also emits frames of PES packets that lost
   *   transport packets
   */
  constructor(options: FrameAssemblerOptions) {
    this._onFrame = options.onFrame;
    this._onEvent = options.onEvent;
    this._keepDamaged = options.keepDamaged ?? true;
  }

  /**
   * Subscribes to a demuxer.
   *
   * @param demuxer the source
   * @returns a function that unsubscribes
   */
  attach(demuxer: TsDemuxer): () => void {
    return demuxer.on((ev) => this.handle(ev));
  }

  /**
   * Processes one demuxer event.
   *
   * @param ev the event
   */
  handle(ev: DemuxEvent): void {
    if (ev.type === "pes") this._onPes(ev.pes, ev.time);
    else if (ev.type === "pmt") {
      const now = new Set(ev.streams.map((s) => s.pid));
      if (ev.previous) {
        for (const st of ev.previous.streams) if (!now.has(st.pid)) this._forget(st.pid);
      }
      for (const info of ev.streams) {
        const old = this._pids.get(info.pid);
        if (old && old.info.streamType === info.streamType && old.codec === info.codec) {
          old.info = info;
          continue;
        }
        this._pids.set(info.pid, {
          info,
          codec: info.codec,
          kind: info.kind,
          sniffed: false,
          params: null,
          latm: null,
          opusChannels: opusChannels(info),
        });
        this.params.delete(info.pid);
      }
      this._onEvent?.({
        type: "program",
        change: ev.previous ? "updated" : "added",
        programNumber: ev.pmt.programNumber,
        pmtPid: ev.pid,
        pcrPid: ev.pmt.pcrPid,
        version: ev.pmt.version,
        streams: ev.streams,
        time: ev.time,
      });
    } else if (ev.type === "program-removed") {
      for (const [pid, st] of [...this._pids]) {
        if (st.info.programNumber === ev.programNumber) this._forget(pid);
      }
      this._onEvent?.({
        type: "program",
        change: "removed",
        programNumber: ev.programNumber,
        pmtPid: ev.pmtPid,
        pcrPid: 0x1fff,
        version: -1,
        streams: [],
        time: ev.time,
      });
    }
  }

  /**
   * Stops tracking a PID that its program no longer lists, with its learnt parameters.
   *
   * @param pid elementary PID
   */
  private _forget(pid: number): void {
    this._pids.delete(pid);
    this.params.delete(pid);
  }

  /**
   * Records a stream's parameters and emits `stream-params` when they differ from the last
   * ones recorded for that PID.
   *
   * @param pid elementary PID
   * @param st tracking state of the PID
   * @param p parameters just read from the bitstream
   * @param time caller time of the push that carried them
   */
  private _setParams(pid: number, st: PidState, p: StreamParams, time: number): void {
    if (sameParams(st.params, p)) return;
    st.params = p;
    this.params.set(pid, p);
    this._onEvent?.({ type: "stream-params", pid, params: p, time });
  }

  /**
   * Turns one PES packet into frames: a whole access unit for H.264/H.265 (keyframe and
   * SPS parameters from a NAL scan), one frame per audio frame with PTS/DTS advanced by
   * the duration of the frames before it (90 kHz, wrapping at 2^33), or the whole payload
   * for other kinds. Private-data streams (stream_type 0x06) of unknown codec are sniffed
   * once from their first payload.
   *
   * @param pes PES packet from the demuxer; payloads of PIDs not in a PMT are ignored
   * @param time caller time of the push that completed it
   */
  private _onPes(pes: PesFields, time: number): void {
    const st = this._pids.get(pes.pid);
    if (!st) return;
    if (pes.damaged && !this._keepDamaged) return;
    const data = pes.payload;
    if (st.codec === "unknown" && !st.sniffed && st.info.streamType === 0x06) {
      st.sniffed = true;
      st.codec = sniffCodec(data);
      st.kind = codecKind(st.codec);
    }
    const codec = st.codec;
    const kind = st.kind;
    if (codec === "h264" || codec === "h265") {
      // One frame per access unit; its NAL units are scanned only up to the first slice.
      const spans = this._spans;
      let keyframe: boolean;
      if (codec === "h264") {
        keyframe = scanH264AccessUnit(data, spans);
        const sps = spans[0] < 0 ? null : parseH264Sps(data.subarray(spans[0], spans[1]));
        if (sps) {
          const p: StreamParams = {
            codec,
            profile: h264ProfileName(sps),
            level: sps.levelIdc,
            width: sps.width,
            height: sps.height,
          };
          if (sps.frameRate !== undefined) p.frameRate = sps.frameRate;
          this._setParams(pes.pid, st, p, time);
        }
      } else {
        keyframe = scanH265AccessUnit(data, spans);
        if (spans[2] >= 0) st.vpsRate = parseH265VpsFrameRate(data.subarray(spans[2], spans[3]));
        const sps = spans[0] < 0 ? null : parseH265Sps(data.subarray(spans[0], spans[1]));
        if (sps) {
          const p: StreamParams = {
            codec,
            profile: h265ProfileName(sps),
            level: sps.levelIdc,
            width: sps.width,
            height: sps.height,
          };
          const rate = sps.frameRate ?? st.vpsRate;
          if (rate !== undefined) p.frameRate = rate;
          this._setParams(pes.pid, st, p, time);
        }
      }
      this._emitFrame(pes, kind, codec, pes.pts, pes.dts, keyframe, data);
      return;
    }
    if (codec === "aac" && kind === "audio") {
      this._onAdts(pes, st, time);
      return;
    }
    if (kind === "audio") {
      let frames: AudioFrame[];
      let frameCodec: Codec = codec;
      switch (codec) {
        case "aac_latm": {
          const r = splitLoasFrames(data, st.latm);
          st.latm = r.config;
          frames = r.frames;
          break;
        }
        case "ac3":
        case "eac3":
          frames = splitAc3Frames(data);
          break;
        case "mp1":
        case "mp2":
        case "mp3": {
          const r = splitMpegAudioFrames(data);
          frames = r.frames;
          if (r.layer) frameCodec = r.layer === 1 ? "mp1" : r.layer === 2 ? "mp2" : "mp3";
          st.codec = frameCodec;
          break;
        }
        case "opus":
          frames = splitOpusFrames(data, st.opusChannels);
          break;
        default:
          frames = [];
      }
      if (frames.length === 0) {
        this._emitFrame(pes, kind, frameCodec, pes.pts, pes.dts, true, data);
        return;
      }
      const f0 = frames[0];
      if (f0.sampleRate > 0) {
        const p: StreamParams = { codec: frameCodec, sampleRate: f0.sampleRate };
        if (f0.channels > 0) p.channels = f0.channels;
        this._setParams(pes.pid, st, p, time);
      }
      let offset = 0;
      for (const f of frames) {
        const pts = pes.pts < 0 ? -1 : (pes.pts + offset) % PTS_WRAP;
        const dts = pes.dts < 0 ? -1 : (pes.dts + offset) % PTS_WRAP;
        const frameData = data.subarray(f.offset, f.offset + f.length);
        this._emitFrame(pes, kind, frameCodec, pts, dts, true, frameData);
        if (f.sampleRate > 0) offset += Math.round((f.samples * 90000) / f.sampleRate);
      }
      return;
    }
    this._emitFrame(pes, kind, codec, pes.pts, pes.dts, true, data);
  }

  /**
   * Splits an AAC PES payload into its ADTS frames as `splitAdtsFrames()` does (bytes that
   * start no valid header are skipped, a truncated last frame is left out), emitting each
   * frame as it is found, without the intermediate frame list; sampling rate and channels
   * of the first frame become the stream parameters. A payload without a whole frame is
   * emitted as it is.
   *
   * @param pes PES packet of an AAC (ADTS) stream
   * @param st tracking state of its PID
   * @param time caller time of the push that completed it
   */
  private _onAdts(pes: PesFields, st: PidState, time: number): void {
    const data = pes.payload;
    const n = data.length;
    let count = 0;
    let offset = 0;
    let p = 0;
    while (p + 7 <= n) {
      const sfi = (data[p + 2] >> 2) & 0x0f;
      if (data[p] !== 0xff || (data[p + 1] & 0xf6) !== 0xf0 || sfi >= AAC_SAMPLE_RATES.length) {
        p++;
        continue;
      }
      const length = ((data[p + 3] & 3) << 11) | (data[p + 4] << 3) | (data[p + 5] >> 5);
      if (length < (data[p + 1] & 1 ? 7 : 9)) {
        p++;
        continue;
      }
      if (p + length > n) break;
      const sampleRate = AAC_SAMPLE_RATES[sfi];
      if (count++ === 0) {
        const params: StreamParams = { codec: "aac", sampleRate };
        const channels = ((data[p + 2] & 1) << 2) | (data[p + 3] >> 6);
        if (channels > 0) params.channels = channels;
        this._setParams(pes.pid, st, params, time);
      }
      const pts = pes.pts < 0 ? -1 : (pes.pts + offset) % PTS_WRAP;
      const dts = pes.dts < 0 ? -1 : (pes.dts + offset) % PTS_WRAP;
      this._emitFrame(pes, "audio", "aac", pts, dts, true, data.subarray(p, p + length));
      offset += Math.round((1024 * ((data[p + 6] & 3) + 1) * 90000) / sampleRate);
      p += length;
    }
    if (count === 0) this._emitFrame(pes, "audio", "aac", pes.pts, pes.dts, true, data);
  }

  /**
   * Hands one frame to `onFrame`, always built with the same fields in the same order
   * (`damaged` only when set).
   *
   * @param pes PES packet the frame comes from (PID, arrival time, damage)
   * @param kind broad kind of the stream
   * @param codec codec of the frame
   * @param pts presentation time (90 kHz), -1 when unknown
   * @param dts decoding time (90 kHz), -1 when unknown
   * @param keyframe IDR/IRAP for video, true for audio and data
   * @param data frame bytes (a view into the PES payload)
   */
  private _emitFrame(
    pes: PesFields,
    kind: StreamKind,
    codec: Codec,
    pts: number,
    dts: number,
    keyframe: boolean,
    data: Uint8Array,
  ): void {
    const frame: Frame = {
      pid: pes.pid,
      kind,
      codec,
      pts,
      dts,
      keyframe,
      data,
      receivedAt: pes.receivedAt,
    };
    if (pes.damaged) frame.damaged = true;
    this._onFrame(frame);
  }
}
