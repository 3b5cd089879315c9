/**
 * FEC control packets of libsrt's built-in `fec` packet filter. They travel as *data* packets
 * (F = 0) that the receiver recognises by message number 0:
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0|   Sequence number of the last packet sent (31), not its own |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |1 1|0|K K|0|            Message Number = 0 (26)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Timestamp clip: XOR of the group's timestamps        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Destination SRT Socket ID                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Group index   |  Flag clip    |  Length clip: XOR of lengths  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      Payload clip: XOR of the payloads, zero-padded to        |
 * |      SRTO_PAYLOADSIZE bytes (always that long)                ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * - Group index: a signed byte, -1 (`0xFF`) for a row group, else the column number 0..cols-1.
 * - KK in the header is the sender's current key flags; R is 0 (checked against a libsrt 1.5.1
 *   capture: word 1 is `0xC0000000`). The FEC packet takes no sequence number of its own: it
 *   repeats the one of the data packet sent just before it, which is the group's last.
 * - Flag clip: XOR of the members' KK values. Length clip: XOR of the payload lengths as
 *   big-endian 16-bit values.
 * - libsrt sizes the payload clip by `SRTO_PAYLOADSIZE` (srt-live-transmit sets 1456, cut to
 *   1452 by the filter's 4 extra bytes, so its FEC packets are 16 + 4 + 1452 = 1472 bytes).
 *
 * @module
 */

import { readU16 } from "./_bytes.ts";
import { HEADER_SIZE } from "./data_packet.ts";
import { FEC_EXTRA_SIZE } from "./fec_config.ts";

/** Group index byte of a row FEC packet (-1). */
export const FEC_ROW_INDEX: number = -1;

/** Offset of the FEC header (index, flags, length) in the datagram. */
export const FEC_HEADER_OFFSET: number = HEADER_SIZE;

/** Offset of the payload clip in the datagram. */
export const FEC_CLIP_OFFSET: number = HEADER_SIZE + FEC_EXTRA_SIZE;

/**
 * True when a data packet is a filter control packet (message number 0). The caller has
 * checked that the datagram is a data packet of at least 16 bytes.
 *
 * @param datagram a data packet
 * @returns whether its message number is 0
 */
export function isFilterControlPacket(datagram: Uint8Array): boolean {
  return (datagram[4] & 0x03) === 0 && datagram[5] === 0 && datagram[6] === 0 &&
    datagram[7] === 0;
}

/**
 * Group index of a FEC packet: -1 for a row, else the column.
 *
 * @param datagram a FEC packet of at least 20 bytes
 * @returns the signed index byte
 */
export function fecGroupIndex(datagram: Uint8Array): number {
  return (datagram[FEC_HEADER_OFFSET] << 24) >> 24;
}

/**
 * The flag clip of a FEC packet.
 *
 * @param datagram a FEC packet of at least 20 bytes
 * @returns the XOR of the members' KK values
 */
export function fecFlagClip(datagram: Uint8Array): number {
  return datagram[FEC_HEADER_OFFSET + 1];
}

/**
 * The length clip of a FEC packet.
 *
 * @param datagram a FEC packet of at least 20 bytes
 * @returns the XOR of the members' payload lengths
 */
export function fecLengthClip(datagram: Uint8Array): number {
  return readU16(datagram, FEC_HEADER_OFFSET + 2);
}
