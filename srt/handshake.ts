/**
 * The handshake control packet's CIF (draft-sharabayko-srt §3.2.1; libsrt `CHandShake`).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          HS Version                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Encryption Field       |        Extension Field        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0|               Initial Packet Sequence Number                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Maximum Transmission Unit Size                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Maximum Flow Window Size                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Handshake Type                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         SRT Socket ID                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           SYN Cookie                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Peer IP Address (4 words)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Extensions (see handshake_ext.ts) ...      |
 * ```
 *
 * @module
 */

import { readU16, readU32, writeU16, writeU32 } from "./_bytes.ts";
import { SrtPacketError } from "./errors.ts";
import {
  extensionsSize,
  type HandshakeExt,
  readExtensions,
  writeExtensions,
} from "./handshake_ext.ts";

/** Size of the fixed part of the handshake CIF. */
export const HANDSHAKE_CIF_SIZE = 48;

/** Handshake type values (`UDTRequestType`). Rejections are 1000 + reason. */
export const HsType = {
  /** Rendezvous wave. */
  WAVEAHAND: 0x00000000,
  /** Caller-listener first phase. */
  INDUCTION: 0x00000001,
  /** Second phase: the real request and response. */
  CONCLUSION: 0xffffffff,
  /** Rendezvous final phase. */
  AGREEMENT: 0xfffffffe,
  /** Internal only. */
  DONE: 0xfffffffd,
} as const;

/** Offset added to a rejection reason to form the handshake type (`URQ_FAILURE_TYPES`). */
export const REJECTION_BASE = 1000;

/** Magic in the extension field of an HSv5 INDUCTION response. */
export const SRT_MAGIC = 0x4a17;

/** Extension field of an HSv4-style INDUCTION request (`UDT_DGRAM`). */
export const UDT_DGRAM = 2;

/** The decoded handshake CIF. */
export interface Handshake {
  /** 4 or 5. */
  readonly version: number;
  /** Key length / 8 (0, 2, 3, 4) or 0 when none is advertised. */
  readonly encryption: number;
  /** Extension flags, the SRT magic, or UDT_DGRAM, depending on the phase. */
  readonly extension: number;
  /** Initial packet sequence number. */
  readonly initialSeq: number;
  /** Maximum transmission unit (MSS). */
  readonly mss: number;
  /** Flow window in packets. */
  readonly flowWindow: number;
  /** Handshake type, see {@linkcode HsType}; 1000+ means rejection. */
  readonly type: number;
  /** Socket ID of the sender. */
  readonly socketId: number;
  /** SYN cookie. */
  readonly cookie: number;
  /** The receiver's address as the sender sees it, in text form (IPv4 or IPv6). */
  readonly peerIp: string;
  /** Extensions (HSv5 CONCLUSION and later). */
  readonly extensions: readonly HandshakeExt[];
}

/** True when a handshake type is a rejection. */
export function isRejection(type: number): boolean {
  return type >= REJECTION_BASE && type < 0xfffffffd;
}

/** Encoded size of a handshake CIF. */
export function handshakeSize(hs: Handshake): number {
  return HANDSHAKE_CIF_SIZE + extensionsSize(hs.extensions);
}

/**
 * Writes the handshake CIF at `off` and returns the offset after it.
 *
 * @throws {RangeError} when the peer IP text is not an IP address.
 */
export function writeHandshake(out: Uint8Array, off: number, hs: Handshake): number {
  writeU32(out, off, hs.version);
  writeU16(out, off + 4, hs.encryption);
  writeU16(out, off + 6, hs.extension);
  writeU32(out, off + 8, hs.initialSeq & 0x7fffffff);
  writeU32(out, off + 12, hs.mss);
  writeU32(out, off + 16, hs.flowWindow);
  writeU32(out, off + 20, hs.type);
  writeU32(out, off + 24, hs.socketId);
  writeU32(out, off + 28, hs.cookie);
  writePeerIp(out, off + 32, hs.peerIp);
  return writeExtensions(out, off + HANDSHAKE_CIF_SIZE, hs.extensions);
}

/**
 * Reads a handshake CIF.
 *
 * @throws {SrtPacketError} when it is shorter than 48 bytes or an extension is malformed.
 */
export function readHandshake(cif: Uint8Array): Handshake {
  if (cif.length < HANDSHAKE_CIF_SIZE) {
    throw new SrtPacketError(`handshake CIF of ${cif.length} bytes, need ${HANDSHAKE_CIF_SIZE}`);
  }
  return {
    version: readU32(cif, 0),
    encryption: readU16(cif, 4),
    extension: readU16(cif, 6),
    initialSeq: readU32(cif, 8) & 0x7fffffff,
    mss: readU32(cif, 12),
    flowWindow: readU32(cif, 16),
    type: readU32(cif, 20),
    socketId: readU32(cif, 24),
    cookie: readU32(cif, 28),
    peerIp: readPeerIp(cif, 32),
    extensions: readExtensions(cif.subarray(HANDSHAKE_CIF_SIZE)),
  };
}

// libsrt copies the raw address bytes into host-order words and sends those words in network
// order, so on the wire every 4-byte group of the address is reversed. IPv4 fills word 0 only.

function writePeerIp(out: Uint8Array, off: number, ip: string): void {
  const raw = parseIp(ip);
  out.fill(0, off, off + 16);
  for (let i = 0; i < raw.length; i++) out[off + ((i & ~3) | (3 - (i & 3)))] = raw[i];
}

function readPeerIp(cif: Uint8Array, off: number): string {
  const raw = new Uint8Array(16);
  for (let i = 0; i < 16; i++) raw[(i & ~3) | (3 - (i & 3))] = cif[off + i];
  let tailZero = true;
  for (let i = 4; i < 16; i++) if (raw[i] !== 0) tailZero = false;
  if (tailZero) return `${raw[0]}.${raw[1]}.${raw[2]}.${raw[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((raw[i] << 8) | raw[i + 1]).toString(16));
  return groups.join(":");
}

/** Parses IPv4 dotted text into 4 bytes or IPv6 text into 16 bytes. */
export function parseIp(ip: string): Uint8Array {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.every((x) => x <= 255)) return new Uint8Array(b);
  }
  if (ip.includes(":")) {
    let text = ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
    let tail: number[] = [];
    const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (m) {
      const v = parseIp(m[1]);
      tail = [(v[0] << 8) | v[1], (v[2] << 8) | v[3]];
      text = text.slice(0, -m[1].length) + "0:0";
    }
    const halves = text.split("::");
    if (halves.length <= 2) {
      const head = halves[0] ? halves[0].split(":") : [];
      const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
      const fill = 8 - head.length - rest.length;
      if ((halves.length === 2 && fill >= 0) || (halves.length === 1 && fill === 0)) {
        const words = [...head, ...new Array(halves.length === 2 ? fill : 0).fill("0"), ...rest]
          .map((g) => /^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN);
        if (tail.length) words.splice(6, 2, ...tail);
        if (words.length === 8 && words.every((w) => !Number.isNaN(w))) {
          const out = new Uint8Array(16);
          words.forEach((w, i) => {
            out[i * 2] = w >>> 8;
            out[i * 2 + 1] = w & 0xff;
          });
          return out;
        }
      }
    }
  }
  throw new RangeError(`not an IP address: "${ip}"`);
}
