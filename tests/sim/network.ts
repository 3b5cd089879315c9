/**
 * A seeded network simulator with a virtual clock. Endpoints ({@linkcode SrtEndpoint}) are
 * attached at addresses; datagrams between them cross a {@linkcode LinkProfile} (delay,
 * jitter, random and Gilbert-Elliott burst loss, duplication, reordering, a bandwidth cap).
 * Everything is driven by one event queue, so a run is reproducible from its seed and
 * minutes of stream take milliseconds. Each endpoint may run on its own clock
 * ({@linkcode EndpointClock}: a rate such as 1 + 100e-6 and an offset), to simulate drift.
 *
 * @module
 */

import type { PeerAddress } from "../../srt/connection.ts";
import type { SrtEndpoint } from "../../srt/endpoint.ts";
import { EventQueue } from "./event_queue.ts";

/** How one direction of a link treats datagrams. */
export interface LinkProfile {
  /** One-way delay in microseconds. */
  delayUs?: number;
  /** Uniform extra delay in 0..jitterUs (may reorder packets). */
  jitterUs?: number;
  /** Independent loss probability. */
  loss?: number;
  /** Gilbert-Elliott burst loss: transition probabilities per packet and loss in the bad state. */
  burst?: { pGoodToBad: number; pBadToGood: number; lossInBad: number };
  /** Probability that a datagram is delivered twice. */
  duplicate?: number;
  /** Probability that a datagram is held back by `reorderUs` extra delay. */
  reorder?: number;
  /** Extra delay of reordered datagrams, in microseconds. */
  reorderUs?: number;
  /** Bottleneck rate in bytes per second (serialisation delay, queue tail drop at `queueBytes`). */
  rateBytesPerSec?: number;
  /** Bottleneck queue size in bytes. */
  queueBytes?: number;
  /** A custom drop decision, consulted first (for scripted losses). */
  drop?: (datagram: Uint8Array, now: number) => boolean;
}

/** Per-direction counters. */
export interface LinkCounters {
  /** Datagrams offered to the link. */
  sent: number;
  /** Datagrams dropped. */
  dropped: number;
  /** Extra copies delivered. */
  duplicated: number;
  /** Datagrams delivered. */
  delivered: number;
}

/**
 * An endpoint's local clock: `local = offsetUs + rate x now`, in integer microseconds.
 * A rate of 1.0001 is a clock running 100 ppm fast.
 */
export interface EndpointClock {
  /** Clock rate against the simulator's time. Default 1. */
  readonly rate?: number;
  /** Local time at simulator time 0 (us). Default 0. */
  readonly offsetUs?: number;
}

function key(a: PeerAddress): string {
  return `${a.hostname}:${a.port}`;
}

class Link {
  counters: LinkCounters = { sent: 0, dropped: 0, duplicated: 0, delivered: 0 };
  #bad = false;
  #busyUntil = 0;
  constructor(readonly profile: LinkProfile, readonly random: () => number) {}

  /** Delivery times for one datagram (empty: dropped). */
  decide(datagram: Uint8Array, now: number): number[] {
    const p = this.profile;
    const r = this.random;
    this.counters.sent++;
    if (p.drop?.(datagram, now)) return this.#dropped();
    if (p.burst) {
      this.#bad = this.#bad ? r() >= p.burst.pBadToGood : r() < p.burst.pGoodToBad;
      if (this.#bad && r() < p.burst.lossInBad) return this.#dropped();
    }
    if (p.loss && r() < p.loss) return this.#dropped();
    let t = now;
    if (p.rateBytesPerSec) {
      const start = Math.max(now, this.#busyUntil);
      const queued = (start - now) * p.rateBytesPerSec / 1e6;
      if (p.queueBytes !== undefined && queued > p.queueBytes) return this.#dropped();
      this.#busyUntil = start + (datagram.length + 28) * 1e6 / p.rateBytesPerSec;
      t = this.#busyUntil;
    }
    t += p.delayUs ?? 0;
    if (p.jitterUs) t += Math.floor(r() * p.jitterUs);
    if (p.reorder && r() < p.reorder) t += p.reorderUs ?? 5_000;
    const out = [Math.round(t)];
    if (p.duplicate && r() < p.duplicate) {
      out.push(Math.round(t + 1 + r() * 1000));
      this.counters.duplicated++;
    }
    this.counters.delivered += out.length;
    return out;
  }

  #dropped(): number[] {
    this.counters.dropped++;
    return [];
  }
}

/** The simulated network: a virtual clock, endpoints and links. */
export class SimNetwork {
  /** Current virtual time in microseconds. */
  now = 0;
  #queue = new EventQueue();
  #endpoints = new Map<
    string,
    { ep: SrtEndpoint; addr: PeerAddress; wake: number; rate: number; offset: number }
  >();
  #links = new Map<string, Link>();
  #random: () => number;
  #defaultProfile: LinkProfile;

  /**
   * @param random Seeded uniform random numbers in [0, 1).
   * @param defaultProfile Profile of links not set with {@linkcode SimNetwork.setLink}.
   */
  constructor(random: () => number, defaultProfile: LinkProfile = { delayUs: 10_000 }) {
    this.#random = random;
    this.#defaultProfile = defaultProfile;
  }

  /** Attaches an endpoint at an address, optionally with its own clock. */
  attach(addr: PeerAddress, ep: SrtEndpoint, clock: EndpointClock = {}): void {
    this.#endpoints.set(key(addr), {
      ep,
      addr,
      wake: Infinity,
      rate: clock.rate ?? 1,
      offset: clock.offsetUs ?? 0,
    });
  }

  /** The local time of the endpoint at `addr` now (its clock, integer us). */
  localNow(addr: PeerAddress): number {
    const e = this.#endpoints.get(key(addr));
    return e ? this.#local(e, this.now) : this.now;
  }

  #local(e: { rate: number; offset: number }, t: number): number {
    return e.rate === 1 && e.offset === 0 ? t : Math.round(e.offset + e.rate * t);
  }

  /** Sets the profile of the direction from -> to. */
  setLink(from: PeerAddress, to: PeerAddress, profile: LinkProfile): void {
    this.#links.set(`${key(from)}>${key(to)}`, new Link(profile, this.#random));
  }

  /** Counters of the direction from -> to. */
  linkCounters(from: PeerAddress, to: PeerAddress): LinkCounters {
    return this.#link(from, to).counters;
  }

  /** Schedules an arbitrary action (e.g. the application sending) at virtual time `t`. */
  at(t: number, fn: () => void): void {
    this.#queue.push(t, fn);
  }

  /** Moves every endpoint's output onto the links and schedules their timers. */
  pump(): void {
    for (const e of this.#endpoints.values()) {
      e.ep.drain((d, to) => this.#transmit(e.addr, to, d));
      const local = e.ep.pollTimeout();
      // The simulator time at which the endpoint's clock reaches its deadline.
      const t = local === undefined
        ? undefined
        : e.rate === 1 && e.offset === 0
        ? local
        : Math.ceil((local - e.offset) / e.rate);
      if (t !== undefined && t < e.wake) {
        e.wake = Math.max(t, this.now);
        const when = e.wake;
        this.#queue.push(when, () => {
          if (e.wake === when) e.wake = Infinity;
          e.ep.handleTimeout(this.#local(e, this.now));
        });
      }
    }
  }

  /** Runs events until virtual time `until` (inclusive) or until `stop()` returns true. */
  run(until: number, stop?: () => boolean): void {
    this.pump();
    while (this.#queue.peekTime() <= until) {
      const ev = this.#queue.pop()!;
      this.now = ev.t;
      ev.fn();
      this.pump();
      if (stop?.()) return;
    }
    this.now = Math.max(this.now, until);
  }

  #link(from: PeerAddress, to: PeerAddress): Link {
    const k = `${key(from)}>${key(to)}`;
    let l = this.#links.get(k);
    if (!l) {
      l = new Link(this.#defaultProfile, this.#random);
      this.#links.set(k, l);
    }
    return l;
  }

  #transmit(from: PeerAddress, to: PeerAddress, d: Uint8Array): void {
    const target = this.#endpoints.get(key(to));
    const times = this.#link(from, to).decide(d, this.now);
    if (!target) return;
    for (const t of times) {
      // Each delivery gets its own copy, as a real socket would give.
      const copy = d.slice();
      this.#queue.push(
        t,
        () => target.ep.handleDatagram(this.#local(target, this.now), copy, from),
      );
    }
  }
}
