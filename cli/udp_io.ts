/**
 * `udp://` inputs (bind and receive) and outputs (send), one datagram per chunk.
 *
 * @module
 */

import { openUdp, type UdpSocket } from "../net/udp.ts";
import { ChunkQueue } from "./_chunk_queue.ts";
import type { Sink, Source } from "./media_io.ts";

/** A parsed `udp://` URI. */
export interface UdpTarget {
  /** Destination (output) or bind address (input; "" = any). */
  readonly hostname: string;
  /** Port. */
  readonly port: number;
  /** Local address (`adapter=`). */
  readonly adapter: string | undefined;
  /** Whether `hostname` is a multicast group. */
  readonly multicast: boolean;
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
 * @throws {Error} when binding fails, or for a multicast group (not supported yet)
 */
export async function openUdpSource(label: string, u: UdpTarget): Promise<Source> {
  if (u.multicast) {
    throw new Error(
      `${label}: receiving multicast is not available yet (tsrt's UDP layer cannot join a ` +
        `group); receive unicast instead`,
    );
  }
  const queue = new ChunkQueue();
  let udp: UdpSocket;
  try {
    udp = await openUdp({
      hostname: u.adapter ?? (u.hostname || "0.0.0.0"),
      port: u.port,
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
