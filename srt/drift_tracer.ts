/**
 * The drift tracer of TSBPD (draft-sharabayko-srt §4.7; libsrt `DriftTracer<1000, 5000>`).
 *
 * Each ACKACK gives a sample of how far the peer's clock has moved against ours. Samples are
 * averaged over windows of {@linkcode DRIFT_SAMPLES}; at the end of a window the average
 * becomes the current drift, which delivery times include. Whatever exceeds
 * {@linkcode DRIFT_MAX_US} is moved into the time base instead (the "overdrift"), so one
 * step never shifts delivery by more than that.
 *
 * @module
 */

/** Samples averaged per drift update (libsrt: 1000). */
export const DRIFT_SAMPLES = 1000;
/** Largest drift kept apart from the time base, in microseconds (libsrt: 5000). */
export const DRIFT_MAX_US = 5000;

/** Averages clock-drift samples and splits the result into drift and overdrift. */
export class DriftTracer {
  #sum = 0;
  #span = 0;
  #drift = 0;
  #overdrift = 0;
  #samples: number;
  #max: number;

  /**
   * @param samples Samples per update.
   * @param maxUs Largest drift kept; the excess is reported as overdrift.
   */
  constructor(samples: number = DRIFT_SAMPLES, maxUs: number = DRIFT_MAX_US) {
    this.#samples = samples;
    this.#max = maxUs;
  }

  /** The current drift (us), within +-maxUs. */
  get drift(): number {
    return this.#drift;
  }

  /** The excess of the last update (us), to be added to the time base. */
  get overdrift(): number {
    return this.#overdrift;
  }

  /**
   * Adds one sample.
   *
   * @param us The measured drift in microseconds.
   * @returns true when a window completed and drift/overdrift were updated.
   */
  update(us: number): boolean {
    this.#sum += us;
    if (++this.#span < this.#samples) return false;
    this.#overdrift = 0;
    this.#drift = Math.trunc(this.#sum / this.#span);
    this.#sum = 0;
    this.#span = 0;
    if (Math.abs(this.#drift) > this.#max) {
      this.#overdrift = this.#drift < 0 ? -this.#max : this.#max;
      this.#drift -= this.#overdrift;
    }
    return true;
  }
}
