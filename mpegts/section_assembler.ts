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

/** Largest section size (private sections: 4093-byte section_length + 3). */
export const MAX_SECTION_SIZE: number = 4096;

/** Receives each complete section; `crcOk` is true when no CRC applies. */
export type SectionSink = (pid: number, section: Uint8Array, crcOk: boolean) => void;

/** Reports an abandoned or malformed section. */
export type SectionErrorSink = (pid: number, message: string) => void;

/**
 * Tells whether a section carries a trailing CRC_32.
 *
 * @param section section bytes starting at table_id
 * @returns true for long-form sections and for TOT and SCTE-35 sections
 */
export function sectionHasCrc(section: Uint8Array): boolean {
  const tableId = section[0];
  return (section[1] & 0x80) !== 0 || tableId === 0x73 || tableId === 0xfc;
}

/** Per-PID section reassembly state. */
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
