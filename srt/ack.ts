/**
 * ACK control information (draft-sharabayko-srt §3.2.4; libsrt `ACKD_*`).
 *
 * ```
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0|            Last Acknowledged Packet Sequence Number         |  light ACK ends here (4 bytes)
 * |                              RTT (us)                         |
 * |                          RTT Variance (us)                    |
 * |                  Available Buffer Size (packets)              |  small ACK ends here (16 bytes)
 * |                  Packets Receiving Rate (packets/s)           |
 * |                  Estimated Link Capacity (packets/s)          |
 * |                      Receiving Rate (bytes/s)                 |  full ACK ends here (28 bytes)
 * ```
 *
 * The type-specific field of the header is the ACK number (0 for light and small ACKs).
 *
 * @module
 */

import { readU32, writeU32 } from "./_bytes.ts";
import { SrtPacketError } from "./errors.ts";

/** An ACK's CIF. Fields after `lastAckSeq` are absent in light ACKs. */
export interface AckInfo {
  /** The sequence number after the last packet received in order. */
  readonly lastAckSeq: number;
  /** Receiver's smoothed RTT in microseconds. */
  readonly rtt?: number;
  /** Receiver's RTT variance in microseconds. */
  readonly rttVar?: number;
  /** Free receive buffer in packets. */
  readonly availableBuffer?: number;
  /** Receive rate in packets per second. */
  readonly packetRate?: number;
  /** Estimated link capacity in packets per second. */
  readonly linkCapacity?: number;
  /** Receive rate in bytes per second. */
  readonly byteRate?: number;
}

/** Size of a full ACK CIF. */
export const FULL_ACK_SIZE = 28;

/** CIF size for an ACK: 4 (light), 16 (small) or 28 (full), by which fields are present. */
export function ackSize(ack: AckInfo): number {
  if (ack.packetRate !== undefined) return FULL_ACK_SIZE;
  if (ack.rtt !== undefined) return 16;
  return 4;
}

/** Writes an ACK CIF at `off`; returns the offset after it. */
export function writeAck(out: Uint8Array, off: number, ack: AckInfo): number {
  const size = ackSize(ack);
  writeU32(out, off, ack.lastAckSeq & 0x7fffffff);
  if (size === 4) return off + 4;
  writeU32(out, off + 4, ack.rtt ?? 0);
  writeU32(out, off + 8, ack.rttVar ?? 0);
  writeU32(out, off + 12, ack.availableBuffer ?? 0);
  if (size === 16) return off + 16;
  writeU32(out, off + 16, ack.packetRate ?? 0);
  writeU32(out, off + 20, ack.linkCapacity ?? 0);
  writeU32(out, off + 24, ack.byteRate ?? 0);
  return off + FULL_ACK_SIZE;
}

/**
 * Reads an ACK CIF. libsrt emits 4, 16 and 28 bytes; 24 (UDT) and 32 (SRT 1.0.2) are read too.
 *
 * @throws {SrtPacketError} when the CIF is shorter than 4 bytes.
 */
export function readAck(cif: Uint8Array): AckInfo {
  if (cif.length < 4) throw new SrtPacketError(`ACK CIF of ${cif.length} bytes, need at least 4`);
  const lastAckSeq = readU32(cif, 0) & 0x7fffffff;
  if (cif.length < 16) return { lastAckSeq };
  const rtt = readU32(cif, 4);
  const rttVar = readU32(cif, 8);
  const availableBuffer = readU32(cif, 12);
  if (cif.length < 24) return { lastAckSeq, rtt, rttVar, availableBuffer };
  return {
    lastAckSeq,
    rtt,
    rttVar,
    availableBuffer,
    packetRate: readU32(cif, 16),
    linkCapacity: readU32(cif, 20),
    byteRate: cif.length >= 28 ? readU32(cif, 24) : 0,
  };
}
