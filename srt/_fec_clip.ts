// Private: the XOR accumulator of one FEC group (payload, length, key flags, timestamp).

import { readU32, writeU16, writeU32 } from "./_bytes.ts";
import { HEADER_SIZE, makeMsgWord, PacketPosition } from "./data_packet.ts";
import { FEC_CLIP_OFFSET, FEC_HEADER_OFFSET, fecFlagClip, fecLengthClip } from "./fec_packet.ts";

/** One group's running XOR of its members, with its bookkeeping. */
export class FecClip {
  /** XOR of the payloads, zero-padded to the payload size. */
  readonly payload: Uint8Array;
  /** XOR of the payload lengths. */
  length = 0;
  /** XOR of the KK flags. */
  flags = 0;
  /** XOR of the timestamps. */
  timestamp = 0;
  /** First sequence number of the group. */
  base = 0;
  /** Members clipped so far. */
  collected = 0;
  /** Whether the group's FEC packet was clipped (receiver side). */
  fec = false;

  /** Creates an empty clip for payloads up to `payloadSize` bytes. */
  constructor(payloadSize: number) {
    this.payload = new Uint8Array(payloadSize);
  }

  /** Empties the clip for the group starting at `base`. */
  reset(base: number): void {
    this.base = base;
    this.collected = 0;
    this.fec = false;
    this.length = 0;
    this.flags = 0;
    this.timestamp = 0;
    this.payload.fill(0);
  }

  /** XORs a data packet (header + payload) in; a payload longer than the clip is cut. */
  addData(datagram: Uint8Array): void {
    const len = datagram.length - HEADER_SIZE;
    this.length ^= len & 0xffff;
    this.flags ^= (datagram[4] >>> 3) & 3;
    this.timestamp = (this.timestamp ^ readU32(datagram, 8)) >>> 0;
    const n = Math.min(len, this.payload.length);
    const p = this.payload;
    for (let i = 0; i < n; i++) p[i] ^= datagram[HEADER_SIZE + i];
  }

  /** XORs a FEC packet's clips in (its header fields and payload clip). */
  addFec(datagram: Uint8Array): void {
    this.length ^= fecLengthClip(datagram);
    this.flags ^= fecFlagClip(datagram);
    this.timestamp = (this.timestamp ^ readU32(datagram, 8)) >>> 0;
    const n = Math.min(datagram.length - FEC_CLIP_OFFSET, this.payload.length);
    const p = this.payload;
    for (let i = 0; i < n; i++) p[i] ^= datagram[FEC_CLIP_OFFSET + i];
  }

  /**
   * Writes this clip as a FEC packet into `out` (at least 20 + payload size bytes).
   *
   * @returns the packet length
   */
  writeFec(
    out: Uint8Array,
    index: number,
    seq: number,
    destSocketId: number,
    keyFlags: number,
  ): number {
    writeU32(out, 0, seq & 0x7fffffff);
    writeU32(out, 4, makeMsgWord(PacketPosition.SOLO, false, (keyFlags & 3) as 0, false, 0));
    writeU32(out, 8, this.timestamp);
    writeU32(out, 12, destSocketId);
    out[FEC_HEADER_OFFSET] = index & 0xff;
    out[FEC_HEADER_OFFSET + 1] = this.flags;
    writeU16(out, FEC_HEADER_OFFSET + 2, this.length);
    out.set(this.payload, FEC_CLIP_OFFSET);
    return FEC_CLIP_OFFSET + this.payload.length;
  }
}
