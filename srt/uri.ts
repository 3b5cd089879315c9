/**
 * `srt://` URIs as srt-live-transmit takes them:
 * `srt://host:port?key=value&...` is a caller, `srt://:port` (or `mode=listener`) a listener,
 * `srt://host:port?mode=rendezvous[&port=LOCAL]` a rendezvous with `host:port` from local port
 * `LOCAL` (default: the remote port, as srt-live-transmit binds it).
 * Query keys use libsrt's socket option names and units (latency in milliseconds).
 *
 * @module
 */

import { PASSPHRASE_MAX_BYTES, PASSPHRASE_MIN_BYTES, type SrtOptions } from "./options.ts";

/**
 * The connection mode of a URI.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSrtUri, type SrtMode } from "@tsrt/tsrt";
 * const mode: SrtMode = parseSrtUri("srt://:9000").mode;
 * assert.equal(mode, "listener");
 * assert.equal(parseSrtUri("srt://192.0.2.10:9000?mode=rendezvous").mode, "rendezvous");
 * ```
 */
export type SrtMode = "caller" | "listener" | "rendezvous";

/**
 * A parsed `srt://` URI.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSrtUri, type SrtUri } from "@tsrt/tsrt";
 * const text = "srt://192.0.2.10:9000?port=5000&latency=200&udp_rcvbuf=4194304";
 * const uri: SrtUri = parseSrtUri(text);
 * assert.equal(uri.host, "192.0.2.10");
 * assert.equal(uri.localPort, 5000);
 * assert.equal(uri.options.latency, 200);
 * assert.equal(uri.udpReceiveBuffer, 4194304);
 * ```
 */
export interface SrtUri {
  /** Caller, listener or rendezvous. */
  readonly mode: SrtMode;
  /** Remote host for a caller or rendezvous; bind address for a listener ("" = any). */
  readonly host: string;
  /** Remote port for a caller or rendezvous; bind port for a listener. */
  readonly port: number;
  /** Local address to bind (`adapter=`). */
  readonly adapter: string | undefined;
  /** Local port to bind for a caller (`port=`); for a rendezvous, default the remote port. */
  readonly localPort: number | undefined;
  /** Connection options from the query. */
  readonly options: SrtOptions;
  /** Kernel receive buffer to ask for on the UDP socket, bytes (`udp_rcvbuf=`). */
  readonly udpReceiveBuffer?: number;
  /** Kernel send buffer to ask for on the UDP socket, bytes (`udp_sndbuf=`). */
  readonly udpSendBuffer?: number;
  /**
   * `IPV6_V6ONLY` for a UDP socket bound to the IPv6 wildcard `::` (`ipv6only=`, libsrt's
   * `SRTO_IPV6ONLY`): `1` gives `true` (IPv6 peers only), `0` gives `false` (IPv4 peers too, as
   * IPv4-mapped addresses), and `-1`, libsrt's default, leaves it out (the system default).
   */
  readonly ipv6Only?: boolean;
}

type Setter = (o: SrtOptions, v: string, key: string) => void;

function int(min: number, max: number, set: (o: SrtOptions, n: number) => void): Setter {
  return (o, v, key) => {
    if (!/^-?\d+$/.test(v)) throw new TypeError(`srt:// option ${key}=${v}: expected an integer`);
    const n = Number(v);
    if (n < min || n > max) {
      throw new RangeError(`srt:// option ${key}=${v}: must be in ${min}..${max}`);
    }
    set(o, n);
  };
}

function bool(set: (o: SrtOptions, b: boolean) => void): Setter {
  return (o, v, key) => {
    if (/^(1|true|yes|on)$/i.test(v)) set(o, true);
    else if (/^(0|false|no|off)$/i.test(v)) set(o, false);
    else throw new TypeError(`srt:// option ${key}=${v}: expected a boolean`);
  };
}

const SETTERS: Record<string, Setter> = {
  latency: int(0, 65535, (o, n) => (o.latency = n)),
  rcvlatency: int(0, 65535, (o, n) => (o.rcvLatency = n)),
  peerlatency: int(0, 65535, (o, n) => (o.peerLatency = n)),
  streamid: (o, v) => (o.streamId = v),
  conntimeo: int(1, 3_600_000, (o, n) => (o.connectTimeout = n)),
  peeridletimeo: int(1, 3_600_000, (o, n) => (o.peerIdleTimeout = n)),
  payloadsize: int(1, 1456, (o, n) => (o.payloadSize = n)),
  mss: int(76, 1500, (o, n) => (o.mss = n)),
  fc: int(32, 0x7fffffff, (o, n) => (o.flowWindow = n)),
  tlpktdrop: bool((o, b) => (o.tooLatePacketDrop = b)),
  nakreport: bool((o, b) => (o.nakReport = b)),
  linger: int(0, 3_600_000, (o, n) => (o.linger = n)),
  maxbw: int(-1, Number.MAX_SAFE_INTEGER, (o, n) => (o.maxBw = n)),
  inputbw: int(0, Number.MAX_SAFE_INTEGER, (o, n) => (o.inputBw = n)),
  mininputbw: int(0, Number.MAX_SAFE_INTEGER, (o, n) => (o.minInputBw = n)),
  oheadbw: int(5, 100, (o, n) => (o.oheadBw = n)),
  lossmaxttl: int(0, 1 << 20, (o, n) => (o.lossMaxTtl = n)),
  drifttracer: bool((o, b) => (o.driftTracer = b)),
  passphrase: (o, v, key) => {
    const n = new TextEncoder().encode(v).length;
    if (n < PASSPHRASE_MIN_BYTES || n > PASSPHRASE_MAX_BYTES) {
      throw new RangeError(
        `srt:// option ${key}: must be ${PASSPHRASE_MIN_BYTES}..${PASSPHRASE_MAX_BYTES} bytes, got ${n}`,
      );
    }
    o.passphrase = v;
  },
  pbkeylen: (o, v, key) => {
    if (!/^(0|16|24|32)$/.test(v)) {
      throw new RangeError(`srt:// option ${key}=${v}: must be 0, 16, 24 or 32`);
    }
    o.pbkeylen = Number(v);
  },
  kmrefreshrate: int(0, 0x7fffffff, (o, n) => (o.kmRefreshRate = n)),
  kmpreannounce: int(0, 0x3fffffff, (o, n) => (o.kmPreAnnounce = n)),
  enforcedencryption: bool((o, b) => (o.enforcedEncryption = b)),
  cryptomode: int(0, 2, (o, n) => (o.cryptoMode = n)),
  packetfilter: (o, v) => (o.packetFilter = v),
  groupconnect: bool((o, b) => (o.groupConnect = b)),
  transtype: (_o, v, key) => {
    if (v !== "live") {
      throw new RangeError(`srt:// option ${key}=${v}: only live mode is supported`);
    }
  },
};

/**
 * Keys that configure the UDP socket rather than the connection, in libsrt's names
 * (`SRTO_UDP_RCVBUF`, `SRTO_UDP_SNDBUF`), in bytes.
 */
const UDP_BUFFER_KEYS = { udp_rcvbuf: "udpReceiveBuffer", udp_sndbuf: "udpSendBuffer" } as const;

/**
 * SRT buffer sizes in bytes, as libsrt takes them (`SRTO_RCVBUF`, `SRTO_SNDBUF`); tsrt sizes its
 * buffers in packets of MSS - 28 bytes, as libsrt does internally.
 */
const SRT_BUFFER_KEYS = { rcvbuf: "receiveBufferPackets", sndbuf: "sendBufferPackets" } as const;

const ADDRESS_KEYS = new Set([
  "mode",
  "adapter",
  "port",
  "ipv6only",
  ...Object.keys(UDP_BUFFER_KEYS),
  ...Object.keys(SRT_BUFFER_KEYS),
]);

/** The query keys {@linkcode parseSrtUri} understands. */
export const SRT_URI_KEYS: readonly string[] = [...ADDRESS_KEYS, ...Object.keys(SETTERS)].sort();

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Parses an `srt://` URI.
 *
 * @throws {TypeError} for a malformed URI or value, {@linkcode RangeError} for out-of-range
 * values, and for unknown keys (naming the key and listing the known ones).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSrtUri } from "./uri.ts";
 * const u = parseSrtUri("srt://127.0.0.1:9000?streamid=#!::r=live/a&latency=200");
 * assert.equal(u.mode, "caller");
 * assert.equal(u.options.latency, 200);
 * ```
 */
export function parseSrtUri(uri: string): SrtUri {
  const m = /^srt:\/\/(\[[^\]]*\]|[^:/?\[\]]*)(?::(\d+))?\/?(?:\?(.*))?$/i.exec(uri);
  if (!m) throw new TypeError(`not an srt:// URI: "${uri}" (expected srt://host:port?key=value)`);
  const host = m[1].replace(/^\[|\]$/g, "");
  if (m[2] === undefined) throw new TypeError(`srt:// URI needs a port: "${uri}"`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new RangeError(`srt:// port must be 1..65535: got ${port}`);
  const options: SrtOptions = {};
  let mode: SrtMode | undefined;
  let adapter: string | undefined;
  let localPort: number | undefined;
  const udp: { udpReceiveBuffer?: number; udpSendBuffer?: number; ipv6Only?: boolean } = {};
  const srtBuffers: { receiveBufferPackets?: number; sendBufferPackets?: number } = {};
  for (const part of (m[3] ?? "").split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? "" : decode(part.slice(eq + 1));
    if (key === "mode") {
      if (value === "caller" || value === "client") mode = "caller";
      else if (value === "listener" || value === "server") mode = "listener";
      else if (value === "rendezvous") mode = "rendezvous";
      else throw new RangeError(`srt:// mode=${value}: expected caller, listener or rendezvous`);
    } else if (key === "adapter") adapter = value;
    else if (key === "port") {
      localPort = int(1, 65535, () => {})(options, value, key) ?? Number(value);
    } else if (key === "rcvbuf" || key === "sndbuf") {
      int(1, 0x7fffffff, (_o, n) => (srtBuffers[SRT_BUFFER_KEYS[key]] = n))(options, value, key);
    } else if (key === "udp_rcvbuf" || key === "udp_sndbuf") {
      int(1, 0x7fffffff, (_o, n) => (udp[UDP_BUFFER_KEYS[key]] = n))(options, value, key);
    } else if (key === "ipv6only") {
      // SRTO_IPV6ONLY, range -1..1 (-1: not set, the platform default applies).
      if (!/^(-1|0|1)$/.test(value)) {
        throw new RangeError(`srt:// option ${key}=${value}: must be -1, 0 or 1`);
      }
      if (value === "-1") delete udp.ipv6Only;
      else udp.ipv6Only = value === "1";
    } else {
      const set = SETTERS[key];
      if (!set) {
        throw new RangeError(
          `srt:// option "${key}" is not supported; known options: ${SRT_URI_KEYS.join(", ")}`,
        );
      }
      set(options, value, key);
    }
  }
  // Bytes to packets once the MSS is known (the keys may come in any order).
  const packetBytes = (options.mss ?? 1500) - 28;
  for (const [k, bytes] of Object.entries(srtBuffers)) {
    options[k as keyof typeof srtBuffers] = Math.max(32, Math.ceil(bytes / packetBytes));
  }
  mode ??= host === "" ? "listener" : "caller";
  if (mode !== "listener" && host === "") {
    throw new TypeError(`srt:// ${mode} needs a host: "${uri}"`);
  }
  if (mode === "rendezvous") localPort ??= port;
  return { mode, host, port, adapter, localPort, options, ...udp };
}
