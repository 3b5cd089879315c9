/**
 * Error types that callers branch on.
 *
 * @module
 */

/**
 * A datagram that is not a well-formed SRT packet. The codec throws it; the connection
 * core catches it, counts the datagram as dropped and carries on.
 */
export class SrtPacketError extends Error {
  /** Creates the error with a message naming the field that was wrong. */
  constructor(message: string) {
    super(message);
    this.name = "SrtPacketError";
  }
}

/** Machine-readable reasons an SRT connection failed or ended. */
export type SrtErrorCode =
  | "CONNECTION_REJECTED"
  | "CONNECTION_TIMEOUT"
  | "PEER_IDLE_TIMEOUT"
  | "PEER_SHUTDOWN"
  | "CLOSED"
  | "INVALID_OPTION";

/**
 * A connection-level failure. `reason` carries the SRT rejection code (SRT_REJ_* below 1000,
 * SRT_REJX_* from 1000) when the handshake was refused.
 */
export class SrtError extends Error {
  /** What happened, for branching. */
  readonly code: SrtErrorCode;
  /** The rejection reason code, when `code` is `CONNECTION_REJECTED` or a timeout. */
  readonly reason: number | undefined;

  /**
   * Creates the error.
   *
   * @param code What happened.
   * @param message Human-readable explanation.
   * @param options The rejection `reason` and an optional `cause`.
   */
  constructor(
    code: SrtErrorCode,
    message: string,
    options: { reason?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SrtError";
    this.code = code;
    this.reason = options.reason;
  }
}
