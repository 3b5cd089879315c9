// What the sender and receiver halves need from the connection that owns them.

import type { ControlPacket } from "./control_packet.ts";
import type { RttEstimator } from "./rtt.ts";
import type { SrtCounters } from "./stats.ts";

/** A control packet without the header fields the connection fills in. */
export type ControlBody = ControlPacket extends infer P
  ? P extends ControlPacket ? Omit<P, "timestamp" | "destSocketId"> : never
  : never;

/** The connection's services, as seen by its sender and receiver. */
export interface ConnectionIo {
  /** Shared counters. */
  readonly counters: SrtCounters;
  /** Shared RTT estimate. */
  readonly rtt: RttEstimator;
  /** Queues a finished data packet for the peer. */
  transmitData(now: number, datagram: Uint8Array): void;
  /** Queues a control packet for the peer. */
  sendControl(now: number, packet: ControlBody): void;
  /**
   * Encrypts a data packet in place and sets its KK bits, once, as it enters the send buffer
   * (retransmissions reuse the ciphertext). A no-op when the connection does not encrypt.
   */
  encrypt(now: number, datagram: Uint8Array, seq: number): void;
  /**
   * Decrypts a data packet in place and clears its KK bits on arrival. False when it cannot be
   * decrypted (no key for its KK bits): such a packet must never be delivered.
   */
  decrypt(datagram: Uint8Array, seq: number): boolean;
}

/** The full-ACK / SYN interval (10 ms). */
export const SYN_INTERVAL_US = 10_000;

/** The smallest power of two >= n (at least 32). */
export function pow2(n: number): number {
  let p = 32;
  while (p < n) p *= 2;
  return p;
}
