/**
 * SCTE-35 splice_info_section (ANSI/SCTE 35 §9.6), carried as sections on a PID with
 * stream_type 0x86. splice_insert and time_signal are decoded; other commands keep their bytes.
 *
 * ```
 * | table_id 0xFC | SSI 0 | private | sap_type (2) | section_length (12) | protocol_version (8) |
 * | encrypted (1) | encryption_algorithm (6) | pts_adjustment (33) | cw_index (8) | tier (12) |
 * | splice_command_length (12) | splice_command_type (8) | splice_command ... |
 * | descriptor_loop_length (16) | splice_descriptor* | [E_CRC_32] | CRC_32 |
 *
 * splice_time():  | time_specified (1) | 6 reserved + pts_time (33) or 7 reserved |
 * splice_insert:  | event_id (32) | cancel (1) rr(7) | out_of_network (1) program_splice (1)
 *                 | duration_flag (1) immediate (1) rr(4) | [splice_time] or {tag [splice_time]}*
 *                 | [auto_return (1) rr(6) duration (33)] | unique_program_id (16) | avail (8) | expected (8) |
 * time_signal:    | splice_time() |
 * ```
 *
 * @module
 */

import { BitReader } from "./_bit_reader.ts";
import { crc32Mpeg2 } from "./crc32.ts";
import { latin1 } from "./descriptors.ts";

/**
 * splice_insert() fields.
 *
 * @example
 * ```ts
 * import { type SpliceInsert, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * const demux = new TsDemuxer();
 * demux.on((ev) => {
 *   if (ev.type !== "scte35" || !ev.splice.spliceInsert) return;
 *   const insert: SpliceInsert = ev.splice.spliceInsert;
 *   const what = insert.outOfNetwork ? "ad break starts" : "back to the program";
 *   console.log(`event ${insert.eventId}: ${what} at PTS ${insert.ptsTime ?? "now"}`);
 * });
 * ```
 */
export interface SpliceInsert {
  /** splice_event_id */
  eventId: number;
  /** splice_event_cancel_indicator */
  cancel: boolean;
  /** out_of_network_indicator */
  outOfNetwork: boolean;
  /** program_splice_flag */
  programSplice: boolean;
  /** splice_immediate_flag */
  immediate: boolean;
  /** splice time (90 kHz, before pts_adjustment) for program splices, if specified */
  ptsTime?: number;
  /** per-component splice times for component splices */
  components?: Array<{ componentTag: number; ptsTime?: number }>;
  /** break_duration (90 kHz), if present */
  breakDuration?: { autoReturn: boolean; duration: number };
  /** unique_program_id */
  uniqueProgramId: number;
  /** avail_num */
  availNum: number;
  /** avails_expected */
  availsExpected: number;
}

/**
 * A decoded splice_info_section.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSpliceInfo, type SpliceInfo } from "@tsrt/tsrt/mpegts";
 * const info: SpliceInfo | null = parseSpliceInfo(
 *   new Uint8Array([
 *     0xfc, 0x30, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
 *     0xff, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x7a, 0x4f, 0xbf, 0xff,
 *   ]),
 * );
 * assert.equal(info?.encrypted, false);
 * assert.equal(info?.tier, 0xfff);
 * ```
 */
export interface SpliceInfo {
  /** protocol_version */
  protocolVersion: number;
  /** encrypted_packet (the command is then left undecoded) */
  encrypted: boolean;
  /** pts_adjustment (90 kHz) */
  ptsAdjustment: number;
  /** tier */
  tier: number;
  /** splice_command_type (0 null, 4 schedule, 5 insert, 6 time_signal, 7 bandwidth, 0xFF private) */
  commandType: number;
  /** raw splice command bytes */
  command: Uint8Array;
  /** decoded splice_insert */
  spliceInsert?: SpliceInsert;
  /** decoded time_signal (ptsTime absent when time_specified_flag is 0) */
  timeSignal?: { ptsTime?: number };
  /** splice descriptors: tag, 4-byte identifier (normally "CUEI") and body */
  descriptors: Array<{ tag: number; identifier: string; data: Uint8Array }>;
  /** CRC_32 check result */
  crcOk: boolean;
}

function spliceTime(r: BitReader): number | undefined {
  if (r.bit()) {
    r.skip(6);
    return r.bits(33);
  }
  r.skip(7);
  return undefined;
}

function parseInsert(c: Uint8Array): SpliceInsert | undefined {
  const r = new BitReader(c);
  const eventId = r.bits(32);
  const cancel = r.bit() === 1;
  r.skip(7);
  const si: SpliceInsert = {
    eventId,
    cancel,
    outOfNetwork: false,
    programSplice: false,
    immediate: false,
    uniqueProgramId: 0,
    availNum: 0,
    availsExpected: 0,
  };
  if (!cancel) {
    si.outOfNetwork = r.bit() === 1;
    si.programSplice = r.bit() === 1;
    const durationFlag = r.bit() === 1;
    si.immediate = r.bit() === 1;
    r.skip(4);
    if (si.programSplice && !si.immediate) {
      const t = spliceTime(r);
      if (t !== undefined) si.ptsTime = t;
    }
    if (!si.programSplice) {
      const n = r.bits(8);
      si.components = [];
      for (let i = 0; i < n && !r.overrun; i++) {
        const componentTag = r.bits(8);
        const comp: { componentTag: number; ptsTime?: number } = { componentTag };
        if (!si.immediate) {
          const t = spliceTime(r);
          if (t !== undefined) comp.ptsTime = t;
        }
        si.components.push(comp);
      }
    }
    if (durationFlag) {
      const autoReturn = r.bit() === 1;
      r.skip(6);
      si.breakDuration = { autoReturn, duration: r.bits(33) };
    }
    si.uniqueProgramId = r.bits(16);
    si.availNum = r.bits(8);
    si.availsExpected = r.bits(8);
  }
  return r.overrun ? undefined : si;
}

/**
 * Parses a splice_info_section.
 *
 * @param s complete section (table_id 0xFC)
 * @returns the decoded section, or null when malformed
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSpliceInfo } from "@tsrt/tsrt/mpegts";
 * // A splice_null() heartbeat: command type 0, no descriptors, valid CRC.
 * const info = parseSpliceInfo(
 *   new Uint8Array([
 *     0xfc, 0x30, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
 *     0xff, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x7a, 0x4f, 0xbf, 0xff,
 *   ]),
 * );
 * assert.equal(info?.commandType, 0);
 * assert.equal(info?.crcOk, true);
 * assert.deepEqual(info?.descriptors, []);
 * ```
 */
export function parseSpliceInfo(s: Uint8Array): SpliceInfo | null {
  if (s.length < 20 || s[0] !== 0xfc) return null;
  const total = 3 + (((s[1] & 0x0f) << 8) | s[2]);
  if (total > s.length || total < 20) return null;
  const encrypted = (s[4] & 0x80) !== 0;
  const ptsAdjustment = (s[4] & 1) * 4294967296 +
    ((s[5] << 24) >>> 0) + ((s[6] << 16) | (s[7] << 8) | s[8]);
  const tier = (s[10] << 4) | (s[11] >> 4);
  let cmdLen = ((s[11] & 0x0f) << 8) | s[12];
  const commandType = s[13];
  const end = total - 4;
  if (cmdLen === 0xfff) cmdLen = 0; // legacy "unknown length": only null/time_signal sizes matter
  const cmdStart = 14;
  let cmdEnd = cmdStart + cmdLen;
  if (cmdLen === 0 && commandType === 6) cmdEnd = cmdStart + ((s[14] & 0x80) ? 5 : 1);
  if (cmdEnd + 2 > end) return null;
  const command = s.subarray(cmdStart, cmdEnd);
  const info: SpliceInfo = {
    protocolVersion: s[3],
    encrypted,
    ptsAdjustment,
    tier,
    commandType,
    command,
    descriptors: [],
    crcOk: crc32Mpeg2(s, 0, total) === 0,
  };
  if (!encrypted) {
    if (commandType === 5) {
      const si = parseInsert(command);
      if (si) info.spliceInsert = si;
    } else if (commandType === 6) {
      const r = new BitReader(command);
      const t = spliceTime(r);
      info.timeSignal = t === undefined ? {} : { ptsTime: t };
    }
    const loopLen = (s[cmdEnd] << 8) | s[cmdEnd + 1];
    let p = cmdEnd + 2;
    const loopEnd = Math.min(end, p + loopLen);
    while (p + 2 <= loopEnd) {
      const tag = s[p], len = s[p + 1];
      if (p + 2 + len > loopEnd || len < 4) break;
      info.descriptors.push({
        tag,
        identifier: latin1(s, p + 2, p + 6),
        data: s.subarray(p + 6, p + 2 + len),
      });
      p += 2 + len;
    }
  }
  return info;
}
