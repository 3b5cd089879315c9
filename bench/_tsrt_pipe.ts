/**
 * The tsrt side of the end-to-end benchmarks in `bench/run.ts`, the counterpart of one
 * srt-live-transmit process. Runs under Deno (`deno run -A`) and Bun (`bun`), through the public
 * API only (`connect()`, `listen()`, `SrtSocket.send()`, `readable`, `stats()`).
 *
 * ```sh
 * # udp://127.0.0.1:IN -> tsrt caller -> srt://127.0.0.1:P
 * deno run -A bench/_tsrt_pipe.ts caller IN "srt://127.0.0.1:P?latency=120"
 * # srt://:P (tsrt listener) -> udp://127.0.0.1:OUT
 * deno run -A bench/_tsrt_pipe.ts listener "srt://:P?mode=listener&latency=120" OUT
 * # N callers in one process, each sending MBPS Mbit/s (0 = idle), to a listener on P
 * bun bench/_tsrt_pipe.ts callers N P MBPS
 * # one listener on P reading every accepted connection
 * bun bench/_tsrt_pipe.ts listeners P
 * # plain UDP relay through net/udp.ts, no SRT (the I/O floor)
 * deno run -A bench/_tsrt_pipe.ts relay IN OUT
 * ```
 *
 * Prints one JSON object per line on stdout: `{"event":"ready"}` once listening or connected,
 * `{"event":"connected","n":k}` as connections come up, and `{"event":"stats",...}` every second
 * with the summed connection counters (loss, drops, retransmissions).
 *
 * @module
 */

import process from "node:process";
import { connect, listen, parseSrtUri, type SrtSocket } from "../mod.ts";
import { openUdp, type UdpAddress } from "../net/udp.ts";

const LOOPBACK = "127.0.0.1";
const PAYLOAD = 1316;
const STALL_TICK_MS = 5;

function out(o: Record<string, unknown>): void {
  console.log(JSON.stringify(o));
}

const sockets: SrtSocket[] = [];

/** Sums the counters that say whether the stream was clean. */
function reportStats(): void {
  const sum: Record<string, number> = {
    connections: sockets.length,
    pktSentTotal: 0,
    pktRecvTotal: 0,
    pktRcvLossTotal: 0,
    pktSndLossTotal: 0,
    pktRetransTotal: 0,
    pktRcvDropTotal: 0,
    pktSndDropTotal: 0,
    pktRcvBelated: 0,
    pktReadQueueDropped: 0,
  };
  for (const s of sockets) {
    const st = s.stats() as unknown as Record<string, number>;
    for (const k of Object.keys(sum)) if (k !== "connections") sum[k] += st[k] ?? 0;
  }
  out({ event: "stats", ...sum, maxStallMs: Math.round(maxStallMs * 10) / 10 });
  maxStallMs = 0;
}

/** Longest the event loop was late for a 5 ms timer since the last stats line: how long received
 * datagrams may wait in the kernel, whose default queue holds ~9 ms of 100 Mbit/s. */
let maxStallMs = 0;
let lastTick = performance.now();
setInterval(() => {
  const now = performance.now();
  maxStallMs = Math.max(maxStallMs, now - lastTick - STALL_TICK_MS);
  lastTick = now;
}, STALL_TICK_MS);

async function caller(inPort: number, uri: string): Promise<void> {
  const socket = await connect(uri);
  sockets.push(socket);
  await openUdp({
    hostname: LOOPBACK,
    port: inPort,
    // The URI's udp_rcvbuf= sizes the UDP input too, like srt-live-transmit's udp://?rcvbuf=.
    receiveBufferBytes: parseSrtUri(uri).udpReceiveBuffer,
    onMessage: (data) => socket.send(data),
  });
  out({ event: "ready" });
  out({ event: "connected", n: 1 });
}

async function pump(socket: SrtSocket, forward: ((d: Uint8Array) => void) | undefined) {
  const reader = socket.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    forward?.(value);
  }
}

async function listener(uri: string, outPort: number | undefined): Promise<void> {
  const server = await listen(uri);
  let forward: ((d: Uint8Array) => void) | undefined;
  if (outPort !== undefined) {
    const udp = await openUdp({ hostname: LOOPBACK, onMessage() {} });
    const to: UdpAddress = { hostname: LOOPBACK, port: outPort };
    forward = (d) => udp.send(d, to);
  }
  out({ event: "ready" });
  for await (const socket of server) {
    sockets.push(socket);
    out({ event: "connected", n: sockets.length });
    pump(socket, forward).catch(() => {});
  }
}

/** Plain UDP forwarding through net/udp.ts, no SRT: the I/O floor of a tsrt pipe. */
async function relay(inPort: number, outPort: number): Promise<void> {
  const to: UdpAddress = { hostname: LOOPBACK, port: outPort };
  const ref: { udp?: { send(d: Uint8Array, to: UdpAddress): void } } = {};
  ref.udp = await openUdp({
    hostname: LOOPBACK,
    port: inPort,
    onMessage: (data) => ref.udp?.send(data, to),
  });
  out({ event: "ready" });
}

async function callers(n: number, port: number, mbps: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    sockets.push(await connect({ host: LOOPBACK, port, latency: 120 }));
    out({ event: "connected", n: sockets.length });
  }
  out({ event: "ready" });
  if (mbps <= 0) return;
  // Never mutated after sending, so one buffer may go out any number of times.
  const payload = new Uint8Array(PAYLOAD).fill(0x47);
  const pps = (mbps * 1e6) / (PAYLOAD * 8);
  const t0 = performance.now();
  let sent = 0;
  setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * pps);
    for (; sent < due; sent++) for (const s of sockets) s.send(payload);
  }, 2);
}

// Exit cleanly on SIGTERM, so that `--cpu-prof` and similar profilers write their output.
process.on("SIGTERM", () => process.exit(0));
const [mode, a, b, c] = process.argv.slice(2);
setInterval(reportStats, 1000);
switch (mode) {
  case "caller":
    await caller(Number(a), b);
    break;
  case "listener":
    await listener(a, b === undefined ? undefined : Number(b));
    break;
  case "callers":
    await callers(Number(a), Number(b), Number(c));
    break;
  case "relay":
    await relay(Number(a), Number(b));
    break;
  case "listeners":
    await listener(`srt://:${Number(a)}?mode=listener&latency=120`, undefined);
    break;
  default:
    console.error(`usage: _tsrt_pipe.ts caller|listener|relay|callers|listeners ...`);
    process.exit(2);
}
