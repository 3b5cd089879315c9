/**
 * `udp://` inputs (bind and receive) and outputs (send), one datagram per chunk.
 *
 * @module
 */

import { openUdp, type UdpSocket } from "../net/udp.ts";
import { ChunkQueue } from "./_chunk_queue.ts";
import { joinMulticast, type MulticastReceiver } from "./_multicast.ts";
import type { Sink, Source } from "./media_io.ts";

/** A parsed `udp://` URI. A multicast input joins the group (on `adapter`, if given). */
export interface UdpTarget {
  /** Destination (output) or bind address (input; "" = any). */
  readonly hostname: string;
  /** Port. */
  readonly port: number;
  /** Local address (`adapter=`). */
  readonly adapter: string | undefined;
  /** Whether `hostname` is a multicast group. */
  readonly multicast: boolean;
  /**
   * Kernel receive buffer to ask for, bytes (`rcvbuf=`, as srt-live-transmit's `SO_RCVBUF`).
   * Applied on Node and Bun (through `node:dgram` there); Deno keeps the OS default. Not
   * applied to multicast inputs yet.
   */
  readonly rcvbuf?: number;
  /** Kernel send buffer to ask for, bytes (`sndbuf=`, `SO_SNDBUF`). */
  readonly sndbuf?: number;
}

function anyAddress(host: string): string {
  return host.includes(":") ? "::" : "0.0.0.0";
}

/**
 * Binds a `udp://` input.
 *
 * @param label the URI text
 * @param u the parsed URI
 * @returns the source, already receiving
 * @throws {Error} when binding or joining the multicast group fails
 */
export async function openUdpSource(label: string, u: UdpTarget): Promise<Source> {
  const queue = new ChunkQueue();
  if (u.multicast) {
    let rx: MulticastReceiver;
    try {
      rx = await joinMulticast(u.hostname, u.port, u.adapter, (d) => queue.push(d));
    } catch (e) {
      throw new Error(`${label}: cannot join the multicast group: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return {
      label,
      failure: undefined,
      chunks: () => queue,
      async close() {
        queue.end();
        await rx.close();
      },
    };
  }
  let udp: UdpSocket;
  try {
    udp = await openUdp({
      hostname: u.adapter ?? (u.hostname || "0.0.0.0"),
      port: u.port,
      receiveBufferBytes: u.rcvbuf,
      sendBufferBytes: u.sndbuf,
      onMessage: (data) => queue.push(data),
    });
  } catch (e) {
    throw new Error(`${label}: cannot bind: ${(e as Error).message}`, { cause: e });
  }
  return {
    label,
    failure: undefined,
    chunks: () => queue,
    async close() {
      queue.end();
      await udp.close();
    },
  };
}

/**
 * Opens a `udp://` output.
 *
 * @param label the URI text
 * @param u the parsed URI (with a destination host)
 * @returns the sink
 */
export async function openUdpSink(label: string, u: UdpTarget): Promise<Sink> {
  const udp = await openUdp({
    hostname: u.adapter ?? anyAddress(u.hostname),
    port: 0,
    receiveBufferBytes: u.rcvbuf,
    sendBufferBytes: u.sndbuf,
    onMessage: () => {},
  });
  const to = { hostname: u.hostname, port: u.port };
  return {
    label,
    failure: undefined,
    ended: new Promise<void>(() => {}),
    write(chunk) {
      udp.send(chunk, to);
      // Let the adapter hand its backlog to the OS before it overflows.
      if (udp.backlog > 256) return udp.flush();
    },
    async close() {
      await udp.flush();
      await udp.close();
    },
  };
}
