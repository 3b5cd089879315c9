/**
 * The `tsrt serve` configuration file (YAML): its schema, and its translation to
 * {@linkcode StreamServerOptions}. Every mistake is reported with the file's line and the
 * dotted key, e.g. `tsrt.yaml:3: srt.latency: expected a duration such as 120ms or 2s, got "x"`.
 *
 * ```yaml
 * srt:
 *   port: 30000                 # UDP port (required)
 *   host: 0.0.0.0               # address to bind
 *   latency: 200ms              # ms number, or "200ms" / "1.5s"
 *   max_bandwidth: 100000000    # bytes/s (SRTO_MAXBW); -1 unlimited, 0 relative to input
 *   loss_max_ttl: 0             # reorder tolerance in packets
 *   connect_timeout: 3s
 *   peer_idle_timeout: 5s
 *   payload_size: 1316
 *   encryption: { enabled: true, passphrase: "secure_key_here", key_length: 256 }
 *   performance:
 *     receive_buffer: 1048576   # bytes (SRTO_RCVBUF)
 *     send_buffer: 1048576      # bytes (SRTO_SNDBUF)
 *     udp_receive_buffer: 4194304  # bytes: the listener's UDP socket (SRTO_UDP_RCVBUF)
 *     udp_send_buffer: 1048576     # bytes (SRTO_UDP_SNDBUF)
 *     mss: 1456
 *     flight_flag: true         # true: default flow window; a number: window in packets
 *     too_late_packet_drop: true
 * streams:
 *   wait_for_publisher: false   # players of an unpublished resource wait (true) or get 1404
 *   close_players_on_unpublish: true
 *   player_queue: 4096          # payloads queued per player before the oldest are dropped
 *   analyze: true               # TS demux + TR 101 290 per stream
 *   missing_mode: request       # meaning of a stream ID without m: request | publish | by-route
 *   unrouted_callers: reject    # callers without stream ID: reject | peer-address
 * limits: { max_connections: 200, max_connections_per_ip: 20 }
 * access:
 *   allow: [10.0.0.0/8, "2001:db8::/32"]
 *   deny: [10.0.0.66/32]
 *   require_user: false
 *   users:
 *     alice: { passphrase: "alice-passphrase", modes: [publish], resources: ["live/*"] }
 *   resources:
 *     - { match: "live/*", modes: [publish, request] }
 *   stream_keys:
 *     "k3y": { resource: live/cam1, mode: publish }
 *   routes:
 *     - { peers: [192.0.2.0/24], resource: live/makito, mode: publish }
 * metrics: { port: 9100, host: 127.0.0.1 }
 * ```
 *
 * @module
 */

import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import type { SrtOptions } from "../srt/options.ts";
import type { StreamIdMode } from "../srt/stream_id.ts";
import type {
  AccessControlConfig,
  AccessUser,
  ResourceRule,
  RouteRule,
  StreamKey,
} from "../server/access_control.ts";
import type { StreamServerOptions } from "../server/stream_server.ts";
import { parseCidr, parseIp } from "../server/cidr.ts";

/** A configuration mistake, with where it is. */
export class ConfigError extends Error {
  /** 1-based line, when known. */
  readonly line: number | undefined;
  /** Dotted key path, e.g. `srt.latency`. */
  readonly key: string;

  /**
   * @param file The file name, for the message.
   * @param line The line.
   * @param key The key path.
   * @param problem What is wrong.
   */
  constructor(file: string, line: number | undefined, key: string, problem: string) {
    super(`${file}${line !== undefined ? `:${line}` : ""}: ${key ? `${key}: ` : ""}${problem}`);
    this.name = "ConfigError";
    this.line = line;
    this.key = key;
  }
}

/** The loaded configuration. */
export interface ServeConfig {
  /** Options for `StreamServer.start` (without `log`). */
  readonly server: StreamServerOptions;
  /** The metrics endpoint, when configured. */
  readonly metrics?: { readonly port: number; readonly hostname: string };
}

const PERFORMANCE_KEYS: readonly string[] = [
  "receive_buffer",
  "send_buffer",
  "udp_receive_buffer",
  "udp_send_buffer",
  "mss",
  "flight_flag",
  "too_late_packet_drop",
  "loss_max_ttl",
];

const MODES: readonly StreamIdMode[] = ["request", "publish", "bidirectional"];
/** libsrt turns buffer sizes in bytes into packets of MSS minus the IP/UDP headers. */
const UDP_IP_HEADERS = 28;

class Walker {
  #file: string;
  #lines: LineCounter;

  constructor(file: string, lines: LineCounter) {
    this.#file = file;
    this.#lines = lines;
  }

  fail(node: Node | undefined | null, key: string, problem: string): never {
    const offset = node?.range?.[0];
    const line = offset === undefined ? undefined : this.#lines.linePos(offset).line;
    throw new ConfigError(this.#file, line, key, problem);
  }

  /** The entries of a mapping, checking that only `allowed` keys appear. */
  map(
    node: Node | null | undefined,
    key: string,
    allowed: readonly string[] | undefined,
  ): Map<string, { node: Node | null; key: string }> {
    if (!isMap(node)) this.fail(node, key, "expected a mapping (key: value)");
    const out = new Map<string, { node: Node | null; key: string }>();
    for (const pair of (node as YAMLMap).items) {
      const k = pair.key;
      const name = isScalar(k) ? String(k.value) : undefined;
      const path = key ? `${key}.${name}` : String(name);
      if (name === undefined) this.fail(k as Node, key, "keys must be plain names");
      if (allowed && !allowed.includes(name)) {
        this.fail(k as Node, path, `unknown key (expected one of: ${allowed.join(", ")})`);
      }
      if (out.has(name)) this.fail(k as Node, path, "duplicate key");
      out.set(name, { node: pair.value as Node | null, key: path });
    }
    return out;
  }

  scalar(node: Node | null, key: string): unknown {
    if (!isScalar(node)) this.fail(node, key, "expected a single value");
    return node.value;
  }

  integer(node: Node | null, key: string, min: number, max: number): number {
    const v = this.scalar(node, key);
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.fail(node, key, `expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  string(node: Node | null, key: string): string {
    const v = this.scalar(node, key);
    if (typeof v === "number") return String(v);
    if (typeof v !== "string" || v === "") {
      this.fail(node, key, `expected a non-empty string, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  boolean(node: Node | null, key: string): boolean {
    const v = this.scalar(node, key);
    if (typeof v !== "boolean") {
      this.fail(node, key, `expected true or false, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  /** Milliseconds from a number (ms) or a string like `200ms`, `1.5s`. */
  duration(node: Node | null, key: string): number {
    const v = this.scalar(node, key);
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
    if (typeof v === "string") {
      const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(v);
      if (m) {
        const ms = Number(m[1]) * (m[2] === "s" ? 1000 : m[2] === "m" ? 60_000 : 1);
        if (Number.isInteger(ms)) return ms;
      }
    }
    return this.fail(
      node,
      key,
      `expected a duration such as 120ms or 2s (a number means ms), got ${JSON.stringify(v)}`,
    );
  }

  oneOf<T extends string>(node: Node | null, key: string, values: readonly T[]): T {
    const v = this.scalar(node, key);
    if (typeof v !== "string" || !values.includes(v as T)) {
      this.fail(node, key, `expected one of ${values.join(", ")}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  }

  strings(node: Node | null, key: string): string[] {
    if (isScalar(node)) return [this.string(node, key)];
    if (!isSeq(node)) this.fail(node, key, "expected a list");
    return node.items.map((n, i) => this.string(n as Node, `${key}[${i}]`));
  }

  /** A list of CIDR ranges (or single addresses). */
  cidrs(node: Node | null, key: string): string[] {
    const list = this.strings(node, key);
    const items = isSeq(node) ? node.items as Node[] : [node as Node];
    list.forEach((c, i) => {
      if (!parseCidr(c) && !parseIp(c)) {
        this.fail(
          items[i],
          isSeq(node) ? `${key}[${i}]` : key,
          `not an IP address or CIDR range: ${c}`,
        );
      }
    });
    return list;
  }

  /** A passphrase: 10..80 bytes of UTF-8, as libsrt wants. */
  passphrase(node: Node | null, key: string): string {
    const p = this.string(node, key);
    const n = new TextEncoder().encode(p).length;
    if (n < 10 || n > 80) this.fail(node, key, `a passphrase must be 10..80 bytes, got ${n}`);
    return p;
  }

  modes(node: Node | null, key: string): StreamIdMode[] {
    if (isScalar(node)) return [this.oneOf(node, key, MODES)];
    if (!isSeq(node)) this.fail(node, key, "expected a list of modes");
    return node.items.map((n, i) => this.oneOf(n as Node, `${key}[${i}]`, MODES));
  }
}

/**
 * Parses and checks a configuration.
 *
 * @param text The YAML text.
 * @param file The file name, for messages.
 * @returns The server options and the metrics endpoint.
 * @throws {ConfigError} naming the line and key of the first mistake.
 */
export function parseServeConfig(text: string, file = "tsrt.yaml"): ServeConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new ConfigError(file, lines.linePos(e.pos[0]).line, "", `YAML syntax: ${e.message}`);
  }
  const w: Walker = new Walker(file, lines);
  const root = w.map(doc.contents as Node, "", ["srt", "streams", "limits", "access", "metrics"]);
  const srtEntry = root.get("srt");
  if (!srtEntry) w.fail(doc.contents as Node, "srt", "missing (srt.port at least is needed)");
  const srt = w.map(srtEntry.node, "srt", [
    "port",
    "host",
    "latency",
    "max_bandwidth",
    "loss_max_ttl",
    "connect_timeout",
    "peer_idle_timeout",
    "payload_size",
    "linger",
    "encryption",
    "performance",
    ...PERFORMANCE_KEYS,
  ]);
  const port = srt.get("port");
  if (!port) w.fail(srtEntry.node, "srt.port", "missing");
  const srtOptions: SrtOptions = {};
  const udpBuffers: { udpReceiveBuffer?: number; udpSendBuffer?: number } = {};
  const set = <K extends keyof SrtOptions>(k: K, v: SrtOptions[K]) => (srtOptions[k] = v);
  let hostname: string | undefined;
  let mss = 1500;
  const perfEntry = srt.get("performance");
  // Tuning keys may sit under srt.performance or directly under srt (not both).
  const perf = perfEntry ? w.map(perfEntry.node, perfEntry.key, PERFORMANCE_KEYS) : new Map();
  for (const [name, entry] of srt) {
    if (!PERFORMANCE_KEYS.includes(name)) continue;
    if (perf.has(name)) w.fail(entry.node, entry.key, `also set as ${perf.get(name)!.key}`);
    perf.set(name, entry);
  }
  const mssEntry = perf.get("mss");
  if (mssEntry) set("mss", mss = w.integer(mssEntry.node, mssEntry.key, 76, 1500));
  for (const [name, { node, key }] of srt) {
    if (name === "host") hostname = w.string(node, key);
    else if (name === "latency") set("latency", w.duration(node, key));
    else if (name === "max_bandwidth") {
      set("maxBw", w.integer(node, key, -1, Number.MAX_SAFE_INTEGER));
    } else if (name === "connect_timeout") set("connectTimeout", w.duration(node, key));
    else if (name === "peer_idle_timeout") set("peerIdleTimeout", w.duration(node, key));
    else if (name === "linger") set("linger", w.duration(node, key));
    else if (name === "payload_size") set("payloadSize", w.integer(node, key, 1, mss - 44));
    else if (name === "encryption") {
      const e = w.map(node, key, ["enabled", "passphrase", "key_length", "enforced"]);
      const enabled = e.has("enabled") ? w.boolean(e.get("enabled")!.node, `${key}.enabled`) : true;
      const pass = e.get("passphrase");
      if (enabled) {
        if (!pass) w.fail(node, `${key}.passphrase`, "missing (needed when enabled)");
        set("passphrase", w.passphrase(pass.node, pass.key));
        const kl = e.get("key_length");
        if (kl) {
          const v = w.integer(kl.node, kl.key, 0, 256);
          const bytes = v === 128 || v === 16
            ? 16
            : v === 192 || v === 24
            ? 24
            : v === 256 || v === 32
            ? 32
            : 0;
          if (bytes === 0 && v !== 0) {
            w.fail(kl.node, kl.key, `expected 128, 192 or 256 (bits), got ${v}`);
          }
          set("pbkeylen", bytes);
        }
      }
      const enf = e.get("enforced");
      if (enf) set("enforcedEncryption", w.boolean(enf.node, enf.key));
    }
  }
  for (const [name, { node, key }] of perf) {
    if (name === "receive_buffer" || name === "send_buffer") {
      const bytes = w.integer(node, key, 1, 2 ** 31);
      const packets = Math.floor(bytes / (mss - UDP_IP_HEADERS));
      if (packets < 32) {
        w.fail(node, key, `too small: ${bytes} bytes is ${packets} packets, need 32`);
      }
      set(name === "receive_buffer" ? "receiveBufferPackets" : "sendBufferPackets", packets);
    } else if (name === "udp_receive_buffer" || name === "udp_send_buffer") {
      const bytes = w.integer(node, key, 1, 2 ** 31 - 1);
      udpBuffers[name === "udp_receive_buffer" ? "udpReceiveBuffer" : "udpSendBuffer"] = bytes;
    } else if (name === "flight_flag") {
      const v = w.scalar(node, key);
      if (typeof v === "number") set("flowWindow", w.integer(node, key, 32, 0x7fffffff));
      else if (typeof v !== "boolean") w.fail(node, key, "expected true or a window in packets");
    } else if (name === "too_late_packet_drop") set("tooLatePacketDrop", w.boolean(node, key));
    else if (name === "loss_max_ttl") set("lossMaxTtl", w.integer(node, key, 0, 1 << 20));
  }

  const options: StreamServerOptions = {
    port: w.integer(port.node, port.key, 0, 65535),
    ...(hostname !== undefined ? { hostname } : {}),
    ...udpBuffers,
    srt: srtOptions,
  };
  const access: AccessControlConfig = {};
  const acc = (
    k: keyof AccessControlConfig,
    v: unknown,
  ) => ((access as Record<string, unknown>)[k] = v);

  const streams = root.get("streams");
  if (streams) {
    const players: NonNullable<StreamServerOptions["players"]> = {};
    for (
      const [name, { node, key }] of w.map(streams.node, "streams", [
        "wait_for_publisher",
        "close_players_on_unpublish",
        "player_queue",
        "analyze",
        "missing_mode",
        "unrouted_callers",
      ])
    ) {
      if (name === "wait_for_publisher") players.waitForPublisher = w.boolean(node, key);
      else if (name === "close_players_on_unpublish") {
        players.closeOnUnpublish = w.boolean(node, key);
      } else if (name === "player_queue") players.queuePackets = w.integer(node, key, 1, 1 << 20);
      else if (name === "analyze") options.analyze = w.boolean(node, key);
      else if (name === "missing_mode") {
        acc("missingMode", w.oneOf(node, key, ["request", "publish", "by-route"] as const));
      } else if (name === "unrouted_callers") {
        acc("unroutedCallers", w.oneOf(node, key, ["reject", "peer-address"] as const));
      }
    }
    options.players = players;
  }

  const limits = root.get("limits");
  if (limits) {
    const l: NonNullable<StreamServerOptions["limits"]> = {};
    for (
      const [name, { node, key }] of w.map(limits.node, "limits", [
        "max_connections",
        "max_connections_per_ip",
      ])
    ) {
      if (name === "max_connections") l.maxConnections = w.integer(node, key, 1, 1 << 20);
      else l.maxConnectionsPerIp = w.integer(node, key, 1, 1 << 20);
    }
    options.limits = l;
  }

  const accessEntry = root.get("access");
  if (accessEntry) readAccess(w, accessEntry.node, acc);
  if (Object.keys(access).length > 0) options.access = access;

  let metrics: ServeConfig["metrics"];
  const m = root.get("metrics");
  if (m) {
    const mm = w.map(m.node, "metrics", ["port", "host", "enabled"]);
    const enabled = mm.has("enabled")
      ? w.boolean(mm.get("enabled")!.node, "metrics.enabled")
      : true;
    const mp = mm.get("port");
    if (enabled) {
      if (!mp) w.fail(m.node, "metrics.port", "missing");
      const mh = mm.get("host");
      metrics = {
        port: w.integer(mp.node, mp.key, 0, 65535),
        hostname: mh ? w.string(mh.node, mh.key) : "127.0.0.1",
      };
    }
  }
  return { server: options, ...(metrics ? { metrics } : {}) };
}

function readAccess(
  w: Walker,
  node: Node | null,
  acc: (k: keyof AccessControlConfig, v: unknown) => void,
): void {
  for (
    const [name, e] of w.map(node, "access", [
      "allow",
      "deny",
      "require_user",
      "allow_unknown_resources",
      "passphrase",
      "users",
      "resources",
      "stream_keys",
      "routes",
      "types",
    ])
  ) {
    if (name === "allow" || name === "deny") acc(name, w.cidrs(e.node, e.key));
    else if (name === "require_user") acc("requireUser", w.boolean(e.node, e.key));
    else if (name === "allow_unknown_resources") {
      acc("allowUnknownResources", w.boolean(e.node, e.key));
    } else if (name === "passphrase") acc("passphrase", w.passphrase(e.node, e.key));
    else if (name === "types") acc("types", w.strings(e.node, e.key));
    else if (name === "users") {
      const users: Record<string, AccessUser> = {};
      for (const [user, u] of w.map(e.node, e.key, undefined)) {
        const out: AccessUser = {};
        const o = out as Record<string, unknown>;
        if (u.node !== null && !(isScalar(u.node) && u.node.value === null)) {
          for (
            const [k, v] of w.map(u.node, u.key, [
              "passphrase",
              "password",
              "modes",
              "resources",
              "allow",
              "disabled",
            ])
          ) {
            if (k === "passphrase") o.passphrase = w.passphrase(v.node, v.key);
            else if (k === "password") o.password = w.string(v.node, v.key);
            else if (k === "modes") o.modes = w.modes(v.node, v.key);
            else if (k === "resources") o.allowedResources = w.strings(v.node, v.key);
            else if (k === "allow") o.allow = w.cidrs(v.node, v.key);
            else o.disabled = w.boolean(v.node, v.key);
          }
        }
        users[user] = out;
      }
      acc("users", users);
    } else if (name === "resources") {
      if (!isSeq(e.node)) w.fail(e.node, e.key, "expected a list of resource rules");
      acc(
        "resources",
        e.node.items.map((item, i): ResourceRule => {
          const key = `${e.key}[${i}]`;
          const r = w.map(item as Node, key, [
            "match",
            "modes",
            "users",
            "require_user",
            "passphrase",
            "token",
            "allow",
            "deny",
            "listener_ports",
          ]);
          const match = r.get("match");
          if (!match) w.fail(item as Node, `${key}.match`, "missing");
          const o: Record<string, unknown> = { match: w.string(match.node, match.key) };
          for (const [k, v] of r) {
            if (k === "modes") o.modes = w.modes(v.node, v.key);
            else if (k === "users") o.users = w.strings(v.node, v.key);
            else if (k === "allow" || k === "deny") o[k] = w.cidrs(v.node, v.key);
            else if (k === "require_user") o.requireUser = w.boolean(v.node, v.key);
            else if (k === "passphrase") o.passphrase = w.passphrase(v.node, v.key);
            else if (k === "token") o.token = w.string(v.node, v.key);
            else if (k === "listener_ports") {
              if (!isSeq(v.node)) w.fail(v.node, v.key, "expected a list of ports");
              o.listenerPorts = v.node.items.map((n, j) =>
                w.integer(n as Node, `${v.key}[${j}]`, 1, 65535)
              );
            }
          }
          return o as unknown as ResourceRule;
        }),
      );
    } else if (name === "stream_keys") {
      const keys: Record<string, StreamKey> = {};
      for (const [id, k] of w.map(e.node, e.key, undefined)) {
        const r = w.map(k.node, k.key, ["resource", "mode", "user", "passphrase"]);
        const res = r.get("resource");
        if (!res) w.fail(k.node, `${k.key}.resource`, "missing");
        const o: Record<string, unknown> = { resource: w.string(res.node, res.key) };
        for (const [f, v] of r) {
          if (f === "mode") o.mode = w.oneOf(v.node, v.key, MODES);
          else if (f === "passphrase") o.passphrase = w.passphrase(v.node, v.key);
          else if (f === "user") o.user = w.string(v.node, v.key);
        }
        keys[id] = o as unknown as StreamKey;
      }
      acc("streamKeys", keys);
    } else if (name === "routes") {
      if (!isSeq(e.node)) w.fail(e.node, e.key, "expected a list of routes");
      acc(
        "routes",
        e.node.items.map((item, i): RouteRule => {
          const key = `${e.key}[${i}]`;
          const o: Record<string, unknown> = {};
          for (
            const [f, v] of w.map(item as Node, key, [
              "listener_port",
              "peers",
              "resource",
              "mode",
              "user",
            ])
          ) {
            if (f === "listener_port") o.listenerPort = w.integer(v.node, v.key, 1, 65535);
            else if (f === "peers") o.peers = w.cidrs(v.node, v.key);
            else if (f === "mode") o.mode = w.oneOf(v.node, v.key, MODES);
            else o[f] = w.string(v.node, v.key);
          }
          return o as RouteRule;
        }),
      );
    }
  }
}
