/**
 * The media pipeline of one published stream: payloads go through a `TsDemuxer`, a
 * `FrameAssembler` and a `TsMonitor` (ETSI TR 101 290), giving frames and quality events per
 * stream. Continuity-count errors are attributed to SRT when the publisher's connection dropped
 * packets (its `pktRcvDropTotal` grew) at about the same time, and counted apart from the ones
 * already in the source.
 *
 * @module
 */

import { TsDemuxer } from "../mpegts/demuxer.ts";
import { type Frame, FrameAssembler, type StreamParams } from "../mpegts/frame_assembler.ts";
import { type MonitorEvent, type Tr101290Indicator, TsMonitor } from "../mpegts/monitor.ts";
import { JitterEstimator } from "./bitrate.ts";

/**
 * Options of {@linkcode StreamPipeline}.
 *
 * @example
 * ```ts
 * import { StreamPipeline, type StreamPipelineOptions } from "@tsrt/tsrt/server";
 * const options: StreamPipelineOptions = {
 *   onFrame: (f) => f.keyframe && f.kind === "video" && console.log("keyframe at", f.pts),
 *   onEvent: (e) => console.warn(e.indicator, e.message),
 * };
 * const pipeline = new StreamPipeline(options);
 * pipeline.push(new Uint8Array(1316), performance.now());
 * pipeline.close();
 * ```
 */
export interface StreamPipelineOptions {
  /** Reads the publisher's dropped-packet total (`pktRcvDropTotal`); called only on errors. */
  dropCounter?: () => number;
  /** How close to a drop a continuity error still counts as caused by it, in ms. Default 200. */
  dropWindowMs?: number;
  /** Receives every frame. */
  onFrame?: (frame: Frame) => void;
  /** Receives every TR 101 290 event. */
  onEvent?: (event: MonitorEvent) => void;
}

/**
 * Per-PID elementary stream description.
 *
 * @example
 * ```ts
 * import { type PipelineStreamInfo, StreamPipeline } from "@tsrt/tsrt/server";
 * const pipeline = new StreamPipeline();
 * const streams: readonly PipelineStreamInfo[] = pipeline.snapshot().streams;
 * for (const s of streams) console.log(s.pid, s.params.codec, s.params.width, s.params.height);
 * pipeline.close();
 * ```
 */
export interface PipelineStreamInfo {
  /** The PID. */
  readonly pid: number;
  /** Parameters learnt from the bitstream. */
  readonly params: StreamParams;
}

/**
 * What {@linkcode StreamPipeline.snapshot} returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type PipelineSnapshot, StreamPipeline } from "@tsrt/tsrt/server";
 * const pipeline = new StreamPipeline();
 * const nulls = new Uint8Array(7 * 188);
 * for (let i = 0; i < 7; i++) nulls.set([0x47, 0x1f, 0xff, 0x10], i * 188);
 * pipeline.push(nulls, 0);
 * const snap: PipelineSnapshot = pipeline.snapshot();
 * assert.equal(snap.tsPackets, 7);
 * assert.equal(snap.frames, 0);
 * pipeline.close();
 * ```
 */
export interface PipelineSnapshot {
  /** TS packets seen. */
  readonly tsPackets: number;
  /** Frames assembled. */
  readonly frames: number;
  /** Key frames (IDR/IRAP; every audio frame counts too, as the assembler marks them). */
  readonly keyframes: number;
  /** Video key frames only. */
  readonly videoKeyframes: number;
  /** Damaged frames (PES with lost packets). */
  readonly damagedFrames: number;
  /** Continuity-count errors. */
  readonly continuityErrors: number;
  /** Of which coinciding with SRT drops on the publisher's connection. */
  readonly continuityErrorsFromSrtDrops: number;
  /** TR 101 290 occurrences per indicator. */
  readonly tr101290: Readonly<Record<Tr101290Indicator, number>>;
  /** PCR arrival jitter (RFC 3550 over PCR vs. arrival time), in seconds. */
  readonly pcrJitterSeconds: number;
  /** Elementary streams with their parameters. */
  readonly streams: readonly PipelineStreamInfo[];
}

/**
 * Demuxes, assembles and monitors one stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StreamPipeline } from "./stream_pipeline.ts";
 *
 * const p = new StreamPipeline();
 * p.push(new Uint8Array(188).fill(0xff), 0);
 * assert.equal(p.snapshot().frames, 0);
 * p.close();
 * ```
 */
export class StreamPipeline {
  #demux = new TsDemuxer();
  #frames: FrameAssembler;
  #monitor: TsMonitor;
  #jitter = new JitterEstimator();
  #dropCounter: (() => number) | undefined;
  #dropWindowMs: number;
  #lastDrops = 0;
  #lastDropAtMs = -Infinity;
  #pcrPid = -1;
  #counts = {
    frames: 0,
    keyframes: 0,
    videoKeyframes: 0,
    damagedFrames: 0,
    continuityErrors: 0,
    continuityErrorsFromSrtDrops: 0,
  };

  /**
   * Builds the demuxer, frame assembler and TR 101 290 monitor of one stream; call
   * {@linkcode StreamPipeline.close} to detach the monitor when the stream ends.
   *
   * @param options `dropCounter` reads the publisher's `pktRcvDropTotal` so continuity errors
   *   within `dropWindowMs` (default 200 ms) of an SRT drop are attributed to SRT; `onFrame`
   *   and `onEvent` receive frames and TR 101 290 events.
   */
  constructor(options: StreamPipelineOptions = {}) {
    this.#dropCounter = options.dropCounter;
    this.#dropWindowMs = options.dropWindowMs ?? 200;
    const onFrame = options.onFrame;
    this.#frames = new FrameAssembler({
      onFrame: (f) => {
        this.#counts.frames++;
        if (f.keyframe) {
          this.#counts.keyframes++;
          if (f.kind === "video") this.#counts.videoKeyframes++;
        }
        if (f.damaged) this.#counts.damagedFrames++;
        onFrame?.(f);
      },
    });
    this.#frames.attach(this.#demux);
    this.#monitor = new TsMonitor(this.#demux, { onEvent: options.onEvent });
    this.#demux.on((ev) => {
      if (ev.type === "error" && ev.kind === "continuity") this.#onContinuity(ev.time);
      else if (ev.type === "pcr" && !ev.discontinuity) {
        if (this.#pcrPid < 0) this.#pcrPid = ev.pid;
        // PCR ticks are 27 MHz; the estimator takes both times in the same unit (ms here).
        if (ev.pid === this.#pcrPid) this.#jitter.update(ev.pcr / 27_000, ev.time);
      }
    });
  }

  #onContinuity(nowMs: number): void {
    this.#counts.continuityErrors++;
    if (!this.#dropCounter) return;
    let drops: number;
    try {
      drops = this.#dropCounter();
    } catch {
      return;
    }
    if (drops > this.#lastDrops) {
      this.#lastDrops = drops;
      this.#lastDropAtMs = nowMs;
      this.#counts.continuityErrorsFromSrtDrops++;
    } else if (nowMs - this.#lastDropAtMs <= this.#dropWindowMs) {
      this.#counts.continuityErrorsFromSrtDrops++;
    }
  }

  /**
   * Feeds one payload.
   *
   * @param payload TS packets (usually 7 x 188 bytes).
   * @param nowMs Arrival time in ms.
   */
  push(payload: Uint8Array, nowMs: number): void {
    this.#demux.push(payload, nowMs);
  }

  /**
   * Runs the time-based TR 101 290 checks; call about once a second, data or not.
   *
   * @param nowMs Current time in ms.
   */
  tick(nowMs: number): void {
    this.#monitor.check(nowMs);
  }

  /** Counters and stream parameters so far. */
  snapshot(): PipelineSnapshot {
    return {
      tsPackets: this.#demux.counters.packets,
      ...this.#counts,
      tr101290: { ...this.#monitor.counts },
      pcrJitterSeconds: this.#jitter.jitter / 1000,
      streams: [...this.#frames.params].map(([pid, params]) => ({ pid, params: { ...params } })),
    };
  }

  /** Detaches the monitor. */
  close(): void {
    this.#monitor.detach();
  }
}
