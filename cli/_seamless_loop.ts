// Repeats an MPEG-TS file so that the joins are seamless: continuity counters carry on across
// each loop, and PCR, PTS and DTS move forward by the file's duration instead of jumping back,
// so a TR 101 290 monitor sees one continuous stream.

const PACKET = 188;
const TICKS_33 = 2 ** 33;

function pidOf(b: Uint8Array, o: number): number {
  return ((b[o + 1] & 0x1f) << 8) | b[o + 2];
}

function hasAdaptation(b: Uint8Array, o: number): boolean {
  return (b[o + 3] & 0x20) !== 0;
}

/** Offset of the PCR in a packet, or -1. */
function pcrOffset(b: Uint8Array, o: number): number {
  if (!hasAdaptation(b, o) || b[o + 4] < 7 || (b[o + 5] & 0x10) === 0) return -1;
  return o + 6;
}

function readPcrBase(b: Uint8Array, p: number): number {
  return b[p] * 2 ** 25 + b[p + 1] * 2 ** 17 + b[p + 2] * 2 ** 9 + b[p + 3] * 2 + (b[p + 4] >> 7);
}

function writePcrBase(b: Uint8Array, p: number, v: number): void {
  b[p] = Math.floor(v / 2 ** 25) & 0xff;
  b[p + 1] = Math.floor(v / 2 ** 17) & 0xff;
  b[p + 2] = Math.floor(v / 2 ** 9) & 0xff;
  b[p + 3] = Math.floor(v / 2) & 0xff;
  b[p + 4] = (b[p + 4] & 0x7f) | ((v & 1) << 7);
}

/** Reads a 33-bit PES timestamp (PTS/DTS) from its 5 bytes. */
function readTs(b: Uint8Array, p: number): number {
  return ((b[p] >> 1) & 7) * 2 ** 30 + b[p + 1] * 2 ** 22 + ((b[p + 2] >> 1) << 15) +
    (b[p + 3] << 7) + (b[p + 4] >> 1);
}

function writeTs(b: Uint8Array, p: number, v: number): void {
  b[p] = (b[p] & 0xf1) | ((Math.floor(v / 2 ** 30) & 7) << 1);
  b[p + 1] = Math.floor(v / 2 ** 22) & 0xff;
  b[p + 2] = ((Math.floor(v / 2 ** 15) & 0x7f) << 1) | 1;
  b[p + 3] = Math.floor(v / 2 ** 7) & 0xff;
  b[p + 4] = ((v & 0x7f) << 1) | 1;
}

/** Offsets of the PTS and DTS in a packet that starts a PES, or -1 each. */
function pesTimestamps(b: Uint8Array, o: number): [number, number] {
  if ((b[o + 1] & 0x40) === 0 || (b[o + 3] & 0x10) === 0) return [-1, -1];
  const start = o + 4 + (hasAdaptation(b, o) ? 1 + b[o + 4] : 0);
  if (start + 19 > o + PACKET || b[start] !== 0 || b[start + 1] !== 0 || b[start + 2] !== 1) {
    return [-1, -1];
  }
  const id = b[start + 3];
  if (id === 0xbc || id === 0xbe || id === 0xbf || id >= 0xf0) return [-1, -1];
  const flags = b[start + 7] >> 6;
  return [flags & 2 ? start + 9 : -1, flags === 3 ? start + 14 : -1];
}

/**
 * `loops` copies of a 188-byte-packet MPEG-TS file, each shifted to follow the previous one.
 *
 * @param ts the file (whole 188-byte packets)
 * @param loops how many copies
 * @returns the stream
 */
export function seamlessLoop(ts: Uint8Array, loops: number): Uint8Array {
  const n = Math.floor(ts.length / PACKET);
  // Per PID: the continuity step over one copy; and the PCR span of the file.
  const firstCc = new Map<number, number>();
  const lastCc = new Map<number, number>();
  let pcrFirst = -1;
  let pcrLast = -1;
  let pcrCount = 0;
  for (let i = 0; i < n; i++) {
    const o = i * PACKET;
    const pid = pidOf(ts, o);
    if (!firstCc.has(pid)) firstCc.set(pid, ts[o + 3] & 0x0f);
    lastCc.set(pid, ts[o + 3] & 0x0f);
    const p = pcrOffset(ts, o);
    if (p >= 0) {
      const v = readPcrBase(ts, p);
      if (pcrFirst < 0) pcrFirst = v;
      pcrLast = v;
      pcrCount++;
    }
  }
  // One copy lasts its PCR span plus one mean PCR interval.
  const duration = pcrCount > 1 ? (pcrLast - pcrFirst) * pcrCount / (pcrCount - 1) : 0;
  const out = new Uint8Array(n * PACKET * loops);
  for (let k = 0; k < loops; k++) {
    const base = k * n * PACKET;
    out.set(ts.subarray(0, n * PACKET), base);
    if (k === 0) continue;
    const shift = Math.round(duration * k);
    for (let i = 0; i < n; i++) {
      const o = base + i * PACKET;
      const pid = pidOf(out, o);
      const step = ((lastCc.get(pid)! + 1 - firstCc.get(pid)!) & 0x0f) * k;
      out[o + 3] = (out[o + 3] & 0xf0) | (((out[o + 3] & 0x0f) + step) & 0x0f);
      const p = pcrOffset(out, o);
      if (p >= 0) writePcrBase(out, p, (readPcrBase(out, p) + shift) % TICKS_33);
      for (const t of pesTimestamps(out, o)) {
        if (t >= 0) writeTs(out, t, (readTs(out, t) + shift) % TICKS_33);
      }
    }
  }
  return out;
}
