/**
 * AAC in LOAS/LATM (ISO/IEC 14496-3 §1.7, stream_type 0x11), as sent by Haivision Makito.
 *
 * ```
 * AudioSyncStream: | sync 0x2B7 (11) | audioMuxLengthBytes (13) | AudioMuxElement(1) |
 * AudioMuxElement: | useSameStreamMux (1) | [StreamMuxConfig] | payload ...
 * StreamMuxConfig: | audioMuxVersion (1) | [versionA (1)] | allStreamsSameTimeFraming (1) |
 *                  | numSubFrames (6) | numProgram (4) | numLayer (3) | AudioSpecificConfig |
 * AudioSpecificConfig: | objectType (5, 31 = escape +6) | sfi (4, 15 = explicit 24) | channels (4) |
 * (with audioMuxVersion 1 the ASC is preceded by a LatmGetValue length; handled)
 * ```
 *
 * @module
 */

import { BitReader } from "./_bit_reader.ts";
import { AAC_SAMPLE_RATES } from "./adts.ts";
import type { AudioFrame } from "./audio_frame.ts";

/**
 * Stream configuration carried in a StreamMuxConfig.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LatmConfig, splitLoasFrames } from "@tsrt/tsrt/mpegts";
 * // Frames that reuse the stream mux config need the one from an earlier frame.
 * let config: LatmConfig | null = null;
 * const first = new Uint8Array([
 *   0x56, 0xe0, 0x09, 0x20, 0x00, 0x11, 0x90, 0x1f, 0xe6, 0xf9, 0x09, 0x50,
 * ]);
 * config = splitLoasFrames(first, config).config;
 * assert.deepEqual(config, { objectType: 2, sampleRate: 48000, channels: 2 });
 * ```
 */
export interface LatmConfig {
  /** audioObjectType */
  objectType: number;
  /** sampling rate in Hz */
  sampleRate: number;
  /** channelConfiguration */
  channels: number;
}

function latmValue(r: BitReader): number {
  const bytes = r.bits(2) + 1;
  return r.bits(8 * bytes);
}

/**
 * Reads the StreamMuxConfig of the LOAS frame at `off`, if the frame carries one.
 *
 * @param b bytes
 * @param off offset of the LOAS sync word
 * @returns the config, or null when the frame reuses the previous config or is malformed
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLatmConfig } from "@tsrt/tsrt/mpegts";
 * // The start of a LOAS frame whose StreamMuxConfig announces AAC-LC 48 kHz stereo.
 * const loas = new Uint8Array([
 *   0x56, 0xe0, 0xe6, 0x20, 0x00, 0x11, 0x90, 0x1f, 0xe6, 0xf9, 0x09, 0x50,
 * ]);
 * assert.deepEqual(parseLatmConfig(loas, 0), { objectType: 2, sampleRate: 48000, channels: 2 });
 * ```
 */
export function parseLatmConfig(b: Uint8Array, off: number): LatmConfig | null {
  if (off + 3 > b.length || b[off] !== 0x56 || (b[off + 1] & 0xe0) !== 0xe0) return null;
  const len = ((b[off + 1] & 0x1f) << 8) | b[off + 2];
  const r = new BitReader(b, off + 3, Math.min(b.length, off + 3 + len));
  if (r.bit()) return null; // useSameStreamMux
  const version = r.bit();
  if (version && r.bit()) return null; // audioMuxVersionA
  if (version) latmValue(r); // taraBufferFullness
  r.skip(1 + 6 + 4 + 3);
  if (version) latmValue(r); // ascLen
  let objectType = r.bits(5);
  if (objectType === 31) objectType = 32 + r.bits(6);
  const sfi = r.bits(4);
  const sampleRate = sfi === 15 ? r.bits(24) : AAC_SAMPLE_RATES[sfi] ?? 0;
  const channels = r.bits(4);
  if (r.overrun) return null;
  return { objectType, sampleRate, channels };
}

/**
 * Splits a PES payload into LOAS frames (1024 samples each, AAC-LC).
 *
 * @param data PES payload
 * @param config last known configuration (frames without one inherit it)
 * @returns frames and the configuration in force after them
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitLoasFrames } from "@tsrt/tsrt/mpegts";
 * const loas = new Uint8Array([
 *   0x56, 0xe0, 0x09, 0x20, 0x00, 0x11, 0x90, 0x1f, 0xe6, 0xf9, 0x09, 0x50,
 * ]);
 * const { frames, config } = splitLoasFrames(loas, null);
 * assert.equal(frames.length, 1);
 * assert.equal(frames[0].length, 12);
 * assert.equal(config?.sampleRate, 48000);
 * ```
 */
export function splitLoasFrames(
  data: Uint8Array,
  config: LatmConfig | null,
): { frames: AudioFrame[]; config: LatmConfig | null } {
  const frames: AudioFrame[] = [];
  let p = 0;
  while (p + 3 <= data.length) {
    if (data[p] !== 0x56 || (data[p + 1] & 0xe0) !== 0xe0) {
      p++;
      continue;
    }
    const len = 3 + (((data[p + 1] & 0x1f) << 8) | data[p + 2]);
    if (p + len > data.length) break;
    config = parseLatmConfig(data, p) ?? config;
    frames.push({
      offset: p,
      length: len,
      sampleRate: config?.sampleRate ?? 0,
      channels: config?.channels ?? 0,
      samples: 1024,
    });
    p += len;
  }
  return { frames, config };
}
