/**
 * Descriptor loops (ISO/IEC 13818-1 §2.6, ETSI EN 300 468 §6) parsed generically, with
 * decoders for the descriptors that drive stream detection.
 *
 * ```
 * +-----+--------+-------------------+
 * | tag | length | data (length B)   |   repeated up to the loop length
 * |  8  |   8    |                   |
 * +-----+--------+-------------------+
 * registration 0x05: format_identifier (4 ASCII bytes, e.g. "HEVC", "AC-3", "Opus", "KLVA", "CUEI")
 * ISO 639 0x0A:      { language (3 B) | audio_type (1 B) }*
 * AVC 0x28:          profile_idc | constraint flags | level_idc | ...
 * HEVC 0x38:         space(2) tier(1) profile_idc(5) | compat flags (32) | 48 flag bits | level_idc
 * AC-3 (DVB) 0x6A:   flags (component_type, bsid, mainid, asvc) then the fields flagged
 * E-AC-3 0x7A:       flags (component_type, bsid, mainid, asvc, mixinfo, substream1..3)
 * AC-3 (ATSC) 0x81:  sample_rate_code(3) bsid(5) | bit_rate_code(6) surround(2) | bsmod(3) num_channels(4) full(1)
 * extension 0x7F:    extension_tag | ... (0x80 = DVB Opus channel configuration)
 * ```
 *
 * @module
 */

/**
 * One descriptor: raw bytes plus the decoded form for the known tags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Descriptor, parseDescriptors } from "@tsrt/tsrt/mpegts";
 * // An ISO 639 language descriptor: "eng", audio type 0.
 * const [d]: Descriptor[] = parseDescriptors(new Uint8Array([0x0a, 4, 0x65, 0x6e, 0x67, 0]), 0, 6);
 * assert.equal(d.tag, 0x0a);
 * assert.equal(d.data.length, 4);
 * ```
 */
export interface Descriptor {
  /** descriptor_tag */
  tag: number;
  /** descriptor body (view into the section) */
  data: Uint8Array;
  /** decoded form for known tags */
  decoded?: DecodedDescriptor;
}

/**
 * Decoded descriptors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DecodedDescriptor, parseDescriptors } from "@tsrt/tsrt/mpegts";
 * const [d] = parseDescriptors(new Uint8Array([0x0a, 4, 0x65, 0x6e, 0x67, 0]), 0, 6);
 * const decoded: DecodedDescriptor | undefined = d.decoded;
 * assert.deepEqual(decoded, { kind: "language", entries: [{ language: "eng", audioType: 0 }] });
 * ```
 */
export type DecodedDescriptor =
  | { kind: "registration"; formatIdentifier: string }
  | { kind: "language"; entries: Array<{ language: string; audioType: number }> }
  | { kind: "avc"; profileIdc: number; constraintFlags: number; levelIdc: number }
  | {
    kind: "hevc";
    profileSpace: number;
    tier: number;
    profileIdc: number;
    levelIdc: number;
  }
  | {
    kind: "ac3";
    componentType?: number;
    bsid?: number;
    mainid?: number;
    asvc?: number;
  }
  | {
    kind: "eac3";
    componentType?: number;
    bsid?: number;
    mainid?: number;
    asvc?: number;
  }
  | {
    kind: "atsc_ac3";
    sampleRateCode: number;
    bsid: number;
    bitRateCode: number;
    surroundMode: number;
    bsmod: number;
    numChannels: number;
  }
  | { kind: "extension"; extensionTag: number; body: Uint8Array }
  | { kind: "stream_identifier"; componentTag: number }
  | { kind: "service"; serviceType: number; providerName: string; serviceName: string }
  | { kind: "metadata"; formatIdentifier: string; applicationFormat: number };

/**
 * Tag of the registration descriptor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDescriptors, TAG_REGISTRATION } from "@tsrt/tsrt/mpegts";
 * const [d] = parseDescriptors(new Uint8Array([0x05, 4, 0x4b, 0x4c, 0x56, 0x41]), 0, 6);
 * assert.equal(d.tag, TAG_REGISTRATION);
 * ```
 */
export const TAG_REGISTRATION: number = 0x05;
/**
 * Tag of the ISO 639 language descriptor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDescriptors, TAG_LANGUAGE } from "@tsrt/tsrt/mpegts";
 * const list = parseDescriptors(new Uint8Array([0x0a, 4, 0x66, 0x72, 0x61, 0]), 0, 6);
 * assert.ok(list.some((d) => d.tag === TAG_LANGUAGE));
 * ```
 */
export const TAG_LANGUAGE: number = 0x0a;
/**
 * Tag of the DVB AC-3 descriptor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectCodec, TAG_AC3 } from "@tsrt/tsrt/mpegts";
 * // DVB signals AC-3 as private PES (0x06) with an AC-3 descriptor.
 * const ac3 = { tag: TAG_AC3, data: new Uint8Array([0x00]) };
 * assert.equal(detectCodec(0x06, [ac3]), "ac3");
 * ```
 */
export const TAG_AC3: number = 0x6a;
/**
 * Tag of the DVB enhanced AC-3 descriptor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectCodec, TAG_EAC3 } from "@tsrt/tsrt/mpegts";
 * const eac3 = { tag: TAG_EAC3, data: new Uint8Array([0x00]) };
 * assert.equal(detectCodec(0x06, [eac3]), "eac3");
 * ```
 */
export const TAG_EAC3: number = 0x7a;
/**
 * Tag of the DVB extension descriptor.
 *
 * @example
 * ```ts
 * import { type Descriptor, TAG_EXTENSION } from "@tsrt/tsrt/mpegts";
 * function extensionTags(descriptors: Descriptor[]): number[] {
 *   return descriptors.filter((d) => d.tag === TAG_EXTENSION).map((d) => d.data[0]);
 * }
 * console.log(extensionTags([]));
 * ```
 */
export const TAG_EXTENSION: number = 0x7f;

/**
 * Reads bytes as ISO-8859-1 characters (used for 4CCs and language codes).
 *
 * @param b bytes
 * @param start first byte
 * @param end one past the last byte
 * @returns the string
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latin1 } from "@tsrt/tsrt/mpegts";
 * assert.equal(latin1(new Uint8Array([0x48, 0x45, 0x56, 0x43]), 0, 4), "HEVC");
 * ```
 */
export function latin1(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end && i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/**
 * Decodes a DVB text field (EN 300 468 Annex A): a leading selector byte below 0x20 picks
 * the character table; 0x15 means UTF-8, everything else is read as Latin-1.
 *
 * @param b bytes of the text field
 * @returns the decoded string
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dvbText } from "@tsrt/tsrt/mpegts";
 * assert.equal(dvbText(new TextEncoder().encode("News 24")), "News 24");
 * // Selector byte 0x15: the rest is UTF-8.
 * assert.equal(dvbText(new Uint8Array([0x15, 0xc3, 0xa9, 0x74, 0xc3, 0xa9])), "été");
 * ```
 */
export function dvbText(b: Uint8Array): string {
  if (b.length === 0) return "";
  const sel = b[0];
  if (sel >= 0x20) return latin1(b, 0, b.length);
  if (sel === 0x15) return new TextDecoder().decode(b.subarray(1));
  const skip = sel === 0x10 ? 3 : sel === 0x1f ? 2 : 1;
  return latin1(b, skip, b.length);
}

function decode(tag: number, d: Uint8Array): DecodedDescriptor | undefined {
  switch (tag) {
    case 0x05:
      return d.length >= 4
        ? { kind: "registration", formatIdentifier: latin1(d, 0, 4) }
        : undefined;
    case 0x0a: {
      const entries: Array<{ language: string; audioType: number }> = [];
      for (let p = 0; p + 4 <= d.length; p += 4) {
        entries.push({ language: latin1(d, p, p + 3), audioType: d[p + 3] });
      }
      return { kind: "language", entries };
    }
    case 0x26:
      if (d.length < 2) return undefined;
      if (d[0] === 0xff && d[1] === 0xff) {
        return d.length >= 7
          ? { kind: "metadata", applicationFormat: 0xffff, formatIdentifier: latin1(d, 3, 7) }
          : undefined;
      }
      return d.length >= 7
        ? {
          kind: "metadata",
          applicationFormat: (d[0] << 8) | d[1],
          formatIdentifier: d[2] === 0xff ? latin1(d, 3, 7) : String.fromCharCode(d[2]),
        }
        : undefined;
    case 0x28:
      return d.length >= 3
        ? { kind: "avc", profileIdc: d[0], constraintFlags: d[1], levelIdc: d[2] }
        : undefined;
    case 0x38:
      return d.length >= 12
        ? {
          kind: "hevc",
          profileSpace: d[0] >> 6,
          tier: (d[0] >> 5) & 1,
          profileIdc: d[0] & 0x1f,
          levelIdc: d[11],
        }
        : undefined;
    case 0x6a:
    case 0x7a: {
      if (d.length < 1) return undefined;
      const f = d[0];
      let p = 1;
      const r: { componentType?: number; bsid?: number; mainid?: number; asvc?: number } = {};
      if (f & 0x80 && p < d.length) r.componentType = d[p++];
      if (f & 0x40 && p < d.length) r.bsid = d[p++];
      if (f & 0x20 && p < d.length) r.mainid = d[p++];
      if (f & 0x10 && p < d.length) r.asvc = d[p++];
      return tag === 0x6a ? { kind: "ac3", ...r } : { kind: "eac3", ...r };
    }
    case 0x81:
      return d.length >= 3
        ? {
          kind: "atsc_ac3",
          sampleRateCode: d[0] >> 5,
          bsid: d[0] & 0x1f,
          bitRateCode: d[1] >> 2,
          surroundMode: d[1] & 3,
          bsmod: d[2] >> 5,
          numChannels: (d[2] >> 1) & 0x0f,
        }
        : undefined;
    case 0x7f:
      return d.length >= 1
        ? { kind: "extension", extensionTag: d[0], body: d.subarray(1) }
        : undefined;
    case 0x52:
      return d.length >= 1 ? { kind: "stream_identifier", componentTag: d[0] } : undefined;
    case 0x48: {
      if (d.length < 2) return undefined;
      const pl = d[1];
      if (2 + pl >= d.length) return undefined;
      const sl = d[2 + pl];
      return {
        kind: "service",
        serviceType: d[0],
        providerName: dvbText(d.subarray(2, 2 + pl)),
        serviceName: dvbText(d.subarray(3 + pl, Math.min(d.length, 3 + pl + sl))),
      };
    }
  }
  return undefined;
}

/**
 * Parses a descriptor loop. A descriptor whose length runs past `end` ends the loop.
 *
 * @param buf bytes holding the loop
 * @param start first byte of the loop
 * @param end one past the last byte of the loop
 * @returns the descriptors in order
 * @example
 * ```ts
 * import { parseDescriptors } from "./descriptors.ts";
 * const d = parseDescriptors(new Uint8Array([0x05, 4, 0x48, 0x45, 0x56, 0x43]), 0, 6);
 * d[0].decoded; // { kind: "registration", formatIdentifier: "HEVC" }
 * ```
 */
export function parseDescriptors(buf: Uint8Array, start: number, end: number): Descriptor[] {
  const out: Descriptor[] = [];
  let p = start;
  while (p + 2 <= end) {
    const tag = buf[p], len = buf[p + 1];
    if (p + 2 + len > end) break;
    const data = buf.subarray(p + 2, p + 2 + len);
    const decoded = decode(tag, data);
    out.push(decoded ? { tag, data, decoded } : { tag, data });
    p += 2 + len;
  }
  return out;
}

/**
 * Finds the format_identifier of the first registration descriptor.
 *
 * @param descriptors a parsed loop
 * @returns the 4CC, or undefined
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDescriptors, registrationOf } from "@tsrt/tsrt/mpegts";
 * const d = parseDescriptors(new Uint8Array([0x05, 4, 0x48, 0x45, 0x56, 0x43]), 0, 6);
 * assert.equal(registrationOf(d), "HEVC");
 * assert.equal(registrationOf([]), undefined);
 * ```
 */
export function registrationOf(descriptors: Descriptor[]): string | undefined {
  for (const d of descriptors) {
    if (d.decoded?.kind === "registration") return d.decoded.formatIdentifier;
  }
  return undefined;
}
