/**
 * Private helpers for the stream server tests: numbered payloads, pacing, readers and a log
 * recorder whose waits resolve on events (no sleeps as synchronisation).
 *
 * @module
 */

import type { SrtSocket } from "../net/srt_socket.ts";
import type { StreamServerLogEntry } from "./stream_server.ts";

/**
 * A payload of `size` bytes whose content depends on `stream` and `index`.
 *
 * @param stream Stream number.
 * @param index Payload number.
 * @param size Length in bytes.
 * @returns The payload.
 */
export function numberedPayload(stream: number, index: number, size = 1316): Uint8Array {
  const p = new Uint8Array(size);
  const v = new DataView(p.buffer);
  v.setUint32(0, stream);
  v.setUint32(4, index);
  for (let i = 8; i < size; i++) p[i] = (stream * 31 + index * 7 + i) & 0xff;
  return p;
}

/**
 * Calls `send` for each payload, spread evenly at `perSecond`, in 10 ms bursts.
 *
 * @param payloads What to send.
 * @param perSecond Payloads per second.
 * @param send Sends one.
 */
export async function sendPaced(
  payloads: readonly Uint8Array[],
  perSecond: number,
  send: (p: Uint8Array) => void | Promise<void>,
): Promise<void> {
  const start = performance.now();
  let i = 0;
  while (i < payloads.length) {
    const due = Math.min(
      payloads.length,
      Math.floor(((performance.now() - start) / 1000) * perSecond) + 1,
    );
    for (; i < due; i++) await send(payloads[i]);
    if (i < payloads.length) await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Reads a socket until it ends.
 *
 * @param socket The socket.
 * @returns The payloads, copied.
 */
export async function readAll(socket: SrtSocket): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  try {
    for await (const p of socket.readable) out.push(p.slice());
  } catch {
    // Ended by an error: return what arrived.
  }
  return out;
}

/**
 * Concatenates byte arrays.
 *
 * @param parts The parts.
 * @returns One array.
 */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Records server log entries and waits for them. */
export class LogRecorder {
  /** Every entry so far. */
  readonly entries: StreamServerLogEntry[] = [];
  #waiters = new Set<() => void>();

  /** The function to pass as the server's `log`. */
  readonly log = (e: StreamServerLogEntry): void => {
    this.entries.push(e);
    for (const w of [...this.#waiters]) w();
  };

  /**
   * Resolves when `count` entries match.
   *
   * @param match The predicate.
   * @param count How many.
   * @param timeoutMs Upper bound; rejects after it.
   */
  waitFor(
    match: (e: StreamServerLogEntry) => boolean,
    count = 1,
    timeoutMs = 10_000,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.entries.filter(match).length >= count) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `timed out waiting for ${count} log entries; got:\n` +
              this.entries.map((e) => JSON.stringify(e)).join("\n"),
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}
