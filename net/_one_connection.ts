// The plumbing shared by connect() and rendezvous(): one UDP socket, one endpoint, one
// connection, and a promise that settles when the handshake succeeds or fails.

import type { PeerAddress } from "../srt/connection.ts";
import { SrtEndpoint } from "../srt/endpoint.ts";
import type { SrtError } from "../srt/errors.ts";
import type { SrtOptions } from "../srt/options.ts";
import type { SrtUri } from "../srt/uri.ts";
import type { ConnectOptions } from "./connect.ts";
import { cryptoRandomU32, EndpointDriver, nowUs, SrtSocket } from "./srt_socket.ts";
import { openUdp } from "./udp.ts";

/** Where to reach the peer and how to bind the local UDP socket. */
export type PeerTarget = ConnectOptions;

/** The target an `srt://` URI describes. */
export function targetFromUri(uri: SrtUri): PeerTarget {
  return {
    ...uri.options,
    host: uri.host,
    port: uri.port,
    localAddress: uri.adapter,
    localPort: uri.localPort,
    udpReceiveBuffer: uri.udpReceiveBuffer,
    udpSendBuffer: uri.udpSendBuffer,
    ipv6Only: uri.ipv6Only,
  };
}

/**
 * Opens the UDP socket, starts the handshake with `start` and resolves with the connected
 * socket, or rejects with the handshake's `SrtError`.
 *
 * @param target Peer, local binding and SRT options.
 * @param defaultLocalPort Local port when `target.localPort` is not given.
 * @param start Begins the handshake on the endpoint (caller or rendezvous).
 */
export async function openOneConnection(
  target: PeerTarget,
  defaultLocalPort: number,
  start: (endpoint: SrtEndpoint, now: number, peer: PeerAddress, options: SrtOptions) => void,
): Promise<SrtSocket> {
  const {
    host,
    port,
    localAddress,
    localPort,
    udpReceiveBuffer,
    udpSendBuffer,
    ipv6Only,
    ...options
  } = target;
  const endpoint = new SrtEndpoint(cryptoRandomU32);
  const ref: { driver?: EndpointDriver } = {};
  const udp = await openUdp({
    hostname: localAddress ?? (host.includes(":") ? "::" : "0.0.0.0"),
    port: localPort ?? defaultLocalPort,
    receiveBufferBytes: udpReceiveBuffer,
    sendBufferBytes: udpSendBuffer,
    ipv6Only,
    onMessage: (data, from) => ref.driver?.receive(data, from),
  });
  let settle!: { ok: (s: SrtSocket) => void; fail: (e: unknown) => void };
  const result = new Promise<SrtSocket>((ok, fail) => (settle = { ok, fail }));
  let socket: SrtSocket | undefined;
  const end = (): void => {
    driver.stop();
    void udp.close();
  };
  const driver = new EndpointDriver(udp, endpoint, {
    onConnected: (conn) => {
      socket = new SrtSocket(driver, conn);
      driver.sockets.set(conn, socket);
      settle.ok(socket);
    },
    onClosed: (_conn, error: SrtError | undefined) => {
      end();
      if (!socket) settle.fail(error);
    },
    onRendezvousFailed: (f) => {
      // Let the rejection (if any) go out before the socket closes.
      queueMicrotask(end);
      settle.fail(f.error);
    },
  });
  ref.driver = driver;
  try {
    const now = nowUs();
    start(endpoint, now, { hostname: host, port }, options);
    driver.flush(now);
  } catch (e) {
    driver.stop();
    await udp.close();
    throw e;
  }
  return result;
}
