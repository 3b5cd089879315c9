/**
 * `connect()`: open an SRT caller connection.
 *
 * @module
 */

import type { SrtOptions } from "../srt/options.ts";
import { parseSrtUri } from "../srt/uri.ts";
import { openOneConnection, targetFromUri } from "./_one_connection.ts";
import type { SrtSocket } from "./srt_socket.ts";
import { rendezvous } from "./rendezvous.ts";

/**
 * Options of {@linkcode connect}.
 *
 * @example
 * ```ts
 * import { connect, type ConnectOptions, listen } from "@tsrt/tsrt";
 * const passphrase = "a long shared secret";
 * const server = await listen({ port: 0, hostname: "127.0.0.1", passphrase });
 * // The object form of srt://127.0.0.1:PORT?streamid=cam1&latency=200&passphrase=...
 * const options: ConnectOptions = {
 *   host: "127.0.0.1",
 *   port: server.address.port,
 *   streamId: "cam1",
 *   latency: 200,
 *   passphrase,
 *   udpReceiveBuffer: 4 * 1024 * 1024,
 * };
 * const socket = await connect(options);
 * await socket.close();
 * await server.close();
 * ```
 */
export interface ConnectOptions extends SrtOptions {
  /** Remote host (an IP address). */
  host: string;
  /** Remote port. */
  port: number;
  /** Local address to bind; default any of the remote's family. */
  localAddress?: string;
  /** Local port to bind; default ephemeral. */
  localPort?: number;
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
   * `IPV6_V6ONLY` for the local UDP socket when it binds the IPv6 wildcard `::` (libsrt's
   * `SRTO_IPV6ONLY`, URI key `ipv6only`); see `ipv6Only` of `openUdp()`. It only matters for
   * which peers may reach that socket.
   */
  ipv6Only?: boolean;
}

/**
 * Connects to an SRT listener as a caller.
 *
 * @param target Options, or an `srt://host:port?key=value` URI as srt-live-transmit takes it
 * (`mode=rendezvous` there meets the peer with {@linkcode rendezvous} instead).
 * @returns The connected socket.
 * @throws {SrtError} when the listener rejects the connection (`code` `CONNECTION_REJECTED`
 * with the libsrt `reason`) or does not answer in time (`CONNECTION_TIMEOUT`).
 *
 * @example
 * ```ts ignore
 * import { connect } from "@tsrt/tsrt";
 * const socket = await connect("srt://127.0.0.1:9000?streamid=#!::r=live/a,m=publish");
 * socket.send(new Uint8Array(1316));
 * await socket.close();
 * ```
 */
export async function connect(target: string | ConnectOptions): Promise<SrtSocket> {
  let opts: ConnectOptions;
  if (typeof target === "string") {
    const uri = parseSrtUri(target);
    if (uri.mode === "rendezvous") return await rendezvous(target);
    if (uri.mode !== "caller") {
      throw new TypeError(`connect() needs a caller URI, got mode=${uri.mode}: use listen()`);
    }
    opts = targetFromUri(uri);
  } else opts = target;
  return await openOneConnection(opts, 0, (ep, now, peer, o) => ep.connect(now, peer, o));
}
