/**
 * The sans-IO listener side of the caller-listener handshake (HSv5).
 *
 * It answers INDUCTION requests with a SYN cookie, checks the cookie in CONCLUSION requests,
 * negotiates latency, and hands each new request to the application as a
 * {@linkcode ConnectionRequest}. The application then calls {@linkcode SrtListener.accept}
 * (getting an {@linkcode SrtConnection}) or {@linkcode SrtListener.reject}; the decision may
 * take time, since the caller repeats its CONCLUSION every 250 ms and repeats are ignored
 * while a request is pending. A CONCLUSION repeated after the decision gets the same answer
 * again (libsrt answers repeats; losing the first response would otherwise strand the caller).
 *
 * @module
 */

import {
  type ControlPacket,
  ControlType,
  decodeControlPacket,
  encodeControlPacket,
} from "./control_packet.ts";
import { HEADER_SIZE, isControlPacket, packetDestSocketId } from "./data_packet.ts";
import { SrtPacketError } from "./errors.ts";
import { type Handshake, HsType, REJECTION_BASE, SRT_MAGIC } from "./handshake.ts";
import {
  ExtFlags,
  ExtType,
  type GroupExt,
  type HandshakeExt,
  type HsReqExt,
  type StringExt,
} from "./handshake_ext.ts";
import {
  cryptoSettings,
  keyLengthFromField,
  liveSrtFlags,
  type PeerAddress,
  SRT_VERSION,
  SRT_VERSION_GCM,
  SrtConnection,
} from "./connection.ts";
import { CryptoControl, kmStateWord, type KmStats } from "./crypto_control.ts";
import { KmState } from "../crypto/km_state.ts";
import { KM_MAX_LENGTH } from "../crypto/key_material.ts";
import { type ResolvedOptions, resolveOptions, type SrtOptions } from "./options.ts";
import { randomBytesFrom, type RandomU32 } from "./random_bytes.ts";
import { checkRejectReason, RejectReason } from "./reject_reason.ts";
import { toTimestamp } from "./timestamp.ts";
import { negotiateFilter } from "./fec_config.ts";
import { sendsFilterExtension } from "./fec_filter.ts";
import {
  checkGroupRequest,
  type GroupRequestDecision,
  groupResponse,
  makeGroupId,
} from "./group_handshake.ts";

/**
 * A caller asking to connect, waiting for the application's decision.
 *
 * @example
 * ```ts
 * import { type ConnectionRequest, listen, RejectReason } from "@tsrt/tsrt";
 * const server = await listen({
 *   port: 0,
 *   hostname: "127.0.0.1",
 *   accept: (req: ConnectionRequest) => {
 *     if (!req.encrypted) return RejectReason.UNSECURE; // insist on encryption
 *     return req.streamId?.startsWith("#!::r=live/") ?? false;
 *   },
 * });
 * await server.close();
 * ```
 */
export interface ConnectionRequest {
  /** Where the caller is. */
  readonly peer: PeerAddress;
  /** The stream ID the caller sent, if any. */
  readonly streamId: string | undefined;
  /** The caller's socket ID. */
  readonly peerSocketId: number;
  /** The caller's SRT version (0x00MMmmpp). */
  readonly peerVersion: number;
  /** Latency the caller asked for when receiving, in ms. */
  readonly peerRcvLatency: number;
  /** Latency the caller asked of us when we receive, in ms. */
  readonly peerSndLatency: number;
  /**
   * Whether the caller encrypts (it sent a KMREQ). Its key material is opened only when the
   * request is accepted, with the passphrase of that decision (the accept overrides may set
   * one per stream ID).
   */
  readonly encrypted: boolean;
  /** The key length the caller uses, in bytes (0 when it does not encrypt). */
  readonly keyLength: number;
  /**
   * When the caller is a member of a socket group (its CONCLUSION carries GROUP and this
   * listener allows groups, `groupConnect`): the peer's group, its type and the member's
   * weight. Accepting it answers with this listener's mirror group for that peer group.
   */
  readonly group?: Extract<GroupRequestDecision, { ok: true }>;
}

/**
 * Counters kept by the listener.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ListenerCounters, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const listener = endpoint.listen(0);
 * const counters: ListenerCounters = listener.counters;
 * assert.equal(counters.accepted, 0);
 * ```
 */
export interface ListenerCounters {
  /** INDUCTION requests answered. */
  inductions: number;
  /** CONCLUSION requests with a wrong or stale cookie, ignored. */
  badCookies: number;
  /** Connections accepted. */
  accepted: number;
  /** Connections rejected. */
  rejected: number;
  /** Datagrams that were not valid handshakes, dropped. */
  invalid: number;
  /** Repeated CONCLUSIONs answered again. */
  repeats: number;
  /** Connections refused because the encryption did not match (wrong or missing passphrase). */
  rejectedCrypto: number;
}

export type { RandomU32 };

interface Pending {
  request: ConnectionRequest;
  hs: Handshake;
  /** A copy of the caller's KMREQ, opened at accept time. */
  kmreq: Uint8Array | undefined;
  arrivalUs: number;
  timestamp: number;
  /** The answer once decided, and the clock its timestamp counts from. */
  answer?: { hs: Handshake; startUs: number };
  expiresUs: number;
  /** What {@linkcode SrtListener.prepare} worked out, for the accept() with the same overrides. */
  prepared?: { overrides: SrtOptions; opts: ResolvedOptions; km: KmDecision };
}

/** The encryption decided for an accepted request (see `#openKm`). */
type KmDecision =
  | { reject: number }
  | { control?: CryptoControl; kmrsp?: Uint8Array; stats?: KmStats };

/** accept() and prepare() without overrides: one object, so that they match. */
const NO_OVERRIDES: SrtOptions = Object.freeze({});
const COOKIE_BUCKET_US = 60_000_000;
const DECIDED_KEEP_US = 30_000_000;
const PENDING_KEEP_US = 30_000_000;
/** Peer groups remembered with their mirror group IDs. */
const MAX_MIRRORS = 4096;

/**
 * The listener state machine. One per bound UDP socket that accepts callers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SrtEndpoint, SrtListener } from "@tsrt/tsrt";
 * const rng = () => crypto.getRandomValues(new Uint32Array(1))[0];
 * const server = new SrtEndpoint(rng);
 * const listener: SrtListener = server.listen(0, { latency: 200 });
 * const caller = new SrtEndpoint(rng);
 * caller.connect(0, { hostname: "10.0.0.2", port: 9000 });
 * // The caller's first datagram is an INDUCTION request the listener answers by itself.
 * caller.drain((d) => {
 *   assert.ok(SrtListener.wants(d));
 *   server.handleDatagram(0, d, { hostname: "10.0.0.1", port: 5000 });
 * });
 * assert.equal(listener.counters.inductions, 1);
 * ```
 */
export class SrtListener {
  /** Counters, for statistics. */
  readonly counters: ListenerCounters = {
    inductions: 0,
    badCookies: 0,
    accepted: 0,
    rejected: 0,
    invalid: 0,
    repeats: 0,
    rejectedCrypto: 0,
  };

  #options: ResolvedOptions;
  /** The options as given, so that accept overrides apply on top of every one of them. */
  #input: SrtOptions;
  #rng: RandomU32;
  #secret: number[];
  #startUs: number;
  #isSocketIdUsed: (id: number) => boolean;
  #pending = new Map<string, Pending>();
  #requests: ConnectionRequest[] = [];
  #tx: { datagram: Uint8Array; to: PeerAddress }[] = [];
  #maxPending: number;
  /** Mirror group ID for each peer group seen, oldest first (bounded). */
  #mirrors = new Map<number, number>();

  /**
   * Creates a listener.
   *
   * @param now Current time in microseconds.
   * @param options Defaults for accepted connections (latency and so on).
   * @param rng Random source for cookies, socket IDs and nothing else.
   * @param isSocketIdUsed Tells whether a socket ID is already taken on this UDP socket.
   * @param maxPending Most handshakes in progress at once; further callers are ignored.
   */
  constructor(
    now: number,
    options: SrtOptions,
    rng: RandomU32,
    isSocketIdUsed: (id: number) => boolean = () => false,
    maxPending = 1024,
  ) {
    this.#options = resolveOptions(options);
    this.#input = { ...options };
    this.#rng = rng;
    this.#secret = [rng(), rng(), rng(), rng()];
    this.#startUs = now;
    this.#isSocketIdUsed = isSocketIdUsed;
    this.#maxPending = maxPending;
  }

  /** True for datagrams this listener handles: control packets addressed to socket ID 0. */
  static wants(datagram: Uint8Array): boolean {
    return datagram.length >= HEADER_SIZE && isControlPacket(datagram) &&
      packetDestSocketId(datagram) === 0;
  }

  /** Next handshake answer to send, or undefined. */
  pollTransmit(): { datagram: Uint8Array; to: PeerAddress } | undefined {
    return this.#tx.shift();
  }

  /** Next new connection request for the application to decide on, or undefined. */
  pollRequest(): ConnectionRequest | undefined {
    return this.#requests.shift();
  }

  /** The earliest time (us) state needs cleaning up, or undefined. */
  pollTimeout(): number | undefined {
    let t: number | undefined;
    for (const p of this.#pending.values()) if (t === undefined || p.expiresUs < t) t = p.expiresUs;
    return t;
  }

  /** Forgets expired handshake state. */
  handleTimeout(now: number): void {
    for (const [k, p] of this.#pending) {
      if (p.expiresUs <= now) {
        this.#dropPrepared(p);
        this.#pending.delete(k);
      }
    }
  }

  /** Feeds a datagram addressed to socket ID 0. Never throws on bad input. */
  handleDatagram(now: number, datagram: Uint8Array, from: PeerAddress): void {
    let pkt: ControlPacket;
    try {
      pkt = decodeControlPacket(datagram);
    } catch (e) {
      if (e instanceof SrtPacketError) {
        this.counters.invalid++;
        return;
      }
      throw e;
    }
    if (pkt.type !== ControlType.HANDSHAKE) {
      this.counters.invalid++;
      return;
    }
    const hs = pkt.handshake;
    if (hs.type === HsType.INDUCTION) this.#onInduction(now, hs, from);
    else if (hs.type === HsType.CONCLUSION) this.#onConclusion(now, hs, pkt.timestamp, from);
    else this.counters.invalid++;
  }

  /**
   * Does the slow part of {@linkcode SrtListener.accept} ahead of it: opening the caller's key
   * material, which derives a key from the passphrase (about a millisecond, more on a cold
   * runtime). The response's timestamp is the `now` given to accept(), and the caller sets its
   * TSBPD base from it: an adapter that reads its clock after prepare() and before accept()
   * keeps that work out of the timestamp, as libsrt does by stamping when it sends. Optional;
   * accept() with other overrides (a different object) does the work itself.
   *
   * @param request A request from {@linkcode SrtListener.pollRequest}.
   * @param overrides The options accept() will be given, the same object.
   */
  prepare(request: ConnectionRequest, overrides: SrtOptions = NO_OVERRIDES): void {
    const p = this.#pending.get(pendingKey(request.peer, request.peerSocketId));
    if (!p || p.request !== request || p.answer) return;
    if (p.prepared?.overrides === overrides) return;
    this.#dropPrepared(p);
    const opts = this.#resolve(overrides);
    const km = this.#openKm(p.kmreq, opts, findHsReq(p.hs)?.version ?? 0);
    p.prepared = { overrides, opts, km };
  }

  /**
   * Accepts a request: creates the connection and queues the CONCLUSION response.
   *
   * @param now Current time in microseconds.
   * @param request A request from {@linkcode SrtListener.pollRequest}.
   * @param overrides Options for this connection (e.g. its own latency).
   * @returns The connection, already `connected`, or undefined when the request expired or
   * the encryption does not match (the caller then gets BADSECRET or UNSECURE, as from libsrt).
   */
  accept(
    now: number,
    request: ConnectionRequest,
    overrides: SrtOptions = NO_OVERRIDES,
  ): SrtConnection | undefined {
    const key = pendingKey(request.peer, request.peerSocketId);
    const p = this.#pending.get(key);
    if (!p || p.request !== request || p.answer) return undefined;
    let opts: ResolvedOptions;
    let km: KmDecision;
    if (p.prepared?.overrides === overrides) {
      ({ opts, km } = p.prepared);
      p.prepared = undefined;
    } else {
      this.#dropPrepared(p);
      opts = this.#resolve(overrides);
      km = this.#openKm(p.kmreq, opts, findHsReq(p.hs)?.version ?? 0);
    }
    if ("reject" in km) {
      this.counters.rejectedCrypto++;
      this.#decideReject(now, p, km.reject);
      return undefined;
    }
    const hsreq = findHsReq(p.hs)!;
    const peerFilter = findString(p.hs.extensions, ExtType.FILTER);
    const filter = negotiateFilter(opts.packetFilter, peerFilter, "responder", false);
    if (!filter.ok) {
      km.control?.clear();
      this.#decideReject(now, p, filter.reason);
      return undefined;
    }
    // Each direction's latency is the larger of what the receiver wants and what the sender asks.
    const rcvLatency = Math.max(opts.rcvLatency, hsreq.sendTsbpdDelay);
    const sndLatency = Math.max(opts.peerLatency, hsreq.recvTsbpdDelay);
    let socketId = 0;
    do socketId = this.#rng() & 0x3fffffff; while (
      socketId === 0 || this.#isSocketIdUsed(socketId)
    );
    const mss = Math.min(opts.mss, p.hs.mss);
    const g = request.group;
    const mirror = g ? this.#mirrorGroup(g.peerGroupId) : 0;
    const conn = SrtConnection.accepted(now, {
      socketId,
      peer: request.peer,
      options: opts,
      startUs: now,
      initialSeq: p.hs.initialSeq, // libsrt adopts the caller's ISN for its own sending.
      peerSocketId: p.hs.socketId,
      peerInitialSeq: p.hs.initialSeq,
      rcvLatency,
      sndLatency,
      mss,
      peerFlowWindow: p.hs.flowWindow,
      tsbpdBaseUs: p.arrivalUs - p.timestamp,
      streamId: request.streamId,
      crypto: km.control,
      kmStats: km.stats,
      randomBytes: randomBytesFrom(this.#rng),
      packetFilter: filter.config,
      membership: g && {
        groupId: mirror,
        peerGroupId: g.peerGroupId,
        type: g.type,
        syncOnMsgNo: g.syncOnMsgNo,
        weight: 0,
        peerWeight: g.weight,
      },
    });
    const exts: HandshakeExt[] = [{
      type: ExtType.HSRSP,
      version: km.control?.gcm ? SRT_VERSION_GCM : SRT_VERSION,
      flags: liveSrtFlags(opts),
      recvTsbpdDelay: rcvLatency,
      sendTsbpdDelay: sndLatency,
    }];
    let extFlags: number = ExtFlags.HSREQ;
    if (sendsFilterExtension("hsrsp", filter.config, hsreq.flags, peerFilter !== undefined)) {
      exts.push({ type: ExtType.FILTER, value: filter.config });
      extFlags |= ExtFlags.CONFIG;
    }
    if (km.kmrsp) {
      exts.push({ type: ExtType.KMRSP, data: km.kmrsp });
      extFlags |= ExtFlags.KMREQ;
    }
    if (g) {
      exts.push(groupResponse(mirror, g));
      extFlags |= ExtFlags.CONFIG;
    }
    const answer: Handshake = {
      version: 5,
      encryption: km.control ? km.control.keyLength / 8 : 0,
      extension: extFlags,
      initialSeq: p.hs.initialSeq,
      mss,
      flowWindow: opts.flowWindow,
      type: HsType.CONCLUSION,
      socketId,
      cookie: p.hs.cookie,
      peerIp: request.peer.hostname,
      extensions: exts,
    };
    p.answer = { hs: answer, startUs: now };
    p.expiresUs = now + DECIDED_KEEP_US;
    this.#sendAnswer(now, p);
    this.counters.accepted++;
    return conn;
  }

  /**
   * Rejects a request. The caller sees `reason` (for example 1403 FORBIDDEN, which goes on the
   * wire as handshake type 2403).
   */
  reject(now: number, request: ConnectionRequest, reason: number = RejectReason.FALLBACK): void {
    checkRejectReason(reason);
    const key = pendingKey(request.peer, request.peerSocketId);
    const p = this.#pending.get(key);
    if (!p || p.request !== request || p.answer) return;
    this.#decideReject(now, p, reason);
  }

  /** The mirror group for a peer group: one per peer group, the same for all its members. */
  #mirrorGroup(peerGroupId: number): number {
    let id = this.#mirrors.get(peerGroupId);
    if (id === undefined) {
      id = makeGroupId(this.#rng());
      if (this.#mirrors.size >= MAX_MIRRORS) {
        this.#mirrors.delete(this.#mirrors.keys().next().value!);
      }
    } else this.#mirrors.delete(peerGroupId);
    this.#mirrors.set(peerGroupId, id); // most recently used last
    return id;
  }

  #resolve(overrides: SrtOptions): ResolvedOptions {
    return Object.keys(overrides).length
      ? resolveOptions({ ...this.#input, ...overrides })
      : this.#options;
  }

  /** Wipes keys prepared for an accept() that will not use them. */
  #dropPrepared(p: Pending): void {
    const km = p.prepared?.km;
    if (km && "control" in km) km.control?.clear();
    p.prepared = undefined;
  }

  #decideReject(now: number, p: Pending, reason: number): void {
    this.#dropPrepared(p);
    p.answer = { hs: this.#rejection(p.hs, p.request.peer, reason), startUs: this.#startUs };
    p.expiresUs = now + DECIDED_KEEP_US;
    this.#sendAnswer(now, p);
    this.counters.rejected++;
  }

  /**
   * Decides the encryption of an accepted request, as libsrt's listener does: the caller's
   * KMREQ is opened with this connection's passphrase; with enforced encryption (the default)
   * a wrong passphrase is refused with BADSECRET and a passphrase on one side only with
   * UNSECURE. Without enforcement the connection goes ahead and the KM states say what works.
   */
  #openKm(
    kmreq: Uint8Array | undefined,
    opts: ResolvedOptions,
    peerVersion: number,
  ): KmDecision {
    const enforced = opts.enforcedEncryption;
    if (opts.passphrase === undefined) {
      if (kmreq === undefined) return {};
      if (enforced) return { reject: RejectReason.UNSECURE };
      return {
        kmrsp: kmStateWord(KmState.NOSECRET),
        stats: {
          kmState: KmState.NOSECRET,
          sndKmState: KmState.UNSECURED,
          rcvKmState: KmState.NOSECRET,
        },
      };
    }
    if (kmreq === undefined) {
      if (enforced) return { reject: RejectReason.UNSECURE };
      return {
        stats: {
          kmState: KmState.NOSECRET,
          sndKmState: KmState.NOSECRET,
          rcvKmState: KmState.UNSECURED,
        },
      };
    }
    const r = CryptoControl.forListener(
      cryptoSettings(opts, randomBytesFrom(this.#rng)),
      kmreq,
      opts.cryptoMode,
    );
    if (r.ok) {
      // tsrt speaks only libsrt 1.5.4's GCM format; an older peer would use another.
      if (r.control.gcm && peerVersion < SRT_VERSION_GCM) {
        r.control.clear();
        return { reject: RejectReason.CRYPTO };
      }
      return { control: r.control, kmrsp: r.kmrsp };
    }
    if (enforced) {
      return {
        reject: r.state === KmState.BADSECRET
          ? RejectReason.BADSECRET
          : r.state === KmState.BADCRYPTOMODE
          ? RejectReason.CRYPTO
          : RejectReason.UNSECURE,
      };
    }
    return {
      kmrsp: kmStateWord(r.state),
      stats: { kmState: r.state, sndKmState: r.state, rcvKmState: r.state },
    };
  }

  #cookie(now: number, peer: PeerAddress, bucketOffset = 0): number {
    const bucket = Math.floor(now / COOKIE_BUCKET_US) + bucketOffset;
    let h = this.#secret[0] ^ 0x811c9dc5;
    const mix = (v: number) => {
      h = Math.imul(h ^ v, 0x01000193);
      h ^= h >>> 15;
      h = Math.imul(h, 0x2c1b3c6d);
      h ^= h >>> 12;
    };
    for (let i = 0; i < peer.hostname.length; i++) mix(peer.hostname.charCodeAt(i));
    mix(peer.port);
    mix(bucket);
    mix(this.#secret[1]);
    mix(this.#secret[2]);
    mix(this.#secret[3]);
    return (h >>> 0) || 1;
  }

  #onInduction(now: number, hs: Handshake, from: PeerAddress): void {
    this.counters.inductions++;
    // Echo the request, changing version, magic, cookie and address (as libsrt does).
    const answer: Handshake = {
      ...hs,
      version: 5,
      // The listener's key length, if set, is advertised and wins (SRTO_PBKEYLEN).
      encryption: this.#options.pbkeylen / 8,
      extension: SRT_MAGIC,
      cookie: this.#cookie(now, from),
      peerIp: from.hostname,
      extensions: [],
    };
    this.#tx.push({
      datagram: encodeControlPacket({
        type: ControlType.HANDSHAKE,
        timestamp: toTimestamp(now - this.#startUs),
        destSocketId: hs.socketId,
        handshake: answer,
      }),
      to: from,
    });
  }

  #onConclusion(now: number, hs: Handshake, timestamp: number, from: PeerAddress): void {
    const key = pendingKey(from, hs.socketId);
    const known = this.#pending.get(key);
    if (known) {
      if (known.answer) {
        this.counters.repeats++;
        this.#sendAnswer(now, known);
      }
      return;
    }
    if (hs.cookie !== this.#cookie(now, from) && hs.cookie !== this.#cookie(now, from, -1)) {
      this.counters.badCookies++;
      return;
    }
    if (this.#pending.size >= this.#maxPending) {
      this.#tx.push({
        datagram: encodeControlPacket({
          type: ControlType.HANDSHAKE,
          timestamp: toTimestamp(now - this.#startUs),
          destSocketId: hs.socketId,
          handshake: this.#rejection(hs, from, RejectReason.BACKLOG),
        }),
        to: from,
      });
      this.counters.rejected++;
      return;
    }
    const hsreq = findHsReq(hs);
    const kmExt = hs.extensions.find((e) => e.type === ExtType.KMREQ && !("unknown" in e)) as
      | { data: Uint8Array }
      | undefined;
    const groupExt = hs.extensions.find((e): e is GroupExt =>
      e.type === ExtType.GROUP && !("unknown" in e)
    );
    const group = groupExt ? checkGroupRequest(groupExt, this.#options.groupConnect) : undefined;
    const request: ConnectionRequest = {
      peer: from,
      streamId: findString(hs.extensions, ExtType.SID),
      peerSocketId: hs.socketId,
      peerVersion: hsreq?.version ?? 0,
      peerRcvLatency: hsreq?.recvTsbpdDelay ?? 0,
      peerSndLatency: hsreq?.sendTsbpdDelay ?? 0,
      encrypted: kmExt !== undefined,
      keyLength: kmExt ? keyLengthFromField(hs.encryption) || (kmExt.data[15] ?? 0) * 4 : 0,
      ...(group?.ok ? { group } : {}),
    };
    // The KM is a view into the datagram: copy it for the decision, unless it is oversized.
    const kmOk = !kmExt || kmExt.data.length <= KM_MAX_LENGTH;
    const p: Pending = {
      request,
      hs,
      kmreq: kmExt && kmOk ? kmExt.data.slice() : undefined,
      arrivalUs: now,
      timestamp,
      expiresUs: now + PENDING_KEEP_US,
    };
    this.#pending.set(key, p);
    let reason = -1;
    if (hs.version !== 5) reason = RejectReason.VERSION;
    else if (!hsreq || (hs.extension & ExtFlags.HSREQ) === 0) reason = RejectReason.ROGUE;
    else if (!kmOk) reason = RejectReason.ROGUE;
    else if (group && !group.ok) reason = group.reason;
    else {
      const cc = findString(hs.extensions, ExtType.CONGESTION);
      if (cc !== undefined && cc !== "live") reason = RejectReason.CONGESTION;
      else {
        const peerFilter = findString(hs.extensions, ExtType.FILTER);
        if (!negotiateFilter(this.#options.packetFilter, peerFilter, "responder", false).ok) {
          reason = RejectReason.FILTER;
        }
      }
    }
    if (reason >= 0) {
      p.answer = { hs: this.#rejection(hs, from, reason), startUs: this.#startUs };
      p.expiresUs = now + DECIDED_KEEP_US;
      this.#sendAnswer(now, p);
      this.counters.rejected++;
      return;
    }
    this.#requests.push(request);
  }

  /** Sends a decided answer, stamped with the current time of the clock it belongs to. */
  #sendAnswer(now: number, p: Pending): void {
    const a = p.answer!;
    this.#tx.push({
      datagram: encodeControlPacket({
        type: ControlType.HANDSHAKE,
        timestamp: toTimestamp(now - a.startUs),
        destSocketId: p.hs.socketId,
        handshake: a.hs,
      }),
      to: p.request.peer,
    });
  }

  #rejection(hs: Handshake, to: PeerAddress, reason: number): Handshake {
    return {
      ...hs,
      type: REJECTION_BASE + reason,
      peerIp: to.hostname,
      extensions: [],
      extension: 0,
    };
  }
}

function pendingKey(peer: PeerAddress, socketId: number): string {
  return `${peer.hostname}|${peer.port}|${socketId}`;
}

function findHsReq(hs: Handshake): HsReqExt | undefined {
  return hs.extensions.find((e): e is HsReqExt => e.type === ExtType.HSREQ && !("unknown" in e));
}

function findString(exts: readonly HandshakeExt[], type: 5 | 6 | 7): string | undefined {
  const e = exts.find((x): x is StringExt => x.type === type && !("unknown" in x));
  return e?.value;
}
