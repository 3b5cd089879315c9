/**
 * The per-player queue of a stream server: payloads from the publisher wait here until the
 * player's SRT send buffer has room. The queue is bounded; when it is full the oldest payload
 * is dropped and counted, so a slow player never holds up the publisher or the other players.
 *
 * @module
 */

/**
 * What a player queue needs of a socket (an `SrtSocket` fits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PlayerQueue, type PlayerSink } from "@tsrt/tsrt/server";
 * // Anything with send() and stats() can be fed, an SrtSocket or a test double.
 * const sent: Uint8Array[] = [];
 * const sink: PlayerSink = { send: (p) => sent.push(p), stats: () => ({ pktSndBuf: 0 }) };
 * const queue = new PlayerQueue(sink);
 * queue.push(new Uint8Array(1316));
 * assert.equal(sent.length, 1);
 * queue.close();
 * ```
 */
export interface PlayerSink {
  /** Hands one payload to SRT; throws once the connection has ended. */
  send(payload: Uint8Array): void;
  /** Statistics; only `pktSndBuf` (packets in the send buffer) is read. */
  stats(): { readonly pktSndBuf: number };
}

/**
 * Options of {@linkcode PlayerQueue}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PlayerQueue, type PlayerQueueOptions } from "@tsrt/tsrt/server";
 * // A player whose send buffer is full: payloads queue up, and beyond 2 the oldest go.
 * const options: PlayerQueueOptions = { maxQueued: 2, maxInFlight: 100, retryMs: 50 };
 * const queue = new PlayerQueue({ send: () => {}, stats: () => ({ pktSndBuf: 100 }) }, options);
 * for (let i = 0; i < 5; i++) queue.push(new Uint8Array(1316));
 * assert.equal(queue.counters.dropped, 3);
 * queue.close();
 * ```
 */
export interface PlayerQueueOptions {
  /** Most payloads waiting in the queue; beyond, the oldest are dropped. Default 4096. */
  maxQueued?: number;
  /** Most packets allowed in the SRT send buffer before the queue holds back. Default 4096. */
  maxInFlight?: number;
  /** How long to wait before retrying when the send buffer is full, in ms. Default 10. */
  retryMs?: number;
}

/**
 * Counters of a {@linkcode PlayerQueue}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PlayerQueue, type PlayerQueueCounters } from "@tsrt/tsrt/server";
 * const queue = new PlayerQueue({ send: () => {}, stats: () => ({ pktSndBuf: 0 }) });
 * queue.push(new Uint8Array(1316));
 * const c: PlayerQueueCounters = queue.counters;
 * assert.deepEqual(c, { sent: 1, sentBytes: 1316, dropped: 0, queued: 0 });
 * queue.close();
 * ```
 */
export interface PlayerQueueCounters {
  /** Payloads handed to SRT. */
  sent: number;
  /** Payload bytes handed to SRT. */
  sentBytes: number;
  /** Payloads dropped because the queue was full. */
  dropped: number;
  /** Payloads waiting now. */
  queued: number;
}

/**
 * A bounded FIFO in front of a player's socket.
 *
 * {@linkcode PlayerQueue.push} never blocks and never throws: the payload is sent at once when
 * the send buffer has room, queued otherwise, and the oldest queued payload is dropped when the
 * queue is full. Room is checked with `stats()` only when the credit estimated from the last
 * check runs out, so the common path costs one array push.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PlayerQueue } from "./player_queue.ts";
 *
 * const sent: Uint8Array[] = [];
 * const q = new PlayerQueue({ send: (p) => sent.push(p), stats: () => ({ pktSndBuf: 0 }) });
 * q.push(new Uint8Array([1]));
 * assert.equal(sent.length, 1);
 * q.close();
 * ```
 */
export class PlayerQueue {
  /** The counters. */
  readonly counters: PlayerQueueCounters = { sent: 0, sentBytes: 0, dropped: 0, queued: 0 };

  #sink: PlayerSink;
  #items: (Uint8Array | undefined)[] = [];
  #head = 0;
  #maxQueued: number;
  #maxInFlight: number;
  #retryMs: number;
  #credit = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #idle: (() => void)[] = [];

  /**
   * Creates an empty queue in front of a player's socket; nothing is sent until the first
   * {@linkcode PlayerQueue.push}.
   *
   * @param sink The player's socket (an `SrtSocket` fits): `send` hands it payloads and
   *   `stats().pktSndBuf` tells how full its send buffer is.
   * @param options Bounds: `maxQueued` payloads waiting (default 4096, at least 1),
   *   `maxInFlight` packets in the send buffer (default 4096, at least 1), and `retryMs`
   *   between checks of a full send buffer (default 10 ms).
   */
  constructor(sink: PlayerSink, options: PlayerQueueOptions = {}) {
    this.#sink = sink;
    this.#maxQueued = Math.max(1, options.maxQueued ?? 4096);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 4096);
    this.#retryMs = options.retryMs ?? 10;
  }

  /** Whether the queue has been closed (explicitly or because the socket failed). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues one payload and sends what the send buffer has room for.
   *
   * @param payload The payload; kept by reference until sent.
   */
  push(payload: Uint8Array): void {
    if (this.#closed) return;
    if (this.counters.queued >= this.#maxQueued) {
      this.#items[this.#head] = undefined;
      this.#head++;
      this.counters.queued--;
      this.counters.dropped++;
    }
    this.#items.push(payload);
    this.counters.queued++;
    if (this.#timer === undefined) this.#pump();
  }

  /** Resolves once everything queued has been handed to SRT (or the queue was closed). */
  drained(): Promise<void> {
    if (this.counters.queued === 0 || this.#closed) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  /** Drops what is queued and stops. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#items = [];
    this.#head = 0;
    this.counters.queued = 0;
    for (const r of this.#idle.splice(0)) r();
  }

  #pump = (): void => {
    this.#timer = undefined;
    if (this.#closed) return;
    while (this.counters.queued > 0) {
      if (this.#credit <= 0) {
        let inFlight: number;
        try {
          inFlight = this.#sink.stats().pktSndBuf;
        } catch {
          this.close();
          return;
        }
        this.#credit = this.#maxInFlight - inFlight;
        if (this.#credit <= 0) {
          this.#timer = setTimeout(this.#pump, this.#retryMs);
          return;
        }
      }
      const p = this.#items[this.#head]!;
      this.#items[this.#head] = undefined;
      this.#head++;
      this.counters.queued--;
      try {
        this.#sink.send(p);
      } catch {
        this.close();
        return;
      }
      this.#credit--;
      this.counters.sent++;
      this.counters.sentBytes += p.length;
    }
    if (this.#head > 1024) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    } else if (this.counters.queued === 0) {
      this.#items.length = 0;
      this.#head = 0;
    }
    for (const r of this.#idle.splice(0)) r();
  };
}
