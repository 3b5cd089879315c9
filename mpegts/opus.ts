/**
 * Opus access units in MPEG-TS (ETSI TS 102 366 Annex / "Opus in MPEG-TS" control header)
 * and the Opus packet duration from its TOC byte (RFC 6716 §3.1).
 *
 * ```
 * control header: | 0x3FF prefix (11) | start_trim (1) | end_trim (1) | ext (1) | rr (2) |
 *                 | au_size: 0xFF* + last byte | [start_trim 16] | [end_trim 16] |
 *                 | [ext_len (8) + ext bytes] | Opus packet (au_size bytes) |
 * TOC byte:       | config (5) | stereo (1) | code (2) |
 *   config 0-11 SILK 10/20/40/60 ms, 12-15 hybrid 10/20 ms, 16-31 CELT 2.5/5/10/20 ms
 *   code 0: 1 frame, 1-2: 2 frames, 3: count in the next byte (low 6 bits)
 * ```
 *
 * @module
 */

import type { AudioFrame } from "./audio_frame.ts";

/**
 * Samples (at 48 kHz) in an Opus packet.
 *
 * @param b bytes
 * @param off offset of the TOC byte
 * @param end one past the packet
 * @returns samples per channel at 48 kHz, 0 when unreadable
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { opusPacketSamples } from "@tsrt/tsrt/mpegts";
 * // TOC 0xfc: CELT fullband 20 ms, one frame: 960 samples at 48 kHz.
 * assert.equal(opusPacketSamples(new Uint8Array([0xfc, 0x12, 0x34]), 0, 3), 960);
 * ```
 */
export function opusPacketSamples(b: Uint8Array, off: number, end: number): number {
  if (off >= end) return 0;
  const toc = b[off];
  const config = toc >> 3;
  let frame: number;
  if (config < 12) frame = [480, 960, 1920, 2880][config & 3];
  else if (config < 16) frame = config & 1 ? 960 : 480;
  else frame = [120, 240, 480, 960][config & 3];
  const code = toc & 3;
  const count = code === 0 ? 1 : code < 3 ? 2 : off + 1 < end ? b[off + 1] & 0x3f : 0;
  return frame * count;
}

/**
 * Splits a PES payload into Opus packets, dropping the control headers.
 *
 * @param data PES payload
 * @param channels channel count from the PMT extension descriptor (0 if unknown)
 * @returns frames pointing at the Opus packets themselves
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitOpusFrames } from "@tsrt/tsrt/mpegts";
 * // One opus_control_header (0x7f 0xe0, size 3) and a 3-byte Opus packet.
 * const payload = new Uint8Array([0x7f, 0xe0, 3, 0xfc, 0x12, 0x34]);
 * assert.deepEqual(splitOpusFrames(payload, 2), [
 *   { offset: 3, length: 3, sampleRate: 48000, channels: 2, samples: 960 },
 * ]);
 * ```
 */
export function splitOpusFrames(data: Uint8Array, channels = 0): AudioFrame[] {
  const out: AudioFrame[] = [];
  let p = 0;
  const n = data.length;
  while (p + 2 <= n) {
    if (data[p] !== 0x7f || (data[p + 1] & 0xe0) !== 0xe0) break;
    const flags = data[p + 1];
    p += 2;
    let size = 0;
    while (p < n && data[p] === 0xff) {
      size += 255;
      p++;
    }
    if (p >= n) break;
    size += data[p++];
    if (flags & 0x10) p += 2;
    if (flags & 0x08) p += 2;
    if (flags & 0x04) {
      if (p >= n) break;
      p += 1 + data[p];
    }
    if (p + size > n) break;
    out.push({
      offset: p,
      length: size,
      sampleRate: 48000,
      channels,
      samples: opusPacketSamples(data, p, p + size),
    });
    p += size;
  }
  return out;
}
