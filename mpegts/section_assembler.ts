/**
 * Reassembles PSI/SI sections from transport packet payloads (ISO/IEC 13818-1 §2.4.4).
 *
 * ```
 * PUSI=1 payload: | pointer_field | tail of previous section | section | section | FF FF ...
 *                 |      8        |   pointer_field bytes     |  ...    |  ...    | stuffing
 *
 * section:        | table_id | SSI | PI | rr | section_length | ... | CRC_32 (if SSI) |
 *                 |    8     |  1  | 1  | 2  |      12        |     |       32        |
 * ```
 *
 * Sections that fit in one packet are delivered as views into the packet; longer ones
 * are copied into a per-PID buffer. CRC-32/MPEG-2 is checked for long-form sections and
 * for the short-form tables that carry one (TOT 0x73, SCTE-35 0xFC).
 *
 * @module
 */

import { crc32Mpeg2 } from "./crc32.ts";

/**
 * Largest section size (private sections: 4093-byte section_length + 3).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_SECTION_SIZE } from "@tsrt/tsrt/mpegts";
 * // The longest section spans up to 23 transport packets of 184 payload bytes.
 * assert.equal(Math.ceil(MAX_SECTION_SIZE / 184), 23);
 * ```
 */
export const MAX_SECTION_SIZE: number = 4096;

/**
 * Receives each complete section; `crcOk` is true when no CRC applies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SectionAssembler, type SectionSink } from "@tsrt/tsrt/mpegts";
 * const tables: number[] = [];
 * const sink: SectionSink = (_pid, section, crcOk) => crcOk && tables.push(section[0]);
 * const pat = new Uint8Array([
 *   0x00, 0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xf0, 0x00,
 *   0x2a, 0xb1, 0x04, 0xb2,
 * ]); // pointer_field 0, then the section
 * new SectionAssembler(0, sink, () => {}).push(pat, 0, pat.length, true);
 * assert.deepEqual(tables, [0x00]);
 * ```
 */
export type SectionSink = (pid: number, section: Uint8Array, crcOk: boolean) => void;

/**
 * Reports an abandoned or malformed section.
 *
 * @example
 * ```ts
 * import { SectionAssembler, type SectionErrorSink } from "@tsrt/tsrt/mpegts";
 * const onError: SectionErrorSink = (pid, message) => console.warn(`PID ${pid}: ${message}`);
 * const assembler = new SectionAssembler(0x1000, () => {}, onError);
 * assembler.push(new Uint8Array([0x00, 0x02, 0xb0]), 0, 3, true);
 * ```
 */
export type SectionErrorSink = (pid: number, message: string) => void;

/**
 * Tells whether a section carries a trailing CRC_32.
 *
 * @param section section bytes starting at table_id
 * @returns true for long-form sections and for TOT and SCTE-35 sections
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sectionHasCrc } from "@tsrt/tsrt/mpegts";
 * assert.equal(sectionHasCrc(new Uint8Array([0x00, 0xb0, 0x0d])), true); // PAT, long form
 * assert.equal(sectionHasCrc(new Uint8Array([0x70, 0x70, 0x05])), false); // DVB TDT
 * ```
 */
export function sectionHasCrc(section: Uint8Array): boolean {
  const tableId = section[0];
  return (section[1] & 0x80) !== 0 || tableId === 0x73 || tableId === 0xfc;
}

/**
 * Per-PID section reassembly state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SectionAssembler } from "@tsrt/tsrt/mpegts";
 * const sections: Uint8Array[] = [];
 * const assembler = new SectionAssembler(0, (_pid, s) => sections.push(s.slice()), () => {});
 * // A PAT split over two packet payloads: pointer_field and the start, then the rest.
 * const start = new Uint8Array([0x00, 0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00]);
 * const rest = new Uint8Array([0x00, 0x00, 0x01, 0xf0, 0x00, 0x2a, 0xb1, 0x04, 0xb2, 0xff]);
 * assembler.push(start, 0, start.length, true);
 * assembler.push(rest, 0, rest.length, false);
 * assert.equal(sections.length, 1);
 * assert.equal(sections[0].length, 16);
 * ```
 */
export class SectionAssembler {
  /** PID this assembler serves. */
  readonly pid: number;
  private readonly _buf: Uint8Array = new Uint8Array(MAX_SECTION_SIZE);
  private _len = 0;
  private _need = 0;
  private _active = false;
  private readonly _sink: SectionSink;
  private readonly _onError: SectionErrorSink;

  /**
   * Creates an idle assembler for one PID; nothing is buffered until a packet with
   * payload_unit_start_indicator set arrives.
   *
   * @param pid PID of the sections (0..0x1FFF), passed back to `sink` and `onError`
   * @param sink receives complete sections, with `crcOk` from the CRC-32/MPEG-2 check;
   *   the section bytes are only valid during the call
   * @param onError receives reassembly problems (bad pointer_field, truncated or
   *   oversized sections)
   */
  constructor(pid: number, sink: SectionSink, onError: SectionErrorSink) {
    this.pid = pid;
    this._sink = sink;
    this._onError = onError;
  }

  /** Drops a partly received section (after a continuity error). */
  reset(): void {
    this._active = false;
    this._len = 0;
    this._need = 0;
  }

  /**
   * Feeds one packet payload.
   *
   * @param buf bytes holding the payload
   * @param start first payload byte
   * @param end one past the last payload byte
   * @param pusi payload_unit_start_indicator of the packet
   */
  push(buf: Uint8Array, start: number, end: number, pusi: boolean): void {
    if (!pusi) {
      if (this._active) this._append(buf, start, end);
      return;
    }
    if (start >= end) return;
    const pointer = buf[start++];
    if (start + pointer > end) {
      this._onError(this.pid, "pointer_field beyond packet");
      this.reset();
      return;
    }
    if (this._active) {
      this._append(buf, start, start + pointer);
      if (this._active) {
        this._onError(this.pid, "section cut short by a new section start");
        this.reset();
      }
    }
    let p = start + pointer;
    while (p < end) {
      if (buf[p] === 0xff) return; // stuffing up to the end of the packet
      if (p + 3 > end) {
        this._begin(buf, p, end);
        return;
      }
      const total = 3 + (((buf[p + 1] & 0x0f) << 8) | buf[p + 2]);
      if (p + total <= end) {
        this._deliver(buf.subarray(p, p + total));
        p += total;
      } else {
        this._begin(buf, p, end);
        return;
      }
    }
  }

  /**
   * Starts buffering a section that does not end in this packet.
   *
   * @param buf packet bytes
   * @param start offset of the section's table_id
   * @param end one past the last payload byte
   */
  private _begin(buf: Uint8Array, start: number, end: number): void {
    this._active = true;
    this._len = 0;
    this._need = 0;
    this._append(buf, start, end);
  }

  /**
   * Appends payload bytes to the section being assembled: reads section_length once the
   * 3-byte header is in, rejects sections over {@link MAX_SECTION_SIZE}, and delivers the
   * section as soon as it is complete (any bytes after it in this packet are stuffing).
   *
   * @param buf packet bytes
   * @param start first byte to append
   * @param end one past the last byte to append
   */
  private _append(buf: Uint8Array, start: number, end: number): void {
    const b = this._buf;
    let len = this._len;
    let p = start;
    while (p < end) {
      if (this._need === 0) {
        b[len++] = buf[p++];
        if (len === 3) {
          this._need = 3 + (((b[1] & 0x0f) << 8) | b[2]);
          if (this._need > MAX_SECTION_SIZE) {
            this._onError(this.pid, "section_length too large");
            this.reset();
            return;
          }
        }
        continue;
      }
      const n = Math.min(this._need - len, end - p);
      for (let i = 0; i < n; i++) b[len + i] = buf[p + i];
      len += n;
      p += n;
      if (len === this._need) {
        this._active = false;
        this._len = 0;
        this._need = 0;
        this._deliver(b.subarray(0, len));
        return; // the rest of a non-PUSI packet is stuffing
      }
    }
    this._len = len;
  }

  /**
   * Hands a complete section to the sink, checking its CRC_32 where one applies (a
   * CRC-carrying section shorter than 7 bytes fails the check).
   *
   * @param section complete section starting at table_id
   */
  private _deliver(section: Uint8Array): void {
    const ok = !sectionHasCrc(section) || (section.length >= 7 && crc32Mpeg2(section) === 0);
    this._sink(this.pid, section, ok);
  }
}
