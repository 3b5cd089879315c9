/**
 * The pure, seeded decision logic of one direction of a simulated link: for
 * each datagram it decides whether it is lost, duplicated or held back, and
 * when each copy leaves. No sockets, no timers: time is passed in, so the
 * model can be unit-tested exactly and reused by the in-memory network
 * simulator as well as by {@linkcode startLossyRelay}.
 *
 * @module
 */

import type { Prng } from "./prng.ts";

/**
 * Gilbert-Elliott burst-loss parameters: a two-state Markov chain stepped once
 * per datagram. In the good state datagrams are lost with
 * {@linkcode LinkProfile.loss}, in the bad state with `lossInBad`.
 *
 * @example
 * ```ts
 * import { createPrng, type GilbertElliott, LinkModel } from "@tsrt/tsrt/net";
 * // Bursts of about 5 datagrams (1 / 0.2), entered once per 500 datagrams, losing half of them.
 * const burst: GilbertElliott = { pGoodToBad: 0.002, pBadToGood: 0.2, lossInBad: 0.5 };
 * const link = new LinkModel({ burst }, createPrng(7));
 * for (let i = 0; i < 10_000; i++) link.admit(1316, i);
 * console.log(link.counters.dropped);
 * ```
 */
export interface GilbertElliott {
  /** Probability of moving from the good to the bad state, per datagram. */
  pGoodToBad: number;
  /** Probability of moving from the bad back to the good state, per datagram. */
  pBadToGood: number;
  /** Loss probability while in the bad state. */
  lossInBad: number;
}

/**
 * Impairments of one direction of a link. Every field defaults to "none".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPrng, LinkModel, type LinkProfile } from "@tsrt/tsrt/net";
 * // A 20 ms path with 2 % loss and 10 Mbit/s of bottleneck.
 * const profile: LinkProfile = { loss: 0.02, delayMs: 20, rateBps: 10_000_000 };
 * const link = new LinkModel(profile, createPrng(1));
 * const d = link.admit(1316, 0);
 * if (d.copies > 0) assert.ok(d.releaseAt[0] >= 20);
 * ```
 */
export interface LinkProfile {
  /** Independent loss probability, 0-1 (in the good state when `burst` is set). */
  loss?: number;
  /** Burst loss on top of `loss`, as a Gilbert-Elliott chain. */
  burst?: GilbertElliott;
  /** Fixed one-way delay in milliseconds. */
  delayMs?: number;
  /**
   * Standard deviation of a normally distributed extra delay, in
   * milliseconds. The total delay never goes below zero, and jitter alone
   * never reorders: a datagram never leaves before the one admitted before
   * it (use `reorder` for that).
   */
  jitterMs?: number;
  /**
   * Probability, 0-1, that a datagram is held back by `reorderDelayMs` so
   * that the datagrams admitted after it overtake it.
   */
  reorder?: number;
  /** Extra delay of a reordered datagram in milliseconds. Default 10. */
  reorderDelayMs?: number;
  /** Probability, 0-1, that a datagram is forwarded twice. */
  duplicate?: number;
  /**
   * Bottleneck rate in bits per second: datagrams are serialised one after
   * the other at this rate. Default: unlimited.
   */
  rateBps?: number;
  /**
   * With `rateBps`, the longest queueing delay in milliseconds before
   * datagrams are tail-dropped. Default 1000.
   */
  queueMs?: number;
}

/**
 * Per-direction counters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPrng, type LinkCounters, LinkModel } from "@tsrt/tsrt/net";
 * const link = new LinkModel({ duplicate: 1 }, createPrng(3));
 * link.admit(1316, 0);
 * const c: LinkCounters = link.counters;
 * assert.deepEqual(c, { received: 1, forwarded: 2, dropped: 0, duplicated: 1, reordered: 0 });
 * ```
 */
export interface LinkCounters {
  /** Datagrams that entered the link. */
  received: number;
  /** Copies scheduled to leave the link (duplicates included). */
  forwarded: number;
  /** Datagrams lost (random, burst, or queue overflow). */
  dropped: number;
  /** Datagrams that were forwarded a second time. */
  duplicated: number;
  /** Datagrams held back so that later ones overtake them. */
  reordered: number;
}

/**
 * What happens to one datagram: `copies` is 0 (lost), 1, or 2 (duplicated),
 * and `releaseAt` holds the departure time of each copy, in the same clock
 * as the `nowMs` passed to {@linkcode LinkModel.admit}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPrng, type LinkDecision, LinkModel } from "@tsrt/tsrt/net";
 * const link = new LinkModel({ delayMs: 15 }, createPrng(1));
 * const decision: LinkDecision = link.admit(188, 100);
 * assert.deepEqual(decision, { copies: 1, releaseAt: [115] });
 * ```
 */
export interface LinkDecision {
  /** Number of copies that leave the link. */
  readonly copies: 0 | 1 | 2;
  /** Departure times, one per copy. */
  readonly releaseAt: readonly number[];
}

const DROP: LinkDecision = { copies: 0, releaseAt: [] };

/**
 * One direction of a link. Every datagram consumes the same number of random
 * draws whatever the profile, in a fixed order (burst state, loss,
 * duplication, reordering, jitter), so with the same seed and the same
 * arrival sequence the same datagrams are dropped, duplicated and delayed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPrng, LinkModel } from "@tsrt/tsrt/net";
 * // The same seed and the same arrivals give the same fate to every datagram.
 * const fates = (seed: number) => {
 *   const link = new LinkModel({ loss: 0.1, jitterMs: 2 }, createPrng(seed));
 *   return Array.from({ length: 100 }, (_, i) => link.admit(1316, i).copies);
 * };
 * assert.deepEqual(fates(42), fates(42));
 * ```
 */
export class LinkModel {
  /** Counters, updated by {@linkcode LinkModel.admit}. */
  readonly counters: LinkCounters = {
    received: 0,
    forwarded: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
  };

  readonly #profile: Readonly<LinkProfile>;
  readonly #rng: Prng;
  #bad = false;
  #lastInOrder = -Infinity;
  #busyUntil = -Infinity;

  /**
   * Creates a model drawing its decisions from `rng`.
   *
   * @throws {RangeError} if a probability is outside 0-1, or a delay or rate
   * is negative or not finite.
   */
  constructor(profile: LinkProfile, rng: Prng) {
    validateProfile(profile);
    this.#profile = { ...profile };
    this.#rng = rng;
  }

  /** Whether the Gilbert-Elliott chain is in its bad state. */
  get inBadState(): boolean {
    return this.#bad;
  }

  /** Decides the fate of one datagram of `size` bytes arriving at `nowMs`. */
  admit(size: number, nowMs: number): LinkDecision {
    const p = this.#profile;
    const rng = this.#rng;
    const c = this.counters;
    c.received++;

    const uState = rng.next();
    const uLoss = rng.next();
    const uDuplicate = rng.next();
    const uReorder = rng.next();
    const jitter = rng.normal();

    if (p.burst !== undefined) {
      this.#bad = this.#bad ? uState >= p.burst.pBadToGood : uState < p.burst.pGoodToBad;
    }
    const lossP = this.#bad ? p.burst!.lossInBad : (p.loss ?? 0);
    if (uLoss < lossP) {
      c.dropped++;
      return DROP;
    }

    let departure = nowMs;
    if (p.rateBps !== undefined) {
      const start = Math.max(nowMs, this.#busyUntil);
      if (start - nowMs > (p.queueMs ?? 1000)) {
        c.dropped++;
        return DROP;
      }
      this.#busyUntil = start + (size * 8 * 1000) / p.rateBps;
      departure = this.#busyUntil;
    }

    departure += p.delayMs ?? 0;
    if (p.jitterMs) departure = Math.max(departure + jitter * p.jitterMs, nowMs);

    if (uReorder < (p.reorder ?? 0)) {
      c.reordered++;
      departure += p.reorderDelayMs ?? 10;
    } else {
      departure = Math.max(departure, this.#lastInOrder);
      this.#lastInOrder = departure;
    }

    if (uDuplicate < (p.duplicate ?? 0)) {
      c.duplicated++;
      c.forwarded += 2;
      return { copies: 2, releaseAt: [departure, departure] };
    }
    c.forwarded++;
    return { copies: 1, releaseAt: [departure] };
  }
}

function checkProbability(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`Link profile ${name} must be a probability in 0-1, got ${value}`);
  }
}

function checkNonNegative(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!(value >= 0 && Number.isFinite(value))) {
    throw new RangeError(`Link profile ${name} must be a finite number >= 0, got ${value}`);
  }
}

/**
 * Throws a `RangeError` naming the first invalid field of `profile`.
 *
 * @throws {RangeError} on an invalid profile.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateProfile } from "@tsrt/tsrt/net";
 * validateProfile({ loss: 0.05, delayMs: 30 });
 * assert.throws(() => validateProfile({ loss: 5 }), RangeError); // 5 is not a probability
 * ```
 */
export function validateProfile(profile: LinkProfile): void {
  checkProbability("loss", profile.loss);
  checkProbability("reorder", profile.reorder);
  checkProbability("duplicate", profile.duplicate);
  if (profile.burst !== undefined) {
    checkProbability("burst.pGoodToBad", profile.burst.pGoodToBad);
    checkProbability("burst.pBadToGood", profile.burst.pBadToGood);
    checkProbability("burst.lossInBad", profile.burst.lossInBad);
  }
  checkNonNegative("delayMs", profile.delayMs);
  checkNonNegative("jitterMs", profile.jitterMs);
  checkNonNegative("reorderDelayMs", profile.reorderDelayMs);
  checkNonNegative("queueMs", profile.queueMs);
  if (profile.rateBps !== undefined && !(profile.rateBps > 0 && Number.isFinite(profile.rateBps))) {
    throw new RangeError(
      `Link profile rateBps must be a finite number > 0, got ${profile.rateBps}`,
    );
  }
}
