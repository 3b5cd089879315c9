/**
 * Socket groups ("bonding"): one stream over several member connections, sans-IO.
 *
 * A group owns no sockets. The adapter creates the member connections (each on its own path:
 * another interface, another route, another listener), routes their datagrams as for any
 * connection, and tells the group about each member's payloads and the passing of time. The
 * group decides what goes on which member and merges what comes back.
 *
 * - **Broadcast** (`"broadcast"`, `SRT_GTYPE_BROADCAST`): every payload goes over every
 *   connected member with the same sequence number; the receiving side keeps the first copy.
 *   A member that dies costs nothing while another still carries the stream.
 * - **Main/backup** (`"backup"`, `SRT_GTYPE_BACKUP`): one member carries the stream, the
 *   others stay connected and idle (keepalives only). The group keeps every payload until the
 *   active member's peer acknowledges it. When the active member stops answering for longer
 *   than the stability timeout, the idle member with the highest weight is activated: it
 *   continues the group's sequence from the oldest unacknowledged payload and resends those
 *   with their original timestamps, so the receiver sees no gap. When two members are active
 *   and stable again, the one of lower weight goes back to idle.
 *
 * Sequence numbers are the group's, as in libsrt: a member joining a running group continues
 * the group's sequence (libsrt's `overrideSndSeqNo`); on the receiving side a member's first
 * packet sets its start, and in a backup group the idle members follow the active one
 * (libsrt's `updateLatestRcv`), so that a member taking over is not mistaken for loss.
 *
 * Stability follows libsrt 1.5.1 (`sendBackup_QualifyActiveState`): a member with data in
 * flight is unstable when nothing has come from its peer for the stability timeout, which is
 * max(SRTO_GROUPMINSTABLETIMEO, latency) in the first moments after activation and then
 * min(max(SRTO_GROUPMINSTABLETIMEO, 2 RTT + 4 RTTVar), latency). libsrt's minimum is 60 ms.
 * Unlike libsrt, a latency below the minimum does not lower the timeout under the minimum: a
 * link is not given up faster than SRTO_GROUPMINSTABLETIMEO says.
 *
 * ```
 * sender group          member links           receiver group
 *   send() ──┬── conn A ══ path 1 ══ conn A' ──┐
 *            └── conn B ══ path 2 ══ conn B' ──┴── merge by sequence ── pollPayload()
 * ```
 *
 * @module
 */

import type { SrtConnection } from "./connection.ts";
import { BroadcastGroupReceiver, type MergedPacket } from "./group_broadcast.ts";
import { seqCmp, seqInc } from "./seq.ts";

/**
 * How a group uses its members: `"broadcast"` sends every packet on every member,
 * `"backup"` on one active member at a time.
 *
 * @example
 * ```ts
 * import type { GroupMode } from "@tsrt/tsrt";
 * const mode: GroupMode = "backup";
 * void mode;
 * ```
 */
export type GroupMode = "broadcast" | "backup";

/**
 * libsrt's default minimum stability timeout (SRTO_GROUPMINSTABLETIMEO), in us.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GROUP_MIN_STABILITY_US } from "@tsrt/tsrt";
 * assert.equal(GROUP_MIN_STABILITY_US, 60_000);
 * ```
 */
export const GROUP_MIN_STABILITY_US = 60_000;

/** Most payloads a backup group keeps for resending (beyond this the oldest are let go). */
const MAX_BUFFERED = 8192;
/** The ACK period plus margin: the activation phase lasts this much beyond its timeout. */
const PROBING_EXTRA_US = 5 * 10_000;

/**
 * Options of {@linkcode SrtGroup}.
 *
 * @example
 * ```ts
 * import type { SrtGroupOptions } from "@tsrt/tsrt";
 * const options: SrtGroupOptions = { mode: "backup", initialSeq: 12345, minStabilityUs: 80_000 };
 * void options;
 * ```
 */
export interface SrtGroupOptions {
  /** Broadcast or main/backup. */
  readonly mode: GroupMode;
  /**
   * The group's first sequence number (random, from the adapter). Members connect with
   * {@linkcode SrtGroup.memberInitialSeq} as their ISN, so that every member's peer starts
   * from the group's sequence.
   */
  readonly initialSeq: number;
  /** Minimum stability timeout (us); default 60 ms as libsrt. */
  readonly minStabilityUs?: number;
  /**
   * Longest time a merged packet waits for a missing one that another member may still bring
   * (us); default 100 ms.
   */
  readonly maxHoldUs?: number;
  /**
   * Called when the group has queued datagrams on a member or changed its timers outside the
   * adapter's view (e.g. `SrtEndpoint.touch`).
   */
  readonly touch?: (conn: SrtConnection) => void;
}

/**
 * A member's state: connecting, connected and idle, carrying the stream, or gone.
 *
 * @example
 * ```ts
 * import type { MemberState } from "@tsrt/tsrt";
 * const carrying = (s: MemberState): boolean => s === "active";
 * void carrying;
 * ```
 */
export type MemberState = "pending" | "idle" | "active" | "broken";

/**
 * What the group knows of one member.
 *
 * @example
 * ```ts
 * import type { GroupMemberStatus } from "@tsrt/tsrt";
 * const standby: GroupMemberStatus = { socketId: 0x1234, weight: 1, state: "idle", unstable: false };
 * void standby;
 * ```
 */
export interface GroupMemberStatus {
  /** The member connection's socket ID. */
  readonly socketId: number;
  /** Its weight (main/backup: the highest weight is preferred). */
  readonly weight: number;
  /** Its state. */
  readonly state: MemberState;
  /** Whether it was found unresponsive (active members only). */
  readonly unstable: boolean;
}

/**
 * Something that happened to a member.
 *
 * @example
 * ```ts
 * import type { GroupEvent } from "@tsrt/tsrt";
 * const log = (e: GroupEvent): string => `member ${e.socketId}: ${e.kind}`;
 * void log;
 * ```
 */
export interface GroupEvent {
  /**
   * What happened: a member `connected`, was `activated` (carries the stream), `silenced`
   * (back to standby), found `unstable` (no answer for the stability timeout) or `broken`
   * (ended without the group closing it).
   */
  readonly kind: "connected" | "activated" | "silenced" | "unstable" | "broken";
  /** The member's socket ID. */
  readonly socketId: number;
}

/**
 * Group counters.
 *
 * @example
 * ```ts
 * import type { GroupStats } from "@tsrt/tsrt";
 * const failedOver = (s: GroupStats): boolean => s.activations > 0;
 * void failedOver;
 * ```
 */
export interface GroupStats {
  /** Payloads the application sent through the group. */
  pktSent: number;
  /** Payloads sent while no member could carry them, dropped. */
  pktSndDropNoLink: number;
  /** Payloads resent on a member taking over (main/backup). */
  pktResent: number;
  /** Members activated after the first one (main/backup failovers). */
  activations: number;
  /** Payloads handed to the application. */
  pktDelivered: number;
  /** Copies discarded because another member delivered them first. */
  pktDuplicate: number;
  /** Payloads no member delivered, skipped. */
  pktLost: number;
}

interface Member {
  readonly conn: SrtConnection;
  readonly weight: number;
  state: MemberState;
  activatedUs: number;
  waitingSinceUs: number; // when data went out with nothing else unacknowledged
  unstable: boolean;
}

interface Buffered {
  seq: number;
  payload: Uint8Array;
  srcTimeUs: number;
}

/**
 * A socket group over member connections; see the module documentation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupExtension, GroupType, makeGroupId, SrtEndpoint, SrtGroup } from "@tsrt/tsrt";
 * let n = 1;
 * const endpoint = new SrtEndpoint(() => n++ * 2654435761 >>> 0);
 * const group = new SrtGroup({ mode: "backup", initialSeq: 1000, touch: (c) => endpoint.touch(c) });
 * const member = endpoint.connect(0, { hostname: "192.0.2.1", port: 9000 }, {}, {
 *   group: groupExtension(makeGroupId(7), GroupType.BACKUP, 10),
 *   initialSeq: group.memberInitialSeq,
 * });
 * group.add(0, member, 10);
 * // Still connecting: nothing can carry the payload yet.
 * assert.equal(group.send(1000, new Uint8Array(188)), -1);
 * assert.equal(group.stats.pktSndDropNoLink, 1);
 * ```
 */
export class SrtGroup {
  /** The mode. */
  readonly mode: GroupMode;
  /** Counters. */
  readonly stats: GroupStats = {
    pktSent: 0,
    pktSndDropNoLink: 0,
    pktResent: 0,
    activations: 0,
    pktDelivered: 0,
    pktDuplicate: 0,
    pktLost: 0,
  };

  #members: Member[] = [];
  #minStabilityUs: number;
  #touch: (conn: SrtConnection) => void;
  #nextSeq: number | undefined;
  #buffer: Buffered[] = [];
  #bufferHead = 0;
  #merge: BroadcastGroupReceiver;
  #out: Uint8Array[] = [];
  #outHead = 0;
  #events: GroupEvent[] = [];
  #everActive = false;
  #initialSeq: number;
  #closing = false;

  /**
   * Creates an empty group.
   *
   * @param options mode and timing
   */
  constructor(options: SrtGroupOptions) {
    this.mode = options.mode;
    this.#initialSeq = options.initialSeq & 0x7fffffff;
    this.#minStabilityUs = options.minStabilityUs ?? GROUP_MIN_STABILITY_US;
    this.#touch = options.touch ?? (() => {});
    this.#merge = new BroadcastGroupReceiver({ maxHoldUs: options.maxHoldUs ?? 100_000 });
  }

  /** The members and their states. */
  get members(): GroupMemberStatus[] {
    return this.#members.map((m) => ({
      socketId: m.conn.socketId,
      weight: m.weight,
      state: m.state,
      unstable: m.unstable,
    }));
  }

  /** The ISN a new member should connect with: the group's next sequence number. */
  get memberInitialSeq(): number {
    return this.#nextSeq ?? this.#initialSeq;
  }

  /** Whether some member is connected (can carry or receive the stream). */
  get connected(): boolean {
    return this.#members.some((m) => m.state === "idle" || m.state === "active");
  }

  /** Whether every member is gone (broken or removed) and none is still connecting. */
  get broken(): boolean {
    return this.#members.every((m) => m.state === "broken");
  }

  /**
   * Adds a member connection, connecting or connected.
   *
   * @param now current time (us)
   * @param conn the member
   * @param weight main/backup priority (0..65535), higher preferred; default 0
   */
  add(now: number, conn: SrtConnection, weight = 0): void {
    if (this.#members.some((m) => m.conn === conn)) return;
    this.#members.push({
      conn,
      weight,
      state: "pending",
      activatedUs: 0,
      waitingSinceUs: Infinity,
      unstable: false,
    });
    this.#refresh(now);
  }

  /**
   * Takes a member out of the group (it is not closed).
   *
   * @param now current time (us)
   * @param conn the member
   */
  remove(now: number, conn: SrtConnection): void {
    const i = this.#members.findIndex((m) => m.conn === conn);
    if (i < 0) return;
    this.#members.splice(i, 1);
    this.#take(this.#merge.removeMember(conn.socketId, now));
    this.#refresh(now);
  }

  /**
   * Sends one payload through the group.
   *
   * @param now current time (us)
   * @param payload the message (at most the members' payload size)
   * @returns the group sequence number it got, or -1 when no member could carry it (counted
   *   in `pktSndDropNoLink`)
   */
  send(now: number, payload: Uint8Array): number {
    this.#refresh(now);
    if (this.mode === "backup") this.#qualify(now);
    const carriers = this.#members.filter((m) => m.state === "active");
    if (carriers.length === 0 || this.#nextSeq === undefined) {
      this.stats.pktSndDropNoLink++;
      return -1;
    }
    const seq = this.#nextSeq;
    if (this.mode === "backup") {
      this.#trim();
      if (this.#buffer.length - this.#bufferHead >= MAX_BUFFERED) this.#bufferHead++;
      this.#buffer.push({ seq, payload, srcTimeUs: now });
    }
    for (const m of carriers) this.#sendOn(now, m, payload, seq, now);
    this.#nextSeq = seqInc(seq);
    this.stats.pktSent++;
    return seq;
  }

  /**
   * Hands the group a payload a member delivered (the adapter calls this right after that
   * member's `pollPayload()`, while its `lastPayloadSeq` still names it).
   *
   * @param now current time (us)
   * @param conn the member
   * @param payload what it delivered
   */
  deliver(now: number, conn: SrtConnection, payload: Uint8Array): void {
    const seq = conn.lastPayloadSeq;
    const fast = this.#merge.offerInOrder(conn.socketId, seq);
    if (fast === "deliver") this.#out.push(payload);
    if (fast === "other") {
      this.#take(this.#merge.offer(conn.socketId, { seq, msgNo: 0, payload }, now));
    } else this.#count();
    if (this.mode === "backup" && this.#members.length > 1) {
      // The idle links follow what the link carrying the stream has received in order, so
      // that the one taking over accepts the resent packets from there on.
      const next = conn.receiveAckSeq;
      for (const m of this.#members) {
        if (m.conn !== conn && m.state !== "pending" && m.state !== "broken") {
          m.conn.skipReceiveTo(next);
        }
      }
    }
  }

  /** Next merged payload for the application, in order, or undefined. */
  pollPayload(): Uint8Array | undefined {
    if (this.#outHead >= this.#out.length) {
      this.#out.length = 0;
      this.#outHead = 0;
      return undefined;
    }
    const p = this.#out[this.#outHead];
    this.#out[this.#outHead++] = EMPTY;
    return p;
  }

  /** Next member event, or undefined. */
  pollEvent(): GroupEvent | undefined {
    return this.#events.shift();
  }

  /**
   * Runs the group's timers and notices members that connected or broke. Call it at
   * {@linkcode SrtGroup.pollTimeout} and after a member's connection event.
   *
   * @param now current time (us)
   */
  handleTimeout(now: number): void {
    this.#refresh(now);
    if (this.mode === "backup") {
      this.#trim();
      this.#qualify(now);
    }
    this.#take(this.#merge.tick(now));
  }

  /** When {@linkcode SrtGroup.handleTimeout} has work next (us), or Infinity. */
  pollTimeout(): number {
    let t = this.#merge.nextTimerUs();
    if (this.mode !== "backup") return t;
    for (const m of this.#members) {
      if (m.state !== "active" || m.unstable || m.waitingSinceUs === Infinity) continue;
      // The first moment #qualify would find it quiet.
      const heard = this.#lastHeard(m);
      const { initial, dynamic, phaseEnd } = this.#timeouts(m);
      const at = heard + initial <= phaseEnd
        ? heard + initial + 1
        : Math.max(phaseEnd + 1, heard + dynamic + 1);
      if (at < t) t = at;
    }
    return t;
  }

  /**
   * Closes every member (each sends SHUTDOWN, lingering as its options say).
   *
   * @param now current time (us)
   */
  close(now: number): void {
    this.#closing = true;
    for (const m of this.#members) {
      m.conn.close(now);
      this.#touch(m.conn);
    }
    this.#refresh(now);
  }

  #sendOn(now: number, m: Member, payload: Uint8Array, seq: number, srcTimeUs: number): void {
    const c = m.conn;
    if (c.nextSendSeq !== seq) c.overrideSendSeq(now, seq);
    if (seqCmp(c.sendAckedSeq, c.nextSendSeq) >= 0) m.waitingSinceUs = now;
    c.send(now, payload, srcTimeUs);
    this.#touch(c);
  }

  /** Picks up members that connected or ended since the last look. */
  #refresh(now: number): void {
    for (const m of this.#members) {
      const s = m.conn.state;
      if (m.state === "pending" && s === "connected") {
        m.state = "idle";
        this.#events.push({ kind: "connected", socketId: m.conn.socketId });
        // A gap in the merged stream waits (up to maxHoldUs) for every connected member.
        this.#merge.addMember(m.conn.socketId);
        if (this.#nextSeq === undefined) this.#nextSeq = m.conn.nextSendSeq;
        if (this.mode === "broadcast") this.#activate(now, m, false);
      } else if (m.state !== "broken" && (s === "closed" || s === "closing")) {
        m.state = "broken";
        if (!this.#closing) this.#events.push({ kind: "broken", socketId: m.conn.socketId });
        this.#take(this.#merge.removeMember(m.conn.socketId, now));
      }
    }
    if (this.mode === "backup" && !this.#members.some((m) => m.state === "active")) {
      const best = this.#bestIdle();
      if (best) this.#activate(now, best, true);
    }
  }

  /**
   * Makes a member carry the stream from the group's current sequence; in a backup group it
   * first resends what the peer has not acknowledged, with the original timestamps.
   */
  #activate(now: number, m: Member, resend: boolean): void {
    m.state = "active";
    m.unstable = false;
    m.activatedUs = now;
    m.waitingSinceUs = Infinity;
    if (this.#everActive && this.mode === "backup") this.stats.activations++;
    this.#everActive = true;
    this.#events.push({ kind: "activated", socketId: m.conn.socketId });
    if (this.#nextSeq === undefined) return;
    if (resend && this.#bufferHead < this.#buffer.length) {
      for (let i = this.#bufferHead; i < this.#buffer.length; i++) {
        const b = this.#buffer[i];
        this.#sendOn(now, m, b.payload, b.seq, b.srcTimeUs);
        this.stats.pktResent++;
      }
    } else if (m.conn.nextSendSeq !== this.#nextSeq) {
      m.conn.overrideSendSeq(now, this.#nextSeq);
      this.#touch(m.conn);
    }
  }

  /** Main/backup: finds unresponsive active members, activates a backup, silences extras. */
  #qualify(now: number): void {
    let stable = 0;
    for (const m of this.#members) {
      if (m.state !== "active") continue;
      const c = m.conn;
      if (seqCmp(c.sendAckedSeq, c.nextSendSeq) >= 0) m.waitingSinceUs = Infinity;
      const quiet = m.waitingSinceUs !== Infinity &&
        now - this.#lastHeard(m) > this.#stabilityUs(m, now);
      if (quiet && !m.unstable) {
        m.unstable = true;
        this.#events.push({ kind: "unstable", socketId: c.socketId });
      } else if (!quiet && m.unstable && c.lastResponseUs > m.activatedUs) {
        m.unstable = false;
      }
      if (!m.unstable) stable++;
    }
    if (stable === 0) {
      const best = this.#bestIdle();
      if (best) this.#activate(now, best, true);
      return;
    }
    if (stable > 1) {
      // Keep the best stable member; the others go back to standby.
      const act = this.#members.filter((m) => m.state === "active" && !m.unstable);
      // Equal weights: the member activated last stays (the other one failed before).
      act.sort((a, b) => b.weight - a.weight || b.activatedUs - a.activatedUs);
      for (const m of act.slice(1)) {
        m.state = "idle";
        this.#events.push({ kind: "silenced", socketId: m.conn.socketId });
      }
    }
  }

  /** The time of the last sign of life that counts: an answer, the activation, the data. */
  #lastHeard(m: Member): number {
    return Math.max(m.conn.lastResponseUs, m.activatedUs, m.waitingSinceUs);
  }

  /** libsrt's stability timeout of an active member at `now`. */
  #stabilityUs(m: Member, now: number): number {
    const { initial, dynamic, phaseEnd } = this.#timeouts(m);
    return now <= phaseEnd ? initial : dynamic;
  }

  /**
   * The stability timeouts: `initial` until `phaseEnd` (the activation phase, while RTT is
   * still being measured), `dynamic` after it.
   */
  #timeouts(m: Member): { initial: number; dynamic: number; phaseEnd: number } {
    const latencyUs = m.conn.sndLatency * 1000;
    const initial = Math.max(this.#minStabilityUs, latencyUs);
    const rtt = Math.max(this.#minStabilityUs, 2 * m.conn.rttUs + 4 * m.conn.rttVarUs);
    return {
      initial,
      dynamic: Math.min(rtt, initial),
      phaseEnd: m.activatedUs + initial + PROBING_EXTRA_US,
    };
  }

  #bestIdle(): Member | undefined {
    let best: Member | undefined;
    for (const m of this.#members) {
      if (m.state !== "idle") continue;
      if (!best || m.weight > best.weight) best = m;
    }
    return best;
  }

  /** Forgets buffered payloads every active member's peer has acknowledged. */
  #trim(): void {
    let acked: number | undefined;
    for (const m of this.#members) {
      if (m.state !== "active" || m.unstable) continue;
      const a = m.conn.sendAckedSeq;
      if (acked === undefined || seqCmp(a, acked) < 0) acked = a;
    }
    if (acked === undefined) return;
    while (
      this.#bufferHead < this.#buffer.length &&
      seqCmp(this.#buffer[this.#bufferHead].seq, acked) < 0
    ) this.#bufferHead++;
    if (this.#bufferHead > 1024 && this.#bufferHead * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#bufferHead);
      this.#bufferHead = 0;
    }
  }

  #take(merged: MergedPacket[]): void {
    for (const p of merged) this.#out.push(p.payload);
    this.#count();
  }

  #count(): void {
    const s = this.#merge.stats;
    this.stats.pktDelivered = s.delivered;
    this.stats.pktDuplicate = s.duplicates;
    this.stats.pktLost = s.lost;
  }
}

const EMPTY = new Uint8Array(0);
