/**
 * MPEG-1/2 audio frames, layers I-III (ISO/IEC 11172-3 §2.4.2.3, 13818-3), stream_type 0x03/0x04.
 *
 * ```
 * | sync 0x7FF (11) | version (2) | layer (2) | prot (1) | bitrate (4) | rate (2) | pad (1) |
 * | priv (1) | mode (2) | mode ext (2) | copyright (1) | original (1) | emphasis (2) |
 * version: 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5; layer: 3 = I, 2 = II, 1 = III
 * size: layer I (12 x br / sr + pad) x 4; layer II 144 x br / sr + pad;
 *       layer III 144 x br / sr + pad (MPEG-1) or 72 x br / sr + pad (MPEG-2/2.5)
 * ```
 *
 * @module
 */

import type { AudioFrame } from "./audio_frame.ts";

const BR_V1 = [
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
];
const BR_V2 = [
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];
const SR = [44100, 48000, 32000];

/**
 * Decoded MPEG audio header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MpegAudioHeader, parseMpegAudioHeader } from "@tsrt/tsrt/mpegts";
 * const bytes = new Uint8Array([0xff, 0xfb, 0x50, 0x64]);
 * const h: MpegAudioHeader | null = parseMpegAudioHeader(bytes, 0);
 * assert.equal(h?.layer, 3);
 * assert.equal(h?.samples, 1152);
 * ```
 */
export interface MpegAudioHeader {
  /** 1, 2 or 3 */
  layer: number;
  /** 1 for MPEG-1, 2 for MPEG-2, 2.5 for MPEG-2.5 */
  version: number;
  /** bit rate in kbit/s */
  bitrate: number;
  /** sampling rate in Hz */
  sampleRate: number;
  /** 1 (mono) or 2 */
  channels: number;
  /** frame size in bytes */
  frameLength: number;
  /** samples per channel */
  samples: number;
}

/**
 * Parses the MPEG audio header at `off` (free-format frames are rejected).
 *
 * @param b bytes
 * @param off offset of the sync word
 * @returns the header, or null
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMpegAudioHeader } from "@tsrt/tsrt/mpegts";
 * // MPEG-1 Layer III, 64 kbit/s, 44.1 kHz, joint stereo.
 * const h = parseMpegAudioHeader(new Uint8Array([0xff, 0xfb, 0x50, 0x64]), 0);
 * assert.equal(h?.version, 1);
 * assert.equal(h?.bitrate, 64);
 * assert.equal(h?.sampleRate, 44100);
 * assert.equal(h?.frameLength, 208);
 * ```
 */
export function parseMpegAudioHeader(b: Uint8Array, off: number): MpegAudioHeader | null {
  if (off + 4 > b.length || b[off] !== 0xff || (b[off + 1] & 0xe0) !== 0xe0) return null;
  const v = (b[off + 1] >> 3) & 3;
  const l = (b[off + 1] >> 1) & 3;
  const bri = b[off + 2] >> 4;
  const sri = (b[off + 2] >> 2) & 3;
  if (v === 1 || l === 0 || bri === 0 || bri === 15 || sri === 3) return null;
  const layer = 4 - l;
  const mpeg1 = v === 3;
  const bitrate = mpeg1 ? BR_V1[layer - 1][bri] : BR_V2[layer === 1 ? 0 : 1][bri];
  const sampleRate = SR[sri] / (mpeg1 ? 1 : v === 2 ? 2 : 4);
  const pad = (b[off + 2] >> 1) & 1;
  let frameLength: number, samples: number;
  if (layer === 1) {
    frameLength = (Math.floor((12 * bitrate * 1000) / sampleRate) + pad) * 4;
    samples = 384;
  } else if (layer === 2 || mpeg1) {
    frameLength = Math.floor((144 * bitrate * 1000) / sampleRate) + pad;
    samples = 1152;
  } else {
    frameLength = Math.floor((72 * bitrate * 1000) / sampleRate) + pad;
    samples = 576;
  }
  return {
    layer,
    version: mpeg1 ? 1 : v === 2 ? 2 : 2.5,
    bitrate,
    sampleRate,
    channels: b[off + 3] >> 6 === 3 ? 1 : 2,
    frameLength,
    samples,
  };
}

/**
 * Splits a PES payload into MPEG audio frames.
 *
 * @param data PES payload
 * @returns frames and the layer of the first one (0 when none)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitMpegAudioFrames } from "@tsrt/tsrt/mpegts";
 * const payload = new Uint8Array(416);
 * for (const at of [0, 208]) payload.set([0xff, 0xfb, 0x50, 0x64], at);
 * const { frames, layer } = splitMpegAudioFrames(payload);
 * assert.equal(layer, 3); // the codec is mp3, not mp2
 * assert.equal(frames.length, 2);
 * ```
 */
export function splitMpegAudioFrames(data: Uint8Array): { frames: AudioFrame[]; layer: number } {
  const frames: AudioFrame[] = [];
  let layer = 0;
  let p = 0;
  while (p + 4 <= data.length) {
    const h = parseMpegAudioHeader(data, p);
    if (!h || h.frameLength < 4) {
      p++;
      continue;
    }
    if (p + h.frameLength > data.length) break;
    if (layer === 0) layer = h.layer;
    frames.push({
      offset: p,
      length: h.frameLength,
      sampleRate: h.sampleRate,
      channels: h.channels,
      samples: h.samples,
    });
    p += h.frameLength;
  }
  return { frames, layer };
}
