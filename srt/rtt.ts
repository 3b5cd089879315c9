/**
 * Round-trip time estimation (draft-sharabayko-srt §4.10; libsrt `CUDT::m_iSRTT`).
 *
 * The receiver measures each ACK -> ACKACK round trip and smooths it:
 * `RTT = 7/8 RTT + 1/8 sample`, `RTTVar = 3/4 RTTVar + 1/4 |RTT - sample|`; the sender smooths
 * the figures the receiver reports in its ACKs. Until a first sample arrives, libsrt's
 * initial guess (100 ms, variance 50 ms) stands.
 *
 * @module
 */

/** libsrt's initial RTT guess. */
export const INITIAL_RTT_US = 100_000;
/** libsrt's initial RTT variance guess. */
export const INITIAL_RTTVAR_US = 50_000;

/** Smoothed RTT and its variance, in microseconds. */
export class RttEstimator {
  /** Smoothed round-trip time (us). */
  rttUs: number = INITIAL_RTT_US;
  /** Round-trip time variance (us). */
  rttVarUs: number = INITIAL_RTTVAR_US;
  /** False until a first real measurement replaced the initial guess. */
  measured = false;

  /** Adds an own measurement (ACK -> ACKACK, or the handshake round trip). */
  sample(us: number): void {
    if (!this.measured) {
      this.rttUs = us;
      this.rttVarUs = us / 2;
      this.measured = true;
      return;
    }
    this.rttVarUs = Math.round((3 * this.rttVarUs + Math.abs(this.rttUs - us)) / 4);
    this.rttUs = Math.round((7 * this.rttUs + us) / 8);
  }

  /**
   * Adopts the figures the peer reported in an ACK, smoothing once more. A report of exactly
   * the initial guess (100 ms +- 50) is the peer saying it has not measured anything yet: it
   * is ignored, or a sender that measured 20 ms at the handshake would be dragged towards
   * 100 ms for the first second of the stream.
   */
  fromPeer(rttUs: number, rttVarUs: number): void {
    if (rttUs === INITIAL_RTT_US && rttVarUs === INITIAL_RTTVAR_US) return;
    if (!this.measured) {
      this.rttUs = rttUs;
      this.rttVarUs = rttVarUs;
      this.measured = true;
      return;
    }
    this.rttUs = Math.round((7 * this.rttUs + rttUs) / 8);
    this.rttVarUs = Math.round((3 * this.rttVarUs + rttVarUs) / 4);
  }

  /** RTT + 4 x RTTVar: how long an answer may reasonably take. */
  get timeoutUs(): number {
    return this.rttUs + 4 * this.rttVarUs;
  }
}
