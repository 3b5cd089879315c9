/**
 * The sending half of a live-mode connection: the send buffer indexed by sequence number,
 * the loss list fed by NAKs, retransmission (before new data, with the R flag), release on
 * ACK, libsrt's too-late drop announced with DROPREQ, and tail retransmission.
 *
 * @module
 */

import { type ConnectionIo, pow2, SYN_INTERVAL_US } from "./_io.ts";
import type { LossRange } from "./nak.ts";
import {
  dataSeq,
  HEADER_SIZE,
  makeMsgWord,
  PacketPosition,
  setRetransmitted,
  writeDataHeader,
} from "./data_packet.ts";
import { ControlType } from "./control_packet.ts";
import { LossList } from "./loss_list.ts";
import { msgInc, seqCmp, seqInc, seqOff } from "./seq.ts";
import { toTimestamp } from "./timestamp.ts";

/** At most this many packets are resent at once by the tail retransmission. */
const TAIL_REXMIT_MAX = 64;

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
}

/** The sending half of a connection. */
export class LiveSender {
  #io: ConnectionIo;
  #startUs: number;
  #peerSocketId: number;
  #nextSeq: number;
  #msgNo = 1;
  #lastAck: number;
  #buf: (Uint8Array | undefined)[];
  #time: Float64Array;
  #mask: number;
  #loss = new LossList();
  #dropThresholdUs: number;
  #lastDataSendUs = -Infinity;
  #lastAckProgressUs: number;

  /** Creates the sender. */
  constructor(now: number, init: SenderInit, io: ConnectionIo) {
    this.#io = io;
    this.#startUs = init.startUs;
    this.#peerSocketId = init.peerSocketId;
    this.#nextSeq = init.initialSeq;
    this.#lastAck = init.initialSeq;
    const cap = pow2(init.bufferPackets);
    this.#buf = new Array(cap);
    this.#time = new Float64Array(cap);
    this.#mask = cap - 1;
    // libsrt: max(peer latency + SNDDROPDELAY(0), 1000 ms) + 2 x SYN interval.
    this.#dropThresholdUs = Math.max(init.peerLatencyUs, 1_000_000) + 2 * SYN_INTERVAL_US;
    this.#lastAckProgressUs = now;
  }

  /** Packets sent and not yet acknowledged. */
  get unacknowledged(): number {
    return Math.max(0, seqOff(this.#lastAck, this.#nextSeq));
  }

  /** When data was last transmitted (us). */
  get lastDataSendUs(): number {
    return this.#lastDataSendUs;
  }

  /** Sends one payload as a solo live-mode message. */
  send(now: number, payload: Uint8Array): void {
    const seq = this.#nextSeq;
    if (seqOff(this.#lastAck, seq) > this.#mask) this.#dropOldest(now, 1);
    const d = new Uint8Array(HEADER_SIZE + payload.length);
    writeDataHeader(
      d,
      seq,
      makeMsgWord(PacketPosition.SOLO, false, 0, false, this.#msgNo),
      toTimestamp(now - this.#startUs),
      this.#peerSocketId,
    );
    d.set(payload, HEADER_SIZE);
    const slot = seq & this.#mask;
    this.#buf[slot] = d;
    this.#time[slot] = now;
    this.#nextSeq = seqInc(seq);
    this.#msgNo = msgInc(this.#msgNo);
    this.#io.counters.pktSentUniqueTotal++;
    this.#transmit(now, d);
  }

  /** Handles the acknowledged sequence number of an ACK: releases everything before it. */
  onAck(now: number, ack: number): void {
    // Ignore ACKs that go backwards or beyond what was sent.
    if (seqCmp(ack, this.#lastAck) <= 0 || seqCmp(ack, this.#nextSeq) > 0) return;
    for (let s = this.#lastAck; s !== ack; s = seqInc(s)) this.#buf[s & this.#mask] = undefined;
    this.#lastAck = ack;
    this.#loss.removeBefore(ack);
    this.#lastAckProgressUs = now;
  }

  /** Handles a loss report: queues the ranges still in the buffer and retransmits them. */
  onNak(now: number, losses: readonly LossRange[]): void {
    const c = this.#io.counters;
    for (const [first, last] of losses) {
      let a = first;
      let b = last;
      if (seqCmp(b, this.#lastAck) < 0 || seqCmp(a, this.#nextSeq) >= 0) continue;
      if (seqCmp(a, this.#lastAck) < 0) a = this.#lastAck;
      if (seqCmp(b, this.#nextSeq) >= 0) b = (this.#nextSeq - 1) & 0x7fffffff;
      c.pktSndLossTotal += seqOff(a, b) + 1;
      this.#loss.insert(a, b);
    }
    this.#retransmit(now);
  }

  /** Runs the sender's timers: too-late drop and tail retransmission. */
  handleTimeout(now: number): void {
    this.#dropTooLate(now);
    this.#retransmitTail(now);
  }

  /** The sender's next deadline (us), or Infinity. */
  pollTimeout(): number {
    if (seqCmp(this.#lastAck, this.#nextSeq) >= 0) return Infinity;
    const tail = Math.max(this.#lastDataSendUs, this.#lastAckProgressUs) + this.#rtoUs();
    const drop = this.#time[this.#lastAck & this.#mask] + this.#dropThresholdUs;
    return Math.min(tail, drop);
  }

  /** Forgets every buffered packet (on close). */
  clear(): void {
    this.#buf.fill(undefined);
  }

  #transmit(now: number, d: Uint8Array): void {
    this.#lastDataSendUs = now;
    this.#io.transmitData(now, d);
  }

  #retransmit(now: number): void {
    const c = this.#io.counters;
    for (let s = this.#loss.popFirst(); s !== -1; s = this.#loss.popFirst()) {
      const d = this.#buf[s & this.#mask];
      if (!d || dataSeq(d) !== s) continue;
      const copy = d.slice();
      setRetransmitted(copy, true);
      c.pktRetransTotal++;
      c.byteRetransTotal += copy.length - HEADER_SIZE;
      this.#transmit(now, copy);
    }
  }

  /** How long unacknowledged data may sit before it is resent unasked (libsrt's RTO, one round). */
  #rtoUs(): number {
    return this.#io.rtt.timeoutUs + 2 * SYN_INTERVAL_US;
  }

  /**
   * A lost packet at the end of a burst is never NAKed (no later packet reveals the gap), so
   * once the sender has gone quiet for an RTO with data still unacknowledged, it resends that
   * data unasked.
   */
  #retransmitTail(now: number): void {
    if (seqCmp(this.#lastAck, this.#nextSeq) >= 0) return;
    const rto = this.#rtoUs();
    if (now - this.#lastDataSendUs < rto || now - this.#lastAckProgressUs < rto) return;
    let n = 0;
    for (
      let s = this.#lastAck;
      seqCmp(s, this.#nextSeq) < 0 && n < TAIL_REXMIT_MAX;
      s = seqInc(s)
    ) {
      this.#loss.insert(s, s);
      n++;
    }
    this.#retransmit(now);
  }

  #dropTooLate(now: number): void {
    let n = 0;
    let s = this.#lastAck;
    while (
      seqCmp(s, this.#nextSeq) < 0 && now - this.#time[s & this.#mask] >= this.#dropThresholdUs
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
      const slot = s & this.#mask;
      const d = this.#buf[slot];
      if (d) c.byteSndDropTotal += d.length - HEADER_SIZE;
      this.#buf[slot] = undefined;
      s = seqInc(s);
    }
    c.pktSndDropTotal += n;
    this.#lastAck = s;
    this.#loss.removeBefore(s);
    this.#io.sendControl(now, {
      type: ControlType.DROPREQ,
      msgNo: 0,
      firstSeq: first,
      lastSeq: (s - 1) & 0x7fffffff,
    });
  }
}
