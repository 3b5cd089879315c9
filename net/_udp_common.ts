/**
 * Helpers shared by the UDP adapters: counters, error reporting, destination
 * checks and the bounded send backlog.
 *
 * @module
 */

import type { UdpAddress, UdpSocketOptions, UdpSocketStats } from "./udp.ts";

/** Writable view of {@linkcode UdpSocketStats}, owned by an adapter. */
export interface MutableUdpStats {
  sent: number;
  received: number;
  dropped: number;
  errors: number;
  filtered: number;
}

/** Returns a fresh set of zeroed counters. */
export function newStats(): MutableUdpStats & UdpSocketStats {
  return { sent: 0, received: 0, dropped: 0, errors: 0, filtered: 0 };
}

/**
 * Whether `hostname` is an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, or
 * `::ffff:7f00:1` in hex): the source an IPv6 socket bound to `::` sees for
 * an IPv4 peer when it is dual stack.
 */
export function isIpv4Mapped(hostname: string): boolean {
  return /^(?:0{0,4}:){0,5}:?ffff:(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{1,4}:[0-9a-f]{1,4})$/i
    .test(hostname);
}

/** Wraps a thrown value into an `Error` without losing it. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value), { cause: value });
}

/**
 * Counts an error and hands it to `onError` when there is one. An exception
 * thrown by `onError` itself is swallowed: there is nowhere left to report it
 * and it must not kill the receive loop.
 */
export function reportError(
  options: UdpSocketOptions,
  stats: MutableUdpStats,
  error: unknown,
): void {
  stats.errors++;
  if (options.onError === undefined) return;
  try {
    options.onError(toError(error));
  } catch {
    // Nothing sensible to do with an error thrown by the error handler.
  }
}

/**
 * Counts a received datagram and hands it to `onMessage`. An exception thrown there is counted
 * and reported, never thrown into the adapter's receive path.
 */
export function deliverDatagram(
  options: UdpSocketOptions,
  stats: MutableUdpStats,
  data: Uint8Array,
  from: UdpAddress,
): void {
  stats.received++;
  try {
    options.onMessage(data, from);
  } catch (error) {
    reportError(options, stats, error);
  }
}

/**
 * Throws a `RangeError` unless `to.port` is a valid destination port. Done
 * in JavaScript so that every runtime rejects the same inputs the same way.
 */
export function assertDestination(to: UdpAddress): void {
  const port = to.port;
  if (!(port >= 1 && port <= 65535 && port === Math.floor(port))) {
    throw new RangeError(
      `Invalid UDP destination port ${port} for ${to.hostname}: expected an integer in 1-65535`,
    );
  }
}

/**
 * Callers waiting for the send path to go idle: {@linkcode UdpSocket.flush}.
 */
export class FlushWaiters {
  #resolvers: Array<() => void> = [];

  /** A promise resolved by the next {@linkcode FlushWaiters.wake}. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#resolvers.push(resolve));
  }

  /** Whether anyone is waiting. */
  get waiting(): boolean {
    return this.#resolvers.length > 0;
  }

  /** Resolves every waiting promise. */
  wake(): void {
    const resolvers = this.#resolvers;
    this.#resolvers = [];
    for (const resolve of resolvers) resolve();
  }
}

/**
 * Waits for `flush` at most `ms` milliseconds; used by `close()` so that a
 * wedged socket cannot keep it from closing.
 */
export async function flushWithin(flush: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([flush, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * FIFO of datagrams waiting for the OS, bounded to `limit` entries. Backed by
 * two parallel arrays with a moving head so that `shift` is O(1) amortised.
 */
export class SendBacklog {
  #data: Uint8Array[] = [];
  #to: UdpAddress[] = [];
  #head = 0;
  readonly #limit: number;

  /** Creates an empty backlog holding at most `limit` datagrams. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Number of datagrams waiting. */
  get length(): number {
    return this.#data.length - this.#head;
  }

  /** Appends a datagram; returns `false` (and keeps nothing) when full. */
  push(data: Uint8Array, to: UdpAddress): boolean {
    if (this.length >= this.#limit) return false;
    this.#data.push(data);
    this.#to.push(to);
    return true;
  }

  /** Destination of the oldest datagram. The backlog must not be empty. */
  peekTo(): UdpAddress {
    return this.#to[this.#head];
  }

  /** Oldest datagram. The backlog must not be empty. */
  peekData(): Uint8Array {
    return this.#data[this.#head];
  }

  /** Removes the oldest datagram. The backlog must not be empty. */
  shift(): void {
    this.#head++;
    if (this.#head === this.#data.length) {
      this.#data.length = 0;
      this.#to.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#data.length) {
      this.#data = this.#data.slice(this.#head);
      this.#to = this.#to.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Discards everything and returns how many datagrams were discarded. */
  clear(): number {
    const discarded = this.length;
    this.#data = [];
    this.#to = [];
    this.#head = 0;
    return discarded;
  }
}
