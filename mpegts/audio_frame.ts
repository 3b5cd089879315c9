/**
 * Common shape of the audio frame parsers (ADTS, LOAS/LATM, AC-3, MPEG audio, Opus).
 *
 * @module
 */

/** One audio frame found inside a PES payload. */
export interface AudioFrame {
  /** offset of the frame (header included) in the payload */
  offset: number;
  /** bytes of the frame, header included */
  length: number;
  /** sampling rate in Hz (0 when unknown) */
  sampleRate: number;
  /** channel count (0 when unknown) */
  channels: number;
  /** samples per channel in the frame (0 when unknown) */
  samples: number;
}
