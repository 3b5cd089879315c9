/**
 * Common shape of the audio frame parsers (ADTS, LOAS/LATM, AC-3, MPEG audio, Opus).
 *
 * @module
 */

/**
 * One audio frame found inside a PES payload.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AudioFrame, splitAdtsFrames } from "@tsrt/tsrt/mpegts";
 * const payload = new Uint8Array(312);
 * payload.set([0xff, 0xf1, 0x4c, 0x80, 0x27, 0x1f, 0xfc]);
 * const [frame]: AudioFrame[] = splitAdtsFrames(payload);
 * assert.deepEqual(frame, {
 *   offset: 0,
 *   length: 312,
 *   sampleRate: 48000,
 *   channels: 2,
 *   samples: 1024,
 * });
 * ```
 */
export interface AudioFrame {
  /** offset of the frame (header included) in the payload */
  offset: number;
  /** bytes of the frame, header included */
  length: number;
  /** sampling rate in Hz (0 when unknown) */
  sampleRate: number;
  /** channel count (0 when unknown) */
  channels: number;
  /** samples per channel in the frame (0 when unknown) */
  samples: number;
}
