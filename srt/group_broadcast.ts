/**
 * Receiver side of a broadcast group: several member connections carry the same stream (the
 * sender transmits every packet on every member with the same sequence and message number, as
 * libsrt's broadcast group does after synchronising the members' sequence numbers), and this
 * merge hands each payload to the application exactly once, in order, whichever member it
 * came from first. A member that dies costs nothing as long as another one still carries the
 * stream. Sans-IO.
 *
 * Feed it what each member's receiver *delivers* (in order per member, after TSBPD):
 *
 * ```
 * member A:  10 11 12    14 15 ...        merge:  10 11 12 13 14 15 ...
 * member B:     11 12 13 14    16 ...             (13 from B, the rest from whoever was first)
 * ```
 *
 * The merge key is the sequence number, or the message number when the group synchronises on
 * message numbers (`SRT_GFLAG_SYNCONMSG`). A packet ahead of the next expected key waits until
 * the missing one comes from another member, or until no live member can still supply it
 * (every live member has delivered something later: members deliver in order), or for at most
 * `maxHoldUs` (when a member is silent). Then the gap is skipped and counted as lost.
 *
 * @module
 */

import { MSG_MAX, seqInc, seqOff } from "./seq.ts";

/** One packet as a member delivered it. */
export interface GroupPacket {
  /** Sequence number. */
  readonly seq: number;
  /** Message number. */
  readonly msgNo: number;
  /** The payload. */
  readonly payload: Uint8Array;
}

/** A packet the merge hands to the application, with the member it came from. */
export interface MergedPacket extends GroupPacket {
  /** The member connection that delivered this copy first. */
  readonly member: number;
}

/** Options of {@linkcode BroadcastGroupReceiver}. */
export interface BroadcastGroupOptions {
  /** Key packets by message number instead of sequence number (default false). */
  readonly syncOnMsgNo?: boolean;
  /**
   * Longest time a packet waits behind a gap for another member (us). Default 100 ms; use
   * about the latency slack between the members' paths.
   */
  readonly maxHoldUs?: number;
}

/** Counters of the merge. */
export interface BroadcastGroupStats {
  /** Packets handed to the application. */
  delivered: number;
  /** Copies dropped because that key was already delivered or is older. */
  duplicates: number;
  /** Keys skipped because no member had them. */
  lost: number;
}

const MSG_SPAN = MSG_MAX; // message numbers 1..MSG_MAX
const MSG_HALF = Math.floor(MSG_SPAN / 2);

function msgOff(a: number, b: number): number {
  let d = b - a;
  if (d > MSG_HALF) d -= MSG_SPAN;
  else if (d < -MSG_HALF) d += MSG_SPAN;
  return d;
}

function msgNext(m: number, n = 1): number {
  return ((m - 1 + n) % MSG_SPAN + MSG_SPAN) % MSG_SPAN + 1;
}

interface Held {
  packet: MergedPacket;
  sinceUs: number;
}

/** Merges the streams of a broadcast group's members into one, without gaps or repeats. */
export class BroadcastGroupReceiver {
  /** Counters. */
  readonly stats: BroadcastGroupStats = { delivered: 0, duplicates: 0, lost: 0 };
  readonly #byMsg: boolean;
  readonly #maxHoldUs: number;
  /** Last key each live member delivered (undefined until its first packet). */
  readonly #members = new Map<number, number | undefined>();
  readonly #held = new Map<number, Held>();
  #next: number | undefined;

  /**
   * Creates an empty merge; members are added by {@linkcode BroadcastGroupReceiver.addMember}
   * or by their first packet.
   *
   * @param options how to key and how long to wait for a gap
   */
  constructor(options: BroadcastGroupOptions = {}) {
    this.#byMsg = options.syncOnMsgNo ?? false;
    this.#maxHoldUs = options.maxHoldUs ?? 100_000;
  }

  /** The members currently taken into account. */
  get members(): number[] {
    return [...this.#members.keys()];
  }

  /** The key (sequence or message number) delivered next, once known. */
  get nextKey(): number | undefined {
    return this.#next;
  }

  /**
   * Adds a member connection (also done implicitly by its first packet).
   *
   * @param member an ID the caller chooses (e.g. the socket ID)
   */
  addMember(member: number): void {
    if (!this.#members.has(member)) this.#members.set(member, undefined);
  }

  /**
   * Removes a member that broke or closed; packets waiting only for it are released.
   *
   * @param member the member
   * @param now current time (us)
   * @returns packets now deliverable, in order
   */
  removeMember(member: number, now: number): MergedPacket[] {
    this.#members.delete(member);
    return this.#drain(now);
  }

  /**
   * Takes a packet a member delivered.
   *
   * @param member the member it came from
   * @param packet the packet
   * @param now current time (us)
   * @returns packets now deliverable to the application, in order (often just this one)
   */
  offer(member: number, packet: GroupPacket, now: number): MergedPacket[] {
    const key = this.#byMsg ? packet.msgNo : packet.seq;
    const last = this.#members.get(member);
    if (last === undefined || this.#off(last, key) > 0) this.#members.set(member, key);
    if (this.#next === undefined) this.#next = key;
    if (this.#off(this.#next, key) < 0 || this.#held.has(key)) {
      this.stats.duplicates++;
      return this.#drain(now);
    }
    this.#held.set(key, { packet: { ...packet, member }, sinceUs: now });
    return this.#drain(now);
  }

  /**
   * The allocation-free path of {@linkcode BroadcastGroupReceiver.offer} for the usual cases,
   * keyed by sequence number: the packet is the next one and nothing waits behind a gap, or it
   * is an older copy. Anything else is left to `offer()`.
   *
   * @param member the member it came from
   * @param seq its sequence number
   * @returns `"deliver"` (hand this payload to the application now), `"duplicate"` (dropped
   *   and counted), or `"other"` (call `offer()`)
   */
  offerInOrder(member: number, seq: number): "deliver" | "duplicate" | "other" {
    if (this.#byMsg || this.#held.size > 0) return "other";
    const next = this.#next;
    if (next !== undefined && seq !== next && seqOff(next, seq) > 0) return "other";
    const last = this.#members.get(member);
    if (last === undefined || seqOff(last, seq) > 0) this.#members.set(member, seq);
    if (next !== undefined && seq !== next) {
      this.stats.duplicates++;
      return "duplicate";
    }
    this.#next = seqInc(seq);
    this.stats.delivered++;
    return "deliver";
  }

  /**
   * Timer: releases packets held behind a gap for longer than `maxHoldUs`.
   *
   * @param now current time (us)
   * @returns packets now deliverable, in order
   */
  tick(now: number): MergedPacket[] {
    return this.#drain(now);
  }

  /** When {@linkcode BroadcastGroupReceiver.tick} should run next (us), or Infinity. */
  nextTimerUs(): number {
    let t = Infinity;
    for (const h of this.#held.values()) t = Math.min(t, h.sinceUs + this.#maxHoldUs);
    return t;
  }

  #off(a: number, b: number): number {
    return this.#byMsg ? msgOff(a, b) : seqOff(a, b);
  }

  #inc(k: number, n = 1): number {
    return this.#byMsg ? msgNext(k, n) : seqInc(k, n);
  }

  #drain(now: number): MergedPacket[] {
    const out: MergedPacket[] = [];
    while (this.#next !== undefined && this.#held.size > 0) {
      const h = this.#held.get(this.#next);
      if (h !== undefined) {
        this.#held.delete(this.#next);
        out.push(h.packet);
        this.stats.delivered++;
        this.#next = this.#inc(this.#next);
        continue;
      }
      // A gap at #next. Skip it when nobody can fill it any more, or it waited too long.
      let first: number | undefined;
      let oldest = Infinity;
      for (const [k, v] of this.#held) {
        if (first === undefined || this.#off(first, k) < 0) first = k;
        oldest = Math.min(oldest, v.sinceUs);
      }
      if (!this.#nobodyCanFill(this.#next) && now - oldest < this.#maxHoldUs) break;
      this.stats.lost += this.#off(this.#next, first!);
      this.#next = first!;
    }
    return out;
  }

  /** True when every live member has already delivered something after `key`. */
  #nobodyCanFill(key: number): boolean {
    for (const last of this.#members.values()) {
      if (last === undefined || this.#off(key, last) <= 0) return false;
    }
    return true;
  }
}
