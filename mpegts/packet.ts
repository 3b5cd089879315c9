/**
 * MPEG-TS packet header and adaptation field (ISO/IEC 13818-1 §2.4.3.2, §2.4.3.4).
 *
 * ```
 *  byte 0      byte 1                byte 2      byte 3
 * +----------+---+---+---+---------+-----------+-----+-----+-------+
 * |sync 0x47 |TEI|PUS|PRI|PID 12..8| PID 7..0  | TSC | AFC |  CC   |
 * |  8 bits  | 1 | 1 | 1 | 5 bits  |  8 bits   |  2  |  2  |   4   |
 * +----------+---+---+---+---------+-----------+-----+-----+-------+
 * AFC: 01 payload only, 10 adaptation field only, 11 both, 00 reserved (ignored)
 *
 * adaptation field (when AFC & 2):
 * +--------+--+--+--+--+--+--+--+--+----------+----------+--------+---------+-----+
 * | length |DI|RA|EP|PF|OF|SF|TP|EX| PCR (48) | OPCR (48)| splice | private | ext |
 * |   8    | 1| 1| 1| 1| 1| 1| 1| 1| if PF    | if OF    | 8 if SF| if TP   |     |
 * +--------+--+--+--+--+--+--+--+--+----------+----------+--------+---------+-----+
 * PCR = base(33) x 300 + extension(9), 27 MHz; 6 reserved bits between them
 * ```
 *
 * @module
 */

/**
 * Size of a transport packet.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TS_PACKET_SIZE } from "@tsrt/tsrt/mpegts";
 * // SRT's live payload is seven transport packets.
 * assert.equal(7 * TS_PACKET_SIZE, 1316);
 * ```
 */
export const TS_PACKET_SIZE: number = 188;
/**
 * The sync byte that starts every packet.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SYNC_BYTE, TS_PACKET_SIZE } from "@tsrt/tsrt/mpegts";
 * const payload = new Uint8Array(1316);
 * for (let i = 0; i < payload.length; i += TS_PACKET_SIZE) payload[i] = SYNC_BYTE;
 * assert.equal(payload.filter((b) => b === 0x47).length, 7);
 * ```
 */
export const SYNC_BYTE: number = 0x47;
/**
 * PID of null (stuffing) packets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NULL_PID, parsePacketHeader } from "@tsrt/tsrt/mpegts";
 * const stuffing = new Uint8Array([0x47, 0x1f, 0xff, 0x10]);
 * assert.equal(parsePacketHeader(stuffing, 0).pid, NULL_PID);
 * ```
 */
export const NULL_PID: number = 0x1fff;
/**
 * PID of the program association table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAT_PID, parsePacketHeader } from "@tsrt/tsrt/mpegts";
 * const header = parsePacketHeader(new Uint8Array([0x47, 0x40, 0x00, 0x10]), 0);
 * assert.equal(header.pid, PAT_PID);
 * assert.equal(header.pusi, true);
 * ```
 */
export const PAT_PID: number = 0x0000;
/**
 * PID of the conditional access table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CAT_PID, parsePacketHeader } from "@tsrt/tsrt/mpegts";
 * assert.equal(parsePacketHeader(new Uint8Array([0x47, 0x40, 0x01, 0x10]), 0).pid, CAT_PID);
 * ```
 */
export const CAT_PID: number = 0x0001;
/**
 * PID of the DVB SDT/BAT.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePacketHeader, SDT_PID } from "@tsrt/tsrt/mpegts";
 * assert.equal(parsePacketHeader(new Uint8Array([0x47, 0x40, 0x11, 0x10]), 0).pid, SDT_PID);
 * ```
 */
export const SDT_PID: number = 0x0011;
/**
 * Value of one second of PCR (27 MHz).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PCR_HZ } from "@tsrt/tsrt/mpegts";
 * // Milliseconds between two PCRs of a stream.
 * const gapMs = (pcrA: number, pcrB: number) => ((pcrB - pcrA) / PCR_HZ) * 1000;
 * assert.equal(gapMs(0, 1_080_000), 40);
 * ```
 */
export const PCR_HZ: number = 27_000_000;

/**
 * Decoded transport packet header (convenience form; the demuxer reads fields inline).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePacketHeader, type TsPacketHeader } from "@tsrt/tsrt/mpegts";
 * const h: TsPacketHeader = parsePacketHeader(new Uint8Array([0x47, 0x41, 0x00, 0x37]), 0);
 * assert.equal(h.pid, 0x100);
 * assert.equal(h.afc, 3); // adaptation field and payload
 * assert.equal(h.cc, 7);
 * ```
 */
export interface TsPacketHeader {
  /** transport_error_indicator */
  tei: boolean;
  /** payload_unit_start_indicator */
  pusi: boolean;
  /** transport_priority */
  priority: boolean;
  /** 13-bit PID */
  pid: number;
  /** transport_scrambling_control (0 = clear) */
  scrambling: number;
  /** adaptation_field_control (1 payload, 2 AF only, 3 both, 0 reserved) */
  afc: number;
  /** continuity_counter */
  cc: number;
}

/**
 * Decodes the 4-byte header of the packet at `off`.
 *
 * @param buf bytes holding the packet
 * @param off offset of the sync byte
 * @returns the header fields (sync byte is not checked)
 * @example
 * ```ts
 * import { parsePacketHeader } from "./packet.ts";
 * parsePacketHeader(new Uint8Array([0x47, 0x40, 0x00, 0x10]), 0).pid; // 0
 * ```
 */
export function parsePacketHeader(buf: Uint8Array, off: number): TsPacketHeader {
  const b1 = buf[off + 1], b3 = buf[off + 3];
  return {
    tei: (b1 & 0x80) !== 0,
    pusi: (b1 & 0x40) !== 0,
    priority: (b1 & 0x20) !== 0,
    pid: ((b1 & 0x1f) << 8) | buf[off + 2],
    scrambling: b3 >> 6,
    afc: (b3 >> 4) & 3,
    cc: b3 & 15,
  };
}

/**
 * Reusable adaptation field record, filled by {@link readAdaptationField}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   type AdaptationField,
 *   createAdaptationField,
 *   readAdaptationField,
 * } from "@tsrt/tsrt/mpegts";
 * // A packet with only an adaptation field: random access, PCR = 2000 x 300.
 * const packet = new Uint8Array(188).fill(0xff);
 * packet.set([0x47, 0x01, 0x00, 0x20, 183, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x7e, 0x00]);
 * const af: AdaptationField = createAdaptationField();
 * readAdaptationField(packet, 0, af);
 * assert.equal(af.randomAccess, true);
 * assert.equal(af.pcr, 600_000);
 * ```
 */
export interface AdaptationField {
  /** adaptation_field_length */
  length: number;
  /** discontinuity_indicator */
  discontinuity: boolean;
  /** random_access_indicator */
  randomAccess: boolean;
  /** elementary_stream_priority_indicator */
  esPriority: boolean;
  /** PCR in 27 MHz units, or -1 when absent */
  pcr: number;
  /** OPCR in 27 MHz units, or -1 when absent */
  opcr: number;
  /** splice_countdown (signed), or null when absent */
  spliceCountdown: number | null;
  /** transport_private_data, or null when absent (view into the packet) */
  privateData: Uint8Array | null;
  /** adaptation_field_extension bytes, or null when absent (view into the packet) */
  extension: Uint8Array | null;
  /** false when the field's lengths overrun the packet */
  valid: boolean;
}

/**
 * Creates an empty adaptation field record to reuse with {@link readAdaptationField}.
 *
 * @returns a record with every flag cleared
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createAdaptationField } from "@tsrt/tsrt/mpegts";
 * const af = createAdaptationField(); // reuse it for every packet
 * assert.equal(af.pcr, -1);
 * assert.equal(af.valid, true);
 * ```
 */
export function createAdaptationField(): AdaptationField {
  return {
    length: 0,
    discontinuity: false,
    randomAccess: false,
    esPriority: false,
    pcr: -1,
    opcr: -1,
    spliceCountdown: null,
    privateData: null,
    extension: null,
    valid: true,
  };
}

/**
 * Reads a 48-bit PCR field (33-bit base, 6 reserved, 9-bit extension).
 *
 * @param buf bytes
 * @param p offset of the first PCR byte
 * @returns the PCR in 27 MHz units
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PCR_HZ, readPcr } from "@tsrt/tsrt/mpegts";
 * // program_clock_reference_base 2000 (90 kHz), extension 0: 2000 x 300 ticks of 27 MHz.
 * const pcr = readPcr(new Uint8Array([0x00, 0x00, 0x03, 0xe8, 0x7e, 0x00]), 0);
 * assert.equal(pcr, 600_000);
 * assert.equal(pcr / PCR_HZ, 1 / 45);
 * ```
 */
export function readPcr(buf: Uint8Array, p: number): number {
  const base = buf[p] * 33554432 + ((buf[p + 1] << 17) | (buf[p + 2] << 9) | (buf[p + 3] << 1) |
    (buf[p + 4] >> 7));
  const ext = ((buf[p + 4] & 1) << 8) | buf[p + 5];
  return base * 300 + ext;
}

/**
 * Fills `out` from the adaptation field of the packet at `off` (AFC must have bit 1 set).
 * Views in `out` point into `buf`; nothing is allocated unless private data or an
 * extension is present.
 *
 * @param buf bytes holding the packet
 * @param off offset of the sync byte
 * @param out record to fill
 * @returns `out.valid`
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createAdaptationField, readAdaptationField } from "@tsrt/tsrt/mpegts";
 * const packet = new Uint8Array(188).fill(0xff);
 * packet.set([0x47, 0x01, 0x00, 0x20, 183, 0x10, 0x00, 0x00, 0x03, 0xe8, 0x7e, 0x00]);
 * const af = createAdaptationField();
 * assert.equal(readAdaptationField(packet, 0, af), true);
 * assert.equal(af.length, 183);
 * assert.equal(af.pcr, 600_000);
 * ```
 */
export function readAdaptationField(buf: Uint8Array, off: number, out: AdaptationField): boolean {
  const len = buf[off + 4];
  out.length = len;
  out.pcr = -1;
  out.opcr = -1;
  out.spliceCountdown = null;
  out.privateData = null;
  out.extension = null;
  out.discontinuity = false;
  out.randomAccess = false;
  out.esPriority = false;
  out.valid = len <= 183;
  if (len === 0 || !out.valid) return out.valid;
  const f = buf[off + 5];
  out.discontinuity = (f & 0x80) !== 0;
  out.randomAccess = (f & 0x40) !== 0;
  out.esPriority = (f & 0x20) !== 0;
  let p = off + 6;
  const end = off + 5 + len;
  if (f & 0x10) {
    if (p + 6 > end) return (out.valid = false);
    out.pcr = readPcr(buf, p);
    p += 6;
  }
  if (f & 0x08) {
    if (p + 6 > end) return (out.valid = false);
    out.opcr = readPcr(buf, p);
    p += 6;
  }
  if (f & 0x04) {
    if (p + 1 > end) return (out.valid = false);
    out.spliceCountdown = (buf[p] << 24) >> 24;
    p += 1;
  }
  if (f & 0x02) {
    if (p + 1 > end || p + 1 + buf[p] > end) return (out.valid = false);
    out.privateData = buf.subarray(p + 1, p + 1 + buf[p]);
    p += 1 + buf[p];
  }
  if (f & 0x01) {
    if (p + 1 > end || p + 1 + buf[p] > end) return (out.valid = false);
    out.extension = buf.subarray(p + 1, p + 1 + buf[p]);
  }
  return true;
}
