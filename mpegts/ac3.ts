/**
 * AC-3 and E-AC-3 sync frames (ATSC A/52 §5.3 and Annex E).
 *
 * ```
 * AC-3:   | 0x0B77 (16) | crc1 (16) | fscod (2) frmsizecod (6) | bsid (5) bsmod (3) |
 *         | acmod (3) [cmixlev 2] [surmixlev 2] [dsurmod 2] lfeon (1) ...
 *         frame = 1536 samples; size from the frmsizecod table
 * E-AC-3: | 0x0B77 (16) | strmtyp (2) substreamid (3) frmsiz (11) | fscod (2) |
 *         | numblkscod or fscod2 (2) | acmod (3) lfeon (1) | bsid (5) ... |
 *         size = (frmsiz + 1) x 2 bytes; samples = 256 x blocks
 * bsid <= 10: AC-3, 11..16: E-AC-3
 * ```
 *
 * @module
 */

import { BitReader } from "./_bit_reader.ts";
import type { AudioFrame } from "./audio_frame.ts";

const RATES = [48000, 44100, 32000];
const BITRATES = [
  32,
  40,
  48,
  56,
  64,
  80,
  96,
  112,
  128,
  160,
  192,
  224,
  256,
  320,
  384,
  448,
  512,
  576,
  640,
];
const ACMOD_CHANNELS = [2, 1, 2, 3, 3, 4, 4, 5];

/**
 * Decoded sync frame header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Ac3Header, parseAc3Header } from "@tsrt/tsrt/mpegts";
 * const bytes = new Uint8Array([0x0b, 0x77, 0x8c, 0xb5, 0x10, 0x40, 0x43]);
 * const h: Ac3Header | null = parseAc3Header(bytes, 0);
 * assert.equal(h?.enhanced, false);
 * assert.equal(h?.frameLength, 512);
 * ```
 */
export interface Ac3Header {
  /** true for E-AC-3 */
  enhanced: boolean;
  /** bsid */
  bsid: number;
  /** sampling rate in Hz */
  sampleRate: number;
  /** channels including LFE */
  channels: number;
  /** frame size in bytes */
  frameLength: number;
  /** samples per channel */
  samples: number;
}

/**
 * Parses the AC-3 or E-AC-3 header at `off`.
 *
 * @param b bytes
 * @param off offset of the 0x0B77 sync word
 * @returns the header, or null when invalid
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAc3Header } from "@tsrt/tsrt/mpegts";
 * // The first 7 bytes of an E-AC-3 5.1 sync frame.
 * const h = parseAc3Header(new Uint8Array([0x0b, 0x77, 0x01, 0x7f, 0x3f, 0x87, 0xc0]), 0);
 * assert.deepEqual(h, {
 *   enhanced: true,
 *   bsid: 16,
 *   sampleRate: 48000,
 *   channels: 6,
 *   frameLength: 768,
 *   samples: 1536,
 * });
 * ```
 */
export function parseAc3Header(b: Uint8Array, off: number): Ac3Header | null {
  if (off + 7 > b.length || b[off] !== 0x0b || b[off + 1] !== 0x77) return null;
  const bsid = b[off + 5] >> 3;
  if (bsid > 16) return null;
  if (bsid <= 10) {
    const fscod = b[off + 4] >> 6;
    const code = b[off + 4] & 0x3f;
    if (fscod === 3 || code >= 38) return null;
    const br = BITRATES[code >> 1];
    const words = fscod === 0
      ? br * 2
      : fscod === 2
      ? br * 3
      : Math.floor((br * 1000 * 1536) / (44100 * 16)) + (code & 1);
    const r = new BitReader(b, off + 6, off + 8);
    const acmod = r.bits(3);
    if ((acmod & 1) && acmod !== 1) r.skip(2);
    if (acmod & 4) r.skip(2);
    if (acmod === 2) r.skip(2);
    const lfe = r.bit();
    return {
      enhanced: false,
      bsid,
      sampleRate: RATES[fscod],
      channels: ACMOD_CHANNELS[acmod] + lfe,
      frameLength: words * 2,
      samples: 1536,
    };
  }
  const frameLength = ((((b[off + 2] & 7) << 8) | b[off + 3]) + 1) * 2;
  const fscod = b[off + 4] >> 6;
  const x = (b[off + 4] >> 4) & 3;
  let sampleRate: number, blocks: number;
  if (fscod === 3) {
    if (x === 3) return null;
    sampleRate = [24000, 22050, 16000][x];
    blocks = 6;
  } else {
    sampleRate = RATES[fscod];
    blocks = [1, 2, 3, 6][x];
  }
  const acmod = (b[off + 4] >> 1) & 7;
  return {
    enhanced: true,
    bsid,
    sampleRate,
    channels: ACMOD_CHANNELS[acmod] + (b[off + 4] & 1),
    frameLength,
    samples: 256 * blocks,
  };
}

/**
 * Splits a PES payload into AC-3 / E-AC-3 sync frames.
 *
 * @param data PES payload
 * @returns frames in order
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitAc3Frames } from "@tsrt/tsrt/mpegts";
 * // Two 512-byte AC-3 frames back to back, as a PES payload carries them.
 * const frame = new Uint8Array(512);
 * frame.set([0x0b, 0x77, 0x8c, 0xb5, 0x10, 0x40, 0x43]);
 * const payload = new Uint8Array(1024);
 * payload.set(frame, 0);
 * payload.set(frame, 512);
 * assert.deepEqual(splitAc3Frames(payload).map((f) => f.offset), [0, 512]);
 * ```
 */
export function splitAc3Frames(data: Uint8Array): AudioFrame[] {
  const out: AudioFrame[] = [];
  let p = 0;
  while (p + 7 <= data.length) {
    const h = parseAc3Header(data, p);
    if (!h || h.frameLength < 7) {
      p++;
      continue;
    }
    if (p + h.frameLength > data.length) break;
    out.push({
      offset: p,
      length: h.frameLength,
      sampleRate: h.sampleRate,
      channels: h.channels,
      samples: h.samples,
    });
    p += h.frameLength;
  }
  return out;
}
