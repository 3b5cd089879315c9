/**
 * Control packets (draft-sharabayko-srt §3.2).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |1|        Control Type (15)    |           Subtype (16)        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Type-specific Information                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Destination SRT Socket ID                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Control Information Field ...                 |
 * ```
 *
 * Packets without a CIF (keepalive, shutdown, ACKACK, congestion warning, peer error) carry
 * libsrt's 4-byte zero pad; 16-byte packets without it are accepted too.
 *
 * @module
 */

import { readU16, readU32, writeU16, writeU32 } from "./_bytes.ts";
import { type AckInfo, ackSize, readAck, writeAck } from "./ack.ts";
import { HEADER_SIZE } from "./data_packet.ts";
import { SrtPacketError } from "./errors.ts";
import { type Handshake, handshakeSize, readHandshake, writeHandshake } from "./handshake.ts";
import { lossListSize, type LossRange, readLossList, writeLossList } from "./nak.ts";

/** Control packet types. */
export const ControlType = {
  /** Connection handshake. */
  HANDSHAKE: 0x0000,
  /** Keep-alive. */
  KEEPALIVE: 0x0001,
  /** Acknowledgement. */
  ACK: 0x0002,
  /** Negative acknowledgement (loss report). */
  NAK: 0x0003,
  /** Congestion warning (reserved). */
  CGWARNING: 0x0004,
  /** Connection shutdown. */
  SHUTDOWN: 0x0005,
  /** Acknowledgement of an ACK. */
  ACKACK: 0x0006,
  /** Message drop request. */
  DROPREQ: 0x0007,
  /** Peer error (file transfer only). */
  PEERERROR: 0x0008,
  /** User-defined / SRT extended message. */
  USER: 0x7fff,
} as const;

/** Subtypes of {@linkcode ControlType.USER} (`SRT_CMD_*` in the UMSG_EXT range). */
export const UserSubtype = {
  /** HSv4 SRT handshake request. */
  HSREQ: 1,
  /** HSv4 SRT handshake response. */
  HSRSP: 2,
  /** Key material refresh request. */
  KMREQ: 3,
  /** Key material refresh response. */
  KMRSP: 4,
} as const;

/** Fields common to every control packet. */
interface ControlBase {
  /** 32-bit timestamp. */
  readonly timestamp: number;
  /** Receiver's socket ID (0 for connection requests). */
  readonly destSocketId: number;
}

/** A handshake packet. */
export interface HandshakePacket extends ControlBase {
  /** Discriminant. */
  readonly type: 0x0000;
  /** The handshake CIF. */
  readonly handshake: Handshake;
}

/** A control packet with no CIF. */
export interface EmptyControlPacket extends ControlBase {
  /** Discriminant. */
  readonly type: 0x0001 | 0x0004 | 0x0005;
}

/** An ACK. */
export interface AckPacket extends ControlBase {
  /** Discriminant. */
  readonly type: 0x0002;
  /** ACK number; 0 for light and small ACKs, which need no ACKACK. */
  readonly ackNumber: number;
  /** The CIF. */
  readonly ack: AckInfo;
}

/** A loss report. */
export interface NakPacket extends ControlBase {
  /** Discriminant. */
  readonly type: 0x0003;
  /** Lost sequence ranges. */
  readonly losses: readonly LossRange[];
}

/** An ACKACK. */
export interface AckAckPacket extends ControlBase {
  /** Discriminant. */
  readonly type: 0x0006;
  /** The ACK number being acknowledged. */
  readonly ackNumber: number;
}

/** A message drop request. */
export interface DropReqPacket extends ControlBase {
  /** Discriminant. */
  readonly type: 0x0007;
  /** Message number, 0 if unknown. */
  readonly msgNo: number;
  /** First sequence number to drop. */
  readonly firstSeq: number;
  /** Last sequence number to drop. */
  readonly lastSeq: number;
}

/** A peer error report. */
export interface PeerErrorPacket extends ControlBase {
  /** Discriminant. */
  readonly type: 0x0008;
  /** Error code (4000 = file system error). */
  readonly errorCode: number;
}

/** A user-defined (UMSG_EXT) packet; the CIF is kept opaque here. */
export interface UserPacket extends ControlBase {
  /** Discriminant. */
  readonly type: 0x7fff;
  /** Subtype, see {@linkcode UserSubtype}. */
  readonly subtype: number;
  /** Raw CIF. */
  readonly data: Uint8Array;
}

/** Any control packet. */
export type ControlPacket =
  | HandshakePacket
  | EmptyControlPacket
  | AckPacket
  | NakPacket
  | AckAckPacket
  | DropReqPacket
  | PeerErrorPacket
  | UserPacket;

function cifSize(p: ControlPacket): number {
  switch (p.type) {
    case ControlType.HANDSHAKE:
      return handshakeSize(p.handshake);
    case ControlType.ACK:
      return ackSize(p.ack);
    case ControlType.NAK:
      return lossListSize(p.losses);
    case ControlType.DROPREQ:
      return 8;
    case ControlType.USER:
      return (p.data.length + 3) & ~3;
    default:
      return 4; // libsrt's zero pad
  }
}

/**
 * Encodes a control packet into a new buffer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ControlType, decodeControlPacket, encodeControlPacket } from "./control_packet.ts";
 * const bytes = encodeControlPacket({ type: ControlType.KEEPALIVE, timestamp: 5, destSocketId: 9 });
 * assert.equal(bytes.length, 20);
 * assert.equal(decodeControlPacket(bytes).type, ControlType.KEEPALIVE);
 * ```
 */
export function encodeControlPacket(p: ControlPacket): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + cifSize(p));
  writeU16(out, 0, 0x8000 | p.type);
  writeU16(out, 2, p.type === ControlType.USER ? p.subtype : 0);
  let info = 0;
  switch (p.type) {
    case ControlType.ACK:
    case ControlType.ACKACK:
      info = p.ackNumber;
      break;
    case ControlType.DROPREQ:
      info = p.msgNo;
      break;
    case ControlType.PEERERROR:
      info = p.errorCode;
      break;
  }
  writeU32(out, 4, info);
  writeU32(out, 8, p.timestamp);
  writeU32(out, 12, p.destSocketId);
  switch (p.type) {
    case ControlType.HANDSHAKE:
      writeHandshake(out, HEADER_SIZE, p.handshake);
      break;
    case ControlType.ACK:
      writeAck(out, HEADER_SIZE, p.ack);
      break;
    case ControlType.NAK:
      writeLossList(out, HEADER_SIZE, p.losses);
      break;
    case ControlType.DROPREQ:
      writeU32(out, HEADER_SIZE, p.firstSeq & 0x7fffffff);
      writeU32(out, HEADER_SIZE + 4, p.lastSeq & 0x7fffffff);
      break;
    case ControlType.USER:
      out.set(p.data, HEADER_SIZE);
      break;
  }
  return out;
}

/**
 * Decodes a control packet. Views into `datagram` are kept for opaque parts.
 *
 * @throws {SrtPacketError} when the datagram is too short, not a control packet, of an
 * unknown type, or its CIF is malformed.
 */
export function decodeControlPacket(datagram: Uint8Array): ControlPacket {
  if (datagram.length < HEADER_SIZE) {
    throw new SrtPacketError(`datagram of ${datagram.length} bytes is shorter than an SRT header`);
  }
  const w0 = readU16(datagram, 0);
  if ((w0 & 0x8000) === 0) throw new SrtPacketError("not a control packet: F bit is clear");
  const type = w0 & 0x7fff;
  const subtype = readU16(datagram, 2);
  const info = readU32(datagram, 4);
  const timestamp = readU32(datagram, 8);
  const destSocketId = readU32(datagram, 12);
  const cif = datagram.subarray(HEADER_SIZE);
  switch (type) {
    case ControlType.HANDSHAKE:
      return { type, timestamp, destSocketId, handshake: readHandshake(cif) };
    case ControlType.KEEPALIVE:
    case ControlType.CGWARNING:
    case ControlType.SHUTDOWN:
      return { type, timestamp, destSocketId };
    case ControlType.ACK:
      return { type, timestamp, destSocketId, ackNumber: info, ack: readAck(cif) };
    case ControlType.NAK:
      return { type, timestamp, destSocketId, losses: readLossList(cif) };
    case ControlType.ACKACK:
      return { type, timestamp, destSocketId, ackNumber: info };
    case ControlType.DROPREQ:
      if (cif.length < 8) throw new SrtPacketError(`DROPREQ CIF of ${cif.length} bytes, need 8`);
      return {
        type,
        timestamp,
        destSocketId,
        msgNo: info,
        firstSeq: readU32(cif, 0) & 0x7fffffff,
        lastSeq: readU32(cif, 4) & 0x7fffffff,
      };
    case ControlType.PEERERROR:
      return { type, timestamp, destSocketId, errorCode: info };
    case ControlType.USER:
      return { type, timestamp, destSocketId, subtype, data: cif };
    default:
      throw new SrtPacketError(`unknown control type 0x${type.toString(16)}`);
  }
}
