/**
 * A live SRT stream server: one listener, many streams. Callers publish (`m=publish`) or play
 * (`m=request`) a resource named by their stream ID; every player of a resource receives
 * every payload its publisher sends after the player joined.
 *
 * Each caller goes through, in order:
 *
 * | check | rejection |
 * |---|---|
 * | server shutting down | 1503 DOWN |
 * | too many connections from the caller's address (`limits.maxConnectionsPerIp`) | 1402 OVERLOAD |
 * | {@linkcode AccessControl.decide}: address lists, `limits.maxConnections`, stream keys, stream ID (Haivision policy for a missing `m`), resources, users, passphrases | its code (1400..1409) |
 * | mode `bidirectional` (not served) | 1405 BAD_MODE |
 * | second publisher of a resource | 1409 CONFLICT |
 * | player of a resource nobody publishes, unless `players.waitForPublisher` | 1404 NOTFOUND |
 *
 * The passphrase chosen by access control (per user, resource or stream key) is set on the
 * connection before the handshake completes, so a caller with the wrong one is refused by SRT
 * (BADSECRET). Every decision is logged through `log` and counted.
 *
 * Players are fed through a bounded {@linkcode PlayerQueue} each: a slow player loses its oldest
 * payloads (counted) and never slows the publisher or the other players. With `analyze` on,
 * each publisher's payloads also go through a {@linkcode StreamPipeline} (frames and
 * TR 101 290).
 *
 * {@linkcode StreamServer.close} is graceful: it stops accepting, closes the publishers, hands
 * what the players still have queued to SRT, and closes every connection with SHUTDOWN,
 * letting SRT deliver the tail (linger).
 *
 * @module
 */

import { listen, type SrtServer } from "../net/listen.ts";
import type { SrtSocket } from "../net/srt_socket.ts";
import type { UdpAddress } from "../net/udp.ts";
import type { ConnectionRequest } from "../srt/listener.ts";
import type { SrtOptions } from "../srt/options.ts";
import type { StreamIdMode } from "../srt/stream_id.ts";
import type { Frame } from "../mpegts/frame_assembler.ts";
import type { MonitorEvent } from "../mpegts/monitor.ts";
import {
  AccessControl,
  type AccessControlConfig,
  type AccessCounters,
  type AccessLogEntry,
  AccessReject,
} from "./access_control.ts";
import { BitrateMeter } from "./bitrate.ts";
import { formatIp, parseIp, toIpv4 } from "./cidr.ts";
import { PlayerQueue, type PlayerQueueCounters } from "./player_queue.ts";
import { type PipelineSnapshot, StreamPipeline } from "./stream_pipeline.ts";

/**
 * Options of {@linkcode StreamServer.start}.
 *
 * @example
 * ```ts
 * import { StreamServer, type StreamServerOptions } from "@tsrt/tsrt/server";
 * const options: StreamServerOptions = {
 *   port: 0,
 *   hostname: "127.0.0.1",
 *   srt: { latency: 200 },
 *   access: { resources: [{ match: "live/*" }] },
 *   limits: { maxConnections: 100, maxConnectionsPerIp: 10 },
 *   players: { waitForPublisher: true },
 *   log: (e) => console.log(e.kind),
 * };
 * const server = await StreamServer.start(options);
 * await server.close();
 * ```
 */
export interface StreamServerOptions {
  /** UDP port to listen on; 0 picks a free one (see {@linkcode StreamServer.address}). */
  port: number;
  /** Address to bind. Default `0.0.0.0`. */
  hostname?: string;
  /** Defaults for every connection (latency, passphrase, buffers...). */
  srt?: SrtOptions;
  /**
   * Kernel receive buffer of the listener's UDP socket, in bytes (libsrt's
   * `SRTO_UDP_RCVBUF`). Every stream shares that one socket, so many streams need far more than
   * the OS default (208 KB holds about 1 ms at 1 Gbit/s). Applied on Bun and Node; on Deno raise
   * `net.core.rmem_default` instead (see `openUdp()`).
   */
  udpReceiveBuffer?: number;
  /** Kernel send buffer of the listener's UDP socket, in bytes (`SRTO_UDP_SNDBUF`). */
  udpSendBuffer?: number;
  /** Access control: who may publish or play what, with which passphrase. Default: anyone. */
  access?: AccessControlConfig;
  /** Connection limits. */
  limits?: {
    /** Most connections at once (pending ones included); then OVERLOAD. */
    maxConnections?: number;
    /** Most connections at once from one IP address; then OVERLOAD. */
    maxConnectionsPerIp?: number;
  };
  /** Player behaviour. */
  players?: {
    /**
     * Accept players of a resource nobody publishes yet, and feed them once someone does.
     * Default false: such players are refused with NOTFOUND (1404).
     */
    waitForPublisher?: boolean;
    /**
     * Close the players when their publisher leaves (after handing them what was queued).
     * Default true; when false they wait for the next publisher.
     */
    closeOnUnpublish?: boolean;
    /** Payloads queued per player before the oldest are dropped. Default 4096. */
    queuePackets?: number;
    /** Packets allowed in a player's SRT send buffer before its queue holds back. Default 4096. */
    maxInFlight?: number;
  };
  /** Demux, assemble and monitor each published stream. Default true. */
  analyze?: boolean;
  /** Receives access decisions and stream events. */
  log?: (entry: StreamServerLogEntry) => void;
  /** Receives every frame of every published stream (needs `analyze`). */
  onFrame?: (resource: string, frame: Frame) => void;
  /** Receives every TR 101 290 event of every published stream (needs `analyze`). */
  onTsEvent?: (resource: string, event: MonitorEvent) => void;
  /** Clock for access control (expiry of users and stream keys). Default `Date.now`. */
  now?: () => number;
}

/**
 * A log entry: an access decision (`kind: "access"`) or a stream event.
 *
 * @example
 * ```ts
 * import { StreamServer, type StreamServerLogEntry } from "@tsrt/tsrt/server";
 * function line(e: StreamServerLogEntry): string {
 *   if (e.kind === "access") return `${e.peer} ${e.accept ? "accepted" : `rejected ${e.reason}`}`;
 *   return `${e.kind} ${e.resource} by ${e.peer}`;
 * }
 * const server = await StreamServer.start({ port: 0, log: (e) => console.log(line(e)) });
 * await server.close();
 * ```
 */
export type StreamServerLogEntry =
  | ({ readonly kind: "access" } & AccessLogEntry)
  | {
    readonly kind: "publish" | "unpublish" | "play" | "stop";
    readonly resource: string;
    readonly peer: string;
    readonly user?: string;
    /** For `unpublish`/`stop`: why the connection ended, when it failed. */
    readonly error?: string;
    /** For `unpublish`: payloads received from this publisher. */
    readonly receivedPayloads?: number;
    /** For `unpublish`: the stream's final media analysis (with `analyze`). */
    readonly media?: PipelineSnapshot;
  };

/**
 * One connection as {@linkcode StreamServer.snapshot} reports it.
 *
 * @example
 * ```ts
 * import { type ConnectionSnapshot, StreamServer } from "@tsrt/tsrt/server";
 * const server = await StreamServer.start({ port: 0, hostname: "127.0.0.1" });
 * for (const stream of server.snapshot().streams) {
 *   const publisher: ConnectionSnapshot | undefined = stream.publisher;
 *   if (publisher) console.log(publisher.peer, publisher.bitsPerSecond, publisher.stats.msRTT);
 * }
 * await server.close();
 * ```
 */
export interface ConnectionSnapshot {
  /** `address:port` of the caller. */
  readonly peer: string;
  /** What it does. */
  readonly mode: "publish" | "request";
  /** The user access control recognised, if any. */
  readonly user?: string;
  /** The raw stream ID. */
  readonly streamId?: string;
  /** Connected since (ms since the epoch). */
  readonly since: number;
  /** Payload rate over the last second, bits per second (received or sent). */
  readonly bitsPerSecond: number;
  /** Player queue counters (players only). */
  readonly queue?: Readonly<PlayerQueueCounters>;
  /** The socket's statistics (libsrt names). */
  readonly stats: Readonly<Record<string, number>>;
}

/**
 * One stream as {@linkcode StreamServer.snapshot} reports it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "@tsrt/tsrt";
 * import { StreamServer, type StreamSnapshot } from "@tsrt/tsrt/server";
 * const server = await StreamServer.start({ port: 0, hostname: "127.0.0.1" });
 * const streamId = "#!::r=live/a,m=publish";
 * const publisher = await connect({ host: "127.0.0.1", port: server.address.port, streamId });
 * await new Promise((r) => setTimeout(r, 50));
 * const stream: StreamSnapshot | undefined = server.snapshot().streams[0];
 * assert.equal(stream?.resource, "live/a");
 * assert.equal(stream?.players.length, 0);
 * await publisher.close();
 * await server.close();
 * ```
 */
export interface StreamSnapshot {
  /** The resource name. */
  readonly resource: string;
  /** The publisher, if one is connected. */
  readonly publisher?: ConnectionSnapshot;
  /** The players. */
  readonly players: readonly ConnectionSnapshot[];
  /** Payload bytes received from publishers of this resource. */
  readonly receivedBytes: number;
  /** Payloads received from publishers of this resource. */
  readonly receivedPayloads: number;
  /** Payloads dropped by player queues, in total (departed players included). */
  readonly playerDrops: number;
  /** Media analysis, when enabled and something was published. */
  readonly media?: PipelineSnapshot;
}

/**
 * What {@linkcode StreamServer.snapshot} returns (JSON-safe).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ServerSnapshot, StreamServer } from "@tsrt/tsrt/server";
 * const server = await StreamServer.start({ port: 0, hostname: "127.0.0.1" });
 * const snap: ServerSnapshot = server.snapshot();
 * assert.equal(snap.port, server.address.port);
 * assert.equal(snap.connections, 0);
 * assert.deepEqual(snap.streams, []);
 * await server.close();
 * ```
 */
export interface ServerSnapshot {
  /** The bound port. */
  readonly port: number;
  /** Connections now. */
  readonly connections: number;
  /** Decisions and rejections. */
  readonly access: AccessCounters;
  /** The streams. */
  readonly streams: readonly StreamSnapshot[];
}

interface Reservation {
  readonly resource: string;
  readonly mode: "publish" | "request";
  readonly user?: string;
  readonly ip: string;
  claimed: boolean;
  released?: boolean;
}

class Conn {
  readonly meter = new BitrateMeter();
  readonly since = Date.now();
  queue?: PlayerQueue;
  constructor(
    readonly socket: SrtSocket,
    readonly peer: string,
    readonly ip: string,
    readonly mode: "publish" | "request",
    readonly user: string | undefined,
  ) {}

  snapshot(nowUs: number): ConnectionSnapshot {
    const stats: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.socket.stats())) {
      if (typeof v === "number") stats[k] = v;
    }
    return {
      peer: this.peer,
      mode: this.mode,
      ...(this.user !== undefined ? { user: this.user } : {}),
      ...(this.socket.streamId !== undefined ? { streamId: this.socket.streamId } : {}),
      since: this.since,
      bitsPerSecond: this.meter.bitsPerSecond(nowUs),
      ...(this.queue ? { queue: { ...this.queue.counters } } : {}),
      stats,
    };
  }
}

class Stream {
  publisher: Conn | undefined;
  readonly players = new Set<Conn>();
  receivedBytes = 0;
  receivedPayloads = 0;
  departedDrops = 0;
  pipeline: StreamPipeline | undefined;
  constructor(readonly resource: string) {}
}

function nowUs(): number {
  return Math.round(performance.now() * 1000);
}

/** `address:port`, IPv4-mapped addresses as IPv4, IPv6 in brackets. */
function peerText(hostname: string, port: number): { peer: string; ip: string } {
  const parsed = parseIp(hostname);
  if (!parsed) return { peer: `${hostname}:${port}`, ip: hostname };
  const ip = toIpv4(parsed) ?? parsed;
  const text = formatIp(ip);
  return { peer: ip.family === 6 ? `[${text}]:${port}` : `${text}:${port}`, ip: text };
}

function requestKey(hostname: string, port: number, socketId: number): string {
  return `${hostname}|${port}|${socketId}`;
}

/**
 * The stream server.
 *
 * @example
 * ```ts ignore
 * import { StreamServer } from "./stream_server.ts";
 * const server = await StreamServer.start({ port: 9000, players: { waitForPublisher: true } });
 * // ffmpeg -re -i in.ts -f mpegts "srt://127.0.0.1:9000?streamid=#!::r=live/a,m=publish"
 * // ffplay "srt://127.0.0.1:9000?streamid=#!::r=live/a,m=request"
 * await server.close();
 * ```
 */
export class StreamServer {
  #listener: SrtServer;
  #opts: StreamServerOptions;
  #access: AccessControl;
  #streams = new Map<string, Stream>();
  #conns = new Set<Conn>();
  #reservations = new Map<string, Reservation>();
  #perIp = new Map<string, number>();
  #extra: AccessCounters = {
    decisions: 0,
    accepted: 0,
    rejected: 0,
    byReason: {},
    byMode: { request: 0, publish: 0, bidirectional: 0 },
  };
  #closing = false;
  #closed: Promise<void> | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #loop: Promise<void>;
  #tasks = new Set<Promise<void>>();

  private constructor(listener: SrtServer, opts: StreamServerOptions, access: AccessControl) {
    this.#listener = listener;
    this.#opts = opts;
    this.#access = access;
    this.#loop = this.#acceptLoop();
    if (opts.analyze !== false) {
      this.#ticker = setInterval(() => {
        const ms = performance.now();
        for (const s of this.#streams.values()) s.pipeline?.tick(ms);
      }, 500);
    }
  }

  /**
   * Binds the listener and starts serving.
   *
   * @param options Port, SRT defaults, access control, limits, player policy.
   * @returns The running server.
   * @throws {TypeError} for bad CIDR text in the access configuration.
   */
  static async start(options: StreamServerOptions): Promise<StreamServer> {
    const ref: { server?: StreamServer } = {};
    const access = new AccessControl(
      {
        ...options.access,
        ...(options.limits?.maxConnections !== undefined
          ? { maxConnections: options.limits.maxConnections }
          : {}),
      },
      {
        logger: (e) => options.log?.({ kind: "access", ...e }),
        state: {
          isPublished: (r) => ref.server?.isPublished(r) ?? false,
          activeConnections: () => ref.server?.connectionCount ?? 0,
        },
      },
    );
    const listener = await listen({
      ...options.srt,
      port: options.port,
      hostname: options.hostname,
      udpReceiveBuffer: options.udpReceiveBuffer,
      udpSendBuffer: options.udpSendBuffer,
      accept: (req) => ref.server!.#decide(req),
    });
    ref.server = new StreamServer(listener, options, access);
    return ref.server;
  }

  /** The bound address. */
  get address(): UdpAddress {
    return this.#listener.address;
  }

  /**
   * The listener's UDP receive buffer in bytes as the OS reports it (Linux reports twice what
   * it granted), or undefined where the runtime cannot tell (Deno).
   */
  get udpReceiveBuffer(): number | undefined {
    return this.#listener.udpReceiveBuffer;
  }

  /** Connections open or being accepted. */
  get connectionCount(): number {
    let pending = 0;
    for (const r of this.#reservations.values()) if (!r.claimed) pending++;
    return this.#conns.size + pending;
  }

  /** Resource names with a publisher (or one being accepted). */
  get publishedResources(): string[] {
    return [...this.#streams.values()].filter((s) => s.publisher).map((s) => s.resource);
  }

  /** The listener's counters (inductions, handshakes accepted and rejected...). */
  get listenerCounters(): Readonly<Record<string, number>> {
    return this.#listener.counters;
  }

  /** Access decisions: access control's plus the server's own (limits, conflicts, no publisher). */
  get accessCounters(): AccessCounters {
    const a = this.#access.counters;
    const x = this.#extra;
    const byReason: Record<number, number> = { ...a.byReason };
    for (const [k, v] of Object.entries(x.byReason)) byReason[+k] = (byReason[+k] ?? 0) + v;
    return {
      decisions: a.decisions + x.decisions,
      accepted: a.accepted + x.accepted,
      rejected: a.rejected + x.rejected,
      byReason,
      byMode: {
        request: a.byMode.request + x.byMode.request,
        publish: a.byMode.publish + x.byMode.publish,
        bidirectional: a.byMode.bidirectional + x.byMode.bidirectional,
      },
    };
  }

  /**
   * Whether a resource has a publisher, connected or being accepted.
   *
   * @param resource The resource name.
   */
  isPublished(resource: string): boolean {
    if (this.#streams.get(resource)?.publisher) return true;
    for (const r of this.#reservations.values()) {
      if (r.mode === "publish" && r.resource === resource) return true;
    }
    return false;
  }

  /**
   * Rejects a caller with a server-level reason, logging and counting it like access control.
   * `afterAccess` says access control had accepted it (its acceptance is then taken back).
   */
  #reject(
    req: ConnectionRequest,
    reason: number,
    message: string,
    known: { resource?: string; mode?: StreamIdMode; user?: string },
    afterAccess: boolean,
  ): number {
    const x = this.#extra;
    if (afterAccess) {
      // Access control counted an acceptance: record the reversal.
      x.byMode[known.mode!]--;
      x.accepted--;
    } else x.decisions++;
    x.rejected++;
    x.byReason[reason] = (x.byReason[reason] ?? 0) + 1;
    this.#opts.log?.({
      kind: "access",
      now: (this.#opts.now ?? Date.now)(),
      peer: peerText(req.peer.hostname, req.peer.port).peer,
      listenerPort: this.address.port,
      accept: false,
      reason,
      message,
      ...known,
    });
    return reason;
  }

  #decide(req: ConnectionRequest): number | SrtOptions {
    const { ip } = peerText(req.peer.hostname, req.peer.port);
    if (this.#closing) return this.#reject(req, 1503, "server is shutting down", {}, false);
    const perIp = this.#opts.limits?.maxConnectionsPerIp;
    if (perIp !== undefined && (this.#perIp.get(ip) ?? 0) >= perIp) {
      return this.#reject(
        req,
        AccessReject.OVERLOAD,
        `${ip} is at its limit of ${perIp} connections`,
        {},
        false,
      );
    }
    const d = this.#access.decide(
      { peer: req.peer, streamId: req.streamId, listenerPort: this.address.port },
      (this.#opts.now ?? Date.now)(),
    );
    if (!d.accept) return d.reason;
    const known = { resource: d.resource, mode: d.mode, ...(d.user ? { user: d.user } : {}) };
    if (d.mode === "bidirectional") {
      return this.#reject(req, 1405, "bidirectional mode is not served", known, true);
    }
    if (d.mode === "publish" && this.isPublished(d.resource)) {
      return this.#reject(req, 1409, `"${d.resource}" is already being published`, known, true);
    }
    if (
      d.mode === "request" && !this.#opts.players?.waitForPublisher && !this.isPublished(d.resource)
    ) {
      return this.#reject(req, 1404, `nobody publishes "${d.resource}"`, known, true);
    }
    const key = requestKey(req.peer.hostname, req.peer.port, req.peerSocketId);
    const r: Reservation = {
      resource: d.resource,
      mode: d.mode,
      ...(d.user ? { user: d.user } : {}),
      ip,
      claimed: false,
    };
    this.#reservations.set(key, r);
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
    // The listener accepts right after this returns; if SRT refuses the caller after all (wrong
    // passphrase), no socket appears and the reservation is released on the next turn.
    setTimeout(() => {
      if (r.claimed || this.#reservations.get(key) !== r) return;
      const present = this.#listener.sockets.some((s) =>
        requestKey(s.remoteAddress.hostname, s.remoteAddress.port, s.connection.peerSocketId) ===
          key
      );
      if (!present) this.#release(key, r);
    }, 0);
    return d.passphrase !== undefined ? { passphrase: d.passphrase } : {};
  }

  #release(key: string, r: Reservation): void {
    if (r.released) return;
    r.released = true;
    if (this.#reservations.get(key) === r) this.#reservations.delete(key);
    const n = (this.#perIp.get(r.ip) ?? 1) - 1;
    if (n <= 0) this.#perIp.delete(r.ip);
    else this.#perIp.set(r.ip, n);
  }

  async #acceptLoop(): Promise<void> {
    for await (const socket of this.#listener) {
      const a = socket.remoteAddress;
      const key = requestKey(a.hostname, a.port, socket.connection.peerSocketId);
      const r = this.#reservations.get(key);
      if (!r || this.#closing) {
        void socket.close();
        if (r) this.#release(key, r);
        continue;
      }
      r.claimed = true;
      const { peer } = peerText(a.hostname, a.port);
      const conn = new Conn(socket, peer, r.ip, r.mode, r.user);
      this.#conns.add(conn);
      const task = (r.mode === "publish" ? this.#publish(conn, r, key) : this.#play(conn, r))
        .finally(() => {
          this.#conns.delete(conn);
          this.#release(key, r);
          this.#tasks.delete(task);
        });
      this.#tasks.add(task);
    }
  }

  #stream(resource: string): Stream {
    let s = this.#streams.get(resource);
    if (!s) {
      s = new Stream(resource);
      this.#streams.set(resource, s);
    }
    return s;
  }

  #forget(s: Stream): void {
    if (!s.publisher && s.players.size === 0 && this.#streams.get(s.resource) === s) {
      s.pipeline?.close();
      this.#streams.delete(s.resource);
    }
  }

  async #publish(conn: Conn, r: Reservation, key: string): Promise<void> {
    const s = this.#stream(r.resource);
    s.publisher = conn;
    const socket = conn.socket;
    if (this.#opts.analyze !== false) {
      s.pipeline?.close();
      const { onFrame, onTsEvent } = this.#opts;
      s.pipeline = new StreamPipeline({
        dropCounter: () => socket.stats().pktRcvDropTotal,
        ...(onFrame ? { onFrame: (f: Frame) => onFrame(r.resource, f) } : {}),
        ...(onTsEvent ? { onEvent: (e: MonitorEvent) => onTsEvent(r.resource, e) } : {}),
      });
    }
    this.#opts.log?.({ kind: "publish", resource: r.resource, peer: conn.peer, ...userOf(r) });
    const reader = socket.readable.getReader();
    const pipeline = s.pipeline;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const t = nowUs();
        conn.meter.add(t, value.length);
        s.receivedBytes += value.length;
        s.receivedPayloads++;
        if (s.players.size > 0) {
          const copy = value.slice();
          for (const p of s.players) p.queue!.push(copy);
        }
        pipeline?.push(value, t / 1000);
      }
    } catch {
      // The connection failed; its error is reported below.
    }
    await socket.closed;
    s.publisher = undefined;
    // The resource is free again at once (a reconnecting publisher must not get CONFLICT
    // while the players are being flushed).
    this.#release(key, r);
    this.#opts.log?.({
      kind: "unpublish",
      resource: r.resource,
      peer: conn.peer,
      ...userOf(r),
      ...(socket.error ? { error: socket.error.message } : {}),
      receivedPayloads: conn.meter.totalPackets,
      ...(pipeline ? { media: pipeline.snapshot() } : {}),
    });
    if (this.#opts.players?.closeOnUnpublish !== false) {
      await Promise.all([...s.players].map(async (p) => {
        await p.queue!.drained();
        await p.socket.close();
      }));
    }
    this.#forget(s);
  }

  async #play(conn: Conn, r: Reservation): Promise<void> {
    const s = this.#stream(r.resource);
    const socket = conn.socket;
    const players = this.#opts.players ?? {};
    const meter = conn.meter;
    conn.queue = new PlayerQueue({
      send: (p) => {
        socket.send(p);
        meter.add(nowUs(), p.length);
      },
      stats: () => socket.stats(),
    }, { maxQueued: players.queuePackets, maxInFlight: players.maxInFlight });
    s.players.add(conn);
    this.#opts.log?.({ kind: "play", resource: r.resource, peer: conn.peer, ...userOf(r) });
    void socket.readable.cancel().catch(() => {});
    await socket.closed;
    conn.queue.close();
    s.players.delete(conn);
    s.departedDrops += conn.queue.counters.dropped;
    this.#opts.log?.({
      kind: "stop",
      resource: r.resource,
      peer: conn.peer,
      ...userOf(r),
      ...(socket.error ? { error: socket.error.message } : {}),
    });
    this.#forget(s);
  }

  /** Per-stream state, JSON-safe. */
  streams(): StreamSnapshot[] {
    const t = nowUs();
    return [...this.#streams.values()].map((s) => {
      let drops = s.departedDrops;
      for (const p of s.players) drops += p.queue!.counters.dropped;
      return {
        resource: s.resource,
        ...(s.publisher ? { publisher: s.publisher.snapshot(t) } : {}),
        players: [...s.players].map((p) => p.snapshot(t)),
        receivedBytes: s.receivedBytes,
        receivedPayloads: s.receivedPayloads,
        playerDrops: drops,
        ...(s.pipeline ? { media: s.pipeline.snapshot() } : {}),
      };
    });
  }

  /** The whole server's state, JSON-safe (what `/streams` serves). */
  snapshot(): ServerSnapshot {
    return {
      port: this.address.port,
      connections: this.#conns.size,
      access: this.accessCounters,
      streams: this.streams(),
    };
  }

  /**
   * Graceful shutdown: refuses new callers (1503 DOWN), closes the publishers, hands the
   * players what they still have queued, then closes every connection (SHUTDOWN) and the
   * listener. Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    const conns = [...this.#conns];
    await Promise.all(conns.filter((c) => c.mode === "publish").map((c) => c.socket.close()));
    await Promise.all(
      conns.filter((c) => c.mode === "request").map(async (c) => {
        await c.queue?.drained();
        await c.socket.close();
      }),
    );
    await this.#listener.close();
    await this.#loop;
    await Promise.all([...this.#tasks]);
    for (const s of this.#streams.values()) s.pipeline?.close();
  }
}

function userOf(r: Reservation): { user?: string } {
  return r.user !== undefined ? { user: r.user } : {};
}
