/**
 * The receiver's TSBPD clock (draft-sharabayko-srt §4.5-4.7; libsrt `CTsbpdTime`): turns a
 * packet's 32-bit timestamp into the local time it is due for delivery,
 * `base + timestamp + latency + drift`, handling the timestamp wrap (2^32 us) and the drift
 * between the two clocks.
 *
 * The base is "local time of the peer's timestamp 0", taken from the handshake. Timestamps
 * wrap every ~71.6 minutes: in the last 30 s before the wrap a wrap period opens, during which
 * small timestamps belong to the next period; it closes once timestamps are between 30 and
 * 60 s, and the base moves on by 2^32 us.
 *
 * @module
 */

import { DriftTracer } from "./drift_tracer.ts";
import { TIMESTAMP_PERIOD, TIMESTAMP_WRAP_WINDOW } from "./timestamp.ts";

/** Local delivery times of received packets. */
export class TsbpdTime {
  #base: number;
  #latencyUs: number;
  #wrapCheck = false;
  #tracer: DriftTracer | undefined;
  #firstRtt = -1;
  #lastSampleUs = 0;

  /**
   * @param baseUs Local time (us) of the peer's timestamp 0.
   * @param latencyUs Receive latency (us).
   * @param driftTracer Whether to trace and absorb clock drift (SRTO_DRIFTTRACER).
   * @param tracer A custom tracer (tests use short windows).
   */
  constructor(baseUs: number, latencyUs: number, driftTracer = true, tracer?: DriftTracer) {
    this.#base = baseUs;
    this.#latencyUs = latencyUs;
    this.#tracer = driftTracer ? tracer ?? new DriftTracer() : undefined;
  }

  /** The current drift (us). */
  get driftUs(): number {
    return this.#tracer?.drift ?? 0;
  }

  /** The current time base (us), drift excluded. */
  get baseUs(): number {
    return this.#base;
  }

  /** The latest drift sample (us), for statistics. */
  get lastSampleUs(): number {
    return this.#lastSampleUs;
  }

  /** The local time matching a peer timestamp (no latency, no drift). */
  baseTime(ts: number): number {
    const carry = this.#wrapCheck && ts < TIMESTAMP_WRAP_WINDOW ? TIMESTAMP_PERIOD : 0;
    return this.#base + carry + ts;
  }

  /** The local time a packet with timestamp `ts` is due for delivery. */
  playTime(ts: number): number {
    return this.baseTime(ts) + this.#latencyUs + (this.#tracer?.drift ?? 0);
  }

  /**
   * Follows the timestamp wrap; call with the timestamp of each packet as it is accepted.
   * Opens the wrap period in the last 30 s of a period and closes it (moving the base on by
   * 2^32 us) once timestamps are 30 to 60 s into the next.
   */
  track(ts: number): void {
    if (this.#wrapCheck) {
      if (ts >= TIMESTAMP_WRAP_WINDOW && ts <= 2 * TIMESTAMP_WRAP_WINDOW) {
        this.#wrapCheck = false;
        this.#base += TIMESTAMP_PERIOD;
      }
      return;
    }
    if (ts > TIMESTAMP_PERIOD - 1 - TIMESTAMP_WRAP_WINDOW) this.#wrapCheck = true;
  }

  /**
   * Adds a drift sample from an ACKACK: how late its timestamp arrived against the base,
   * less half the change of the RTT since the first sample (a change of path delay, not of
   * clock rate).
   *
   * @param now Local time (us).
   * @param ts The ACKACK's timestamp.
   * @param rttSampleUs The RTT measured with this ACKACK.
   * @returns true when the drift was updated.
   */
  addDriftSample(now: number, ts: number, rttSampleUs: number): boolean {
    const t = this.#tracer;
    if (!t) return false;
    if (this.#firstRtt < 0) this.#firstRtt = rttSampleUs;
    const sample = now - this.baseTime(ts) - Math.trunc((rttSampleUs - this.#firstRtt) / 2);
    this.#lastSampleUs = sample;
    if (!t.update(sample)) return false;
    this.#base += t.overdrift;
    return true;
  }
}
