/**
 * The async face of SRT: drives a sans-IO {@linkcode SrtEndpoint} over a UDP socket with one
 * timer, and wraps each connection as an {@linkcode SrtSocket} with Web Streams.
 *
 * @module
 */

import type { PeerAddress, SrtConnection } from "../srt/connection.ts";
import type { RendezvousFailure, SrtEndpoint } from "../srt/endpoint.ts";
import type { SrtError } from "../srt/errors.ts";
import type { SrtStats } from "../srt/stats.ts";
import type { KmStats } from "../srt/crypto_control.ts";
import { ReadQueue } from "./_read_queue.ts";
import type { UdpSocket } from "./udp.ts";

/** Current monotonic time in integer microseconds. */
export function nowUs(): number {
  return Math.round(performance.now() * 1000);
}

/** Random 32-bit unsigned integers from the platform's CSPRNG. */
export function cryptoRandomU32(): number {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0];
}

/**
 * An open SRT connection with Web Streams for the application.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect, listen, type SrtSocket } from "@tsrt/tsrt";
 * const server = await listen({ port: 0, hostname: "127.0.0.1" });
 * const caller: SrtSocket = await connect({ host: "127.0.0.1", port: server.address.port });
 * const peer = (await server.accept())!;
 * caller.send(new TextEncoder().encode("hello"));
 * const { value } = await peer.readable.getReader().read();
 * assert.equal(new TextDecoder().decode(value), "hello");
 * assert.equal(caller.stats().pktSentTotal, 1);
 * await caller.close();
 * await server.close();
 * ```
 */
export class SrtSocket {
  /** Payloads received from the peer, one live-mode message per chunk, in order. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Payloads to send; chunks longer than {@linkcode SrtSocket.payloadSize} are split. */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves when the connection has ended: locally, by the peer, or by failure. */
  readonly closed: Promise<void>;

  #driver: EndpointDriver;
  #conn: SrtConnection;
  #queue = new ReadQueue();
  #resolveClosed!: () => void;
  #error: SrtError | undefined;

  /** @internal Created by `connect()` and `listen()`. */
  constructor(driver: EndpointDriver, conn: SrtConnection) {
    this.#driver = driver;
    this.#conn = conn;
    this.closed = new Promise((r) => (this.#resolveClosed = r));
    this.readable = this.#queue.readable;
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.send(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    });
  }

  /** The peer's address. */
  get remoteAddress(): PeerAddress {
    return this.#conn.peer;
  }

  /** The stream ID (sent by the caller). */
  get streamId(): string | undefined {
    return this.#conn.streamId;
  }

  /** Largest payload of one packet. */
  get payloadSize(): number {
    return this.#conn.payloadSize;
  }

  /** Negotiated receive latency in milliseconds. */
  get latency(): number {
    return this.#conn.rcvLatency;
  }

  /**
   * The UDP socket's kernel receive buffer in bytes as the OS reports it (Linux reports twice
   * the size granted), or `undefined` where the runtime cannot tell (Deno, and Bun without
   * `udpReceiveBuffer`/`udpSendBuffer`): compare with the `udpReceiveBuffer` asked for to warn.
   */
  get udpReceiveBuffer(): number | undefined {
    return this.#driver.udp.receiveBufferBytes;
  }

  /** The UDP socket's kernel send buffer in bytes, or `undefined` when unknown. */
  get udpSendBuffer(): number | undefined {
    return this.#driver.udp.sendBufferBytes;
  }

  /** Why the connection ended, once it has (undefined for a clean close). */
  get error(): SrtError | undefined {
    return this.#error;
  }

  /** The underlying sans-IO connection (for diagnostics). */
  get connection(): SrtConnection {
    return this.#conn;
  }

  /**
   * Sends data now, split into packets of at most {@linkcode SrtSocket.payloadSize} bytes.
   *
   * @throws {SrtError} with code `CLOSED` once the connection has ended.
   */
  send(data: Uint8Array): void {
    const max = this.#conn.payloadSize;
    const now = nowUs();
    for (let off = 0; off < data.length; off += max) {
      this.#driver.endpoint.send(
        now,
        this.#conn,
        data.subarray(off, Math.min(off + max, data.length)),
      );
    }
    this.#driver.flush(now);
  }

  /**
   * Statistics in libsrt's terms (with the KM states SRTO_KMSTATE, SRTO_SNDKMSTATE and
   * SRTO_RCVKMSTATE), plus payloads dropped because the reader fell behind.
   */
  stats(): SrtStats & KmStats & { readonly pktReadQueueDropped: number } {
    return { ...this.#conn.stats(nowUs()), pktReadQueueDropped: this.#queue.dropped };
  }

  /** Closes the connection (SHUTDOWN to the peer) and waits until it has ended. */
  async close(): Promise<void> {
    const now = nowUs();
    this.#driver.endpoint.close(now, this.#conn);
    this.#driver.flush(now);
    await this.closed;
  }

  /** @internal */
  _deliver(payload: Uint8Array): void {
    this.#queue.push(payload);
  }

  /** @internal */
  _ended(error: SrtError | undefined): void {
    this.#error = error && error.code !== "PEER_SHUTDOWN" ? error : undefined;
    this.#queue.end(this.#error);
    this.#resolveClosed();
  }
}

/**
 * Where a driver hands one connection's payloads and its end: an {@linkcode SrtSocket}, or
 * a socket group's member entry.
 */
export interface ConnectionSink {
  /** @internal A payload the connection delivered (its `lastPayloadSeq` still names it). */
  _deliver(payload: Uint8Array): void;
  /** @internal The connection ended. */
  _ended(error: SrtError | undefined): void;
}

/** Hooks the driver calls as connections come and go. */
export interface DriverHooks {
  /** A connection finished its handshake. */
  onConnected?(conn: SrtConnection): void;
  /** A connection ended. */
  onClosed?(conn: SrtConnection, error: SrtError | undefined): void;
  /** The listener has requests waiting (see `SrtEndpoint.pollRequest`). */
  onRequest?(): void;
  /** A rendezvous ended without a connection (see `SrtEndpoint.pollFailure`). */
  onRendezvousFailed?(failure: RendezvousFailure): void;
}

/**
 * Runs one {@linkcode SrtEndpoint} on one {@linkcode UdpSocket}: feeds it datagrams, sends what
 * it produces, delivers payloads to sockets, and keeps a single timer armed for the earliest
 * deadline (timers fire no sooner than ~1-2 ms, so work is done in batches per wake-up).
 */
export class EndpointDriver {
  /** The sans-IO endpoint. */
  readonly endpoint: SrtEndpoint;
  /** The UDP socket. */
  readonly udp: UdpSocket;
  /** Where each connection's payloads go: its socket, or its socket group. */
  readonly sockets: Map<SrtConnection, ConnectionSink> = new Map();

  #hooks: DriverHooks;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #closed = false;
  #send = (d: Uint8Array, to: PeerAddress) => this.udp.send(d, to);
  #deliver = (conn: SrtConnection, p: Uint8Array) => this.sockets.get(conn)?._deliver(p);

  /** @internal */
  constructor(udp: UdpSocket, endpoint: SrtEndpoint, hooks: DriverHooks = {}) {
    this.udp = udp;
    this.endpoint = endpoint;
    this.#hooks = hooks;
  }

  /** Feeds one received datagram. */
  receive(data: Uint8Array, from: PeerAddress): void {
    if (this.#closed) return;
    const now = nowUs();
    this.endpoint.handleDatagram(now, data, from);
    this.flush(now);
  }

  /** Sends, delivers and dispatches everything pending, then re-arms the timer. */
  flush(now: number): void {
    const ep = this.endpoint;
    ep.drain(this.#send, this.#deliver);
    for (let e = ep.pollEvent(); e; e = ep.pollEvent()) {
      if (e.event.kind === "connected") this.#hooks.onConnected?.(e.connection);
      else {
        this.sockets.get(e.connection)?._ended(e.event.error);
        this.sockets.delete(e.connection);
        this.#hooks.onClosed?.(e.connection, e.event.error);
      }
    }
    for (let f = ep.pollFailure(); f; f = ep.pollFailure()) this.#hooks.onRendezvousFailed?.(f);
    if (ep.listener && this.#hooks.onRequest) this.#hooks.onRequest();
    this.#arm(now);
  }

  /** Stops the timer; the UDP socket is closed by the owner. */
  stop(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(now: number): void {
    if (this.#closed) return;
    const t = this.endpoint.pollTimeout();
    if (t === undefined) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= t) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = t;
    this.#timer = setTimeout(this.#fire, Math.max(0, (t - now) / 1000));
  }

  #fire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#closed) return;
    const now = nowUs();
    this.endpoint.handleTimeout(now);
    this.flush(now);
  };
}
