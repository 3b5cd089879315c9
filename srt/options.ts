/**
 * Connection options with libsrt's names, units and defaults (live mode).
 *
 * @module
 */

import { parseFecOption } from "./fec_config.ts";
import { payloadSizeWithFilter } from "./fec_filter.ts";

/**
 * Options of an SRT connection. Durations are milliseconds, as in libsrt's socket options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect, listen, type SrtOptions } from "@tsrt/tsrt";
 * // srt://host:port?latency=200&passphrase=...&pbkeylen=32&packetfilter=fec,cols:10,rows:5
 * const options: SrtOptions = {
 *   latency: 200,
 *   passphrase: "a long shared secret",
 *   pbkeylen: 32,
 *   packetFilter: "fec,cols:10,rows:5",
 * };
 * const server = await listen({ port: 0, hostname: "127.0.0.1", ...options });
 * const socket = await connect({ host: "127.0.0.1", port: server.address.port, ...options });
 * assert.equal(socket.latency, 200);
 * await socket.close();
 * await server.close();
 * ```
 */
export interface SrtOptions {
  /** Sets both `rcvLatency` and `peerLatency` (SRTO_LATENCY). Default 120 ms. */
  latency?: number;
  /** Latency this side applies when receiving (SRTO_RCVLATENCY). */
  rcvLatency?: number;
  /** Minimum latency asked of the peer when it receives (SRTO_PEERLATENCY). */
  peerLatency?: number;
  /** Stream ID sent by a caller (SRTO_STREAMID), at most 512 bytes of UTF-8. */
  streamId?: string;
  /** Largest payload of one packet (SRTO_PAYLOADSIZE). Default 1316, at most MSS - 44. */
  payloadSize?: number;
  /** Maximum segment size including IP and UDP headers (SRTO_MSS). Default 1500. */
  mss?: number;
  /** Flow window in packets (SRTO_FC). Default 25600. */
  flowWindow?: number;
  /** Handshake timeout (SRTO_CONNTIMEO). Default 3000 ms. */
  connectTimeout?: number;
  /** Close the connection when nothing is received for this long (SRTO_PEERIDLETIMEO). Default 5000 ms. */
  peerIdleTimeout?: number;
  /** Drop packets that are too late to play (SRTO_TLPKTDROP). Default true. */
  tooLatePacketDrop?: boolean;
  /** Periodic NAK reports (SRTO_NAKREPORT). Default true. */
  nakReport?: boolean;
  /** Receive buffer in packets (libsrt's SRTO_RCVBUF / payload size). Default 8192. */
  receiveBufferPackets?: number;
  /** Send buffer in packets (libsrt's SRTO_SNDBUF / payload size). Default 8192. */
  sendBufferPackets?: number;
  /**
   * Longest a close waits for the peer to acknowledge and play out what was sent (SRTO_LINGER,
   * in ms). libsrt's live default is 0, which loses the packets still in the peer's latency
   * window; tsrt defaults to 3000 and finishes as soon as the tail has been played out.
   */
  linger?: number;
  /**
   * Bandwidth ceiling in bytes per second (SRTO_MAXBW): -1 (default) is libsrt's "infinite"
   * (1 Gbit/s); 0 makes it relative to the input rate (see `inputBw`, `oheadBw`).
   */
  maxBw?: number;
  /**
   * Input rate in bytes per second when `maxBw` is 0 (SRTO_INPUTBW): the ceiling is then
   * `inputBw x (100 + oheadBw) / 100`. 0 (default) estimates the input rate.
   */
  inputBw?: number;
  /** Lower bound of the estimated input rate, bytes per second (SRTO_MININPUTBW). Default 0. */
  minInputBw?: number;
  /** Overhead over the input rate for retransmissions, percent 5..100 (SRTO_OHEADBW). Default 25. */
  oheadBw?: number;
  /**
   * Reorder tolerance in packets (SRTO_LOSSMAXTTL): a gap is reported lost only after this many
   * later packets arrived without filling it. Default 0 (report at once).
   */
  lossMaxTtl?: number;
  /** Trace and absorb the drift between the two clocks (SRTO_DRIFTTRACER). Default true. */
  driftTracer?: boolean;
  /**
   * Enables AES encryption (SRTO_PASSPHRASE): 10..80 bytes once UTF-8 encoded. Both sides must
   * set the same one. On a listener it may be set per connection in the accept hook.
   */
  passphrase?: string;
  /**
   * Key length in bytes (SRTO_PBKEYLEN): 0 (default: not advertised, AES-128 unless the peer
   * advertises another), 16, 24 or 32. When both sides set one, the listener's wins.
   */
  pbkeylen?: number;
  /** Packets sent with one key before switching to the next (SRTO_KMREFRESHRATE). Default 2^24. */
  kmRefreshRate?: number;
  /**
   * Packets before and after a key switch during which both keys are valid
   * (SRTO_KMPREANNOUNCE). Default 4096, at most (kmRefreshRate - 1) / 2.
   */
  kmPreAnnounce?: number;
  /**
   * Refuse a connection unless both sides encrypt with the same passphrase, or neither does
   * (SRTO_ENFORCEDENCRYPTION). Default true.
   */
  enforcedEncryption?: boolean;
  /** 0 auto (AES-CTR for a caller, whatever the caller asks for a listener), 1 AES-CTR, 2 AES-GCM (SRTO_CRYPTOMODE). */
  cryptoMode?: number;
  /**
   * Packet filter (SRTO_PACKETFILTER), e.g. `"fec,cols:10,rows:5,arq:never"`; default none.
   * Both sides' settings are merged in the handshake; a conflict is refused with
   * SRT_REJ_FILTER (14). With a filter the payload size is at most 1452.
   */
  packetFilter?: string;
  /**
   * A listener accepts members of socket groups ("bonding", SRTO_GROUPCONNECT). Default false:
   * a caller whose handshake carries the GROUP extension is refused with SRT_REJ_GROUP (15).
   */
  groupConnect?: boolean;
}

/**
 * Options with every value resolved and checked.
 *
 * @example
 * ```ts
 * import type { ResolvedOptions } from "@tsrt/tsrt";
 * // The options a connection runs with once defaults are applied and values checked.
 * function describe(o: ResolvedOptions): string {
 *   return `latency ${o.rcvLatency} ms, peer idle timeout ${o.peerIdleTimeout} ms`;
 * }
 * console.log(typeof describe);
 * ```
 */
export interface ResolvedOptions {
  /** Receive latency in ms. */
  readonly rcvLatency: number;
  /** Peer latency in ms. */
  readonly peerLatency: number;
  /** Stream ID, or undefined. */
  readonly streamId: string | undefined;
  /** Payload size in bytes. */
  readonly payloadSize: number;
  /** MSS in bytes. */
  readonly mss: number;
  /** Flow window in packets. */
  readonly flowWindow: number;
  /** Connect timeout in ms. */
  readonly connectTimeout: number;
  /** Peer idle timeout in ms. */
  readonly peerIdleTimeout: number;
  /** Too-late packet drop. */
  readonly tooLatePacketDrop: boolean;
  /** Periodic NAK. */
  readonly nakReport: boolean;
  /** Receive buffer in packets. */
  readonly receiveBufferPackets: number;
  /** Send buffer in packets. */
  readonly sendBufferPackets: number;
  /** Linger time in ms. */
  readonly linger: number;
  /** Bandwidth ceiling in bytes/s; -1 infinite, 0 relative to the input rate. */
  readonly maxBw: number;
  /** Input rate in bytes/s; 0 estimates it. */
  readonly inputBw: number;
  /** Lower bound of the estimated input rate in bytes/s. */
  readonly minInputBw: number;
  /** Overhead over the input rate in percent. */
  readonly oheadBw: number;
  /** Reorder tolerance in packets. */
  readonly lossMaxTtl: number;
  /** Drift tracer on. */
  readonly driftTracer: boolean;
  /** Passphrase, or undefined when not encrypting. */
  readonly passphrase: string | undefined;
  /** Key length in bytes: 0 (not advertised), 16, 24 or 32. */
  readonly pbkeylen: 0 | 16 | 24 | 32;
  /** Key refresh period in packets. */
  readonly kmRefreshRate: number;
  /** Key pre-announce and decommission period in packets. */
  readonly kmPreAnnounce: number;
  /** Enforced encryption. */
  readonly enforcedEncryption: boolean;
  /** Cipher mode: 0 auto, 1 AES-CTR, 2 AES-GCM. */
  readonly cryptoMode: 0 | 1 | 2;
  /** Packet filter configuration (`""` for none). */
  readonly packetFilter: string;
  /** Whether a listener accepts group members. */
  readonly groupConnect: boolean;
}

/** libsrt's live-mode defaults. */
export const DEFAULTS: ResolvedOptions = {
  rcvLatency: 120,
  peerLatency: 120,
  streamId: undefined,
  payloadSize: 1316,
  mss: 1500,
  flowWindow: 25600,
  connectTimeout: 3000,
  peerIdleTimeout: 5000,
  tooLatePacketDrop: true,
  nakReport: true,
  receiveBufferPackets: 8192,
  sendBufferPackets: 8192,
  linger: 3000,
  maxBw: -1,
  inputBw: 0,
  minInputBw: 0,
  oheadBw: 25,
  lossMaxTtl: 0,
  driftTracer: true,
  passphrase: undefined,
  pbkeylen: 0,
  kmRefreshRate: 0x1000000,
  kmPreAnnounce: 0x1000,
  enforcedEncryption: true,
  cryptoMode: 0,
  packetFilter: "",
  groupConnect: false,
};

/** Shortest passphrase libsrt accepts, in bytes. */
export const PASSPHRASE_MIN_BYTES = 10;
/** Longest passphrase libsrt accepts, in bytes (HAICRYPT_SECRET_MAX_SZ). */
export const PASSPHRASE_MAX_BYTES = 80;

/** IPv4 + UDP + SRT header bytes subtracted from the MSS to get the largest payload. */
export const PACKET_OVERHEAD = 44;

function integer(
  name: string,
  v: number | undefined,
  min: number,
  max: number,
  def: number,
): number {
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}: got ${v}`);
  }
  return v;
}

/**
 * Fills in defaults and checks ranges.
 *
 * @throws {RangeError} naming the first option that is out of range.
 */
export function resolveOptions(o: SrtOptions = {}): ResolvedOptions {
  const latency = integer("latency", o.latency, 0, 65535, DEFAULTS.rcvLatency);
  const mss = integer("mss", o.mss, 76, 1500, DEFAULTS.mss);
  const payloadSize = integer(
    "payloadSize",
    o.payloadSize,
    1,
    mss - PACKET_OVERHEAD,
    Math.min(DEFAULTS.payloadSize, mss - PACKET_OVERHEAD),
  );
  if (o.streamId !== undefined) {
    const n = new TextEncoder().encode(o.streamId).length;
    if (n > 512) throw new RangeError(`streamId must be at most 512 bytes: got ${n}`);
  }
  let passphrase: string | undefined;
  if (o.passphrase !== undefined && o.passphrase !== "") {
    if (typeof o.passphrase !== "string") throw new TypeError("passphrase must be a string");
    const n = new TextEncoder().encode(o.passphrase).length;
    if (n < PASSPHRASE_MIN_BYTES || n > PASSPHRASE_MAX_BYTES) {
      throw new RangeError(
        `passphrase must be ${PASSPHRASE_MIN_BYTES}..${PASSPHRASE_MAX_BYTES} bytes: got ${n}`,
      );
    }
    passphrase = o.passphrase;
  }
  const pbkeylen = o.pbkeylen ?? 0;
  if (pbkeylen !== 0 && pbkeylen !== 16 && pbkeylen !== 24 && pbkeylen !== 32) {
    throw new RangeError(`pbkeylen must be 0, 16, 24 or 32: got ${o.pbkeylen}`);
  }
  // 0 means libsrt's default for both, as in haicrypt.
  const kmRefreshRate = integer("kmRefreshRate", o.kmRefreshRate, 0, 0x7fffffff, 0) ||
    DEFAULTS.kmRefreshRate;
  const maxPreAnnounce = Math.floor((kmRefreshRate - 1) / 2);
  if (kmRefreshRate < 3) {
    throw new RangeError(`kmRefreshRate must be at least 3: got ${kmRefreshRate}`);
  }
  const kmPreAnnounce = integer("kmPreAnnounce", o.kmPreAnnounce, 0, maxPreAnnounce, 0) ||
    Math.min(DEFAULTS.kmPreAnnounce, maxPreAnnounce);
  const cryptoMode = integer("cryptoMode", o.cryptoMode, 0, 2, 0) as 0 | 1 | 2;
  const packetFilter = o.packetFilter ?? "";
  if (packetFilter !== "") {
    try {
      parseFecOption(packetFilter);
    } catch (e) {
      throw new RangeError(`packetFilter: ${(e as Error).message}`);
    }
  }
  return {
    rcvLatency: integer("rcvLatency", o.rcvLatency, 0, 65535, latency),
    peerLatency: integer("peerLatency", o.peerLatency, 0, 65535, latency),
    streamId: o.streamId === "" ? undefined : o.streamId,
    payloadSize: packetFilter === "" ? payloadSize : payloadSizeWithFilter(payloadSize),
    mss,
    flowWindow: integer("flowWindow", o.flowWindow, 32, 0x7fffffff, DEFAULTS.flowWindow),
    connectTimeout: integer(
      "connectTimeout",
      o.connectTimeout,
      1,
      3_600_000,
      DEFAULTS.connectTimeout,
    ),
    peerIdleTimeout: integer(
      "peerIdleTimeout",
      o.peerIdleTimeout,
      1,
      3_600_000,
      DEFAULTS.peerIdleTimeout,
    ),
    tooLatePacketDrop: o.tooLatePacketDrop ?? DEFAULTS.tooLatePacketDrop,
    nakReport: o.nakReport ?? DEFAULTS.nakReport,
    receiveBufferPackets: integer(
      "receiveBufferPackets",
      o.receiveBufferPackets,
      32,
      1 << 20,
      DEFAULTS.receiveBufferPackets,
    ),
    sendBufferPackets: integer(
      "sendBufferPackets",
      o.sendBufferPackets,
      32,
      1 << 20,
      DEFAULTS.sendBufferPackets,
    ),
    linger: integer("linger", o.linger, 0, 3_600_000, DEFAULTS.linger),
    maxBw: integer("maxBw", o.maxBw, -1, Number.MAX_SAFE_INTEGER, DEFAULTS.maxBw),
    inputBw: integer("inputBw", o.inputBw, 0, Number.MAX_SAFE_INTEGER, DEFAULTS.inputBw),
    minInputBw: integer("minInputBw", o.minInputBw, 0, Number.MAX_SAFE_INTEGER, 0),
    oheadBw: integer("oheadBw", o.oheadBw, 5, 100, DEFAULTS.oheadBw),
    lossMaxTtl: integer("lossMaxTtl", o.lossMaxTtl, 0, 1 << 20, DEFAULTS.lossMaxTtl),
    driftTracer: o.driftTracer ?? DEFAULTS.driftTracer,
    passphrase,
    pbkeylen,
    kmRefreshRate,
    kmPreAnnounce,
    enforcedEncryption: o.enforcedEncryption ?? DEFAULTS.enforcedEncryption,
    cryptoMode,
    packetFilter,
    groupConnect: o.groupConnect ?? DEFAULTS.groupConnect,
  };
}
