/**
 * LiveCC pacing (draft-sharabayko-srt §5.1; libsrt `LiveCC`, `CSndBuffer::updateInputRate`).
 *
 * The send period between two packets is `(avgPayload + 44) x 1e6 / maxBw` microseconds, the
 * 44 bytes being the SRT, UDP and IPv4 headers, and `avgPayload` a running average (127/128)
 * of the payloads sent. `maxBw` comes from one of three modes, as in libsrt:
 *
 * - `maxBw > 0`: that rate (MAXBW_SET); `maxBw = -1`: "infinite", 1 Gbit/s (the default);
 * - `maxBw = 0`, `inputBw > 0`: `inputBw x (100 + oheadBw) / 100` (INPUTBW_SET);
 * - `maxBw = 0`, `inputBw = 0`: the measured input rate (never below `minInputBw`) x
 *   (100 + oheadBw) / 100 (INPUTBW_ESTIMATED). The input rate is measured over 500 ms at
 *   first, then over 1 s windows, headers included.
 *
 * The pacer only says when the next packet may leave. The sender releases, at each wake-up,
 * every packet whose turn has come: adapters wake no sooner than every 1-2 ms, so packets go
 * out in small bursts that keep the configured average rate.
 *
 * @module
 */

/** libsrt's "infinite" bandwidth in live mode: 1 Gbit/s in bytes per second. */
export const BW_INFINITE = 125_000_000;
/** SRT + UDP + IPv4 header bytes counted per packet. */
export const PACKET_OVERHEAD_BYTES = 44;

const INPUT_RATE_FIRST_US = 500_000;
const INPUT_RATE_WINDOW_US = 1_000_000;

/** Bandwidth settings, in libsrt's units (bytes per second, percent). */
export interface PacerConfig {
  /** SRTO_MAXBW: bytes/s; -1 = infinite; 0 = relative to the input rate. */
  readonly maxBw: number;
  /** SRTO_INPUTBW: bytes/s; 0 = estimate it. */
  readonly inputBw: number;
  /** SRTO_MININPUTBW: lower bound of the estimate, bytes/s. */
  readonly minInputBw: number;
  /** SRTO_OHEADBW: overhead over the input rate, percent (5..100). */
  readonly oheadBw: number;
}

/** Computes the packet send period and keeps the schedule. */
export class LivePacer {
  #cfg: PacerConfig;
  #avgPayload: number;
  #periodUs = 0;
  #maxBw = BW_INFINITE;
  #nextUs = -Infinity;
  #rateStartUs = -1;
  #rateBytes = 0;
  #rateWindowUs = INPUT_RATE_FIRST_US;
  #inputRate = 0;

  /**
   * @param cfg Bandwidth settings.
   * @param payloadSize The nominal payload size (start of the running average).
   */
  constructor(cfg: PacerConfig, payloadSize: number) {
    this.#cfg = cfg;
    this.#avgPayload = payloadSize;
    this.update();
  }

  /** Interval between two packets (us). */
  get periodUs(): number {
    return this.#periodUs;
  }

  /** The bandwidth ceiling in effect (bytes/s). */
  get maxBw(): number {
    return this.#maxBw;
  }

  /** The measured input rate (bytes/s, headers included), 0 before the first window ends. */
  get inputRate(): number {
    return this.#inputRate;
  }

  /** When the next packet may leave (us). */
  get nextUs(): number {
    return this.#nextUs;
  }

  /** Counts a payload the application handed over (input rate estimate). */
  onInput(now: number, bytes: number): void {
    if (this.#rateStartUs < 0) this.#rateStartUs = now;
    this.#rateBytes += bytes + PACKET_OVERHEAD_BYTES;
    const elapsed = now - this.#rateStartUs;
    if (elapsed >= this.#rateWindowUs) {
      this.#inputRate = Math.round((this.#rateBytes * 1e6) / elapsed);
      this.#rateBytes = 0;
      this.#rateStartUs = now;
      this.#rateWindowUs = INPUT_RATE_WINDOW_US;
      if (this.#cfg.maxBw === 0 && this.#cfg.inputBw === 0) this.update();
    }
  }

  /**
   * Takes the next send slot: call when a packet leaves at `now`.
   *
   * @param now Current time (us).
   * @param payloadBytes The packet's payload size.
   */
  onSent(now: number, payloadBytes: number): void {
    this.#avgPayload = (this.#avgPayload * 127 + payloadBytes) / 128;
    // Slots keep counting from the schedule, not from `now`: a late wake-up releases every
    // packet whose slot has passed, so the average rate holds with coarse timers.
    this.#nextUs = (this.#nextUs > now - 1_000_000 ? this.#nextUs : now) + this.#periodUs;
  }

  /**
   * Work arrived while nothing was waiting: an idle pacer gathers no credit, so the schedule
   * restarts at `now` if it lies in the past.
   */
  restart(now: number): void {
    if (this.#nextUs < now) this.#nextUs = now;
  }

  /** Recomputes the ceiling and the period (libsrt does so on every ACK). */
  update(): void {
    const c = this.#cfg;
    let bw: number;
    if (c.maxBw > 0) bw = c.maxBw;
    else if (c.maxBw < 0) bw = BW_INFINITE;
    else if (c.inputBw > 0) bw = (c.inputBw * (100 + c.oheadBw)) / 100;
    else if (this.#inputRate > 0 || c.minInputBw > 0) {
      bw = (Math.max(this.#inputRate, c.minInputBw) * (100 + c.oheadBw)) / 100;
    } else bw = BW_INFINITE;
    this.#maxBw = bw;
    this.#periodUs = (1e6 * (this.#avgPayload + PACKET_OVERHEAD_BYTES)) / bw;
  }
}
