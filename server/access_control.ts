/**
 * Access control for an SRT stream server: decides, from the peer address, the listener port
 * and the stream ID, whether to accept a caller, for which resource and mode, and with which
 * passphrase.
 *
 * {@linkcode AccessControl.decide} is synchronous and performs no I/O; time is passed in.
 * Rejections carry libsrt's `SRT_REJX_*` codes ({@linkcode AccessReject}); the listener sends
 * them on the wire as 1000 + code. Every decision goes to the injected logger (secrets left
 * out) and is counted in {@linkcode AccessControl.counters}.
 *
 * Checks, in order, each with the code it rejects with:
 *
 * | check | code |
 * |---|---|
 * | global deny list, or not on the global allow list | 1403 FORBIDDEN |
 * | too many connections | 1402 OVERLOAD |
 * | expired stream key | 1401 UNAUTHORIZED |
 * | unparsable stream ID | 1400 BAD_REQUEST (1405 BAD_MODE for a bad `m`, 1001 KEY_NOTSUP) |
 * | no stream ID and no route | 1404 NOTFOUND |
 * | no resource rule matches, or the rule is for other listener ports | 1404 NOTFOUND |
 * | the rule's deny/allow lists | 1403 FORBIDDEN |
 * | mode not offered by the rule | 1405 BAD_MODE |
 * | stream type (`t`) not served, e.g. `file` on a live server | 1406 UNACCEPTABLE |
 * | user required but absent, unknown, expired, or wrong password/token | 1401 UNAUTHORIZED |
 * | user not allowed this address, resource or mode | 1403 FORBIDDEN |
 * | resource already published | 1409 CONFLICT |
 *
 * @module
 */

import { CidrList, formatIp, parseIp, toIpv4 } from "./cidr.ts";
import {
  type HaivisionRoute,
  type MissingModePolicy,
  resolveHaivisionCaller,
} from "../srt/haivision.ts";
import {
  normalizeStreamName,
  type ParseStreamIdOptions,
  type StreamId,
  type StreamIdMode,
  type StreamIdSyntax,
  type StreamIdType,
} from "../srt/stream_id.ts";

/**
 * The `SRT_REJX_*` codes access control answers with (libsrt `access_control.h`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, AccessReject } from "@tsrt/tsrt/server";
 * const ac = new AccessControl({ resources: [{ match: "live/*" }] });
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * const d = ac.decide({ peer, streamId: "#!::r=vod/film", listenerPort: 9000 }, Date.now());
 * assert.equal(!d.accept && d.reason, AccessReject.NOTFOUND);
 * ```
 */
export const AccessReject = {
  /** Generic rejection (libsrt's default in a listen callback). */
  FALLBACK: 1000,
  /** A stream ID key is not supported. */
  KEY_NOTSUP: 1001,
  /** The stream ID cannot be understood. */
  BAD_REQUEST: 1400,
  /** Authentication is missing or wrong. */
  UNAUTHORIZED: 1401,
  /** The server is overloaded. */
  OVERLOAD: 1402,
  /** Authenticated, but not allowed. */
  FORBIDDEN: 1403,
  /** No such resource. */
  NOTFOUND: 1404,
  /** The mode is not offered for this resource. */
  BAD_MODE: 1405,
  /** Parameters not acceptable. */
  UNACCEPTABLE: 1406,
  /** The resource is already in use (already published). */
  CONFLICT: 1409,
} as const;

/**
 * A user of the server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type AccessUser } from "@tsrt/tsrt/server";
 * const cam1: AccessUser = {
 *   passphrase: "cam1-own-passphrase",
 *   modes: ["publish"],
 *   allowedResources: ["live/cam1"],
 *   allow: ["10.0.0.0/8"],
 * };
 * const ac = new AccessControl({ users: { cam1 } });
 * const peer = { hostname: "10.1.2.3", port: 5000 };
 * const streamId = "#!::u=cam1,r=live/cam1,m=publish";
 * const d = ac.decide({ peer, streamId, listenerPort: 9000 }, 0);
 * assert.equal(d.accept && d.passphrase, "cam1-own-passphrase");
 * ```
 */
export interface AccessUser {
  /** SRT passphrase for this user's connections (overrides the resource's and the default). */
  passphrase?: string;
  /** Password the stream ID must carry (MediaMTX `user:pass`, or `s` with `sessionAsPassword`). */
  password?: string;
  /** Resource patterns this user may use (see {@linkcode ResourceRule.match}); default all. */
  allowedResources?: readonly string[];
  /** Modes this user may use; default all. */
  modes?: readonly StreamIdMode[];
  /** CIDR ranges this user may connect from; default anywhere. */
  allow?: readonly string[];
  /** The user is refused from this time on (same clock and unit as `now`). */
  expiresAt?: number;
  /** The user is refused before this time. */
  notBefore?: number;
  /** Refuse this user. */
  disabled?: boolean;
}

/**
 * Rules for resources whose name matches `match`. The first matching rule applies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type ResourceRule } from "@tsrt/tsrt/server";
 * const rules: ResourceRule[] = [
 *   { match: "live/*", modes: ["publish", "request"] },
 *   { match: "vod/*", modes: ["request"], token: "s3cret" },
 * ];
 * const ac = new AccessControl({ resources: rules });
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * const d = ac.decide({ peer, streamId: "#!::r=vod/a,m=publish", listenerPort: 9000 }, 0);
 * assert.equal(!d.accept && d.reason, 1405); // BAD_MODE: vod/* is play-only
 * ```
 */
export interface ResourceRule {
  /** An exact name, a prefix ending in `*` (`live/*`), or `*` for every resource. */
  match: string;
  /** Modes offered; default all. */
  modes?: readonly StreamIdMode[];
  /** Only these users (implies `requireUser`). */
  users?: readonly string[];
  /** A user must be named (and known, if there is a user table). */
  requireUser?: boolean;
  /** SRT passphrase for this resource (a user's own passphrase takes precedence). */
  passphrase?: string;
  /** Token the stream ID must carry (datarhei `token`, SRS `secret`). */
  token?: string;
  /** CIDR ranges allowed for this resource; default anywhere. */
  allow?: readonly string[];
  /** CIDR ranges refused for this resource. */
  deny?: readonly string[];
  /** Listener ports this resource is served on; default all. */
  listenerPorts?: readonly number[];
}

/**
 * Routing by listener port and/or peer address, for callers that need help (see Haivision).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type RouteRule } from "@tsrt/tsrt/server";
 * // Encoders that send no stream ID publish to live/lobby when they call port 9001.
 * const route: RouteRule = { listenerPort: 9001, resource: "live/lobby", mode: "publish" };
 * const ac = new AccessControl({ routes: [route] });
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * const d = ac.decide({ peer, streamId: undefined, listenerPort: 9001 }, 0);
 * assert.equal(d.accept && d.resource, "live/lobby");
 * ```
 */
export interface RouteRule {
  /** Listener port to match; any if absent. */
  listenerPort?: number;
  /** Peer CIDR ranges to match; any if absent. */
  peers?: readonly string[];
  /** Resource for callers that send no stream ID or no resource. */
  resource?: string;
  /** Mode for callers without a stream ID, and for a missing `m` under `by-route`. */
  mode?: StreamIdMode;
  /** User for callers that name none. */
  user?: string;
}

/**
 * A stream key: the whole stream ID is a secret that selects a resource (Mux style).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type StreamKey } from "@tsrt/tsrt/server";
 * const key: StreamKey = { resource: "live/show", mode: "publish" };
 * const ac = new AccessControl({ streamKeys: { "sk-7f3a9c": key } });
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * const d = ac.decide({ peer, streamId: "sk-7f3a9c", listenerPort: 9000 }, 0);
 * assert.equal(d.accept && d.resource, "live/show");
 * ```
 */
export interface StreamKey {
  /** The resource it publishes to or reads. */
  resource: string;
  /** The mode; default `publish`. */
  mode?: StreamIdMode;
  /** The user it acts as (user checks other than the password still apply). */
  user?: string;
  /** SRT passphrase for connections with this key. */
  passphrase?: string;
  /** The key is refused from this time on. */
  expiresAt?: number;
}

/**
 * Configuration of {@linkcode AccessControl}.
 *
 * @example
 * ```ts
 * import { type AccessControlConfig, StreamServer } from "@tsrt/tsrt/server";
 * const access: AccessControlConfig = {
 *   deny: ["203.0.113.0/24"],
 *   passphrase: "default passphrase",
 *   resources: [{ match: "live/*" }],
 *   maxConnections: 200,
 * };
 * const server = await StreamServer.start({ port: 0, hostname: "127.0.0.1", access });
 * await server.close();
 * ```
 */
export interface AccessControlConfig {
  /** Only peers in these CIDR ranges; default everyone. */
  allow?: readonly string[];
  /** Never peers in these CIDR ranges (checked first). */
  deny?: readonly string[];
  /** The user table. When present, a named user must be in it. */
  users?: Readonly<Record<string, AccessUser>>;
  /** Resource rules, first match wins. When present, other resources are NOTFOUND. */
  resources?: readonly ResourceRule[];
  /** Accept resources no rule matches even when there are rules. Default false. */
  allowUnknownResources?: boolean;
  /** Every caller must name a user. Default false. */
  requireUser?: boolean;
  /** Default SRT passphrase. */
  passphrase?: string;
  /** Stream keys, matched exactly against the whole stream ID before parsing. */
  streamKeys?: Readonly<Record<string, StreamKey>>;
  /** Routes by listener port / peer address, first match wins. */
  routes?: readonly RouteRule[];
  /** Meaning of a missing `m` (see {@linkcode MissingModePolicy}). Default `request`. */
  missingMode?: MissingModePolicy;
  /** Stream ID parser options. */
  parse?: ParseStreamIdOptions;
  /**
   * What a caller without a stream ID (HSv4, old Makito firmware) gets when no route gives
   * it a resource: `reject` (default, NOTFOUND) or `peer-address`, which names the resource
   * after the caller's `address:port` as datarhei Core does (resource rules still apply).
   */
  unroutedCallers?: "reject" | "peer-address";
  /** Stream types (`t`) served; others are UNACCEPTABLE. Default `["stream"]`. */
  types?: readonly StreamIdType[];
  /** Refuse new callers (OVERLOAD) when `state.activeConnections()` reaches this. */
  maxConnections?: number;
  /** Refuse a second publisher of a resource (CONFLICT). Default true. */
  exclusivePublish?: boolean;
  /** Compare names with `+` and space equal, for FFmpeg-based callers. Default true. */
  foldPlus?: boolean;
}

/**
 * A connection request, as the listener sees it before accepting.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type AccessRequest } from "@tsrt/tsrt/server";
 * const request: AccessRequest = {
 *   peer: { hostname: "198.51.100.4", port: 61000 },
 *   streamId: "#!::r=live/a,m=request",
 *   listenerPort: 9000,
 * };
 * assert.equal(new AccessControl({}).decide(request, 0).accept, true);
 * ```
 */
export interface AccessRequest {
  /** The caller's address. */
  peer: { hostname: string; port: number };
  /** The stream ID it sent, if any. */
  streamId: string | undefined;
  /** The local port it connected to. */
  listenerPort: number;
}

/**
 * An accepted caller.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AcceptDecision, AccessControl } from "@tsrt/tsrt/server";
 * const ac = new AccessControl({ passphrase: "shared passphrase" });
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * const d = ac.decide({ peer, streamId: "#!::r=live/a,m=publish", listenerPort: 9000 }, 0);
 * assert.ok(d.accept);
 * const ok: AcceptDecision = d;
 * assert.deepEqual(ok, {
 *   accept: true,
 *   resource: "live/a",
 *   mode: "publish",
 *   passphrase: "shared passphrase",
 * });
 * ```
 */
export interface AcceptDecision {
  /** Always true. */
  readonly accept: true;
  /** The resource to attach it to. */
  readonly resource: string;
  /** What it does. */
  readonly mode: StreamIdMode;
  /** Who it is, if known. */
  readonly user?: string;
  /** Passphrase to set on the connection before the handshake completes. */
  readonly passphrase?: string;
}

/**
 * A rejected caller.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type RejectDecision } from "@tsrt/tsrt/server";
 * const ac = new AccessControl({ deny: ["203.0.113.0/24"] });
 * const peer = { hostname: "203.0.113.9", port: 40000 };
 * const d = ac.decide({ peer, streamId: "#!::r=live/a", listenerPort: 9000 }, 0);
 * assert.ok(!d.accept);
 * const no: RejectDecision = d;
 * assert.equal(no.reason, 1403); // FORBIDDEN
 * ```
 */
export interface RejectDecision {
  /** Always false. */
  readonly accept: false;
  /** The `SRT_REJX_*` code (see {@linkcode AccessReject}). */
  readonly reason: number;
  /** Why, for logs (never sent to the peer by SRT). */
  readonly message: string;
}

/**
 * Result of {@linkcode AccessControl.decide}.
 *
 * @example
 * ```ts
 * import { AccessControl, type Decision } from "@tsrt/tsrt/server";
 * function describe(d: Decision): string {
 *   return d.accept ? `${d.mode} ${d.resource}` : `rejected ${d.reason}: ${d.message}`;
 * }
 * const ac = new AccessControl({});
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * console.log(describe(ac.decide({ peer, streamId: "#!::r=live/a", listenerPort: 9000 }, 0)));
 * ```
 */
export type Decision = AcceptDecision | RejectDecision;

/**
 * What the logger receives for each decision. Passphrases, passwords and keys are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type AccessLogEntry } from "@tsrt/tsrt/server";
 * const log: AccessLogEntry[] = [];
 * const ac = new AccessControl({ resources: [{ match: "live/*" }] }, {
 *   logger: (e) => log.push(e),
 * });
 * const peer = { hostname: "::ffff:192.0.2.7", port: 40000 };
 * ac.decide({ peer, streamId: "#!::r=live/a,m=publish", listenerPort: 9000 }, 1000);
 * assert.equal(log[0].peer, "192.0.2.7:40000"); // IPv4-mapped shown as IPv4
 * assert.equal(log[0].accept, true);
 * assert.equal(log[0].via, "access-control");
 * ```
 */
export interface AccessLogEntry {
  /** The `now` passed to `decide`. */
  readonly now: number;
  /** The peer as `address:port` (`[v6]:port`; IPv4-mapped addresses as IPv4). */
  readonly peer: string;
  /** The listener port. */
  readonly listenerPort: number;
  /** Accepted or not. */
  readonly accept: boolean;
  /** The rejection code, when rejected. */
  readonly reason?: number;
  /** The rejection message, when rejected. */
  readonly message?: string;
  /** The resource, once known. */
  readonly resource?: string;
  /** The mode, once known. */
  readonly mode?: StreamIdMode;
  /** The user, once known. */
  readonly user?: string;
  /** Whether a passphrase was chosen. */
  readonly encrypted?: boolean;
  /** How the caller was recognised: a stream ID dialect, `stream-key` or `route`. */
  readonly via?: StreamIdSyntax | "stream-key" | "publish-id" | "route";
}

/**
 * Decision counters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type AccessCounters } from "@tsrt/tsrt/server";
 * const ac = new AccessControl({ resources: [{ match: "live/*" }] });
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * ac.decide({ peer, streamId: "#!::r=live/a,m=publish", listenerPort: 9000 }, 0);
 * ac.decide({ peer, streamId: "#!::r=other", listenerPort: 9000 }, 0);
 * const c: AccessCounters = ac.counters;
 * assert.equal(c.accepted, 1);
 * assert.equal(c.byReason[1404], 1);
 * assert.equal(c.byMode.publish, 1);
 * ```
 */
export interface AccessCounters {
  /** Decisions taken. */
  decisions: number;
  /** Callers accepted. */
  accepted: number;
  /** Callers rejected. */
  rejected: number;
  /** Rejections by `SRT_REJX_*` code. */
  byReason: Record<number, number>;
  /** Acceptances by mode. */
  byMode: Record<StreamIdMode, number>;
}

/**
 * Live server state the decision may depend on, queried synchronously.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type AccessState } from "@tsrt/tsrt/server";
 * const published = new Set(["live/a"]);
 * const state: AccessState = { isPublished: (r) => published.has(r), activeConnections: () => 1 };
 * const ac = new AccessControl({}, { state });
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * const d = ac.decide({ peer, streamId: "#!::r=live/a,m=publish", listenerPort: 9000 }, 0);
 * assert.equal(!d.accept && d.reason, 1409); // CONFLICT: live/a already has a publisher
 * ```
 */
export interface AccessState {
  /** Whether a resource currently has a publisher. */
  isPublished?(resource: string): boolean;
  /** Connections currently open. */
  activeConnections?(): number;
}

/**
 * Options of {@linkcode AccessControl}.
 *
 * @example
 * ```ts
 * import { AccessControl, type AccessControlOptions } from "@tsrt/tsrt/server";
 * const options: AccessControlOptions = {
 *   logger: (e) => console.log(e.peer, e.accept ? "accept" : `reject ${e.reason}`),
 *   state: { activeConnections: () => 0 },
 * };
 * const ac = new AccessControl({ maxConnections: 100 }, options);
 * ac.decide({ peer: { hostname: "192.0.2.7", port: 1 }, streamId: "x", listenerPort: 9000 }, 0);
 * ```
 */
export interface AccessControlOptions {
  /** Receives every decision. */
  logger?: (entry: AccessLogEntry) => void;
  /** Live state for OVERLOAD and CONFLICT checks. */
  state?: AccessState;
}

interface CompiledRule {
  rule: ResourceRule;
  allow?: CidrList;
  deny?: CidrList;
}

interface CompiledRoute {
  route: RouteRule;
  peers?: CidrList;
}

/** Compares a given secret with the expected one in time that does not depend on the given. */
function secretEquals(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}

/** `address:port` with IPv4-mapped addresses shown as IPv4 and IPv6 in brackets. */
function formatPeer(peer: { hostname: string; port: number }): string {
  const parsed = parseIp(peer.hostname);
  if (!parsed) return `${peer.hostname}:${peer.port}`;
  const ip = toIpv4(parsed) ?? parsed;
  const text = formatIp(ip);
  return ip.family === 6 ? `[${text}]:${peer.port}` : `${text}:${peer.port}`;
}

/**
 * Decides whether callers may connect. Build once from configuration (bad CIDR text throws
 * `TypeError` here, not per connection), then call {@linkcode AccessControl.decide} for each
 * connection request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl } from "./access_control.ts";
 *
 * const ac = new AccessControl({
 *   deny: ["203.0.113.0/24"],
 *   users: { admin: { passphrase: "admin-passphrase", modes: ["publish"] } },
 *   resources: [{ match: "live/*", modes: ["publish", "request"] }],
 * });
 * const peer = { hostname: "192.0.2.10", port: 50000 };
 * const ok = ac.decide({ peer, streamId: "#!::u=admin,r=live/cam,m=publish", listenerPort: 9000 }, 0);
 * assert.deepEqual(ok, {
 *   accept: true,
 *   resource: "live/cam",
 *   mode: "publish",
 *   user: "admin",
 *   passphrase: "admin-passphrase",
 * });
 * const no = ac.decide({ peer, streamId: "#!::r=vod/x", listenerPort: 9000 }, 0);
 * assert.equal(no.accept, false);
 * assert.equal(!no.accept && no.reason, 1404);
 * assert.equal(ac.counters.rejected, 1);
 * ```
 */
export class AccessControl {
  /** Decision counters, updated by every {@linkcode AccessControl.decide}. */
  readonly counters: AccessCounters = {
    decisions: 0,
    accepted: 0,
    rejected: 0,
    byReason: {},
    byMode: { request: 0, publish: 0, bidirectional: 0 },
  };

  #config: AccessControlConfig;
  #allow?: CidrList;
  #deny?: CidrList;
  #rules: CompiledRule[];
  #routes: CompiledRoute[];
  #userAllow = new Map<string, CidrList>();
  #logger?: (entry: AccessLogEntry) => void;
  #state: AccessState;

  /**
   * Compiles a configuration once: every CIDR list (global, per rule, per route, per user) is
   * parsed here, so a bad range fails at start-up rather than on a connection. The config
   * object is kept by reference, not copied.
   *
   * @param config Lists, users, resources, routes and policies.
   * @param options `logger` receives every decision (secrets left out); `state` supplies the
   *   live connection counts and published resources for the OVERLOAD (1402) and CONFLICT
   *   (1409) checks, which are skipped without it.
   * @throws {TypeError} When an allow/deny/peers entry is not a CIDR range or address.
   */
  constructor(config: AccessControlConfig, options: AccessControlOptions = {}) {
    this.#config = config;
    if (config.allow) this.#allow = new CidrList(config.allow);
    if (config.deny) this.#deny = new CidrList(config.deny);
    this.#rules = (config.resources ?? []).map((rule) => ({
      rule,
      ...(rule.allow ? { allow: new CidrList(rule.allow) } : {}),
      ...(rule.deny ? { deny: new CidrList(rule.deny) } : {}),
    }));
    this.#routes = (config.routes ?? []).map((route) => ({
      route,
      ...(route.peers ? { peers: new CidrList(route.peers) } : {}),
    }));
    for (const [name, user] of Object.entries(config.users ?? {})) {
      if (user.allow) this.#userAllow.set(name, new CidrList(user.allow));
    }
    this.#logger = options.logger;
    this.#state = options.state ?? {};
  }

  #name(s: string): string {
    return this.#config.foldPlus === false ? s : normalizeStreamName(s);
  }

  #matches(pattern: string, resource: string): boolean {
    if (pattern === "*") return true;
    const p = this.#name(pattern);
    const r = this.#name(resource);
    return p.endsWith("*") ? r.startsWith(p.slice(0, -1)) : p === r;
  }

  #findRoute(request: AccessRequest): HaivisionRoute | undefined {
    const ip = parseIp(request.peer.hostname);
    for (const { route, peers } of this.#routes) {
      if (route.listenerPort !== undefined && route.listenerPort !== request.listenerPort) continue;
      if (peers && (!ip || !peers.contains(ip))) continue;
      const out: HaivisionRoute = {};
      if (route.resource !== undefined) out.resource = route.resource;
      if (route.mode !== undefined) out.mode = route.mode;
      if (route.user !== undefined) out.user = route.user;
      return out;
    }
    return undefined;
  }

  /**
   * Decides one connection request. Never throws for peer input.
   *
   * @param request The peer, its stream ID and the listener port.
   * @param now The current time, in the unit of the configured `expiresAt`/`notBefore`.
   * @returns Accept (with resource, mode, user, passphrase) or reject (with a code).
   */
  decide(request: AccessRequest, now: number): Decision {
    const base = {
      now,
      peer: formatPeer(request.peer),
      listenerPort: request.listenerPort,
    };
    let known: Partial<Pick<AccessLogEntry, "resource" | "mode" | "user" | "via">> = {};
    const reject = (reason: number, message: string): Decision => {
      const d: RejectDecision = { accept: false, reason, message };
      this.counters.decisions++;
      this.counters.rejected++;
      this.counters.byReason[reason] = (this.counters.byReason[reason] ?? 0) + 1;
      this.#logger?.({ ...base, ...known, accept: false, reason, message });
      return d;
    };

    const cfg = this.#config;
    const R = AccessReject;
    const ip = parseIp(request.peer.hostname);
    if (ip && this.#deny?.contains(ip)) return reject(R.FORBIDDEN, "peer address is denied");
    if (this.#allow && (!ip || !this.#allow.contains(ip))) {
      return reject(R.FORBIDDEN, "peer address is not on the allow list");
    }
    const active = this.#state.activeConnections?.();
    if (cfg.maxConnections !== undefined && active !== undefined && active >= cfg.maxConnections) {
      return reject(R.OVERLOAD, `server is at its limit of ${cfg.maxConnections} connections`);
    }

    // Who and what: stream key, or the stream ID read Haivision-style with routes.
    let resource: string;
    let mode: StreamIdMode;
    let user: string | undefined;
    let id: StreamId | undefined;
    let key: StreamKey | undefined;
    const sid = request.streamId;
    if (sid !== undefined && cfg.streamKeys && Object.hasOwn(cfg.streamKeys, sid)) {
      key = cfg.streamKeys[sid];
      known = { via: "stream-key", resource: key.resource };
      if (key.expiresAt !== undefined && now >= key.expiresAt) {
        return reject(R.UNAUTHORIZED, "stream key has expired");
      }
      resource = key.resource;
      mode = key.mode ?? "publish";
      user = key.user;
    } else {
      let route = this.#findRoute(request);
      if (
        (sid === undefined || sid === "") && route?.resource === undefined &&
        cfg.unroutedCallers === "peer-address"
      ) {
        route = { ...route, resource: base.peer };
      }
      const r = resolveHaivisionCaller(sid, route, {
        missingMode: cfg.missingMode ?? "request",
        ...(cfg.parse ? { parse: cfg.parse } : {}),
      });
      if (!r.ok) return reject(r.reason, r.message);
      resource = r.resource;
      mode = r.mode;
      user = r.user;
      id = r.streamId;
      known = { via: id ? id.syntax : r.source === "publish-id" ? "publish-id" : "route" };
    }
    known = { ...known, resource, mode, ...(user !== undefined ? { user } : {}) };

    // Resource rules.
    const compiled = this.#rules.find((c) => this.#matches(c.rule.match, resource));
    if (!compiled && this.#rules.length > 0 && !cfg.allowUnknownResources) {
      return reject(R.NOTFOUND, `no such resource "${resource}"`);
    }
    const rule = compiled?.rule;
    if (rule?.listenerPorts && !rule.listenerPorts.includes(request.listenerPort)) {
      return reject(
        R.NOTFOUND,
        `resource "${resource}" is not served on port ${request.listenerPort}`,
      );
    }
    if (compiled?.deny && ip && compiled.deny.contains(ip)) {
      return reject(R.FORBIDDEN, `peer address is denied for "${resource}"`);
    }
    if (compiled?.allow && (!ip || !compiled.allow.contains(ip))) {
      return reject(R.FORBIDDEN, `peer address is not allowed for "${resource}"`);
    }
    if (rule?.modes && !rule.modes.includes(mode)) {
      return reject(R.BAD_MODE, `mode ${mode} is not offered for "${resource}"`);
    }
    const type = id?.type ?? "stream";
    if (!(cfg.types ?? ["stream"]).includes(type)) {
      return reject(R.UNACCEPTABLE, `stream type ${type} is not served`);
    }

    // Users.
    const needUser = cfg.requireUser || rule?.requireUser || rule?.users !== undefined;
    let entry: AccessUser | undefined;
    if (user === undefined) {
      if (needUser) return reject(R.UNAUTHORIZED, "a user name is required");
    } else if (cfg.users) {
      entry = Object.hasOwn(cfg.users, user) ? cfg.users[user] : undefined;
      if (!entry) return reject(R.UNAUTHORIZED, `unknown user "${user}"`);
      if (entry.disabled) return reject(R.UNAUTHORIZED, `user "${user}" is disabled`);
      if (entry.expiresAt !== undefined && now >= entry.expiresAt) {
        return reject(R.UNAUTHORIZED, `user "${user}" has expired`);
      }
      if (entry.notBefore !== undefined && now < entry.notBefore) {
        return reject(R.UNAUTHORIZED, `user "${user}" is not valid yet`);
      }
      if (entry.password !== undefined && !key && !secretEquals(id?.password, entry.password)) {
        return reject(R.UNAUTHORIZED, `wrong or missing password for user "${user}"`);
      }
    }
    if (rule?.token !== undefined && !key && !secretEquals(id?.token, rule.token)) {
      return reject(R.UNAUTHORIZED, `wrong or missing token for "${resource}"`);
    }
    if (user !== undefined) {
      if (rule?.users && !rule.users.some((u) => this.#name(u) === this.#name(user))) {
        return reject(R.FORBIDDEN, `user "${user}" may not use "${resource}"`);
      }
      const userAllow = this.#userAllow.get(user);
      if (userAllow && (!ip || !userAllow.contains(ip))) {
        return reject(R.FORBIDDEN, `user "${user}" may not connect from this address`);
      }
      if (
        entry?.allowedResources && !entry.allowedResources.some((p) => this.#matches(p, resource))
      ) {
        return reject(R.FORBIDDEN, `user "${user}" may not use "${resource}"`);
      }
      if (entry?.modes && !entry.modes.includes(mode)) {
        return reject(R.FORBIDDEN, `user "${user}" may not ${mode} "${resource}"`);
      }
    }

    // Live state.
    if (
      mode !== "request" && cfg.exclusivePublish !== false &&
      this.#state.isPublished?.(resource)
    ) {
      return reject(R.CONFLICT, `"${resource}" is already being published`);
    }

    const passphrase = key?.passphrase ?? entry?.passphrase ?? rule?.passphrase ?? cfg.passphrase;
    const d: AcceptDecision = {
      accept: true,
      resource,
      mode,
      ...(user !== undefined ? { user } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
    };
    this.counters.decisions++;
    this.counters.accepted++;
    this.counters.byMode[mode]++;
    this.#logger?.({ ...base, ...known, accept: true, encrypted: passphrase !== undefined });
    return d;
  }
}
