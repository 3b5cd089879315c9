/**
 * Runtime-neutral UDP sockets for the SRT I/O layer.
 *
 * {@linkcode openUdp} picks the fastest adapter for the running runtime:
 * `Deno.listenDatagram` on Deno, `Bun.udpSocket` on Bun and `node:dgram` on
 * Node. Every adapter implements the same small {@linkcode UdpSocket}
 * contract, so the protocol core never sees a runtime API.
 *
 * ```ts ignore
 * import { openUdp } from "./udp.ts";
 *
 * const socket = await openUdp({
 *   hostname: "127.0.0.1",
 *   onMessage(data, from) {
 *     console.log(`${data.length} bytes from ${from.hostname}:${from.port}`);
 *   },
 * });
 * socket.send(new Uint8Array([1, 2, 3]), { hostname: "127.0.0.1", port: 9000 });
 * await socket.close();
 * ```
 *
 * @module
 */

import { bunNamespace, denoNamespace } from "./_runtime_types.ts";

/**
 * An IPv4 or IPv6 address and UDP port. Hostnames are literal IPs, never DNS names.
 *
 * @example
 * ```ts
 * import { openUdp, type UdpAddress } from "@tsrt/tsrt/net";
 * const peer: UdpAddress = { hostname: "::1", port: 9000 };
 * const socket = await openUdp({ hostname: "::", onMessage: () => {} });
 * socket.send(new Uint8Array([0]), peer);
 * await socket.close();
 * ```
 */
export interface UdpAddress {
  /** Literal IP address, e.g. `"127.0.0.1"` or `"::1"`. */
  readonly hostname: string;
  /** UDP port, 1-65535 for a destination. */
  readonly port: number;
}

/**
 * The runtimes {@linkcode openUdp} has an adapter for.
 *
 * @example
 * ```ts
 * import { detectRuntime, openUdp, type UdpRuntime } from "@tsrt/tsrt/net";
 * // node:dgram on Bun, the native adapter elsewhere.
 * const runtime: UdpRuntime = detectRuntime() === "bun" ? "node" : detectRuntime();
 * const socket = await openUdp({ hostname: "127.0.0.1", onMessage: () => {} }, runtime);
 * await socket.close();
 * ```
 */
export type UdpRuntime = "deno" | "bun" | "node";

/**
 * Options for {@linkcode openUdp}.
 *
 * @example
 * ```ts
 * import { openUdp, type UdpSocketOptions } from "@tsrt/tsrt/net";
 * const options: UdpSocketOptions = {
 *   hostname: "127.0.0.1",
 *   port: 0, // any free port
 *   receiveBufferBytes: 4 * 1024 * 1024,
 *   onMessage: (data, from) => console.log(data.length, from.port),
 *   onError: (error) => console.warn(error.message),
 * };
 * const socket = await openUdp(options);
 * console.log(socket.receiveBufferBytes); // undefined on Deno, which cannot set it
 * await socket.close();
 * ```
 */
export interface UdpSocketOptions {
  /** Local address to bind. Defaults to `"0.0.0.0"`; use `"::"` for IPv6. */
  hostname?: string;
  /** Local port to bind. Defaults to `0`, an ephemeral port chosen by the OS. */
  port?: number;
  /**
   * Called once per received datagram.
   *
   * `data` belongs to the receiver from then on: no adapter writes to its
   * bytes again, so it may be kept and sliced without copying (subarrays of
   * it are handed to the application as payload). `from` may be shared with
   * other datagrams from the same peer and must not be mutated.
   *
   * The callback runs synchronously inside the adapter's receive path; an
   * exception thrown from it is reported to {@linkcode UdpSocketOptions.onError}
   * and does not stop reception.
   */
  onMessage(data: Uint8Array, from: UdpAddress): void;
  /**
   * Called for asynchronous errors: a failed send, a receive error, or an
   * exception thrown by `onMessage`. When absent such errors are counted in
   * {@linkcode UdpSocketStats.errors} and otherwise ignored, as a lost UDP
   * datagram would be.
   */
  onError?(error: Error): void;
  /**
   * Kernel receive buffer to ask for (`SO_RCVBUF`), in bytes, like libsrt's
   * `SRTO_UDP_RCVBUF`. The OS default (`net.core.rmem_default`, 208 KB on
   * Linux: about 85 datagrams of 1316 bytes, a few ms at 100+ Mbit/s)
   * overflows whenever the event loop stalls for longer than that; 4 MB
   * rides out stalls of tens of milliseconds. The kernel caps the request at
   * `net.core.rmem_max` (and Linux reports twice the granted size); read what
   * was applied from {@linkcode UdpSocket.receiveBufferBytes}.
   *
   * Where it applies: on Node through `node:dgram`. On Bun `Bun.udpSocket`
   * cannot set it, so {@linkcode openUdp} opens the `node:dgram` adapter
   * instead when this (or `sendBufferBytes`) is given: it gets the large
   * buffer but has roughly half the peak rate of `Bun.udpSocket` (about
   * 1.1-1.5 Gbit/s of 1316-byte datagrams on loopback, far above what one SRT
   * connection uses). `Deno.listenDatagram` cannot set it at all: the option
   * is accepted, the OS default stays and `receiveBufferBytes` reports
   * `undefined`, so callers can warn. It never makes opening fail.
   */
  receiveBufferBytes?: number;
  /**
   * Kernel send buffer to ask for (`SO_SNDBUF`), in bytes, like libsrt's
   * `SRTO_UDP_SNDBUF`. Applied like `receiveBufferBytes` (Node, and Bun
   * through `node:dgram`; ignored on Deno); read it back from
   * {@linkcode UdpSocket.sendBufferBytes}.
   */
  sendBufferBytes?: number;
  /**
   * `IPV6_V6ONLY` for a socket bound to the IPv6 wildcard `::`, like libsrt's
   * `SRTO_IPV6ONLY` (URI key `ipv6only`): `true` takes datagrams from IPv6
   * peers only, `false` asks for a dual-stack socket that also takes IPv4
   * peers (their addresses then read as IPv4-mapped `::ffff:a.b.c.d`), and
   * `undefined` (libsrt's `-1`) keeps the system default. It matters only for
   * `::`; a socket bound to an IPv4 address or a specific IPv6 address
   * ignores it.
   *
   * What each runtime does with `true`:
   * - Node: `node:dgram` sets `IPV6_V6ONLY` before binding, as libsrt does.
   *   IPv4 datagrams never reach the socket, and the IPv4 side of the port
   *   stays free for another socket to bind.
   * - Bun: `Bun.udpSocket` cannot set it, so {@linkcode openUdp} opens the
   *   `node:dgram` adapter instead (as for `receiveBufferBytes`, at about half
   *   the peak rate), which sets it as on Node.
   * - Deno: `Deno.listenDatagram` cannot set it, so the adapter enforces it in
   *   software: datagrams from IPv4-mapped sources are discarded on receipt
   *   and counted in {@linkcode UdpSocketStats.filtered}. The socket still
   *   holds the IPv4 side of the port (binding `0.0.0.0` on the same port
   *   fails with "address in use"), where the kernel flag would leave it free.
   *
   * With `false`, every runtime leaves the flag unset: none can clear it
   * explicitly, so the socket is dual stack where that is the system default
   * (Linux with `net.ipv6.bindv6only=0`, its default), and stays
   * IPv6-only where the system default is `IPV6_V6ONLY` on.
   */
  ipv6Only?: boolean;
}

/**
 * Counters kept by every adapter. They only grow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openUdp, type UdpSocketStats } from "@tsrt/tsrt/net";
 * const socket = await openUdp({ hostname: "127.0.0.1", onMessage: () => {} });
 * socket.send(new Uint8Array(1316), socket.localAddress); // to itself
 * await socket.flush();
 * const stats: UdpSocketStats = socket.stats;
 * assert.equal(stats.sent, 1);
 * await socket.close();
 * ```
 */
export interface UdpSocketStats {
  /** Datagrams handed to the operating system. */
  readonly sent: number;
  /** Datagrams delivered to `onMessage`. */
  readonly received: number;
  /**
   * Datagrams discarded by `send`/`sendBatch` because the user-space send
   * backlog was full (the OS kept refusing data), or because the socket was
   * already closed.
   */
  readonly dropped: number;
  /** Errors reported, or that would have been reported, to `onError`. */
  readonly errors: number;
  /**
   * Datagrams discarded on receipt because {@linkcode UdpSocketOptions.ipv6Only}
   * excludes their IPv4-mapped source. Only adapters that enforce it in
   * software count here (Deno); where the kernel applies `IPV6_V6ONLY`
   * (`node:dgram`) such datagrams never reach the socket and this stays 0.
   */
  readonly filtered: number;
}

/**
 * A bound UDP socket.
 *
 * Buffer ownership: `send` and `sendBatch` take the datagrams passed in
 * without copying, and on Deno and Node (and on Bun under backpressure) the
 * OS reads them after the call returns, so the caller must not mutate a
 * datagram's bytes until {@linkcode UdpSocket.flush} resolves. The simple
 * rule is to build each outgoing packet in a fresh buffer, or in a region of
 * one that is never written again; sending the same unmodified buffer
 * several times (retransmissions) is fine. Copying in `send` instead was
 * measured at 0.7-4 us per 1316-byte datagram (allocation and GC dominate),
 * which at 100 000 datagrams/s would cost 7-40 % of a core on every caller,
 * for the benefit of the few that recycle buffers.
 *
 * Backpressure: sending never blocks and never returns a promise. When the
 * OS cannot take more data, datagrams wait in a bounded user-space backlog
 * ({@linkcode UdpSocket.backlog}) and go out as soon as the socket drains;
 * when the backlog is full further datagrams are dropped and counted in
 * {@linkcode UdpSocketStats.dropped}, just as a full kernel queue would drop
 * them. SRT paces its own sending, so the backlog is normally empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openUdp, type UdpSocket } from "@tsrt/tsrt/net";
 * const got = Promise.withResolvers<Uint8Array>();
 * const a: UdpSocket = await openUdp({ hostname: "127.0.0.1", onMessage: (d) => got.resolve(d) });
 * const b: UdpSocket = await openUdp({ hostname: "127.0.0.1", onMessage: () => {} });
 * b.send(new TextEncoder().encode("ping"), a.localAddress);
 * assert.equal(new TextDecoder().decode(await got.promise), "ping");
 * await Promise.all([a.close(), b.close()]);
 * ```
 */
export interface UdpSocket {
  /** Which adapter backs this socket. */
  readonly runtime: UdpRuntime;
  /** The bound local address, with the port the OS chose when `port` was 0. */
  readonly localAddress: UdpAddress;
  /** Running counters; the object is live, read its fields at any time. */
  readonly stats: UdpSocketStats;
  /** Datagrams accepted by `send`/`sendBatch` but not yet handed to the OS. */
  readonly backlog: number;
  /**
   * The kernel receive buffer in effect, in bytes, as the OS reports it
   * (`getsockopt(SO_RCVBUF)`; Linux reports twice the size granted), or
   * `undefined` where the runtime cannot tell (`Deno.listenDatagram`,
   * `Bun.udpSocket`). Compare it with the requested
   * {@linkcode UdpSocketOptions.receiveBufferBytes} to warn that the request
   * was not applied or was capped.
   */
  readonly receiveBufferBytes?: number;
  /** The kernel send buffer in effect, in bytes, or `undefined` when unknown. */
  readonly sendBufferBytes?: number;
  /**
   * Sends one datagram, fire-and-forget. Takes ownership of `data` (see the
   * interface documentation). After `close()` it is a no-op that counts the
   * datagram as dropped.
   *
   * @throws {RangeError} if `to.port` is not an integer in 1-65535.
   */
  send(data: Uint8Array, to: UdpAddress): void;
  /**
   * Sends several datagrams to one peer, in order. Uses one system-call batch
   * where the runtime offers it (Bun's `sendMany`); otherwise it is
   * equivalent to calling `send` for each datagram.
   *
   * @throws {RangeError} if `to.port` is not an integer in 1-65535.
   */
  sendBatch(datagrams: readonly Uint8Array[], to: UdpAddress): void;
  /**
   * Resolves once every datagram accepted so far has been handed to the OS
   * (or has failed, or was dropped): from then on the caller may reuse those
   * buffers. Resolves at once when nothing is pending or the socket is
   * closed. Never rejects.
   */
  flush(): Promise<void>;
  /**
   * Closes the socket. Datagrams already accepted are flushed first, so a
   * final packet (an SRT SHUTDOWN) sent just before `close()` still leaves;
   * whatever has not left after {@linkcode CLOSE_FLUSH_MS} is discarded.
   * No datagram is delivered to `onMessage` once `close()` has been called.
   * Safe to call more than once; resolves once the socket is closed.
   */
  close(): Promise<void>;
  /** Resolves once the socket is closed, whoever closed it. Never rejects. */
  readonly closed: Promise<void>;
}

/**
 * Maximum number of datagrams an adapter keeps in its user-space send
 * backlog before it starts dropping. 4096 datagrams of 1316 bytes are about
 * 5.4 MB, or 43 ms at 1 Gbit/s.
 *
 * @example
 * ```ts
 * import { openUdp, SEND_BACKLOG_LIMIT } from "@tsrt/tsrt/net";
 * const socket = await openUdp({ hostname: "127.0.0.1", onMessage: () => {} });
 * // Above this many queued datagrams, further sends are dropped and counted.
 * if (socket.backlog > SEND_BACKLOG_LIMIT / 2) console.warn("UDP send backlog half full");
 * await socket.close();
 * ```
 */
export const SEND_BACKLOG_LIMIT = 4096;

/** Longest time `close()` waits for pending datagrams before discarding them. */
export const CLOSE_FLUSH_MS = 200;

/**
 * Whether `options` asks for a kernel buffer size (`receiveBufferBytes` or
 * `sendBufferBytes`).
 */
export function wantsBufferSizes(options: UdpSocketOptions): boolean {
  return options.receiveBufferBytes !== undefined || options.sendBufferBytes !== undefined;
}

/** Whether `hostname` is the IPv6 wildcard address (`::`, also written `[::]` or in full). */
export function isIpv6Wildcard(hostname: string): boolean {
  return hostname.includes(":") && /^\[?[0:]+\]?$/.test(hostname);
}

/**
 * Whether `options` asks for `IPV6_V6ONLY` on a socket where it matters: one
 * bound to the IPv6 wildcard `::`.
 */
export function wantsIpv6Only(options: UdpSocketOptions): boolean {
  return options.ipv6Only === true && isIpv6Wildcard(options.hostname ?? "0.0.0.0");
}

function assertBufferSize(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
    throw new RangeError(`Invalid UDP ${name} ${value}: expected an integer in 1-2147483647`);
  }
}

/**
 * Detects the running runtime from its globals (`Deno`, then `Bun`),
 * falling back to `"node"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectRuntime } from "@tsrt/tsrt/net";
 * assert.ok(["deno", "bun", "node"].includes(detectRuntime()));
 * ```
 */
export function detectRuntime(): UdpRuntime {
  if (denoNamespace() !== undefined) return "deno";
  if (bunNamespace() !== undefined) return "bun";
  return "node";
}

/**
 * Opens a UDP socket bound to `options.hostname`:`options.port` with the
 * adapter for `runtime` (detected when omitted).
 *
 * `node:dgram` is never chosen automatically on Deno, where it manages only a
 * few hundred datagrams per second; pass `"node"` explicitly to force it on
 * Bun or Node. On Bun it is chosen when `receiveBufferBytes` or
 * `sendBufferBytes` is given, or `ipv6Only: true` on the IPv6 wildcard `::`,
 * since `Bun.udpSocket` cannot set them (see
 * {@linkcode UdpSocketOptions.receiveBufferBytes} and
 * {@linkcode UdpSocketOptions.ipv6Only}).
 *
 * @throws {RangeError} if `options.port` is not an integer in 0-65535, or a
 * buffer size is not an integer in 1-2147483647.
 * @throws {TypeError} if the requested runtime's API is not available.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openUdp } from "@tsrt/tsrt/net";
 * const socket = await openUdp({ hostname: "127.0.0.1", port: 0, onMessage: () => {} });
 * assert.ok(socket.localAddress.port > 0); // the port the OS chose
 * await socket.close();
 * ```
 */
export async function openUdp(
  options: UdpSocketOptions,
  runtime: UdpRuntime = detectRuntime(),
): Promise<UdpSocket> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid UDP bind port ${port}: expected an integer in 0-65535`);
  }
  assertBufferSize("receive buffer size", options.receiveBufferBytes);
  assertBufferSize("send buffer size", options.sendBufferBytes);
  if (runtime === "bun" && (wantsBufferSizes(options) || wantsIpv6Only(options))) {
    runtime = "node";
  }
  switch (runtime) {
    case "deno": {
      const { openDenoUdp } = await import("./udp_deno.ts");
      return openDenoUdp(options);
    }
    case "bun": {
      const { openBunUdp } = await import("./udp_bun.ts");
      return openBunUdp(options);
    }
    case "node": {
      const { openNodeUdp } = await import("./udp_node.ts");
      return openNodeUdp(options);
    }
    default:
      throw new TypeError(`Unknown UDP runtime "${runtime as string}"`);
  }
}
