/**
 * Connection statistics, named and scaled like libsrt's `CBytePerfMon` so that figures can be
 * compared side by side with srt-live-transmit's.
 *
 * @module
 */

/** Counters accumulated over the life of a connection (libsrt's `*Total` fields). */
export interface SrtCounters {
  /** Data packets sent, retransmissions included. */
  pktSentTotal: number;
  /** Data packets received, retransmissions and duplicates included. */
  pktRecvTotal: number;
  /** Distinct data packets sent (no retransmissions). */
  pktSentUniqueTotal: number;
  /** Distinct data packets received and accepted into the buffer. */
  pktRecvUniqueTotal: number;
  /** Packets the peer reported lost. */
  pktSndLossTotal: number;
  /** Packets detected lost by this receiver. */
  pktRcvLossTotal: number;
  /** Packets retransmitted. */
  pktRetransTotal: number;
  /** Retransmitted packets received. */
  pktRcvRetransTotal: number;
  /** ACKs sent (full and light). */
  pktSentACKTotal: number;
  /** ACKs received. */
  pktRecvACKTotal: number;
  /** NAKs sent. */
  pktSentNAKTotal: number;
  /** NAKs received. */
  pktRecvNAKTotal: number;
  /** Packets the sender dropped as too late. */
  pktSndDropTotal: number;
  /** Packets the receiver skipped as too late (never delivered). */
  pktRcvDropTotal: number;
  /** Packets that could not be decrypted (never delivered). */
  pktRcvUndecryptTotal: number;
  /** Packets that arrived after their slot had been delivered or skipped. */
  pktRcvBelated: number;
  /** Duplicate packets received and discarded. */
  pktRcvDuplicate: number;
  /** Datagrams that were not valid SRT packets, discarded. */
  pktRcvInvalid: number;
  /** Payload bytes sent, retransmissions included. */
  byteSentTotal: number;
  /** Payload bytes received. */
  byteRecvTotal: number;
  /** Payload bytes retransmitted. */
  byteRetransTotal: number;
  /** Payload bytes the receiver skipped as too late. */
  byteRcvDropTotal: number;
  /** Payload bytes the sender dropped as too late. */
  byteSndDropTotal: number;
}

/** A statistics snapshot: the counters plus instantaneous values. */
export interface SrtStats extends Readonly<SrtCounters> {
  /** Milliseconds since the connection started. */
  readonly msTimeStamp: number;
  /** Smoothed round-trip time in milliseconds. */
  readonly msRTT: number;
  /** Round-trip time variance in milliseconds. */
  readonly msRTTVar: number;
  /** Estimated link capacity in Mbit/s. */
  readonly mbpsBandwidth: number;
  /** Packets sent but not yet acknowledged. */
  readonly pktFlightSize: number;
  /** Packets in the send buffer. */
  readonly pktSndBuf: number;
  /** Packets in the receive buffer, waiting for delivery. */
  readonly pktRcvBuf: number;
  /** Span of the receive buffer in milliseconds of stream time. */
  readonly msRcvBuf: number;
  /** Latency applied when receiving, in milliseconds. */
  readonly msRcvTsbPdDelay: number;
  /** Latency the peer applies to what this side sends, in milliseconds. */
  readonly msSndTsbPdDelay: number;
  /** Packets currently known lost and not yet recovered. */
  readonly pktRcvLossPending: number;
}

/** A zeroed set of counters. */
export function newCounters(): SrtCounters {
  return {
    pktSentTotal: 0,
    pktRecvTotal: 0,
    pktSentUniqueTotal: 0,
    pktRecvUniqueTotal: 0,
    pktSndLossTotal: 0,
    pktRcvLossTotal: 0,
    pktRetransTotal: 0,
    pktRcvRetransTotal: 0,
    pktSentACKTotal: 0,
    pktRecvACKTotal: 0,
    pktSentNAKTotal: 0,
    pktRecvNAKTotal: 0,
    pktSndDropTotal: 0,
    pktRcvDropTotal: 0,
    pktRcvUndecryptTotal: 0,
    pktRcvBelated: 0,
    pktRcvDuplicate: 0,
    pktRcvInvalid: 0,
    byteSentTotal: 0,
    byteRecvTotal: 0,
    byteRetransTotal: 0,
    byteRcvDropTotal: 0,
    byteSndDropTotal: 0,
  };
}
