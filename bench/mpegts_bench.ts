/**
 * MPEG-TS toolkit throughput: packets + PSI + PES + access-unit/audio-frame assembly on
 * 1316-byte chunks (7 × 188, the SRT live payload), beside mux.js 7.1.0 on the same input
 * (TransportPacketStream → TransportParseStream → ElementaryStream, which stops at PES
 * packets: no access units, no audio frames).
 *
 * Input: tests/fixtures/av_h264_aac_3s.ts (H.264 + AAC, 716 kB) pushed again and again
 * into one long-lived pipeline per library, in 1316-byte subarrays prepared beforehand.
 *
 *   deno run -A bench/mpegts_bench.ts
 *   bun bench/mpegts_bench.ts
 *
 * mux.js is a bench-only dependency (`npm install --no-save mux.js@7.1.0`); when it is not
 * installed the peer column is left out and a note says so.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { FrameAssembler, TsDemuxer } from "../mpegts/mod.ts";

/** One benchmark result row. */
export interface MpegtsBenchResult {
  /** What was measured. */
  name: string;
  /** The measured value. */
  value: number;
  /** Unit of `value`. */
  unit: string;
  /** The same measurement for the peer library, when available. */
  peer?: number;
  /** Name of the peer library. */
  peerName?: string;
}

const CHUNK = 1316;
const FIXTURE = new URL("../tests/fixtures/av_h264_aac_3s.ts", import.meta.url);
const MUXJS = "mux.js 7.1.0";

function chunks(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < data.length; p += CHUNK) {
    out.push(data.subarray(p, Math.min(data.length, p + CHUNK)));
  }
  return out;
}

/** Median over `samples` of passes/second, each sample running at least `ms`. */
function measure(pass: () => void, samples: number, ms: number): number {
  for (let i = 0; i < 3; i++) pass();
  const rates: number[] = [];
  for (let s = 0; s < samples; s++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      pass();
      n++;
      now = performance.now();
    }
    rates.push((n * 1000) / (now - start));
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1];
}

interface MuxjsM2ts {
  TransportPacketStream: new () => MuxjsStream;
  TransportParseStream: new () => MuxjsStream;
  ElementaryStream: new () => MuxjsStream;
}

interface MuxjsStream {
  push(data: unknown): void;
  flush(): void;
  pipe(dest: MuxjsStream): MuxjsStream;
  on(event: string, fn: (data: unknown) => void): void;
}

function loadMuxjs(): MuxjsM2ts | null {
  try {
    const require = createRequire(import.meta.url);
    return require("mux.js/lib/m2ts/m2ts.js") as MuxjsM2ts;
  } catch {
    return null;
  }
}

/**
 * Runs the benchmark.
 *
 * @returns result rows (throughput in Gbit/s, frames/s, speed-up over mux.js)
 */
export async function benchMpegts(): Promise<MpegtsBenchResult[]> {
  await Promise.resolve();
  const data = new Uint8Array(readFileSync(FIXTURE));
  const parts = chunks(data);
  const bits = data.length * 8;
  // Steady state: one pipeline per library is fed the file over and over, like a looping
  // live source (set-up cost is not part of the figure).
  let frames = 0;
  let pesCount = 0;
  const fullDemux = new TsDemuxer();
  new FrameAssembler({ onFrame: () => frames++ }).attach(fullDemux);
  let t = 0;
  const full = () => {
    for (let i = 0; i < parts.length; i++) fullDemux.push(parts[i], t++);
  };
  const pesDemux = new TsDemuxer();
  pesDemux.on((ev) => {
    if (ev.type === "pes") pesCount++;
  });
  const pesOnly = () => {
    for (let i = 0; i < parts.length; i++) pesDemux.push(parts[i], t++);
  };

  full();
  frames = 0;
  full();
  const framesPerPass = frames;
  const fullRate = measure(full, 5, 150);
  const pesRate = measure(pesOnly, 5, 150);

  const mux = loadMuxjs();
  let muxRate: number | undefined;
  let muxPes = 0;
  if (mux) {
    const packet = new mux.TransportPacketStream();
    const parse = new mux.TransportParseStream();
    const elementary = new mux.ElementaryStream();
    packet.pipe(parse).pipe(elementary);
    elementary.on("data", (d) => {
      if ((d as { type?: string }).type !== "metadata") muxPes++;
    });
    const muxPass = () => {
      for (let i = 0; i < parts.length; i++) packet.push(parts[i]);
    };
    muxRate = measure(muxPass, 5, 150);
  }

  const gbps = (passesPerSec: number) => (passesPerSec * bits) / 1e9;
  const rows: MpegtsBenchResult[] = [
    {
      name: "demux + PSI + PES + AU/audio frames, 1316-byte chunks",
      value: gbps(fullRate),
      unit: "Gbit/s",
      ...(muxRate !== undefined ? { peer: gbps(muxRate), peerName: MUXJS } : {}),
    },
    {
      name: "demux + PSI + PES (no frame assembly), 1316-byte chunks",
      value: gbps(pesRate),
      unit: "Gbit/s",
      ...(muxRate !== undefined ? { peer: gbps(muxRate), peerName: MUXJS } : {}),
    },
    {
      name: "frames assembled",
      value: (fullRate * framesPerPass) / 1e6,
      unit: "Mframes/s",
    },
    {
      name: "TS packets",
      value: (fullRate * (data.length / 188)) / 1e6,
      unit: "Mpackets/s",
    },
  ];
  if (muxRate !== undefined) {
    rows.push({
      name: `speed-up over ${MUXJS}, same stages (packets + PSI + PES)`,
      value: pesRate / muxRate,
      unit: "x",
    });
    rows.push({
      name: `speed-up over ${MUXJS}, ours also assembling AUs/audio frames`,
      value: fullRate / muxRate,
      unit: "x",
    });
  } else {
    rows.push({
      name: `${MUXJS} not installed (npm install --no-save mux.js@7.1.0): no peer figures`,
      value: 0,
      unit: "-",
    });
  }
  void pesCount;
  void muxPes;
  return rows;
}

if (import.meta.main) {
  const rows = await benchMpegts();
  const fmt = (v: number | undefined) => (v === undefined ? "" : v.toFixed(2));
  console.log(
    "benchmark".padEnd(66) + "value".padStart(10) + "  unit".padEnd(12) + "peer".padStart(10) +
      "  peer name",
  );
  for (const r of rows) {
    console.log(
      r.name.padEnd(66) + fmt(r.value).padStart(10) + ("  " + r.unit).padEnd(12) +
        fmt(r.peer).padStart(10) + "  " + (r.peerName ?? ""),
    );
  }
}
