/**
 * tsrt: SRT (Secure Reliable Transport) in pure TypeScript for Deno and Bun.
 *
 * - {@linkcode connect} opens a caller connection, {@linkcode listen} accepts callers; both
 *   take srt-live-transmit's `srt://` URIs or an options object, and give {@linkcode SrtSocket}s
 *   with Web Streams, `stats()` and `close()`.
 * - The protocol core is sans-IO: {@linkcode SrtEndpoint} and {@linkcode SrtConnection} are
 *   synchronous state machines fed with time and datagrams, usable under any I/O.
 *
 * @example
 * ```ts ignore
 * import { connect, listen } from "@tsrt/tsrt";
 *
 * const server = await listen({ port: 9000, accept: (req) => req.streamId === "cam1" });
 * const caller = await connect("srt://127.0.0.1:9000?streamid=cam1&latency=120");
 * const incoming = (await server.accept())!;
 * caller.send(new TextEncoder().encode("hello"));
 * const { value } = await incoming.readable.getReader().read();
 * console.log(new TextDecoder().decode(value)); // "hello"
 * ```
 *
 * @module
 */

export { connect, type ConnectOptions } from "./net/connect.ts";
export { type AcceptDecision, listen, type ListenOptions, SrtServer } from "./net/listen.ts";
export { SrtSocket } from "./net/srt_socket.ts";
export type { ConnectionRequest } from "./srt/listener.ts";
export { SrtEndpoint } from "./srt/endpoint.ts";
export { type ConnectionEvent, type PeerAddress, SrtConnection } from "./srt/connection.ts";
export type { SrtOptions } from "./srt/options.ts";
export type { SrtStats } from "./srt/stats.ts";
export { SrtError, type SrtErrorCode, SrtPacketError } from "./srt/errors.ts";
export { RejectReason, rejectReasonName } from "./srt/reject_reason.ts";
export { parseSrtUri, type SrtUri } from "./srt/uri.ts";
export { KmState } from "./crypto/km_state.ts";
export type { KmCounters, KmStats } from "./srt/crypto_control.ts";
export { rendezvous, type RendezvousOptions } from "./net/rendezvous.ts";
export {
  type ServerSnapshot,
  StreamServer,
  type StreamServerLogEntry,
  type StreamServerOptions,
} from "./server/stream_server.ts";
export { connectWithRetry, ReconnectingCaller, type RetryPolicy } from "./server/reconnect.ts";
export type { RendezvousFailure } from "./srt/endpoint.ts";
export {
  RendezvousHandshake,
  type RendezvousInit,
  type RendezvousKeyMaterial,
  type RendezvousResult,
  type RendezvousRole,
  type RendezvousState,
} from "./srt/rendezvous.ts";
export type { FecFilterStats } from "./srt/fec_filter.ts";
export {
  connectGroup,
  type GroupConnectOptions,
  type GroupMemberInfo,
  type GroupMemberTarget,
  groupOptionsFromUri,
  SrtGroupSocket,
} from "./net/group.ts";
export {
  GROUP_MIN_STABILITY_US,
  type GroupEvent,
  type GroupMemberStatus,
  type GroupMode,
  type GroupStats,
  type MemberState,
  SrtGroup,
  type SrtGroupOptions,
} from "./srt/group.ts";
export {
  groupExtension,
  type GroupMembership,
  type GroupRequestDecision,
  GroupType,
  makeGroupId,
} from "./srt/group_handshake.ts";
export type { GroupExt } from "./srt/handshake_ext.ts";
export { type GroupUri, type GroupUriNode, parseGroupUri } from "./srt/group_uri.ts";
export type { AcceptedInit, ConnectionInit, ConnectionState } from "./srt/connection.ts";
export type { EndpointCounters, EndpointEvent } from "./srt/endpoint.ts";
export { type ListenerCounters, SrtListener } from "./srt/listener.ts";
export type { RandomU32 } from "./srt/random_bytes.ts";
export type { ResolvedOptions } from "./srt/options.ts";
export type { SrtCounters, SrtGauges, SrtIntervalStats, StatsOptions } from "./srt/stats.ts";
export type { SrtMode } from "./srt/uri.ts";
export type { RandomBytes } from "./srt/random_bytes.ts";
export { CryptoControl, type KmReply } from "./srt/crypto_control.ts";
