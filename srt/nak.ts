/**
 * NAK (loss report) lists (draft-sharabayko-srt §3.2.5 and Appendix A).
 *
 * ```
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0|                 Lost packet sequence number                 |  one packet
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |1|             First lost sequence number of a range           |  a range a..b
 * |0|             Last lost sequence number of the range          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * @module
 */

import { readU32, writeU32 } from "./_bytes.ts";
import { SrtPacketError } from "./errors.ts";
import { seqCmp } from "./seq.ts";

/** An inclusive range of lost sequence numbers. */
export type LossRange = readonly [first: number, last: number];

/** Encoded size of a loss list. */
export function lossListSize(ranges: readonly LossRange[]): number {
  let n = 0;
  for (const [a, b] of ranges) n += a === b ? 4 : 8;
  return n;
}

/** Writes a loss list at `off`; returns the offset after it. */
export function writeLossList(out: Uint8Array, off: number, ranges: readonly LossRange[]): number {
  for (const [a, b] of ranges) {
    if (a === b) {
      writeU32(out, off, a & 0x7fffffff);
      off += 4;
    } else {
      writeU32(out, off, ((a & 0x7fffffff) | 0x80000000) >>> 0);
      writeU32(out, off + 4, b & 0x7fffffff);
      off += 8;
    }
  }
  return off;
}

/**
 * Reads a loss list.
 *
 * @throws {SrtPacketError} when the length is not a whole number of words, a range start has
 * no end (libsrt treats that as breaking the connection), or a range runs backwards.
 */
export function readLossList(cif: Uint8Array): LossRange[] {
  if (cif.length % 4 !== 0) {
    throw new SrtPacketError(`loss list of ${cif.length} bytes is not whole words`);
  }
  const ranges: LossRange[] = [];
  for (let off = 0; off < cif.length; off += 4) {
    const w = readU32(cif, off);
    if (w & 0x80000000) {
      if (off + 4 >= cif.length) throw new SrtPacketError("loss range start without an end");
      const first = w & 0x7fffffff;
      const last = readU32(cif, off + 4);
      if (last & 0x80000000) throw new SrtPacketError("loss range end has the range bit set");
      if (seqCmp(first, last) > 0) throw new SrtPacketError("loss range runs backwards");
      ranges.push([first, last]);
      off += 4;
    } else {
      ranges.push([w, w]);
    }
  }
  return ranges;
}
