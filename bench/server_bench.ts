/**
 * Stream server load: N concurrent MPEG-TS streams of R Mbit/s published into ONE tsrt
 * listener (`tsrt serve` in its own process), beside the same load into N srt-live-transmit
 * listeners (one process per stream, the usual way to serve many streams with it).
 *
 * Publishers are srt-live-transmit callers (native, so the generator side stays light), fed
 * over UDP by this process from the looped fixture, paced in 5 ms ticks. For each N it reports
 * the listener side's CPU (percent of one core, from /proc utime+stime) and peak RSS, and for
 * tsrt the payloads received versus sent, the SRT drops and losses (from /streams).
 *
 * ```sh
 * bun bench/server_bench.ts --streams 10,25,50 --mbps 5 --secs 10 [--runtime deno|bun] [--no-slt]
 * ```
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { openUdp } from "../net/udp.ts";

interface Args {
  streams: number[];
  mbps: number;
  secs: number;
  runtime: "deno" | "bun";
  slt: boolean;
  analyze: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    streams: [10, 25, 50],
    mbps: 5,
    secs: 10,
    runtime: "deno",
    slt: true,
    analyze: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === "--streams") a.streams = argv[++i].split(",").map(Number);
    else if (k === "--mbps") a.mbps = Number(argv[++i]);
    else if (k === "--secs") a.secs = Number(argv[++i]);
    else if (k === "--runtime") a.runtime = argv[++i] as "deno" | "bun";
    else if (k === "--no-slt") a.slt = false;
    else if (k === "--no-analyze") a.analyze = false;
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

const ROOT = new URL("..", import.meta.url).pathname;
const FIXTURE = readFileSync(join(ROOT, "tests/fixtures/av_h264_aac_3s.ts"));
const CHUNKS: Uint8Array[] = [];
for (let o = 0; o + 1316 <= FIXTURE.length; o += 1316) CHUNKS.push(FIXTURE.subarray(o, o + 1316));

function which(name: string): string {
  for (const d of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/usr/local/bin"])) {
    try {
      readFileSync(join(d, name), { flag: "r" }).length;
      return join(d, name);
    } catch {
      // next
    }
  }
  throw new Error(`${name} not found`);
}

function runtimePath(rt: "deno" | "bun"): string {
  const local = join("/tmp/rt/node_modules/.bin", rt);
  try {
    readFileSync(local).length;
    return local;
  } catch {
    return which(rt);
  }
}

/** CPU seconds (user + system) and RSS (kB) of a process from /proc. */
function procUsage(pid: number): { cpu: number; rssKb: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(f[11]) + Number(f[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpu: ticks / 100, rssKb: rss };
  } catch {
    return { cpu: 0, rssKb: 0 };
  }
}

function waitOutput(p: ChildProcess, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${re}: ${out}`)), ms);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = out.match(re);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    };
    p.stderr?.on("data", on);
    p.stdout?.on("data", on);
  });
}

function stop(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once("exit", () => r());
    process.kill(p.pid!, "SIGINT");
    setTimeout(() => p.exitCode === null && p.kill("SIGKILL"), 5000);
  });
}

let portBase = 20000 + Math.floor(Math.random() * 20000);
function nextPort(): number {
  return portBase++;
}

/** Feeds `n` UDP ports at `mbps` each for `secs`; returns datagrams sent per port. */
async function feed(ports: number[], mbps: number, secs: number): Promise<number> {
  const udp = await openUdp({ hostname: "127.0.0.1", port: 0, onMessage: () => {} });
  const perSecond = (mbps * 1e6) / 8 / 1316;
  const start = performance.now();
  let sent = 0;
  const total = Math.floor(perSecond * secs);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * perSecond));
    for (; sent < due; sent++) {
      const c = CHUNKS[sent % CHUNKS.length];
      for (const port of ports) udp.send(c, { hostname: "127.0.0.1", port });
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await udp.close();
  return sent;
}

interface Row {
  target: string;
  streams: number;
  cpuPct: number;
  rssMb: number;
  sentPerStream: number;
  receivedPct?: number;
  drops?: number;
  losses?: number;
}

async function benchTsrt(args: Args, n: number, slt: string, dir: string): Promise<Row> {
  const port = nextPort();
  const config = join(dir, `serve_${n}.yaml`);
  writeFileSync(
    config,
    `srt:
  port: ${port}
  host: 127.0.0.1
  latency: 200ms
streams:
  analyze: ${args.analyze}
metrics: { port: 0 }
`,
  );
  const rt = runtimePath(args.runtime);
  const serveArgs = args.runtime === "deno"
    ? ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "cli/serve.ts")]
    : [join(ROOT, "cli/serve.ts")];
  const server = spawn(rt, [...serveArgs, "--config", config, "-q"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  // One wait for both lines: they may arrive in one chunk.
  const [, mport] = await waitOutput(
    server,
    /listening on[^]*metrics on http:\/\/127\.0\.0\.1:(\d+)/,
    20_000,
  );
  const inPorts = Array.from({ length: n }, () => nextPort());
  const pubs = inPorts.map((inPort, i) =>
    spawn(slt, [
      "-a:no",
      "-q",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${port}?streamid=#!::r=bench/s${i},m=publish&latency=200`,
    ], { stdio: "ignore" })
  );
  // Wait until every publisher is attached.
  for (let t = 0; t < 200; t++) {
    const snap = await (await fetch(`http://127.0.0.1:${mport}/streams`)).json();
    if (snap.streams.length === n) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const u0 = procUsage(server.pid!);
  const t0 = performance.now();
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, procUsage(server.pid!).rssKb);
  }, 250);
  const sent = await feed(inPorts, args.mbps, args.secs);
  await new Promise((r) => setTimeout(r, 500)); // latency window + tail
  const u1 = procUsage(server.pid!);
  const wall = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const snap = await (await fetch(`http://127.0.0.1:${mport}/streams`)).json();
  let received = 0;
  let drops = 0;
  let losses = 0;
  for (const s of snap.streams) {
    received += s.receivedPayloads;
    drops += s.publisher?.stats.pktRcvDropTotal ?? 0;
    losses += s.publisher?.stats.pktRcvLossTotal ?? 0;
  }
  await Promise.all(pubs.map(stop));
  await stop(server);
  return {
    target: `tsrt serve (${args.runtime}${args.analyze ? ", analyze" : ""})`,
    streams: n,
    cpuPct: Math.round(((u1.cpu - u0.cpu) / wall) * 1000) / 10,
    rssMb: Math.round(peakRss / 102.4) / 10,
    sentPerStream: sent,
    receivedPct: Math.round((received / (sent * n)) * 10000) / 100,
    drops,
    losses,
  };
}

async function benchSlt(args: Args, n: number, slt: string): Promise<Row> {
  const sink = nextPort();
  const listenPorts = Array.from({ length: n }, () => nextPort());
  const listeners = listenPorts.map((p) =>
    spawn(slt, [
      "-a:no",
      "-v",
      `srt://127.0.0.1:${p}?mode=listener&latency=200`,
      `udp://127.0.0.1:${sink}`,
    ], {
      stdio: ["ignore", "pipe", "pipe"],
    })
  );
  await Promise.all(listeners.map((l) => waitOutput(l, / listen\.\.\./, 10_000)));
  const inPorts = Array.from({ length: n }, () => nextPort());
  const pubs = inPorts.map((inPort, i) =>
    spawn(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${listenPorts[i]}?latency=200`,
    ], {
      stdio: ["ignore", "pipe", "pipe"],
    })
  );
  await Promise.all(pubs.map((p) => waitOutput(p, /SRT target connected/, 10_000)));
  const use = () =>
    listeners.map((l) => procUsage(l.pid!)).reduce((a, b) => ({
      cpu: a.cpu + b.cpu,
      rssKb: a.rssKb + b.rssKb,
    }));
  const u0 = use();
  const t0 = performance.now();
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, use().rssKb);
  }, 250);
  const sent = await feed(inPorts, args.mbps, args.secs);
  await new Promise((r) => setTimeout(r, 500));
  const u1 = use();
  const wall = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await Promise.all(pubs.map(stop));
  await Promise.all(listeners.map(stop));
  return {
    target: "srt-live-transmit x N",
    streams: n,
    cpuPct: Math.round(((u1.cpu - u0.cpu) / wall) * 1000) / 10,
    rssMb: Math.round(peakRss / 102.4) / 10,
    sentPerStream: sent,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const slt = which("srt-live-transmit");
  const dir = mkdtempSync(join(tmpdir(), "tsrt-server-bench-"));
  const rows: Row[] = [];
  try {
    for (const n of args.streams) {
      rows.push(await benchTsrt(args, n, slt, dir));
      console.error(JSON.stringify(rows.at(-1)));
      if (args.slt) {
        rows.push(await benchSlt(args, n, slt));
        console.error(JSON.stringify(rows.at(-1)));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\n${args.mbps} Mbit/s per stream, ${args.secs} s, latency 200 ms, publishers: ` +
      `srt-live-transmit callers; CPU in % of one core (${args.runtime} for tsrt)\n`,
  );
  console.log("| listener | streams | CPU % | RSS MB | received % | SRT drops | SRT losses |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.target} | ${r.streams} | ${r.cpuPct} | ${r.rssMb} | ${r.receivedPct ?? "-"} | ` +
        `${r.drops ?? "-"} | ${r.losses ?? "-"} |`,
    );
  }
}

if (import.meta.main) await main();
