/**
 * Test helpers: fixture loading, a demux-everything runner and a packet mutator.
 * Used only by *_test.ts.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { crc32Mpeg2 } from "./crc32.ts";
import { type DemuxEvent, TsDemuxer } from "./demuxer.ts";
import { type Frame, FrameAssembler, type FrameAssemblerEvent } from "./frame_assembler.ts";

const FIXTURES = new URL("../tests/fixtures/", import.meta.url);

/** Reads a fixture file. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

/** ffprobe's recorded view of a fixture. */
export interface Probe {
  programs: Array<{
    program_id: number;
    pmt_pid: number;
    pcr_pid: number;
    tags?: { service_name?: string; service_provider?: string };
    streams: ProbeStream[];
  }>;
  streams: ProbeStream[];
  packets: Array<{ stream_index: number; pts?: number; dts?: number; flags: string }>;
}

/** One ffprobe stream. */
export interface ProbeStream {
  index: number;
  id: string;
  codec_name: string;
  codec_type: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
}

/** Reads `<name>.ffprobe.json`. */
export function probe(name: string): Probe {
  return JSON.parse(readFileSync(new URL(`${name}.ffprobe.json`, FIXTURES), "utf8"));
}

/** Everything a run produced. */
export interface RunResult {
  demux: TsDemuxer;
  frames: Frame[];
  events: DemuxEvent[];
  asmEvents: FrameAssemblerEvent[];
  assembler: FrameAssembler;
}

/** Deterministic PRNG (mulberry32) so random chunking is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Demuxes `data` fed as chunks: a number = fixed size, a function = size generator.
 * Events keep only what is safe to hold (sections and PES payload views are dropped).
 */
export function run(
  data: Uint8Array,
  chunk: number | (() => number) = 1316,
  opts: { copyChunks?: boolean; time?: (offset: number) => number } = {},
): RunResult {
  const demux = new TsDemuxer();
  const frames: Frame[] = [];
  const events: DemuxEvent[] = [];
  const asmEvents: FrameAssemblerEvent[] = [];
  const assembler = new FrameAssembler({
    onFrame: (f) => frames.push(f),
    onEvent: (e) => asmEvents.push(e),
  });
  assembler.attach(demux);
  demux.on((e) => {
    if (e.type !== "section" && e.type !== "pes") events.push(e);
  });
  let off = 0;
  while (off < data.length) {
    const n = Math.max(1, typeof chunk === "number" ? chunk : chunk());
    const end = Math.min(data.length, off + n);
    const piece = opts.copyChunks ? data.slice(off, end) : data.subarray(off, end);
    demux.push(piece, opts.time ? opts.time(off) : off);
    off = end;
  }
  demux.flush();
  return { demux, frames, events, asmEvents, assembler };
}

/** Splits a 188-byte-packet file into packet copies. */
export function packets(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p + 188 <= data.length; p += 188) out.push(data.slice(p, p + 188));
  return out;
}

/** Joins packets back into one buffer. */
export function join(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** PID of a packet. */
export function pidOf(pkt: Uint8Array): number {
  return ((pkt[1] & 0x1f) << 8) | pkt[2];
}

/** True when the packet has a payload. */
export function hasPayload(pkt: Uint8Array): boolean {
  return (pkt[3] & 0x10) !== 0;
}

/** Builds packets carrying one section on `pid` (pointer_field 0, 0xFF stuffing). */
export function sectionPackets(pid: number, section: Uint8Array, cc0 = 0): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  let cc = cc0;
  while (p < section.length) {
    const pkt = new Uint8Array(188).fill(0xff);
    pkt[0] = 0x47;
    pkt[1] = (p === 0 ? 0x40 : 0) | (pid >> 8);
    pkt[2] = pid & 0xff;
    pkt[3] = 0x10 | (cc & 15);
    let o = 4;
    if (p === 0) pkt[o++] = 0;
    const n = Math.min(188 - o, section.length - p);
    pkt.set(section.subarray(p, p + n), o);
    p += n;
    cc++;
    out.push(pkt);
  }
  return out;
}

/** Appends a CRC_32 to section bytes whose section_length already counts it. */
export function withCrc(body: number[]): Uint8Array {
  const s = new Uint8Array(body.length + 4);
  s.set(body);
  const crc = crc32Mpeg2(s, 0, body.length);
  s[body.length] = crc >>> 24;
  s[body.length + 1] = (crc >>> 16) & 0xff;
  s[body.length + 2] = (crc >>> 8) & 0xff;
  s[body.length + 3] = crc & 0xff;
  return s;
}

/** Frames grouped by PID. */
export function byPid(frames: Frame[]): Map<number, Frame[]> {
  const m = new Map<number, Frame[]>();
  for (const f of frames) {
    let a = m.get(f.pid);
    if (!a) m.set(f.pid, a = []);
    a.push(f);
  }
  return m;
}
