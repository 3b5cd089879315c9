/**
 * The shapes every input (source) and output (sink) of the relay has.
 *
 * @module
 */

import type { SrtSocket } from "../net/srt_socket.ts";

/** What the status line and the statistics need of an SRT input or output. */
export interface SrtStatsSource {
  /** Statistics in libsrt's terms, as `SrtSocket.stats()` gives them. */
  stats(): ReturnType<SrtSocket["stats"]>;
}

/** An input: a one-shot stream of byte chunks. */
export interface Source {
  /** The URI, for messages. */
  readonly label: string;
  /** The chunks, read once. The iteration ends at end of input or disconnection. */
  chunks(): AsyncIterable<Uint8Array>;
  /** Why the input ended abnormally (set once its iteration has ended), if it did. */
  readonly failure: Error | undefined;
  /** The SRT connection behind it (a group's: its current link), while there is one. */
  readonly srt?: SrtStatsSource | undefined;
  /** Releases the input; safe to call at any time, more than once. */
  close(): Promise<void>;
}

/** An output. */
export interface Sink {
  /** The URI, for messages. */
  readonly label: string;
  /**
   * Writes one chunk. A returned promise means "wait before the next write" (backpressure).
   * Chunks are never reused by the caller afterwards.
   */
  write(chunk: Uint8Array): void | Promise<void>;
  /** Resolves when the output has ended on its own (the peer went away), never rejects. */
  readonly ended: Promise<void>;
  /** Why the output ended abnormally, if it did. */
  readonly failure: Error | undefined;
  /** The SRT connection behind it (a group's: its current link), while there is one. */
  readonly srt?: SrtStatsSource | undefined;
  /** Flushes and closes the output (an SRT sink sends SHUTDOWN); safe to call more than once. */
  close(): Promise<void>;
}
