/**
 * Socket groups over UDP: {@linkcode connectGroup} opens one caller connection per member
 * path and drives a sans-IO {@linkcode SrtGroup} over them; a listener with `groupConnect`
 * gathers the members of each peer group into one {@linkcode SrtGroupSocket}
 * (`SrtServer.acceptGroup()`).
 *
 * @module
 */

import type { SrtConnection } from "../srt/connection.ts";
import { SrtEndpoint } from "../srt/endpoint.ts";
import { SrtError } from "../srt/errors.ts";
import {
  type GroupEvent,
  type GroupMemberStatus,
  type GroupMode,
  type GroupStats,
  SrtGroup,
} from "../srt/group.ts";
import { groupExtension, GroupType, makeGroupId } from "../srt/group_handshake.ts";
import { type GroupUri, parseGroupUri } from "../srt/group_uri.ts";
import type { SrtOptions } from "../srt/options.ts";
import type { SrtStats } from "../srt/stats.ts";
import type { KmStats } from "../srt/crypto_control.ts";
import type { ConnectOptions } from "./connect.ts";
import { type ConnectionSink, cryptoRandomU32, EndpointDriver, nowUs } from "./srt_socket.ts";
import { openUdp } from "./udp.ts";
import { ReadQueue } from "./_read_queue.ts";

/** First and longest wait before a failed member path is dialled again. */
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 8000;

/**
 * One member path of a group: where its listener is, how to bind locally, and its weight.
 *
 * @example
 * ```ts
 * import type { GroupMemberTarget } from "@tsrt/tsrt";
 * // The main link over one interface, the backup over another.
 * const main: GroupMemberTarget = { host: "192.0.2.10", port: 9000, localAddress: "10.1.0.2", weight: 10 };
 * const backup: GroupMemberTarget = { host: "198.51.100.10", port: 9000, localAddress: "10.2.0.2", weight: 1 };
 * void [main, backup];
 * ```
 */
export interface GroupMemberTarget extends ConnectOptions {
  /** Main/backup priority 0..65535: the highest weight carries the stream. Default 0. */
  weight?: number;
}

/**
 * Options of {@linkcode connectGroup}: the group's mode, its members, and SRT options for all.
 *
 * @example
 * ```ts
 * import type { GroupConnectOptions } from "@tsrt/tsrt";
 * const options: GroupConnectOptions = {
 *   mode: "backup",
 *   latency: 200,
 *   members: [
 *     { host: "192.0.2.10", port: 9000, weight: 10 },
 *     { host: "198.51.100.10", port: 9000, weight: 1 },
 *   ],
 * };
 * void options;
 * ```
 */
export interface GroupConnectOptions extends SrtOptions {
  /** `"broadcast"`: every packet on every member; `"backup"`: one active member at a time. */
  mode: GroupMode;
  /** The member paths. */
  members: readonly GroupMemberTarget[];
  /** Minimum stability timeout (SRTO_GROUPMINSTABLETIMEO), ms; default 60. */
  minStabilityMs?: number;
  /**
   * Dial a member again when its connection fails or breaks (backoff 250 ms doubling to
   * 8 s), so that a path that comes back rejoins the group (as a standby in a backup group).
   * The group then stays open until {@linkcode SrtGroupSocket.close}, dropping and counting
   * what is sent while no member is connected. Default false: a member that ends is gone,
   * and the group closes when every member has.
   */
  reconnectMembers?: boolean;
}

/**
 * One member of a group socket, with its connection's statistics.
 *
 * @example
 * ```ts
 * import type { GroupMemberInfo } from "@tsrt/tsrt";
 * const line = (m: GroupMemberInfo): string =>
 *   `${m.peer.hostname}:${m.peer.port} ${m.state} w=${m.weight} rtt=${m.stats.msRTT} ms`;
 * void line;
 * ```
 */
export interface GroupMemberInfo extends GroupMemberStatus {
  /** Where the member's peer is. */
  readonly peer: { readonly hostname: string; readonly port: number };
  /** The member connection's statistics. */
  readonly stats: SrtStats;
}

interface MemberEntry {
  readonly driver: EndpointDriver;
  /** Whether the entry owns its driver and UDP socket (callers), or shares a listener's. */
  readonly owned: boolean;
  ended: boolean;
  error: SrtError | undefined;
}

/**
 * A socket group: one stream over several member connections, with the interface of an
 * `SrtSocket` (Web Streams, `send`, `close`, statistics).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectGroup, listen } from "@tsrt/tsrt";
 * const server = await listen({ port: 0, hostname: "127.0.0.1", groupConnect: true });
 * const port = server.address.port;
 * // Two members to the same listener, as two paths would be.
 * const group = await connectGroup({
 *   mode: "broadcast",
 *   members: [{ host: "127.0.0.1", port }, { host: "127.0.0.1", port }],
 * });
 * const accepted = await server.acceptGroup();
 * assert.equal(accepted?.mode, "broadcast");
 * await group.close();
 * await server.close();
 * ```
 */
export class SrtGroupSocket {
  /** Payloads of the merged stream, one message per chunk, in order, each once. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Payloads to send; chunks longer than {@linkcode SrtGroupSocket.payloadSize} are split. */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves when every member has ended (closed locally, by the peer, or broken). */
  readonly closed: Promise<void>;

  #group: SrtGroup;
  #entries = new Map<SrtConnection, MemberEntry>();
  #queue = new ReadQueue();
  #resolveClosed!: () => void;
  #ended = false;
  #closing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #onEvent: ((e: GroupEvent) => void) | undefined;
  #keepOpen = false;
  /** The members' drivers, each once (a listener's members share one): flushed after a send. */
  #drivers: EndpointDriver[] = [];
  #later = new Set<ReturnType<typeof setTimeout>>();

  /** @internal Created by {@linkcode connectGroup} and `SrtServer`. */
  constructor(mode: GroupMode, minStabilityUs?: number, onEvent?: (e: GroupEvent) => void) {
    this.#onEvent = onEvent;
    this.#group = new SrtGroup({
      mode,
      initialSeq: cryptoRandomU32(),
      minStabilityUs,
      touch: (c) => this.#entries.get(c)?.driver.endpoint.touch(c),
    });
    this.closed = new Promise((r) => (this.#resolveClosed = r));
    this.readable = this.#queue.readable;
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.send(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    });
  }

  /** Broadcast or main/backup. */
  get mode(): GroupMode {
    return this.#group.mode;
  }

  /**
   * The peer's group ID, for a group a listener accepted (its members' peer group); undefined
   * for a caller's own group before a member connected.
   */
  get peerGroupId(): number | undefined {
    for (const c of this.#entries.keys()) if (c.group) return c.group.peerGroupId;
    return undefined;
  }

  /** The stream ID of the group's first member (what its callers sent), if any. */
  get streamId(): string | undefined {
    return this.#entries.keys().next().value?.streamId;
  }

  /** The ISN a member connecting now should use (the group's next sequence number). */
  get memberInitialSeq(): number {
    return this.#group.memberInitialSeq;
  }

  /** Largest payload of one packet: the smallest of the connected members'. */
  get payloadSize(): number {
    let size = Infinity;
    for (const c of this.#entries.keys()) {
      if (c.state === "connected") size = Math.min(size, c.payloadSize);
    }
    return size === Infinity ? 1316 : size;
  }

  /** The members, their states and statistics. */
  get members(): GroupMemberInfo[] {
    const now = nowUs();
    const status = this.#group.members;
    return [...this.#entries.keys()].map((c, i) => ({
      ...status[i],
      peer: c.peer,
      stats: c.stats(now),
    }));
  }

  /**
   * The statistics of one member in the shape of `SrtSocket.stats()`: the member heard from
   * most recently (the one carrying the stream, as a rule), for status lines and logs made
   * for single connections. Undefined while no member is connected.
   */
  linkStats(): (SrtStats & KmStats & { readonly pktReadQueueDropped: number }) | undefined {
    let best: SrtConnection | undefined;
    for (const c of this.#entries.keys()) {
      if (c.state !== "connected" && c.state !== "closing") continue;
      if (!best || c.lastResponseUs > best.lastResponseUs) best = c;
    }
    if (!best) return undefined;
    return { ...best.stats(nowUs()), pktReadQueueDropped: this.#queue.dropped };
  }

  /** Group counters, plus payloads dropped because the reader fell behind. */
  stats(): GroupStats & { readonly pktReadQueueDropped: number } {
    return { ...this.#group.stats, pktReadQueueDropped: this.#queue.dropped };
  }

  /**
   * Sends data through the group, split into packets of at most
   * {@linkcode SrtGroupSocket.payloadSize} bytes. While no member is connected the payloads
   * are dropped and counted (`pktSndDropNoLink`).
   *
   * @throws {SrtError} with code `CLOSED` once every member has ended.
   */
  send(data: Uint8Array): void {
    if (this.#ended || this.#closing) throw new SrtError("CLOSED", "the group is closed");
    const max = this.payloadSize;
    const now = nowUs();
    for (let off = 0; off < data.length; off += max) {
      this.#group.send(now, data.subarray(off, Math.min(off + max, data.length)));
    }
    this.#flush(now);
  }

  /** Closes every member (SHUTDOWN to each peer) and waits until all have ended. */
  async close(): Promise<void> {
    if (!this.#ended) {
      this.#closing = true;
      const now = nowUs();
      this.#group.close(now);
      this.#flush(now);
      this.#checkEnded();
    }
    await this.closed;
  }

  /** @internal Adds a member connection driven by `driver` (owned: a caller's own socket). */
  _add(conn: SrtConnection, driver: EndpointDriver, weight: number, owned: boolean): void {
    const entry: MemberEntry = { driver, owned, ended: false, error: undefined };
    this.#entries.set(conn, entry);
    this.#drivers = distinctDrivers(this.#entries);
    const sink: ConnectionSink = {
      _deliver: (p) => {
        this.#group.deliver(nowUs(), conn, p);
        this.#pull();
      },
      _ended: (error) => {
        entry.ended = true;
        entry.error = error;
        // Not from inside the driver's flush, which is running now.
        queueMicrotask(() => this._changed());
      },
    };
    driver.sockets.set(conn, sink);
    this.#group.add(nowUs(), conn, weight);
    if (this.#closing) {
      // Dialled while the group was closing: end it at once.
      conn.close(nowUs());
      driver.endpoint.touch(conn);
    }
    this._changed();
  }

  /** @internal A member connected or ended: let the group look, then send what it decided. */
  _changed(): void {
    const now = nowUs();
    this.#group.handleTimeout(now);
    this.#flush(now);
    this.#checkEnded();
  }

  /** @internal The group stays open while members are redialled, until close(). */
  _keepOpen(): void {
    this.#keepOpen = true;
  }

  /** @internal Whether close() has been called. */
  get _closing(): boolean {
    return this.#closing;
  }

  /** @internal Runs `fn` after `ms` unless the group is closed first. */
  _later(ms: number, fn: () => void): void {
    if (this.#closing || this.#ended) return;
    const t = setTimeout(() => {
      this.#later.delete(t);
      if (!this.#closing && !this.#ended) fn();
    }, ms);
    this.#later.add(t);
  }

  /** @internal Takes an ended member out of the group and frees its socket. */
  _remove(conn: SrtConnection): void {
    const e = this.#entries.get(conn);
    if (!e) return;
    this.#entries.delete(conn);
    this.#drivers = distinctDrivers(this.#entries);
    e.driver.sockets.delete(conn);
    const now = nowUs();
    this.#group.remove(now, conn);
    if (e.owned) {
      e.driver.stop();
      void e.driver.udp.close();
    }
    this.#flush(now);
  }

  /** The first error among the members, for a group whose members all failed. */
  get _firstError(): SrtError | undefined {
    for (const e of this.#entries.values()) if (e.error) return e.error;
    return undefined;
  }

  #checkEnded(): void {
    if (this.#ended) return;
    if (this.#keepOpen ? !this.#closing : this.#entries.size === 0) return;
    for (const e of this.#entries.values()) if (!e.ended) return;
    this.#ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const t of this.#later) clearTimeout(t);
    this.#later.clear();
    for (const e of this.#entries.values()) {
      if (e.owned) {
        e.driver.stop();
        void e.driver.udp.close();
      }
    }
    this.#queue.end();
    this.#resolveClosed();
  }

  /** Hands merged payloads to the reader, flushes every member's driver, re-arms the timer. */
  #flush(now: number): void {
    for (const d of this.#drivers) d.flush(now);
    this.#pull();
    for (let ev = this.#group.pollEvent(); ev; ev = this.#group.pollEvent()) this.#onEvent?.(ev);
    this.#arm(now);
  }

  #pull(): void {
    for (let p = this.#group.pollPayload(); p; p = this.#group.pollPayload()) this.#queue.push(p);
  }

  #arm(now: number): void {
    if (this.#ended) return;
    const t = this.#group.pollTimeout();
    if (t === Infinity) return;
    if (this.#timer !== undefined && this.#timerAt <= t) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = t;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      const n = nowUs();
      this.#group.handleTimeout(n);
      this.#flush(n);
    }, Math.max(0, (t - now) / 1000));
  }
}

/**
 * Connects a socket group: one caller connection per member path, each with its own UDP
 * socket, all carrying one stream. Resolves as soon as one member is connected (the others
 * join when their handshakes finish); rejects when every member failed.
 *
 * The URI form is libsrt's test application's:
 * `srt:////group?type=backup&nodes=HOST1:PORT1?weight=10,HOST2:PORT2&latency=200`.
 *
 * @param target Options, or a group URI.
 * @param onEvent Told of member events (connected, activated, unstable, broken, ...).
 * @returns The group socket.
 * @throws {SrtError} the first member's error when no member could connect.
 *
 * @example
 * ```ts
 * import { connectGroup, listen } from "@tsrt/tsrt";
 * const server = await listen({ port: 0, hostname: "127.0.0.1", groupConnect: true });
 * const port = server.address.port;
 * const group = await connectGroup(
 *   `srt:////group?type=backup&nodes=127.0.0.1:${port}?weight=10,127.0.0.1:${port}&latency=120`,
 * );
 * group.send(new Uint8Array(188 * 7));
 * await group.close();
 * await server.close();
 * ```
 */
export async function connectGroup(
  target: string | GroupConnectOptions,
  onEvent?: (e: GroupEvent) => void,
): Promise<SrtGroupSocket> {
  const opts = typeof target === "string" ? groupOptionsFromUri(parseGroupUri(target)) : target;
  const { mode, members, minStabilityMs, reconnectMembers = false, ...shared } = opts;
  if (members.length === 0) throw new RangeError("a group needs at least one member");
  const socket = new SrtGroupSocket(
    mode,
    minStabilityMs === undefined ? undefined : minStabilityMs * 1000,
    onEvent,
  );
  const groupId = makeGroupId(cryptoRandomU32());
  const type = mode === "broadcast" ? GroupType.BROADCAST : GroupType.BACKUP;
  let settle!: { ok: () => void; fail: (e: unknown) => void };
  const connected = new Promise<void>((ok, fail) => (settle = { ok, fail }));
  let firstRound = members.length;

  /** Opens one member path: its UDP socket, endpoint and caller connection. */
  const dial = async (m: GroupMemberTarget, path: { backoffMs: number }): Promise<void> => {
    const {
      host,
      port,
      localAddress,
      localPort,
      udpReceiveBuffer,
      udpSendBuffer,
      ipv6Only,
      weight = 0,
      ...own
    } = m;
    const endpoint = new SrtEndpoint(cryptoRandomU32);
    const ref: { driver?: EndpointDriver } = {};
    const udp = await openUdp({
      hostname: localAddress ?? (host.includes(":") ? "::" : "0.0.0.0"),
      port: localPort ?? 0,
      receiveBufferBytes: udpReceiveBuffer,
      sendBufferBytes: udpSendBuffer,
      ipv6Only,
      onMessage: (data, from) => ref.driver?.receive(data, from),
    });
    let wasConnected = false;
    const driver = new EndpointDriver(udp, endpoint, {
      onConnected: () => {
        wasConnected = true;
        path.backoffMs = RECONNECT_MIN_MS;
        queueMicrotask(() => socket._changed());
        settle.ok();
      },
      onClosed: () => {
        if (firstRound > 0 && !wasConnected && --firstRound === 0) {
          settle.fail(socket._firstError);
        }
        if (!reconnectMembers || socket._closing) return;
        // The path failed: take the member out and dial it again after a while.
        queueMicrotask(() => socket._remove(conn));
        const wait = path.backoffMs;
        path.backoffMs = Math.min(RECONNECT_MAX_MS, path.backoffMs * 2);
        socket._later(wait, () => void dial(m, path).catch(() => {}));
      },
    });
    ref.driver = driver;
    const conn = endpoint.connect(nowUs(), { hostname: host, port }, { ...shared, ...own }, {
      group: groupExtension(groupId, type, weight),
      initialSeq: socket.memberInitialSeq,
    });
    socket._add(conn, driver, weight, true);
  };

  if (reconnectMembers) socket._keepOpen();
  for (const m of members) await dial(m, { backoffMs: RECONNECT_MIN_MS });
  try {
    await connected;
  } catch (e) {
    await socket.close();
    throw e;
  }
  return socket;
}

function distinctDrivers(entries: Map<SrtConnection, MemberEntry>): EndpointDriver[] {
  return [...new Set([...entries.values()].map((e) => e.driver))];
}

/**
 * The {@linkcode connectGroup} options a parsed group URI stands for.
 *
 * @param u the URI, from `parseGroupUri()`
 * @returns the options (no `reconnectMembers`: add it as wanted)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupOptionsFromUri, parseGroupUri } from "@tsrt/tsrt";
 * const o = groupOptionsFromUri(parseGroupUri("srt:////group?type=backup&nodes=10.0.0.1:9000?weight=3"));
 * assert.deepEqual(o.members.map((m) => [m.host, m.port, m.weight]), [["10.0.0.1", 9000, 3]]);
 * ```
 */
export function groupOptionsFromUri(u: GroupUri): GroupConnectOptions {
  return {
    ...u.options,
    mode: u.mode,
    minStabilityMs: u.minStabilityMs,
    members: u.nodes.map((n) => ({
      host: n.host,
      port: n.port,
      weight: n.weight,
      localAddress: n.source ?? u.adapter,
      localPort: n.sourcePort,
      udpReceiveBuffer: u.udpReceiveBuffer,
      udpSendBuffer: u.udpSendBuffer,
      ipv6Only: u.ipv6Only,
    })),
  };
}
