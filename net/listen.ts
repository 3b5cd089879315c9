/**
 * `listen()`: accept SRT callers on one UDP port.
 *
 * @module
 */

import type { ConnectionRequest } from "../srt/listener.ts";
import type { SrtConnection } from "../srt/connection.ts";
import { SrtEndpoint } from "../srt/endpoint.ts";
import type { SrtOptions } from "../srt/options.ts";
import { RejectReason } from "../srt/reject_reason.ts";
import { parseSrtUri } from "../srt/uri.ts";
import { cryptoRandomU32, EndpointDriver, nowUs, SrtSocket } from "./srt_socket.ts";
import { openUdp, type UdpAddress } from "./udp.ts";
import { SrtGroupSocket } from "./group.ts";
import { GroupType } from "../srt/group_handshake.ts";

/**
 * What the accept hook decides: `true`/`undefined` accepts with the listener's options, an
 * options object accepts with those overrides, `false` rejects with FALLBACK (1000) and a
 * number rejects with that reason (e.g. 1403 FORBIDDEN).
 *
 * @example
 * ```ts
 * import { type AcceptDecision, type ConnectionRequest, listen, RejectReason } from "@tsrt/tsrt";
 * // true accepts, false rejects, a number rejects with that reason, options accept with overrides.
 * function decide(req: ConnectionRequest): AcceptDecision {
 *   if (req.streamId === undefined) return RejectReason.FORBIDDEN;
 *   if (req.streamId.startsWith("#!::r=vip/")) return { latency: 500 };
 *   return req.streamId.startsWith("#!::r=live/");
 * }
 * const server = await listen({ port: 0, hostname: "127.0.0.1", accept: decide });
 * await server.close();
 * ```
 */
export type AcceptDecision = boolean | number | SrtOptions | undefined;

/**
 * Options of {@linkcode listen}.
 *
 * @example
 * ```ts
 * import { listen, type ListenOptions } from "@tsrt/tsrt";
 * const options: ListenOptions = {
 *   port: 0,
 *   hostname: "127.0.0.1",
 *   latency: 120,
 *   passphrase: "a long shared secret",
 *   backlog: 64,
 * };
 * const server = await listen(options);
 * console.log(server.address.port);
 * await server.close();
 * ```
 */
export interface ListenOptions extends SrtOptions {
  /** Port to bind; 0 picks a free one (read it from {@linkcode SrtServer.address}). */
  port: number;
  /** Address to bind; default `0.0.0.0`. */
  hostname?: string;
  /**
   * Kernel receive buffer of the UDP socket, in bytes (libsrt's `SRTO_UDP_RCVBUF`, URI key
   * `udp_rcvbuf`). Raise it (e.g. 4 MB) at high rates so that event-loop stalls do not overflow
   * the OS default. Applied on Node and Bun, not on Deno; see
   * `receiveBufferBytes` of `openUdp()`. Read what took effect from
   * `udpReceiveBuffer` on the result.
   */
  udpReceiveBuffer?: number;
  /** Kernel send buffer of the UDP socket, in bytes (`SRTO_UDP_SNDBUF`, URI key `udp_sndbuf`). */
  udpSendBuffer?: number;
  /**
   * `IPV6_V6ONLY` when `hostname` is the IPv6 wildcard `::` (libsrt's `SRTO_IPV6ONLY`, URI key
   * `ipv6only=1|0|-1`): `true` accepts IPv6 callers only, `false` IPv4 callers too (dual stack,
   * where the system default allows it), `undefined` the system default. Set on the socket by
   * Node and Bun (through node:dgram), enforced in software on Deno; see `ipv6Only` of
   * `openUdp()`.
   */
  ipv6Only?: boolean;
  /**
   * Called for each caller before it is accepted, with its address and stream ID. May be async;
   * the caller keeps repeating its handshake meanwhile (until its connect timeout).
   */
  accept?: (request: ConnectionRequest) => AcceptDecision | Promise<AcceptDecision>;
  /** Most handshakes in progress at once. Default 1024. */
  backlog?: number;
}

/**
 * A listening SRT endpoint: an async iterable of accepted sockets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect, listen, type SrtServer } from "@tsrt/tsrt";
 * const server: SrtServer = await listen({ port: 0, hostname: "127.0.0.1" });
 * const caller = await connect({ host: "127.0.0.1", port: server.address.port, streamId: "cam1" });
 * const accepted = await server.accept();
 * assert.equal(accepted?.streamId, "cam1");
 * await caller.close();
 * await server.close();
 * ```
 */
export class SrtServer implements AsyncIterable<SrtSocket> {
  #driver: EndpointDriver;
  #queue: SrtSocket[] = [];
  #waiters: ((r: IteratorResult<SrtSocket>) => void)[] = [];
  #closed = false;
  #hook: ListenOptions["accept"];
  #groups = new Map<number, SrtGroupSocket>();
  #groupQueue: SrtGroupSocket[] = [];
  #groupWaiters: ((g: SrtGroupSocket | undefined) => void)[] = [];

  /** @internal */
  constructor(driver: EndpointDriver, hook: ListenOptions["accept"]) {
    this.#driver = driver;
    this.#hook = hook;
  }

  /** The bound local address. */
  get address(): UdpAddress {
    return this.#driver.udp.localAddress;
  }

  /**
   * The UDP socket's kernel receive buffer in bytes as the OS reports it, or `undefined` where
   * the runtime cannot tell (Deno, and Bun without `udpReceiveBuffer`/`udpSendBuffer`).
   */
  get udpReceiveBuffer(): number | undefined {
    return this.#driver.udp.receiveBufferBytes;
  }

  /** The UDP socket's kernel send buffer in bytes, or `undefined` when unknown. */
  get udpSendBuffer(): number | undefined {
    return this.#driver.udp.sendBufferBytes;
  }

  /** Sockets currently connected. */
  get sockets(): readonly SrtSocket[] {
    return [...this.#driver.sockets.values()].filter((s) => s instanceof SrtSocket);
  }

  /** Socket groups with at least one member still connected or lingering. */
  get groups(): readonly SrtGroupSocket[] {
    return [...this.#groups.values()];
  }

  /**
   * Waits for the next socket group (with `groupConnect`): the first member of a peer group
   * makes it, later members of that peer group join it silently, as libsrt's listener does.
   * Undefined once the server is closed.
   */
  acceptGroup(): Promise<SrtGroupSocket | undefined> {
    const g = this.#groupQueue.shift();
    if (g) return Promise.resolve(g);
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((r) => this.#groupWaiters.push(r));
  }

  /** Listener counters (inductions, rejections, bad cookies, ...). */
  get counters(): Readonly<Record<string, number>> {
    return { ...this.#driver.endpoint.listener!.counters, ...this.#driver.endpoint.counters };
  }

  /** Waits for the next accepted connection; undefined once the server is closed. */
  async accept(): Promise<SrtSocket | undefined> {
    const r = await this.#next();
    return r.done ? undefined : r.value;
  }

  /** Closes every connection (SHUTDOWN) and the UDP socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([
      ...this.sockets.map((s) => s.close()),
      ...[...this.#groups.values()].map((g) => g.close()),
    ]);
    this.#driver.stop();
    await this.#driver.udp.close();
    for (const w of this.#waiters.splice(0)) w({ done: true, value: undefined });
    for (const w of this.#groupWaiters.splice(0)) w(undefined);
  }

  /**
   * Iterates over connections in the order the accept hook admitted them, as
   * `for await (const socket of server)`; the loop ends once the server is closed. Shares
   * one queue with {@linkcode SrtServer.accept}, so each socket is handed out only once.
   *
   * @returns an iterator whose `next()` waits for the next accepted socket
   */
  [Symbol.asyncIterator](): AsyncIterator<SrtSocket> {
    return { next: () => this.#next() };
  }

  #next(): Promise<IteratorResult<SrtSocket>> {
    const s = this.#queue.shift();
    if (s) return Promise.resolve({ done: false, value: s });
    if (this.#closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((r) => this.#waiters.push(r));
  }

  /** @internal */
  _push(s: SrtSocket): void {
    const w = this.#waiters.shift();
    if (w) w({ done: false, value: s });
    else this.#queue.push(s);
  }

  /** @internal Takes pending requests and runs the hook on each. */
  _onRequests(): void {
    const ep = this.#driver.endpoint;
    for (let req = ep.pollRequest(); req; req = ep.pollRequest()) void this.#decide(req);
  }

  /**
   * Whether a caller claims a peer group that is already served here with another group type
   * or stream ID: a later member must be what the first one was, or it could slip another
   * stream (or another caller's) into the group.
   */
  #foreignMember(req: ConnectionRequest): boolean {
    const g = req.group;
    const group = g && this.#groups.get(g.peerGroupId);
    if (!g || !group) return false;
    const type = g.type === GroupType.BROADCAST ? "broadcast" : "backup";
    return group.mode !== type || group.streamId !== req.streamId;
  }

  /** Puts a group member into the group socket of its peer group, making it if new. */
  #joinGroup(conn: SrtConnection): void {
    const g = conn.group!;
    let group = this.#groups.get(g.peerGroupId);
    const fresh = group === undefined;
    if (!group) {
      group = new SrtGroupSocket(g.type === GroupType.BROADCAST ? "broadcast" : "backup");
      const made = group;
      this.#groups.set(g.peerGroupId, made);
      void made.closed.then(() => {
        if (this.#groups.get(g.peerGroupId) === made) this.#groups.delete(g.peerGroupId);
      });
    }
    group._add(conn, this.#driver, g.peerWeight, false);
    if (!fresh) return;
    const w = this.#groupWaiters.shift();
    if (w) w(group);
    else this.#groupQueue.push(group);
  }

  async #decide(req: ConnectionRequest): Promise<void> {
    let d: AcceptDecision;
    try {
      d = this.#hook ? await this.#hook(req) : true;
    } catch {
      d = RejectReason.ISE;
    }
    if (this.#closed) return;
    let now = nowUs();
    const ep = this.#driver.endpoint;
    if (d !== false && typeof d !== "number" && this.#foreignMember(req)) d = RejectReason.GROUP;
    if (d === false) ep.reject(now, req, RejectReason.FALLBACK);
    else if (typeof d === "number") ep.reject(now, req, d);
    else {
      const overrides = d === true || d === undefined ? undefined : d;
      let conn;
      try {
        // Key derivation first, then the clock: the response must not leave later than its
        // timestamp says, or every packet this side sends plays that much late at the caller.
        ep.prepareAccept(req, overrides);
        now = nowUs();
        conn = ep.accept(now, req, overrides);
      } catch {
        // Options the hook returned that do not resolve (e.g. a 9-byte passphrase): refuse
        // this caller rather than fail the server.
        ep.reject(now, req, RejectReason.ISE);
      }
      if (conn?.group) this.#joinGroup(conn);
      else if (conn) {
        const s = new SrtSocket(this.#driver, conn);
        this.#driver.sockets.set(conn, s);
        this._push(s);
      }
    }
    this.#driver.flush(now);
  }
}

/**
 * Listens for SRT callers.
 *
 * @param target Options, or an `srt://:port` / `srt://host:port?mode=listener` URI.
 * @returns The server; iterate it (or call `accept()`) to get connected sockets.
 *
 * @example
 * ```ts ignore
 * import { listen } from "@tsrt/tsrt";
 * const server = await listen({
 *   port: 9000,
 *   accept: (req) => req.streamId?.startsWith("#!::r=live/") ? true : 1403,
 * });
 * for await (const socket of server) {
 *   for await (const chunk of socket.readable) console.log(chunk.length);
 * }
 * ```
 */
export async function listen(target: string | ListenOptions): Promise<SrtServer> {
  let opts: ListenOptions;
  if (typeof target === "string") {
    const uri = parseSrtUri(target);
    if (uri.mode !== "listener") {
      throw new TypeError(`listen() needs a listener URI (srt://:port or mode=listener)`);
    }
    opts = {
      ...uri.options,
      port: uri.port,
      hostname: uri.adapter ?? (uri.host || undefined),
      udpReceiveBuffer: uri.udpReceiveBuffer,
      udpSendBuffer: uri.udpSendBuffer,
      ipv6Only: uri.ipv6Only,
    };
  } else opts = target;
  const {
    port,
    hostname,
    accept,
    backlog,
    udpReceiveBuffer,
    udpSendBuffer,
    ipv6Only,
    ...srtOptions
  } = opts;
  const endpoint = new SrtEndpoint(cryptoRandomU32);
  endpoint.listen(nowUs(), srtOptions, backlog);
  const ref: { driver?: EndpointDriver; server?: SrtServer } = {};
  const udp = await openUdp({
    hostname: hostname ?? "0.0.0.0",
    port,
    receiveBufferBytes: udpReceiveBuffer,
    sendBufferBytes: udpSendBuffer,
    ipv6Only,
    onMessage: (data, from) => ref.driver?.receive(data, from),
  });
  const driver = new EndpointDriver(udp, endpoint, { onRequest: () => ref.server?._onRequests() });
  const server = new SrtServer(driver, accept);
  ref.driver = driver;
  ref.server = server;
  driver.flush(nowUs());
  return server;
}
