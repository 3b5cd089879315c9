/**
 * Stream time of MPEG-TS chunks from their PCR, for pacing a file at its real bitrate (like
 * ffmpeg's `-re`). The first PID seen carrying a PCR is the clock; chunks between two PCRs
 * get times interpolated by byte position, so a chunk is held until the next PCR is found.
 * A PCR that jumps backwards or by more than {@linkcode MAX_PCR_STEP_MS} (a discontinuity,
 * or a file played in a loop) continues the clock at the last measured rate.
 *
 * @module
 */

import { PCR_HZ, readPcr, SYNC_BYTE, TS_PACKET_SIZE } from "../mpegts/packet.ts";

/** PCR steps larger than this are discontinuities. */
export const MAX_PCR_STEP_MS = 1000;
/** Bytes held while waiting for a PCR before chunks are released unpaced. */
const MAX_PENDING_BYTES = 4 << 20;
const PCR_WRAP = 2 ** 33 * 300;

/** A chunk and the stream time (ms from the first PCR) at which it is due. */
export interface TimedChunk {
  /** The bytes. */
  readonly chunk: Uint8Array;
  /** Stream time in milliseconds. */
  readonly at: number;
}

/** Assigns PCR-derived stream times to chunks fed in order. */
export class PcrClock {
  /** The PCR PID, once found (-1 before). */
  pcrPid = -1;
  /** Discontinuities bridged. */
  discontinuities = 0;
  #bytes = 0;
  #pending: { chunk: Uint8Array; pos: number }[] = [];
  #pendingBytes = 0;
  #lastPcr = -1;
  #lastPos = 0;
  #lastAt = 0;
  #msPerByte = 0;

  /**
   * Feeds the next chunk.
   *
   * @param chunk bytes of the stream (packet-aligned chunks find every PCR)
   * @returns the chunks whose time is now known, in order
   */
  feed(chunk: Uint8Array): TimedChunk[] {
    const start = this.#bytes;
    this.#bytes += chunk.length;
    this.#pending.push({ chunk, pos: start });
    this.#pendingBytes += chunk.length;
    let out: TimedChunk[] = [];
    for (let off = 0; off + TS_PACKET_SIZE <= chunk.length; off += TS_PACKET_SIZE) {
      const pcr = pcrAt(chunk, off, this.pcrPid);
      if (pcr === undefined) continue;
      if (this.pcrPid < 0) this.pcrPid = ((chunk[off + 1] & 0x1f) << 8) | chunk[off + 2];
      out = out.concat(this.#onPcr(pcr, start + off));
    }
    if (this.#pendingBytes > MAX_PENDING_BYTES) out = out.concat(this.flush());
    return out;
  }

  /**
   * Releases every held chunk, timed at the last measured rate.
   *
   * @returns the chunks
   */
  flush(): TimedChunk[] {
    const out = this.#pending.map(({ chunk, pos }) => ({
      chunk,
      at: this.#lastAt + Math.max(0, pos - this.#lastPos) * this.#msPerByte,
    }));
    this.#pending = [];
    this.#pendingBytes = 0;
    return out;
  }

  #onPcr(pcr: number, pos: number): TimedChunk[] {
    if (this.#lastPcr < 0) {
      this.#lastPcr = pcr;
      this.#lastPos = pos;
      const out = this.#pending.map(({ chunk }) => ({ chunk, at: 0 }));
      this.#pending = [];
      this.#pendingBytes = 0;
      return out;
    }
    let stepMs = (((pcr - this.#lastPcr) % PCR_WRAP + PCR_WRAP) % PCR_WRAP) / PCR_HZ * 1000;
    const bytes = pos - this.#lastPos;
    if (bytes <= 0) return [];
    if (stepMs > MAX_PCR_STEP_MS) {
      this.discontinuities++;
      stepMs = bytes * this.#msPerByte;
    } else {
      this.#msPerByte = stepMs / bytes;
    }
    const at = this.#lastAt + stepMs;
    const out: TimedChunk[] = [];
    let keep = 0;
    for (const p of this.#pending) {
      if (p.pos <= pos) {
        const frac = Math.max(0, p.pos - this.#lastPos) / bytes;
        out.push({ chunk: p.chunk, at: this.#lastAt + frac * stepMs });
      } else keep++;
    }
    this.#pending = keep === 0 ? [] : this.#pending.slice(this.#pending.length - keep);
    this.#pendingBytes = this.#pending.reduce((n, p) => n + p.chunk.length, 0);
    this.#lastPcr = pcr;
    this.#lastPos = pos;
    this.#lastAt = at;
    return out;
  }
}

/** The PCR of the packet at `off` (on `pid`, or any PID when `pid` < 0), if it has one. */
function pcrAt(buf: Uint8Array, off: number, pid: number): number | undefined {
  if (buf[off] !== SYNC_BYTE) return undefined;
  if (pid >= 0 && (((buf[off + 1] & 0x1f) << 8) | buf[off + 2]) !== pid) return undefined;
  const afc = (buf[off + 3] >> 4) & 3;
  if ((afc & 2) === 0 || buf[off + 4] < 7 || (buf[off + 5] & 0x10) === 0) return undefined;
  return readPcr(buf, off + 6);
}

/** Options of {@linkcode pace}. */
export interface PaceOptions {
  /** Aborts the waiting. */
  signal?: AbortSignal;
  /** Called once if no PCR turns up in the first 4 MB (the input is then sent unpaced). */
  onNoPcr?: () => void;
}

/** Shortest wait worth a timer; chunks due sooner go out in the current burst. */
const TICK_MS = 4;

/**
 * Releases chunks at the pace of their PCR. One timer per burst: after each wake-up every
 * chunk already due is released at once (timers fire no sooner than ~1-2 ms).
 *
 * @param chunks the input, in order
 * @param options abort and warnings
 * @returns the same chunks, paced
 */
export async function* pace(
  chunks: AsyncIterable<Uint8Array>,
  options: PaceOptions = {},
): AsyncGenerator<Uint8Array> {
  const clock = new PcrClock();
  let t0 = -1;
  let warned = false;
  const release = async function* (timed: TimedChunk[]): AsyncGenerator<Uint8Array> {
    for (const { chunk, at } of timed) {
      if (t0 < 0) t0 = performance.now() - at;
      const wait = t0 + at - performance.now();
      if (wait >= TICK_MS) await sleep(wait, options.signal);
      if (options.signal?.aborted) return;
      yield chunk;
    }
  };
  for await (const chunk of chunks) {
    yield* release(clock.feed(chunk));
    if (!warned && clock.pcrPid < 0 && t0 >= 0) {
      warned = true;
      options.onNoPcr?.();
    }
    if (options.signal?.aborted) return;
  }
  yield* release(clock.flush());
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}
