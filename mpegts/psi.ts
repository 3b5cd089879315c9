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

/** Common long-form section header. */
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

/** Program association table. */
export interface Pat extends SectionHeader {
  /** transport_stream_id */
  transportStreamId: number;
  /** programs other than 0, with their PMT PIDs */
  programs: Array<{ programNumber: number; pmtPid: number }>;
  /** network PID announced by program 0, if any */
  nitPid?: number;
}

/** One elementary stream in a PMT. */
export interface PmtStream {
  /** stream_type */
  streamType: number;
  /** elementary_PID */
  pid: number;
  /** ES_info descriptors */
  descriptors: Descriptor[];
}

/** Program map table. */
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

/** Conditional access table. */
export interface Cat extends SectionHeader {
  /** descriptors (CA_descriptor 0x09 and others) */
  descriptors: Descriptor[];
}

/** A service in the SDT. */
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

/** Service description table. */
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
