/**
 * Annex B byte streams (ITU-T H.264 / H.265 Annex B): start-code scanning and
 * emulation-prevention removal.
 *
 * ```
 * ... 00 00 01 | NAL unit | 00 00 00 01 | NAL unit | ...
 * inside a NAL unit, 00 00 03 0x (x <= 3) stands for 00 00 0x
 * ```
 *
 * @module
 */

// A word view of the buffer last scanned by nextNalStart() (one per ArrayBuffer, so
// scanning the access units of one slab allocates nothing).
let wordsBuffer: ArrayBufferLike | null = null;
let words: Int32Array = new Int32Array(0);

/**
 * Position of one NAL unit inside a buffer (start code excluded).
 *
 * @example
 * ```ts
 * import { type NalSpan, nextNalStart } from "@tsrt/tsrt/mpegts";
 * // Lists the NAL units of an Annex B buffer.
 * function nalSpans(au: Uint8Array): NalSpan[] {
 *   const spans: NalSpan[] = [];
 *   let start = nextNalStart(au, 0);
 *   while (start >= 0) {
 *     const next = nextNalStart(au, start);
 *     let end = next < 0 ? au.length : next - 3;
 *     while (end > start && au[end - 1] === 0) end--;
 *     spans.push({ start, end });
 *     start = next;
 *   }
 *   return spans;
 * }
 * console.log(nalSpans(new Uint8Array([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88])));
 * ```
 */
export interface NalSpan {
  /** first byte of the NAL header */
  start: number;
  /** one past the last byte (trailing zero bytes removed) */
  end: number;
}

/**
 * Finds the next start code at or after `from`.
 *
 * @param data Annex B bytes
 * @param from where to start looking
 * @returns the offset of the first byte after `00 00 01`, or -1
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextNalStart } from "@tsrt/tsrt/mpegts";
 * const au = new Uint8Array([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88]);
 * assert.equal(nextNalStart(au, 0), 4); // the AUD's header byte
 * assert.equal(nextNalStart(au, 5), 9); // the IDR slice's header byte
 * assert.equal(nextNalStart(au, 10), -1);
 * ```
 */
export function nextNalStart(data: Uint8Array, from: number): number {
  const n = data.length;
  let i = from > 0 ? from : 0;
  if (n - i >= 32) {
    // Four bytes at a time: a start code's first zero byte lies in a word that has a zero
    // byte, and most words of coded video have none.
    const base = data.byteOffset;
    for (; ((base + i) & 3) !== 0; i++) {
      if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) return i + 3;
    }
    const buffer = data.buffer;
    if (buffer !== wordsBuffer) {
      wordsBuffer = buffer;
      words = new Int32Array(buffer, 0, buffer.byteLength >> 2);
    }
    let k = (base + i) >> 2;
    // Words wholly inside the view, leaving its last two bytes to the byte loop.
    const kEnd = Math.min((base + n - 2) >> 2, words.length);
    for (; k < kEnd; k++) {
      const w = words[k];
      if (((w - 0x01010101) & ~w & 0x80808080) === 0) continue;
      for (let j = (k << 2) - base, e = j + 4; j < e; j++) {
        if (data[j] === 0 && data[j + 1] === 0 && data[j + 2] === 1) return j + 3;
      }
    }
    i = (k << 2) - base;
  }
  while (i + 2 < n) {
    const b2 = data[i + 2];
    if (b2 > 1) i += 3;
    else if (b2 === 1 && data[i + 1] === 0 && data[i] === 0) return i + 3;
    else i++;
  }
  return -1;
}

/**
 * Lists the NAL units of an Annex B access unit.
 *
 * @param data Annex B bytes
 * @returns spans in order; bytes before the first start code are ignored
 * @example
 * ```ts
 * import { splitNalUnits } from "./nal.ts";
 * splitNalUnits(new Uint8Array([0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67])).length; // 2
 * ```
 */
export function splitNalUnits(data: Uint8Array): NalSpan[] {
  const out: NalSpan[] = [];
  const n = data.length;
  let start = nextNalStart(data, 0);
  while (start >= 0) {
    const next = nextNalStart(data, start);
    if (next < 0) break;
    let e = next - 3;
    while (e > start && data[e - 1] === 0) e--;
    out.push({ start, end: e });
    start = next;
  }
  if (start >= 0 && start < n) out.push({ start, end: n });
  return out;
}

/**
 * Removes emulation-prevention bytes (the 03 in 00 00 03).
 *
 * @param data NAL unit bytes (raw byte sequence payload with EPBs)
 * @param start first byte
 * @param end one past the last byte
 * @returns the RBSP (a new array, or a view when nothing needed removing)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unescapeRbsp } from "@tsrt/tsrt/mpegts";
 * // The emulation prevention byte 0x03 after two zeros is removed; the NAL header is skipped.
 * const nal = new Uint8Array([0x67, 0x00, 0x00, 0x03, 0x01, 0x05]);
 * assert.deepEqual([...unescapeRbsp(nal, 1)], [0x00, 0x00, 0x01, 0x05]);
 * ```
 */
export function unescapeRbsp(data: Uint8Array, start = 0, end: number = data.length): Uint8Array {
  let zeros = 0;
  let found = false;
  for (let i = start; i < end; i++) {
    if (zeros >= 2 && data[i] === 3) {
      found = true;
      break;
    }
    zeros = data[i] === 0 ? zeros + 1 : 0;
  }
  if (!found) return data.subarray(start, end);
  const out = new Uint8Array(end - start);
  let o = 0;
  zeros = 0;
  for (let i = start; i < end; i++) {
    const b = data[i];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}
