/**
 * Sender side of libsrt's `fec` packet filter: XORs every new data packet into its row group
 * and column group, and hands out FEC packets as groups fill up. Sans-IO; no allocation per
 * packet (the groups' buffers are made once).
 *
 * Call order per send slot, as libsrt's `CUDT::packData` does:
 *
 * 1. a retransmission, if one is due, goes first and is not fed here;
 * 2. else {@linkcode FecSender.packControl} with the sequence number of the last data packet
 *    sent: when it returns a length, send that FEC packet in this slot (it carries its own
 *    timestamp, do not restamp it) and count `pktSndFilterExtra`;
 * 3. else send the next new data packet and pass it, exactly as it goes on the wire (header
 *    with timestamp, payload already encrypted), to {@linkcode FecSender.feed}.
 *
 * When a row and a column complete on the same packet, the column's FEC packet goes first.
 * The group bookkeeping follows libsrt 1.5.1 `FECFilterBuiltin::feedSource` /
 * `packControlPacket` so that the packets come out byte-identical (checked against a capture).
 *
 * @module
 */

import { FecClip } from "./_fec_clip.ts";
import { dataSeq, HEADER_SIZE } from "./data_packet.ts";
import { FEC_EXTRA_SIZE, type FecConfig } from "./fec_config.ts";
import { columnFirstOffset } from "./fec_layout.ts";
import { FEC_ROW_INDEX } from "./fec_packet.ts";
import { seqDec, seqInc, seqOff } from "./seq.ts";

/** Counters of the sending filter. */
export interface FecSenderStats {
  /** FEC packets handed out (libsrt `pktSndFilterExtra`). */
  sentFilterExtra: number;
}

/** Builds FEC packets for the data packets sent on one connection. */
export class FecSender {
  /** The filter's settings. */
  readonly config: FecConfig;
  /** Size of every FEC packet this sender makes: 16 + 4 + payload size. */
  readonly packetSize: number;
  /** Counters. */
  readonly stats: FecSenderStats = { sentFilterExtra: 0 };
  readonly #row: FecClip;
  readonly #cols: FecClip[] = [];

  /**
   * Creates the sender's groups: the first row and, with columns, the first group of each.
   *
   * @param config the negotiated settings ({@linkcode fecConfigFrom})
   * @param isn the first data sequence number this side sends
   * @param payloadSize this connection's `SRTO_PAYLOADSIZE` (the clip size; libsrt uses the
   *   option's value, 1316 by default, 1452 with srt-live-transmit's 1456 cut by the filter)
   */
  constructor(config: FecConfig, isn: number, payloadSize: number) {
    this.config = config;
    this.packetSize = HEADER_SIZE + FEC_EXTRA_SIZE + payloadSize;
    this.#row = new FecClip(payloadSize);
    this.#row.reset(isn);
    if (config.rows > 1) {
      for (let c = 0; c < config.cols; c++) {
        const clip = new FecClip(payloadSize);
        clip.reset(seqInc(isn, columnFirstOffset(config, c)));
        this.#cols.push(clip);
      }
    }
  }

  /**
   * XORs a new (not retransmitted) data packet into its groups.
   *
   * @param datagram the data packet as sent: 16-byte header, then the payload
   */
  feed(datagram: Uint8Array): void {
    const { cols, rows } = this.config;
    const seq = dataSeq(datagram);
    const row = this.#row;
    const rowOff = seqOff(row.base, seq);
    if (rowOff >= cols) row.reset(seqInc(row.base, cols));
    row.addData(datagram);
    row.collected++;
    if (rows < 2 || rowOff < 0) return;
    const col = this.#cols[rowOff % cols];
    const colOff = seqOff(col.base, seq);
    if (colOff < 0 || colOff % cols !== 0) return;
    if (colOff / cols >= rows) col.reset(seqInc(col.base, cols * rows));
    col.addData(datagram);
    col.collected++;
  }

  /**
   * Writes the next FEC packet that is due, if any, into `out`.
   *
   * @param out destination of at least {@linkcode FecSender.packetSize} bytes
   * @param lastSeq sequence number of the last data packet sent (ISN - 1 before the first)
   * @param destSocketId the peer's socket ID
   * @param keyFlags the sender's current KK flags (0 when not encrypting)
   * @returns the FEC packet's length, or 0 when none is due
   */
  packControl(out: Uint8Array, lastSeq: number, destSocketId: number, keyFlags: number): number {
    const { cols, rows, colsOnly } = this.config;
    const row = this.#row;
    if (rows > 1) {
      const off = seqOff(row.base, lastSeq);
      if (off >= 0) {
        const index = off % cols;
        const col = this.#cols[index];
        if (col.collected >= rows) {
          const n = col.writeFec(out, index, lastSeq, destSocketId, keyFlags);
          col.reset(seqInc(col.base, cols * rows));
          this.stats.sentFilterExtra++;
          return n;
        }
      }
    }
    if (row.collected >= cols) {
      let n = 0;
      if (!colsOnly) {
        n = row.writeFec(out, FEC_ROW_INDEX, lastSeq, destSocketId, keyFlags);
        this.stats.sentFilterExtra++;
      }
      row.reset(seqInc(row.base, cols));
      return n;
    }
    return 0;
  }

  /**
   * Convenience for tests and simple senders: feeds `datagram`, then collects every FEC
   * packet now due (as fresh arrays), in sending order.
   *
   * @param datagram the data packet just sent
   * @param destSocketId the peer's socket ID
   * @param keyFlags the current KK flags
   * @returns the FEC packets to send before the next data packet
   */
  feedAndDrain(datagram: Uint8Array, destSocketId: number, keyFlags = 0): Uint8Array[] {
    this.feed(datagram);
    const out: Uint8Array[] = [];
    const seq = dataSeq(datagram);
    const buf = new Uint8Array(this.packetSize);
    for (let guard = 0; guard < 3; guard++) {
      const n = this.packControl(buf, seq, destSocketId, keyFlags);
      if (n === 0) break;
      out.push(buf.slice(0, n));
    }
    return out;
  }
}

/** Sequence number to pass to {@linkcode FecSender.packControl} before the first packet. */
export function fecLastSeqBeforeFirst(isn: number): number {
  return seqDec(isn);
}
