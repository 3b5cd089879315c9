/**
 * Many live publishers in ONE process for `bench/server_bench.ts`: tsrt callers, each sending
 * the looped MPEG-TS fixture at a fixed rate, so that 100-200 streams do not need 100-200
 * processes plus a UDP generator on a small machine. Runs under Bun or Deno.
 *
 * ```sh
 * bun bench/_server_publishers.ts '{"targets":[{"port":30000,"streamid":"#!::r=a,m=publish"}],
 *   "mbps":5,"latency":200}'
 * ```
 *
 * Protocol (JSON lines): prints `{"event":"ready","connected":N}` once every caller is up; then
 * reads `{"cmd":"go","secs":S}` on stdin, sends for S seconds and prints `{"event":"done",...}`
 * with the payloads sent per stream, what the schedule asked for, and the summed sender
 * counters; `{"cmd":"quit"}` closes everything and exits.
 *
 * Pacing is live-like: every 5 ms tick sends what is due, but a publisher that fell more than
 * 50 ms behind (its process was off the CPU) skips the excess instead of bursting it, the way a
 * live encoder cannot send the past. The skipped payloads are reported (`skipped`), so a
 * publisher side that cannot keep up shows as such and not as server loss.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import { connect, type SrtSocket } from "../mod.ts";

interface Config {
  targets: Array<{ port: number; streamid?: string }>;
  mbps: number;
  latency: number;
}

const PAYLOAD = 1316;
const TICK_MS = 5;
const MAX_BEHIND_MS = 50;

const FIXTURE = readFileSync(new URL("../tests/fixtures/av_h264_aac_3s.ts", import.meta.url));
const CHUNKS: Uint8Array[] = [];
for (let o = 0; o + PAYLOAD <= FIXTURE.length; o += PAYLOAD) {
  CHUNKS.push(new Uint8Array(FIXTURE.subarray(o, o + PAYLOAD)));
}

function out(o: Record<string, unknown>): void {
  console.log(JSON.stringify(o));
}

const cfg = JSON.parse(process.argv[2]) as Config;
const sockets: SrtSocket[] = [];
// Connect in small batches: 200 simultaneous handshakes on a loaded machine time out.
for (let i = 0; i < cfg.targets.length; i += 20) {
  const batch = cfg.targets.slice(i, i + 20).map(({ port, streamid }) =>
    connect(
      `srt://127.0.0.1:${port}?latency=${cfg.latency}&conntimeo=10000` +
        (streamid ? `&streamid=${encodeURIComponent(streamid)}` : ""),
    )
  );
  sockets.push(...await Promise.all(batch));
}
out({ event: "ready", connected: sockets.length });

async function run(secs: number): Promise<void> {
  const pps = (cfg.mbps * 1e6) / (PAYLOAD * 8);
  const total = Math.floor(pps * secs);
  const t0 = performance.now();
  let sent = 0; // payloads sent per stream (the same count for every stream)
  let skipped = 0;
  let busyMs = 0; // time in the send loop
  let maxGapMs = 0; // longest time between two ticks: how far the process fell behind
  let last = performance.now();
  while (sent + skipped < total) {
    const b0 = performance.now();
    maxGapMs = Math.max(maxGapMs, b0 - last);
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * pps));
    const floor = due - Math.ceil((MAX_BEHIND_MS / 1000) * pps);
    if (sent + skipped < floor) skipped = floor - sent;
    for (; sent + skipped < due; sent++) {
      const chunk = CHUNKS[(sent + skipped) % CHUNKS.length];
      for (const s of sockets) s.send(chunk);
    }
    last = performance.now();
    busyMs += last - b0;
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const wall = (performance.now() - t0) / 1000;
  const sum: Record<string, number> = {
    pktSentTotal: 0,
    pktSndLossTotal: 0,
    pktRetransTotal: 0,
    pktSndDropTotal: 0,
  };
  for (const s of sockets) {
    const st = s.stats() as unknown as Record<string, number>;
    for (const k of Object.keys(sum)) sum[k] += st[k] ?? 0;
  }
  out({
    event: "done",
    streams: sockets.length,
    sent,
    skipped,
    scheduled: total,
    wall,
    busyMs,
    maxGapMs,
    ...sum,
  });
}

for await (const line of createInterface({ input: process.stdin })) {
  const msg = JSON.parse(line) as { cmd: string; secs?: number };
  if (msg.cmd === "go") await run(msg.secs ?? 5);
  else if (msg.cmd === "quit") break;
}
await Promise.allSettled(sockets.map((s) => s.close()));
process.exit(0);
