/**
 * SRT header timestamps: 32-bit microsecond counters that wrap every 2^32 us (about 71.6 min).
 *
 * @module
 */

/** 2^32: one full timestamp period in microseconds. */
export const TIMESTAMP_PERIOD = 0x1_0000_0000;

/** How close to the wrap a timestamp must be before it is read as belonging to the next period (libsrt TSBPD_WRAP_PERIOD, 30 s). */
export const TIMESTAMP_WRAP_WINDOW = 30_000_000;

/** The 32-bit header timestamp for a time `us` microseconds after the connection start. */
export function toTimestamp(us: number): number {
  return us % TIMESTAMP_PERIOD >>> 0;
}

/**
 * Tracks the wrap of received timestamps so that each can be turned into a monotonic
 * microsecond count since the peer's start (the base of TSBPD delivery times).
 */
export class TimestampUnwrapper {
  #carry = 0;
  #wrapPending = false;

  /**
   * The unwrapped time of a 32-bit timestamp. Timestamps from the last 30 s of a period that
   * arrive after the wrap was seen keep the old carry; early ones of the next period get the new.
   */
  unwrap(ts: number): number {
    if (this.#wrapPending) {
      if (ts < TIMESTAMP_WRAP_WINDOW) return this.#carry + TIMESTAMP_PERIOD + ts;
      if (ts >= TIMESTAMP_WRAP_WINDOW && ts <= TIMESTAMP_PERIOD - TIMESTAMP_WRAP_WINDOW) {
        // Past the window on the far side: the wrap is complete.
        this.#carry += TIMESTAMP_PERIOD;
        this.#wrapPending = false;
        return this.#carry + ts;
      }
      return this.#carry + ts;
    }
    if (ts > TIMESTAMP_PERIOD - TIMESTAMP_WRAP_WINDOW) this.#wrapPending = true;
    return this.#carry + ts;
  }
}
