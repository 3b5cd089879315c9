/**
 * The sans-IO SRT connection: a synchronous state machine for one live-mode connection.
 *
 * It never touches sockets, timers, clocks or randomness. The adapter feeds it received
 * datagrams with {@linkcode SrtConnection.handleDatagram}, application payloads with
 * {@linkcode SrtConnection.send} and wake-ups with {@linkcode SrtConnection.handleTimeout},
 * always passing the current time in integer microseconds; it then drains
 * {@linkcode SrtConnection.pollTransmit}, {@linkcode SrtConnection.pollPayload} and
 * {@linkcode SrtConnection.pollEvent}, and sleeps until {@linkcode SrtConnection.pollTimeout}.
 *
 * What it does (libsrt live mode): the caller side of the HSv5 handshake (the listener side is
 * in `listener.ts`), data packets with sequence, message number and timestamp, full ACK every
 * 10 ms and light ACK every 64 packets, ACKACK and RTT, immediate and periodic NAK,
 * retransmission, TSBPD delivery with too-late packet drop, sender-side drop of packets
 * older than the latency allows, keepalive, peer idle timeout and SHUTDOWN.
 *
 * @module
 */

import { readU32 } from "./_bytes.ts";
import {
  type AckPacket,
  type ControlPacket,
  ControlType,
  decodeControlPacket,
  encodeControlPacket,
  type NakPacket,
} from "./control_packet.ts";
import {
  dataSeq,
  HEADER_SIZE,
  isControlPacket,
  makeMsgWord,
  PacketPosition,
  setRetransmitted,
  writeDataHeader,
} from "./data_packet.ts";
import { SrtError, SrtPacketError } from "./errors.ts";
import {
  type Handshake,
  HsType,
  isRejection,
  REJECTION_BASE,
  SRT_MAGIC,
  UDT_DGRAM,
} from "./handshake.ts";
import { ExtFlags, ExtType, type HandshakeExt, type HsReqExt, SrtFlags } from "./handshake_ext.ts";
import { LossList } from "./loss_list.ts";
import type { LossRange } from "./nak.ts";
import type { ResolvedOptions } from "./options.ts";
import { RejectReason, rejectReasonName } from "./reject_reason.ts";
import { msgInc, seqCmp, seqInc, seqOff } from "./seq.ts";
import { newCounters, type SrtCounters, type SrtStats } from "./stats.ts";
import { TimestampUnwrapper, toTimestamp } from "./timestamp.ts";

/** An IP address and UDP port. */
export interface PeerAddress {
  /** IPv4 or IPv6 address in text form. */
  readonly hostname: string;
  /** UDP port. */
  readonly port: number;
}

/** Something that happened to a connection. */
export type ConnectionEvent =
  | { readonly kind: "connected" }
  | { readonly kind: "closed"; readonly error: SrtError | undefined };

/** Connection states. */
/**
 * Connection states. `closing` is a local close waiting (up to the linger time) for the peer
 * to acknowledge and play out what was sent before SHUTDOWN goes out.
 */
export type ConnectionState = "connecting" | "connected" | "closing" | "closed";

/** The SRT version tsrt announces in HSREQ/HSRSP (1.5.1, the libsrt it is tested against). */
export const SRT_VERSION = 0x010501;

const SYN_INTERVAL_US = 10_000;
const LIGHT_ACK_PACKETS = 64;
const KEEPALIVE_US = 1_000_000;
const HANDSHAKE_RESEND_US = 250_000;
/**
 * Shortest periodic NAK interval. libsrt's LiveCC uses 20 ms; below 40 ms of RTT that leaves a
 * 4 x RTT latency window room for only about three retransmission attempts, so tsrt asks
 * again every 10 ms and accepts some duplicate retransmissions in exchange.
 */
const MIN_NAK_INTERVAL_US = 10_000;
const INITIAL_RTT_US = 100_000;
const INITIAL_RTTVAR_US = 50_000;
const ACK_HISTORY = 1024;
const MAX_NAK_RANGES = 128;
const SHUTDOWN_REPEAT = 3;
const TAIL_REXMIT_MAX = 64;
/** Extra wait after the peer's play-out time before SHUTDOWN: its TSBPD clock and read loop lag ours. */
const LINGER_MARGIN_US = 50_000;

/** Fixed parameters of a connection, decided by the handshake or by the caller. */
export interface ConnectionInit {
  /** This side's socket ID. */
  readonly socketId: number;
  /** Where the peer is. */
  readonly peer: PeerAddress;
  /** Resolved options. */
  readonly options: ResolvedOptions;
  /** Start of the connection's clock (us); packet timestamps count from here. */
  readonly startUs: number;
  /** First sequence number this side sends. */
  readonly initialSeq: number;
}

/** Parameters of an accepted connection, from the listener's side of the handshake. */
export interface AcceptedInit extends ConnectionInit {
  /** The caller's socket ID. */
  readonly peerSocketId: number;
  /** First sequence number the peer sends. */
  readonly peerInitialSeq: number;
  /** Negotiated latency for receiving, in ms. */
  readonly rcvLatency: number;
  /** Negotiated latency the peer applies to what we send, in ms. */
  readonly sndLatency: number;
  /** Negotiated MSS. */
  readonly mss: number;
  /** The peer's flow window. */
  readonly peerFlowWindow: number;
  /** Local time (us) matching the peer's timestamp 0: arrival time minus the CONCLUSION's timestamp. */
  readonly tsbpdBaseUs: number;
  /** Stream ID the caller sent. */
  readonly streamId: string | undefined;
}

/**
 * Builds the HSREQ/HSRSP flags word for live mode (0xBF with everything on, as libsrt sends).
 */
export function liveSrtFlags(options: ResolvedOptions): number {
  return SrtFlags.TSBPDSND | SrtFlags.TSBPDRCV | SrtFlags.CRYPT | SrtFlags.REXMITFLG |
    SrtFlags.FILTERCAP | (options.tooLatePacketDrop ? SrtFlags.TLPKTDROP : 0) |
    (options.nakReport ? SrtFlags.NAKREPORT : 0);
}

/** One SRT connection in live mode, as a sans-IO state machine. */
export class SrtConnection {
  /** This side's socket ID. */
  readonly socketId: number;
  /** The peer's address. */
  readonly peer: PeerAddress;
  /** Which side of the handshake this connection was. */
  readonly role: "caller" | "listener";

  #opts: ResolvedOptions;
  #state: ConnectionState;
  #startUs: number;
  #peerSocketId = 0;
  #streamId: string | undefined;

  // Caller handshake.
  #hsCurrent: Handshake | undefined;
  #hsNextUs = 0;
  #hsDeadlineUs = 0;
  #hsPhase: "induction" | "conclusion" = "induction";
  #hsCookie = 0;
  #hsSentUs = 0;

  // Negotiated.
  #rcvLatencyUs = 0;
  #sndLatencyUs = 0;
  #mss: number;
  #peerFlowWindow = 0;
  #tsbpdBaseUs = 0;

  // Sender.
  #sndNextSeq: number;
  #sndMsgNo = 1;
  #sndLastAck: number;
  #sndBuf: (Uint8Array | undefined)[];
  #sndTime: Float64Array;
  #sndMask: number;
  #sndLoss = new LossList();
  #sndDropThresholdUs = 0;
  #lastDataSendUs = -Infinity;
  #lastAckProgressUs = 0;
  #closeDeadlineUs = 0;

  // Receiver.
  #rcvBase = 0; // next sequence number to deliver
  #rcvContig = 0; // first sequence number not yet received in order (the ACK point)
  #rcvMax = 0; // highest sequence number received
  #rcvBuf: (Uint8Array | undefined)[];
  #rcvPlayAt: Float64Array;
  #rcvLate: Uint8Array;
  #rcvMask: number;
  #rcvCount = 0;
  #rcvLoss = new LossList();
  #unwrapper = new TimestampUnwrapper();
  #ackNumber = 0;
  #ackSentSeq = new Int32Array(ACK_HISTORY);
  #ackSentTime = new Float64Array(ACK_HISTORY);
  #lastAckSeq = 0;
  #lastAckTimeUs = -Infinity;
  #lastAckAckedSeq = 0;
  #pktsSinceAck = 0;
  #nextAckUs = 0;
  #nextNakUs = 0;
  #rateWindowStartUs = 0;
  #rateWindowPkts = 0;
  #rateWindowBytes = 0;
  #pktRate = 0;
  #byteRate = 0;
  #probeArrivalUs = -1;
  #probeIntervals: number[] = [];
  #linkCapacity = 0;

  // Both.
  #rttUs = INITIAL_RTT_US;
  #rttVarUs = INITIAL_RTTVAR_US;
  #rttMeasured = false;
  #lastSendUs: number;
  #lastRecvUs: number;
  #counters: SrtCounters = newCounters();

  // Outputs.
  #tx: Uint8Array[] = [];
  #txHead = 0;
  #rx: Uint8Array[] = [];
  #rxHead = 0;
  #events: ConnectionEvent[] = [];

  private constructor(init: ConnectionInit, role: "caller" | "listener") {
    this.socketId = init.socketId;
    this.peer = init.peer;
    this.role = role;
    this.#opts = init.options;
    this.#startUs = init.startUs;
    this.#mss = init.options.mss;
    this.#streamId = init.options.streamId;
    this.#state = "connecting";
    this.#sndNextSeq = init.initialSeq;
    this.#sndLastAck = init.initialSeq;
    const sndCap = pow2(init.options.sendBufferPackets);
    this.#sndBuf = new Array(sndCap);
    this.#sndTime = new Float64Array(sndCap);
    this.#sndMask = sndCap - 1;
    const rcvCap = pow2(init.options.receiveBufferPackets);
    this.#rcvBuf = new Array(rcvCap);
    this.#rcvPlayAt = new Float64Array(rcvCap);
    this.#rcvLate = new Uint8Array(rcvCap);
    this.#rcvMask = rcvCap - 1;
    this.#lastSendUs = init.startUs;
    this.#lastRecvUs = init.startUs;
  }

  /**
   * Starts a caller: queues the INDUCTION handshake at once.
   *
   * @param now Current time in microseconds.
   * @param init Socket ID, peer, options and initial sequence number (random, from the adapter).
   * @returns The connection, in state `connecting`.
   */
  static connect(now: number, init: Omit<ConnectionInit, "startUs">): SrtConnection {
    const c = new SrtConnection({ ...init, startUs: now }, "caller");
    c.#hsDeadlineUs = now + init.options.connectTimeout * 1000;
    c.#sendHandshake(now, c.#inductionRequest());
    return c;
  }

  /**
   * Creates the listener side of a connection whose handshake the listener has accepted.
   * Used by `SrtListener`; applications get connections from the listener.
   */
  static accepted(now: number, init: AcceptedInit): SrtConnection {
    const c = new SrtConnection(init, "listener");
    c.#streamId = init.streamId;
    c.#peerSocketId = init.peerSocketId;
    c.#mss = init.mss;
    c.#peerFlowWindow = init.peerFlowWindow;
    c.#tsbpdBaseUs = init.tsbpdBaseUs;
    c.#becomeConnected(now, init.peerInitialSeq, init.rcvLatency, init.sndLatency);
    c.#lastRecvUs = now;
    return c;
  }

  /** Current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The peer's socket ID (0 until the handshake has told it). */
  get peerSocketId(): number {
    return this.#peerSocketId;
  }

  /** The stream ID: the one this caller sent, or the one the listener received. */
  get streamId(): string | undefined {
    return this.#streamId;
  }

  /** Negotiated receive latency in milliseconds. */
  get rcvLatency(): number {
    return this.#rcvLatencyUs / 1000;
  }

  /** Negotiated latency the peer applies to our packets, in milliseconds. */
  get sndLatency(): number {
    return this.#sndLatencyUs / 1000;
  }

  /** Largest payload {@linkcode SrtConnection.send} accepts. */
  get payloadSize(): number {
    return Math.min(this.#opts.payloadSize, this.#mss - 44);
  }

  /** Next datagram to send to {@linkcode SrtConnection.peer}, or undefined. */
  pollTransmit(): Uint8Array | undefined {
    if (this.#txHead >= this.#tx.length) {
      if (this.#tx.length) {
        this.#tx.length = 0;
        this.#txHead = 0;
      }
      return undefined;
    }
    const d = this.#tx[this.#txHead];
    this.#tx[this.#txHead++] = undefined as unknown as Uint8Array;
    return d;
  }

  /** Next payload to deliver to the application, in order, or undefined. */
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

  /** Next event, or undefined. */
  pollEvent(): ConnectionEvent | undefined {
    return this.#events.shift();
  }

  /** The earliest time (us) at which {@linkcode SrtConnection.handleTimeout} has work, or undefined once closed. */
  pollTimeout(): number | undefined {
    if (this.#state === "closed") return undefined;
    let t0 = Infinity;
    if (this.#state === "connecting") return Math.min(this.#hsNextUs, this.#hsDeadlineUs);
    if (this.#state === "closing") t0 = this.#lingerDoneUs();
    let t = Math.min(
      t0,
      this.#nextAckUs,
      this.#lastSendUs + KEEPALIVE_US,
      this.#lastRecvUs + this.#opts.peerIdleTimeout * 1000,
    );
    if (this.#rcvLoss.size > 0 && this.#opts.nakReport) t = Math.min(t, this.#nextNakUs);
    const play = this.#nextPlayTime();
    if (play < t) t = play;
    if (seqCmp(this.#sndLastAck, this.#sndNextSeq) < 0) {
      const rto = this.#rtoUs();
      const tail = Math.max(this.#lastDataSendUs, this.#lastAckProgressUs) + rto;
      if (tail < t) t = tail;
      const oldest = this.#sndTime[this.#sndLastAck & this.#sndMask] + this.#sndDropThresholdUs;
      if (oldest < t) t = oldest;
    }
    return t;
  }

  /**
   * Queues one live-mode message (at most {@linkcode SrtConnection.payloadSize} bytes).
   *
   * @throws {SrtError} with code `CLOSED` when the connection is not open.
   * @throws {RangeError} when the payload is empty or too large.
   */
  send(now: number, payload: Uint8Array): void {
    if (this.#state !== "connected") {
      throw new SrtError("CLOSED", `cannot send: connection is ${this.#state}`);
    }
    if (payload.length === 0 || payload.length > this.payloadSize) {
      throw new RangeError(`payload must be 1..${this.payloadSize} bytes: got ${payload.length}`);
    }
    const seq = this.#sndNextSeq;
    if (seqOff(this.#sndLastAck, seq) > this.#sndMask) this.#dropOldestSent(now, 1);
    const d = new Uint8Array(HEADER_SIZE + payload.length);
    writeDataHeader(
      d,
      seq,
      makeMsgWord(PacketPosition.SOLO, false, 0, false, this.#sndMsgNo),
      toTimestamp(now - this.#startUs),
      this.#peerSocketId,
    );
    d.set(payload, HEADER_SIZE);
    const slot = seq & this.#sndMask;
    this.#sndBuf[slot] = d;
    this.#sndTime[slot] = now;
    this.#sndNextSeq = seqInc(seq);
    this.#sndMsgNo = msgInc(this.#sndMsgNo);
    this.#counters.pktSentUniqueTotal++;
    this.#transmitData(now, d);
  }

  /**
   * Closes the connection. With a linger time (the `linger` option), a connected sender first
   * waits until the peer has acknowledged everything and had its latency to play it out, so
   * the tail of a stream is not lost; then SHUTDOWN goes out and the state becomes `closed`.
   * Idempotent; a second call while lingering closes at once.
   */
  close(now: number): void {
    if (this.#state === "closed") return;
    if (this.#state === "connected" && this.#opts.linger > 0) {
      this.#state = "closing";
      this.#closeDeadlineUs = now + this.#opts.linger * 1000;
      this.#checkLinger(now);
      return;
    }
    if (this.#state === "connected" || this.#state === "closing") this.#sendShutdown(now);
    this.#finish(undefined);
  }

  #sendShutdown(now: number): void {
    for (let i = 0; i < SHUTDOWN_REPEAT; i++) {
      this.#sendControl(now, { type: ControlType.SHUTDOWN });
    }
  }

  /** The time at which a lingering close may send SHUTDOWN. */
  #lingerDoneUs(): number {
    if (seqCmp(this.#sndLastAck, this.#sndNextSeq) < 0) return this.#closeDeadlineUs;
    return Math.min(
      this.#closeDeadlineUs,
      this.#lastDataSendUs + this.#sndLatencyUs + this.#rttUs + 4 * this.#rttVarUs +
        LINGER_MARGIN_US,
    );
  }

  /** Sends SHUTDOWN once a lingering close may finish; returns whether it did. */
  #checkLinger(now: number): boolean {
    if (this.#state !== "closing" || now < this.#lingerDoneUs()) return false;
    this.#sendShutdown(now);
    this.#finish(undefined);
    return true;
  }

  /**
   * Feeds one datagram received from the peer. Malformed input is counted and dropped;
   * this never throws.
   */
  handleDatagram(now: number, datagram: Uint8Array): void {
    if (this.#state === "closed") return;
    if (datagram.length < HEADER_SIZE) {
      this.#counters.pktRcvInvalid++;
      return;
    }
    if (!isControlPacket(datagram)) {
      if (this.#state === "connected" || this.#state === "closing") {
        this.#lastRecvUs = now;
        this.#onData(now, datagram);
      }
      return;
    }
    let pkt: ControlPacket;
    try {
      pkt = decodeControlPacket(datagram);
    } catch (e) {
      if (e instanceof SrtPacketError) {
        this.#counters.pktRcvInvalid++;
        return;
      }
      throw e;
    }
    if (this.#state === "connecting") {
      if (pkt.type === ControlType.HANDSHAKE) {
        this.#onCallerHandshake(now, pkt.handshake, pkt.timestamp);
      }
      return;
    }
    this.#lastRecvUs = now;
    this.#onControl(now, pkt);
  }

  /** Runs whatever timers are due at `now`. */
  handleTimeout(now: number): void {
    if (this.#state === "closed") return;
    if (this.#state === "connecting") {
      if (now >= this.#hsDeadlineUs) {
        this.#finish(
          new SrtError("CONNECTION_TIMEOUT", "connection timed out: no handshake response", {
            reason: RejectReason.TIMEOUT,
          }),
        );
        return;
      }
      // Each repeat carries the current timestamp: the listener derives its TSBPD base from it.
      if (now >= this.#hsNextUs && this.#hsCurrent) this.#sendHandshake(now, this.#hsCurrent);
      return;
    }
    if (now - this.#lastRecvUs >= this.#opts.peerIdleTimeout * 1000) {
      this.#finish(new SrtError("PEER_IDLE_TIMEOUT", "peer idle timeout: nothing received"));
      return;
    }
    this.#deliver(now);
    this.#dropTooLateSent(now);
    this.#retransmitTail(now);
    if (this.#checkLinger(now)) return;
    if (now >= this.#nextAckUs) {
      this.#sendFullAck(now);
      this.#nextAckUs = now + SYN_INTERVAL_US;
    }
    if (this.#opts.nakReport && now >= this.#nextNakUs) {
      if (this.#rcvLoss.size > 0) this.#sendNak(now, this.#rcvLoss.ranges(MAX_NAK_RANGES));
      this.#nextNakUs = now + this.#nakIntervalUs();
    }
    if (now - this.#lastSendUs >= KEEPALIVE_US) {
      this.#sendControl(now, { type: ControlType.KEEPALIVE });
    }
  }

  /** A statistics snapshot at `now`. */
  stats(now: number): SrtStats {
    let rcvSpanUs = 0;
    if (this.#rcvCount > 0) {
      const first = this.#rcvPlayAt[this.#rcvBase & this.#rcvMask];
      const last = this.#rcvPlayAt[this.#rcvMax & this.#rcvMask];
      if (
        this.#rcvBuf[this.#rcvBase & this.#rcvMask] && this.#rcvBuf[this.#rcvMax & this.#rcvMask]
      ) {
        rcvSpanUs = Math.max(0, last - first);
      }
    }
    return {
      ...this.#counters,
      msTimeStamp: Math.floor((now - this.#startUs) / 1000),
      msRTT: this.#rttUs / 1000,
      msRTTVar: this.#rttVarUs / 1000,
      mbpsBandwidth: (this.#linkCapacity * this.#mss * 8) / 1e6,
      pktFlightSize: Math.max(0, seqOff(this.#sndLastAck, this.#sndNextSeq)),
      pktSndBuf: Math.max(0, seqOff(this.#sndLastAck, this.#sndNextSeq)),
      pktRcvBuf: this.#rcvCount,
      msRcvBuf: rcvSpanUs / 1000,
      msRcvTsbPdDelay: this.#rcvLatencyUs / 1000,
      msSndTsbPdDelay: this.#sndLatencyUs / 1000,
      pktRcvLossPending: this.#rcvLoss.size,
    };
  }

  // ---- handshake (caller side) ----

  #inductionRequest(): Handshake {
    return {
      version: 4,
      encryption: 0,
      extension: UDT_DGRAM,
      initialSeq: this.#sndNextSeq,
      mss: this.#opts.mss,
      flowWindow: this.#opts.flowWindow,
      type: HsType.INDUCTION,
      socketId: this.socketId,
      cookie: 0,
      peerIp: this.peer.hostname,
      extensions: [],
    };
  }

  #conclusionRequest(): Handshake {
    const exts: HandshakeExt[] = [{
      type: ExtType.HSREQ,
      version: SRT_VERSION,
      flags: liveSrtFlags(this.#opts),
      recvTsbpdDelay: this.#opts.rcvLatency,
      sendTsbpdDelay: this.#opts.peerLatency,
    }];
    let flags: number = ExtFlags.HSREQ;
    if (this.#opts.streamId !== undefined) {
      exts.push({ type: ExtType.SID, value: this.#opts.streamId });
      flags |= ExtFlags.CONFIG;
    }
    return {
      version: 5,
      encryption: 0,
      extension: flags,
      initialSeq: this.#sndNextSeq,
      mss: this.#opts.mss,
      flowWindow: this.#opts.flowWindow,
      type: HsType.CONCLUSION,
      socketId: this.socketId,
      cookie: this.#hsCookie,
      peerIp: this.peer.hostname,
      extensions: exts,
    };
  }

  #sendHandshake(now: number, hs: Handshake): void {
    this.#hsCurrent = hs;
    this.#tx.push(encodeControlPacket({
      type: ControlType.HANDSHAKE,
      timestamp: toTimestamp(now - this.#startUs),
      destSocketId: 0,
      handshake: hs,
    }));
    this.#hsNextUs = now + HANDSHAKE_RESEND_US;
    this.#hsSentUs = now;
    this.#lastSendUs = now;
  }

  #onCallerHandshake(now: number, hs: Handshake, timestamp: number): void {
    if (isRejection(hs.type)) {
      const reason = hs.type - REJECTION_BASE;
      this.#finish(
        new SrtError(
          "CONNECTION_REJECTED",
          `connection rejected by the peer: ${rejectReasonName(reason)}`,
          { reason },
        ),
      );
      return;
    }
    if (this.#hsPhase === "induction" && hs.type === HsType.INDUCTION) {
      if (hs.version < 5) {
        this.#reject(RejectReason.VERSION, "peer speaks only HSv4, which tsrt does not support");
        return;
      }
      if (hs.extension !== SRT_MAGIC) {
        this.#reject(RejectReason.ROGUE, "INDUCTION response without the SRT magic");
        return;
      }
      this.#hsCookie = hs.cookie;
      this.#hsPhase = "conclusion";
      this.#sendHandshake(now, this.#conclusionRequest());
      return;
    }
    if (this.#hsPhase === "conclusion" && hs.type === HsType.CONCLUSION) {
      const rsp = hs.extensions.find((e): e is HsReqExt =>
        e.type === ExtType.HSRSP && !("unknown" in e)
      );
      if (!rsp) {
        this.#reject(RejectReason.ROGUE, "CONCLUSION response without HSRSP");
        return;
      }
      this.#peerSocketId = hs.socketId;
      this.#mss = Math.min(this.#opts.mss, hs.mss);
      this.#peerFlowWindow = hs.flowWindow;
      this.#tsbpdBaseUs = now - timestamp;
      // The CONCLUSION round trip is a first RTT sample (only if it was not a resend).
      if (now - this.#hsSentUs < HANDSHAKE_RESEND_US) {
        this.#rttUs = now - this.#hsSentUs;
        this.#rttVarUs = this.#rttUs / 2;
        this.#rttMeasured = true;
      }
      // From the responder's point of view: it receives with recvTsbpdDelay and we receive
      // with sendTsbpdDelay. Both are already the agreed maxima.
      this.#becomeConnected(
        now,
        hs.initialSeq,
        Math.max(rsp.sendTsbpdDelay, this.#opts.rcvLatency),
        Math.max(rsp.recvTsbpdDelay, this.#opts.peerLatency),
      );
    }
  }

  #reject(reason: number, message: string): void {
    this.#finish(
      new SrtError("CONNECTION_REJECTED", `${message} (${rejectReasonName(reason)})`, { reason }),
    );
  }

  #becomeConnected(now: number, peerIsn: number, rcvLatencyMs: number, sndLatencyMs: number): void {
    this.#state = "connected";
    this.#hsCurrent = undefined;
    this.#rcvLatencyUs = rcvLatencyMs * 1000;
    this.#sndLatencyUs = sndLatencyMs * 1000;
    // libsrt: max(peer latency + SNDDROPDELAY(0), 1000 ms) + 2 x SYN interval.
    this.#sndDropThresholdUs = Math.max(this.#sndLatencyUs, 1_000_000) + 2 * SYN_INTERVAL_US;
    this.#rcvBase = peerIsn;
    this.#rcvContig = peerIsn;
    this.#rcvMax = (peerIsn - 1) & 0x7fffffff;
    this.#lastAckSeq = peerIsn;
    this.#lastAckAckedSeq = peerIsn;
    this.#nextAckUs = now + SYN_INTERVAL_US;
    this.#nextNakUs = now + MIN_NAK_INTERVAL_US;
    this.#rateWindowStartUs = now;
    this.#events.push({ kind: "connected" });
  }

  #finish(error: SrtError | undefined): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#hsCurrent = undefined;
    this.#sndBuf.fill(undefined);
    this.#rcvBuf.fill(undefined);
    this.#rcvCount = 0;
    this.#events.push({ kind: "closed", error });
  }

  // ---- control ----

  #sendControl(now: number, p: Record<string, unknown> & { type: number }): void {
    this.#tx.push(
      encodeControlPacket({
        ...p,
        timestamp: toTimestamp(now - this.#startUs),
        destSocketId: this.#peerSocketId,
      } as ControlPacket),
    );
    this.#lastSendUs = now;
  }

  #onControl(now: number, p: ControlPacket): void {
    switch (p.type) {
      case ControlType.ACK:
        this.#onAck(now, p);
        break;
      case ControlType.ACKACK:
        this.#onAckAck(now, p.ackNumber);
        break;
      case ControlType.NAK:
        this.#onNak(now, p);
        break;
      case ControlType.KEEPALIVE:
        break;
      case ControlType.SHUTDOWN:
        // Hand over everything already received before ending: nothing the peer sent is lost.
        this.#deliver(Infinity);
        this.#finish(new SrtError("PEER_SHUTDOWN", "the peer closed the connection"));
        break;
      case ControlType.DROPREQ:
        this.#onDropRequest(now, p.firstSeq, p.lastSeq);
        break;
      case ControlType.HANDSHAKE:
        // A repeated CONCLUSION response after we connected: nothing to do. (A listener-side
        // repeat of the caller's CONCLUSION is answered by the listener, which routes it.)
        break;
      default:
        break;
    }
  }

  // ---- sender ----

  #transmitData(now: number, d: Uint8Array): void {
    this.#tx.push(d);
    this.#lastSendUs = now;
    this.#lastDataSendUs = now;
    this.#counters.pktSentTotal++;
    this.#counters.byteSentTotal += d.length - HEADER_SIZE;
  }

  #onAck(now: number, p: AckPacket): void {
    this.#counters.pktRecvACKTotal++;
    const ack = p.ack.lastAckSeq;
    if (p.ackNumber !== 0) {
      this.#sendControl(now, { type: ControlType.ACKACK, ackNumber: p.ackNumber });
    }
    if (p.ack.rtt !== undefined && p.ack.rttVar !== undefined && p.ack.rtt > 0) {
      // The sender takes the receiver's smoothed figures, smoothing once more.
      if (!this.#rttMeasured) {
        this.#rttUs = p.ack.rtt;
        this.#rttVarUs = p.ack.rttVar;
        this.#rttMeasured = true;
      } else {
        this.#rttUs = Math.round((7 * this.#rttUs + p.ack.rtt) / 8);
        this.#rttVarUs = Math.round((3 * this.#rttVarUs + p.ack.rttVar) / 4);
      }
    }
    if (p.ack.linkCapacity) this.#linkCapacity = p.ack.linkCapacity;
    // Ignore ACKs that go backwards or beyond what was sent.
    if (seqCmp(ack, this.#sndLastAck) <= 0 || seqCmp(ack, this.#sndNextSeq) > 0) return;
    for (let s = this.#sndLastAck; s !== ack; s = seqInc(s)) {
      this.#sndBuf[s & this.#sndMask] = undefined;
    }
    this.#sndLastAck = ack;
    this.#sndLoss.removeBefore(ack);
    this.#lastAckProgressUs = now;
  }

  #onNak(now: number, p: NakPacket): void {
    this.#counters.pktRecvNAKTotal++;
    for (const [first, last] of p.losses) {
      // Clamp to what is still in the buffer and was sent.
      let a = first;
      let b = last;
      if (seqCmp(b, this.#sndLastAck) < 0 || seqCmp(a, this.#sndNextSeq) >= 0) continue;
      if (seqCmp(a, this.#sndLastAck) < 0) a = this.#sndLastAck;
      if (seqCmp(b, this.#sndNextSeq) >= 0) b = (this.#sndNextSeq - 1) & 0x7fffffff;
      this.#counters.pktSndLossTotal += seqOff(a, b) + 1;
      this.#sndLoss.insert(a, b);
    }
    this.#retransmit(now);
  }

  #retransmit(now: number): void {
    for (let s = this.#sndLoss.popFirst(); s !== -1; s = this.#sndLoss.popFirst()) {
      const d = this.#sndBuf[s & this.#sndMask];
      if (!d || dataSeq(d) !== s) continue;
      const copy = d.slice();
      setRetransmitted(copy, true);
      this.#counters.pktRetransTotal++;
      this.#counters.byteRetransTotal += copy.length - HEADER_SIZE;
      this.#transmitData(now, copy);
    }
  }

  /** Retransmission timeout: how long unacknowledged data may sit before it is resent unasked. */
  #rtoUs(): number {
    return this.#rttUs + 4 * this.#rttVarUs + 2 * SYN_INTERVAL_US;
  }

  /**
   * A lost packet at the end of a burst is never NAKed (no later packet reveals the gap), so
   * once the sender has gone quiet for an RTO with data still unacknowledged, it resends that
   * data unasked.
   */
  #retransmitTail(now: number): void {
    if (seqCmp(this.#sndLastAck, this.#sndNextSeq) >= 0) return;
    const rto = this.#rtoUs();
    if (now - this.#lastDataSendUs < rto || now - this.#lastAckProgressUs < rto) return;
    let n = 0;
    for (
      let s = this.#sndLastAck;
      seqCmp(s, this.#sndNextSeq) < 0 && n < TAIL_REXMIT_MAX;
      s = seqInc(s)
    ) {
      this.#sndLoss.insert(s, s);
      n++;
    }
    this.#retransmit(now);
  }

  #dropTooLateSent(now: number): void {
    let n = 0;
    let s = this.#sndLastAck;
    while (
      seqCmp(s, this.#sndNextSeq) < 0 &&
      now - this.#sndTime[s & this.#sndMask] >= this.#sndDropThresholdUs
    ) {
      s = seqInc(s);
      n++;
    }
    if (n > 0) this.#dropOldestSent(now, n);
  }

  /** Drops the `n` oldest unacknowledged packets and tells the receiver with DROPREQ. */
  #dropOldestSent(now: number, n: number): void {
    const first = this.#sndLastAck;
    let s = first;
    for (let i = 0; i < n; i++) {
      const slot = s & this.#sndMask;
      const d = this.#sndBuf[slot];
      if (d) this.#counters.byteSndDropTotal += d.length - HEADER_SIZE;
      this.#sndBuf[slot] = undefined;
      s = seqInc(s);
    }
    this.#counters.pktSndDropTotal += n;
    this.#sndLastAck = s;
    this.#sndLoss.removeBefore(s);
    this.#sendControl(now, {
      type: ControlType.DROPREQ,
      msgNo: 0,
      firstSeq: first,
      lastSeq: (s - 1) & 0x7fffffff,
    });
  }

  // ---- receiver ----

  #onData(now: number, d: Uint8Array): void {
    const c = this.#counters;
    const seq = dataSeq(d);
    const payloadLen = d.length - HEADER_SIZE;
    c.pktRecvTotal++;
    c.byteRecvTotal += payloadLen;
    if (d[4] & 0x04) c.pktRcvRetransTotal++;
    const off = seqOff(this.#rcvBase, seq);
    if (off < 0) {
      c.pktRcvBelated++;
      return;
    }
    if (off > this.#rcvMask) {
      // Beyond the receive buffer: drop it; it will be NAKed and resent once there is room.
      c.pktRcvDropTotal++;
      c.byteRcvDropTotal += payloadLen;
      return;
    }
    const slot = seq & this.#rcvMask;
    if (this.#rcvBuf[slot] !== undefined) {
      c.pktRcvDuplicate++;
      return;
    }
    this.#rcvBuf[slot] = d;
    this.#rcvCount++;
    c.pktRecvUniqueTotal++;
    const ts = readU32(d, 8);
    const playAt = this.#tsbpdBaseUs + this.#unwrapper.unwrap(ts) + this.#rcvLatencyUs;
    // A packet arriving after its play time is too late for a constant-latency stream: it
    // still fills its hole (so it is not NAKed again and the ACK moves on), but it will be
    // dropped instead of delivered.
    this.#rcvLate[slot] = playAt < now && this.#opts.tooLatePacketDrop ? 1 : 0;
    this.#rcvPlayAt[slot] = playAt;

    const ahead = seqOff(this.#rcvMax, seq);
    if (ahead > 0) {
      if (ahead > 1) {
        const first = seqInc(this.#rcvMax);
        const last = (seq - 1) & 0x7fffffff;
        this.#rcvLoss.insert(first, last);
        c.pktRcvLossTotal += ahead - 1;
        this.#sendNak(now, [[first, last]]);
      }
      this.#rcvMax = seq;
    } else {
      this.#rcvLoss.remove(seq);
    }
    this.#advanceContig();
    this.#measureArrival(now, seq, payloadLen);
    if (++this.#pktsSinceAck >= LIGHT_ACK_PACKETS) this.#sendLightAck(now);
    this.#deliver(now);
  }

  #advanceContig(): void {
    while (
      seqOff(this.#rcvContig, this.#rcvMax) >= 0 &&
      seqOff(this.#rcvBase, this.#rcvContig) <= this.#rcvMask &&
      this.#rcvBuf[this.#rcvContig & this.#rcvMask] !== undefined
    ) {
      this.#rcvContig = seqInc(this.#rcvContig);
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
    if (this.#rcvCount === 0) return Infinity;
    const slot = this.#rcvBase & this.#rcvMask;
    if (this.#rcvBuf[slot] !== undefined) return this.#rcvPlayAt[slot];
    if (!this.#opts.tooLatePacketDrop) return Infinity;
    const next = this.#nextPresent();
    return next === -1 ? Infinity : this.#rcvPlayAt[next & this.#rcvMask];
  }

  /** The first received sequence number after the (missing) base, or -1. */
  #nextPresent(): number {
    for (let s = seqInc(this.#rcvBase); seqCmp(s, this.#rcvMax) <= 0; s = seqInc(s)) {
      if (this.#rcvBuf[s & this.#rcvMask] !== undefined) return s;
    }
    return -1;
  }

  #deliver(now: number): void {
    const c = this.#counters;
    while (this.#rcvCount > 0) {
      const slot = this.#rcvBase & this.#rcvMask;
      const d = this.#rcvBuf[slot];
      if (d !== undefined) {
        if (this.#rcvPlayAt[slot] > now) return;
        this.#rcvBuf[slot] = undefined;
        this.#rcvCount--;
        if (this.#rcvLate[slot]) {
          c.pktRcvDropTotal++;
          c.byteRcvDropTotal += d.length - HEADER_SIZE;
        } else this.#rx.push(d.subarray(HEADER_SIZE));
        this.#rcvBase = seqInc(this.#rcvBase);
        continue;
      }
      if (!this.#opts.tooLatePacketDrop) return;
      const next = this.#nextPresent();
      if (next === -1 || this.#rcvPlayAt[next & this.#rcvMask] > now) return;
      // The packet after the hole is due: give up on the hole (TLPKTDROP).
      const skipped = seqOff(this.#rcvBase, next);
      c.pktRcvDropTotal += skipped;
      c.byteRcvDropTotal += skipped * this.payloadSize;
      this.#rcvLoss.removeBefore(next);
      this.#rcvBase = next;
      if (seqCmp(this.#rcvContig, next) < 0) {
        this.#rcvContig = next;
        this.#advanceContig();
      }
    }
  }

  #onDropRequest(_now: number, first: number, last: number): void {
    // The sender gave these up: stop asking for them. Holes left are skipped at play time.
    for (let s = first; seqCmp(s, last) <= 0; s = seqInc(s)) {
      if (seqCmp(s, this.#rcvBase) < 0) continue;
      if (seqOff(this.#rcvBase, s) > this.#rcvMask) break;
      this.#rcvLoss.remove(s);
    }
  }

  #sendLightAck(now: number): void {
    this.#pktsSinceAck = 0;
    this.#counters.pktSentACKTotal++;
    this.#sendControl(now, {
      type: ControlType.ACK,
      ackNumber: 0,
      ack: { lastAckSeq: this.#rcvContig },
    });
  }

  #sendFullAck(now: number): void {
    const ack = this.#rcvContig;
    if (ack === this.#lastAckAckedSeq) return;
    if (ack === this.#lastAckSeq && now - this.#lastAckTimeUs < this.#rttUs + 4 * this.#rttVarUs) {
      return;
    }
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
    this.#counters.pktSentACKTotal++;
    this.#sendControl(now, {
      type: ControlType.ACK,
      ackNumber: this.#ackNumber,
      ack: {
        lastAckSeq: ack,
        rtt: this.#rttUs,
        rttVar: this.#rttVarUs,
        availableBuffer: Math.max(2, this.#rcvMask + 1 - this.#rcvCount),
        packetRate: this.#pktRate,
        linkCapacity: this.#linkCapacity,
        byteRate: this.#byteRate,
      },
    });
  }

  #onAckAck(now: number, ackNumber: number): void {
    const h = ackNumber % ACK_HISTORY;
    const sentAt = this.#ackSentTime[h];
    if (sentAt === 0 || ackNumber > this.#ackNumber || this.#ackNumber - ackNumber >= ACK_HISTORY) {
      return;
    }
    const sample = now - sentAt;
    if (sample < 0) return;
    this.#lastAckAckedSeq = this.#ackSentSeq[h];
    if (!this.#rttMeasured) {
      this.#rttUs = sample;
      this.#rttVarUs = sample / 2;
      this.#rttMeasured = true;
    } else {
      this.#rttVarUs = Math.round((3 * this.#rttVarUs + Math.abs(this.#rttUs - sample)) / 4);
      this.#rttUs = Math.round((7 * this.#rttUs + sample) / 8);
    }
  }

  #sendNak(now: number, ranges: readonly LossRange[]): void {
    this.#counters.pktSentNAKTotal++;
    this.#sendControl(now, { type: ControlType.NAK, losses: ranges });
  }

  #nakIntervalUs(): number {
    // Until an RTT has been measured, libsrt's guess (100 ms +- 50) would hold the first
    // re-request back by 150 ms; ask again at the minimum interval instead.
    if (!this.#rttMeasured) return MIN_NAK_INTERVAL_US;
    return Math.max((this.#rttUs + 4 * this.#rttVarUs) / 2, MIN_NAK_INTERVAL_US);
  }
}

function pow2(n: number): number {
  let p = 32;
  while (p < n) p *= 2;
  return p;
}
