/**
 * The sending half of a live-mode connection: the send buffer indexed by sequence number,
 * LiveCC pacing (`pacer.ts`), the flow window, the loss list fed by NAKs, retransmission
 * (before new data, with the R flag), release on ACK, libsrt's too-late drop announced with
 * DROPREQ, and tail retransmission.
 *
 * Packets handed to {@linkcode LiveSender.send} enter the buffer at once (that is where their
 * timestamp is taken) and leave when the pacer and the peer's flow window allow; each wake-up
 * releases every packet whose turn has come. Buffer slots are reused: in steady state (same
 * payload size) sending a packet allocates nothing. A datagram handed to the adapter stays
 * untouched until the packet is acknowledged or dropped, except that a retransmission sets its
 * R flag in place.
 *
 * @module
 */

import { type ConnectionIo, pow2, SYN_INTERVAL_US } from "./_io.ts";
import type { LossRange } from "./nak.ts";
import {
  HEADER_SIZE,
  makeMsgWord,
  PacketPosition,
  setRetransmitted,
  writeDataHeader,
} from "./data_packet.ts";
import { ControlType } from "./control_packet.ts";
import type { FecFilter } from "./fec_filter.ts";
import { ArqLevel } from "./fec_config.ts";
import { LossList } from "./loss_list.ts";
import { LivePacer, type PacerConfig } from "./pacer.ts";
import { msgInc, seqCmp, seqInc, seqOff } from "./seq.ts";
import { toTimestamp } from "./timestamp.ts";

/** A packet is not resent twice within this time (two NAKs crossing), in us. */
const REXMIT_GUARD_US = 1_000;
/** Capacity of each queue of scheduled retransmissions (entries beyond it are not scheduled). */
const SCHEDULE_SIZE = 4096;
/** Re-requests closer together than this come from a peer that asks densely (tsrt). */
const SPARSE_NAK_GAP_US = 8_000;
/** Extra copies sent with a last-chance retransmission. */
const LAST_CHANCE_COPIES = 2;

/**
 * A FIFO of (sequence number, time) pairs with times in increasing order, in typed arrays so
 * that scheduling allocates nothing.
 */
class Schedule {
  #seq = new Int32Array(SCHEDULE_SIZE);
  #at = new Float64Array(SCHEDULE_SIZE);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Time of the first entry, or Infinity. */
  get nextAt(): number {
    return this.#size ? this.#at[this.#head] : Infinity;
  }

  push(seq: number, at: number): void {
    if (this.#size === SCHEDULE_SIZE) return;
    const i = (this.#head + this.#size++) & (SCHEDULE_SIZE - 1);
    this.#seq[i] = seq;
    this.#at[i] = at;
  }

  /** Removes and returns the first entry's sequence number if it is due, else -1. */
  popDue(now: number): number {
    if (this.#size === 0 || this.#at[this.#head] > now) return -1;
    const s = this.#seq[this.#head];
    this.#head = (this.#head + 1) & (SCHEDULE_SIZE - 1);
    this.#size--;
    return s;
  }

  clear(): void {
    this.#size = 0;
  }
}

/** The encryption hook of the connection, when it has one (see `_io.ts`). */
type CryptoHook = { encrypt?(now: number, datagram: Uint8Array, seq: number): void };

/** Parameters of a {@linkcode LiveSender}. */
export interface SenderInit {
  /** First sequence number to send. */
  readonly initialSeq: number;
  /** Send buffer size in packets. */
  readonly bufferPackets: number;
  /** Start of the connection clock (us): packet timestamps count from here. */
  readonly startUs: number;
  /** The latency the peer applies to our packets (us). */
  readonly peerLatencyUs: number;
  /** The peer's socket ID, written into every packet. */
  readonly peerSocketId: number;
  /** The peer's flow window (packets) from the handshake. */
  readonly peerFlowWindow?: number;
  /** Bandwidth settings for pacing; default: libsrt's (infinite MAXBW). */
  readonly pacing?: PacerConfig;
  /** Nominal payload size. */
  readonly payloadSize?: number;
  /** The packet filter (FEC), when the handshake agreed one. */
  readonly fec?: FecFilter;
}

/** Instantaneous sender figures for statistics. */
export interface SenderGauges {
  /** Packets sent and not yet acknowledged. */
  readonly pktFlightSize: number;
  /** Packets in the buffer (in flight or waiting). */
  readonly pktSndBuf: number;
  /** Payload bytes in the buffer. */
  readonly byteSndBuf: number;
  /** Time span of the buffer (ms). */
  readonly msSndBuf: number;
  /** Free buffer in bytes at the payload size. */
  readonly byteAvailSndBuf: number;
  /** The window the peer allows (packets). */
  readonly pktFlowWindow: number;
  /** The send period (us). */
  readonly usPktSndPeriod: number;
  /** The bandwidth ceiling (bytes/s). */
  readonly maxBw: number;
}

/** The sending half of a connection. */
export class LiveSender {
  #io: ConnectionIo;
  #startUs: number;
  #peerSocketId: number;
  #payloadSize: number;
  #nextSeq: number; // next sequence number to assign
  #sendNext: number; // next sequence number to transmit for the first time
  #msgNo = 1;
  #lastAck: number;
  #buf: (Uint8Array | undefined)[];
  #spare: (Uint8Array | undefined)[]; // released buffers, reused by the next packet in the slot
  #origin: Float64Array;
  #lastTx: Float64Array;
  #mask: number;
  #bytes = 0;
  #loss = new LossList();
  #pacer: LivePacer;
  #peerFc: number;
  #peerAvail: number;
  #dropThresholdUs: number;
  #lastDataSendUs = -Infinity;
  #lastNewSendUs = -Infinity;
  #tailNextUs = -Infinity;
  #tailCount: Uint8Array; // per slot: unasked retransmissions so far
  #headGivenUp = -1; // an ACK point too old for another resend to make its play time
  #peerLatencyUs: number;
  #naked: Uint8Array; // per slot: the peer reported it lost at least once
  #copies = new Schedule(); // extra copies of last-chance retransmissions
  #earlyChecks = new Schedule(); // reported-lost packets to resend unasked an RTT before...
  #finalChecks = new Schedule(); // ...and just before their deadline
  #busySinceUs = -1;
  #fec: FecFilter | undefined;
  #noArq: boolean; // packet filter with arq:never: nothing is ever retransmitted
  #fecOut: Uint8Array[] = []; // FEC packets due, sent in the next pacer slots

  /** Creates the sender. */
  constructor(now: number, init: SenderInit, io: ConnectionIo) {
    this.#io = io;
    this.#startUs = init.startUs;
    this.#peerSocketId = init.peerSocketId;
    this.#nextSeq = init.initialSeq;
    this.#sendNext = init.initialSeq;
    this.#lastAck = init.initialSeq;
    this.#payloadSize = init.payloadSize ?? 1316;
    this.#fec = init.fec;
    this.#noArq = init.fec?.arq === ArqLevel.NEVER;
    const cap = pow2(init.bufferPackets);
    this.#buf = new Array(cap);
    this.#spare = new Array(cap);
    this.#origin = new Float64Array(cap);
    this.#lastTx = new Float64Array(cap);
    this.#tailCount = new Uint8Array(cap);
    this.#naked = new Uint8Array(cap);
    this.#mask = cap - 1;
    this.#peerFc = init.peerFlowWindow ?? 25600;
    this.#peerAvail = this.#peerFc;
    this.#pacer = new LivePacer(
      init.pacing ?? { maxBw: -1, inputBw: 0, minInputBw: 0, oheadBw: 25 },
      this.#payloadSize,
    );
    this.#peerLatencyUs = init.peerLatencyUs;
    // libsrt: max(peer latency + SNDDROPDELAY(0), 1000 ms) + 2 x SYN interval.
    this.#dropThresholdUs = Math.max(init.peerLatencyUs, 1_000_000) + 2 * SYN_INTERVAL_US;
    void now;
  }

  /** Packets sent and not yet acknowledged. */
  get unacknowledged(): number {
    return Math.max(0, seqOff(this.#lastAck, this.#nextSeq));
  }

  /** When data was last transmitted (us). */
  get lastDataSendUs(): number {
    return this.#lastDataSendUs;
  }

  /** The pacer (send period, bandwidth). */
  get pacer(): LivePacer {
    return this.#pacer;
  }

  /** Instantaneous figures for statistics. */
  gauges(): SenderGauges {
    const n = seqOff(this.#lastAck, this.#nextSeq);
    let span = 0;
    if (n > 0) {
      const last = (this.#nextSeq - 1) & 0x7fffffff;
      span = this.#origin[last & this.#mask] - this.#origin[this.#lastAck & this.#mask];
    }
    return {
      pktFlightSize: Math.max(0, seqOff(this.#lastAck, this.#sendNext)),
      pktSndBuf: n,
      byteSndBuf: this.#bytes,
      msSndBuf: span / 1000,
      byteAvailSndBuf: (this.#mask + 1 - n) * this.#payloadSize,
      pktFlowWindow: this.#window(),
      usPktSndPeriod: this.#pacer.periodUs,
      maxBw: this.#pacer.maxBw,
    };
  }

  /** Adds the time the sender has had data to send, up to `now`, to `usSndDurationTotal`. */
  flushBusy(now: number): void {
    if (this.#busySinceUs < 0 || now <= this.#busySinceUs) return;
    this.#io.counters.usSndDurationTotal += now - this.#busySinceUs;
    this.#busySinceUs = now;
  }

  /** The sequence number the next payload gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** The acknowledged point: every packet before it has been acknowledged or dropped. */
  get ackedSeq(): number {
    return this.#lastAck;
  }

  /**
   * Makes `seq` the sequence number of the next payload, forgetting whatever is still
   * unacknowledged (libsrt's `overrideSndSeqNo`). Socket groups use it to give every member
   * the group's numbering: a member that starts carrying the stream (a backup link taking
   * over, a link joining a broadcast group) continues from the group's sequence, and the
   * packets it drops here are the group's to resend.
   *
   * @param now current time (us)
   * @param seq the next sequence number (0..2^31-1)
   */
  overrideSeq(now: number, seq: number): void {
    if (seqCmp(this.#lastAck, this.#nextSeq) < 0) this.#release(this.#nextSeq, now);
    this.#loss.clear();
    this.#copies.clear();
    this.#earlyChecks.clear();
    this.#finalChecks.clear();
    this.#fecOut.length = 0;
    this.#nextSeq = seq;
    this.#sendNext = seq;
    this.#lastAck = seq;
  }

  /**
   * Queues one payload as a solo live-mode message and sends what the pacer allows.
   *
   * @param now current time (us)
   * @param payload the message
   * @param srcTimeUs when the message was first handed to SRT (default `now`): its timestamp
   *   and its too-late deadline count from then (a group resending over another link keeps it)
   */
  send(now: number, payload: Uint8Array, srcTimeUs: number = now): void {
    const seq = this.#nextSeq;
    if (seqOff(this.#lastAck, seq) > this.#mask) this.#dropOldest(now, 1);
    const idle = !this.#hasWork();
    const slot = seq & this.#mask;
    const size = HEADER_SIZE + payload.length;
    let d = this.#spare[slot];
    if (d === undefined || d.length !== size) d = new Uint8Array(size);
    else this.#spare[slot] = undefined;
    writeDataHeader(
      d,
      seq,
      makeMsgWord(PacketPosition.SOLO, false, 0, false, this.#msgNo),
      toTimestamp(Math.max(0, srcTimeUs - this.#startUs)),
      this.#peerSocketId,
    );
    d.set(payload, HEADER_SIZE);
    // Encrypted once, here: retransmissions reuse the ciphertext.
    (this.#io as CryptoHook).encrypt?.(now, d, seq);
    this.#buf[slot] = d;
    this.#origin[slot] = srcTimeUs;
    this.#tailCount[slot] = 0;
    this.#naked[slot] = 0;
    this.#bytes += payload.length;
    this.#nextSeq = seqInc(seq);
    this.#msgNo = msgInc(this.#msgNo);
    if (this.#busySinceUs < 0) this.#busySinceUs = now;
    this.#pacer.onInput(now, payload.length);
    if (idle) this.#pacer.restart(now);
    this.#pump(now);
  }

  /**
   * Handles an ACK: releases everything before the acknowledged sequence number; a full ACK
   * also updates the flow window from the peer's free buffer.
   */
  onAck(now: number, ack: number, availableBuffer?: number): void {
    if (availableBuffer !== undefined) this.#peerAvail = availableBuffer;
    this.#pacer.update();
    if (seqCmp(ack, this.#lastAck) > 0 && seqCmp(ack, this.#sendNext) <= 0) {
      this.#release(ack, now);
      this.#loss.removeBefore(ack);
    }
    this.#pump(now);
  }

  /** Handles a loss report: queues the ranges still in the buffer for retransmission. */
  onNak(now: number, losses: readonly LossRange[]): void {
    const c = this.#io.counters;
    const idle = !this.#hasWork();
    for (const [first, last] of losses) {
      let a = first;
      let b = last;
      if (seqCmp(b, this.#lastAck) < 0 || seqCmp(a, this.#sendNext) >= 0) continue;
      if (seqCmp(a, this.#lastAck) < 0) a = this.#lastAck;
      if (seqCmp(b, this.#sendNext) >= 0) b = (this.#sendNext - 1) & 0x7fffffff;
      c.pktSndLossTotal += seqOff(a, b) + 1;
      this.#loss.insert(a, b);
      for (let q = a;; q = seqInc(q)) {
        this.#onReportedLost(now, q);
        if (q === b) break;
      }
    }
    if (idle) this.#pacer.restart(now);
    this.#pump(now);
  }

  /** Runs the sender's timers: paced sending, too-late drop and tail retransmission. */
  handleTimeout(now: number): void {
    this.#dropTooLate(now);
    this.#runSchedules(now);
    this.#pump(now);
    this.#retransmitStalledHead(now);
    this.#retransmitTail(now);
  }

  /** The sender's next deadline (us), or Infinity. */
  pollTimeout(): number {
    let t = this.#hasWork() && this.#canSend() ? this.#pacer.nextUs : Infinity;
    if (this.#copies.nextAt < t) t = this.#copies.nextAt;
    if (this.#earlyChecks.nextAt < t) t = this.#earlyChecks.nextAt;
    if (this.#finalChecks.nextAt < t) t = this.#finalChecks.nextAt;
    if (seqCmp(this.#lastAck, this.#nextSeq) >= 0) return t;
    const drop = this.#origin[this.#lastAck & this.#mask] + this.#dropThresholdUs;
    if (drop < t) t = drop;
    if (seqCmp(this.#lastAck, this.#sendNext) < 0) {
      const head = this.#stalledHeadAt();
      if (head < t) t = head;
      const tail = this.#noArq
        ? Infinity
        : Math.max(this.#lastNewSendUs + this.#tailDelayUs(), this.#tailNextUs);
      if (tail < t) t = tail;
    }
    return t;
  }

  /** Forgets every buffered packet (on close). */
  clear(): void {
    this.#buf.fill(undefined);
    this.#spare.fill(undefined);
    this.#loss.clear();
    this.#copies.clear();
    this.#earlyChecks.clear();
    this.#finalChecks.clear();
  }

  /**
   * A packet the peer reported lost. libsrt receivers re-request a loss only every 20 ms or
   * more (their periodic NAK), so with latency of a few RTTs a loss gets only three or four
   * requests, and each fails if the NAK or the retransmission is lost. Two things make up for
   * it: when the peer asks sparsely and this request is the last that can still be answered in
   * time, the retransmission goes out three times (1 ms apart); and a packet once reported lost
   * that is still unacknowledged an RTT before its deadline, and again just before it, is resent
   * unasked unless it was sent within the last half RTT (the NAK that should have asked for it
   * may have been lost).
   */
  #onReportedLost(now: number, seq: number): void {
    const i = seq & this.#mask;
    const rtt = this.#io.rtt.rttUs;
    const deadline = this.#origin[i] + this.#peerLatencyUs;
    const gap = now - this.#lastTx[i];
    if (gap >= SPARSE_NAK_GAP_US && now + Math.max(gap, rtt) > deadline - 1_000) {
      for (let k = 1; k <= LAST_CHANCE_COPIES; k++) this.#copies.push(seq, now + k * 1_000);
    }
    if (!this.#naked[i]) {
      this.#naked[i] = 1;
      const margin = Math.min(Math.max(2_000, this.#io.rtt.rttVarUs), 10_000);
      const last = deadline - margin;
      if (last - rtt > now) this.#earlyChecks.push(seq, last - rtt);
      if (last > now) this.#finalChecks.push(seq, last);
    }
  }

  /** Sends the scheduled extra copies and final-chance retransmissions that are due. */
  #runSchedules(now: number): void {
    const rtt = this.#io.rtt.rttUs;
    for (let s = this.#copies.popDue(now); s !== -1; s = this.#copies.popDue(now)) {
      this.#resend(now, s, 0);
    }
    for (let s = this.#earlyChecks.popDue(now); s !== -1; s = this.#earlyChecks.popDue(now)) {
      this.#resend(now, s, rtt / 2);
    }
    for (let s = this.#finalChecks.popDue(now); s !== -1; s = this.#finalChecks.popDue(now)) {
      this.#resend(now, s, rtt / 2);
    }
  }

  /** Resends `seq` at once if it is still unacknowledged and was not sent within `quietUs`. */
  #resend(now: number, seq: number, quietUs: number): void {
    if (seqCmp(seq, this.#lastAck) < 0 || seqCmp(seq, this.#sendNext) >= 0) return;
    const slot = seq & this.#mask;
    const d = this.#buf[slot];
    if (d === undefined || now - this.#lastTx[slot] < quietUs) return;
    const c = this.#io.counters;
    setRetransmitted(d, true);
    c.pktRetransTotal++;
    c.byteRetransTotal += d.length - HEADER_SIZE;
    this.#transmit(now, slot, d);
  }

  #hasWork(): boolean {
    return this.#loss.size > 0 || this.#sendNext !== this.#nextSeq || this.#fecOut.length > 0;
  }

  #canSend(): boolean {
    return this.#loss.size > 0 || seqOff(this.#lastAck, this.#sendNext) < this.#window();
  }

  /** The peer's window: its flow window, bounded by its free buffer as last reported. */
  #window(): number {
    return Math.min(this.#peerFc, Math.max(this.#peerAvail, 2));
  }

  /** Sends retransmissions first, then new packets, as long as the pacer allows. */
  #pump(now: number): void {
    const c = this.#io.counters;
    const pacer = this.#pacer;
    while (pacer.nextUs <= now) {
      if (this.#loss.size > 0) {
        const s = this.#loss.popFirst();
        const slot = s & this.#mask;
        const d = this.#buf[slot];
        if (d === undefined || seqCmp(s, this.#lastAck) < 0) continue;
        if (now - this.#lastTx[slot] < REXMIT_GUARD_US) continue;
        setRetransmitted(d, true);
        c.pktRetransTotal++;
        c.byteRetransTotal += d.length - HEADER_SIZE;
        this.#transmit(now, slot, d);
        continue;
      }
      if (this.#fecOut.length > 0) {
        // An FEC packet takes the slot after the packet that completed its group (libsrt
        // packData): never buffered, retransmitted, encrypted or restamped.
        const f = this.#fecOut.shift()!;
        this.#lastDataSendUs = now;
        this.#pacer.onSent(now, f.length - HEADER_SIZE);
        this.#io.transmitData(now, f);
        continue;
      }
      if (this.#sendNext === this.#nextSeq) break;
      if (seqOff(this.#lastAck, this.#sendNext) >= this.#window()) break;
      const slot = this.#sendNext & this.#mask;
      const d = this.#buf[slot]!;
      this.#sendNext = seqInc(this.#sendNext);
      c.pktSentUniqueTotal++;
      c.byteSentUniqueTotal += d.length - HEADER_SIZE;
      this.#lastNewSendUs = now;
      this.#tailNextUs = -Infinity;
      this.#transmit(now, slot, d);
      // New packets only, as they went out (encrypted, stamped); retransmissions never.
      if (this.#fec) {
        const kk = (d[4] >>> 3) & 3;
        for (const f of this.#fec.sender.feedAndDrain(d, this.#peerSocketId, kk)) {
          this.#fecOut.push(f);
        }
      }
    }
  }

  #transmit(now: number, slot: number, d: Uint8Array): void {
    this.#lastDataSendUs = now;
    this.#lastTx[slot] = now;
    this.#pacer.onSent(now, d.length - HEADER_SIZE);
    this.#io.transmitData(now, d);
  }

  /** Frees every slot before `upTo` and moves the acknowledged point there. */
  #release(upTo: number, now: number): void {
    for (let s = this.#lastAck; s !== upTo; s = seqInc(s)) {
      const slot = s & this.#mask;
      const d = this.#buf[slot];
      if (d !== undefined) {
        this.#bytes -= d.length - HEADER_SIZE;
        this.#spare[slot] = d;
        this.#buf[slot] = undefined;
      }
    }
    this.#lastAck = upTo;
    if (seqCmp(this.#sendNext, upTo) < 0) this.#sendNext = upTo;
    if (upTo === this.#nextSeq && this.#busySinceUs >= 0) {
      this.#io.counters.usSndDurationTotal += now - this.#busySinceUs;
      this.#busySinceUs = -1;
    }
  }

  /**
   * When the oldest unacknowledged packet counts as stalled: it went out (last) an RTT, a full
   * ACK interval and a margin ago, so an ACK past it should have come back by now had it
   * arrived. The receiver's ACK is cumulative, so a stuck ACK point is evidence that this
   * packet, and no other, is missing, whether or not a NAK for it got through. Not with a packet
   * filter: there the ACK point also waits for FEC to rebuild the packet, and what FEC cannot
   * rebuild is NAKed (or, with `arq:never`, not wanted again).
   */
  #stalledHeadAt(): number {
    if (this.#fec) return Infinity;
    const rtt = this.#io.rtt;
    const head = this.#lastAck & this.#mask;
    const next = (this.#lastAck + 1) & 0x7fffffff;
    if (seqCmp(next, this.#sendNext) >= 0) return Infinity; // the tail probe's case
    if (this.#lastAck === this.#headGivenUp) return Infinity;
    // Past the point where a resend could make the play time: TLPKTDROP will move the ACK.
    const last = this.#origin[head] + this.#peerLatencyUs - rtt.rttUs / 2;
    const margin = Math.max(2_000, Math.min(rtt.rttVarUs, rtt.rttUs / 4));
    const at = this.#lastTx[head] + rtt.rttUs + SYN_INTERVAL_US + margin;
    return at > last ? Infinity : at;
  }

  /**
   * The oldest unacknowledged packet holds the ACK point although an ACK past it should have
   * come back: it was lost, and its NAK may have been lost too. A libsrt receiver NAKs a gap
   * once when it sees it and again only with its periodic NAK, which starts 300 ms after the
   * connection is set up. Resend it unasked, once per round, while it can still make its play
   * time.
   */
  #retransmitStalledHead(now: number): void {
    if (seqCmp(this.#lastAck, this.#sendNext) >= 0 || now < this.#stalledHeadAt()) return;
    const head = this.#lastAck & this.#mask;
    const last = this.#origin[head] + this.#peerLatencyUs - this.#io.rtt.rttUs / 2;
    if (now > last) this.#headGivenUp = this.#lastAck;
    else this.#resend(now, this.#lastAck, 0);
  }

  /** How long the sender waits, after it went quiet, before resending unacknowledged data. */
  #tailDelayUs(): number {
    const rtt = this.#io.rtt;
    // A full ACK may wait up to one SYN interval at the receiver.
    return rtt.rttUs + Math.max(rtt.rttVarUs, 1_000) + SYN_INTERVAL_US + 1_000;
  }

  /**
   * A lost packet at the end of a burst is never NAKed: no later packet reveals the gap. So
   * once the sender has sent nothing new for an RTT plus an ACK interval with data still
   * unacknowledged, it resends its newest packet unasked (a tail-loss probe: if it arrives,
   * the receiver sees and NAKs any gap before it), then, while that packet can still make its
   * play time, again every RTT/4 (at least 2 ms), as the receiver's NAKs do near a deadline.
   */
  #retransmitTail(now: number): void {
    // arq:never: the peer wants FEC only, as with libsrt, which never resends unasked.
    if (this.#noArq || seqCmp(this.#lastAck, this.#sendNext) >= 0) return;
    const delay = this.#tailDelayUs();
    if (now < this.#lastNewSendUs + delay || now < this.#tailNextUs) return;
    const s = (this.#sendNext - 1) & 0x7fffffff;
    const i = s & this.#mask;
    const count = this.#tailCount[i];
    const dense = Math.max(2_000, this.#io.rtt.rttUs / 4);
    if (count > 0 && this.#origin[i] + this.#peerLatencyUs < now + this.#io.rtt.rttUs / 2) {
      this.#tailNextUs = now + delay; // too late for another probe to matter
      return;
    }
    const due = this.#lastTx[i] + (count === 0 ? delay : dense);
    if (due > now) {
      this.#tailNextUs = due;
      return;
    }
    this.#loss.insert(s, s);
    if (count < 255) this.#tailCount[i] = count + 1;
    this.#tailNextUs = now + dense;
    this.#pacer.restart(now);
    this.#pump(now);
  }

  #dropTooLate(now: number): void {
    let n = 0;
    let s = this.#lastAck;
    while (
      seqCmp(s, this.#nextSeq) < 0 && now - this.#origin[s & this.#mask] >= this.#dropThresholdUs
    ) {
      s = seqInc(s);
      n++;
    }
    if (n > 0) this.#dropOldest(now, n);
  }

  /** Drops the `n` oldest unacknowledged packets and tells the receiver with DROPREQ. */
  #dropOldest(now: number, n: number): void {
    const c = this.#io.counters;
    const first = this.#lastAck;
    let s = first;
    for (let i = 0; i < n; i++) {
      const d = this.#buf[s & this.#mask];
      if (d) c.byteSndDropTotal += d.length - HEADER_SIZE;
      s = seqInc(s);
    }
    c.pktSndDropTotal += n;
    this.#release(s, now);
    this.#loss.removeBefore(s);
    this.#io.sendControl(now, {
      type: ControlType.DROPREQ,
      msgNo: 0,
      firstSeq: first,
      lastSeq: (s - 1) & 0x7fffffff,
    });
  }
}
