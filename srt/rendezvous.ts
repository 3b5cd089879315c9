/**
 * The HSv5 rendezvous handshake as a sans-IO state machine (libsrt `processRendezvous`,
 * `rendezvousSwitchState`; `docs/features/handshake.md` "HSv5 Rendezvous Process").
 *
 * Both sides send WAVEAHAND (version 5, extension field 0, encryption field = PBKEYLEN/8, the
 * cookie, no extensions) every 250 ms. Once a side knows both cookies the contest
 * ({@linkcode cookieContest}) makes it Initiator or Responder:
 *
 * ```
 *            Initiator                                  Responder
 * WAVING    --WAVEAHAND-->  ATTENTION          WAVING  --WAVEAHAND--> ATTENTION
 *            send CONCLUSION+HSREQ                       send CONCLUSION (no extensions)
 *           --CONCLUSION (empty)--> stay                --CONCLUSION+HSREQ--> INITIATED
 *            send CONCLUSION+HSREQ again                 send CONCLUSION+HSRSP (repeated
 *           --CONCLUSION+HSRSP--> CONNECTED              until AGREEMENT or any other packet
 *            send AGREEMENT once (and again for         of the connection) --> CONNECTED
 *            every CONCLUSION that still comes)
 * WAVING    --CONCLUSION--> FINE (the peer was faster; same answers as above)
 * ```
 *
 * What libsrt 1.5.1 does on the wire (see `tests/vectors/srt_rendezvous_capture.json`): the
 * first WAVEAHAND goes to socket ID 0, every later packet to the peer's socket ID; the side
 * that started first may answer the peer's first WAVEAHAND with one more WAVEAHAND before its
 * CONCLUSION; each side keeps its own ISN; extensions come as HSREQ/HSRSP, FILTER, KMREQ/KMRSP;
 * a FILTER mismatch is answered with a rejection handshake (type 1014) and then SHUTDOWN.
 *
 * The machine makes packets, never sends them: drain {@linkcode RendezvousHandshake.takeOutput}
 * after every call. Time is an argument (microseconds, the caller's monotonic clock).
 *
 * @module
 */

import { toTimestamp } from "./timestamp.ts";
import { ControlType, decodeControlPacket, encodeControlPacket } from "./control_packet.ts";
import { type AcceptedInit, liveSrtFlags, type PeerAddress, SRT_VERSION } from "./connection.ts";
import { negotiateFilter } from "./fec_config.ts";
import { type Handshake, HsType, isRejection, REJECTION_BASE } from "./handshake.ts";
import { ExtFlags, ExtType, type HandshakeExt, type HsReqExt } from "./handshake_ext.ts";
import type { ResolvedOptions } from "./options.ts";
import { RejectReason } from "./reject_reason.ts";
import { cookieContest } from "./rendezvous_cookie.ts";

/**
 * libsrt's `RendezvousState` names, plus the end states.
 *
 * @example
 * ```ts
 * import { type RendezvousState, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const hs = endpoint.rendezvous(0, { hostname: "198.51.100.7", port: 9000 });
 * const state: RendezvousState = hs.state;
 * console.log(state); // "waving" until the peer's first handshake arrives
 * ```
 */
export type RendezvousState =
  | "waving"
  | "attention"
  | "fine"
  | "initiated"
  | "connected"
  | "failed";

/**
 * Handshake role after the cookie contest.
 *
 * @example
 * ```ts
 * import { type RendezvousRole, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const hs = endpoint.rendezvous(0, { hostname: "198.51.100.7", port: 9000 });
 * // Decided by the cookie contest once both sides have waved.
 * const role: RendezvousRole | undefined = hs.role;
 * console.log(role ?? "not decided yet");
 * ```
 */
export type RendezvousRole = "initiator" | "responder";

/**
 * Key-material hooks, so that the crypto layer (e.g. `CryptoControl`) can be plugged in
 * without this module knowing it. All optional; without them no KM extension is sent.
 *
 * @example
 * ```ts
 * import type { RendezvousKeyMaterial } from "@tsrt/tsrt";
 * // Hooks that send no KMREQ and refuse a peer that encrypts (SRT_REJ_UNSECURE, 11).
 * const clearOnly: RendezvousKeyMaterial = {
 *   respond: (kmreq) => (kmreq ? { reject: 11 } : undefined),
 *   accept: (kmrsp) => (kmrsp ? 11 : undefined),
 * };
 * console.log(Object.keys(clearOnly));
 * ```
 */
export interface RendezvousKeyMaterial {
  /** Initiator: the KMREQ message to attach to CONCLUSION+HSREQ. */
  request?(): Uint8Array;
  /** Responder: answers the peer's KMREQ with a KMRSP, or refuses with a reject reason. */
  respond?(kmreq: Uint8Array | undefined): { kmrsp: Uint8Array } | { reject: number } | undefined;
  /** Initiator: checks the peer's KMRSP; returns a reject reason to fail, else undefined. */
  accept?(kmrsp: Uint8Array | undefined): number | undefined;
}

/**
 * Parameters of one rendezvous attempt.
 *
 * @example
 * ```ts
 * import type { RendezvousInit } from "@tsrt/tsrt";
 * // SrtEndpoint.rendezvous() builds this from the options; a custom driver builds its own.
 * function describe(init: RendezvousInit): string {
 *   return `socket ${init.socketId} meets ${init.peer.hostname}:${init.peer.port}`;
 * }
 * console.log(typeof describe);
 * ```
 */
export interface RendezvousInit {
  /** This side's socket ID. */
  readonly socketId: number;
  /** The peer's address (its text goes into the Peer IP field). */
  readonly peer: PeerAddress;
  /** Resolved options (latency, MSS, flow window, PBKEYLEN...). */
  readonly options: ResolvedOptions;
  /** Start of this side's clock (us); handshake timestamps count from here. */
  readonly startUs: number;
  /** First sequence number this side sends (each rendezvous side keeps its own). */
  readonly initialSeq: number;
  /** This side's cookie, non-zero (libsrt bakes it from address, port and time). */
  readonly cookie: number;
  /** `SRTO_PACKETFILTER` (`""` or absent for none); both sides must send the same string. */
  readonly packetFilter?: string;
  /** Key-material hooks. */
  readonly keyMaterial?: RendezvousKeyMaterial;
  /** Give up after this long without connecting (us); default 10 × the connect timeout. */
  readonly timeoutUs?: number;
  /** Apply libsrt 1.5.5's cookie tie-break (default true). */
  readonly cookieTieBreak?: boolean;
}

/**
 * What a finished rendezvous agreed, shaped for `SrtConnection.accepted()`.
 *
 * @example
 * ```ts
 * import { type RendezvousResult, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const hs = endpoint.rendezvous(0, { hostname: "198.51.100.7", port: 9000 });
 * // Once hs.state is "connected":
 * const result: RendezvousResult | undefined = hs.result;
 * if (result) console.log(result.role, result.init.rcvLatency, result.packetFilter);
 * ```
 */
export interface RendezvousResult {
  /** The connection parameters (no `crypto`: the KM hooks' owner adds it). */
  readonly init: AcceptedInit;
  /** The role the contest gave this side. */
  readonly role: RendezvousRole;
  /** The packet filter in force (`""` for none). */
  readonly packetFilter: string;
}

const RESEND_US = 250_000;

/**
 * One side of an HSv5 rendezvous.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RendezvousHandshake, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const hs: RendezvousHandshake = endpoint.rendezvous(0, { hostname: "198.51.100.7", port: 9000 });
 * // It waves (sends WAVEAHAND) at once and every 250 ms until the peer answers.
 * const out: Uint8Array[] = [];
 * endpoint.drain((d) => out.push(d));
 * assert.equal(out.length, 1);
 * assert.equal(hs.state, "waving");
 * ```
 */
export class RendezvousHandshake {
  readonly #init: RendezvousInit;
  readonly #out: Uint8Array[] = [];
  #state: RendezvousState = "waving";
  #role: RendezvousRole | undefined;
  #peerSocketId = 0;
  #peerCookie = 0;
  #peerHs: Handshake | undefined;
  #peerSrt: HsReqExt | undefined;
  #peerSrtTimestamp = 0;
  #peerSrtArrival = 0;
  #peerKm: Uint8Array | undefined;
  #filter = "";
  #rcvLatency = 0;
  #sndLatency = 0;
  #current: Handshake | undefined;
  #nextSendUs = 0;
  #deadlineUs: number;
  #result: RendezvousResult | undefined;
  #failure: number | undefined;
  #lastUs: number;

  /**
   * Creates the machine and queues the first WAVEAHAND.
   *
   * @param now current time (us)
   * @param init this side's parameters
   */
  constructor(now: number, init: RendezvousInit) {
    if ((init.cookie | 0) === 0) throw new RangeError("a rendezvous cookie must not be 0");
    this.#init = init;
    this.#lastUs = now;
    this.#deadlineUs = now + (init.timeoutUs ?? init.options.connectTimeout * 10_000);
    this.#send(now, this.#make(HsType.WAVEAHAND, 0, []));
  }

  /** Current state. */
  get state(): RendezvousState {
    return this.#state;
  }

  /** The role, once the cookie contest was decided. */
  get role(): RendezvousRole | undefined {
    return this.#role;
  }

  /** The agreed parameters once `connected`. */
  get result(): RendezvousResult | undefined {
    return this.#result;
  }

  /** The reject reason once `failed` (SRT_REJ_*: 9 RDVCOOKIE, 14 FILTER, 16 TIMEOUT, ...). */
  get failure(): number | undefined {
    return this.#failure;
  }

  /** When {@linkcode RendezvousHandshake.tick} next has something to do (us). */
  get nextTimerUs(): number {
    return this.#state === "connected" || this.#state === "failed"
      ? Infinity
      : Math.min(this.#nextSendUs, this.#deadlineUs);
  }

  /** Takes the packets to send to the peer, oldest first. */
  takeOutput(): Uint8Array[] {
    return this.#out.splice(0);
  }

  /**
   * Timer: repeats the current handshake every 250 ms (WAVEAHAND, or this side's latest
   * CONCLUSION; AGREEMENT is never repeated on a timer) and fails at the deadline.
   *
   * @param now current time (us)
   */
  tick(now: number): void {
    if (this.#state === "connected" || this.#state === "failed") return;
    this.#lastUs = now;
    if (now >= this.#deadlineUs) {
      this.#fail(RejectReason.TIMEOUT);
      return;
    }
    if (now >= this.#nextSendUs && this.#current) this.#send(now, this.#current);
  }

  /**
   * Takes any packet from the peer's address. Handshakes drive the state machine; anything
   * else (data, keep-alive, ACK...) counts as the Responder's "the Initiator is connected".
   *
   * @param now arrival time (us)
   * @param datagram the UDP payload
   */
  receive(now: number, datagram: Uint8Array): void {
    if (this.#state === "failed" || datagram.length < 16) return;
    this.#lastUs = now;
    // Control type 0 (HANDSHAKE) is bytes 0x80 0x00; anything else is another packet.
    if (datagram[0] !== 0x80 || datagram[1] !== 0) {
      this.#otherPacket(now);
      return;
    }
    let pkt;
    try {
      pkt = decodeControlPacket(datagram);
    } catch {
      return;
    }
    if (pkt.type !== ControlType.HANDSHAKE) {
      this.#otherPacket(now);
      return;
    }
    this.#onHandshake(now, pkt.handshake, pkt.timestamp);
  }

  #otherPacket(now: number): void {
    if (this.#state === "initiated" && this.#role === "responder" && this.#peerSrt) {
      this.#connect(now);
    }
  }

  #onHandshake(now: number, hs: Handshake, timestamp: number): void {
    if (isRejection(hs.type)) {
      this.#fail(hs.type - REJECTION_BASE, false);
      return;
    }
    if (hs.version !== 5) return; // HSv4 rendezvous is not supported
    this.#peerSocketId = hs.socketId;
    this.#peerHs = hs;
    if (this.#role === undefined) {
      this.#peerCookie = hs.cookie;
      const r = cookieContest(this.#init.cookie, hs.cookie, this.#init.cookieTieBreak ?? true);
      if (r === "not-ready") return;
      if (r === "draw") {
        this.#fail(RejectReason.RDVCOOKIE);
        return;
      }
      this.#role = r;
    }
    const initiator = this.#role === "initiator";
    const withExt = (hs.extension & 0xffff) !== 0;
    const type = hs.type >>> 0;
    switch (this.#state) {
      case "waving":
        if (type === HsType.WAVEAHAND) {
          this.#state = "attention";
          this.#sendConclusion(now, initiator ? "hsreq" : "empty");
        } else if (type === HsType.CONCLUSION) {
          this.#state = "fine";
          if (initiator) this.#sendConclusion(now, "hsreq");
          else this.#answerHsreq(now, hs, timestamp);
        }
        return;
      case "attention":
        if (type === HsType.WAVEAHAND) {
          this.#sendConclusion(now, initiator ? "hsreq" : "empty");
        } else if (type === HsType.CONCLUSION) {
          if (!withExt) this.#sendConclusion(now, initiator ? "hsreq" : "empty");
          else if (initiator) this.#takeHsrsp(now, hs, timestamp);
          else {
            this.#state = "initiated";
            this.#answerHsreq(now, hs, timestamp);
          }
        } else if (type === HsType.AGREEMENT) {
          if (initiator) this.#takeHsrsp(now, hs, timestamp);
          else if (this.#peerSrt) this.#sendConclusion(now, "hsrsp");
        }
        return;
      case "fine":
        if (type === HsType.CONCLUSION) {
          if (initiator && withExt) this.#takeHsrsp(now, hs, timestamp);
          else if (initiator) this.#sendConclusion(now, "hsreq");
          else this.#answerHsreq(now, hs, timestamp);
        } else if (type === HsType.AGREEMENT && this.#peerSrt) {
          this.#connect(now);
        }
        return;
      case "initiated":
        if (type === HsType.AGREEMENT) this.#connect(now);
        else if (type === HsType.CONCLUSION) this.#answerHsreq(now, hs, timestamp);
        return;
      case "connected":
        // The peer missed our last word: repeat it (AGREEMENT, or CONCLUSION+HSRSP).
        if (type === HsType.CONCLUSION) {
          if (initiator) this.#sendAgreement(now);
          else this.#sendConclusion(now, "hsrsp");
        }
        return;
    }
  }

  /** Responder: interpret the peer's HSREQ (if it came) and answer CONCLUSION+HSRSP. */
  #answerHsreq(now: number, hs: Handshake, timestamp: number): void {
    const hsreq = findSrt(hs, ExtType.HSREQ);
    if (hsreq === undefined) {
      if (this.#peerSrt) this.#sendConclusion(now, "hsrsp");
      else this.#sendConclusion(now, "empty");
      return;
    }
    if (this.#peerSrt === undefined) {
      const o = this.#init.options;
      const f = negotiateFilter(
        this.#init.packetFilter ?? "",
        findString(hs, ExtType.FILTER),
        "responder",
        true,
      );
      if (!f.ok) {
        this.#fail(f.reason);
        return;
      }
      const km = this.#init.keyMaterial?.respond?.(findKm(hs, ExtType.KMREQ));
      if (km && "reject" in km) {
        this.#fail(km.reject);
        return;
      }
      this.#peerKm = km?.kmrsp;
      this.#filter = f.config;
      this.#peerSrt = hsreq;
      this.#peerSrtTimestamp = timestamp;
      this.#peerSrtArrival = now;
      this.#rcvLatency = Math.max(o.rcvLatency, hsreq.sendTsbpdDelay);
      this.#sndLatency = Math.max(o.peerLatency, hsreq.recvTsbpdDelay);
    }
    if (this.#state !== "connected") this.#state = "initiated";
    this.#sendConclusion(now, "hsrsp");
  }

  /** Initiator: interpret the peer's HSRSP, connect and send AGREEMENT. */
  #takeHsrsp(now: number, hs: Handshake, timestamp: number): void {
    const o = this.#init.options;
    const hsrsp = findSrt(hs, ExtType.HSRSP);
    if (hsrsp === undefined) {
      // AGREEMENT without a previous HSRSP: libsrt connects with what it has.
      if (this.#peerSrt === undefined) {
        this.#rcvLatency = o.rcvLatency;
        this.#sndLatency = o.peerLatency;
        this.#peerSrtTimestamp = timestamp;
        this.#peerSrtArrival = now;
      }
      this.#connect(now);
      return;
    }
    const f = negotiateFilter(
      this.#init.packetFilter ?? "",
      findString(hs, ExtType.FILTER),
      "initiator",
      true,
    );
    if (!f.ok) {
      this.#fail(f.reason);
      return;
    }
    const kmReject = this.#init.keyMaterial?.accept?.(findKm(hs, ExtType.KMRSP));
    if (kmReject !== undefined) {
      this.#fail(kmReject);
      return;
    }
    this.#filter = f.config;
    this.#peerSrt = hsrsp;
    this.#peerSrtTimestamp = timestamp;
    this.#peerSrtArrival = now;
    this.#rcvLatency = Math.max(hsrsp.sendTsbpdDelay, o.rcvLatency);
    this.#sndLatency = Math.max(hsrsp.recvTsbpdDelay, o.peerLatency);
    this.#connect(now);
    this.#sendAgreement(now);
  }

  #connect(now: number): void {
    if (this.#state === "connected") return;
    const peer = this.#peerHs!;
    const i = this.#init;
    this.#state = "connected";
    this.#current = undefined;
    this.#result = {
      role: this.#role!,
      packetFilter: this.#filter,
      init: {
        socketId: i.socketId,
        peer: i.peer,
        options: i.options,
        startUs: i.startUs,
        initialSeq: i.initialSeq,
        peerSocketId: this.#peerSocketId,
        peerInitialSeq: peer.initialSeq,
        rcvLatency: this.#rcvLatency,
        sndLatency: this.#sndLatency,
        mss: Math.min(i.options.mss, peer.mss),
        peerFlowWindow: peer.flowWindow,
        tsbpdBaseUs: this.#peerSrtArrival - this.#peerSrtTimestamp,
        streamId: undefined,
      },
    };
    this.#lastUs = now;
  }

  #sendAgreement(now: number): void {
    this.#send(now, this.#make(HsType.AGREEMENT, 0, []), false);
  }

  #sendConclusion(now: number, kind: "empty" | "hsreq" | "hsrsp"): void {
    const o = this.#init.options;
    if (kind === "empty") {
      this.#send(now, this.#make(HsType.CONCLUSION, 0, []));
      return;
    }
    const exts: HandshakeExt[] = [];
    let flags = ExtFlags.HSREQ;
    if (kind === "hsreq") {
      exts.push({
        type: ExtType.HSREQ,
        version: SRT_VERSION,
        flags: liveSrtFlags(o),
        recvTsbpdDelay: o.rcvLatency,
        sendTsbpdDelay: o.peerLatency,
      });
    } else {
      exts.push({
        type: ExtType.HSRSP,
        version: SRT_VERSION,
        flags: liveSrtFlags(o),
        recvTsbpdDelay: this.#rcvLatency,
        sendTsbpdDelay: this.#sndLatency,
      });
    }
    const filter = kind === "hsreq" ? (this.#init.packetFilter ?? "") : this.#filter;
    if (filter !== "") {
      exts.push({ type: ExtType.FILTER, value: filter });
      flags |= ExtFlags.CONFIG;
    }
    const km = kind === "hsreq" ? this.#init.keyMaterial?.request?.() : this.#peerKm;
    if (km !== undefined) {
      exts.push({ type: kind === "hsreq" ? ExtType.KMREQ : ExtType.KMRSP, data: km });
      flags |= ExtFlags.KMREQ;
    }
    this.#send(now, this.#make(HsType.CONCLUSION, flags, exts));
  }

  #make(type: number, extFlags: number, extensions: HandshakeExt[]): Handshake {
    const o = this.#init.options;
    return {
      version: 5,
      encryption: o.pbkeylen / 8,
      extension: extFlags,
      initialSeq: this.#init.initialSeq,
      mss: o.mss,
      flowWindow: o.flowWindow,
      type,
      socketId: this.#init.socketId,
      cookie: this.#init.cookie >>> 0,
      peerIp: this.#init.peer.hostname,
      extensions,
    };
  }

  #send(now: number, hs: Handshake, repeat = true): void {
    if (repeat) {
      this.#current = hs;
      this.#nextSendUs = now + RESEND_US;
    }
    this.#out.push(encodeControlPacket({
      type: ControlType.HANDSHAKE,
      timestamp: toTimestamp(now - this.#init.startUs),
      destSocketId: this.#peerSocketId,
      handshake: hs,
    }));
  }

  #fail(reason: number, tell = true): void {
    if (this.#state === "failed") return;
    this.#state = "failed";
    this.#failure = reason;
    this.#current = undefined;
    if (tell && this.#peerSocketId !== 0 && reason !== RejectReason.TIMEOUT) {
      const hs = this.#make(REJECTION_BASE + reason, 0, []);
      this.#out.push(encodeControlPacket({
        type: ControlType.HANDSHAKE,
        timestamp: toTimestamp(this.#lastUs - this.#init.startUs),
        destSocketId: this.#peerSocketId,
        handshake: hs,
      }));
    }
  }

  /** The peer's cookie, once a handshake from it arrived (0 before). */
  get peerCookie(): number {
    return this.#peerCookie;
  }
}

function findSrt(hs: Handshake, type: 1 | 2): HsReqExt | undefined {
  return hs.extensions.find((e): e is HsReqExt => e.type === type && !("unknown" in e));
}

function findString(hs: Handshake, type: 5 | 6 | 7): string | undefined {
  const e = hs.extensions.find((x) => x.type === type && "value" in x);
  return e && "value" in e ? e.value : undefined;
}

function findKm(hs: Handshake, type: 3 | 4): Uint8Array | undefined {
  const e = hs.extensions.find((x) => x.type === type && "data" in x && !("unknown" in x));
  return e && "data" in e ? e.data : undefined;
}
