/**
 * H.264 / AVC access units, keyframes and sequence parameter sets (ITU-T H.264 §7.3.2.1).
 *
 * ```
 * NAL header: | F(1) | nal_ref_idc(2) | nal_unit_type(5) |   1 IDR... 5 IDR, 7 SPS, 8 PPS, 9 AUD
 *
 * SPS RBSP (after emulation-prevention removal):
 * profile_idc(8) constraint_set0..5 + 2 reserved(8) level_idc(8) ue:sps_id
 * [high profiles: ue:chroma_format_idc [u1 separate_colour_plane] ue:bit_depth_luma-8
 *   ue:bit_depth_chroma-8 u1 qpprime_bypass u1 scaling_matrix_present [scaling lists]]
 * ue:log2_max_frame_num-4 ue:poc_type [type 0: ue | type 1: u1 se se ue {se}*]
 * ue:max_num_ref_frames u1 gaps ue:pic_width_in_mbs-1 ue:pic_height_in_map_units-1
 * u1 frame_mbs_only [u1 mbaff] u1 direct_8x8 u1 cropping [ue l ue r ue t ue b]
 * u1 vui_present [VUI: aspect, overscan, video signal, chroma loc, timing_info ...]
 * ```
 *
 * @module
 */

import { BitReader } from "./_bit_reader.ts";
import { nextNalStart, unescapeRbsp } from "./nal.ts";

/**
 * Parameters read from an H.264 SPS.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type H264Sps, parseH264Sps } from "@tsrt/tsrt/mpegts";
 * const sps: H264Sps | null = parseH264Sps(
 *   new Uint8Array([
 *     0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00,
 *     0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x16, 0x2d, 0x96,
 *   ]),
 * );
 * assert.equal(sps?.levelIdc, 30); // level 3.0
 * assert.equal(sps?.chromaFormatIdc, 1); // 4:2:0
 * ```
 */
export interface H264Sps {
  /** profile_idc */
  profileIdc: number;
  /** constraint_set flags byte */
  constraintFlags: number;
  /** level_idc (e.g. 31 for level 3.1) */
  levelIdc: number;
  /** chroma_format_idc (1 = 4:2:0) */
  chromaFormatIdc: number;
  /** luma bit depth */
  bitDepth: number;
  /** cropped picture width */
  width: number;
  /** cropped picture height */
  height: number;
  /** frames per second from VUI timing (time_scale / 2 / num_units_in_tick), if signalled */
  frameRate?: number;
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8, next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/**
 * Parses an H.264 SPS NAL unit (header byte included).
 *
 * @param nal the NAL unit, emulation-prevention bytes still in place
 * @returns the parameters, or null when the SPS is truncated or malformed
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseH264Sps } from "@tsrt/tsrt/mpegts";
 * // The SPS NAL unit (header byte 0x67, no start code) of a 640x360 30 fps High profile stream.
 * const sps = parseH264Sps(
 *   new Uint8Array([
 *     0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00,
 *     0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x16, 0x2d, 0x96,
 *   ]),
 * );
 * assert.equal(sps?.profileIdc, 100);
 * assert.equal(sps?.width, 640);
 * assert.equal(sps?.height, 360);
 * assert.equal(sps?.frameRate, 30);
 * ```
 */
export function parseH264Sps(nal: Uint8Array): H264Sps | null {
  if (nal.length < 4 || (nal[0] & 0x1f) !== 7) return null;
  const r = new BitReader(unescapeRbsp(nal, 1));
  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  r.ue();
  let chromaFormatIdc = 1, bitDepth = 8, separate = 0;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) separate = r.bit();
    bitDepth = r.ue() + 8;
    r.ue();
    r.bit();
    if (r.bit()) {
      for (let i = 0; i < (chromaFormatIdc !== 3 ? 8 : 12); i++) {
        if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.ue();
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.bit();
    r.se();
    r.se();
    const n = r.ue();
    for (let i = 0; i < n && !r.overrun; i++) r.se();
  }
  r.ue();
  r.bit();
  const wMbs = r.ue() + 1;
  const hMap = r.ue() + 1;
  const frameMbsOnly = r.bit();
  if (!frameMbsOnly) r.bit();
  r.bit();
  let cl = 0, cr = 0, ct = 0, cb = 0;
  if (r.bit()) {
    cl = r.ue();
    cr = r.ue();
    ct = r.ue();
    cb = r.ue();
  }
  const arrayType = separate ? 0 : chromaFormatIdc;
  const subW = arrayType === 1 || arrayType === 2 ? 2 : 1;
  const subH = arrayType === 1 ? 2 : 1;
  const cropX = arrayType === 0 ? 1 : subW;
  const cropY = (arrayType === 0 ? 1 : subH) * (2 - frameMbsOnly);
  const sps: H264Sps = {
    profileIdc,
    constraintFlags,
    levelIdc,
    chromaFormatIdc,
    bitDepth,
    width: wMbs * 16 - cropX * (cl + cr),
    height: (2 - frameMbsOnly) * hMap * 16 - cropY * (ct + cb),
  };
  if (r.overrun) return null;
  if (r.bit()) {
    if (r.bit() && r.bits(8) === 255) r.skip(32);
    if (r.bit()) r.bit();
    if (r.bit()) {
      r.skip(4);
      if (r.bit()) r.skip(24);
    }
    if (r.bit()) {
      r.ue();
      r.ue();
    }
    if (r.bit()) {
      const units = r.bits(32);
      const scale = r.bits(32);
      if (!r.overrun && units > 0 && scale > 0) sps.frameRate = scale / (2 * units);
    }
  }
  return sps;
}

/**
 * Names the profile the way FFmpeg does.
 *
 * @param sps a parsed SPS
 * @returns e.g. "High", "Main", "Constrained Baseline"
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { h264ProfileName, type H264Sps } from "@tsrt/tsrt/mpegts";
 * const sps: H264Sps = {
 *   profileIdc: 66,
 *   constraintFlags: 0x40, // constraint_set1_flag
 *   levelIdc: 31,
 *   chromaFormatIdc: 1,
 *   bitDepth: 8,
 *   width: 1280,
 *   height: 720,
 * };
 * assert.equal(h264ProfileName(sps), "Constrained Baseline");
 * ```
 */
export function h264ProfileName(sps: H264Sps): string {
  switch (sps.profileIdc) {
    case 66:
      return sps.constraintFlags & 0x40 ? "Constrained Baseline" : "Baseline";
    case 77:
      return "Main";
    case 88:
      return "Extended";
    case 100:
      return "High";
    case 110:
      return "High 10";
    case 122:
      return "High 4:2:2";
    case 244:
      return "High 4:4:4 Predictive";
  }
  return `profile ${sps.profileIdc}`;
}

/**
 * What an access unit contains.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AccessUnitInfo, inspectH264AccessUnit } from "@tsrt/tsrt/mpegts";
 * // Access unit delimiter, then a non-IDR slice.
 * const au = new Uint8Array([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x41, 0x9a]);
 * const info: AccessUnitInfo = inspectH264AccessUnit(au);
 * assert.equal(info.keyframe, false);
 * assert.equal(info.sps, undefined);
 * ```
 */
export interface AccessUnitInfo {
  /** an IDR (H.264) or IRAP (H.265) picture is present */
  keyframe: boolean;
  /** SPS NAL unit found in the unit, if any (view) */
  sps?: Uint8Array;
  /** NAL unit types in order */
  nalTypes: number[];
}

/**
 * Inspects an H.264 access unit: keyframe = its first slice is an IDR slice (type 5).
 * Scanning stops at the first slice, since parameter sets precede it and all slices of
 * a picture share its IDR-ness; `nalTypes` therefore ends with that slice.
 *
 * @param au Annex B bytes of one access unit
 * @returns keyframe flag, SPS and NAL types
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inspectH264AccessUnit } from "@tsrt/tsrt/mpegts";
 * // AUD, SPS (truncated here), IDR slice.
 * const au = new Uint8Array([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x64, 0, 0, 1, 0x65, 0x88]);
 * const info = inspectH264AccessUnit(au);
 * assert.equal(info.keyframe, true);
 * assert.deepEqual(info.nalTypes, [9, 7, 5]);
 * assert.deepEqual([...info.sps!], [0x67, 0x64]);
 * ```
 */
export function inspectH264AccessUnit(au: Uint8Array): AccessUnitInfo {
  const info: AccessUnitInfo = { keyframe: false, nalTypes: [] };
  let start = nextNalStart(au, 0);
  while (start >= 0 && start < au.length) {
    const t = au[start] & 0x1f;
    info.nalTypes.push(t);
    if (t >= 1 && t <= 5) {
      info.keyframe = t === 5;
      break;
    }
    const next = nextNalStart(au, start + 1);
    if (t === 7 && !info.sps) {
      let end = next < 0 ? au.length : next - 3;
      while (end > start && au[end - 1] === 0) end--;
      info.sps = au.subarray(start, end);
    }
    start = next;
  }
  return info;
}
