/**
 * `rendezvous()`: open an SRT connection in rendezvous mode, where both sides call each other
 * at the same time from known ports (libsrt's `SRTO_RENDEZVOUS`, srt-live-transmit's
 * `mode=rendezvous`).
 *
 * @module
 */

import { parseSrtUri } from "../srt/uri.ts";
import type { ConnectOptions } from "./connect.ts";
import { openOneConnection, targetFromUri } from "./_one_connection.ts";
import type { SrtSocket } from "./srt_socket.ts";

/**
 * Options of {@linkcode rendezvous}.
 *
 * @example
 * ```ts
 * import { rendezvous, type RendezvousOptions } from "@tsrt/tsrt";
 * // Both sides bind a known port and aim at each other's (here both on loopback).
 * const a: RendezvousOptions = { host: "127.0.0.1", port: 47001, localPort: 47002 };
 * const b: RendezvousOptions = { host: "127.0.0.1", port: 47002, localPort: 47001 };
 * const [sa, sb] = await Promise.all([rendezvous(a), rendezvous(b)]);
 * await Promise.all([sa.close(), sb.close()]);
 * ```
 */
export interface RendezvousOptions extends ConnectOptions {
  /** Local port to bind; the peer aims at it. Default: the same as `port`. */
  localPort?: number;
}

/**
 * Meets a peer in rendezvous mode: binds `localPort` and handshakes with `host:port` until
 * the peer does the same (up to 10 × the connect timeout, 30 s by default).
 *
 * @param target Options, or an `srt://host:port?mode=rendezvous&port=LOCAL` URI as
 * srt-live-transmit takes it (without `port=` the local port is the remote one).
 * @returns The connected socket.
 * @throws {SrtError} when the peer refuses (`CONNECTION_REJECTED` with the libsrt `reason`,
 * e.g. 14 FILTER or 10 BADSECRET) or never answers (`CONNECTION_TIMEOUT`).
 *
 * @example
 * ```ts ignore
 * import { rendezvous } from "@tsrt/tsrt";
 * // The other side: srt-live-transmit udp://:5000 "srt://127.0.0.1:9001?mode=rendezvous&port=9000"
 * const socket = await rendezvous({ host: "127.0.0.1", port: 9000, localPort: 9001 });
 * ```
 */
export async function rendezvous(target: string | RendezvousOptions): Promise<SrtSocket> {
  let opts: RendezvousOptions;
  if (typeof target === "string") {
    const uri = parseSrtUri(target);
    if (uri.mode !== "rendezvous") {
      throw new TypeError(`rendezvous() needs mode=rendezvous, got mode=${uri.mode}`);
    }
    opts = targetFromUri(uri);
  } else opts = target;
  return await openOneConnection(
    opts,
    opts.port,
    (ep, now, peer, o) => ep.rendezvous(now, peer, o),
  );
}
