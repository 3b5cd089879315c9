/**
 * Handshake extensions (draft-sharabayko-srt §3.2.1.1-3.2.1.4; libsrt `handshake.h`).
 *
 * Each extension in the handshake CIF is a 4-byte block header followed by its contents:
 *
 * ```
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Extension Type (16)       |  Extension Length (16, words) |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Extension Contents ...                    |
 * ```
 *
 * HSREQ / HSRSP contents (3 words):
 *
 * ```
 * |                 SRT Version (0x00MMmmpp)                      |
 * |                     SRT Flags (32)                            |
 * |  Receiver TSBPD Delay (ms, 16) |  Sender TSBPD Delay (ms, 16) |
 * ```
 *
 * String extensions (stream ID, congestion, filter) are NUL-padded to whole words and then
 * byte-reversed within every 4-byte word, because libsrt converts the whole control payload
 * to network order word by word after copying the string in host (little-endian) order.
 *
 * @module
 */

import { readU16, readU32, writeU16, writeU32 } from "./_bytes.ts";
import { SrtPacketError } from "./errors.ts";

/** Handshake extension type codes (`SRT_CMD_*`). */
export const ExtType = {
  /** HSv5 SRT capabilities request. */
  HSREQ: 1,
  /** HSv5 SRT capabilities response. */
  HSRSP: 2,
  /** Key material request. */
  KMREQ: 3,
  /** Key material response. */
  KMRSP: 4,
  /** Stream ID. */
  SID: 5,
  /** Congestion controller name. */
  CONGESTION: 6,
  /** Packet filter configuration. */
  FILTER: 7,
  /** Group membership. */
  GROUP: 8,
} as const;

/** Flags of the HSREQ/HSRSP SRT flags word (`SRT_OPT_*`). */
export const SrtFlags = {
  /** The sender uses TSBPD (timestamps are origin times). */
  TSBPDSND: 0x01,
  /** The receiver uses TSBPD. */
  TSBPDRCV: 0x02,
  /** Encryption capable (always set by libsrt). */
  CRYPT: 0x04,
  /** Too-late packet drop. */
  TLPKTDROP: 0x08,
  /** Periodic NAK reports. */
  NAKREPORT: 0x10,
  /** The R flag in data packets is meaningful (always set). */
  REXMITFLG: 0x20,
  /** Stream (buffer) API. */
  STREAM: 0x40,
  /** Packet filter capable. */
  FILTERCAP: 0x80,
} as const;

/** Extension-field flags in a CONCLUSION handshake. */
export const ExtFlags = {
  /** An HSREQ/HSRSP extension is present. */
  HSREQ: 0x1,
  /** A KMREQ/KMRSP extension is present. */
  KMREQ: 0x2,
  /** A stream ID, congestion, filter or group extension is present. */
  CONFIG: 0x4,
} as const;

/** HSREQ/HSRSP contents. */
export interface HsReqExt {
  /** {@linkcode ExtType.HSREQ} or {@linkcode ExtType.HSRSP}. */
  readonly type: 1 | 2;
  /** SRT version as 0x00MMmmpp. */
  readonly version: number;
  /** {@linkcode SrtFlags} bits. */
  readonly flags: number;
  /** Latency the sender of this extension applies when receiving, in ms. */
  readonly recvTsbpdDelay: number;
  /** Latency the sender of this extension asks the peer to apply when receiving its data, in ms. */
  readonly sendTsbpdDelay: number;
}

/** A stream ID, congestion or filter string extension. */
export interface StringExt {
  /** Which string this is. */
  readonly type: 5 | 6 | 7;
  /** The decoded string. */
  readonly value: string;
}

/** Key-material extension; the KM message is kept as opaque bytes here. */
export interface KmExt {
  /** {@linkcode ExtType.KMREQ} or {@linkcode ExtType.KMRSP}. */
  readonly type: 3 | 4;
  /** The KM message (or a single KM-state word in an error KMRSP). */
  readonly data: Uint8Array;
}

/**
 * Group membership extension (SRT_CMD_GROUP), as {@linkcode groupExtension} builds it.
 *
 * @example
 * ```ts
 * import { groupExtension, type GroupExt, GroupType, makeGroupId } from "@tsrt/tsrt";
 * const ext: GroupExt = groupExtension(makeGroupId(9), GroupType.BROADCAST, 0);
 * void ext;
 * ```
 */
export interface GroupExt {
  /** {@linkcode ExtType.GROUP}. */
  readonly type: 8;
  /** Group ID. */
  readonly groupId: number;
  /** Group type (1 broadcast, 2 main/backup, ...). */
  readonly groupType: number;
  /** Group flags. */
  readonly groupFlags: number;
  /** Member weight. */
  readonly weight: number;
}

/** An extension this codec does not interpret, kept verbatim. */
export interface UnknownExt {
  /** The extension type code. */
  readonly type: number;
  /** Marks the unknown variant. */
  readonly unknown: true;
  /** Raw contents. */
  readonly data: Uint8Array;
}

/** Any handshake extension. */
export type HandshakeExt = HsReqExt | StringExt | KmExt | GroupExt | UnknownExt;

/** Longest stream ID libsrt accepts, in bytes. */
export const MAX_SID_LENGTH = 512;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a string as libsrt's word-reversed, NUL-padded extension contents. */
export function encodeStringExtContents(value: string): Uint8Array {
  const raw = encoder.encode(value);
  const out = new Uint8Array((raw.length + 3) & ~3);
  for (let i = 0; i < raw.length; i++) out[(i & ~3) | (3 - (i & 3))] = raw[i];
  return out;
}

/**
 * Decodes word-reversed string extension contents, dropping the NUL padding.
 *
 * @throws {SrtPacketError} when the contents are not valid UTF-8.
 */
export function decodeStringExtContents(data: Uint8Array): string {
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bytes[(i & ~3) | (3 - (i & 3))] = data[i];
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  try {
    return decoder.decode(bytes.subarray(0, end));
  } catch {
    throw new SrtPacketError("string extension is not valid UTF-8");
  }
}

/**
 * The contents of one extension as they go on the wire (without the block header).
 *
 * @throws {RangeError} when a string is empty or longer than 512 bytes.
 */
export function encodeExtContents(ext: HandshakeExt): Uint8Array {
  if ("unknown" in ext) return padToWords(ext.data);
  switch (ext.type) {
    case ExtType.HSREQ:
    case ExtType.HSRSP: {
      const c = new Uint8Array(12);
      writeU32(c, 0, ext.version);
      writeU32(c, 4, ext.flags);
      writeU32(c, 8, ((ext.recvTsbpdDelay & 0xffff) << 16 | (ext.sendTsbpdDelay & 0xffff)) >>> 0);
      return c;
    }
    case ExtType.KMREQ:
    case ExtType.KMRSP:
      return padToWords(ext.data);
    case ExtType.SID:
    case ExtType.CONGESTION:
    case ExtType.FILTER: {
      const c = encodeStringExtContents(ext.value);
      if (c.length === 0 || c.length > MAX_SID_LENGTH) {
        throw new RangeError(
          `handshake string extension must be 1..${MAX_SID_LENGTH} bytes: got ${c.length}`,
        );
      }
      return c;
    }
    case ExtType.GROUP: {
      const c = new Uint8Array(8);
      writeU32(c, 0, ext.groupId);
      writeU32(
        c,
        4,
        ((ext.groupType & 0xff) << 24 | (ext.groupFlags & 0xff) << 16 | (ext.weight & 0xffff)) >>>
          0,
      );
      return c;
    }
  }
}

function padToWords(data: Uint8Array): Uint8Array {
  if ((data.length & 3) === 0) return data;
  const c = new Uint8Array((data.length + 3) & ~3);
  c.set(data);
  return c;
}

/** Total encoded size of a list of extensions, block headers included. */
export function extensionsSize(exts: readonly HandshakeExt[]): number {
  let n = 0;
  for (const e of exts) n += 4 + encodeExtContents(e).length;
  return n;
}

/**
 * Writes extensions at `off` in `out` and returns the offset after them.
 *
 * @throws {RangeError} when a string is empty or longer than 512 bytes.
 */
export function writeExtensions(
  out: Uint8Array,
  off: number,
  exts: readonly HandshakeExt[],
): number {
  for (const ext of exts) {
    const c = encodeExtContents(ext);
    writeU16(out, off, ext.type);
    writeU16(out, off + 2, c.length / 4);
    out.set(c, off + 4);
    off += 4 + c.length;
  }
  return off;
}

/**
 * Reads the extensions that fill `data` (the handshake CIF after its 48 fixed bytes).
 *
 * @throws {SrtPacketError} when a block overruns the packet or has the wrong size.
 */
export function readExtensions(data: Uint8Array): HandshakeExt[] {
  const exts: HandshakeExt[] = [];
  let off = 0;
  while (off < data.length) {
    if (data.length - off < 4) throw new SrtPacketError("truncated handshake extension header");
    const type = readU16(data, off);
    const len = readU16(data, off + 2) * 4;
    off += 4;
    if (len > data.length - off) {
      throw new SrtPacketError(
        `handshake extension ${type} claims ${len} bytes but ${data.length - off} remain`,
      );
    }
    const c = data.subarray(off, off + len);
    off += len;
    switch (type) {
      case ExtType.HSREQ:
      case ExtType.HSRSP: {
        if (len < 12) throw new SrtPacketError(`HSREQ/HSRSP extension of ${len} bytes, need 12`);
        const delays = readU32(c, 8);
        exts.push({
          type,
          version: readU32(c, 0),
          flags: readU32(c, 4),
          recvTsbpdDelay: delays >>> 16,
          sendTsbpdDelay: delays & 0xffff,
        });
        break;
      }
      case ExtType.KMREQ:
      case ExtType.KMRSP:
        exts.push({ type, data: c });
        break;
      case ExtType.SID:
      case ExtType.CONGESTION:
      case ExtType.FILTER: {
        if (len === 0 || len > MAX_SID_LENGTH) {
          throw new SrtPacketError(`string extension ${type} of ${len} bytes (allowed 1..512)`);
        }
        exts.push({ type, value: decodeStringExtContents(c) });
        break;
      }
      case ExtType.GROUP: {
        if (len < 8) throw new SrtPacketError(`GROUP extension of ${len} bytes, need 8`);
        const w = readU32(c, 4);
        exts.push({
          type,
          groupId: readU32(c, 0),
          groupType: w >>> 24,
          groupFlags: (w >>> 16) & 0xff,
          weight: w & 0xffff,
        });
        break;
      }
      default:
        exts.push({ type, unknown: true, data: c });
    }
  }
  return exts;
}
