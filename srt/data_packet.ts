/**
 * Data packets (draft-sharabayko-srt §3.1; libsrt `srtcore/packet.h`).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0|                 Packet Sequence Number (31)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |P P|O|K K|R|              Message Number (26)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Timestamp                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Destination SRT Socket ID                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Payload ...                          |
 * ```
 *
 * The accessors read single fields straight from the datagram so the per-packet path
 * allocates nothing; {@linkcode decodeDataPacket} builds a whole object for tests and tools.
 *
 * @module
 */

import { readU32, writeU32 } from "./_bytes.ts";
import { SrtPacketError } from "./errors.ts";

/** Size of the SRT header shared by data and control packets. */
export const HEADER_SIZE = 16;

/** Packet position flags (PP): where a packet sits in a message. */
export const PacketPosition = {
  /** A middle packet of a multi-packet message. */
  MIDDLE: 0,
  /** The last packet of a message. */
  LAST: 1,
  /** The first packet of a message. */
  FIRST: 2,
  /** A message in one packet; every live-mode packet is solo. */
  SOLO: 3,
} as const;
/** One of the {@linkcode PacketPosition} values. */
export type PacketPosition = typeof PacketPosition[keyof typeof PacketPosition];

/** Encryption key flags (KK) of a data packet. */
export const KeyFlags = {
  /** Not encrypted. */
  NONE: 0,
  /** Encrypted with the even key. */
  EVEN: 1,
  /** Encrypted with the odd key. */
  ODD: 2,
} as const;
/** One of the {@linkcode KeyFlags} values (3 appears only in key-material messages). */
export type KeyFlags = 0 | 1 | 2 | 3;

const MSG_WORD_PP_SHIFT = 30;
const MSG_WORD_O = 0x20000000;
const MSG_WORD_KK_SHIFT = 27;
const MSG_WORD_R = 0x04000000;
const MSG_WORD_MSGNO = 0x03ffffff;

/** The fields of a data packet. */
export interface DataPacket {
  /** 31-bit packet sequence number. */
  readonly seq: number;
  /** Position of the packet in its message. */
  readonly position: PacketPosition;
  /** In-order delivery flag (O); live mode sends 0 and receivers ignore it. */
  readonly inOrder: boolean;
  /** Which key encrypted the payload. */
  readonly keyFlags: KeyFlags;
  /** Set on retransmitted packets (R). */
  readonly retransmitted: boolean;
  /** 26-bit message number. */
  readonly msgNo: number;
  /** 32-bit microsecond timestamp. */
  readonly timestamp: number;
  /** Socket ID of the receiving side. */
  readonly destSocketId: number;
  /** The payload, a view into the datagram. */
  readonly payload: Uint8Array;
}

/** True when the datagram carries a control packet (F bit set). The caller checks the length. */
export function isControlPacket(datagram: Uint8Array): boolean {
  return (datagram[0] & 0x80) !== 0;
}

/** Destination socket ID of any SRT packet (bytes 12..15). The caller checks the length. */
export function packetDestSocketId(datagram: Uint8Array): number {
  return readU32(datagram, 12);
}

/** Timestamp of any SRT packet (bytes 8..11). The caller checks the length. */
export function packetTimestamp(datagram: Uint8Array): number {
  return readU32(datagram, 8);
}

/** Sequence number of a data packet. */
export function dataSeq(datagram: Uint8Array): number {
  return readU32(datagram, 0) & 0x7fffffff;
}

/** The message word (PP|O|KK|R|msgno) of a data packet. */
export function dataMsgWord(datagram: Uint8Array): number {
  return readU32(datagram, 4);
}

/** Key flags of a data packet. */
export function dataKeyFlags(datagram: Uint8Array): KeyFlags {
  return ((datagram[4] >>> 3) & 3) as KeyFlags;
}

/** True when a data packet has the retransmission flag. */
export function dataRetransmitted(datagram: Uint8Array): boolean {
  return (datagram[4] & 0x04) !== 0;
}

/** Builds the message word from its parts. */
export function makeMsgWord(
  position: PacketPosition,
  inOrder: boolean,
  keyFlags: KeyFlags,
  retransmitted: boolean,
  msgNo: number,
): number {
  return ((position << MSG_WORD_PP_SHIFT) | (inOrder ? MSG_WORD_O : 0) |
    (keyFlags << MSG_WORD_KK_SHIFT) | (retransmitted ? MSG_WORD_R : 0) |
    (msgNo & MSG_WORD_MSGNO)) >>> 0;
}

/**
 * Writes a data header into `out` (which must hold at least 16 bytes).
 *
 * @param out Destination; the payload follows at offset 16.
 * @param seq Sequence number.
 * @param msgWord Message word from {@linkcode makeMsgWord}.
 * @param timestamp 32-bit timestamp.
 * @param destSocketId Peer's socket ID.
 */
export function writeDataHeader(
  out: Uint8Array,
  seq: number,
  msgWord: number,
  timestamp: number,
  destSocketId: number,
): void {
  writeU32(out, 0, seq & 0x7fffffff);
  writeU32(out, 4, msgWord);
  writeU32(out, 8, timestamp);
  writeU32(out, 12, destSocketId);
}

/** Sets or clears the R flag of a data packet in place. */
export function setRetransmitted(datagram: Uint8Array, on: boolean): void {
  if (on) datagram[4] |= 0x04;
  else datagram[4] &= ~0x04;
}

/** Sets the KK flags of a data packet in place. */
export function setKeyFlags(datagram: Uint8Array, kk: KeyFlags): void {
  datagram[4] = (datagram[4] & ~0x18) | (kk << 3);
}

/**
 * Encodes a whole data packet into a new buffer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeDataPacket, encodeDataPacket } from "./data_packet.ts";
 * const bytes = encodeDataPacket({
 *   seq: 7, position: 3, inOrder: false, keyFlags: 0, retransmitted: false,
 *   msgNo: 1, timestamp: 1000, destSocketId: 42, payload: new Uint8Array([1, 2]),
 * });
 * assert.equal(decodeDataPacket(bytes).seq, 7);
 * ```
 */
export function encodeDataPacket(p: DataPacket): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + p.payload.length);
  writeDataHeader(
    out,
    p.seq,
    makeMsgWord(p.position, p.inOrder, p.keyFlags, p.retransmitted, p.msgNo),
    p.timestamp,
    p.destSocketId,
  );
  out.set(p.payload, HEADER_SIZE);
  return out;
}

/**
 * Decodes a data packet. The payload is a view into `datagram`.
 *
 * @throws {SrtPacketError} when the datagram is shorter than a header or is a control packet.
 */
export function decodeDataPacket(datagram: Uint8Array): DataPacket {
  if (datagram.length < HEADER_SIZE) {
    throw new SrtPacketError(`datagram of ${datagram.length} bytes is shorter than an SRT header`);
  }
  if (isControlPacket(datagram)) throw new SrtPacketError("not a data packet: F bit is set");
  const w = dataMsgWord(datagram);
  return {
    seq: dataSeq(datagram),
    position: (w >>> MSG_WORD_PP_SHIFT) as PacketPosition,
    inOrder: (w & MSG_WORD_O) !== 0,
    keyFlags: ((w >>> MSG_WORD_KK_SHIFT) & 3) as KeyFlags,
    retransmitted: (w & MSG_WORD_R) !== 0,
    msgNo: w & MSG_WORD_MSGNO,
    timestamp: readU32(datagram, 8),
    destSocketId: readU32(datagram, 12),
    payload: datagram.subarray(HEADER_SIZE),
  };
}
