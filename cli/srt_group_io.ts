/**
 * Socket groups ("bonding") as relay inputs and outputs: a group URI
 * (`srt:////group?type=backup&nodes=...`) connects one caller per member path; an
 * `srt://:PORT?groupconnect=1` listener accepts a caller's group (or a plain caller) and reads
 * the merged stream. Member events go to the log, so a failover shows.
 *
 * @module
 */

import { connectGroup, groupOptionsFromUri, type SrtGroupSocket } from "../net/group.ts";
import { listen, type SrtServer } from "../net/listen.ts";
import type { SrtSocket } from "../net/srt_socket.ts";
import { SrtError } from "../srt/errors.ts";
import type { GroupEvent } from "../srt/group.ts";
import type { GroupUri } from "../srt/group_uri.ts";
import type { SrtUri } from "../srt/uri.ts";
import { RejectReason } from "../srt/reject_reason.ts";
import type { Sink, Source, SrtStatsSource } from "./media_io.ts";
import { describeSrtError, type SrtIoOptions } from "./srt_io.ts";

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The group's current link as the status line wants it. */
function statsOf(g: SrtGroupSocket): SrtStatsSource | undefined {
  return g.linkStats() ? { stats: () => g.linkStats()! } : undefined;
}

/** Logs member events; those before the group is known wait for `flush()`. */
function eventLogger(g: () => SrtGroupSocket | undefined, o: SrtIoOptions) {
  const early: GroupEvent[] = [];
  return {
    onEvent(e: GroupEvent): void {
      if (g()) line(e);
      else early.push(e); // connectGroup() has not returned the group yet
    },
    flush(): void {
      for (const x of early.splice(0)) line(x);
    },
  };
  function line(e: GroupEvent): void {
    const m = g()?.members.find((x) => x.socketId === e.socketId);
    const where = m ? `${hostPort(m.peer.hostname, m.peer.port)} (weight ${m.weight})` : "";
    const what = {
      connected: "connected",
      activated: "now carries the stream",
      silenced: "back to standby",
      unstable: "stopped answering",
      broken: "broken",
    }[e.kind];
    const text = `SRT group member ${e.socketId} ${where}: ${what}`;
    if (e.kind === "unstable" || e.kind === "broken") o.log.error(text);
    else o.log.info(text);
  }
}

async function connectGroupUri(uri: GroupUri, o: SrtIoOptions): Promise<SrtGroupSocket> {
  const ref: { group?: SrtGroupSocket } = {};
  const events = eventLogger(() => ref.group, o);
  const group = await connectGroup({
    ...groupOptionsFromUri(uri),
    reconnectMembers: true, // a path that comes back rejoins the group
  }, events.onEvent);
  ref.group = group;
  events.flush();
  const nodes = uri.nodes.map((n) => hostPort(n.host, n.port)).join(", ");
  o.log.info(`SRT ${uri.mode} group connected (members ${nodes})`);
  return group;
}

/**
 * Opens a group output: the relay's chunks go through the group.
 *
 * @param label the URI text
 * @param uri the parsed group URI
 * @param options messages and abort (a group has no whole-group reconnection: its members are
 *   its redundancy)
 * @returns the sink
 * @throws {Error} naming the reason when no member could connect
 */
export async function openGroupSink(
  label: string,
  uri: GroupUri,
  options: SrtIoOptions,
): Promise<Sink> {
  let group: SrtGroupSocket;
  try {
    group = await connectGroupUri(uri, options);
  } catch (e) {
    throw new Error(describeSrtError(e), { cause: e });
  }
  let closing = false;
  let dropped = 0;
  const ended = group.closed.then(() => {
    if (!closing) options.log.error("SRT group output: every member has ended");
  });
  return {
    label,
    ended,
    get failure() {
      return closing
        ? undefined
        : group.stats().pktSent === 0 && dropped > 0
        ? new Error("SRT group output: no member connected")
        : undefined;
    },
    get srt() {
      return statsOf(group);
    },
    write(chunk) {
      try {
        group.send(chunk);
      } catch (e) {
        if (!(e instanceof SrtError && e.code === "CLOSED")) throw e;
        dropped++;
      }
    },
    async close() {
      closing = true;
      await group.close();
    },
  };
}

/**
 * Opens a group input as a caller: the merged stream of the group's members.
 *
 * @param label the URI text
 * @param uri the parsed group URI
 * @param options messages and abort
 * @returns the source (connecting happens when it is read)
 */
export function openGroupSource(label: string, uri: GroupUri, options: SrtIoOptions): Source {
  let group: SrtGroupSocket | undefined;
  let failure: Error | undefined;
  return {
    label,
    get failure() {
      return failure;
    },
    get srt() {
      return group && statsOf(group);
    },
    async *chunks() {
      try {
        group = await connectGroupUri(uri, options);
      } catch (e) {
        failure = new Error(describeSrtError(e), { cause: e });
        return;
      }
      for await (const p of group.readable) yield p;
      if (!options.signal.aborted) options.log.info("SRT group input: every member has ended");
    },
    async close() {
      await group?.close();
    },
  };
}

/**
 * Opens an `srt://:PORT?groupconnect=1` input: a listener that serves one caller group (or
 * one plain caller) at a time, like srt-live-transmit, and refuses other callers meanwhile
 * (BACKLOG) while members of the group being served are let in; with auto-reconnect it
 * accepts the next one when that ends.
 *
 * @param label the URI text
 * @param uri the parsed listener URI
 * @param options reconnection, messages and abort
 * @returns the source (listening starts when it is read)
 */
export function openGroupListenerSource(
  label: string,
  uri: SrtUri,
  options: SrtIoOptions,
): Source {
  let server: SrtServer | undefined;
  let group: SrtGroupSocket | undefined;
  let single: SrtSocket | undefined;
  let busy = false;
  let closed = false;
  return {
    label,
    failure: undefined,
    get srt() {
      return group ? statsOf(group) : single;
    },
    async *chunks() {
      server = await listen({
        ...uri.options,
        port: uri.port,
        hostname: uri.adapter ?? (uri.host || undefined),
        udpReceiveBuffer: uri.udpReceiveBuffer,
        udpSendBuffer: uri.udpSendBuffer,
        accept: (req) => {
          if (!busy) return true;
          if (req.group && group && req.group.peerGroupId === group.peerGroupId) return true;
          options.log.info(
            `SRT caller ${hostPort(req.peer.hostname, req.peer.port)} rejected: ` +
              `a connection is already active`,
          );
          return RejectReason.BACKLOG;
        },
      });
      const a = server.address;
      options.log.info(`SRT listening on ${hostPort(a.hostname, a.port)} (groups accepted)`);
      const onAbort = (): void => void server?.close();
      options.signal.addEventListener("abort", onAbort);
      // One wait of each kind at a time, renewed when it is the one that came.
      let nextGroup = server.acceptGroup().then((g) => ({ g }));
      let nextSingle = server.accept().then((s) => ({ s }));
      try {
        while (!closed && !options.signal.aborted) {
          const first: { g?: SrtGroupSocket; s?: SrtSocket } = await Promise.race([
            nextGroup,
            nextSingle,
          ]);
          let readable: ReadableStream<Uint8Array>;
          if ("g" in first) {
            if (!first.g) return;
            group = first.g;
            nextGroup = server.acceptGroup().then((g) => ({ g }));
            options.log.info(`SRT accepted a ${group.mode} group`);
            readable = group.readable;
          } else {
            if (!first.s) return;
            single = first.s;
            nextSingle = server.accept().then((s) => ({ s }));
            const p = single.remoteAddress;
            options.log.info(`SRT accepted ${hostPort(p.hostname, p.port)} (not a group)`);
            readable = single.readable;
          }
          busy = true;
          try {
            for await (const p of readable) yield p;
          } catch {
            // the stream errors with the connection's error; the next one is accepted below
          }
          group = undefined;
          single = undefined;
          busy = false;
          if (closed || options.signal.aborted) return;
          options.log.info("SRT input: the peer ended");
          if (!options.autoReconnect) return;
        }
      } finally {
        options.signal.removeEventListener("abort", onAbort);
      }
    },
    async close() {
      closed = true;
      await server?.close();
    },
  };
}
