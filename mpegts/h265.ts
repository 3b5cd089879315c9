/**
 * H.265 / HEVC access units, IRAP detection, VPS timing and SPS (ITU-T H.265 §7.3).
 *
 * ```
 * NAL header: | F(1) | nal_unit_type(6) | nuh_layer_id(6) | temporal_id_plus1(3) |
 *   16..21 IRAP (BLA 16-18, IDR 19-20, CRA 21), 22-23 reserved IRAP, 32 VPS, 33 SPS, 34 PPS
 *
 * profile_tier_level(1, n):
 *   space(2) tier(1) profile_idc(5) | compat flags(32) | 48 constraint bits | level_idc(8)
 *   { sub_layer_profile_present(1) sub_layer_level_present(1) }*n [2-bit pads to 8]
 *   per sub-layer: 88 bits if profile present, 8 bits if level present
 * SPS: vps_id(4) max_sub_layers-1(3) nesting(1) PTL ue:sps_id ue:chroma_format_idc
 *      [u1 separate_colour_plane] ue:width ue:height u1 conformance [ue l r t b]
 *      ue:bit_depth_luma-8 ...
 * VPS: vps_id(4) flags(2) max_layers-1(6) max_sub_layers-1(3) nesting(1) ffff(16) PTL
 *      u1 ordering_all { ue ue ue } ue-layers... u6 max_layer_id ue num_layer_sets-1
 *      { u1 * (max_layer_id+1) }* u1 timing_present [u32 num_units_in_tick u32 time_scale]
 * ```
 *
 * @module
 */

import { BitReader } from "./_bit_reader.ts";
import type { AccessUnitInfo } from "./h264.ts";
import { nextNalStart, unescapeRbsp } from "./nal.ts";

/**
 * Parameters read from an H.265 SPS.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { h265ProfileName, type H265Sps } from "@tsrt/tsrt/mpegts";
 * const sps: H265Sps = {
 *   profileIdc: 2,
 *   tier: 0,
 *   levelIdc: 123, // level 4.1
 *   chromaFormatIdc: 1,
 *   bitDepth: 10,
 *   width: 1920,
 *   height: 1080,
 * };
 * assert.equal(h265ProfileName(sps), "Main 10");
 * ```
 */
export interface H265Sps {
  /** general_profile_idc (1 Main, 2 Main 10, ...) */
  profileIdc: number;
  /** general_tier_flag */
  tier: number;
  /** general_level_idc (30 x level, e.g. 93 = level 3.1) */
  levelIdc: number;
  /** chroma_format_idc */
  chromaFormatIdc: number;
  /** luma bit depth */
  bitDepth: number;
  /** width after the conformance window */
  width: number;
  /** height after the conformance window */
  height: number;
  /** frames per second from VUI timing (time_scale / num_units_in_tick), if signalled */
  frameRate?: number;
}

function skipProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): {
  space: number;
  tier: number;
  profileIdc: number;
  levelIdc: number;
} {
  const space = r.bits(2);
  const tier = r.bit();
  const profileIdc = r.bits(5);
  r.skip(32 + 48);
  const levelIdc = r.bits(8);
  const prof: number[] = [], lvl: number[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    prof.push(r.bit());
    lvl.push(r.bit());
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (prof[i]) r.skip(88);
    if (lvl[i]) r.skip(8);
  }
  return { space, tier, profileIdc, levelIdc };
}

/**
 * Parses an H.265 SPS NAL unit (2-byte header included).
 *
 * @param nal the NAL unit, emulation-prevention bytes still in place
 * @returns the parameters, or null when truncated
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseH265Sps } from "@tsrt/tsrt/mpegts";
 * // The SPS NAL unit (type 33, no start code) of a 320x180 25 fps Main profile stream.
 * const sps = parseH265Sps(
 *   new Uint8Array([
 *     0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
 *     0x00, 0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0c, 0x1f, 0x3e, 0x5b, 0xa4, 0xa4, 0xc2,
 *     0xf0, 0x16, 0x80, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0c, 0x84,
 *   ]),
 * );
 * assert.equal(sps?.profileIdc, 1);
 * assert.equal(sps?.levelIdc, 60); // level 2
 * assert.equal(sps?.width, 320);
 * assert.equal(sps?.height, 180);
 * assert.equal(sps?.frameRate, 25);
 * ```
 */
export function parseH265Sps(nal: Uint8Array): H265Sps | null {
  if (nal.length < 4 || ((nal[0] >> 1) & 0x3f) !== 33) return null;
  const r = new BitReader(unescapeRbsp(nal, 2));
  r.skip(4);
  const maxSub = r.bits(3);
  r.bit();
  const ptl = skipProfileTierLevel(r, maxSub);
  r.ue();
  const chromaFormatIdc = r.ue();
  let separate = 0;
  if (chromaFormatIdc === 3) separate = r.bit();
  let width = r.ue();
  let height = r.ue();
  if (r.bit()) {
    const arrayType = separate ? 0 : chromaFormatIdc;
    const subW = arrayType === 1 || arrayType === 2 ? 2 : 1;
    const subH = arrayType === 1 ? 2 : 1;
    const l = r.ue(), rt = r.ue(), t = r.ue(), b = r.ue();
    width -= subW * (l + rt);
    height -= subH * (t + b);
  }
  const bitDepth = r.ue() + 8;
  if (r.overrun) return null;
  const sps: H265Sps = {
    profileIdc: ptl.profileIdc,
    tier: ptl.tier,
    levelIdc: ptl.levelIdc,
    chromaFormatIdc,
    bitDepth,
    width,
    height,
  };
  const rate = readVuiFrameRate(r, maxSub);
  if (rate !== undefined) sps.frameRate = rate;
  return sps;
}

function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let m = 0; m < 6; m += sizeId === 3 ? 3 : 1) {
      if (!r.bit()) {
        r.ue();
      } else {
        const coefs = Math.min(64, 1 << (4 + (sizeId << 1)));
        if (sizeId > 1) r.se();
        for (let i = 0; i < coefs && !r.overrun; i++) r.se();
      }
    }
  }
}

/** Walks the rest of the SPS (after bit_depth_luma) up to VUI timing info. */
function readVuiFrameRate(r: BitReader, maxSub: number): number | undefined {
  r.ue(); // bit_depth_chroma_minus8
  const log2PocLsb = r.ue() + 4;
  const allOrdering = r.bit();
  for (let i = allOrdering ? 0 : maxSub; i <= maxSub; i++) {
    r.ue();
    r.ue();
    r.ue();
  }
  for (let i = 0; i < 6; i++) r.ue(); // block sizes and transform depths
  if (r.bit() && r.bit()) skipScalingListData(r);
  r.skip(2); // amp, sao
  if (r.bit()) {
    r.skip(8);
    r.ue();
    r.ue();
    r.skip(1);
  }
  const numSets = r.ue();
  if (numSets > 64) return undefined;
  const deltaPocs: number[] = [];
  for (let idx = 0; idx < numSets && !r.overrun; idx++) {
    if (idx !== 0 && r.bit()) {
      r.skip(1); // delta_rps_sign
      r.ue(); // abs_delta_rps_minus1
      let n = 0;
      for (let j = 0; j <= deltaPocs[idx - 1]; j++) {
        // used_by_curr_pic_flag, else use_delta_flag: either keeps the picture in the set.
        const used = r.bit();
        if (used || r.bit()) n++;
      }
      deltaPocs.push(n);
    } else {
      const neg = r.ue(), pos = r.ue();
      if (neg + pos > 32) return undefined;
      for (let j = 0; j < neg + pos; j++) {
        r.ue();
        r.skip(1);
      }
      deltaPocs.push(neg + pos);
    }
  }
  if (r.bit()) {
    const n = r.ue();
    if (n > 32) return undefined;
    r.skip(n * (log2PocLsb + 1));
  }
  r.skip(2); // temporal mvp, strong intra smoothing
  if (!r.bit()) return undefined; // vui_parameters_present_flag
  if (r.bit() && r.bits(8) === 255) r.skip(32);
  if (r.bit()) r.skip(1);
  if (r.bit()) {
    r.skip(4);
    if (r.bit()) r.skip(24);
  }
  if (r.bit()) {
    r.ue();
    r.ue();
  }
  r.skip(3);
  if (r.bit()) {
    r.ue();
    r.ue();
    r.ue();
    r.ue();
  }
  if (!r.bit()) return undefined;
  const units = r.bits(32), scale = r.bits(32);
  return !r.overrun && units > 0 && scale > 0 ? scale / units : undefined;
}

/**
 * Reads the frame rate from the timing info of an H.265 VPS, when signalled.
 *
 * @param nal VPS NAL unit (type 32), header included
 * @returns time_scale / num_units_in_tick, or undefined
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseH265VpsFrameRate } from "@tsrt/tsrt/mpegts";
 * // This VPS has no vps_timing_info, so the frame rate comes from the SPS VUI instead.
 * const vps = new Uint8Array([
 *   0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00,
 *   0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0xba, 0x02, 0x40,
 * ]);
 * assert.equal(parseH265VpsFrameRate(vps), undefined);
 * assert.equal(parseH265VpsFrameRate(new Uint8Array([0x42, 0x01, 0, 0])), undefined); // not a VPS
 * ```
 */
export function parseH265VpsFrameRate(nal: Uint8Array): number | undefined {
  if (nal.length < 4 || ((nal[0] >> 1) & 0x3f) !== 32) return undefined;
  const r = new BitReader(unescapeRbsp(nal, 2));
  r.skip(4 + 2 + 6);
  const maxSub = r.bits(3);
  r.skip(1 + 16);
  skipProfileTierLevel(r, maxSub);
  const allOrdering = r.bit();
  for (let i = allOrdering ? 0 : maxSub; i <= maxSub; i++) {
    r.ue();
    r.ue();
    r.ue();
  }
  const maxLayerId = r.bits(6);
  const sets = r.ue();
  if (sets > 1023) return undefined;
  r.skip(sets * (maxLayerId + 1));
  if (!r.bit()) return undefined;
  const units = r.bits(32), scale = r.bits(32);
  return !r.overrun && units > 0 && scale > 0 ? scale / units : undefined;
}

/**
 * Names the general profile the way FFmpeg does.
 *
 * @param sps a parsed SPS
 * @returns e.g. "Main", "Main 10"
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { h265ProfileName, type H265Sps } from "@tsrt/tsrt/mpegts";
 * const main: H265Sps = {
 *   profileIdc: 1,
 *   tier: 0,
 *   levelIdc: 93,
 *   chromaFormatIdc: 1,
 *   bitDepth: 8,
 *   width: 1280,
 *   height: 720,
 * };
 * assert.equal(h265ProfileName(main), "Main");
 * ```
 */
export function h265ProfileName(sps: H265Sps): string {
  switch (sps.profileIdc) {
    case 1:
      return "Main";
    case 2:
      return "Main 10";
    case 3:
      return "Main Still Picture";
    case 4:
      return "Rext";
  }
  return `profile ${sps.profileIdc}`;
}

/**
 * {@link AccessUnitInfo} plus the VPS of an H.265 unit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type H265AccessUnitInfo, inspectH265AccessUnit } from "@tsrt/tsrt/mpegts";
 * // A trailing picture (TRAIL_R, type 1) alone.
 * const au = new Uint8Array([0, 0, 1, 0x02, 0x01, 0xd0]);
 * const info: H265AccessUnitInfo = inspectH265AccessUnit(au);
 * assert.equal(info.keyframe, false);
 * assert.equal(info.vps, undefined);
 * ```
 */
export interface H265AccessUnitInfo extends AccessUnitInfo {
  /** VPS NAL unit, if any (view) */
  vps?: Uint8Array;
}

/**
 * Inspects an H.265 access unit: keyframe = its first picture is IRAP (types 16-23).
 * CRA (21) counts as a keyframe although RASL pictures after it may not decode. Scanning
 * stops at the first VCL NAL unit (type < 32).
 *
 * @param au Annex B bytes of one access unit
 * @returns keyframe flag, VPS/SPS and NAL types
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inspectH265AccessUnit } from "@tsrt/tsrt/mpegts";
 * // AUD (35), VPS (32, truncated here), IDR_W_RADL slice (19).
 * const au = new Uint8Array([
 *   0, 0, 0, 1, 0x46, 0x01, 0x50, 0, 0, 1, 0x40, 0x01, 0x0c, 0, 0, 1, 0x26, 0x01, 0xaf,
 * ]);
 * const info = inspectH265AccessUnit(au);
 * assert.equal(info.keyframe, true);
 * assert.deepEqual(info.nalTypes, [35, 32, 19]);
 * assert.equal(info.vps?.length, 3);
 * ```
 */
export function inspectH265AccessUnit(au: Uint8Array): H265AccessUnitInfo {
  const info: H265AccessUnitInfo = { keyframe: false, nalTypes: [] };
  let start = nextNalStart(au, 0);
  while (start >= 0 && start + 1 < au.length) {
    const t = (au[start] >> 1) & 0x3f;
    info.nalTypes.push(t);
    if (t < 32) {
      info.keyframe = t >= 16 && t <= 23;
      break;
    }
    const next = nextNalStart(au, start + 2);
    if (t === 33 || t === 32) {
      let end = next < 0 ? au.length : next - 3;
      while (end > start && au[end - 1] === 0) end--;
      if (t === 33 && !info.sps) info.sps = au.subarray(start, end);
      if (t === 32 && !info.vps) info.vps = au.subarray(start, end);
    }
    start = next;
  }
  return info;
}
