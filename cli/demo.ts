/**
 * `deno task demo`: a self-contained loopback run. The committed MPEG-TS fixture, looped,
 * goes from a tsrt caller through a seeded lossy relay (loss and delay each way) to a tsrt
 * listener, paced at its real bitrate by its PCR. A live status line shows both ends while it
 * runs; at the end the output is proven identical to the input (byte count and SHA-256).
 *
 * ```sh
 * deno task demo --loss 5 --delay 30 --seed 7 --loops 2
 * bun cli/demo.ts
 * ```
 *
 * @module
 */

import { seamlessLoop } from "./_seamless_loop.ts";
import { KmState } from "../crypto/km_state.ts";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import process from "node:process";
import { startLossyRelay } from "../net/lossy_relay.ts";
import { openUdp } from "../net/udp.ts";
import type { SrtSocket } from "../net/srt_socket.ts";
import type { SrtStats } from "../srt/stats.ts";
import { createLog } from "./_log.ts";
import type { Sink, Source } from "./media_io.ts";
import { parseMediaUri } from "./media_uri.ts";
import { DEFAULT_CHUNK, Relay } from "./relay.ts";
import { formatBytes } from "./status_line.ts";
import { describeStream, TsAnalyzer } from "./ts_analyzer.ts";

const FIXTURE_URL = new URL("../tests/fixtures/av_h264_aac_3s.ts", import.meta.url);
const FIXTURE_SECONDS = 3;

/** Demo settings. */
export interface DemoOptions {
  /** Times the fixture is repeated. */
  loops: number;
  /** Loss probability in percent, each way. */
  lossPercent: number;
  /** One-way delay in ms. */
  delayMs: number;
  /** Seed of the relay's decisions. */
  seed: number;
  /** SRT latency in ms; default max(200, 4 x RTT). */
  latencyMs: number | undefined;
}

const DEMO_HELP = `Usage: deno task demo [options]   (or: bun cli/demo.ts [options])

Streams tests/fixtures/av_h264_aac_3s.ts, AES-128 encrypted, through a tsrt caller -> seeded lossy UDP relay ->
tsrt listener on 127.0.0.1, paced by its PCR, and proves the output identical to the input.

Options:
  --loops <n>      times the 3 s fixture is repeated (default 4, about 12 s)
  --loss <pct>     datagram loss in percent, each way (default 2)
  --delay <ms>     one-way delay in ms, each way (default 20)
  --seed <n>       seed of the relay's random decisions (default 1)
  --latency <ms>   SRT latency (default max(200, 4 x RTT))
  -h, --help       show this help
`;

/**
 * Parses the demo's arguments.
 *
 * @param argv the arguments
 * @returns the options, or "help"
 * @throws {TypeError} for a bad option
 */
export function parseDemoArgs(argv: readonly string[]): DemoOptions | "help" {
  const o: DemoOptions = { loops: 4, lossPercent: 2, delayMs: 20, seed: 1, latencyMs: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") continue;
    if (a === "-h" || a === "--help") return "help";
    const m = /^--?(loops|loss|delay|seed|latency)(?:=(.*))?$/.exec(a);
    if (!m) throw new TypeError(`unknown option "${a}"`);
    const text = m[2] ?? argv[++i];
    const n = Number(text);
    if (text === undefined || text.trim() === "" || !Number.isFinite(n) || n < 0) {
      throw new TypeError(`option --${m[1]}: expected a non-negative number, got "${text}"`);
    }
    if (m[1] === "loops") {
      if (!Number.isInteger(n) || n < 1) throw new TypeError("--loops must be an integer >= 1");
      o.loops = n;
    } else if (m[1] === "loss") {
      if (n > 50) throw new TypeError("--loss must be at most 50 (percent)");
      o.lossPercent = n;
    } else if (m[1] === "delay") o.delayMs = n;
    else if (m[1] === "seed") o.seed = Math.floor(n);
    else o.latencyMs = Math.round(n);
  }
  return o;
}

async function freeLoopbackPort(): Promise<number> {
  const s = await openUdp({ hostname: "127.0.0.1", port: 0, onMessage: () => {} });
  const { port } = s.localAddress;
  await s.close();
  return port;
}

function memorySource(data: Uint8Array, chunk: number): Source {
  return {
    label: "fixture",
    failure: undefined,
    async *chunks() {
      for (let off = 0; off < data.length; off += chunk) {
        yield data.subarray(off, Math.min(off + chunk, data.length));
      }
    },
    close: () => Promise.resolve(),
  };
}

interface CheckingSink extends Sink {
  bytes: number;
  digest(): string;
}

function checkingSink(analyzer: TsAnalyzer): CheckingSink {
  const hash = createHash("sha256");
  const sink: CheckingSink = {
    label: "check",
    failure: undefined,
    ended: new Promise<void>(() => {}),
    bytes: 0,
    write(chunk) {
      sink.bytes += chunk.length;
      hash.update(chunk);
      analyzer.push(chunk, performance.now());
    },
    close: () => Promise.resolve(),
    digest: () => hash.digest("hex"),
  };
  return sink;
}

function sideLine(tag: string, s: SrtStats | undefined, send: boolean): string {
  if (!s) return `${tag} waiting`;
  return send
    ? `${tag} sent ${s.pktSentTotal} retrans ${s.pktRetransTotal} NAKed ${s.pktSndLossTotal} ` +
      `drop ${s.pktSndDropTotal}`
    : `${tag} recv ${s.pktRecvTotal} loss ${s.pktRcvLossTotal} drop ${s.pktRcvDropTotal} ` +
      `buf ${Math.round(s.msRcvBuf)} ms`;
}

/**
 * Runs the demo.
 *
 * @param o settings
 * @returns the exit code: 0 when the output is identical to the input
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  const out = process.stderr;
  const tty = out.isTTY === true;
  const fixture = new Uint8Array(readFileSync(FIXTURE_URL));
  const input = seamlessLoop(fixture, o.loops);
  const inputSha = createHash("sha256").update(input).digest("hex");
  const rttMs = 2 * o.delayMs;
  const latency = o.latencyMs ?? Math.max(200, 4 * rttMs);
  const print = (line: string) => {
    if (tty) out.write("\r\x1b[K");
    out.write(line + "\n");
  };
  print(
    `tsrt demo: ${o.loops} x ${FIXTURE_SECONDS} s of ${
      formatBytes(fixture.length)
    } H.264/AAC MPEG-TS -> tsrt caller -> ` +
      `lossy relay (${o.lossPercent} % loss, ${o.delayMs} ms each way, seed ${o.seed}) -> ` +
      `tsrt listener, latency ${latency} ms, AES-128`,
  );
  if (latency < 4 * rttMs) {
    print(`warning: latency ${latency} ms is below 4 x RTT (${4 * rttMs} ms): expect drops`);
  }

  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const log = createLog(1, (l) => print(l.replace(/\n$/, "")));
  const analyzer = new TsAnalyzer();
  const sink = checkingSink(analyzer);
  const port = await freeLoopbackPort();
  // Encrypted as production streams should be: AES-128 with a passphrase made for this run.
  const passphrase = Array.from(
    crypto.getRandomValues(new Uint8Array(12)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const listener = new Relay({
    input: parseMediaUri(
      `srt://127.0.0.1:${port}?mode=listener&latency=${latency}&passphrase=${passphrase}`,
      "input",
    ),
    output: sink,
    log: { ...log, info: (m) => log.info(`listener: ${m}`) },
    signal: ac.signal,
  });
  const relay = await startLossyRelay({
    listen: { hostname: "127.0.0.1" },
    target: { hostname: "127.0.0.1", port },
    seed: o.seed,
    forward: { loss: o.lossPercent / 100, delayMs: o.delayMs },
    backward: { loss: o.lossPercent / 100, delayMs: o.delayMs },
  });
  const caller = new Relay({
    input: memorySource(input, DEFAULT_CHUNK),
    output: parseMediaUri(
      `srt://127.0.0.1:${relay.address.port}?latency=${latency}&passphrase=${passphrase}` +
        `&pbkeylen=16`,
      "output",
    ),
    realtime: true,
    log: { ...log, info: (m) => log.info(`caller: ${m}`) },
    signal: ac.signal,
  });

  let sendStats: ReturnType<SrtSocket["stats"]> | undefined;
  let recvStats: ReturnType<SrtSocket["stats"]> | undefined;
  let shownCodecs = "";
  const started = performance.now();
  let prev = { at: started, bytes: 0 };
  let rate = 0;
  const status = setInterval(() => {
    const now = performance.now();
    analyzer.tick(now);
    sendStats = caller.srt?.stats() ?? sendStats;
    recvStats = listener.srt?.stats() ?? recvStats;
    if (now - prev.at >= 200) {
      rate = ((sink.bytes - prev.bytes) * 8) / (now - prev.at) / 1000;
      prev = { at: now, bytes: sink.bytes };
    }
    const codecs = analyzer.summary().programs.flatMap((p) => p.streams.map(describeStream))
      .map((d) => d.replace(/ [\d.]+ Mb\/s$/, "")).join("; ");
    if (codecs !== "" && codecs !== shownCodecs) {
      shownCodecs = codecs;
      print(`arriving: ${codecs}`);
    }
    const line = `${((now - started) / 1000).toFixed(1)} s | ${rate.toFixed(2)} Mb/s | ` +
      `RTT ${(sendStats?.msRTT ?? 0).toFixed(1)} ms | ` +
      `${sideLine("caller", sendStats, true)} | ${sideLine("listener", recvStats, false)}`;
    if (tty) out.write(`\r${line.slice(0, (out.columns ?? 160) - 1)}\x1b[K`);
    else if (Math.round((now - started) / 250) % 4 === 0) out.write(line + "\n");
  }, 250);

  const [sent, received] = await Promise.all([
    caller.run().then((r) => {
      sendStats = caller.srt?.stats() ?? sendStats;
      return r;
    }),
    listener.run(),
  ]);
  clearInterval(status);
  recvStats = listener.srt?.stats() ?? recvStats;
  await relay.close();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (tty) out.write("\r\x1b[K");

  const outputSha = sink.digest();
  const same = sink.bytes === input.length && outputSha === inputSha;
  const ts = analyzer.summary();
  const lines = [
    "",
    "arrived:",
    ...ts.programs.flatMap((p) => p.streams.map((s) => `  ${describeStream(s)}`)),
    `  TR 101 290: ${
      ts.tr101290Errors === 0
        ? "no errors"
        : Object.entries(ts.tr101290).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`)
          .join(", ")
    }`,
    `link (seed ${o.seed}): ${relay.forward.dropped} of ${relay.forward.received} datagrams ` +
    `dropped caller->listener, ${relay.backward.dropped} of ${relay.backward.received} ` +
    `listener->caller`,
    `caller:   ${sendStats?.pktSentUniqueTotal ?? 0} packets, ` +
    `${sendStats?.pktRetransTotal ?? 0} retransmitted (NAKed ${sendStats?.pktSndLossTotal ?? 0}), ${
      sendStats?.pktSndDropTotal ?? 0
    } dropped, RTT ${(sendStats?.msRTT ?? 0).toFixed(1)} ms`,
    `listener: ${recvStats?.pktRecvUniqueTotal ?? 0} packets, ` +
    `${recvStats?.pktRcvLossTotal ?? 0} lost and ${
      (recvStats?.pktRcvDropTotal ?? 0) === 0 ? "all recovered" : "not all recovered"
    }, ${recvStats?.pktRcvRetransTotal ?? 0} retransmissions received, ` +
    `${recvStats?.pktRcvDropTotal ?? 0} dropped as too late`,
    `encryption: AES-128, key material ${
      sendStats?.kmState === KmState.SECURED && recvStats?.kmState === KmState.SECURED
        ? "SECURED on both sides"
        : `caller ${sendStats?.kmState}, listener ${recvStats?.kmState}`
    }, ${recvStats?.pktRcvUndecryptTotal ?? 0} undecryptable`,
    `input:  ${input.length} bytes  sha256 ${inputSha}`,
    `output: ${sink.bytes} bytes  sha256 ${outputSha}`,
    same
      ? "IDENTICAL: every byte arrived, in order, despite the loss"
      : ac.signal.aborted
      ? `INTERRUPTED after ${sink.bytes} of ${input.length} bytes`
      : "DIFFERENT: the output does not match the input",
  ];
  for (const f of [sent.failure, received.failure]) if (f) lines.push(`error: ${f.message}`);
  process.stdout.write(lines.join("\n") + "\n");
  // Interrupting the demo is not a failure; a mismatch is.
  return same || ac.signal.aborted ? 0 : 1;
}

if (import.meta.main) {
  let opts: DemoOptions | "help";
  try {
    opts = parseDemoArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`tsrt demo: ${(e as Error).message}\n${DEMO_HELP}`);
    process.exit(2);
  }
  if (opts === "help") {
    process.stdout.write(DEMO_HELP);
    process.exit(0);
  }
  runDemo(opts).then((code) => process.exit(code), (e) => {
    process.stderr.write(`tsrt demo: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  });
}
