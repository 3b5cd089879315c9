/**
 * Connection rejection reasons. Values below 1000 are libsrt's internal `SRT_REJ_*` codes;
 * values from 1000 are access-control codes (`SRT_REJX_*`, HTTP status + 1000), and from 2000
 * application-defined. On the wire a rejection travels as handshake type 1000 + reason, so
 * FORBIDDEN (1403) is sent as 2403.
 *
 * @module
 */

/**
 * Rejection reason codes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listen, RejectReason } from "@tsrt/tsrt";
 * assert.equal(RejectReason.FORBIDDEN, 1403); // SRT_REJX_FORBIDDEN
 * assert.equal(RejectReason.BADSECRET, 10); // SRT_REJ_BADSECRET
 * const server = await listen({
 *   port: 0,
 *   hostname: "127.0.0.1",
 *   accept: (req) => req.streamId === "cam1" ? true : RejectReason.NOTFOUND,
 * });
 * await server.close();
 * ```
 */
export const RejectReason = {
  /** Unknown reason. */
  UNKNOWN: 0,
  /** System function error. */
  SYSTEM: 1,
  /** Rejected by the peer. */
  PEER: 2,
  /** Resource allocation problem. */
  RESOURCE: 3,
  /** Incorrect data in the handshake. */
  ROGUE: 4,
  /** Listener's backlog exceeded. */
  BACKLOG: 5,
  /** Internal program error. */
  IPE: 6,
  /** Socket is closing. */
  CLOSE: 7,
  /** Peer is older than the minimum version. */
  VERSION: 8,
  /** Rendezvous cookie collision. */
  RDVCOOKIE: 9,
  /** Wrong passphrase. */
  BADSECRET: 10,
  /** Password required or unexpected. */
  UNSECURE: 11,
  /** Stream flag collision. */
  MESSAGEAPI: 12,
  /** Incompatible congestion controller. */
  CONGESTION: 13,
  /** Incompatible packet filter. */
  FILTER: 14,
  /** Incompatible group. */
  GROUP: 15,
  /** Connection timeout. */
  TIMEOUT: 16,
  /** Incompatible crypto mode. */
  CRYPTO: 17,
  /** Access control: generic rejection. */
  FALLBACK: 1000,
  /** Access control: unsupported key. */
  KEY_NOTSUP: 1001,
  /** Access control: bad file path. */
  FILEPATH: 1002,
  /** Access control: unknown host. */
  HOSTNOTFOUND: 1003,
  /** Access control: bad request. */
  BAD_REQUEST: 1400,
  /** Access control: authorization required. */
  UNAUTHORIZED: 1401,
  /** Access control: server overloaded. */
  OVERLOAD: 1402,
  /** Access control: forbidden. */
  FORBIDDEN: 1403,
  /** Access control: resource not found. */
  NOTFOUND: 1404,
  /** Access control: mode not supported for the resource. */
  BAD_MODE: 1405,
  /** Access control: parameters not acceptable. */
  UNACCEPTABLE: 1406,
  /** Access control: resource already in use (e.g. already published). */
  CONFLICT: 1409,
  /** Access control: media type not supported. */
  NOTSUP_MEDIA: 1415,
  /** Access control: resource locked. */
  LOCKED: 1423,
  /** Access control: dependent entity failed. */
  FAILED_DEPEND: 1424,
  /** Access control: internal server error. */
  ISE: 1500,
  /** Access control: not implemented. */
  UNIMPLEMENTED: 1501,
  /** Access control: gateway error. */
  GW: 1502,
  /** Access control: service down. */
  DOWN: 1503,
  /** Access control: version not supported. */
  VERSION_NOTSUP: 1505,
  /** Access control: no room. */
  NOROOM: 1507,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(RejectReason).map(([k, v]) => [v, k]),
);

/**
 * A readable name for a rejection reason, e.g. `FORBIDDEN (1403)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rejectReasonName } from "@tsrt/tsrt";
 * assert.equal(rejectReasonName(1403), "FORBIDDEN (1403)");
 * assert.equal(rejectReasonName(2001), "USER (2001)"); // application-defined
 * ```
 */
export function rejectReasonName(reason: number): string {
  const name = NAMES.get(reason) ?? (reason >= 2000 ? "USER" : "UNKNOWN");
  return `${name} (${reason})`;
}

/**
 * Checks a reason the application gives for rejecting a connection.
 *
 * @throws {RangeError} when it is not an integer in 0..65535.
 */
export function checkRejectReason(reason: number): number {
  if (!Number.isInteger(reason) || reason < 0 || reason > 65535) {
    throw new RangeError(`rejection reason must be an integer in 0..65535: got ${reason}`);
  }
  return reason;
}
