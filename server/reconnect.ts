/**
 * A caller that reconnects: {@linkcode connectWithRetry} keeps an SRT caller connection up,
 * reconnecting with exponential backoff and jitter when it drops (listener restarted, network
 * gone, peer idle timeout). Its `readable` and `send` survive the reconnections, so a stream
 * resumes where the application left it; what is sent while disconnected is dropped and
 * counted (live mode: late data is worthless).
 *
 * The delay before attempt n (1-based, counting consecutive failures) is
 * `min(maxDelayMs, initialDelayMs x factor^(n-1))`, of which the fraction `jitter` is
 * randomised: `delay x (1 - jitter + jitter x random())`, with `random` injectable. A connection
 * that stayed up for `stableAfterMs` resets the count.
 *
 * @module
 */

import { connect, type ConnectOptions } from "../net/connect.ts";
import type { SrtSocket } from "../net/srt_socket.ts";
import { SrtError } from "../srt/errors.ts";
import { RejectReason } from "../srt/reject_reason.ts";

/**
 * How to retry.
 *
 * @example
 * ```ts
 * import { connectWithRetry, listen, type RetryPolicy } from "@tsrt/tsrt";
 * const server = await listen({ port: 0, hostname: "127.0.0.1" });
 * // Retry after 0.5, 1, 2, 4, 5, 5... seconds (±20 %), and give up after 20 failures in a row.
 * const policy: RetryPolicy = {
 *   initialDelayMs: 500,
 *   maxDelayMs: 5000,
 *   factor: 2,
 *   jitter: 0.2,
 *   maxAttempts: 20,
 * };
 * const uri = `srt://127.0.0.1:${server.address.port}?streamid=cam1`;
 * const caller = await connectWithRetry(uri, policy);
 * await caller.close();
 * await server.close();
 * ```
 */
export interface RetryPolicy {
  /** Delay before the first retry, in ms. Default 250. */
  initialDelayMs?: number;
  /** Longest delay, in ms. Default 10 000. */
  maxDelayMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /** Randomised fraction of each delay, 0..1. Default 0.5. */
  jitter?: number;
  /** Consecutive failed attempts before giving up. Default: never give up. */
  maxAttempts?: number;
  /** A connection up this long resets the attempt count, in ms. Default 10 000. */
  stableAfterMs?: number;
  /** Uniform random numbers in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Clock in ms. Default `performance.now`. */
  now?: () => number;
  /**
   * Whether an error is worth retrying. Default: everything but rejections that will not
   * change by themselves (bad request, unauthorized, forbidden, bad mode, unacceptable,
   * wrong or missing passphrase).
   */
  retryable?: (error: unknown) => boolean;
  /** Opens one connection. Default `connect` (injectable for tests). */
  connect?: (target: string | ConnectOptions) => Promise<SrtSocket>;
}

/**
 * Events of a {@linkcode ReconnectingCaller}.
 *
 * @example
 * ```ts
 * import { listen } from "@tsrt/tsrt";
 * import { connectWithRetry, type ReconnectEvents } from "@tsrt/tsrt/server";
 * const server = await listen({ port: 0, hostname: "127.0.0.1" });
 * const caller = await connectWithRetry(`srt://127.0.0.1:${server.address.port}`);
 * const onRetry = (e: ReconnectEvents["retry"]) => console.warn(`retry in ${e.delayMs} ms`);
 * caller.on("retry", onRetry);
 * caller.on("give-up", (e) => console.error("giving up", e.error));
 * await caller.close();
 * await server.close();
 * ```
 */
export interface ReconnectEvents {
  /** Connected (first time: `reconnect` false). */
  connect: { readonly attempt: number; readonly reconnect: boolean };
  /** Connected again after a disconnection, `downtimeMs` later. */
  reconnect: { readonly attempt: number; readonly downtimeMs: number };
  /** The connection ended; `error` is why, undefined for a clean SHUTDOWN from the peer. */
  disconnect: { readonly error: unknown };
  /** An attempt failed; the next comes after `delayMs`. */
  retry: { readonly attempt: number; readonly error: unknown; readonly delayMs: number };
  /** No more attempts: `maxAttempts` reached or the error is not retryable. */
  "give-up": { readonly attempt: number; readonly error: unknown };
}

const PERMANENT: ReadonlySet<number> = new Set([
  RejectReason.BAD_REQUEST,
  RejectReason.UNAUTHORIZED,
  RejectReason.FORBIDDEN,
  RejectReason.BAD_MODE,
  RejectReason.UNACCEPTABLE,
  RejectReason.BADSECRET,
  RejectReason.UNSECURE,
]);

/**
 * The default retry predicate: everything but permanent rejections.
 *
 * @param error What the attempt failed with.
 * @returns Whether to retry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetryable } from "@tsrt/tsrt/server";
 * import { SrtError } from "@tsrt/tsrt";
 * const forbidden = new SrtError("CONNECTION_REJECTED", "rejected: FORBIDDEN", { reason: 1403 });
 * const timeout = new SrtError("CONNECTION_TIMEOUT", "no answer");
 * assert.equal(isRetryable(forbidden), false); // will not change by itself
 * assert.equal(isRetryable(timeout), true);
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof SrtError && error.code === "CONNECTION_REJECTED") {
    return !PERMANENT.has(error.reason ?? -1);
  }
  return !(error instanceof TypeError || error instanceof RangeError);
}

/**
 * The delay before attempt `attempt` (1 = the first retry).
 *
 * @param attempt 1-based count of consecutive failures.
 * @param policy The policy.
 * @param random A number in [0, 1).
 * @returns The delay in ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay } from "./reconnect.ts";
 *
 * const p = { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0.5 };
 * assert.equal(backoffDelay(1, p, 1), 100);
 * assert.equal(backoffDelay(3, p, 0), 200); // 400, half of it randomised, random() = 0
 * assert.equal(backoffDelay(10, p, 1), 1000);
 * ```
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: number): number {
  const base = Math.min(
    policy.maxDelayMs ?? 10_000,
    (policy.initialDelayMs ?? 250) * (policy.factor ?? 2) ** Math.max(0, attempt - 1),
  );
  const j = Math.min(1, Math.max(0, policy.jitter ?? 0.5));
  return base * (1 - j + j * random);
}

/**
 * A callback for one {@linkcode ReconnectEvents} event, passed to
 * {@linkcode ReconnectingCaller.on}. It is called synchronously, with the event's payload.
 *
 * @typeParam K The event name, e.g. `"reconnect"`; fixes the payload type.
 *
 * @example
 * ```ts
 * import { listen } from "@tsrt/tsrt";
 * import { connectWithRetry, type ReconnectListener } from "@tsrt/tsrt/server";
 * const onReconnect: ReconnectListener<"reconnect"> = (e) =>
 *   console.log(`back after ${e.downtimeMs} ms (attempt ${e.attempt})`);
 * const server = await listen({ port: 0, hostname: "127.0.0.1" });
 * const caller = await connectWithRetry(`srt://127.0.0.1:${server.address.port}`);
 * const unsubscribe = caller.on("reconnect", onReconnect);
 * unsubscribe();
 * await caller.close();
 * await server.close();
 * ```
 */
export type ReconnectListener<K extends keyof ReconnectEvents> = (
  event: ReconnectEvents[K],
) => void;

/**
 * A caller connection that reconnects; see {@linkcode connectWithRetry}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectWithRetry, listen, type ReconnectingCaller } from "@tsrt/tsrt";
 * const server = await listen({ port: 0, hostname: "127.0.0.1" });
 * const caller: ReconnectingCaller = await connectWithRetry({
 *   host: "127.0.0.1",
 *   port: server.address.port,
 *   streamId: "#!::r=live/cam1,m=publish",
 * });
 * assert.equal(caller.connected, true);
 * // Payloads sent while the link is down are dropped and counted, never queued.
 * if (!caller.send(new Uint8Array(1316))) console.warn(caller.droppedWhileDisconnected);
 * await caller.close();
 * await server.close();
 * ```
 */
export class ReconnectingCaller {
  /** Payloads from every connection in turn; ends when closed or given up. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Resolves when closed or given up. */
  readonly closed: Promise<void>;

  #target: string | ConnectOptions;
  #policy: RetryPolicy;
  #socket: SrtSocket | undefined;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #listeners = new Map<keyof ReconnectEvents, Set<(event: never) => void>>();
  #closing = false;
  #resolveClosed!: () => void;
  #failures = 0;
  #connections = 0;
  #dropped = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wakeTimer: (() => void) | undefined;
  #error: unknown;

  /** @internal Use {@linkcode connectWithRetry}. */
  constructor(target: string | ConnectOptions, policy: RetryPolicy) {
    this.#target = target;
    this.#policy = policy;
    this.closed = new Promise((r) => (this.#resolveClosed = r));
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.#controller = c;
      },
      cancel: () => {
        void this.close();
      },
    }, { highWaterMark: 8192 });
  }

  /** The current socket, while connected. */
  get socket(): SrtSocket | undefined {
    return this.#socket;
  }

  /** Whether a connection is up. */
  get connected(): boolean {
    return this.#socket !== undefined;
  }

  /** Connections made so far (the first included). */
  get connections(): number {
    return this.#connections;
  }

  /** Payloads given to `send` while disconnected, dropped. */
  get droppedWhileDisconnected(): number {
    return this.#dropped;
  }

  /** Why it gave up, if it did. */
  get error(): unknown {
    return this.#error;
  }

  /**
   * Subscribes to an event.
   *
   * @param event The event name.
   * @param listener Called with the event.
   * @returns A function that unsubscribes.
   */
  on<K extends keyof ReconnectEvents>(event: K, listener: ReconnectListener<K>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, set = new Set());
    const s = set;
    s.add(listener);
    return () => s.delete(listener);
  }

  #emit<K extends keyof ReconnectEvents>(event: K, value: ReconnectEvents[K]): void {
    for (const l of [...(this.#listeners.get(event) ?? [])]) (l as ReconnectListener<K>)(value);
  }

  /**
   * Sends on the current connection; while disconnected the payload is dropped and counted.
   *
   * @param data The payload.
   * @returns Whether it was handed to a connection.
   */
  send(data: Uint8Array): boolean {
    const s = this.#socket;
    if (!s) {
      this.#dropped++;
      return false;
    }
    try {
      s.send(data);
      return true;
    } catch {
      this.#dropped++;
      return false;
    }
  }

  /** Stops reconnecting and closes the current connection. */
  async close(): Promise<void> {
    if (this.#closing) return await this.closed;
    this.#closing = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#wakeTimer?.();
    await this.#socket?.close();
    await this.closed;
  }

  /** @internal Runs until closed or given up; resolves `first` on the first connection. */
  async run(first: { ok: () => void; fail: (e: unknown) => void }): Promise<void> {
    const now = this.#policy.now ?? (() => performance.now());
    const random = this.#policy.random ?? Math.random;
    const retryable = this.#policy.retryable ?? isRetryable;
    const open = this.#policy.connect ?? connect;
    let attempt = 0;
    let downAt = 0;
    while (!this.#closing) {
      attempt++;
      let socket: SrtSocket;
      try {
        socket = await open(this.#target);
      } catch (error) {
        this.#failures++;
        const max = this.#policy.maxAttempts ?? Infinity;
        if (this.#closing) break;
        if (!retryable(error) || this.#failures >= max) {
          this.#error = error;
          this.#emit("give-up", { attempt, error });
          if (this.#connections === 0) first.fail(error);
          break;
        }
        const delayMs = backoffDelay(this.#failures, this.#policy, random());
        this.#emit("retry", { attempt, error, delayMs });
        await this.#sleep(delayMs);
        continue;
      }
      if (this.#closing) {
        await socket.close();
        break;
      }
      this.#socket = socket;
      this.#connections++;
      const since = now();
      this.#emit("connect", { attempt, reconnect: this.#connections > 1 });
      if (this.#connections > 1) this.#emit("reconnect", { attempt, downtimeMs: since - downAt });
      if (this.#connections === 1) first.ok();
      attempt = 0;
      await this.#pump(socket);
      this.#socket = undefined;
      if (now() - since >= (this.#policy.stableAfterMs ?? 10_000)) this.#failures = 0;
      if (this.#closing) break;
      downAt = now();
      this.#emit("disconnect", { error: socket.error });
      // Reconnect at once after a connection that was up; back off only on failed attempts.
    }
    this.#closing = true;
    try {
      this.#controller.close();
    } catch {
      // Already closed or cancelled.
    }
    this.#resolveClosed();
  }

  async #pump(socket: SrtSocket): Promise<void> {
    try {
      for await (const p of socket.readable) {
        if ((this.#controller.desiredSize ?? 0) > 0) this.#controller.enqueue(p);
      }
    } catch {
      // The connection failed; socket.error says why.
    }
    await socket.closed;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.#wakeTimer = () => {
        this.#wakeTimer = undefined;
        r();
      };
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#wakeTimer?.();
      }, ms);
    });
  }
}

/**
 * Connects as a caller and keeps the connection up, reconnecting per `policy`.
 *
 * @param target An `srt://host:port?...` caller URI or connect options.
 * @param policy Backoff, attempts, stability period, injected randomness.
 * @returns The caller once it first connected.
 * @throws What the last attempt failed with, when it gives up before ever connecting.
 *
 * @example
 * ```ts ignore
 * import { connectWithRetry } from "./reconnect.ts";
 * const c = await connectWithRetry("srt://127.0.0.1:9000?streamid=#!::r=live/a,m=publish", {
 *   maxDelayMs: 5000,
 * });
 * c.on("disconnect", (e) => console.log("lost", e.error));
 * c.on("connect", (e) => e.reconnect && console.log("back"));
 * c.send(new Uint8Array(1316));
 * ```
 */
export async function connectWithRetry(
  target: string | ConnectOptions,
  policy: RetryPolicy = {},
): Promise<ReconnectingCaller> {
  const c = new ReconnectingCaller(target, policy);
  await new Promise<void>((ok, fail) => void c.run({ ok, fail }));
  return c;
}
