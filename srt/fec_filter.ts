/**
 * One connection's `fec` packet filter: the negotiated settings, the sending and receiving
 * halves, and libsrt's four counters in one object, so that a connection needs a single field
 * and a few calls (libsrt `PacketFilter`).
 *
 * ```
 * handshake    negotiateFilter(agent, peer FILTER ext, side, rendezvous) -> config string
 * connected    FecFilter.create(config, { sndIsn, rcvIsn, payloadSize, socketId })
 * send slot    retransmission ? send it
 *              : (n = filter.packControl(buf, lastSentSeq, peerId, kk)) ? send buf[0..n]
 *              : send next data packet d, then filter.feed(d)
 * data in      r = filter.receive(d); r.pass ? buffer(d); r.rebuilt -> buffer; r.losses -> NAK
 * ```
 *
 * @module
 */

import {
  type ArqLevel,
  FEC_MAX_PAYLOAD_SIZE,
  type FecConfig,
  fecConfigFrom,
} from "./fec_config.ts";
import { FecReceiver, type FecReceiveResult } from "./fec_receiver.ts";
import { FecSender } from "./fec_sender.ts";
import { SrtFlags } from "./handshake_ext.ts";

/** What the filter needs from the connection once it is established. */
export interface FecFilterInit {
  /** First sequence number this side sends. */
  readonly sndIsn: number;
  /** First sequence number the peer sends. */
  readonly rcvIsn: number;
  /** `SRTO_PAYLOADSIZE` in force (already cut by {@linkcode payloadSizeWithFilter}). */
  readonly payloadSize: number;
  /** This side's socket ID (destination of rebuilt packets). */
  readonly socketId: number;
}

/**
 * libsrt's filter counters, named as in `SRT_TRACEBSTATS` (totals).
 *
 * @example
 * ```ts
 * import type { FecFilterStats, SrtSocket } from "@tsrt/tsrt";
 * // With packetfilter=fec,... the socket's stats() carry libsrt's filter counters.
 * function fecSummary(socket: SrtSocket): string {
 *   const s: FecFilterStats = socket.stats();
 *   return `rebuilt ${s.pktRcvFilterSupplyTotal}, unrecoverable ${s.pktRcvFilterLossTotal}`;
 * }
 * console.log(typeof fecSummary);
 * ```
 */
export interface FecFilterStats {
  /** FEC packets sent. */
  readonly pktSndFilterExtraTotal: number;
  /** FEC packets received. */
  readonly pktRcvFilterExtraTotal: number;
  /** Packets rebuilt. */
  readonly pktRcvFilterSupplyTotal: number;
  /** Packets reported unrecoverable. */
  readonly pktRcvFilterLossTotal: number;
}

/** The `fec` filter of one connection. */
export class FecFilter {
  /** The settings. */
  readonly config: FecConfig;
  /** The sending half. */
  readonly sender: FecSender;
  /** The receiving half. */
  readonly receiver: FecReceiver;

  /**
   * Creates both halves.
   *
   * @param config the settings
   * @param init sequence numbers, payload size and socket ID of the connection
   */
  constructor(config: FecConfig, init: FecFilterInit) {
    this.config = config;
    this.sender = new FecSender(config, init.sndIsn, init.payloadSize);
    this.receiver = new FecReceiver(config, init.rcvIsn, init.payloadSize, init.socketId);
  }

  /**
   * Creates the filter from the negotiated configuration string, or returns `undefined` for
   * `""` (no filter).
   *
   * @param config the string {@linkcode negotiateFilter} returned
   * @param init the connection's parameters
   * @returns the filter, or undefined
   * @throws {FilterConfigError} when the string is incomplete (the handshake should already
   *   have rejected it with `SRT_REJ_FILTER`)
   */
  static create(config: string, init: FecFilterInit): FecFilter | undefined {
    return config === "" ? undefined : new FecFilter(fecConfigFrom(config), init);
  }

  /** The ARQ level, which decides how the receiver NAKs (see {@linkcode FecReceiver}). */
  get arq(): ArqLevel {
    return this.config.arq;
  }

  /** Sender: see {@linkcode FecSender.feed}. */
  feed(datagram: Uint8Array): void {
    this.sender.feed(datagram);
  }

  /** Sender: see {@linkcode FecSender.packControl}. */
  packControl(out: Uint8Array, lastSeq: number, destSocketId: number, keyFlags: number): number {
    return this.sender.packControl(out, lastSeq, destSocketId, keyFlags);
  }

  /** Receiver: see {@linkcode FecReceiver.receive}. */
  receive(datagram: Uint8Array): FecReceiveResult {
    return this.receiver.receive(datagram);
  }

  /** The four libsrt counters. */
  stats(): FecFilterStats {
    const r = this.receiver.stats;
    return {
      pktSndFilterExtraTotal: this.sender.stats.sentFilterExtra,
      pktRcvFilterExtraTotal: r.filterExtra,
      pktRcvFilterSupplyTotal: r.filterSupply,
      pktRcvFilterLossTotal: r.filterLoss,
    };
  }
}

/**
 * The `SRTO_PAYLOADSIZE` in force with a filter: libsrt cuts it to 1456 - 4 = 1452 when it is
 * larger (srt-live-transmit asks for 1456).
 *
 * @param payloadSize the configured payload size
 * @returns the payload size to use
 */
export function payloadSizeWithFilter(payloadSize: number): number {
  return Math.min(payloadSize, FEC_MAX_PAYLOAD_SIZE);
}

/**
 * Whether to put this side's FILTER extension into a CONCLUSION (libsrt
 * `createSrtHandshake`): always with HSREQ when a filter is configured; with HSRSP only when
 * the peer sent a FILTER extension or announced packet-filter capability
 * (`SRT_OPT_FILTERCAP`, 0x80) in its HSREQ flags.
 *
 * @param ext which SRT extension the CONCLUSION carries
 * @param config this side's filter string in force (`""` for none)
 * @param peerSrtFlags the flags word of the peer's HSREQ (ignored for `hsreq`)
 * @param peerSentFilter whether the peer's CONCLUSION had a FILTER extension
 * @returns whether to send the extension
 */
export function sendsFilterExtension(
  ext: "hsreq" | "hsrsp",
  config: string,
  peerSrtFlags = 0,
  peerSentFilter = false,
): boolean {
  if (config === "") return false;
  if (ext === "hsreq") return true;
  return peerSentFilter || (peerSrtFlags & SrtFlags.FILTERCAP) !== 0;
}
