/**
 * `srt://` inputs and outputs. A caller connects (and, with auto-reconnect, reconnects with
 * backoff when the connection drops); a listener accepts one connection at a time, like
 * srt-live-transmit, and rejects other callers meanwhile.
 *
 * @module
 */

import { connect } from "../net/connect.ts";
import { rendezvous } from "../net/rendezvous.ts";
import { listen, type SrtServer } from "../net/listen.ts";
import type { SrtSocket } from "../net/srt_socket.ts";
import { SrtError } from "../srt/errors.ts";
import { RejectReason, rejectReasonName } from "../srt/reject_reason.ts";
import type { SrtUri } from "../srt/uri.ts";
import type { Log } from "./_log.ts";
import type { Sink, Source } from "./media_io.ts";

/** Options of SRT inputs and outputs. */
export interface SrtIoOptions {
  /** Reconnect (caller) or accept again (listener) when the connection drops. */
  autoReconnect: boolean;
  /** Messages. */
  log: Log;
  /** Aborts connection attempts and waits. */
  signal: AbortSignal;
}

/** First and longest wait between reconnection attempts. */
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 8000;

/** Describes why an SRT connection failed, e.g. `rejected: FORBIDDEN (1403)`. */
export function describeSrtError(e: unknown): string {
  if (e instanceof SrtError) {
    if (e.code === "CONNECTION_REJECTED" && e.reason !== undefined) {
      return `rejected: ${rejectReasonName(e.reason)}`;
    }
    if (e.code === "CONNECTION_TIMEOUT") return "connection timed out: no response from the peer";
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One SRT endpoint of the relay: opens (and reopens) the connection. */
export class SrtLink {
  /** The current connection. */
  socket: SrtSocket | undefined;
  readonly #uri: SrtUri;
  readonly #o: SrtIoOptions;
  #server: SrtServer | undefined;
  #busy = false;
  #closed = false;
  #attempts = 0;

  /**
   * @param uri the parsed `srt://` URI
   * @param options reconnection, messages and abort
   */
  constructor(uri: SrtUri, options: SrtIoOptions) {
    this.#uri = uri;
    this.#o = options;
  }

  /** Whether this side is the caller. */
  get isCaller(): boolean {
    return this.#uri.mode === "caller";
  }

  /**
   * Opens a connection: connects, or waits for a caller. With auto-reconnect a failed
   * connection attempt is retried with backoff.
   *
   * @returns the socket, or undefined once aborted or closed
   * @throws {SrtError} when connecting fails and auto-reconnect is off
   */
  async open(): Promise<SrtSocket | undefined> {
    this.socket = undefined;
    this.#busy = false;
    const u = this.#uri;
    if (u.mode === "listener") return await this.#accept();
    let backoff = BACKOFF_MIN_MS;
    while (!this.#closed && !this.#o.signal.aborted) {
      try {
        this.#attempts++;
        const s = await (u.mode === "rendezvous" ? rendezvous : connect)({
          ...u.options,
          host: u.host,
          port: u.port,
          localAddress: u.adapter,
          localPort: u.localPort,
          udpReceiveBuffer: u.udpReceiveBuffer,
          udpSendBuffer: u.udpSendBuffer,
          ipv6Only: u.ipv6Only,
        });
        if (this.#closed || this.#o.signal.aborted) {
          await s.close();
          return undefined;
        }
        this.#o.log.info(
          `SRT connected to ${hostPort(u.host, u.port)} (latency ${s.latency} ms)`,
        );
        this.socket = s;
        return s;
      } catch (e) {
        if (!(e instanceof SrtError) || !this.#o.autoReconnect) throw e;
        this.#o.log.error(
          `SRT connection to ${hostPort(u.host, u.port)} failed: ${describeSrtError(e)}; ` +
            `retrying in ${(backoff / 1000).toFixed(2)} s`,
        );
        await sleep(backoff, this.#o.signal);
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      }
    }
    return undefined;
  }

  async #accept(): Promise<SrtSocket | undefined> {
    const u = this.#uri;
    if (!this.#server) {
      this.#server = await listen({
        ...u.options,
        port: u.port,
        hostname: u.adapter ?? (u.host || undefined),
        udpReceiveBuffer: u.udpReceiveBuffer,
        udpSendBuffer: u.udpSendBuffer,
        ipv6Only: u.ipv6Only,
        accept: (req) => {
          if (this.#busy) {
            this.#o.log.info(
              `SRT caller ${hostPort(req.peer.hostname, req.peer.port)} rejected: ` +
                `a connection is already active`,
            );
            return RejectReason.BACKLOG;
          }
          // Not marked busy here: the handshake can still fail after the hook (a wrong
          // passphrase), and a failed caller must not keep the next one out.
          return true;
        },
      });
      const a = this.#server.address;
      this.#o.log.info(`SRT listening on ${hostPort(a.hostname, a.port)}`);
    }
    const server = this.#server;
    const onAbort = (): void => void server.close();
    this.#o.signal.addEventListener("abort", onAbort);
    try {
      const s = await server.accept();
      if (!s) return undefined;
      this.#busy = true;
      const p = s.remoteAddress;
      const id = s.streamId === undefined ? "" : ` (streamid "${s.streamId}")`;
      this.#o.log.info(
        `SRT accepted ${hostPort(p.hostname, p.port)}${id} (latency ${s.latency} ms)`,
      );
      this.socket = s;
      return s;
    } finally {
      this.#o.signal.removeEventListener("abort", onAbort);
    }
  }

  /** Closes the connection (SHUTDOWN, after the linger time) and the listener. */
  async close(): Promise<void> {
    this.#closed = true;
    const s = this.socket;
    if (s) await s.close();
    await this.#server?.close();
  }
}

/**
 * Opens an `srt://` input: the payloads received, one chunk per SRT message.
 *
 * @param label the URI text
 * @param uri the parsed URI
 * @param options reconnection, messages and abort
 * @returns the source (connecting happens when it is read)
 */
export function openSrtSource(label: string, uri: SrtUri, options: SrtIoOptions): Source {
  const link = new SrtLink(uri, options);
  let failure: Error | undefined;
  let closed = false;
  return {
    label,
    get failure() {
      return failure;
    },
    get srt() {
      return link.socket;
    },
    async *chunks() {
      while (!closed && !options.signal.aborted) {
        let s: SrtSocket | undefined;
        try {
          s = await link.open();
        } catch (e) {
          failure = new Error(describeSrtError(e), { cause: e });
          return;
        }
        if (!s) return;
        try {
          for await (const p of s.readable) yield p;
        } catch {
          // the stream errors with the connection's error, read below
        }
        if (closed || options.signal.aborted) return;
        const err = s.error;
        if (err) options.log.error(`SRT input connection lost: ${describeSrtError(err)}`);
        else options.log.info("SRT input: the peer closed the connection");
        if (!options.autoReconnect) {
          if (err) failure = new Error(`SRT input connection lost: ${describeSrtError(err)}`);
          return;
        }
      }
    },
    async close() {
      closed = true;
      await link.close();
    },
  };
}

/**
 * Opens an `srt://` output. The connection is made before this resolves (a listener waits
 * for its caller); with auto-reconnect, chunks written while reconnecting are dropped.
 *
 * @param label the URI text
 * @param uri the parsed URI
 * @param options reconnection, messages and abort
 * @returns the sink, or undefined when aborted before a connection was made
 * @throws {Error} naming the reason when connecting fails
 */
export async function openSrtSink(
  label: string,
  uri: SrtUri,
  options: SrtIoOptions,
): Promise<Sink | undefined> {
  const link = new SrtLink(uri, options);
  let socket: SrtSocket | undefined;
  try {
    socket = await link.open();
  } catch (e) {
    await link.close();
    throw new Error(describeSrtError(e), { cause: e });
  }
  if (!socket) {
    await link.close();
    return undefined;
  }
  let failure: Error | undefined;
  let closing = false;
  let reconnecting = false;
  let droppedWhileDown = 0;
  let endSink!: () => void;
  const ended = new Promise<void>((r) => (endSink = r));

  const watch = (s: SrtSocket): void => {
    void s.closed.then(async () => {
      if (closing) return;
      const err = s.error;
      if (err) options.log.error(`SRT output connection lost: ${describeSrtError(err)}`);
      else options.log.info("SRT output: the peer closed the connection");
      if (!options.autoReconnect) {
        if (err) failure = new Error(`SRT output connection lost: ${describeSrtError(err)}`);
        endSink();
        return;
      }
      reconnecting = true;
      try {
        const next = await link.open();
        if (!next) return endSink();
        if (droppedWhileDown > 0) {
          options.log.info(`dropped ${droppedWhileDown} chunk(s) while reconnecting`);
          droppedWhileDown = 0;
        }
        reconnecting = false;
        watch(next);
      } catch (e) {
        failure = new Error(describeSrtError(e), { cause: e });
        endSink();
      }
    });
  };
  watch(socket);

  return {
    label,
    ended,
    get failure() {
      return failure;
    },
    get srt() {
      return link.socket;
    },
    write(chunk) {
      const s = link.socket;
      if (!s || reconnecting) {
        droppedWhileDown++;
        return;
      }
      try {
        s.send(chunk);
      } catch (e) {
        if (!(e instanceof SrtError && e.code === "CLOSED")) throw e;
        droppedWhileDown++;
      }
    },
    async close() {
      closing = true;
      await link.close();
    },
  };
}
