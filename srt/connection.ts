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
 * This file holds the connection's life cycle: the caller side of the HSv5 handshake (the
 * listener side is in `listener.ts`), keepalive, peer idle timeout, SHUTDOWN with linger, and
 * the dispatch of control packets. The data path is in `sender.ts` and `receiver.ts`.
 *
 * @module
 */

import type { ConnectionIo, ControlBody } from "./_io.ts";
import {
  type AckPacket,
  type ControlPacket,
  ControlType,
  decodeControlPacket,
  encodeControlPacket,
} from "./control_packet.ts";
import { dataSeq, HEADER_SIZE, isControlPacket } from "./data_packet.ts";
import { SrtError, SrtPacketError } from "./errors.ts";
import {
  type Handshake,
  HsType,
  isRejection,
  REJECTION_BASE,
  SRT_MAGIC,
  UDT_DGRAM,
} from "./handshake.ts";
import {
  ExtFlags,
  ExtType,
  type GroupExt,
  type HandshakeExt,
  type HsReqExt,
  type KmExt,
  SrtFlags,
  type StringExt,
} from "./handshake_ext.ts";
import { FEC_EXTRA_SIZE, negotiateFilter } from "./fec_config.ts";
import { FecFilter, type FecFilterStats } from "./fec_filter.ts";
import type { ResolvedOptions } from "./options.ts";
import {
  CryptoControl,
  type CryptoSettings,
  type KmCounters,
  type KmStats,
} from "./crypto_control.ts";
import { KmState } from "../crypto/km_state.ts";
import { KmCipher } from "../crypto/key_material.ts";
import type { RandomBytes } from "./random_bytes.ts";
import { LiveReceiver } from "./receiver.ts";
import {
  checkGroupResponse,
  GROUP_FLAG_SYNC_ON_MSGNO,
  type GroupMembership,
} from "./group_handshake.ts";
import { RejectReason, rejectReasonName } from "./reject_reason.ts";
import { RttEstimator } from "./rtt.ts";
import { LiveSender } from "./sender.ts";
import {
  newCounters,
  type SrtCounters,
  type SrtStats,
  type StatsOptions,
  StatsTracker,
} from "./stats.ts";
import { toTimestamp } from "./timestamp.ts";

/**
 * An IP address and UDP port.
 *
 * @example
 * ```ts
 * import { type PeerAddress, SrtEndpoint } from "@tsrt/tsrt";
 * const listener: PeerAddress = { hostname: "192.0.2.10", port: 9000 };
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const conn = endpoint.connect(0, listener, { streamId: "cam1" });
 * console.log(conn.peer.hostname);
 * ```
 */
export interface PeerAddress {
  /** IPv4 or IPv6 address in text form. */
  readonly hostname: string;
  /** UDP port. */
  readonly port: number;
}

/**
 * Something that happened to a connection.
 *
 * @example
 * ```ts
 * import { type ConnectionEvent, SrtEndpoint } from "@tsrt/tsrt";
 * function describe(e: ConnectionEvent): string {
 *   return e.kind === "connected" ? "up" : `down: ${e.error?.code ?? "clean shutdown"}`;
 * }
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * for (let ev = endpoint.pollEvent(); ev; ev = endpoint.pollEvent()) {
 *   console.log(describe(ev.event));
 * }
 * ```
 */
export type ConnectionEvent =
  | { readonly kind: "connected" }
  | { readonly kind: "closed"; readonly error: SrtError | undefined };

/**
 * Connection states. `closing` is a local close waiting (up to the linger time) for the peer
 * to acknowledge and play out what was sent before SHUTDOWN goes out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ConnectionState, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const conn = endpoint.connect(0, { hostname: "192.0.2.10", port: 9000 });
 * const state: ConnectionState = conn.state;
 * assert.equal(state, "connecting"); // until the listener answers
 * ```
 */
export type ConnectionState = "connecting" | "connected" | "closing" | "closed";

const NO_DATAGRAM = new Uint8Array(0);

/** The SRT version tsrt announces in HSREQ/HSRSP (1.5.1, the libsrt it is tested against). */
export const SRT_VERSION = 0x010501;
/**
 * The SRT version tsrt announces when AES-GCM is in use: libsrt >= 1.5.4 then uses the GCM
 * packet format tsrt implements (it uses an older one with peers announcing <= 1.5.3).
 */
export const SRT_VERSION_GCM = 0x010504;

const KEEPALIVE_US = 1_000_000;
const HANDSHAKE_RESEND_US = 250_000;
const SHUTDOWN_REPEAT = 3;
/** Extra wait after the peer's play-out time before SHUTDOWN: its TSBPD clock and read loop lag ours. */
const LINGER_MARGIN_US = 50_000;

/**
 * Fixed parameters of a connection, decided by the handshake or by the caller.
 *
 * @example
 * ```ts
 * import type { ConnectionInit } from "@tsrt/tsrt";
 * // SrtEndpoint.connect() builds this; SrtConnection.connect() takes it without startUs.
 * function describe(init: ConnectionInit): string {
 *   const { hostname, port } = init.peer;
 *   return `socket ${init.socketId} -> ${hostname}:${port}, ISN ${init.initialSeq}`;
 * }
 * console.log(typeof describe);
 * ```
 */
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
  /** Random bytes for key material (needed when `options.passphrase` is set). */
  readonly randomBytes?: RandomBytes;
  /**
   * A caller that is a member of a socket group: the GROUP extension its CONCLUSION carries.
   * The listener must answer with its own (mirror) group, or the attempt fails with
   * SRT_REJ_GROUP.
   */
  readonly group?: GroupExt;
}

/**
 * Parameters of an accepted connection, from the listener's side of the handshake.
 *
 * @example
 * ```ts
 * import type { AcceptedInit } from "@tsrt/tsrt";
 * // What the listener side (or a finished rendezvous) knows once the handshake is done.
 * function describe(init: AcceptedInit): string {
 *   return `peer socket ${init.peerSocketId}, receive latency ${init.rcvLatency} ms`;
 * }
 * console.log(typeof describe);
 * ```
 */
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
  /** The encryption state, when the handshake agreed keys. */
  readonly crypto?: CryptoControl;
  /** KM states when not encrypting (a non-enforced mismatch); default all UNSECURED. */
  readonly kmStats?: KmStats;
  /** The packet filter the handshake agreed (`""` or absent for none). */
  readonly packetFilter?: string;
  /** The group this connection is a member of, when the caller asked to be one. */
  readonly membership?: GroupMembership;
}

const NO_FILTER_STATS: FecFilterStats = {
  pktSndFilterExtraTotal: 0,
  pktRcvFilterExtraTotal: 0,
  pktRcvFilterSupplyTotal: 0,
  pktRcvFilterLossTotal: 0,
};

const UNSECURED_STATS: KmStats = {
  kmState: KmState.UNSECURED,
  sndKmState: KmState.UNSECURED,
  rcvKmState: KmState.UNSECURED,
};

/** Key length (bytes) from a handshake Encryption Field (key length / 8), or 0. */
export function keyLengthFromField(field: number): 0 | 16 | 24 | 32 {
  return field === 2 ? 16 : field === 3 ? 24 : field === 4 ? 32 : 0;
}

/**
 * Builds the HSREQ/HSRSP flags word for live mode (0xBF with everything on, as libsrt sends).
 */
export function liveSrtFlags(options: ResolvedOptions): number {
  return SrtFlags.TSBPDSND | SrtFlags.TSBPDRCV | SrtFlags.CRYPT | SrtFlags.REXMITFLG |
    SrtFlags.FILTERCAP | (options.tooLatePacketDrop ? SrtFlags.TLPKTDROP : 0) |
    (options.nakReport ? SrtFlags.NAKREPORT : 0);
}

/**
 * One SRT connection in live mode, as a sans-IO state machine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type PeerAddress, type SrtConnection, SrtEndpoint } from "@tsrt/tsrt";
 * const rng = () => crypto.getRandomValues(new Uint32Array(1))[0];
 * const A: PeerAddress = { hostname: "10.0.0.1", port: 5000 };
 * const B: PeerAddress = { hostname: "10.0.0.2", port: 9000 };
 * const callerSide = new SrtEndpoint(rng);
 * const listenerSide = new SrtEndpoint(rng);
 * listenerSide.listen(0);
 * const conn: SrtConnection = callerSide.connect(0, B, { latency: 120 });
 * // Carry datagrams both ways, one millisecond of virtual time per step.
 * for (let now = 1000; conn.state !== "connected"; now += 1000) {
 *   callerSide.handleTimeout(now);
 *   callerSide.drain((d) => listenerSide.handleDatagram(now, d, A));
 *   listenerSide.drain((d) => callerSide.handleDatagram(now, d, B));
 *   for (let r = listenerSide.pollRequest(); r; r = listenerSide.pollRequest()) {
 *     listenerSide.accept(now, r);
 *   }
 * }
 * assert.equal(conn.rcvLatency, 120);
 * assert.equal(conn.stats(1_000_000).pktSentTotal, 0);
 * ```
 */
export class SrtConnection {
  /** This side's socket ID. */
  readonly socketId: number;
  /** The peer's address. */
  readonly peer: PeerAddress;
  /** Which side of the handshake this connection was. */
  readonly role: "caller" | "listener";

  #opts: ResolvedOptions;
  #state: ConnectionState = "connecting";
  #startUs: number;
  #initialSeq: number;
  #peerSocketId = 0;
  #streamId: string | undefined;

  // Caller handshake.
  #hsCurrent: Handshake | undefined;
  #hsNextUs = 0;
  #hsDeadlineUs = 0;
  #hsPhase: "induction" | "conclusion" = "induction";
  #hsCookie = 0;
  #hsSentUs = 0;
  #kmreq: Uint8Array | undefined;

  // Encryption: the key material and ciphers, or the KM states of an unencrypted connection.
  #crypto: CryptoControl | undefined;
  #kmStats: KmStats = UNSECURED_STATS;
  #filterConfig = ""; // the packet filter agreed in the handshake
  #fec: FecFilter | undefined;
  #randomBytes: RandomBytes | undefined;
  #groupExt: GroupExt | undefined;
  #group: GroupMembership | undefined;
  /** A group member not yet positioned by its group starts at its first packet. */
  #adoptFirst = false;

  // Negotiated.
  #rcvLatencyUs = 0;
  #sndLatencyUs = 0;
  #mss: number;
  #peerFlowWindow = 0;
  #tsbpdBaseUs = 0;

  // Data path, once connected.
  #sender: LiveSender | undefined;
  #receiver: LiveReceiver | undefined;

  #rtt = new RttEstimator();
  #counters: SrtCounters = newCounters();
  #tracker: StatsTracker;
  #lastSendUs: number;
  #lastRecvUs: number;
  #closeDeadlineUs = 0;
  #peerLinkCapacity = 0;
  // Outgoing datagrams: a queue that keeps its backing store between drains, so that queueing
  // a packet allocates nothing in steady state.
  #tx: Uint8Array[] = [];
  #txHead = 0;
  #txLen = 0;
  #events: ConnectionEvent[] = [];
  #io: ConnectionIo;

  private constructor(init: ConnectionInit, role: "caller" | "listener") {
    this.socketId = init.socketId;
    this.peer = init.peer;
    this.role = role;
    this.#opts = init.options;
    this.#startUs = init.startUs;
    this.#initialSeq = init.initialSeq;
    this.#mss = init.options.mss;
    this.#streamId = init.options.streamId;
    this.#lastSendUs = init.startUs;
    this.#lastRecvUs = init.startUs;
    this.#tracker = new StatsTracker(this.#counters, init.startUs);
    this.#randomBytes = init.randomBytes;
    this.#groupExt = init.group;
    this.#io = {
      counters: this.#counters,
      rtt: this.#rtt,
      transmitData: (now, d) => {
        this.#tx[this.#txLen++] = d;
        this.#lastSendUs = now;
        this.#counters.pktSentTotal++;
        this.#counters.byteSentTotal += d.length - HEADER_SIZE;
      },
      sendControl: (now, p) => this.#sendControl(now, p),
      encrypt: (now, d, seq) => {
        const km = this.#crypto?.encrypt(now, d, seq);
        if (km) this.#sendControl(now, { type: ControlType.USER, subtype: 3, data: km });
      },
      decrypt: (d, seq) => this.#crypto ? this.#crypto.decrypt(d, seq) : (d[4] & 0x18) === 0,
    };
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
    // Key material now, as libsrt draws it when it starts connecting: deriving the KEK takes
    // milliseconds (more on a cold runtime), and done while answering the INDUCTION it would
    // delay the CONCLUSION past its timestamp, and so every packet the listener delivers.
    if (init.options.passphrase !== undefined) c.#startCrypto(0);
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
    c.#crypto = init.crypto;
    c.#kmStats = init.kmStats ?? UNSECURED_STATS;
    c.#filterConfig = init.packetFilter ?? "";
    c.#group = init.membership;
    c.#adoptFirst = init.membership !== undefined;
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

  /** The peer's flow window in packets (0 before the handshake). */
  get peerFlowWindow(): number {
    return this.#peerFlowWindow;
  }

  /** Largest payload {@linkcode SrtConnection.send} accepts. */
  get payloadSize(): number {
    // With AES-GCM each packet also carries a 16-byte tag.
    // A packet filter takes 4 more bytes (FEC header) when it came from the peer's settings.
    const fec = this.#filterConfig === "" ? 0 : FEC_EXTRA_SIZE;
    return Math.min(
      this.#opts.payloadSize,
      this.#mss - 44 - (this.#crypto?.tagLength ?? 0) - fec,
    );
  }

  /** Next datagram to send to {@linkcode SrtConnection.peer}, or undefined. */
  pollTransmit(): Uint8Array | undefined {
    if (this.#txHead >= this.#txLen) {
      this.#txHead = 0;
      this.#txLen = 0;
      return undefined;
    }
    const d = this.#tx[this.#txHead];
    this.#tx[this.#txHead++] = NO_DATAGRAM;
    return d;
  }

  /** The socket group this connection is a member of, once the handshake agreed it. */
  get group(): GroupMembership | undefined {
    return this.#group;
  }

  /** Sequence number of the payload {@linkcode SrtConnection.pollPayload} returned last, or -1. */
  get lastPayloadSeq(): number {
    return this.#receiver?.polledSeq ?? -1;
  }

  /** The first sequence number not yet received in order (the receiving ACK point), or -1. */
  get receiveAckSeq(): number {
    return this.#receiver?.ackPoint ?? -1;
  }

  /** The sequence number the next payload sent gets, or -1 before the connection is up. */
  get nextSendSeq(): number {
    return this.#sender?.nextSeq ?? -1;
  }

  /** Every packet sent before this sequence number is acknowledged (or dropped); -1 before. */
  get sendAckedSeq(): number {
    return this.#sender?.ackedSeq ?? -1;
  }

  /** Smoothed round-trip time (us). */
  get rttUs(): number {
    return this.#rtt.rttUs;
  }

  /** Round-trip time variation (us). */
  get rttVarUs(): number {
    return this.#rtt.rttVarUs;
  }

  /** When (us) anything last arrived from the peer: a socket group's measure of link health. */
  get lastResponseUs(): number {
    return this.#lastRecvUs;
  }

  /**
   * Continues the sending sequence at `seq`, forgetting what is unacknowledged (a socket
   * group aligning a member with the group's numbering; see `LiveSender.overrideSeq`).
   *
   * @param now current time (us)
   * @param seq the sequence number of the next payload
   * @throws {SrtError} with code `CLOSED` when the connection is not open
   */
  overrideSendSeq(now: number, seq: number): void {
    if (this.#state !== "connected") {
      throw new SrtError("CLOSED", `cannot override: connection is ${this.#state}`);
    }
    this.#sender!.overrideSeq(now, seq);
  }

  /**
   * Moves the receiving sequence forward to `seq` while nothing is buffered or missing (the
   * idle links of a socket group follow the link that carries the stream). Until the group
   * calls this, a member's first data packet sets where its reception starts.
   *
   * @param seq the next sequence number expected
   * @returns whether it moved
   */
  skipReceiveTo(seq: number): boolean {
    this.#adoptFirst = false; // the group positions it from now on
    return this.#receiver?.skipTo(seq) ?? false;
  }

  /** Next payload to deliver to the application, in order, or undefined. */
  pollPayload(): Uint8Array | undefined {
    const p = this.#receiver?.pollPayload();
    const tag = this.#crypto?.tagLength ?? 0;
    return p && tag ? p.subarray(0, p.length - tag) : p;
  }

  /** Next event, or undefined. */
  pollEvent(): ConnectionEvent | undefined {
    return this.#events.shift();
  }

  /** The earliest time (us) at which {@linkcode SrtConnection.handleTimeout} has work, or undefined once closed. */
  pollTimeout(): number | undefined {
    if (this.#state === "closed") return undefined;
    if (this.#state === "connecting") return Math.min(this.#hsNextUs, this.#hsDeadlineUs);
    let t = Math.min(
      this.#lastSendUs + KEEPALIVE_US,
      this.#lastRecvUs + this.#opts.peerIdleTimeout * 1000,
      this.#receiver!.pollTimeout(),
      this.#sender!.pollTimeout(),
    );
    if (this.#state === "closing") t = Math.min(t, this.#lingerDoneUs());
    if (this.#crypto) t = Math.min(t, this.#crypto.pollTimeout());
    return t;
  }

  /**
   * Queues one live-mode message (at most {@linkcode SrtConnection.payloadSize} bytes).
   *
   * @throws {SrtError} with code `CLOSED` when the connection is not open.
   * @throws {RangeError} when the payload is empty or too large.
   */
  send(now: number, payload: Uint8Array, srcTimeUs?: number): void {
    if (this.#state !== "connected") {
      throw new SrtError("CLOSED", `cannot send: connection is ${this.#state}`);
    }
    if (payload.length === 0 || payload.length > this.payloadSize) {
      throw new RangeError(`payload must be 1..${this.payloadSize} bytes: got ${payload.length}`);
    }
    const tag = this.#crypto?.tagLength ?? 0;
    if (tag) {
      // Room for the GCM tag, written after the ciphertext when the packet is sealed.
      const spaced = new Uint8Array(payload.length + tag);
      spaced.set(payload);
      payload = spaced;
    }
    this.#sender!.send(now, payload, srcTimeUs ?? now);
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
      if (this.#receiver) {
        this.#lastRecvUs = now;
        // A group member's first packet may continue the group's sequence, well past the ISN:
        // start there rather than report the numbers in between lost.
        if (this.#adoptFirst) {
          this.#adoptFirst = false;
          if (!this.#receiver.receivedData) this.#receiver.skipTo(dataSeq(datagram), true);
        }
        this.#receiver.onData(now, datagram);
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
    this.#sender!.handleTimeout(now);
    if (this.#checkLinger(now)) return;
    const km = this.#crypto?.handleTimeout(now);
    if (km) this.#sendControl(now, { type: ControlType.USER, subtype: 3, data: km });
    this.#receiver!.handleTimeout(now);
    if (now - this.#lastSendUs >= KEEPALIVE_US) {
      this.#sendControl(now, { type: ControlType.KEEPALIVE });
    }
  }

  /** The KM states (SRTO_KMSTATE, SRTO_SNDKMSTATE, SRTO_RCVKMSTATE). */
  get kmStats(): KmStats {
    return this.#crypto?.stats ?? this.#kmStats;
  }

  /** Key-material exchange counters, when encrypting. */
  get kmCounters(): Readonly<KmCounters> | undefined {
    return this.#crypto?.counters;
  }

  /** The packet filter configuration the handshake agreed (`""` for none). */
  get packetFilter(): string {
    return this.#filterConfig;
  }

  /** Whether payloads are encrypted in at least one direction. */
  get encrypted(): boolean {
    return this.#crypto !== undefined;
  }

  /** A statistics snapshot at `now` (libsrt `srt_bstats`; `clear` starts a new interval), with the KM states as libsrt reports them. */
  stats(now: number, options: StatsOptions = {}): SrtStats & KmStats {
    const r = this.#receiver?.gauges();
    const snd = this.#sender?.gauges();
    this.#sender?.flushBusy(now);
    const totals = { ...this.#counters };
    // Link capacity: measured here when receiving, reported by the peer's ACKs when sending.
    const capacity = Math.max(r?.linkCapacity ?? 0, this.#peerLinkCapacity);
    const window = snd?.pktFlowWindow ?? this.#peerFlowWindow;
    return {
      ...totals,
      ...this.#tracker.interval(now, options.clear ?? false),
      msTimeStamp: Math.floor((now - this.#startUs) / 1000),
      msRTT: this.#rtt.rttUs / 1000,
      msRTTVar: this.#rtt.rttVarUs / 1000,
      mbpsBandwidth: (capacity * this.#mss * 8) / 1e6,
      pktFlightSize: snd?.pktFlightSize ?? 0,
      pktFlowWindow: window,
      pktCongestionWindow: window,
      usPktSndPeriod: snd?.usPktSndPeriod ?? 0,
      mbpsMaxBW: ((snd?.maxBw ?? 0) * 8) / 1e6,
      byteMSS: this.#mss,
      pktSndBuf: snd?.pktSndBuf ?? 0,
      byteSndBuf: snd?.byteSndBuf ?? 0,
      msSndBuf: snd?.msSndBuf ?? 0,
      byteAvailSndBuf: snd?.byteAvailSndBuf ?? 0,
      pktRcvBuf: r?.pktRcvBuf ?? 0,
      byteRcvBuf: r?.byteRcvBuf ?? 0,
      msRcvBuf: r?.msRcvBuf ?? 0,
      byteAvailRcvBuf: r?.byteAvailRcvBuf ?? 0,
      msRcvTsbPdDelay: this.#rcvLatencyUs / 1000,
      msSndTsbPdDelay: this.#sndLatencyUs / 1000,
      pktReorderTolerance: r?.pktReorderTolerance ?? this.#opts.lossMaxTtl,
      pktRcvAvgBelatedTime: r?.pktRcvAvgBelatedTime ?? 0,
      pktRcvLossPending: r?.pktRcvLossPending ?? 0,
      usRcvJitter: r?.usJitter ?? 0,
      usRcvDrift: r?.usDrift ?? 0,
      ...(this.#fec?.stats() ?? NO_FILTER_STATS),
      ...this.kmStats,
    };
  }

  // ---- handshake (caller side) ----

  #inductionRequest(): Handshake {
    return {
      version: 4,
      encryption: 0,
      extension: UDT_DGRAM,
      initialSeq: this.#initialSeq,
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
      version: this.#crypto?.gcm ? SRT_VERSION_GCM : SRT_VERSION,
      flags: liveSrtFlags(this.#opts),
      recvTsbpdDelay: this.#opts.rcvLatency,
      sendTsbpdDelay: this.#opts.peerLatency,
    }];
    let flags: number = ExtFlags.HSREQ;
    if (this.#opts.packetFilter !== "") {
      exts.push({ type: ExtType.FILTER, value: this.#opts.packetFilter });
      flags |= ExtFlags.CONFIG;
    }
    if (this.#kmreq) {
      exts.push({ type: ExtType.KMREQ, data: this.#kmreq });
      flags |= ExtFlags.KMREQ;
    }
    if (this.#opts.streamId !== undefined) {
      exts.push({ type: ExtType.SID, value: this.#opts.streamId });
      flags |= ExtFlags.CONFIG;
    }
    if (this.#groupExt) {
      exts.push(this.#groupExt);
      flags |= ExtFlags.CONFIG;
    }
    return {
      version: 5,
      encryption: this.#kmreq ? this.#crypto!.keyLength / 8 : 0,
      extension: flags,
      initialSeq: this.#initialSeq,
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
    this.#queue(encodeControlPacket({
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
      // Drawn again only when the listener asks for another key length than was guessed.
      if (
        this.#opts.passphrase !== undefined &&
        this.#crypto?.keyLength !== this.#keyLengthFor(hs.encryption)
      ) this.#startCrypto(hs.encryption);
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
      const filter = negotiateFilter(
        this.#opts.packetFilter,
        hs.extensions.find((e): e is StringExt => e.type === ExtType.FILTER && !("unknown" in e))
          ?.value,
        "initiator",
        false,
      );
      if (!filter.ok) {
        this.#reject(filter.reason, filter.message);
        return;
      }
      this.#filterConfig = filter.config;
      if (this.#groupExt) {
        const ext = hs.extensions.find((e): e is GroupExt =>
          e.type === ExtType.GROUP && !("unknown" in e)
        );
        const g = checkGroupResponse(ext, undefined);
        if (!g.ok) {
          this.#reject(g.reason, g.message);
          return;
        }
        this.#group = {
          groupId: this.#groupExt.groupId,
          peerGroupId: g.peerGroupId,
          type: this.#groupExt.groupType,
          syncOnMsgNo: (this.#groupExt.groupFlags & GROUP_FLAG_SYNC_ON_MSGNO) !== 0,
          weight: this.#groupExt.weight,
          peerWeight: ext!.weight,
        };
        this.#adoptFirst = true;
      }
      if (!this.#checkKmResponse(hs)) return;
      if (this.#crypto?.gcm && rsp.version < SRT_VERSION_GCM) {
        this.#reject(RejectReason.CRYPTO, "AES-GCM needs a peer of SRT 1.5.4 or later");
        return;
      }
      this.#peerSocketId = hs.socketId;
      this.#mss = Math.min(this.#opts.mss, hs.mss);
      this.#peerFlowWindow = hs.flowWindow;
      this.#tsbpdBaseUs = now - timestamp;
      // The CONCLUSION round trip is a first RTT sample (only if it was not a resend).
      if (now - this.#hsSentUs < HANDSHAKE_RESEND_US) this.#rtt.sample(now - this.#hsSentUs);
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

  /** The key length to use: the responder's wins when it advertises one (libsrt, SRTO_PBKEYLEN). */
  #keyLengthFor(encryptionField: number): 16 | 24 | 32 {
    return keyLengthFromField(encryptionField) || this.#opts.pbkeylen || 16;
  }

  /**
   * Draws the key material: at connect() with this side's key length, and again if the
   * listener's INDUCTION response asks for another one.
   */
  #startCrypto(encryptionField: number): void {
    const keyLength = this.#keyLengthFor(encryptionField);
    if (!this.#randomBytes) throw new Error("a passphrase needs ConnectionInit.randomBytes");
    const { control, kmreq } = CryptoControl.forCaller(
      cryptoSettings(this.#opts, this.#randomBytes),
      keyLength,
      this.#opts.cryptoMode === 2 ? KmCipher.AES_GCM : KmCipher.AES_CTR,
    );
    this.#crypto?.clear(); // drawn at connect() for another key length: never used
    this.#crypto = control;
    this.#kmreq = kmreq;
  }

  /**
   * Checks the listener's KMRSP against what this caller sent; with enforced encryption a
   * mismatch ends the attempt as libsrt's caller does. Returns whether to go on.
   */
  #checkKmResponse(hs: Handshake): boolean {
    const kmrsp = hs.extensions.find((e): e is KmExt =>
      e.type === ExtType.KMRSP && !("unknown" in e)
    );
    const enforced = this.#opts.enforcedEncryption;
    if (!this.#crypto) {
      if (kmrsp === undefined) return true;
      // The listener encrypts but we have no passphrase.
      if (enforced) {
        this.#reject(RejectReason.UNSECURE, "the listener encrypts but no passphrase is set");
        return false;
      }
      this.#kmStats = {
        kmState: KmState.NOSECRET,
        sndKmState: KmState.UNSECURED,
        rcvKmState: KmState.NOSECRET,
      };
      return true;
    }
    const state = this.#crypto.onHandshakeResponse(kmrsp?.data, this.#kmreq!);
    if (state === KmState.SECURED) return true;
    if (enforced) {
      const reason = state === KmState.BADSECRET
        ? RejectReason.BADSECRET
        : state === KmState.BADCRYPTOMODE
        ? RejectReason.CRYPTO
        : RejectReason.UNSECURE;
      this.#reject(reason, "the listener did not agree on the key material");
      return false;
    }
    // Not enforced: connect anyway; the KM states tell the application what works.
    this.#kmStats = this.#crypto.stats;
    if (state === KmState.BADSECRET || state === KmState.BADCRYPTOMODE) {
      this.#crypto.clear();
      this.#crypto = undefined;
    }
    return true;
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
    this.#fec = FecFilter.create(this.#filterConfig, {
      sndIsn: this.#initialSeq,
      rcvIsn: peerIsn,
      payloadSize: this.payloadSize,
      socketId: this.socketId,
    });
    this.#sender = new LiveSender(now, {
      initialSeq: this.#initialSeq,
      bufferPackets: this.#opts.sendBufferPackets,
      startUs: this.#startUs,
      peerLatencyUs: this.#sndLatencyUs,
      peerSocketId: this.#peerSocketId,
      peerFlowWindow: this.#peerFlowWindow,
      payloadSize: this.payloadSize,
      pacing: {
        maxBw: this.#opts.maxBw,
        inputBw: this.#opts.inputBw,
        minInputBw: this.#opts.minInputBw,
        oheadBw: this.#opts.oheadBw,
      },
      fec: this.#fec,
    }, this.#io);
    this.#receiver = new LiveReceiver(now, {
      peerInitialSeq: peerIsn,
      bufferPackets: this.#opts.receiveBufferPackets,
      latencyUs: this.#rcvLatencyUs,
      tsbpdBaseUs: this.#tsbpdBaseUs,
      tooLatePacketDrop: this.#opts.tooLatePacketDrop,
      nakReport: this.#opts.nakReport,
      payloadSize: this.payloadSize,
      lossMaxTtl: this.#opts.lossMaxTtl,
      driftTracer: this.#opts.driftTracer,
      fec: this.#fec,
    }, this.#io);
    this.#events.push({ kind: "connected" });
  }

  #finish(error: SrtError | undefined): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#hsCurrent = undefined;
    this.#sender?.clear();
    this.#receiver?.clear();
    this.#crypto?.clear();
    this.#events.push({ kind: "closed", error });
  }

  #sendShutdown(now: number): void {
    for (let i = 0; i < SHUTDOWN_REPEAT; i++) {
      this.#sendControl(now, { type: ControlType.SHUTDOWN });
    }
  }

  /** The time at which a lingering close may send SHUTDOWN. */
  #lingerDoneUs(): number {
    const s = this.#sender!;
    if (s.unacknowledged > 0) return this.#closeDeadlineUs;
    return Math.min(
      this.#closeDeadlineUs,
      s.lastDataSendUs + this.#sndLatencyUs + this.#rtt.timeoutUs + LINGER_MARGIN_US,
    );
  }

  /** Sends SHUTDOWN once a lingering close may finish; returns whether it did. */
  #checkLinger(now: number): boolean {
    if (this.#state !== "closing" || now < this.#lingerDoneUs()) return false;
    this.#sendShutdown(now);
    this.#finish(undefined);
    return true;
  }

  #queue(d: Uint8Array): void {
    this.#tx[this.#txLen++] = d;
  }

  #sendControl(now: number, p: ControlBody): void {
    this.#queue(
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
        this.#receiver!.onAckAck(now, p.ackNumber, p.timestamp);
        break;
      case ControlType.NAK:
        this.#counters.pktRecvNAKTotal++;
        this.#sender!.onNak(now, p.losses);
        break;
      case ControlType.SHUTDOWN:
        // Hand over everything already received before ending: nothing the peer sent is lost.
        this.#receiver!.deliver(Infinity);
        this.#finish(new SrtError("PEER_SHUTDOWN", "the peer closed the connection"));
        break;
      case ControlType.DROPREQ:
        this.#receiver!.onDropRequest(p.firstSeq, p.lastSeq);
        break;
      case ControlType.USER:
        this.#onUser(now, p.subtype, p.data);
        break;
      default:
        // KEEPALIVE only refreshes the idle timer; a repeated CONCLUSION response after we
        // connected needs nothing (the listener answers repeats of the caller's CONCLUSION).
        break;
    }
  }

  /** UMSG_EXT: key refresh messages (KMREQ 3 / KMRSP 4); anything else is ignored. */
  #onUser(now: number, subtype: number, data: Uint8Array): void {
    if (subtype !== 3 && subtype !== 4) return;
    if (!this.#crypto) {
      this.#counters.pktRcvInvalid++;
      return;
    }
    const reply = this.#crypto.onControl(subtype, data);
    if (reply) this.#sendControl(now, { type: ControlType.USER, ...reply });
  }

  #onAck(now: number, p: AckPacket): void {
    this.#counters.pktRecvACKTotal++;
    if (p.ackNumber !== 0) {
      this.#sendControl(now, { type: ControlType.ACKACK, ackNumber: p.ackNumber });
    }
    if (p.ack.rtt !== undefined && p.ack.rttVar !== undefined && p.ack.rtt > 0) {
      this.#rtt.fromPeer(p.ack.rtt, p.ack.rttVar);
    }
    if (p.ack.linkCapacity) this.#peerLinkCapacity = p.ack.linkCapacity;
    this.#sender!.onAck(now, p.ack.lastAckSeq, p.ack.availableBuffer);
  }
}

/**
 * The crypto settings of resolved options.
 *
 * @param o Resolved options with a passphrase.
 * @param randomBytes Random bytes for keys.
 * @returns Settings for {@linkcode CryptoControl}.
 */
export function cryptoSettings(o: ResolvedOptions, randomBytes: RandomBytes): CryptoSettings {
  return {
    passphrase: o.passphrase!,
    kmRefreshRate: o.kmRefreshRate,
    kmPreAnnounce: o.kmPreAnnounce,
    randomBytes,
  };
}
