/**
 * AAC ADTS frames (ISO/IEC 13818-7 §6.2, stream_type 0x0F).
 *
 * ```
 * +-------------+----+-----+----+---------+-----+------+----+---------+---------+------+-------+
 * | sync 0xFFF  | ID |layer|prot| profile | sfi | priv | ch | 4 flags | length  | fulln| blocks|
 * |     12      |  1 |  2  |  1 |    2    |  4  |   1  |  3 |    4    |   13    |  11  |   2   |
 * +-------------+----+-----+----+---------+-----+------+----+---------+---------+------+-------+
 * 7 bytes, 9 with CRC (prot = 0). length counts the header. profile = audioObjectType - 1.
 * ```
 *
 * @module
 */

import type { AudioFrame } from "./audio_frame.ts";

/**
 * Sampling rates by sampling_frequency_index (ISO/IEC 14496-3 Table 1.18).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AAC_SAMPLE_RATES } from "@tsrt/tsrt/mpegts";
 * assert.equal(AAC_SAMPLE_RATES[3], 48000); // sampling_frequency_index 3
 * assert.equal(AAC_SAMPLE_RATES.indexOf(44100), 4);
 * ```
 */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000,
  88200,
  64000,
  48000,
  44100,
  32000,
  24000,
  22050,
  16000,
  12000,
  11025,
  8000,
  7350,
];

/**
 * Decoded ADTS header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AdtsHeader, parseAdtsHeader } from "@tsrt/tsrt/mpegts";
 * const h: AdtsHeader | null = parseAdtsHeader(
 *   new Uint8Array([0xff, 0xf1, 0x4c, 0x80, 0x27, 0x1f, 0xfc]),
 *   0,
 * );
 * assert.equal(h?.objectType, 2); // AAC-LC
 * assert.equal(h?.headerLength, 7); // no CRC
 * ```
 */
export interface AdtsHeader {
  /** audioObjectType (profile + 1; 2 = AAC-LC) */
  objectType: number;
  /** sampling rate in Hz */
  sampleRate: number;
  /** channel_configuration */
  channels: number;
  /** frame length including the header */
  frameLength: number;
  /** 7 or 9 */
  headerLength: number;
  /** number_of_raw_data_blocks_in_frame + 1 */
  blocks: number;
}

/**
 * Parses the ADTS header at `off`.
 *
 * @param b bytes
 * @param off offset of the syncword
 * @returns the header, or null when there is no valid header there
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAdtsHeader } from "@tsrt/tsrt/mpegts";
 * // An AAC-LC 48 kHz stereo header of a 312-byte frame.
 * const h = parseAdtsHeader(new Uint8Array([0xff, 0xf1, 0x4c, 0x80, 0x27, 0x1f, 0xfc]), 0);
 * assert.equal(h?.sampleRate, 48000);
 * assert.equal(h?.channels, 2);
 * assert.equal(h?.frameLength, 312);
 * assert.equal(parseAdtsHeader(new Uint8Array(7), 0), null);
 * ```
 */
export function parseAdtsHeader(b: Uint8Array, off: number): AdtsHeader | null {
  if (off + 7 > b.length || b[off] !== 0xff || (b[off + 1] & 0xf6) !== 0xf0) return null;
  const sfi = (b[off + 2] >> 2) & 0x0f;
  if (sfi >= AAC_SAMPLE_RATES.length) return null;
  const headerLength = b[off + 1] & 1 ? 7 : 9;
  const frameLength = ((b[off + 3] & 3) << 11) | (b[off + 4] << 3) | (b[off + 5] >> 5);
  if (frameLength < headerLength) return null;
  return {
    objectType: (b[off + 2] >> 6) + 1,
    sampleRate: AAC_SAMPLE_RATES[sfi],
    channels: ((b[off + 2] & 1) << 2) | (b[off + 3] >> 6),
    frameLength,
    headerLength,
    blocks: (b[off + 6] & 3) + 1,
  };
}

/**
 * Splits a PES payload into ADTS frames, skipping bytes that do not start a header.
 *
 * @param data PES payload
 * @returns frames in order (a truncated last frame is left out)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitAdtsFrames } from "@tsrt/tsrt/mpegts";
 * const payload = new Uint8Array(624);
 * for (const at of [0, 312]) payload.set([0xff, 0xf1, 0x4c, 0x80, 0x27, 0x1f, 0xfc], at);
 * const frames = splitAdtsFrames(payload);
 * assert.equal(frames.length, 2);
 * assert.equal(frames[1].samples, 1024);
 * ```
 */
export function splitAdtsFrames(data: Uint8Array): AudioFrame[] {
  const out: AudioFrame[] = [];
  let p = 0;
  while (p + 7 <= data.length) {
    const h = parseAdtsHeader(data, p);
    if (!h) {
      p++;
      continue;
    }
    if (p + h.frameLength > data.length) break;
    out.push({
      offset: p,
      length: h.frameLength,
      sampleRate: h.sampleRate,
      channels: h.channels,
      samples: 1024 * h.blocks,
    });
    p += h.frameLength;
  }
  return out;
}
