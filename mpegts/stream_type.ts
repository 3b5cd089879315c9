/**
 * Maps a PMT entry (stream_type plus ES descriptors) to a codec, the way FFmpeg and
 * mpegts.js disambiguate private streams.
 *
 * ```
 * stream_type   descriptor needed                     codec
 * 0x01/0x02     -                                     mpeg2video
 * 0x03/0x04     -                                     mp2 (refined to mp1/mp3 from frames)
 * 0x0F          -                                     aac (ADTS)
 * 0x11          -                                     aac_latm (LOAS/LATM)
 * 0x15          metadata 0x26 "KLVA" / "ID3 "         klv / id3
 * 0x1B          -                                     h264
 * 0x24          -                                     h265
 * 0x81 / 0x87   -                                     ac3 / eac3   (ATSC, System A)
 * 0x86          -                                     scte35 (sections)
 * 0x06 (PES private data):
 *               AC-3 0x6A / E-AC-3 0x7A               ac3 / eac3   (DVB, System B)
 *               registration "Opus" (+ ext 0x80)      opus
 *               registration "KLVA"                   klv (asynchronous, SMPTE RP 217)
 *               registration "AC-3" / "EAC3"          ac3 / eac3
 *               registration "HEVC"                   h265
 *               teletext 0x56 / subtitling 0x59       teletext / dvb_subtitle
 *               registration "ID3 "                   id3
 * ```
 *
 * @module
 */

import { type Descriptor, registrationOf } from "./descriptors.ts";

/**
 * Codecs the toolkit recognises.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Codec, detectCodec } from "@tsrt/tsrt/mpegts";
 * const codec: Codec = detectCodec(0x24, []);
 * assert.equal(codec, "h265");
 * ```
 */
export type Codec =
  | "h264"
  | "h265"
  | "mpeg2video"
  | "aac"
  | "aac_latm"
  | "mp1"
  | "mp2"
  | "mp3"
  | "ac3"
  | "eac3"
  | "opus"
  | "klv"
  | "id3"
  | "scte35"
  | "teletext"
  | "dvb_subtitle"
  | "unknown";

/**
 * Broad kind of an elementary stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { codecKind, type StreamKind } from "@tsrt/tsrt/mpegts";
 * const kind: StreamKind = codecKind("opus");
 * assert.equal(kind, "audio");
 * ```
 */
export type StreamKind = "video" | "audio" | "data" | "subtitle" | "unknown";

/**
 * Stream type codes used by the detector.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectCodec, StreamType } from "@tsrt/tsrt/mpegts";
 * assert.equal(StreamType.H264, 0x1b);
 * assert.equal(detectCodec(StreamType.AAC_ADTS, []), "aac");
 * ```
 */
export const StreamType: {
  readonly MPEG1_VIDEO: 0x01;
  readonly MPEG2_VIDEO: 0x02;
  readonly MPEG1_AUDIO: 0x03;
  readonly MPEG2_AUDIO: 0x04;
  readonly PRIVATE_PES: 0x06;
  readonly AAC_ADTS: 0x0f;
  readonly AAC_LATM: 0x11;
  readonly METADATA_PES: 0x15;
  readonly H264: 0x1b;
  readonly H265: 0x24;
  readonly AC3_ATSC: 0x81;
  readonly SCTE35: 0x86;
  readonly EAC3_ATSC: 0x87;
} = {
  MPEG1_VIDEO: 0x01,
  MPEG2_VIDEO: 0x02,
  MPEG1_AUDIO: 0x03,
  MPEG2_AUDIO: 0x04,
  PRIVATE_PES: 0x06,
  AAC_ADTS: 0x0f,
  AAC_LATM: 0x11,
  METADATA_PES: 0x15,
  H264: 0x1b,
  H265: 0x24,
  AC3_ATSC: 0x81,
  SCTE35: 0x86,
  EAC3_ATSC: 0x87,
};

/**
 * Tells the kind of a codec.
 *
 * @param codec a codec
 * @returns its kind
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { codecKind } from "@tsrt/tsrt/mpegts";
 * assert.equal(codecKind("h264"), "video");
 * assert.equal(codecKind("aac"), "audio");
 * assert.equal(codecKind("scte35"), "data");
 * ```
 */
export function codecKind(codec: Codec): StreamKind {
  switch (codec) {
    case "h264":
    case "h265":
    case "mpeg2video":
      return "video";
    case "aac":
    case "aac_latm":
    case "mp1":
    case "mp2":
    case "mp3":
    case "ac3":
    case "eac3":
    case "opus":
      return "audio";
    case "klv":
    case "id3":
    case "scte35":
      return "data";
    case "teletext":
    case "dvb_subtitle":
      return "subtitle";
  }
  return "unknown";
}

/**
 * Detects the codec of a PMT entry.
 *
 * @param streamType stream_type from the PMT
 * @param descriptors its ES_info descriptors
 * @param programDescriptors program_info descriptors (registration may sit there)
 * @returns the codec, "unknown" when not recognised
 * @example
 * ```ts
 * import { detectCodec } from "./stream_type.ts";
 * detectCodec(0x1b, []); // "h264"
 * ```
 */
export function detectCodec(
  streamType: number,
  descriptors: Descriptor[],
  programDescriptors: Descriptor[] = [],
): Codec {
  switch (streamType) {
    case 0x01:
    case 0x02:
      return "mpeg2video";
    case 0x03:
    case 0x04:
      return "mp2";
    case 0x0f:
      return "aac";
    case 0x11:
      return "aac_latm";
    case 0x1b:
      return "h264";
    case 0x24:
      return "h265";
    case 0x81:
      return "ac3";
    case 0x87:
      return "eac3";
    case 0x86:
      return "scte35";
  }
  const reg = registrationOf(descriptors) ?? registrationOf(programDescriptors);
  if (streamType === 0x15) {
    for (const d of descriptors) {
      if (d.decoded?.kind === "metadata") {
        if (d.decoded.formatIdentifier === "KLVA") return "klv";
        if (d.decoded.formatIdentifier === "ID3 ") return "id3";
      }
    }
    if (reg === "KLVA") return "klv";
    if (reg === "ID3 ") return "id3";
    return "unknown";
  }
  if (streamType === 0x06) {
    for (const d of descriptors) {
      if (d.tag === 0x6a) return "ac3";
      if (d.tag === 0x7a) return "eac3";
      if (d.tag === 0x56) return "teletext";
      if (d.tag === 0x59) return "dvb_subtitle";
    }
  }
  switch (reg) {
    case "Opus":
      return "opus";
    case "KLVA":
      return "klv";
    case "AC-3":
      return "ac3";
    case "EAC3":
      return "eac3";
    case "HEVC":
      return "h265";
    case "ID3 ":
      return "id3";
    case "CUEI":
      return streamType === 0x86 ? "scte35" : "unknown";
  }
  return "unknown";
}

/**
 * Guesses the codec of a private stream (stream_type 0x06 without telling descriptors, as
 * in Blu-ray "HDMV" M2TS) from the first bytes of a PES payload.
 *
 * @param payload PES payload
 * @returns the codec, "unknown" when nothing matches
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sniffCodec } from "@tsrt/tsrt/mpegts";
 * // A private stream (stream_type 0x06) whose PES payload starts with an ADTS header.
 * assert.equal(sniffCodec(new Uint8Array([0xff, 0xf1, 0x4c, 0x80, 0x27, 0x1f, 0xfc])), "aac");
 * assert.equal(sniffCodec(new Uint8Array([0x0b, 0x77, 0x8c, 0xb5, 0x10, 0x40])), "ac3");
 * ```
 */
export function sniffCodec(payload: Uint8Array): Codec {
  if (payload.length < 4) return "unknown";
  const b0 = payload[0], b1 = payload[1];
  if (b0 === 0xff && (b1 & 0xf6) === 0xf0) return "aac";
  if (b0 === 0x0b && b1 === 0x77) return (payload[5] >> 3) > 10 ? "eac3" : "ac3";
  if (b0 === 0x56 && (b1 & 0xe0) === 0xe0) return "aac_latm";
  if (b0 === 0x7f && (b1 & 0xe0) === 0xe0) return "opus";
  if (b0 === 0xff && (b1 & 0xe0) === 0xe0 && (b1 & 0x06) !== 0) return "mp2";
  if (b0 === 0 && b1 === 0 && (payload[2] === 1 || (payload[2] === 0 && payload[3] === 1))) {
    return "unknown"; // Annex B video without a stream_type hint: leave it undecided
  }
  return "unknown";
}
