/**
 * UDP adapter for Deno, on `Deno.listenDatagram({ transport: "udp" })`
 * (requires the unstable `net` feature: `"unstable": ["net"]` in deno.json
 * or `--unstable-net`).
 *
 * Do not use `node:dgram` on Deno: its UDP emulation manages only a few
 * hundred datagrams per second.
 *
 * @module
 */

import {
  assertDestination,
  deliverDatagram,
  FlushWaiters,
  flushWithin,
  isIpv4Mapped,
  newStats,
  reportError,
  SendBacklog,
  toError,
} from "./_udp_common.ts";
import { type DenoDatagramConn, denoNamespace, type DenoNetAddr } from "./_runtime_types.ts";
import {
  CLOSE_FLUSH_MS,
  SEND_BACKLOG_LIMIT,
  type UdpAddress,
  type UdpRuntime,
  type UdpSocket,
  type UdpSocketOptions,
  type UdpSocketStats,
  wantsIpv6Only,
} from "./udp.ts";

/**
 * Sends that may be pending in Deno at once: one. `DatagramConn.send` returns
 * a promise per datagram, and concurrent sends are not guaranteed to reach
 * the wire in call order: when they cannot complete at once (first use of a
 * socket, or a full kernel queue) Deno was measured completing them in
 * reverse order, which SRT would see as reordering and answer with spurious
 * NAKs. Serialising costs little: one send at a time still moved ~1.1 Gbit/s
 * of 1316-byte datagrams over loopback, against ~0.7 Gbit/s for 16 concurrent
 * sends. Datagrams sent while one is pending wait in the backlog and are
 * issued from the previous send's completion (a microtask, not a timer).
 */
export const DENO_MAX_PENDING_SENDS = 1;

/**
 * Size of the slabs datagrams are received into. Each datagram is received
 * directly into the unused tail of the current slab and handed out as a
 * subarray of it, so delivery needs neither a copy nor a per-datagram
 * allocation; a fresh slab is started when the tail gets shorter than the
 * largest possible datagram. A slab is freed once no datagram from it is
 * referenced any more.
 */
const SLAB_SIZE = 1 << 20;

/** Receive window reserved per datagram: the largest UDP payload, rounded up. */
const MAX_DATAGRAM = 65536;

/**
 * Opens a UDP socket with `Deno.listenDatagram`. `receiveBufferBytes` and
 * `sendBufferBytes` are accepted but cannot be applied (Deno has no way to
 * set `SO_RCVBUF`/`SO_SNDBUF`): the socket keeps the OS defaults and reports
 * its buffer sizes as `undefined`. Nor can it set `IPV6_V6ONLY`: with
 * `ipv6Only: true` on `::` the socket discards datagrams from IPv4-mapped
 * sources itself and counts them in `stats.filtered`.
 */
export function openDenoUdp(options: UdpSocketOptions): Promise<UdpSocket> {
  const deno = denoNamespace();
  if (deno === undefined) {
    return Promise.reject(
      new TypeError("Deno.listenDatagram is not available: not running on Deno"),
    );
  }
  let conn: DenoDatagramConn;
  try {
    conn = deno.listenDatagram({
      transport: "udp",
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? 0,
    });
  } catch (error) {
    return Promise.reject(toError(error));
  }
  return Promise.resolve(new DenoUdpSocket(conn, options));
}

class DenoUdpSocket implements UdpSocket {
  readonly runtime: UdpRuntime = "deno";
  readonly localAddress: UdpAddress;
  readonly stats: UdpSocketStats;
  readonly closed: Promise<void>;
  /** Unknown: Deno.listenDatagram neither sets nor reports the kernel buffer sizes. */
  readonly receiveBufferBytes: number | undefined = undefined;
  /** Unknown, as `receiveBufferBytes`. */
  readonly sendBufferBytes: number | undefined = undefined;

  readonly #conn: DenoDatagramConn;
  readonly #options: UdpSocketOptions;
  readonly #stats = newStats();
  readonly #backlog = new SendBacklog(SEND_BACKLOG_LIMIT);
  readonly #flushWaiters = new FlushWaiters();
  #pending = 0;
  /** Set by close(): no new sends are accepted, no more datagrams delivered. */
  #closing = false;
  /** Set once the socket itself is closed. */
  #isClosed = false;
  #lastTo: UdpAddress | undefined;
  #lastAddr: DenoNetAddr | undefined;
  /** `ipv6Only` on `::`, which Deno cannot set on the socket: IPv4-mapped sources are dropped. */
  readonly #ipv6Only: boolean;

  constructor(conn: DenoDatagramConn, options: UdpSocketOptions) {
    this.#conn = conn;
    this.#options = options;
    this.#ipv6Only = wantsIpv6Only(options);
    this.stats = this.#stats;
    this.localAddress = { hostname: conn.addr.hostname, port: conn.addr.port };
    this.closed = this.#receiveLoop();
  }

  get backlog(): number {
    return this.#backlog.length;
  }

  send(data: Uint8Array, to: UdpAddress): void {
    assertDestination(to);
    this.#enqueue(data, to);
  }

  sendBatch(datagrams: readonly Uint8Array[], to: UdpAddress): void {
    assertDestination(to);
    for (let i = 0; i < datagrams.length; i++) this.#enqueue(datagrams[i], to);
  }

  flush(): Promise<void> {
    if (this.#isClosed || this.#idle()) return Promise.resolve();
    return this.#flushWaiters.wait();
  }

  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      void this.#shutdown();
    }
    return this.closed;
  }

  async #shutdown(): Promise<void> {
    await flushWithin(this.flush(), CLOSE_FLUSH_MS);
    this.#isClosed = true;
    this.#stats.dropped += this.#backlog.clear();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime: the receive loop ends either way.
    }
    this.#flushWaiters.wake();
  }

  #idle(): boolean {
    return this.#pending === 0 && this.#backlog.length === 0;
  }

  #enqueue(data: Uint8Array, to: UdpAddress): void {
    if (this.#closing) {
      this.#stats.dropped++;
    } else if (this.#pending < DENO_MAX_PENDING_SENDS && this.#backlog.length === 0) {
      this.#start(data, to);
    } else if (!this.#backlog.push(data, to)) {
      this.#stats.dropped++;
    }
  }

  #start(data: Uint8Array, to: UdpAddress): void {
    if (to !== this.#lastTo) {
      this.#lastTo = to;
      this.#lastAddr = { transport: "udp", hostname: to.hostname, port: to.port };
    }
    this.#pending++;
    let promise: Promise<number>;
    try {
      promise = this.#conn.send(data, this.#lastAddr!);
    } catch (error) {
      this.#pending--;
      reportError(this.#options, this.#stats, error);
      return;
    }
    promise.then(this.#onSent, this.#onSendFailed);
  }

  #onSent = (): void => {
    this.#pending--;
    this.#stats.sent++;
    this.#pump();
  };

  #onSendFailed = (error: unknown): void => {
    this.#pending--;
    if (!this.#isClosed) reportError(this.#options, this.#stats, error);
    this.#pump();
  };

  /** Issues backlogged sends while there is room, then wakes flushers if idle. */
  #pump(): void {
    const backlog = this.#backlog;
    while (backlog.length > 0 && this.#pending < DENO_MAX_PENDING_SENDS && !this.#isClosed) {
      const data = backlog.peekData();
      const to = backlog.peekTo();
      backlog.shift();
      this.#start(data, to);
    }
    if (this.#idle() && this.#flushWaiters.waiting) this.#flushWaiters.wake();
  }

  async #receiveLoop(): Promise<void> {
    const conn = this.#conn;
    const options = this.#options;
    const stats = this.#stats;
    let slab = new Uint8Array(SLAB_SIZE);
    let offset = 0;
    while (!this.#isClosed) {
      if (SLAB_SIZE - offset < MAX_DATAGRAM) {
        slab = new Uint8Array(SLAB_SIZE);
        offset = 0;
      }
      let data: Uint8Array;
      let from: DenoNetAddr;
      try {
        [data, from] = await conn.receive(slab.subarray(offset, offset + MAX_DATAGRAM));
      } catch (error) {
        if (this.#isClosed || isClosedError(error)) break;
        reportError(options, stats, error);
        continue;
      }
      // Keep the next datagram 8-byte aligned so typed-array views stay cheap.
      offset += (data.length + 7) & ~7;
      if (this.#closing) continue;
      if (this.#ipv6Only && isIpv4Mapped(from.hostname)) {
        stats.filtered++;
        continue;
      }
      deliverDatagram(options, stats, data, from);
    }
    this.#closing = true;
    this.#isClosed = true;
    this.#stats.dropped += this.#backlog.clear();
    this.#flushWaiters.wake();
  }
}

function isClosedError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === "BadResource" || name === "Interrupted";
}
