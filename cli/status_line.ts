/**
 * The one-line live status: rate, RTT, loss, retransmissions, drops and buffer, refreshed
 * about four times a second in place on a terminal (or printed once a second with -v
 * elsewhere).
 *
 * @module
 */

import type { SrtStats } from "../srt/stats.ts";

/** What one status line shows. */
export interface StatusSample {
  /** Monotonic time in ms. */
  readonly nowMs: number;
  /** Bytes relayed so far. */
  readonly bytes: number;
  /** The SRT connection's statistics, when there is one. */
  readonly stats: SrtStats | undefined;
  /** Which side the SRT connection is ("output" sends, "input" receives). */
  readonly side: "input" | "output" | undefined;
}

/** Human-readable byte count. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Builds status lines, computing the rate between successive samples. */
export class StatusLine {
  #prev: { at: number; bytes: number } | undefined;
  #rate = 0;

  /** @param startMs when counting started (monotonic ms); default now */
  constructor(startMs: number = performance.now()) {
    this.#prev = { at: startMs, bytes: 0 };
  }

  /**
   * Formats one sample.
   *
   * @param s the sample
   * @param exactBytes show the byte count exactly rather than in KiB/MiB
   * @returns the line, without a newline
   */
  format(s: StatusSample, exactBytes = false): string {
    const p = this.#prev;
    if (p && s.nowMs - p.at >= 200) {
      const inst = ((s.bytes - p.bytes) * 8) / (s.nowMs - p.at) / 1000;
      this.#rate = this.#rate === 0 ? inst : 0.5 * this.#rate + 0.5 * inst;
      this.#prev = { at: s.nowMs, bytes: s.bytes };
    } else if (!p) this.#prev = { at: s.nowMs, bytes: s.bytes };
    const parts = [
      `${this.#rate.toFixed(2)} Mb/s`,
      exactBytes ? `${s.bytes} bytes` : formatBytes(s.bytes),
    ];
    const st = s.stats;
    if (st) {
      parts.push(`RTT ${st.msRTT.toFixed(1)} ms`);
      if (s.side === "output") {
        parts.push(
          `loss ${st.pktSndLossTotal}`,
          `retrans ${st.pktRetransTotal}`,
          `drop ${st.pktSndDropTotal}`,
          `flight ${st.pktFlightSize}`,
        );
      } else {
        parts.push(
          `loss ${st.pktRcvLossTotal}`,
          `retrans ${st.pktRcvRetransTotal}`,
          `drop ${st.pktRcvDropTotal}`,
          `buf ${Math.round(st.msRcvBuf)} ms`,
        );
      }
    } else if (s.side === undefined) parts.push("(no SRT connection)");
    return parts.join(" | ");
  }
}
