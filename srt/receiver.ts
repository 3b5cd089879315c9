/**
 * The receiving half of a live-mode connection: the receive buffer indexed by sequence
 * number, loss detection and NAK scheduling, full ACK every 10 ms and light ACK every 64
 * packets, RTT from ACKACK, TSBPD delivery (with the timestamp wrap and the drift tracer, see
 * `tsbpd_time.ts`), too-late packet drop (TLPKTDROP) and DROPREQ.
 *
 * NAK scheduling. Each lost packet has its own re-request time and attempt count. The first
 * NAK goes out when the gap is seen (or, with a reorder tolerance, once that many later
 * packets arrived without filling it). While there is time to spare, a packet is asked for
 * again only when its retransmission should have arrived (RTT + variance + margin), so one loss
 * usually costs one retransmission. How many attempts a loss needs so that it is recovered
 * with near certainty (failure below 1e-9) follows from the loss rate seen so far (each
 * attempt fails if either the NAK or the retransmission is lost); once the time left before
 * the packet's deadline (the play time of the packet after the gap, less an RTT) only just
 * holds the remaining attempts at a dense spacing (RTT/8, at least 2 ms), the packet is asked
 * for at that spacing. Near the deadline a duplicate retransmission is cheaper than a lost
 * packet, and only the few losses whose earlier rounds failed get there.
 *
 * @module
 */

import { readU32 } from "./_bytes.ts";
import { type ConnectionIo, pow2, SYN_INTERVAL_US } from "./_io.ts";
import { ControlType } from "./control_packet.ts";
import { dataSeq, HEADER_SIZE } from "./data_packet.ts";
import { ArqLevel } from "./fec_config.ts";
import type { FecFilter } from "./fec_filter.ts";
import { LossList } from "./loss_list.ts";
import type { LossRange } from "./nak.ts";
import { seqCmp, seqInc, seqOff } from "./seq.ts";
import { TsbpdTime } from "./tsbpd_time.ts";

const LIGHT_ACK_PACKETS = 64;
const ACK_HISTORY = 1024;
const MAX_NAK_RANGES = 128;
/** Re-request interval until an RTT has been measured (libsrt's LiveCC minimum is 20 ms). */
const UNMEASURED_NAK_INTERVAL_US = 10_000;
/** Shortest re-request interval near a deadline. */
const DENSE_NAK_MIN_US = 2_000;
/** Slack added to RTT + RTTVar before a retransmission is taken as lost. */
const NAK_MARGIN_US = 1_000;
/** Failure probability per lost packet the NAK schedule aims below. */
const TARGET_FAILURE_LOG = Math.log(1e-9);
/** The loss rate assumed at least, whatever is measured. */
const MIN_LOSS_RATE = 0.03;
/** Loss-rate estimate window: counts are halved past this many expected packets. */
const LOSS_WINDOW = 4096;
/**
 * The RTT variance reported in full ACKs is at least RTT / this. A libsrt sender takes SRTT and
 * RTTVar from the ACKs and resends a packet at most once per SRTT - 4 RTTVar however often it is
 * asked: with the floor that is at most half an RTT, so the dense NAKs near a deadline get an
 * answer about twice per RTT instead of once.
 */
const REPORTED_RTTVAR_FLOOR = 8;

/** The decryption hook of the connection, when it has one (see `_io.ts`). */
type CryptoHook = { decrypt?(datagram: Uint8Array, seq: number): boolean };

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
  /** Reorder tolerance in packets (SRTO_LOSSMAXTTL); 0 NAKs a gap at once. */
  readonly lossMaxTtl?: number;
  /** Trace clock drift (SRTO_DRIFTTRACER). Default true. */
  readonly driftTracer?: boolean;
  /** The packet filter (FEC), when the handshake agreed one; its `arq` decides the NAKs. */
  readonly fec?: FecFilter;
}

/** Instantaneous receiver figures for statistics. */
export interface ReceiverGauges {
  /** Packets in the buffer. */
  readonly pktRcvBuf: number;
  /** Payload bytes in the buffer. */
  readonly byteRcvBuf: number;
  /** Stream time spanned by the buffer (ms). */
  readonly msRcvBuf: number;
  /** Free buffer space in bytes (at the nominal payload size). */
  readonly byteAvailRcvBuf: number;
  /** Packets known lost and not yet recovered. */
  readonly pktRcvLossPending: number;
  /** Current reorder tolerance (packets). */
  readonly pktReorderTolerance: number;
  /** Average lateness of belated packets (ms). */
  readonly pktRcvAvgBelatedTime: number;
  /** Estimated link capacity (packets/s). */
  readonly linkCapacity: number;
  /** Current drift (us). */
  readonly usDrift: number;
  /** Interarrival jitter (us). */
  readonly usJitter: number;
}

/** The receiving half of a connection. */
export class LiveReceiver {
  #io: ConnectionIo;
  #init: ReceiverInit;
  #tsbpd: TsbpdTime;
  #ttl: number;
  #base: number; // next sequence number to deliver
  #contig: number; // first sequence number not yet received in order: the ACK point
  #max: number; // highest sequence number received
  #buf: (Uint8Array | undefined)[];
  #playAt: Float64Array;
  #undecryptable: Uint8Array; // per slot: received but cannot be decrypted, never delivered
  #nakDue: Float64Array; // per lost slot: when to ask (again)
  #deadline: Float64Array; // per lost slot: play time of the packet after the gap
  #freshAt: Float64Array; // per lost slot: arrival count that ends the reorder wait, or -1
  #attempts: Uint8Array; // per lost slot: NAKs sent so far
  #expected = 0; // loss-rate estimate: packets expected and lost, recently
  #lost = 0;
  #freshPending = false;
  #arrivals = 0;
  #mask: number;
  #count = 0;
  #bytes = 0;
  #loss = new LossList();
  #nextNakUs = Infinity;
  #rx: Uint8Array[] = [];
  #rxHead = 0;
  #rxLen = 0;
  #rxSeq: number[] = []; // sequence number of each queued payload
  #polledSeq = -1;
  #gotData = false;
  #ackNumber = 0;
  #ackSentSeq = new Int32Array(ACK_HISTORY);
  #ackSentTime = new Float64Array(ACK_HISTORY);
  #lastAckSeq: number;
  #lastAckTimeUs = -Infinity;
  #lastAckAckedSeq: number;
  #pktsSinceAck = 0;
  #nextAckUs: number;
  #rateWindowStartUs: number;
  #rateWindowPkts = 0;
  #rateWindowBytes = 0;
  #pktRate = 0;
  #byteRate = 0;
  #probeArrivalUs = -1;
  #probeIntervals = new Float64Array(16);
  #probeSorted = new Float64Array(16);
  #probeCount = 0;
  #probeNext = 0;
  #linkCapacity = 0;
  #jitterUs = 0;
  #lastTransitUs = NaN;
  #belatedTimeSumUs = 0;
  #belatedCount = 0;

  /** Creates the receiver. */
  constructor(now: number, init: ReceiverInit, io: ConnectionIo) {
    this.#io = io;
    this.#init = init;
    this.#ttl = init.lossMaxTtl ?? 0;
    this.#tsbpd = new TsbpdTime(init.tsbpdBaseUs, init.latencyUs, init.driftTracer ?? true);
    const cap = pow2(init.bufferPackets);
    this.#buf = new Array(cap);
    this.#playAt = new Float64Array(cap);
    this.#undecryptable = new Uint8Array(cap);
    this.#nakDue = new Float64Array(cap);
    this.#deadline = new Float64Array(cap);
    this.#freshAt = new Float64Array(cap).fill(-1);
    this.#attempts = new Uint8Array(cap);
    this.#mask = cap - 1;
    this.#base = init.peerInitialSeq;
    this.#contig = init.peerInitialSeq;
    this.#max = (init.peerInitialSeq - 1) & 0x7fffffff;
    this.#lastAckSeq = init.peerInitialSeq;
    this.#lastAckAckedSeq = init.peerInitialSeq;
    this.#nextAckUs = now + SYN_INTERVAL_US;
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

  /** The TSBPD clock (time base, drift). */
  get tsbpd(): TsbpdTime {
    return this.#tsbpd;
  }

  /** Stream time (us) spanned by the buffered packets. */
  get bufferedSpanUs(): number {
    if (this.#count === 0) return 0;
    const a = this.#base & this.#mask;
    const b = this.#max & this.#mask;
    return this.#buf[a] && this.#buf[b] ? Math.max(0, this.#playAt[b] - this.#playAt[a]) : 0;
  }

  /** Instantaneous figures for statistics. */
  gauges(): ReceiverGauges {
    return {
      pktRcvBuf: this.#count,
      byteRcvBuf: this.#bytes,
      msRcvBuf: this.bufferedSpanUs / 1000,
      byteAvailRcvBuf: this.#available() * this.#init.payloadSize,
      pktRcvLossPending: this.#loss.size,
      pktReorderTolerance: this.#ttl,
      pktRcvAvgBelatedTime: this.#belatedCount
        ? this.#belatedTimeSumUs / this.#belatedCount / 1000
        : 0,
      linkCapacity: this.#linkCapacity,
      usDrift: this.#tsbpd.driftUs,
      usJitter: Math.round(this.#jitterUs),
    };
  }

  /** Next payload ready for the application, or undefined. */
  pollPayload(): Uint8Array | undefined {
    if (this.#rxHead >= this.#rxLen) {
      this.#rxHead = 0;
      this.#rxLen = 0;
      return undefined;
    }
    const p = this.#rx[this.#rxHead];
    this.#polledSeq = this.#rxSeq[this.#rxHead];
    this.#rx[this.#rxHead++] = EMPTY;
    return p;
  }

  /** Sequence number of the payload {@linkcode LiveReceiver.pollPayload} returned last (-1 before any). */
  get polledSeq(): number {
    return this.#polledSeq;
  }

  /** The first sequence number not yet received in order (what the next ACK acknowledges). */
  get ackPoint(): number {
    return this.#contig;
  }

  /** Whether any data packet has arrived yet. */
  get receivedData(): boolean {
    return this.#gotData;
  }

  /**
   * Moves the reception point forward to `seq` when nothing is buffered or missing, as if every
   * packet before it had been received and delivered (libsrt's `setInitialRcvSeq` for the idle
   * links of a socket group, which follow the sequence of the link that carries the stream).
   * Nothing is acknowledged until data arrives. Returns whether it moved.
   *
   * @param seq the next sequence number expected
   * @param backward allow moving back too (before any data arrived, a group member's first
   *   packet says where the group's sequence is, whatever its handshake said)
   * @returns true when the point moved; false when packets are buffered or missing, or `seq`
   *   is not ahead
   */
  skipTo(seq: number, backward = false): boolean {
    if (this.#count > 0 || this.#loss.size > 0 || seq === this.#base) return false;
    if (!backward && seqCmp(seq, this.#base) < 0) return false;
    this.#base = seq;
    this.#contig = seq;
    this.#max = (seq - 1) & 0x7fffffff;
    this.#lastAckSeq = seq;
    this.#lastAckAckedSeq = seq;
    return true;
  }

  /**
   * Handles one data packet (already checked to be at least a header long). With a packet
   * filter every packet goes through it first: FEC packets share sequence numbers with data
   * and stop there; packets it rebuilds enter the buffer as if received.
   */
  onData(now: number, d: Uint8Array): void {
    const fec = this.#init.fec;
    if (fec === undefined) {
      this.#onData(now, d, true);
      return;
    }
    const r = fec.receive(d);
    const always = fec.arq === ArqLevel.ALWAYS;
    for (const p of r.rebuilt) this.#onData(now, p, always);
    // arq:onreq asks only for what the filter cannot rebuild (the gaps are on the loss list).
    if (r.losses.length > 0 && fec.arq === ArqLevel.ONREQ) this.#sendNak(now, r.losses);
    if (r.pass) this.#onData(now, d, always);
  }

  #onData(now: number, d: Uint8Array, naks: boolean): void {
    const c = this.#io.counters;
    const seq = dataSeq(d);
    this.#gotData = true;
    const payloadLen = d.length - HEADER_SIZE;
    const retransmitted = (d[4] & 0x04) !== 0;
    c.pktRecvTotal++;
    c.byteRecvTotal += payloadLen;
    if (retransmitted) c.pktRcvRetransTotal++;
    const off = seqOff(this.#base, seq);
    if (off < 0) {
      // Behind the delivery point: already delivered, skipped or dropped (libsrt "belated").
      c.pktRcvBelatedTotal++;
      const late = now - this.#tsbpd.playTime(readU32(d, 8));
      if (late > 0) {
        this.#belatedTimeSumUs += late;
        this.#belatedCount++;
      }
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
    // A packet that cannot be decrypted still fills its place (it is not NAKed again and
    // the ACK moves on) but is never delivered.
    const clear = (this.#io as CryptoHook).decrypt?.(d, seq) ?? true;
    if (!clear) {
      c.pktRcvUndecryptTotal++;
      c.byteRcvUndecryptTotal += payloadLen;
    }
    this.#undecryptable[slot] = clear ? 0 : 1;
    const ts = readU32(d, 8);
    this.#tsbpd.track(ts);
    const playAt = this.#tsbpd.playTime(ts);
    if (!retransmitted) {
      // RFC 3550 interarrival jitter: J += (|D| - J) / 16 over the transit-time differences.
      const transit = now - this.#tsbpd.baseTime(ts);
      if (this.#lastTransitUs === this.#lastTransitUs) {
        this.#jitterUs += (Math.abs(transit - this.#lastTransitUs) - this.#jitterUs) / 16;
      }
      this.#lastTransitUs = transit;
    }
    this.#buf[slot] = d;
    this.#count++;
    this.#bytes += payloadLen;
    this.#arrivals++;
    c.pktRecvUniqueTotal++;
    c.byteRecvUniqueTotal += payloadLen;
    // A packet processed after its play time (a late retransmission, or an event loop that
    // stalled) is still delivered, at once, as libsrt does: its hole has not been skipped yet,
    // and a decoder copes better with late data than with a gap.
    this.#playAt[slot] = playAt;

    let nakNow = false;
    const ahead = seqOff(this.#max, seq);
    if (ahead > 0) {
      this.#expected += ahead;
      this.#lost += ahead - 1;
      if (this.#expected > LOSS_WINDOW) {
        this.#expected /= 2;
        this.#lost /= 2;
      }
      if (ahead > 1) {
        const first = seqInc(this.#max);
        const last = (seq - 1) & 0x7fffffff;
        this.#loss.insert(first, last);
        c.pktRcvLossTotal += ahead - 1;
        c.byteRcvLossTotal += (ahead - 1) * payloadLen;
        const fresh = this.#ttl > 0;
        const due = fresh ? now + this.#retryUs(now, playAt, 0) : now;
        for (let s = first;; s = seqInc(s)) {
          const i = s & this.#mask;
          this.#deadline[i] = playAt;
          this.#nakDue[i] = due;
          this.#freshAt[i] = fresh ? this.#arrivals + this.#ttl - 1 : -1;
          this.#attempts[i] = 0;
          if (s === last) break;
        }
        if (fresh) {
          this.#freshPending = true;
          if (due < this.#nextNakUs) this.#nextNakUs = due;
        } else nakNow = true;
      }
      this.#max = seq;
    } else if (this.#loss.remove(seq)) {
      if (!retransmitted) {
        // Filled by a packet that was merely late: reordering.
        const distance = -ahead;
        if (distance > c.pktReorderDistance) c.pktReorderDistance = distance;
      }
      this.#freshAt[slot] = -1;
    }
    if (this.#freshPending) nakNow = this.#activateFresh(now) || nakNow;
    if (nakNow && naks) this.#nakPass(now);
    this.#advanceContig();
    this.#measureArrival(now, seq, payloadLen);
    if (++this.#pktsSinceAck >= LIGHT_ACK_PACKETS) this.#sendLightAck(now);
    this.deliver(now);
  }

  /**
   * Handles an ACKACK: an RTT sample, a drift sample, and the peer has seen that ACK.
   *
   * @param now Local time (us).
   * @param ackNumber The ACK number it confirms.
   * @param timestamp The ACKACK's header timestamp (the peer's clock).
   */
  onAckAck(now: number, ackNumber: number, timestamp: number): void {
    const h = ackNumber % ACK_HISTORY;
    const sentAt = this.#ackSentTime[h];
    if (
      sentAt === 0 || ackNumber > this.#ackNumber || this.#ackNumber - ackNumber >= ACK_HISTORY
    ) return;
    const sample = now - sentAt;
    if (sample < 0) return;
    this.#lastAckAckedSeq = this.#ackSentSeq[h];
    this.#io.rtt.sample(sample);
    this.#tsbpd.addDriftSample(now, timestamp, sample);
  }

  /** The sender gave these up: stop asking for them. Holes left are skipped at play time. */
  onDropRequest(first: number, last: number): void {
    for (let s = first; seqCmp(s, last) <= 0; s = seqInc(s)) {
      if (seqCmp(s, this.#base) < 0) continue;
      if (seqOff(this.#base, s) > this.#mask) break;
      this.#loss.remove(s);
    }
  }

  /** Runs the receiver's timers: delivery, full ACK, NAK re-requests. */
  handleTimeout(now: number): void {
    this.deliver(now);
    if (now >= this.#nextAckUs) {
      this.#sendFullAck(now);
      this.#nextAckUs = now + SYN_INTERVAL_US;
    }
    if (now >= this.#nextNakUs && this.#naks()) {
      if (this.#freshPending) this.#activateFresh(now);
      this.#nakPass(now);
    }
  }

  /** The receiver's next deadline (us). */
  pollTimeout(): number {
    // The ACK timer only matters while there is something the peer has not confirmed.
    let t = this.#contig !== this.#lastAckAckedSeq ? this.#nextAckUs : Infinity;
    if (this.#loss.size > 0 && this.#nextNakUs < t && this.#naks()) t = this.#nextNakUs;
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
        this.#bytes -= d.length - HEADER_SIZE;
        // A view built directly: subarray() goes through the species lookup and costs more.
        if (!this.#undecryptable[slot]) {
          this.#rxSeq[this.#rxLen] = this.#base;
          this.#push(new Uint8Array(d.buffer, d.byteOffset + HEADER_SIZE, d.length - HEADER_SIZE));
        }
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
    this.#bytes = 0;
    this.#loss.clear();
  }

  #push(p: Uint8Array): void {
    this.#rx[this.#rxLen++] = p;
  }

  /** Free places in the buffer after the highest packet received. */
  #available(): number {
    return Math.max(0, this.#mask - seqOff(this.#base, this.#max));
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

  /** Ends the reorder wait of losses that enough later packets have passed; true if any did. */
  #activateFresh(now: number): boolean {
    let any = false;
    let pending = false;
    const l = this.#loss;
    for (let r = 0; r < l.rangeCount; r++) {
      const last = l.lastOf(r);
      for (let s = l.firstOf(r);; s = seqInc(s)) {
        const i = s & this.#mask;
        const f = this.#freshAt[i];
        if (f >= 0) {
          if (this.#arrivals >= f || now >= this.#nakDue[i]) {
            this.#freshAt[i] = -1;
            this.#nakDue[i] = now;
            any = true;
          } else pending = true;
        }
        if (s === last) break;
      }
    }
    this.#freshPending = pending;
    return any;
  }

  /** Sends one NAK with every loss that is due, and schedules each one's next request. */
  #nakPass(now: number): void {
    const l = this.#loss;
    const ranges: LossRange[] = [];
    let next = Infinity;
    let runFirst = -1;
    let runLast = -1;
    for (let r = 0; r < l.rangeCount; r++) {
      const last = l.lastOf(r);
      for (let s = l.firstOf(r);; s = seqInc(s)) {
        const i = s & this.#mask;
        let due = this.#nakDue[i];
        if (due <= now && this.#freshAt[i] < 0 && ranges.length < MAX_NAK_RANGES) {
          if (runFirst !== -1 && s === seqInc(runLast)) runLast = s;
          else {
            if (runFirst !== -1) ranges.push([runFirst, runLast]);
            runFirst = s;
            runLast = s;
          }
          if (this.#attempts[i] < 255) this.#attempts[i]++;
          due = this.#init.nakReport
            ? now + this.#retryUs(now, this.#deadline[i], this.#attempts[i])
            : Infinity;
          this.#nakDue[i] = due;
        }
        if (due < next) next = due;
        if (s === last) break;
      }
    }
    if (runFirst !== -1) ranges.push([runFirst, runLast]);
    this.#nextNakUs = next;
    if (ranges.length) this.#sendNak(now, ranges);
  }

  /**
   * How long to wait before asking again for a loss due at `deadline` that was asked for
   * `attempts` times.
   */
  #retryUs(now: number, deadline: number, attempts: number): number {
    const rtt = this.#io.rtt;
    // Until an RTT has been measured, libsrt's guess (100 ms +- 50) would hold re-requests
    // back for far too long on a short path; ask at a fixed 10 ms instead.
    if (!rtt.measured) return UNMEASURED_NAK_INTERVAL_US;
    const last = deadline - rtt.rttUs; // a NAK after this cannot bring the packet in time
    const dense = Math.max(DENSE_NAK_MIN_US, rtt.rttUs / 8);
    if (now + dense > last + rtt.rttUs / 2) return Infinity; // hopeless: TLPKTDROP will skip it
    const round = rtt.rttUs + Math.max(rtt.rttVarUs, NAK_MARGIN_US) + NAK_MARGIN_US;
    const p = Math.max(MIN_LOSS_RATE, this.#expected > 0 ? this.#lost / this.#expected : 0);
    const attemptFails = 1 - (1 - p) * (1 - p); // the NAK or the retransmission is lost
    const needed = Math.min(64, Math.ceil(TARGET_FAILURE_LOG / Math.log(attemptFails)));
    const remaining = Math.max(1, needed - attempts);
    if (now + round + remaining * dense <= last) return round;
    return dense;
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
        this.#probeIntervals[this.#probeNext] = gap;
        this.#probeNext = (this.#probeNext + 1) & 15;
        if (this.#probeCount < 16) this.#probeCount++;
        const n = this.#probeCount;
        const sorted = this.#probeSorted;
        for (let i = 0; i < n; i++) sorted[i] = this.#probeIntervals[i];
        sorted.subarray(0, n).sort();
        this.#linkCapacity = Math.round(1e6 / sorted[n >> 1]);
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
        rttVar: Math.max(rtt.rttVarUs, Math.round(rtt.rttUs / REPORTED_RTTVAR_FLOOR)),
        availableBuffer: Math.max(2, this.#available()),
        packetRate: this.#pktRate,
        linkCapacity: this.#linkCapacity,
        byteRate: this.#byteRate,
      },
    });
  }

  /** Whether losses are NAKed as found and again periodically (no filter, or `arq:always`). */
  #naks(): boolean {
    const fec = this.#init.fec;
    return fec === undefined || fec.arq === ArqLevel.ALWAYS;
  }

  #sendNak(now: number, ranges: readonly LossRange[]): void {
    this.#io.counters.pktSentNAKTotal++;
    this.#io.sendControl(now, { type: ControlType.NAK, losses: ranges });
  }
}

const EMPTY = new Uint8Array(0);
