/**
 * Stream rate and jitter measurement with caller-supplied time.
 *
 * {@linkcode BitrateMeter} keeps a ring of fixed-length time buckets covering a sliding window,
 * so adding a sample and reading the rate both cost O(1) (amortised; a long silence clears at
 * most the ring's length of buckets). {@linkcode JitterEstimator} is the RFC 3550 §6.4.1
 * interarrival jitter.
 *
 * Times are integer microseconds, like the rest of tsrt. Nothing here reads a clock.
 *
 * @module
 */

/**
 * Options of {@linkcode BitrateMeter}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BitrateMeter, type BitrateMeterOptions } from "@tsrt/tsrt/server";
 * // A 5-second average in 500 ms buckets.
 * const options: BitrateMeterOptions = { windowUs: 5_000_000, bucketUs: 500_000 };
 * const meter = new BitrateMeter(options);
 * meter.add(0, 1316);
 * assert.equal(meter.windowUs, 5_000_000);
 * ```
 */
export interface BitrateMeterOptions {
  /** Length of the averaging window in µs. Default 1 s. */
  windowUs?: number;
  /** Length of one bucket in µs; the window must be a whole number of buckets. Default 100 ms. */
  bucketUs?: number;
}

/**
 * Bytes and packets per second over a sliding window of time buckets.
 *
 * The window is the `windowUs / bucketUs` most recent buckets, including the one `now` falls
 * in; the rate is what they hold divided by the window length. Until the first sample is a
 * whole window old, the divisor is the time from the start of the first sample's bucket to
 * the end of the current bucket instead, so the rate is right from the start. A `now` earlier
 * than one seen before is treated as the latest time seen (clocks are expected to be
 * monotonic; this keeps the meter consistent if they are not).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BitrateMeter } from "./bitrate.ts";
 *
 * const m = new BitrateMeter({ windowUs: 1_000_000, bucketUs: 100_000 });
 * for (let t = 0; t < 2_000_000; t += 10_000) m.add(t, 1316); // 100 packets/s of 1316 B
 * assert.equal(m.packetsPerSecond(1_999_999), 100);
 * assert.equal(m.bitsPerSecond(1_999_999), 100 * 1316 * 8);
 * assert.equal(m.bitsPerSecond(5_000_000), 0); // silence empties the window
 * ```
 */
export class BitrateMeter {
  /** Bucket length in µs. */
  readonly bucketUs: number;
  /** Window length in µs. */
  readonly windowUs: number;
  #n: number;
  #bytes: Float64Array;
  #packets: Float64Array;
  #sumBytes = 0;
  #sumPackets = 0;
  /** Absolute index of the newest bucket in the ring, or -1 before the first sample. */
  #head = -1;
  #first = -1;
  #totalBytes = 0;
  #totalPackets = 0;

  /**
   * Creates an empty meter whose ring has `windowUs / bucketUs` buckets.
   *
   * @param options `windowUs`, the averaging window in µs (default 1 000 000), and
   *   `bucketUs`, the bucket length in µs (default 100 000): smaller buckets make the window
   *   slide more smoothly at the cost of a larger ring.
   * @throws {RangeError} When `bucketUs` is not a positive integer, or `windowUs` is not a
   *   positive whole multiple of it.
   */
  constructor(options: BitrateMeterOptions = {}) {
    const bucketUs = options.bucketUs ?? 100_000;
    const windowUs = options.windowUs ?? 1_000_000;
    if (!Number.isInteger(bucketUs) || bucketUs <= 0) {
      throw new RangeError(`bucketUs must be a positive integer, not ${bucketUs}`);
    }
    if (!Number.isInteger(windowUs) || windowUs < bucketUs || windowUs % bucketUs !== 0) {
      throw new RangeError(
        `windowUs must be a positive multiple of bucketUs (${bucketUs}), not ${windowUs}`,
      );
    }
    this.bucketUs = bucketUs;
    this.windowUs = windowUs;
    this.#n = windowUs / bucketUs;
    this.#bytes = new Float64Array(this.#n);
    this.#packets = new Float64Array(this.#n);
  }

  /** Bytes added since creation or {@linkcode BitrateMeter.reset}. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Packets added since creation or {@linkcode BitrateMeter.reset}. */
  get totalPackets(): number {
    return this.#totalPackets;
  }

  /** Moves the ring forward to the bucket of `now`, clearing buckets that left the window. */
  #advance(now: number): void {
    const idx = Math.floor(now / this.bucketUs);
    if (this.#head < 0 || idx <= this.#head) return;
    const steps = Math.min(idx - this.#head, this.#n);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.#head + i) % this.#n;
      this.#sumBytes -= this.#bytes[slot];
      this.#sumPackets -= this.#packets[slot];
      this.#bytes[slot] = 0;
      this.#packets[slot] = 0;
    }
    if (steps === this.#n) {
      // Everything expired: drop accumulated rounding error as well.
      this.#sumBytes = 0;
      this.#sumPackets = 0;
    }
    this.#head = idx;
  }

  /**
   * Records a sample.
   *
   * @param now Time of the sample in µs.
   * @param bytes Bytes in the sample (e.g. one packet's payload).
   * @param packets Packets in the sample. Default 1.
   */
  add(now: number, bytes: number, packets = 1): void {
    if (this.#head < 0) {
      this.#head = Math.floor(now / this.bucketUs);
      this.#first = this.#head;
    } else {
      this.#advance(now);
    }
    const slot = this.#head % this.#n;
    this.#bytes[slot] += bytes;
    this.#packets[slot] += packets;
    this.#sumBytes += bytes;
    this.#sumPackets += packets;
    this.#totalBytes += bytes;
    this.#totalPackets += packets;
  }

  /** Seconds the rate is averaged over at `now`. */
  #span(now: number): number {
    this.#advance(now);
    const buckets = Math.min(this.#n, this.#head - this.#first + 1);
    return (buckets * this.bucketUs) / 1e6;
  }

  /**
   * Bytes in the window ending at `now`.
   *
   * @param now Current time in µs.
   * @returns The byte count.
   */
  bytesInWindow(now: number): number {
    if (this.#head < 0) return 0;
    this.#advance(now);
    return this.#sumBytes;
  }

  /**
   * Average bit rate over the window ending at `now`.
   *
   * @param now Current time in µs.
   * @returns Bits per second; 0 before any sample.
   */
  bitsPerSecond(now: number): number {
    if (this.#head < 0) return 0;
    const span = this.#span(now);
    return (this.#sumBytes * 8) / span;
  }

  /**
   * Average packet rate over the window ending at `now`.
   *
   * @param now Current time in µs.
   * @returns Packets per second; 0 before any sample.
   */
  packetsPerSecond(now: number): number {
    if (this.#head < 0) return 0;
    const span = this.#span(now);
    return this.#sumPackets / span;
  }

  /** Forgets every sample and the totals. */
  reset(): void {
    this.#bytes.fill(0);
    this.#packets.fill(0);
    this.#sumBytes = 0;
    this.#sumPackets = 0;
    this.#head = -1;
    this.#first = -1;
    this.#totalBytes = 0;
    this.#totalPackets = 0;
  }
}

/**
 * Options of {@linkcode JitterEstimator}.
 *
 * @example
 * ```ts
 * import { JitterEstimator, type JitterEstimatorOptions } from "@tsrt/tsrt/server";
 * // SRT packet timestamps are 32-bit microseconds.
 * const options: JitterEstimatorOptions = { sendWrap: 2 ** 32 };
 * const jitter = new JitterEstimator(options);
 * jitter.update(2 ** 32 - 10_000, 0);
 * jitter.update(10_000, 20_500); // across the wrap: 20 ms apart, 0.5 ms late
 * ```
 */
export interface JitterEstimatorOptions {
  /**
   * Modulus of the send timestamps, when they wrap (SRT packet timestamps wrap at 2^32 µs).
   * Differences are then taken as the shortest way round. Default: no wrap.
   */
  sendWrap?: number;
}

/**
 * RFC 3550 §6.4.1 interarrival jitter: for consecutive packets i and j,
 * `D = (Rj - Ri) - (Sj - Si)` and `J += (|D| - J) / 16`, where S is the send timestamp and R
 * the arrival time, both in the same unit (µs here).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JitterEstimator } from "./bitrate.ts";
 *
 * const j = new JitterEstimator();
 * j.update(0, 1000);
 * assert.equal(j.update(20_000, 21_000 + 1600), 100); // one packet 1.6 ms late: 1600 / 16
 * ```
 */
export class JitterEstimator {
  #jitter = 0;
  #lastSend: number | undefined;
  #lastArrival = 0;
  #wrap: number | undefined;

  /**
   * Creates an estimator at zero jitter; the first {@linkcode JitterEstimator.update} only
   * records its packet.
   *
   * @param options `sendWrap`, the modulus at which send timestamps wrap (2^32 for SRT's µs
   *   packet timestamps), so a step across the wrap is taken the short way round; default
   *   no wrap.
   */
  constructor(options: JitterEstimatorOptions = {}) {
    this.#wrap = options.sendWrap;
  }

  /** The current jitter estimate. */
  get jitter(): number {
    return this.#jitter;
  }

  /**
   * Feeds one packet.
   *
   * @param sendTime The packet's send timestamp.
   * @param arrivalTime When it arrived, on the receiver's clock.
   * @returns The updated jitter.
   */
  update(sendTime: number, arrivalTime: number): number {
    if (this.#lastSend !== undefined) {
      let ds = sendTime - this.#lastSend;
      const w = this.#wrap;
      if (w !== undefined) {
        ds = ((ds % w) + w) % w;
        if (ds >= w / 2) ds -= w;
      }
      const d = arrivalTime - this.#lastArrival - ds;
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    }
    this.#lastSend = sendTime;
    this.#lastArrival = arrivalTime;
    return this.#jitter;
  }

  /** Forgets all packets. */
  reset(): void {
    this.#jitter = 0;
    this.#lastSend = undefined;
    this.#lastArrival = 0;
  }
}
