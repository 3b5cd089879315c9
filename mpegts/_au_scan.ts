/**
 * Allocation-free access-unit scans for the frame assembler: the keyframe flag and the
 * position of the first SPS (and, for H.265, VPS) of an Annex B access unit, written into
 * a caller-owned `Int32Array` instead of a fresh info object with a NAL type list. Same
 * rules as `inspectH264AccessUnit()` and `inspectH265AccessUnit()`, which stay the
 * public, descriptive form.
 *
 * ```
 * spans: [spsStart, spsEnd, vpsStart, vpsEnd]   -1 when absent; ends exclude trailing zeros
 * ```
 *
 * @module
 */

import { nextNalStart } from "./nal.ts";

/**
 * End of the NAL unit starting at `start`, given the next start code position.
 *
 * @param au access unit bytes
 * @param start first byte of the NAL unit
 * @param next offset after the next `00 00 01`, or -1
 * @returns one past its last byte, trailing zero bytes excluded
 */
function nalEnd(au: Uint8Array, start: number, next: number): number {
  let end = next < 0 ? au.length : next - 3;
  while (end > start && au[end - 1] === 0) end--;
  return end;
}

/**
 * Scans an H.264 access unit up to its first slice (see `inspectH264AccessUnit()`).
 *
 * @param au Annex B bytes of one access unit
 * @param spans receives the first SPS as `[0]`..`[1]` (-1 when none); `[2]`, `[3]` = -1
 * @returns true when the first slice is an IDR slice
 */
export function scanH264AccessUnit(au: Uint8Array, spans: Int32Array): boolean {
  spans.fill(-1);
  let start = nextNalStart(au, 0);
  while (start >= 0 && start < au.length) {
    const t = au[start] & 0x1f;
    if (t >= 1 && t <= 5) return t === 5;
    const next = nextNalStart(au, start + 1);
    if (t === 7 && spans[0] < 0) {
      spans[0] = start;
      spans[1] = nalEnd(au, start, next);
    }
    start = next;
  }
  return false;
}

/**
 * Scans an H.265 access unit up to its first slice (see `inspectH265AccessUnit()`).
 *
 * @param au Annex B bytes of one access unit
 * @param spans receives the first SPS as `[0]`..`[1]` and the first VPS as `[2]`..`[3]`
 *   (-1 when absent)
 * @returns true when the first slice is an IRAP picture (types 16-23)
 */
export function scanH265AccessUnit(au: Uint8Array, spans: Int32Array): boolean {
  spans.fill(-1);
  let start = nextNalStart(au, 0);
  while (start >= 0 && start + 1 < au.length) {
    const t = (au[start] >> 1) & 0x3f;
    if (t < 32) return t >= 16 && t <= 23;
    const next = nextNalStart(au, start + 2);
    if (t === 33 && spans[0] < 0) {
      spans[0] = start;
      spans[1] = nalEnd(au, start, next);
    } else if (t === 32 && spans[2] < 0) {
      spans[2] = start;
      spans[3] = nalEnd(au, start, next);
    }
    start = next;
  }
  return false;
}
