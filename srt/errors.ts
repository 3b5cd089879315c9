/**
 * Error types that callers branch on.
 *
 * @module
 */

/**
 * A datagram that is not a well-formed SRT packet. The codec throws it; the connection
 * core catches it, counts the datagram as dropped and carries on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SrtPacketError } from "@tsrt/tsrt";
 * const e = new SrtPacketError("control packet shorter than 16 bytes");
 * assert.equal(e.name, "SrtPacketError");
 * assert.ok(e instanceof Error);
 * ```
 */
export class SrtPacketError extends Error {
  /** Creates the error with a message naming the field that was wrong. */
  constructor(message: string) {
    super(message);
    this.name = "SrtPacketError";
  }
}

/**
 * Machine-readable reasons an SRT connection failed or ended.
 *
 * @example
 * ```ts
 * import { connect, SrtError, type SrtErrorCode } from "@tsrt/tsrt";
 * const retryable: SrtErrorCode[] = ["CONNECTION_TIMEOUT", "PEER_IDLE_TIMEOUT"];
 * try {
 *   await connect({ host: "127.0.0.1", port: 9, connectTimeout: 200 });
 * } catch (e) {
 *   if (e instanceof SrtError && retryable.includes(e.code)) console.log("try again later");
 * }
 * ```
 */
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
 *
 * @example
 * ```ts
 * import { connect, rejectReasonName, SrtError } from "@tsrt/tsrt";
 * try {
 *   await connect({ host: "127.0.0.1", port: 9, streamId: "cam1", connectTimeout: 200 });
 * } catch (e) {
 *   if (!(e instanceof SrtError)) throw e;
 *   if (e.code === "CONNECTION_REJECTED") console.error(rejectReasonName(e.reason!));
 *   else console.error(e.code); // CONNECTION_TIMEOUT: nobody listens on port 9
 * }
 * ```
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
