/**
 * Stream server load: N concurrent MPEG-TS streams of R Mbit/s published into ONE tsrt
 * listener (`tsrt serve` in its own process), beside the same load into N srt-live-transmit
 * listeners (one process per stream, the usual way to serve many streams with it).
 *
 * Publishers (the same for both listener sides):
 *
 * - `--publishers tsrt` (default): tsrt callers, many per process (`bench/_server_publishers.ts`
 *   under Bun, `--pub-procs` processes, by default one per 100 streams), each sending the looped
 *   fixture itself. Light enough for 200 streams on 2 cores: no UDP generator hop, no process
 *   per stream.
 * - `--publishers slt`: one srt-live-transmit caller per stream, fed over UDP by this process
 *   from the looped fixture, paced in 5 ms ticks (a native sender, but N + 1 processes).
 *
 * For each N it reports, for the listener side: CPU (percent of one core, /proc utime+stime,
 * all processes summed), peak RSS (summed), payloads received versus sent, the SRT receiver's
 * drops (too late) and losses (gaps seen, most repaired by retransmission), and the kernel's
 * drops on its UDP sockets (receive queue full, /proc/net/udp); for the publisher side: its CPU,
 * RSS, and payloads it could not send on time. Received counts come from `/streams` for tsrt
 * and from srt-live-transmit's JSON stats (`-s:25 -f -pf:json`, `recv.packetsUnique`: complete
 * to within 25 payloads per stream) for libsrt.
 *
 * The machine is shared by publishers and listeners. Unpinned, the scheduler splits the CPU
 * by thread count: 200 srt-live-transmit processes (several threads each) take most of it and
 * starve the publishers, one `tsrt serve` gets a small share next to 8 publisher processes.
 * `--pin` (2+ CPUs) gives each side one CPU with `taskset`: publishers on CPU 0, the listener
 * side on CPU 1, so "what one core of listener does with this load" is what is measured.
 *
 * ```sh
 * bun bench/server_bench.ts --streams 100,200 --mbps 5 --secs 5 [--runtime deno|bun] [--pin]
 *   [--udp-rcvbuf BYTES]   (tsrt serve's udp_receive_buffer; Bun applies it, Deno cannot)
 *   [--publishers tsrt|slt] [--pub-procs K] [--no-slt] [--no-analyze]
 * ```
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
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
  publishers: "tsrt" | "slt";
  pubProcs?: number;
  /** Pin the publishers to CPU 0 and the listener side to CPU 1 (`taskset`). */
  pin: boolean;
  /** `udp_receive_buffer` for `tsrt serve` (bytes; applied under Bun, not Deno). */
  udpRcvbuf?: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    streams: [10, 25, 50],
    mbps: 5,
    secs: 10,
    runtime: "deno",
    slt: true,
    analyze: true,
    publishers: "tsrt",
    pin: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === "--streams") a.streams = argv[++i].split(",").map(Number);
    else if (k === "--mbps") a.mbps = Number(argv[++i]);
    else if (k === "--secs") a.secs = Number(argv[++i]);
    else if (k === "--runtime") a.runtime = argv[++i] as "deno" | "bun";
    else if (k === "--no-slt") a.slt = false;
    else if (k === "--no-analyze") a.analyze = false;
    else if (k === "--publishers") a.publishers = argv[++i] as "tsrt" | "slt";
    else if (k === "--pub-procs") a.pubProcs = Number(argv[++i]);
    else if (k === "--pin") a.pin = true;
    else if (k === "--udp-rcvbuf") a.udpRcvbuf = Number(argv[++i]);
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

/**
 * Spawns `cmd`, pinned to `cpu` with `taskset` when asked (taskset execs the command, so the
 * pid is the command's own).
 */
function spawnOn(
  cpu: number | undefined,
  cmd: string,
  argv: string[],
  opts: Parameters<typeof spawn>[2],
): ChildProcess {
  return cpu === undefined
    ? spawn(cmd, argv, opts)
    : spawn("taskset", ["-c", String(cpu), cmd, ...argv], opts);
}

/** Sums CPU seconds and RSS over processes. */
function usage(pids: number[]): { cpu: number; rssKb: number } {
  let cpu = 0;
  let rssKb = 0;
  for (const pid of pids) {
    const u = procUsage(pid);
    cpu += u.cpu;
    rssKb += u.rssKb;
  }
  return { cpu, rssKb };
}

/** Kernel receive-queue drops summed over every UDP socket the processes own (/proc/net/udp). */
function udpDrops(pids: number[]): number {
  const inodes = new Set<string>();
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
          if (m) inodes.add(m[1]);
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // exited
    }
  }
  let drops = 0;
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 13 && inodes.has(f[9])) drops += Number(f[12]);
    }
  }
  return drops;
}

/** Reads JSON lines from a child's stdout. */
class JsonLines {
  readonly items: Array<Record<string, unknown>> = [];
  #waiters = new Set<() => void>();
  constructor(p: ChildProcess) {
    let buf = "";
    p.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.items.push(JSON.parse(line));
        } catch {
          // not JSON
        }
        for (const w of [...this.#waiters]) w();
      }
    });
  }
  wait(
    match: (o: Record<string, unknown>) => boolean,
    ms: number,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timeout: ${JSON.stringify(this.items.slice(-3))}`));
      }, ms);
      const check = (): void => {
        const o = this.items.find(match);
        if (o) {
          clearTimeout(t);
          this.#waiters.delete(check);
          resolve(o);
        }
      };
      this.#waiters.add(check);
      check();
    });
  }
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

/** Where a publisher sends: an SRT port and, for `tsrt serve`, a stream ID. */
interface Target {
  port: number;
  streamid?: string;
}

/** The publishing side: started and connected, then driven for a number of seconds. */
interface Publishers {
  readonly label: string;
  pids(): number[];
  /** Sends for `secs`; returns payloads sent in total (all streams) and skipped. */
  run(
    secs: number,
  ): Promise<{ sent: number; skipped: number; scheduled: number; maxStallMs?: number }>;
  stop(): Promise<void>;
}

async function startTsrtPublishers(args: Args, targets: Target[]): Promise<Publishers> {
  const procs = Math.max(
    1,
    Math.min(targets.length, args.pubProcs ?? Math.ceil(targets.length / 25)),
  );
  const bun = runtimePath("bun");
  const children: Array<{ p: ChildProcess; lines: JsonLines; streams: number }> = [];
  for (let k = 0; k < procs; k++) {
    const mine = targets.filter((_, i) => i % procs === k);
    const p = spawnOn(args.pin ? 0 : undefined, bun, [
      join(ROOT, "bench/_server_publishers.ts"),
      JSON.stringify({ targets: mine, mbps: args.mbps, latency: 200 }),
    ], { stdio: ["pipe", "pipe", "inherit"] });
    children.push({ p, lines: new JsonLines(p), streams: mine.length });
  }
  await Promise.all(children.map((c) => c.lines.wait((o) => o.event === "ready", 90_000)));
  return {
    label: `tsrt callers (Bun, ${procs} process${procs > 1 ? "es" : ""})`,
    pids: () => children.map((c) => c.p.pid!),
    async run(secs) {
      for (const c of children) c.p.stdin!.write(JSON.stringify({ cmd: "go", secs }) + "\n");
      const done = await Promise.all(
        children.map((c) => c.lines.wait((o) => o.event === "done", secs * 1000 + 30_000)),
      );
      let sent = 0;
      let skipped = 0;
      let scheduled = 0;
      let maxStallMs = 0;
      done.forEach((d, i) => {
        maxStallMs = Math.max(maxStallMs, Number(d.maxGapMs));
        sent += Number(d.sent) * children[i].streams;
        skipped += Number(d.skipped) * children[i].streams;
        scheduled += Number(d.scheduled) * children[i].streams;
      });
      return { sent, skipped, scheduled, maxStallMs };
    },
    async stop() {
      // Ask first (the sockets close cleanly), then signal whatever is still running.
      await Promise.all(children.map((c) =>
        new Promise<void>((r) => {
          if (c.p.exitCode !== null) return r();
          const t = setTimeout(r, 3000);
          c.p.once("exit", () => {
            clearTimeout(t);
            r();
          });
          c.p.stdin!.on("error", () => {});
          c.p.stdin!.end(JSON.stringify({ cmd: "quit" }) + "\n");
        })
      ));
      await Promise.all(children.map((c) => stop(c.p)));
    },
  };
}

async function startSltPublishers(args: Args, slt: string, targets: Target[]): Promise<Publishers> {
  const inPorts = targets.map(() => nextPort());
  const pubs = targets.map((t, i) =>
    spawnOn(args.pin ? 0 : undefined, slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPorts[i]}`,
      `srt://127.0.0.1:${t.port}?latency=200` +
      (t.streamid ? `&streamid=${t.streamid}` : ""),
    ], { stdio: ["ignore", "pipe", "pipe"] })
  );
  await Promise.all(pubs.map((p) => waitOutput(p, /SRT target connected/, 30_000)));
  return {
    label: "srt-live-transmit callers fed over UDP",
    pids: () => pubs.map((p) => p.pid!).concat(process.pid),
    async run(secs) {
      const perStream = await feed(inPorts, args.mbps, secs);
      return {
        sent: perStream * targets.length,
        skipped: 0,
        scheduled: perStream * targets.length,
      };
    },
    async stop() {
      await Promise.all(pubs.map(stop));
    },
  };
}

function startPublishers(args: Args, slt: string, targets: Target[]): Promise<Publishers> {
  return args.publishers === "slt"
    ? startSltPublishers(args, slt, targets)
    : startTsrtPublishers(args, targets);
}

interface Row {
  target: string;
  publishers: string;
  streams: number;
  load: string;
  /** Listener side: CPU in % of one core, peak RSS in MB. */
  cpuPct: number;
  rssMb: number;
  pubCpuPct: number;
  pubRssMb: number;
  /** Payloads scheduled, sent and skipped by the publishers (all streams). */
  scheduled: number;
  sent: number;
  skipped: number;
  /** Longest gap between two pacing ticks of a publisher process, ms (tsrt publishers). */
  pubMaxStallMs?: number;
  /** Payloads the listener side received (delivered to the application). */
  received: number;
  receivedPct: number;
  /** SRT receiver: dropped as too late; losses detected (most repaired). */
  drops: number;
  losses: number;
  /** Kernel receive-queue drops on the listener side's UDP sockets. */
  kernelDrops: number;
}

/** Runs the publishers against listener processes `pids`; CPU and RSS sampled around it. */
async function measure(
  args: Args,
  pubs: Publishers,
  pids: number[],
): Promise<
  Pick<
    Row,
    | "cpuPct"
    | "rssMb"
    | "pubCpuPct"
    | "pubRssMb"
    | "scheduled"
    | "sent"
    | "skipped"
    | "pubMaxStallMs"
    | "kernelDrops"
  >
> {
  const pp = pubs.pids();
  const u0 = usage(pids);
  const p0 = usage(pp);
  const k0 = udpDrops(pids);
  const t0 = performance.now();
  let peakRss = 0;
  let peakPubRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, usage(pids).rssKb);
    peakPubRss = Math.max(peakPubRss, usage(pp).rssKb);
  }, 500);
  const r = await pubs.run(args.secs);
  await new Promise((r) => setTimeout(r, 600)); // latency window (200 ms) + tail
  const u1 = usage(pids);
  const p1 = usage(pp);
  const wall = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const pct = (c: number): number => Math.round((c / wall) * 1000) / 10;
  const mb = (kb: number): number => Math.round(kb / 102.4) / 10;
  return {
    cpuPct: pct(u1.cpu - u0.cpu),
    rssMb: mb(peakRss),
    pubCpuPct: pct(p1.cpu - p0.cpu),
    pubRssMb: mb(peakPubRss),
    scheduled: r.scheduled,
    sent: r.sent,
    skipped: r.skipped,
    pubMaxStallMs: r.maxStallMs === undefined ? undefined : Math.round(r.maxStallMs),
    kernelDrops: udpDrops(pids) - k0,
  };
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(" ");

async function benchTsrt(args: Args, n: number, slt: string, dir: string): Promise<Row> {
  const l0 = load();
  const port = nextPort();
  const config = join(dir, `serve_${n}.yaml`);
  writeFileSync(
    config,
    `srt:
  port: ${port}
  host: 127.0.0.1
  latency: 200ms
${args.udpRcvbuf ? `  udp_receive_buffer: ${args.udpRcvbuf}\n` : ""}streams:
  analyze: ${args.analyze}
limits: { max_connections: ${n + 10}, max_connections_per_ip: ${n + 10} }
metrics: { port: 0 }
`,
  );
  const rt = runtimePath(args.runtime);
  const serveArgs = args.runtime === "deno"
    ? ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "cli/serve.ts")]
    : [join(ROOT, "cli/serve.ts")];
  const server = spawnOn(args.pin ? 1 : undefined, rt, [...serveArgs, "--config", config, "-q"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let pubs: Publishers | undefined;
  try {
    // One wait for both lines: they may arrive in one chunk.
    const [, mport] = await waitOutput(
      server,
      /listening on[^]*metrics on http:\/\/127\.0\.0\.1:(\d+)/,
      20_000,
    );
    const targets = Array.from({ length: n }, (_, i) => ({
      port,
      streamid: `#!::r=bench/s${i},m=publish`,
    }));
    pubs = await startPublishers(args, slt, targets);
    // Wait until every publisher is attached.
    for (let t = 0; t < 400; t++) {
      const snap = await (await fetch(`http://127.0.0.1:${mport}/streams`)).json();
      if (snap.streams.length === n) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const m = await measure(args, pubs, [server.pid!]);
    const snap = await (await fetch(`http://127.0.0.1:${mport}/streams`)).json();
    let received = 0;
    let drops = 0;
    let losses = 0;
    for (const s of snap.streams) {
      received += s.receivedPayloads;
      drops += s.publisher?.stats.pktRcvDropTotal ?? 0;
      losses += s.publisher?.stats.pktRcvLossTotal ?? 0;
    }
    return {
      target: `tsrt serve (${args.runtime}${args.analyze ? ", analyze" : ""})`,
      publishers: pubs.label,
      streams: n,
      load: l0,
      ...m,
      received,
      receivedPct: Math.round((received / m.sent) * 10000) / 100,
      drops,
      losses,
    };
  } finally {
    await pubs?.stop();
    await stop(server);
  }
}

async function benchSlt(args: Args, n: number, slt: string, dir: string): Promise<Row> {
  const l0 = load();
  const listenPorts = Array.from({ length: n }, () => nextPort());
  const statsFiles = listenPorts.map((p) => join(dir, `slt_${p}.json`));
  // Output to stdout, which is /dev/null: like `tsrt serve` with no players, nothing is
  // forwarded; -s:25 -f -pf:json writes cumulative counters every 25 payloads.
  const listeners = listenPorts.map((p, i) =>
    spawnOn(args.pin ? 1 : undefined, slt, [
      "-a:no",
      "-v",
      "-s:25",
      "-f",
      "-pf:json",
      `-statsout:${statsFiles[i]}`,
      `srt://127.0.0.1:${p}?mode=listener&latency=200`,
      "file://con",
    ], { stdio: ["ignore", "ignore", "pipe"] })
  );
  let pubs: Publishers | undefined;
  try {
    await Promise.all(listeners.map((l) => waitOutput(l, / listen\.\.\./, 30_000)));
    pubs = await startPublishers(args, slt, listenPorts.map((port) => ({ port })));
    const m = await measure(args, pubs, listeners.map((l) => l.pid!));
    let received = 0;
    let drops = 0;
    let losses = 0;
    for (const f of statsFiles) {
      let last: { recv?: Record<string, number> } = {};
      try {
        const lines = readFileSync(f, "utf8").trim().split("\n");
        for (let j = lines.length - 1; j >= 0; j--) {
          try {
            last = JSON.parse(lines[j]);
            break;
          } catch {
            // a partial last line
          }
        }
      } catch {
        // no stats: nothing received
      }
      received += last.recv?.packetsUnique ?? 0;
      drops += last.recv?.packetsDropped ?? 0;
      losses += last.recv?.packetsLost ?? 0;
    }
    return {
      target: `srt-live-transmit x ${n}`,
      publishers: pubs.label,
      streams: n,
      load: l0,
      ...m,
      received,
      receivedPct: Math.round((received / m.sent) * 10000) / 100,
      drops,
      losses,
    };
  } finally {
    await pubs?.stop();
    await Promise.all(listeners.map(stop));
  }
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
        rows.push(await benchSlt(args, n, slt, dir));
        console.error(JSON.stringify(rows.at(-1)));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Aggregate payload rate over the sending phase.
  const mbit = (payloads: number): number =>
    Math.round((payloads * 1316 * 8) / args.secs / 1e5) / 10;
  console.log(
    `\n${args.mbps} Mbit/s per stream, ${args.secs} s, latency 200 ms; CPU in % of one core ` +
      `(${args.runtime} for tsrt serve); received = payloads delivered ÷ payloads sent` +
      (args.pin ? "; publishers pinned to CPU 0, listener side to CPU 1" : "") + "\n",
  );
  console.log(
    "| listener | streams | load avg | CPU % | RSS MB | sent Mbit/s | received % | " +
      "delivered Mbit/s | SRT drops | SRT losses | " +
      "kernel drops | publishers | pub CPU % | pub RSS MB | not sent on time | pub max stall ms |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.target} | ${r.streams} | ${r.load} | ${r.cpuPct} | ${r.rssMb} | ${mbit(r.sent)} | ` +
        `${r.receivedPct} | ${mbit(r.received)} | ` +
        `${r.drops} | ${r.losses} | ${r.kernelDrops} | ${r.publishers} | ${r.pubCpuPct} | ` +
        `${r.pubRssMb} | ${(Math.round((r.skipped / r.scheduled) * 10000) / 100)} % | ${
          r.pubMaxStallMs ?? "-"
        } |`,
    );
  }
}

if (import.meta.main) await main();
