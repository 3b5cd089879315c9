/**
 * MPEG-TS toolkit throughput on 1316-byte chunks (7 × 188, the SRT live payload), beside
 * mux.js 7.1.0 on the same input, stage for stage:
 *
 * - packets + PSI + PES: `TsDemuxer` beside mux.js's TransportPacketStream →
 *   TransportParseStream → ElementaryStream;
 * - frames: `TsDemuxer` + `FrameAssembler` (access units with keyframe flag and SPS
 *   parameters, ADTS frames with their PTS) beside the same mux.js stages → H264Stream (NAL
 *   units, SPS parsed) + AdtsStream (ADTS frames with their PTS), piped from the
 *   ElementaryStream as mux.js's Transmuxer pipes them (its timestamp-rollover, caption and
 *   MP4 stages left out).
 *
 * The two frame stages differ in one way: mux.js's H264Stream cuts every NAL unit out of
 * the video stream, while the FrameAssembler takes one PES as one access unit and scans its
 * NAL units only up to the first slice. A third tsrt row therefore also locates every NAL
 * unit of every access unit (`nextNalStart`), so that tsrt does at least mux.js's work.
 *
 * Input: tests/fixtures/av_h264_aac_3s.ts (H.264 + AAC, 716 kB) pushed again and again
 * into one long-lived pipeline per row, in 1316-byte subarrays prepared beforehand. Each
 * comparison runs in a fresh process of the same runtime holding just its two pipelines
 * (so neither library's code is trained by the other rows' pipelines, as in an application
 * with one pipeline), and the two take turns: each of `ROUNDS` rounds runs each pipeline for
 * `SAMPLE_MS`, and a speed-up is the median over rounds of the ratio measured within a
 * round, so that load from other processes, which moves from round to round, cancels out.
 *
 *   deno run -A bench/mpegts_bench.ts
 *   bun bench/mpegts_bench.ts
 *
 * mux.js is a bench-only dependency (in deno.json's import map and package.json's
 * devDependencies; `npm install --no-save mux.js@7.1.0` for Bun); when it is not installed
 * the peer figures are left out and a row says so.
 *
 * The heap rows read `process.memoryUsage().heapUsed` around single passes (the smallest
 * non-negative difference of several, so a pass during which the collector ran is not
 * counted): once over the whole file, and over continuation packets alone (packets of a PES
 * in progress, which emit nothing), in chunks that share one ArrayBuffer like the file's and
 * in chunks that each have their own, as SRT delivers them. They show that a transport
 * packet allocates nothing, a chunk in a new ArrayBuffer one word view (`Uint32Array`) for
 * the copy, and that the whole-file figure comes from the per-PES and per-frame objects.
 * They are left out under Bun, whose heapUsed does not count allocations as they happen.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { FrameAssembler, TsDemuxer } from "../mpegts/mod.ts";
import { nextNalStart } from "../mpegts/nal.ts";

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
const ROUNDS = 25;
const SAMPLE_MS = 40;

function chunks(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < data.length; p += CHUNK) {
    out.push(data.subarray(p, Math.min(data.length, p + CHUNK)));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Passes/second of `pass`, run for at least `ms`. */
function rate(pass: () => void, ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    pass();
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

/**
 * Runs the pipelines in turns, `rounds` times, after a warm-up.
 *
 * @returns passes/second per pipeline and round
 */
function measureRounds(passes: Array<() => void>, rounds: number, ms: number): number[][] {
  for (const pass of passes) for (let i = 0; i < 20; i++) pass();
  const out: number[][] = passes.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < passes.length; i++) out[i].push(rate(passes[i], ms));
  }
  return out;
}

/**
 * The smallest non-negative heapUsed difference over `tries` runs of `run`, less what
 * reading heapUsed itself allocates.
 */
function heapDelta(run: () => void, tries: number): number {
  const once = (f: () => void) => {
    let best = Infinity;
    for (let i = 0; i < tries; i++) {
      const before = process.memoryUsage().heapUsed;
      f();
      const d = process.memoryUsage().heapUsed - before;
      if (d >= 0 && d < best) best = d;
    }
    return best;
  };
  return Math.max(0, once(run) - once(() => {}));
}

/**
 * Whether heapUsed grows with each object allocated: V8's (Deno) does; JavaScriptCore's
 * (Bun) moves in whole blocks or only after a collection.
 */
function heapUsedCounts(): boolean {
  if (typeof (globalThis as { Deno?: unknown }).Deno === "undefined") return false;
  const keep: object[] = [];
  return heapDelta(() => {
    for (let i = 0; i < 1000; i++) keep.push({ i });
  }, 3) > 0;
}

interface MuxjsStream {
  push(data: unknown): void;
  flush(): void;
  pipe(dest: MuxjsStream): MuxjsStream;
  on(event: string, fn: (data: unknown) => void): void;
}

interface Muxjs {
  TransportPacketStream: new () => MuxjsStream;
  TransportParseStream: new () => MuxjsStream;
  ElementaryStream: new () => MuxjsStream;
  H264Stream: new () => MuxjsStream;
  AdtsStream: new () => MuxjsStream;
}

function loadMuxjs(): Muxjs | null {
  try {
    const require = createRequire(import.meta.url);
    const m2ts = require("mux.js/lib/m2ts/m2ts.js");
    return {
      TransportPacketStream: m2ts.TransportPacketStream,
      TransportParseStream: m2ts.TransportParseStream,
      ElementaryStream: m2ts.ElementaryStream,
      H264Stream: require("mux.js/lib/codecs/h264.js").H264Stream,
      AdtsStream: require("mux.js/lib/codecs/adts.js"),
    };
  } catch {
    return null;
  }
}

/**
 * Builds mux.js's demuxing pipeline up to PES packets, or, with `frames`, on to NAL units
 * and ADTS frames.
 *
 * @returns the stream to push chunks into
 */
function muxjsPipeline(mux: Muxjs, frames: boolean, count: () => void): MuxjsStream {
  const packet = new mux.TransportPacketStream();
  const elementary = new mux.ElementaryStream();
  packet.pipe(new mux.TransportParseStream()).pipe(elementary);
  if (!frames) {
    elementary.on("data", count);
    return packet;
  }
  const h264 = new mux.H264Stream();
  const adts = new mux.AdtsStream();
  elementary.pipe(h264);
  elementary.pipe(adts);
  h264.on("data", count);
  adts.on("data", count);
  return packet;
}

/**
 * Runs the benchmark.
 *
 * @returns result rows (throughput in Gbit/s, frames/s, speed-ups over mux.js, heap bytes)
 */
export async function benchMpegts(): Promise<MpegtsBenchResult[]> {
  await Promise.resolve();
  const data = new Uint8Array(readFileSync(FIXTURE));
  const parts = chunks(data);
  const bits = data.length * 8;
  const packets = data.length / 188;
  let t = 0;
  const feed = (d: TsDemuxer) => () => {
    for (let i = 0; i < parts.length; i++) d.push(parts[i], t++);
  };

  const full = runPairInChild("frames");
  const pes = runPairInChild("pes");
  const nal = runPairInChild("nals");
  const mux = full.peer !== null;
  const gbps = (passesPerSec: number) => (passesPerSec * bits) / 1e9;
  const speedUp = (p: PairResult) => median(p.ours.map((x, i) => x / (p.peer as number[])[i]));
  const peer = (p: PairResult, name: string) =>
    p.peer ? { peer: gbps(median(p.peer)), peerName: name } : {};
  const fullRate = median(full.ours);

  // Heap: whole passes, then continuation packets only (the video PES in progress at the
  // end of the file is never closed, because no packet with payload_unit_start_indicator
  // follows).
  const heapRows: MpegtsBenchResult[] = [];
  if (heapUsedCounts()) {
    const heapDemux = new TsDemuxer();
    new FrameAssembler({ onFrame: () => {} }).attach(heapDemux);
    const heapFull = feed(heapDemux);
    for (let i = 0; i < 5; i++) heapFull();
    heapRows.push({
      name: "JS heap allocated per TS packet, whole file (per-PES/frame objects)",
      value: heapDelta(heapFull, 15) / packets,
      unit: "bytes",
    });
    for (const shared of [true, false]) {
      const cont = continuationChunks(data, shared);
      const contPackets = cont.length * 7;
      heapRows.push({
        name: `JS heap allocated per continuation TS packet, ${
          shared ? "chunks in one buffer" : "one buffer per chunk"
        }`,
        value: heapDelta(() => {
          for (let i = 0; i < cont.length; i++) heapDemux.push(cont[i], t++);
        }, 15) / contPackets,
        unit: "bytes",
      });
    }
  }

  const rows: MpegtsBenchResult[] = [
    {
      name: "demux + PSI + PES + AU/audio frames, 1316-byte chunks",
      value: gbps(fullRate),
      unit: "Gbit/s",
      ...peer(full, MUXJS),
    },
    {
      name: "demux + PSI + PES (no frame assembly), 1316-byte chunks",
      value: gbps(median(pes.ours)),
      unit: "Gbit/s",
      ...peer(pes, `${MUXJS} (PES)`),
    },
    {
      name: "demux + PSI + PES + frames + every NAL unit located",
      value: gbps(median(nal.ours)),
      unit: "Gbit/s",
      ...peer(nal, MUXJS),
    },
    { name: "frames assembled", value: (fullRate * full.perPass) / 1e6, unit: "Mframes/s" },
    { name: "TS packets", value: (fullRate * packets) / 1e6, unit: "Mpackets/s" },
    ...heapRows,
  ];
  if (mux) {
    rows.push({
      name: `speed-up over ${MUXJS}, frames (+ H264Stream/AdtsStream)`,
      value: speedUp(full),
      unit: "x",
    });
    rows.push({
      name: `speed-up over ${MUXJS}, packets + PSI + PES`,
      value: speedUp(pes),
      unit: "x",
    });
    rows.push({
      name: `speed-up over ${MUXJS}, frames + every NAL unit located`,
      value: speedUp(nal),
      unit: "x",
    });
  } else {
    rows.push({
      name: `${MUXJS} not installed (npm install --no-save mux.js@7.1.0): no peer figures`,
      value: 0,
      unit: "-",
    });
  }
  return rows;
}

/** Which tsrt pipeline runs beside which mux.js one. */
type Pair = "frames" | "pes" | "nals";

/** Passes/second per round of one pair, and what tsrt's pipeline counted per pass. */
interface PairResult {
  ours: number[];
  peer: number[] | null;
  perPass: number;
}

/**
 * Runs one pair of pipelines in a fresh process of this runtime, so that neither library's
 * code has been trained by the other pipelines of the benchmark (one pipeline per process,
 * as in an application).
 */
function runPairInChild(pair: Pair): PairResult {
  const self = fileURLToPath(import.meta.url);
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  const args = isDeno ? ["run", "-A", self, "--pair", pair] : [self, "--pair", pair];
  const r = spawnSync(process.execPath, args, {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) {
    throw new Error(`mpegts bench child (${pair}) failed: ${r.error ?? r.stderr}`);
  }
  return JSON.parse(line) as PairResult;
}

/**
 * Measures one pair in this process: tsrt's pipeline and mux.js's counterpart, in turns.
 *
 * @param pair `frames`: demuxer + frame assembler beside mux.js up to H264Stream/AdtsStream;
 *   `pes`: demuxer alone beside mux.js up to ElementaryStream; `nals`: demuxer + frame
 *   assembler locating every NAL unit, beside mux.js up to H264Stream/AdtsStream
 */
function measurePair(pair: Pair): PairResult {
  const data = new Uint8Array(readFileSync(FIXTURE));
  const parts = chunks(data);
  let t = 0;
  let count = 0;
  const demux = new TsDemuxer();
  if (pair === "pes") {
    demux.on((ev) => {
      if (ev.type === "pes") count++;
    });
  } else if (pair === "frames") {
    new FrameAssembler({ onFrame: () => count++ }).attach(demux);
  } else {
    new FrameAssembler({
      onFrame: (f) => {
        if (f.kind !== "video") return;
        for (let p = nextNalStart(f.data, 0); p >= 0; p = nextNalStart(f.data, p)) count++;
      },
    }).attach(demux);
  }
  const ours = () => {
    for (let i = 0; i < parts.length; i++) demux.push(parts[i], t++);
  };
  ours();
  count = 0;
  ours();
  const perPass = count;
  const passes = [ours];
  const mux = loadMuxjs();
  if (mux) {
    let out = 0;
    const stream = muxjsPipeline(mux, pair !== "pes", () => out++);
    passes.push(() => {
      for (let i = 0; i < parts.length; i++) stream.push(parts[i]);
    });
  }
  const r = measureRounds(passes, ROUNDS, SAMPLE_MS);
  return { ours: r[0], peer: mux ? r[1] : null, perPass };
}

/**
 * 160 chunks of 7 continuation packets of the fixture's video PID (0x100): copies of one of
 * its packets without payload_unit_start_indicator or adaptation field, with continuity
 * counters running on from the file's last packet on that PID. Pushed after whole passes of
 * the file, they extend its last video PES; 1120 packets, a multiple of 16, so that the
 * chunks can be pushed again and again.
 *
 * @param shared views into one buffer (like the file's chunks), or one buffer per chunk
 */
function continuationChunks(data: Uint8Array, shared: boolean): Uint8Array[] {
  const pid = 0x100;
  let proto = -1;
  let lastCc = -1;
  for (let p = 0; p + 188 <= data.length; p += 188) {
    const b1 = data[p + 1];
    if ((((b1 & 0x1f) << 8) | data[p + 2]) !== pid) continue;
    lastCc = data[p + 3] & 15;
    if (proto < 0 && (b1 & 0x40) === 0 && (data[p + 3] & 0x30) === 0x10) proto = p;
  }
  const out: Uint8Array[] = [];
  const all = new Uint8Array(160 * CHUNK);
  let cc = lastCc;
  for (let c = 0; c < 160; c++) {
    const chunk = shared ? all.subarray(c * CHUNK, (c + 1) * CHUNK) : new Uint8Array(CHUNK);
    for (let k = 0; k < 7; k++) {
      chunk.set(data.subarray(proto, proto + 188), k * 188);
      cc = (cc + 1) & 15;
      chunk[k * 188 + 3] = (chunk[k * 188 + 3] & 0xf0) | cc;
    }
    out.push(chunk);
  }
  return out;
}

const pairArg = process.argv.indexOf("--pair");
if (import.meta.main && pairArg >= 0) {
  console.log(JSON.stringify(measurePair(process.argv[pairArg + 1] as Pair)));
} else if (import.meta.main) {
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
