/**
 * Program-specific information tables: PAT, PMT, CAT (ISO/IEC 13818-1 §2.4.4) and the DVB
 * SDT (ETSI EN 300 468 §5.2.3). Parsers take one complete section and never throw.
 *
 * ```
 * long section header (8 bytes) ............................................ then CRC_32
 * +----------+---+---+--+--------+-------------+--+-------+--+---------+--------------+
 * | table_id |SSI| 0 |rr| length | table_id_ext|rr|version|CN| sect_no | last_sect_no |
 * |    8     | 1 | 1 | 2|   12   |     16      | 2|   5   | 1|    8    |      8       |
 * +----------+---+---+--+--------+-------------+--+-------+--+---------+--------------+
 * PAT body: { program_number(16) | rrr(3) program_map_PID(13) }*   (number 0 = NIT PID)
 * PMT body: rrr PCR_PID(13) | rrrr program_info_length(12) | descriptors
 *           { stream_type(8) | rrr elementary_PID(13) | rrrr ES_info_length(12) | descriptors }*
 * CAT body: descriptors (CA_descriptor 0x09: CA_system_ID(16) rrr CA_PID(13) ...)
 * SDT body: original_network_id(16) | reserved(8) |
 *           { service_id(16) | rrrrrr EIT_sched(1) EIT_pf(1) | running(3) free_CA(1) loop_len(12) | descriptors }*
 * ```
 *
 * @module
 */

import { type Descriptor, parseDescriptors } from "./descriptors.ts";

/**
 * Common long-form section header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSectionHeader, type SectionHeader } from "@tsrt/tsrt/mpegts";
 * const pat = new Uint8Array([
 *   0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00,
 *   0x00, 0x01, 0xf0, 0x00, 0x2a, 0xb1, 0x04, 0xb2,
 * ]);
 * const h: SectionHeader | null = parseSectionHeader(pat);
 * assert.equal(h?.tableIdExtension, 1);
 * assert.equal(h?.currentNext, true);
 * ```
 */
export interface SectionHeader {
  /** table_id */
  tableId: number;
  /** table_id_extension (transport_stream_id, program_number, ...) */
  tableIdExtension: number;
  /** version_number */
  version: number;
  /** current_next_indicator */
  currentNext: boolean;
  /** section_number */
  sectionNumber: number;
  /** last_section_number */
  lastSectionNumber: number;
}

/**
 * Program association table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Pat, parsePat } from "@tsrt/tsrt/mpegts";
 * const pat: Pat | null = parsePat(
 *   new Uint8Array([
 *     0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00,
 *     0x00, 0x01, 0xf0, 0x00, 0x2a, 0xb1, 0x04, 0xb2,
 *   ]),
 * );
 * assert.deepEqual(pat?.programs, [{ programNumber: 1, pmtPid: 0x1000 }]);
 * assert.equal(pat?.nitPid, undefined);
 * ```
 */
export interface Pat extends SectionHeader {
  /** transport_stream_id */
  transportStreamId: number;
  /** programs other than 0, with their PMT PIDs */
  programs: Array<{ programNumber: number; pmtPid: number }>;
  /** network PID announced by program 0, if any */
  nitPid?: number;
}

/**
 * One elementary stream in a PMT.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePmt, type PmtStream } from "@tsrt/tsrt/mpegts";
 * const pmt = parsePmt(
 *   new Uint8Array([
 *     0x02, 0xb0, 0x12, 0x00, 0x01, 0xc1, 0x00, 0x00, 0xe1, 0x00, 0xf0, 0x00,
 *     0x1b, 0xe1, 0x00, 0xf0, 0x00, 0x15, 0xbd, 0x4d, 0x56,
 *   ]),
 * );
 * const video: PmtStream | undefined = pmt?.streams[0];
 * assert.deepEqual(video, { streamType: 0x1b, pid: 0x100, descriptors: [] });
 * ```
 */
export interface PmtStream {
  /** stream_type */
  streamType: number;
  /** elementary_PID */
  pid: number;
  /** ES_info descriptors */
  descriptors: Descriptor[];
}

/**
 * Program map table.
 *
 * @example
 * ```ts
 * import { type Pmt, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * const demux = new TsDemuxer();
 * demux.on((ev) => {
 *   if (ev.type === "pmt") {
 *     const pmt: Pmt = ev.pmt;
 *     console.log(`program ${pmt.programNumber} v${pmt.version}, PCR on PID ${pmt.pcrPid}`);
 *   }
 * });
 * ```
 */
export interface Pmt extends SectionHeader {
  /** program_number */
  programNumber: number;
  /** PCR_PID (0x1FFF when none) */
  pcrPid: number;
  /** program_info descriptors */
  descriptors: Descriptor[];
  /** elementary streams in PMT order */
  streams: PmtStream[];
}

/**
 * Conditional access table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Cat, parseCat } from "@tsrt/tsrt/mpegts";
 * const cat: Cat | null = parseCat(
 *   new Uint8Array([
 *     0x01, 0xb0, 0x0f, 0xff, 0xff, 0xc1, 0x00, 0x00,
 *     0x09, 0x04, 0x0b, 0x00, 0xe1, 0x23, 0xfe, 0xe8, 0x50, 0x18,
 *   ]),
 * );
 * assert.equal(cat?.descriptors[0].tag, 0x09); // CA_descriptor
 * ```
 */
export interface Cat extends SectionHeader {
  /** descriptors (CA_descriptor 0x09 and others) */
  descriptors: Descriptor[];
}

/**
 * A service in the SDT.
 *
 * @example
 * ```ts
 * import { type SdtService, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * const demux = new TsDemuxer();
 * demux.on((ev) => {
 *   if (ev.type !== "sdt") return;
 *   for (const s of ev.sdt.services as SdtService[]) console.log(s.serviceId, s.provider, s.name);
 * });
 * ```
 */
export interface SdtService {
  /** service_id (equals the program_number) */
  serviceId: number;
  /** running_status */
  runningStatus: number;
  /** free_CA_mode */
  scrambled: boolean;
  /** service_name from the service descriptor, if any */
  name?: string;
  /** service_provider_name from the service descriptor, if any */
  provider?: string;
  /** service_type from the service descriptor, if any */
  serviceType?: number;
  /** all descriptors */
  descriptors: Descriptor[];
}

/**
 * Service description table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSdt, type Sdt } from "@tsrt/tsrt/mpegts";
 * const sdt: Sdt | null = parseSdt(
 *   new Uint8Array([
 *     0x42, 0xf0, 0x1e, 0x00, 0x01, 0xc1, 0x00, 0x00, 0xff, 0x01, 0xff, 0x00, 0x01, 0xfc, 0x80,
 *     0x0d, 0x48, 0x0b, 0x01, 0x04, 0x74, 0x73, 0x72, 0x74, 0x04, 0x64, 0x65, 0x6d, 0x6f,
 *     0x16, 0x13, 0x41, 0x3e,
 *   ]),
 * );
 * assert.equal(sdt?.originalNetworkId, 0xff01);
 * assert.equal(sdt?.services.length, 1);
 * ```
 */
export interface Sdt extends SectionHeader {
  /** transport_stream_id */
  transportStreamId: number;
  /** original_network_id */
  originalNetworkId: number;
  /** services */
  services: SdtService[];
}

/**
 * Reads the 8-byte long-form header.
 *
 * @param s section bytes
 * @returns the header, or null when the section is too short or short-form
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSectionHeader } from "@tsrt/tsrt/mpegts";
 * const pmt = new Uint8Array([
 *   0x02, 0xb0, 0x12, 0x00, 0x01, 0xc5, 0x00, 0x00, 0xe1, 0x00, 0xf0, 0x00, 0x1b, 0xe1, 0x00,
 *   0xf0, 0x00, 0x00, 0x00, 0x00, 0x00,
 * ]);
 * const h = parseSectionHeader(pmt);
 * assert.equal(h?.tableId, 0x02);
 * assert.equal(h?.version, 2);
 * ```
 */
export function parseSectionHeader(s: Uint8Array): SectionHeader | null {
  if (s.length < 12 || (s[1] & 0x80) === 0) return null;
  return {
    tableId: s[0],
    tableIdExtension: (s[3] << 8) | s[4],
    version: (s[5] >> 1) & 0x1f,
    currentNext: (s[5] & 1) === 1,
    sectionNumber: s[6],
    lastSectionNumber: s[7],
  };
}

/** End of the section body (start of CRC_32). */
function bodyEnd(s: Uint8Array): number {
  return Math.min(s.length, 3 + (((s[1] & 0x0f) << 8) | s[2])) - 4;
}

/**
 * Parses a PAT section (table_id 0x00).
 *
 * @param s complete section
 * @returns the table, or null when malformed
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePat } from "@tsrt/tsrt/mpegts";
 * // The PAT most muxers write: transport_stream_id 1, program 1 with its PMT on PID 0x1000.
 * const pat = parsePat(
 *   new Uint8Array([
 *     0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00,
 *     0x00, 0x01, 0xf0, 0x00, 0x2a, 0xb1, 0x04, 0xb2,
 *   ]),
 * );
 * assert.equal(pat?.transportStreamId, 1);
 * assert.equal(pat?.programs[0].pmtPid, 0x1000);
 * ```
 */
export function parsePat(s: Uint8Array): Pat | null {
  const h = parseSectionHeader(s);
  if (!h || h.tableId !== 0x00) return null;
  const end = bodyEnd(s);
  const programs: Array<{ programNumber: number; pmtPid: number }> = [];
  let nitPid: number | undefined;
  for (let p = 8; p + 4 <= end; p += 4) {
    const programNumber = (s[p] << 8) | s[p + 1];
    const pid = ((s[p + 2] & 0x1f) << 8) | s[p + 3];
    if (programNumber === 0) nitPid = pid;
    else programs.push({ programNumber, pmtPid: pid });
  }
  const pat: Pat = { ...h, transportStreamId: h.tableIdExtension, programs };
  if (nitPid !== undefined) pat.nitPid = nitPid;
  return pat;
}

/**
 * Parses a PMT section (table_id 0x02).
 *
 * @param s complete section
 * @returns the table, or null when malformed
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePmt } from "@tsrt/tsrt/mpegts";
 * // Program 1: PCR on PID 0x100, one H.264 stream (stream_type 0x1B) on PID 0x100.
 * const pmt = parsePmt(
 *   new Uint8Array([
 *     0x02, 0xb0, 0x12, 0x00, 0x01, 0xc1, 0x00, 0x00, 0xe1, 0x00, 0xf0, 0x00,
 *     0x1b, 0xe1, 0x00, 0xf0, 0x00, 0x15, 0xbd, 0x4d, 0x56,
 *   ]),
 * );
 * assert.equal(pmt?.programNumber, 1);
 * assert.equal(pmt?.pcrPid, 0x100);
 * assert.equal(pmt?.streams[0].streamType, 0x1b);
 * ```
 */
export function parsePmt(s: Uint8Array): Pmt | null {
  const h = parseSectionHeader(s);
  if (!h || h.tableId !== 0x02) return null;
  const end = bodyEnd(s);
  if (end < 12) return null;
  const pcrPid = ((s[8] & 0x1f) << 8) | s[9];
  const infoLen = ((s[10] & 0x0f) << 8) | s[11];
  if (12 + infoLen > end) return null;
  const descriptors = parseDescriptors(s, 12, 12 + infoLen);
  const streams: PmtStream[] = [];
  let p = 12 + infoLen;
  while (p + 5 <= end) {
    const streamType = s[p];
    const pid = ((s[p + 1] & 0x1f) << 8) | s[p + 2];
    const esLen = ((s[p + 3] & 0x0f) << 8) | s[p + 4];
    if (p + 5 + esLen > end) break;
    streams.push({ streamType, pid, descriptors: parseDescriptors(s, p + 5, p + 5 + esLen) });
    p += 5 + esLen;
  }
  return { ...h, programNumber: h.tableIdExtension, pcrPid, descriptors, streams };
}

/**
 * Parses a CAT section (table_id 0x01).
 *
 * @param s complete section
 * @returns the table, or null when malformed
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCat } from "@tsrt/tsrt/mpegts";
 * // A CAT with one CA_descriptor: CA_system_ID 0x0B00, EMM PID 0x123.
 * const cat = parseCat(
 *   new Uint8Array([
 *     0x01, 0xb0, 0x0f, 0xff, 0xff, 0xc1, 0x00, 0x00,
 *     0x09, 0x04, 0x0b, 0x00, 0xe1, 0x23, 0xfe, 0xe8, 0x50, 0x18,
 *   ]),
 * );
 * assert.deepEqual([...cat!.descriptors[0].data], [0x0b, 0x00, 0xe1, 0x23]);
 * ```
 */
export function parseCat(s: Uint8Array): Cat | null {
  const h = parseSectionHeader(s);
  if (!h || h.tableId !== 0x01) return null;
  return { ...h, descriptors: parseDescriptors(s, 8, bodyEnd(s)) };
}

/**
 * Parses an SDT section (table_id 0x42 actual, 0x46 other).
 *
 * @param s complete section
 * @returns the table, or null when malformed
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSdt } from "@tsrt/tsrt/mpegts";
 * // Service 1, running, provider "tsrt", name "demo".
 * const sdt = parseSdt(
 *   new Uint8Array([
 *     0x42, 0xf0, 0x1e, 0x00, 0x01, 0xc1, 0x00, 0x00, 0xff, 0x01, 0xff, 0x00, 0x01, 0xfc, 0x80,
 *     0x0d, 0x48, 0x0b, 0x01, 0x04, 0x74, 0x73, 0x72, 0x74, 0x04, 0x64, 0x65, 0x6d, 0x6f,
 *     0x16, 0x13, 0x41, 0x3e,
 *   ]),
 * );
 * assert.equal(sdt?.services[0].name, "demo");
 * assert.equal(sdt?.services[0].provider, "tsrt");
 * assert.equal(sdt?.services[0].runningStatus, 4);
 * ```
 */
export function parseSdt(s: Uint8Array): Sdt | null {
  const h = parseSectionHeader(s);
  if (!h || (h.tableId !== 0x42 && h.tableId !== 0x46)) return null;
  const end = bodyEnd(s);
  if (end < 11) return null;
  const services: SdtService[] = [];
  let p = 11;
  while (p + 5 <= end) {
    const serviceId = (s[p] << 8) | s[p + 1];
    const runningStatus = s[p + 3] >> 5;
    const scrambled = (s[p + 3] & 0x10) !== 0;
    const len = ((s[p + 3] & 0x0f) << 8) | s[p + 4];
    if (p + 5 + len > end) break;
    const descriptors = parseDescriptors(s, p + 5, p + 5 + len);
    const svc: SdtService = { serviceId, runningStatus, scrambled, descriptors };
    for (const d of descriptors) {
      if (d.decoded?.kind === "service") {
        svc.name = d.decoded.serviceName;
        svc.provider = d.decoded.providerName;
        svc.serviceType = d.decoded.serviceType;
      }
    }
    services.push(svc);
    p += 5 + len;
  }
  return {
    ...h,
    transportStreamId: h.tableIdExtension,
    originalNetworkId: (s[8] << 8) | s[9],
    services,
  };
}
