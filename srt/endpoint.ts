/**
 * A sans-IO endpoint: everything behind one UDP socket. It routes each datagram to the
 * listener (destination socket ID 0) or to the connection that owns the destination socket
 * ID, collects what all of them want to send, and reports the earliest deadline. The real
 * UDP adapter and the network simulator both drive SRT through this one class.
 *
 * @module
 */

import { DeadlineHeap } from "./_deadline_heap.ts";
import { isControlPacket, packetDestSocketId } from "./data_packet.ts";
import { HEADER_SIZE } from "./data_packet.ts";
import { type ConnectionEvent, type PeerAddress, SrtConnection } from "./connection.ts";
import type { GroupExt } from "./handshake_ext.ts";
import { type ConnectionRequest, type RandomU32, SrtListener } from "./listener.ts";
import { type ResolvedOptions, resolveOptions, type SrtOptions } from "./options.ts";
import { randomBytesFrom } from "./random_bytes.ts";
import { RendezvousHandshake } from "./rendezvous.ts";
import { rendezvousKeyMaterial, type RendezvousKm } from "./rendezvous_km.ts";
import { SrtError } from "./errors.ts";
import { RejectReason, rejectReasonName } from "./reject_reason.ts";

/**
 * An event of one of the endpoint's connections.
 *
 * @example
 * ```ts
 * import { type EndpointEvent, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * endpoint.drain(() => {});
 * for (let e: EndpointEvent | undefined = endpoint.pollEvent(); e; e = endpoint.pollEvent()) {
 *   console.log(e.connection.socketId, e.event.kind);
 * }
 * ```
 */
export interface EndpointEvent {
  /** The connection concerned. */
  readonly connection: SrtConnection;
  /** What happened. */
  readonly event: ConnectionEvent;
}

/**
 * A rendezvous that ended without a connection.
 *
 * @example
 * ```ts
 * import { type RendezvousFailure, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * endpoint.rendezvous(0, { hostname: "198.51.100.7", port: 9000 });
 * // ...after the drive loop has run:
 * const failure: RendezvousFailure | undefined = endpoint.pollFailure();
 * if (failure) console.error(failure.peer.hostname, failure.error.code, failure.error.reason);
 * ```
 */
export interface RendezvousFailure {
  /** The peer it was meant to meet. */
  readonly peer: PeerAddress;
  /** The rendezvous machine (its `failure` is the reject reason). */
  readonly handshake: RendezvousHandshake;
  /** Why: `CONNECTION_TIMEOUT` or `CONNECTION_REJECTED`, with the SRT_REJ_* `reason`. */
  readonly error: SrtError;
}

interface RendezvousEntry {
  readonly peer: PeerAddress;
  readonly rdv: RendezvousHandshake;
  readonly km: RendezvousKm;
  readonly socketId: number;
  readonly options: ResolvedOptions;
  conn: SrtConnection | undefined;
}

const peerKey = (p: PeerAddress): string => `${p.hostname} ${p.port}`;

/**
 * Counters of datagrams the endpoint could not route.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type EndpointCounters, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * endpoint.handleDatagram(0, new Uint8Array(3), { hostname: "192.0.2.1", port: 1234 });
 * const c: EndpointCounters = endpoint.counters;
 * assert.equal(c.runts, 1); // too short to be SRT, counted and dropped
 * ```
 */
export interface EndpointCounters {
  /** Datagrams shorter than an SRT header. */
  runts: number;
  /** Datagrams for a socket ID that does not exist here. */
  unknownSocket: number;
  /** Datagrams for a known socket ID from an address other than its peer's. */
  wrongPeer: number;
  /** Connection requests arriving while not listening. */
  notListening: number;
}

/**
 * Everything behind one UDP socket: an optional listener and any number of connections.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type PeerAddress, SrtEndpoint } from "@tsrt/tsrt";
 * const rng = () => crypto.getRandomValues(new Uint32Array(1))[0];
 * const A: PeerAddress = { hostname: "10.0.0.1", port: 5000 };
 * const B: PeerAddress = { hostname: "10.0.0.2", port: 9000 };
 * const caller = new SrtEndpoint(rng);
 * const server = new SrtEndpoint(rng);
 * server.listen(0, { latency: 120 });
 * const conn = caller.connect(0, B, { streamId: "cam1" });
 * const received: Uint8Array[] = [];
 * // The whole network: every datagram arrives 1 ms after it was sent, in virtual time.
 * let now = 0;
 * const step = () => {
 *   now += 1000;
 *   caller.handleTimeout(now);
 *   server.handleTimeout(now);
 *   caller.drain((d) => server.handleDatagram(now, d, A));
 *   server.drain((d) => caller.handleDatagram(now, d, B), (_c, p) => received.push(p));
 *   for (let r = server.pollRequest(); r; r = server.pollRequest()) server.accept(now, r);
 * };
 * while (conn.state !== "connected") step();
 * caller.send(now, conn, new TextEncoder().encode("hello"));
 * while (received.length === 0) step(); // delivered at its TSBPD time, 120 ms later
 * assert.equal(new TextDecoder().decode(received[0]), "hello");
 * ```
 */
export class SrtEndpoint {
  /** Routing counters. */
  readonly counters: EndpointCounters = {
    runts: 0,
    unknownSocket: 0,
    wrongPeer: 0,
    notListening: 0,
  };

  #rng: RandomU32;
  #listener: SrtListener | undefined;
  #conns = new Map<number, SrtConnection>();
  #active = new Set<SrtConnection>();
  // Connection timers: each connection's earliest known deadline, and a heap of them, so that
  // finding the next wake-up does not visit every connection for every datagram.
  #deadline = new Map<SrtConnection, number>();
  #timers = new DeadlineHeap<SrtConnection>();
  #events: EndpointEvent[] = [];
  #rdvs = new Map<string, RendezvousEntry>();
  #rdvFailures: RendezvousFailure[] = [];

  /**
   * Creates an endpoint.
   *
   * @param rng Random 32-bit integers (socket IDs, sequence numbers, cookies).
   */
  constructor(rng: RandomU32) {
    this.#rng = rng;
  }

  /** The listener, once {@linkcode SrtEndpoint.listen} has been called. */
  get listener(): SrtListener | undefined {
    return this.#listener;
  }

  /** Live connections by socket ID. */
  get connections(): ReadonlyMap<number, SrtConnection> {
    return this.#conns;
  }

  /**
   * Starts accepting callers.
   *
   * @param now Current time in microseconds.
   * @param options Defaults for accepted connections.
   * @param maxPending Most handshakes in progress at once.
   */
  listen(now: number, options: SrtOptions = {}, maxPending?: number): SrtListener {
    this.#listener = new SrtListener(
      now,
      options,
      this.#rng,
      (id) => this.#conns.has(id),
      maxPending,
    );
    return this.#listener;
  }

  /**
   * Starts a caller connection to `peer`.
   *
   * @param now Current time in microseconds.
   * @param peer The listener's address.
   * @param options This side's options.
   * @param member For a member of a socket group: the GROUP extension to send and, when the
   *   group already has a sequence, the initial sequence number to use.
   * @throws {RangeError} for invalid options.
   */
  connect(
    now: number,
    peer: PeerAddress,
    options: SrtOptions = {},
    member?: { readonly group: GroupExt; readonly initialSeq?: number },
  ): SrtConnection {
    const socketId = this.#newSocketId();
    const isn = this.#rng() & 0x7fffffff; // drawn after the socket ID, always (test harnesses count on it)
    const conn = SrtConnection.connect(now, {
      socketId,
      peer,
      options: resolveOptions(options),
      initialSeq: member?.initialSeq ?? isn,
      randomBytes: randomBytesFrom(this.#rng),
      group: member?.group,
    });
    this.#conns.set(conn.socketId, conn);
    this.#active.add(conn);
    return conn;
  }

  /**
   * Starts an HSv5 rendezvous with `peer`: both sides call this, each aimed at the other's
   * address. When it succeeds a connection appears (its "connected" event comes out of
   * {@linkcode SrtEndpoint.pollEvent}); when it fails {@linkcode SrtEndpoint.pollFailure}
   * says why. Handshakes from `peer` keep going to the machine while the connection lives,
   * so a repeated CONCLUSION still gets its AGREEMENT or HSRSP.
   *
   * @param now Current time in microseconds.
   * @param peer The other side's address.
   * @param options This side's options (`packetFilter` and the passphrase must match the peer's).
   * @returns The rendezvous machine (for its state and role).
   * @throws {RangeError} for invalid options, or when a rendezvous with `peer` is under way.
   */
  rendezvous(now: number, peer: PeerAddress, options: SrtOptions = {}): RendezvousHandshake {
    const key = peerKey(peer);
    const old = this.#rdvs.get(key);
    if (old && old.conn?.state !== "closed" && old.rdv.state !== "failed") {
      throw new RangeError(`a rendezvous with ${peer.hostname}:${peer.port} is already under way`);
    }
    const resolved = resolveOptions(options);
    const socketId = this.#newSocketId();
    const initialSeq = this.#rng() & 0x7fffffff;
    let cookie = 0;
    while (cookie === 0) cookie = this.#rng() | 0;
    const randomBytes = randomBytesFrom(this.#rng);
    const km = rendezvousKeyMaterial(resolved, randomBytes);
    const rdv = new RendezvousHandshake(now, {
      socketId,
      peer,
      options: resolved,
      startUs: now,
      initialSeq,
      cookie,
      packetFilter: resolved.packetFilter,
      keyMaterial: km.hooks,
    });
    this.#rdvs.set(key, { peer, rdv, km, socketId, options: resolved, conn: undefined });
    return rdv;
  }

  /** Next rendezvous that failed (after {@linkcode SrtEndpoint.drain}). */
  pollFailure(): RendezvousFailure | undefined {
    return this.#rdvFailures.shift();
  }

  /** Next connection request (only when listening). */
  pollRequest(): ConnectionRequest | undefined {
    return this.#listener?.pollRequest();
  }

  /**
   * Does the slow part of {@linkcode SrtEndpoint.accept} (opening the caller's key material)
   * ahead, so that an adapter can read its clock after it and give accept() a `now` that is
   * still true when the response leaves: the caller sets its TSBPD base from that response's
   * timestamp. Pass the same `overrides` object to both. Optional.
   *
   * @param request A request from {@linkcode SrtEndpoint.pollRequest}.
   * @param overrides The options accept() will be given.
   */
  prepareAccept(request: ConnectionRequest, overrides?: SrtOptions): void {
    this.#listener?.prepare(request, overrides);
  }

  /** Accepts a request; see {@linkcode SrtListener.accept}. */
  accept(
    now: number,
    request: ConnectionRequest,
    overrides?: SrtOptions,
  ): SrtConnection | undefined {
    const conn = this.#listener?.accept(now, request, overrides);
    if (conn) {
      this.#conns.set(conn.socketId, conn);
      this.#active.add(conn);
    }
    return conn;
  }

  /** Rejects a request; see {@linkcode SrtListener.reject}. */
  reject(now: number, request: ConnectionRequest, reason?: number): void {
    this.#listener?.reject(now, request, reason);
  }

  /** Sends a payload on one of this endpoint's connections. */
  send(now: number, conn: SrtConnection, payload: Uint8Array): void {
    conn.send(now, payload);
    this.#active.add(conn);
  }

  /**
   * Marks a connection as touched from outside (a socket group sending on it or moving its
   * sequence): its datagrams go out and its deadline is refreshed at the next drain.
   */
  touch(conn: SrtConnection): void {
    this.#active.add(conn);
  }

  /** Closes one connection (sends SHUTDOWN). */
  close(now: number, conn: SrtConnection): void {
    conn.close(now);
    this.#active.add(conn);
  }

  /** Routes one received datagram. Never throws on bad input. */
  handleDatagram(now: number, datagram: Uint8Array, from: PeerAddress): void {
    if (datagram.length < HEADER_SIZE) {
      this.counters.runts++;
      return;
    }
    const dest = packetDestSocketId(datagram);
    const r = this.#rdvs.size > 0 ? this.#rdvs.get(peerKey(from)) : undefined;
    if (r && (dest === 0 || dest === r.socketId)) {
      const handshake = datagram[0] === 0x80 && datagram[1] === 0;
      if (!r.conn || handshake) {
        r.rdv.receive(now, datagram);
        if (!r.conn) this.#afterRendezvous(now, r, handshake ? undefined : datagram);
        return;
      }
    }
    if (dest === 0) {
      if (!isControlPacket(datagram)) {
        this.counters.unknownSocket++;
      } else if (this.#listener) {
        this.#listener.handleDatagram(now, datagram, from);
      } else this.counters.notListening++;
      return;
    }
    const conn = this.#conns.get(dest);
    if (!conn) {
      this.counters.unknownSocket++;
      return;
    }
    if (conn.peer.port !== from.port || conn.peer.hostname !== from.hostname) {
      this.counters.wrongPeer++;
      return;
    }
    conn.handleDatagram(now, datagram);
    this.#active.add(conn);
  }

  /** Runs due timers of the listener and every connection. */
  handleTimeout(now: number): void {
    this.#listener?.handleTimeout(now);
    for (const r of this.#rdvs.values()) {
      if (!r.conn && r.rdv.nextTimerUs <= now) {
        r.rdv.tick(now);
        this.#afterRendezvous(now, r, undefined);
      }
    }
    this.#refreshActive();
    for (let e = this.#timers.peek(); e && e.t <= now; e = this.#timers.peek()) {
      this.#timers.pop();
      const conn = e.item;
      if (this.#deadline.get(conn) !== e.t) continue; // superseded by an earlier entry
      this.#deadline.delete(conn);
      const t = conn.pollTimeout();
      if (t === undefined) continue;
      if (t <= now) {
        conn.handleTimeout(now);
        this.#active.add(conn);
      } else this.#schedule(conn, t); // it moved later since: wait for it
    }
  }

  /** Records the current deadline of every connection touched since the last drain. */
  #refreshActive(): void {
    for (const conn of this.#active) {
      const t = conn.pollTimeout();
      if (t !== undefined) this.#schedule(conn, t);
    }
  }

  #schedule(conn: SrtConnection, t: number): void {
    const known = this.#deadline.get(conn);
    // A later deadline keeps the earlier entry: it surfaces early and is rescheduled then.
    if (known !== undefined && known <= t) return;
    this.#deadline.set(conn, t);
    this.#timers.push(t, conn);
  }

  /**
   * Hands every queued datagram to `send` and, when `deliver` is given, every payload ready for
   * the application to `deliver`; gathers connection events (read them with
   * {@linkcode SrtEndpoint.pollEvent}). Connections that closed are forgotten here.
   */
  drain(
    send: (datagram: Uint8Array, to: PeerAddress) => void,
    deliver?: (conn: SrtConnection, payload: Uint8Array) => void,
  ): void {
    const l = this.#listener;
    if (l) { for (let t = l.pollTransmit(); t; t = l.pollTransmit()) send(t.datagram, t.to); }
    for (const r of this.#rdvs.values()) {
      for (const d of r.rdv.takeOutput()) send(d, r.peer);
    }
    this.#refreshActive();
    for (const conn of this.#active) {
      for (let d = conn.pollTransmit(); d; d = conn.pollTransmit()) send(d, conn.peer);
      if (deliver) { for (let p = conn.pollPayload(); p; p = conn.pollPayload()) deliver(conn, p); }
      for (let e = conn.pollEvent(); e; e = conn.pollEvent()) {
        this.#events.push({ connection: conn, event: e });
      }
      if (conn.state === "closed") {
        this.#conns.delete(conn.socketId);
        this.#deadline.delete(conn);
      }
    }
    this.#active.clear();
    for (const [key, r] of this.#rdvs) {
      if (r.conn?.state === "closed" || r.rdv.state === "failed") this.#rdvs.delete(key);
    }
  }

  /** Next connection event, after {@linkcode SrtEndpoint.drain}. */
  pollEvent(): EndpointEvent | undefined {
    return this.#events.shift();
  }

  /** Earliest deadline of the listener and all connections, or undefined. */
  pollTimeout(): number | undefined {
    let t = this.#listener?.pollTimeout() ?? Infinity;
    for (const r of this.#rdvs.values()) {
      if (!r.conn && r.rdv.nextTimerUs < t) t = r.rdv.nextTimerUs;
    }
    this.#refreshActive();
    for (let e = this.#timers.peek(); e; e = this.#timers.peek()) {
      if (this.#deadline.get(e.item) === e.t) {
        if (e.t < t) t = e.t;
        break;
      }
      this.#timers.pop(); // superseded, or its connection is gone
    }
    return t === Infinity ? undefined : t;
  }

  #newSocketId(): number {
    let id = 0;
    do id = this.#rng() & 0x3fffffff; while (id === 0 || this.#conns.has(id) || this.#rdvUses(id));
    return id;
  }

  #rdvUses(id: number): boolean {
    for (const r of this.#rdvs.values()) if (r.socketId === id) return true;
    return false;
  }

  /** Turns a finished rendezvous into a connection, or a failed one into a failure. */
  #afterRendezvous(now: number, r: RendezvousEntry, trigger: Uint8Array | undefined): void {
    const rdv = r.rdv;
    if (rdv.state === "connected" && rdv.result) {
      const conn = SrtConnection.accepted(now, {
        ...rdv.result.init,
        randomBytes: randomBytesFrom(this.#rng),
        crypto: r.km.crypto,
        kmStats: r.km.kmStats,
        packetFilter: rdv.result.packetFilter,
      });
      r.conn = conn;
      this.#conns.set(conn.socketId, conn);
      this.#active.add(conn);
      // The Responder connects on the Initiator's first non-handshake packet: it is the
      // connection's first packet too.
      if (trigger) conn.handleDatagram(now, trigger);
    } else if (rdv.state === "failed") {
      r.km.clear();
      const reason = rdv.failure ?? RejectReason.UNKNOWN;
      const error = reason === RejectReason.TIMEOUT
        ? new SrtError("CONNECTION_TIMEOUT", "rendezvous timed out: the peer never answered", {
          reason,
        })
        : new SrtError(
          "CONNECTION_REJECTED",
          `rendezvous failed (${rejectReasonName(reason)})`,
          { reason },
        );
      this.#rdvFailures.push({ peer: r.peer, handshake: rdv, error });
    }
  }
}
