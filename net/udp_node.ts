/**
 * UDP adapter on `node:dgram`, for Node and as a fallback on Bun (where it
 * reaches roughly half the throughput of `Bun.udpSocket` with `sendMany`).
 *
 * Never use it on Deno: Deno's `node:dgram` emulation manages only a few
 * hundred datagrams per second. {@linkcode openUdp} never picks it there.
 *
 * It is the one adapter that can size the kernel buffers (`SO_RCVBUF`,
 * `SO_SNDBUF`), so {@linkcode openUdp} also picks it on Bun when
 * `receiveBufferBytes` or `sendBufferBytes` is given.
 *
 * @module
 */

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import {
  assertDestination,
  deliverDatagram,
  FlushWaiters,
  flushWithin,
  newStats,
  reportError,
  toError,
} from "./_udp_common.ts";
import { denoNamespace } from "./_runtime_types.ts";
import {
  CLOSE_FLUSH_MS,
  SEND_BACKLOG_LIMIT,
  type UdpAddress,
  type UdpRuntime,
  type UdpSocket,
  type UdpSocketOptions,
  type UdpSocketStats,
} from "./udp.ts";

/**
 * Opens a UDP socket with `node:dgram`, as `udp6` when `hostname` is IPv6,
 * with the kernel buffer sizes asked for in `receiveBufferBytes` and
 * `sendBufferBytes` (node:dgram applies them once bound), and with
 * `IPV6_V6ONLY` set before binding when `ipv6Only` is `true` (a `udp6` socket
 * only; `false` leaves the system default, which node:dgram cannot clear).
 */
export async function openNodeUdp(options: UdpSocketOptions): Promise<UdpSocket> {
  const hostname = options.hostname ?? "0.0.0.0";
  const ipv6 = hostname.includes(":");
  const socket = createSocket({
    type: ipv6 ? "udp6" : "udp4",
    ipv6Only: ipv6 && options.ipv6Only === true,
    recvBufferSize: options.receiveBufferBytes,
    sendBufferSize: options.sendBufferBytes,
  });
  await new Promise<void>((resolve, reject) => {
    const onBindError = (error: Error) => {
      try {
        socket.close();
      } catch {
        // The socket never opened; nothing to release.
      }
      reject(toError(error));
    };
    socket.once("error", onBindError);
    socket.bind(options.port ?? 0, hostname, () => {
      socket.off("error", onBindError);
      resolve();
    });
  });
  return new NodeUdpSocket(socket, options);
}

class NodeUdpSocket implements UdpSocket {
  readonly runtime: UdpRuntime = "node";
  readonly localAddress: UdpAddress;
  readonly stats: UdpSocketStats;
  readonly closed: Promise<void>;
  readonly receiveBufferBytes: number | undefined;
  readonly sendBufferBytes: number | undefined;

  readonly #socket: Socket;
  readonly #options: UdpSocketOptions;
  readonly #stats = newStats();
  readonly #flushWaiters = new FlushWaiters();
  /** Sends handed to node:dgram whose callback has not run yet. */
  #pending = 0;
  /** Set by close(): no new sends are accepted, no more datagrams delivered. */
  #closing = false;
  /** Set once the socket itself is closed. */
  #isClosed = false;
  #resolveClosed!: () => void;
  #lastFrom: UdpAddress = { hostname: "", port: 0 };

  constructor(socket: Socket, options: UdpSocketOptions) {
    this.#socket = socket;
    this.#options = options;
    this.stats = this.#stats;
    const bound = socket.address();
    this.localAddress = { hostname: bound.address, port: bound.port };
    this.receiveBufferBytes = readSize(() => socket.getRecvBufferSize());
    this.sendBufferBytes = readSize(() => socket.getSendBufferSize());
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.on("message", this.#onMessage);
    socket.on("error", (error: Error) => reportError(this.#options, this.#stats, error));
    socket.once("close", () => {
      this.#closing = true;
      this.#isClosed = true;
      this.#flushWaiters.wake();
      this.#resolveClosed();
    });
  }

  /**
   * `node:dgram` queues sends itself (in libuv); the backlog is the number of
   * sends whose completion callback has not run yet.
   */
  get backlog(): number {
    return this.#pending;
  }

  send(data: Uint8Array, to: UdpAddress): void {
    assertDestination(to);
    this.#send(data, to);
  }

  sendBatch(datagrams: readonly Uint8Array[], to: UdpAddress): void {
    assertDestination(to);
    for (let i = 0; i < datagrams.length; i++) this.#send(datagrams[i], to);
  }

  flush(): Promise<void> {
    if (this.#isClosed || this.#pending === 0) return Promise.resolve();
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
    try {
      this.#socket.close();
    } catch {
      // Already closed: the close event has fired or will.
      this.#isClosed = true;
      this.#resolveClosed();
    }
  }

  #send(data: Uint8Array, to: UdpAddress): void {
    if (this.#closing || this.#pending >= SEND_BACKLOG_LIMIT) {
      this.#stats.dropped++;
      return;
    }
    try {
      // One shared callback, no closure per datagram. With a callback,
      // failures arrive here rather than as "error" events.
      this.#socket.send(data, to.port, to.hostname, this.#onSent);
      this.#pending++;
    } catch (error) {
      reportError(this.#options, this.#stats, error);
    }
  }

  #onSent = (error: Error | null): void => {
    this.#pending--;
    if (error) {
      if (!this.#isClosed) reportError(this.#options, this.#stats, error);
    } else {
      this.#stats.sent++;
    }
    if (this.#pending === 0) this.#flushWaiters.wake();
  };

  #onMessage = (message: Uint8Array, info: RemoteInfo): void => {
    if (this.#closing) return;
    let from = this.#lastFrom;
    if (from.port !== info.port || from.hostname !== info.address) {
      from = this.#lastFrom = { hostname: info.address, port: info.port };
    }
    // A plain Uint8Array view, so that slice() copies as it does on the other adapters
    // (Buffer#slice returns a view).
    const data = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    deliverDatagram(this.#options, this.#stats, data, from);
  };
}

/**
 * Reads a kernel buffer size, or `undefined` when it cannot be known: the
 * call fails, or this is Deno's `node:dgram` emulation, whose answers do not
 * describe a real socket option.
 */
function readSize(read: () => number): number | undefined {
  if (denoNamespace() !== undefined) return undefined;
  try {
    const size = read();
    return Number.isInteger(size) && size > 0 ? size : undefined;
  } catch {
    return undefined;
  }
}
