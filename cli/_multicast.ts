/**
 * Receiving from a multicast group, which `net/udp.ts` cannot do yet: `Deno.listenDatagram`
 * with `joinMulticastV4/V6` on Deno (needs the `net` unstable feature, which deno.json
 * enables), `node:dgram` with `addMembership` on Bun and Node.
 *
 * @module
 */

import { createSocket } from "node:dgram";

/** A joined multicast receiver. */
export interface MulticastReceiver {
  /** Leaves the group and closes the socket. */
  close(): Promise<void>;
}

interface DenoMembership {
  leave(): Promise<void>;
}
interface DenoMulticastConn extends AsyncIterable<[Uint8Array, unknown]> {
  joinMulticastV4(address: string, networkInterface: string): Promise<DenoMembership>;
  joinMulticastV6(address: string, networkInterface: number): Promise<DenoMembership>;
  close(): void;
}
interface DenoMulticastNs {
  listenDatagram(options: {
    transport: "udp";
    hostname: string;
    port: number;
    reuseAddress?: boolean;
  }): DenoMulticastConn;
}

/**
 * Joins `group` on `port` and calls `onMessage` for each datagram.
 *
 * @param group multicast address (IPv4 or IPv6)
 * @param port UDP port
 * @param iface IPv4 address of the interface to join on (default any); IPv6 joins on the
 *   default interface
 * @param onMessage receives each datagram (a fresh buffer)
 * @returns the receiver
 * @throws {Error} when the runtime cannot bind or join
 */
export async function joinMulticast(
  group: string,
  port: number,
  iface: string | undefined,
  onMessage: (data: Uint8Array) => void,
): Promise<MulticastReceiver> {
  const v6 = group.includes(":");
  const deno = (globalThis as { Deno?: DenoMulticastNs }).Deno;
  if (deno?.listenDatagram) {
    const conn = deno.listenDatagram({
      transport: "udp",
      hostname: v6 ? "::" : "0.0.0.0",
      port,
      reuseAddress: true,
    });
    if (typeof conn.joinMulticastV4 !== "function") {
      conn.close();
      throw new Error("this Deno cannot join multicast groups (run with --unstable-net)");
    }
    const membership = v6
      ? await conn.joinMulticastV6(group, 0)
      : await conn.joinMulticastV4(group, iface ?? "0.0.0.0");
    let closed = false;
    void (async () => {
      try {
        for await (const [data] of conn) onMessage(data);
      } catch (e) {
        if (!closed) throw e;
      }
    })();
    return {
      async close() {
        if (closed) return;
        closed = true;
        await membership.leave().catch(() => {});
        conn.close();
      },
    };
  }
  const sock = createSocket({ type: v6 ? "udp6" : "udp4", reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, () => {
      sock.off("error", reject);
      resolve();
    });
  });
  try {
    sock.addMembership(group, iface);
  } catch (e) {
    sock.close();
    throw e;
  }
  sock.on("message", (m: Uint8Array) => onMessage(new Uint8Array(m)));
  return {
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
