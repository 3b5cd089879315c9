/**
 * The receiving half of a live-mode connection: the receive buffer indexed by sequence
 * number, loss detection with immediate and periodic NAK, full ACK every 10 ms and light ACK
 * every 64 packets, RTT from ACKACK, TSBPD delivery (time base + timestamp + latency, with the
 * 32-bit timestamp wrap) and too-late packet drop (TLPKTDROP), DROPREQ.
 *
 * @module
 */

import { readU32 } from "./_bytes.ts";
import { type ConnectionIo, pow2, SYN_INTERVAL_US } from "./_io.ts";
import { ControlType } from "./control_packet.ts";
import { dataSeq, HEADER_SIZE } from "./data_packet.ts";
import { LossList } from "./loss_list.ts";
import type { LossRange } from "./nak.ts";
import { seqCmp, seqInc, seqOff } from "./seq.ts";
import { TimestampUnwrapper } from "./timestamp.ts";

const LIGHT_ACK_PACKETS = 64;
const ACK_HISTORY = 1024;
const MAX_NAK_RANGES = 128;
/**
 * Shortest periodic NAK interval. libsrt's LiveCC uses 20 ms; below 40 ms of RTT that leaves a
 * 4 x RTT latency window room for only about three retransmission attempts, so tsrt asks
 * again every 10 ms and accepts some duplicate retransmissions in exchange.
 */
const MIN_NAK_INTERVAL_US = 10_000;

/** Parameters of a {@linkcode LiveReceiver}. */
export interface ReceiverInit {
  /** First sequence number the peer sends. */
  readonly peerInitialSeq: number;
  /** Receive buffer size in packets. */
  readonly bufferPackets: number;
  /** Receive latency (us). */
  readonly latencyUs: number;
  /** Local time (us) of the peer's timestamp 0. */
  readonly tsbpdBaseUs: number;
  /** Skip packets that cannot arrive in time (TLPKTDROP). */
  readonly tooLatePacketDrop: boolean;
  /** Send periodic NAK reports. */
  readonly nakReport: boolean;
  /** Nominal payload size, for byte counters of skipped packets. */
  readonly payloadSize: number;
}

/** The receiving half of a connection. */
export class LiveReceiver {
  #io: ConnectionIo;
  #init: ReceiverInit;
  #base: number; // next sequence number to deliver
  #contig: number; // first sequence number not yet received in order: the ACK point
  #max: number; // highest sequence number received
  #buf: (Uint8Array | undefined)[];
  #playAt: Float64Array;
  #mask: number;
  #count = 0;
  #loss = new LossList();
  #unwrapper = new TimestampUnwrapper();
  #rx: Uint8Array[] = [];
  #rxHead = 0;
  #ackNumber = 0;
  #ackSentSeq = new Int32Array(ACK_HISTORY);
  #ackSentTime = new Float64Array(ACK_HISTORY);
  #lastAckSeq: number;
  #lastAckTimeUs = -Infinity;
  #lastAckAckedSeq: number;
  #pktsSinceAck = 0;
  #nextAckUs: number;
  #nextNakUs: number;
  #rateWindowStartUs: number;
  #rateWindowPkts = 0;
  #rateWindowBytes = 0;
  #pktRate = 0;
  #byteRate = 0;
  #probeArrivalUs = -1;
  #probeIntervals: number[] = [];
  #linkCapacity = 0;

  /** Creates the receiver. */
  constructor(now: number, init: ReceiverInit, io: ConnectionIo) {
    this.#io = io;
    this.#init = init;
    const cap = pow2(init.bufferPackets);
    this.#buf = new Array(cap);
    this.#playAt = new Float64Array(cap);
    this.#mask = cap - 1;
    this.#base = init.peerInitialSeq;
    this.#contig = init.peerInitialSeq;
    this.#max = (init.peerInitialSeq - 1) & 0x7fffffff;
    this.#lastAckSeq = init.peerInitialSeq;
    this.#lastAckAckedSeq = init.peerInitialSeq;
    this.#nextAckUs = now + SYN_INTERVAL_US;
    this.#nextNakUs = now + MIN_NAK_INTERVAL_US;
    this.#rateWindowStartUs = now;
  }

  /** Packets waiting in the buffer. */
  get buffered(): number {
    return this.#count;
  }

  /** Packets known lost and not yet recovered. */
  get lossPending(): number {
    return this.#loss.size;
  }

  /** Estimated link capacity in packets per second (probe pairs). */
  get linkCapacity(): number {
    return this.#linkCapacity;
  }

  /** Stream time (us) spanned by the buffered packets. */
  get bufferedSpanUs(): number {
    if (this.#count === 0) return 0;
    const a = this.#base & this.#mask;
    const b = this.#max & this.#mask;
    return this.#buf[a] && this.#buf[b] ? Math.max(0, this.#playAt[b] - this.#playAt[a]) : 0;
  }

  /** Next payload ready for the application, or undefined. */
  pollPayload(): Uint8Array | undefined {
    if (this.#rxHead >= this.#rx.length) {
      if (this.#rx.length) {
        this.#rx.length = 0;
        this.#rxHead = 0;
      }
      return undefined;
    }
    const p = this.#rx[this.#rxHead];
    this.#rx[this.#rxHead++] = undefined as unknown as Uint8Array;
    return p;
  }

  /** Handles one data packet (already checked to be at least a header long). */
  onData(now: number, d: Uint8Array): void {
    const c = this.#io.counters;
    const seq = dataSeq(d);
    const payloadLen = d.length - HEADER_SIZE;
    c.pktRecvTotal++;
    c.byteRecvTotal += payloadLen;
    if (d[4] & 0x04) c.pktRcvRetransTotal++;
    const off = seqOff(this.#base, seq);
    if (off < 0) {
      c.pktRcvBelated++;
      return;
    }
    if (off > this.#mask) {
      // Beyond the receive buffer: drop it; it will be NAKed and resent once there is room.
      c.pktRcvDropTotal++;
      c.byteRcvDropTotal += payloadLen;
      return;
    }
    const slot = seq & this.#mask;
    if (this.#buf[slot] !== undefined) {
      c.pktRcvDuplicate++;
      return;
    }
    this.#buf[slot] = d;
    this.#count++;
    c.pktRecvUniqueTotal++;
    const playAt = this.#init.tsbpdBaseUs + this.#unwrapper.unwrap(readU32(d, 8)) +
      this.#init.latencyUs;
    // A packet processed after its play time (a late retransmission, or an event loop that
    // stalled) is still delivered, at once, as libsrt does: its hole has not been skipped yet,
    // and a decoder copes better with late data than with a gap.
    this.#playAt[slot] = playAt;

    const ahead = seqOff(this.#max, seq);
    if (ahead > 0) {
      if (ahead > 1) {
        const first = seqInc(this.#max);
        const last = (seq - 1) & 0x7fffffff;
        this.#loss.insert(first, last);
        c.pktRcvLossTotal += ahead - 1;
        this.#sendNak(now, [[first, last]]);
      }
      this.#max = seq;
    } else {
      this.#loss.remove(seq);
    }
    this.#advanceContig();
    this.#measureArrival(now, seq, payloadLen);
    if (++this.#pktsSinceAck >= LIGHT_ACK_PACKETS) this.#sendLightAck(now);
    this.deliver(now);
  }

  /** Handles an ACKACK: an RTT sample, and the peer has seen that ACK. */
  onAckAck(now: number, ackNumber: number): void {
    const h = ackNumber % ACK_HISTORY;
    const sentAt = this.#ackSentTime[h];
    if (
      sentAt === 0 || ackNumber > this.#ackNumber || this.#ackNumber - ackNumber >= ACK_HISTORY
    ) return;
    const sample = now - sentAt;
    if (sample < 0) return;
    this.#lastAckAckedSeq = this.#ackSentSeq[h];
    this.#io.rtt.sample(sample);
  }

  /** The sender gave these up: stop asking for them. Holes left are skipped at play time. */
  onDropRequest(first: number, last: number): void {
    for (let s = first; seqCmp(s, last) <= 0; s = seqInc(s)) {
      if (seqCmp(s, this.#base) < 0) continue;
      if (seqOff(this.#base, s) > this.#mask) break;
      this.#loss.remove(s);
    }
  }

  /** Runs the receiver's timers: delivery, full ACK, periodic NAK. */
  handleTimeout(now: number): void {
    this.deliver(now);
    if (now >= this.#nextAckUs) {
      this.#sendFullAck(now);
      this.#nextAckUs = now + SYN_INTERVAL_US;
    }
    if (this.#init.nakReport && now >= this.#nextNakUs) {
      if (this.#loss.size > 0) this.#sendNak(now, this.#loss.ranges(MAX_NAK_RANGES));
      this.#nextNakUs = now + this.#nakIntervalUs();
    }
  }

  /** The receiver's next deadline (us). */
  pollTimeout(): number {
    let t = this.#nextAckUs;
    if (this.#loss.size > 0 && this.#init.nakReport && this.#nextNakUs < t) t = this.#nextNakUs;
    const play = this.#nextPlayTime();
    return play < t ? play : t;
  }

  /**
   * Moves every packet whose play time has come to the output, skipping holes that can no
   * longer be filled in time. `Infinity` hands over everything buffered (at shutdown).
   */
  deliver(now: number): void {
    const c = this.#io.counters;
    while (this.#count > 0) {
      const slot = this.#base & this.#mask;
      const d = this.#buf[slot];
      if (d !== undefined) {
        if (this.#playAt[slot] > now) return;
        this.#buf[slot] = undefined;
        this.#count--;
        this.#rx.push(d.subarray(HEADER_SIZE));
        this.#base = seqInc(this.#base);
        continue;
      }
      if (!this.#init.tooLatePacketDrop && now !== Infinity) return;
      const next = this.#nextPresent();
      if (next === -1 || this.#playAt[next & this.#mask] > now) return;
      // The packet after the hole is due: give up on the hole (TLPKTDROP).
      const skipped = seqOff(this.#base, next);
      c.pktRcvDropTotal += skipped;
      c.byteRcvDropTotal += skipped * this.#init.payloadSize;
      this.#loss.removeBefore(next);
      this.#base = next;
      if (seqCmp(this.#contig, next) < 0) {
        this.#contig = next;
        this.#advanceContig();
      }
    }
  }

  /** Forgets every buffered packet (on close). */
  clear(): void {
    this.#buf.fill(undefined);
    this.#count = 0;
  }

  #advanceContig(): void {
    while (
      seqOff(this.#contig, this.#max) >= 0 &&
      seqOff(this.#base, this.#contig) <= this.#mask &&
      this.#buf[this.#contig & this.#mask] !== undefined
    ) {
      this.#contig = seqInc(this.#contig);
    }
  }

  #measureArrival(now: number, seq: number, bytes: number): void {
    this.#rateWindowPkts++;
    this.#rateWindowBytes += bytes + HEADER_SIZE;
    // Probe pairs: packets 16n and 16n+1 leave back to back; their spacing shows capacity.
    if ((seq & 15) === 0) this.#probeArrivalUs = now;
    else if ((seq & 15) === 1 && this.#probeArrivalUs >= 0) {
      const gap = now - this.#probeArrivalUs;
      this.#probeArrivalUs = -1;
      if (gap > 0) {
        this.#probeIntervals.push(gap);
        if (this.#probeIntervals.length > 16) this.#probeIntervals.shift();
        const sorted = [...this.#probeIntervals].sort((a, b) => a - b);
        this.#linkCapacity = Math.round(1e6 / sorted[sorted.length >> 1]);
      }
    }
  }

  #nextPlayTime(): number {
    if (this.#count === 0) return Infinity;
    const slot = this.#base & this.#mask;
    if (this.#buf[slot] !== undefined) return this.#playAt[slot];
    if (!this.#init.tooLatePacketDrop) return Infinity;
    const next = this.#nextPresent();
    return next === -1 ? Infinity : this.#playAt[next & this.#mask];
  }

  /** The first received sequence number after the (missing) base, or -1. */
  #nextPresent(): number {
    for (let s = seqInc(this.#base); seqCmp(s, this.#max) <= 0; s = seqInc(s)) {
      if (this.#buf[s & this.#mask] !== undefined) return s;
    }
    return -1;
  }

  #sendLightAck(now: number): void {
    this.#pktsSinceAck = 0;
    this.#io.counters.pktSentACKTotal++;
    this.#io.sendControl(now, {
      type: ControlType.ACK,
      ackNumber: 0,
      ack: { lastAckSeq: this.#contig },
    });
  }

  #sendFullAck(now: number): void {
    const ack = this.#contig;
    const rtt = this.#io.rtt;
    // libsrt: nothing new since the peer confirmed an ACK, or a repeat within RTT + 4 RTTVar.
    if (ack === this.#lastAckAckedSeq) return;
    if (ack === this.#lastAckSeq && now - this.#lastAckTimeUs < rtt.timeoutUs) return;
    const elapsed = now - this.#rateWindowStartUs;
    if (elapsed >= 100_000 || this.#pktRate === 0) {
      if (elapsed > 0) {
        this.#pktRate = Math.round((this.#rateWindowPkts * 1e6) / elapsed);
        this.#byteRate = Math.round((this.#rateWindowBytes * 1e6) / elapsed);
      }
      this.#rateWindowStartUs = now;
      this.#rateWindowPkts = 0;
      this.#rateWindowBytes = 0;
    }
    this.#ackNumber = this.#ackNumber >= 0x7fffffff ? 1 : this.#ackNumber + 1;
    const h = this.#ackNumber % ACK_HISTORY;
    this.#ackSentSeq[h] = ack;
    this.#ackSentTime[h] = now;
    this.#lastAckSeq = ack;
    this.#lastAckTimeUs = now;
    this.#pktsSinceAck = 0;
    this.#io.counters.pktSentACKTotal++;
    this.#io.sendControl(now, {
      type: ControlType.ACK,
      ackNumber: this.#ackNumber,
      ack: {
        lastAckSeq: ack,
        rtt: rtt.rttUs,
        rttVar: rtt.rttVarUs,
        availableBuffer: Math.max(2, this.#mask + 1 - this.#count),
        packetRate: this.#pktRate,
        linkCapacity: this.#linkCapacity,
        byteRate: this.#byteRate,
      },
    });
  }

  #sendNak(now: number, ranges: readonly LossRange[]): void {
    this.#io.counters.pktSentNAKTotal++;
    this.#io.sendControl(now, { type: ControlType.NAK, losses: ranges });
  }

  #nakIntervalUs(): number {
    const rtt = this.#io.rtt;
    // Until an RTT has been measured, libsrt's guess (100 ms +- 50) would hold the first
    // re-request back by 150 ms; ask again at the minimum interval instead.
    if (!rtt.measured) return MIN_NAK_INTERVAL_US;
    return Math.max(rtt.timeoutUs / 2, MIN_NAK_INTERVAL_US);
  }
}
