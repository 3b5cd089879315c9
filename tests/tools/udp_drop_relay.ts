/**
 * A tiny throwaway UDP relay (Deno only) that sits between an SRT caller and an SRT listener on
 * 127.0.0.1 and drops chosen packets, to provoke NAKs from the real receiver.
 *
 * The caller connects to `listenPort`; everything it sends is forwarded to `targetPort` from one
 * relay socket, and everything coming back to that socket is returned to the caller.
 *
 * @module
 */

/** Options for {@link startDropRelay}. */
export interface DropRelayOptions {
  /** Port the caller connects to (127.0.0.1). */
  listenPort: number;
  /** Port of the real listener (127.0.0.1). */
  targetPort: number;
  /**
   * Decides whether to drop a caller→listener packet. Return true to drop.
   *
   * @param packet the UDP payload
   */
  dropForward: (packet: Uint8Array) => boolean;
}

/** A running relay. */
export interface DropRelay {
  /** Packets dropped so far. */
  readonly dropped: number;
  /** Closes both sockets. */
  close(): void;
}

/**
 * Starts the relay.
 *
 * @param opts ports and drop rule
 * @returns the relay handle
 */
export function startDropRelay(opts: DropRelayOptions): DropRelay {
  const front = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: opts.listenPort,
  });
  const back = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const target: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: opts.targetPort };
  let caller: Deno.Addr | undefined;
  let dropped = 0;
  let closed = false;

  (async () => {
    try {
      for await (const [data, addr] of front) {
        caller = addr;
        if (opts.dropForward(data)) {
          dropped++;
          continue;
        }
        await back.send(data, target);
      }
    } catch (err) {
      if (!closed) console.error("relay front:", err);
    }
  })();
  (async () => {
    try {
      for await (const [data] of back) {
        if (caller !== undefined) await front.send(data, caller);
      }
    } catch (err) {
      if (!closed) console.error("relay back:", err);
    }
  })();

  return {
    get dropped() {
      return dropped;
    },
    close() {
      closed = true;
      front.close();
      back.close();
    },
  };
}
