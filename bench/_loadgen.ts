/**
 * Load generator and sink for the end-to-end benchmarks in `bench/run.ts`, in ONE process so
 * that both ends share a clock. Runs under Bun (`Bun.udpSocket` + `sendMany` is the fastest
 * sender on this machine); falls back to `net/udp.ts` elsewhere.
 *
 * It sends 1316-byte datagrams to `--to` on 127.0.0.1 and receives on `--sink`. Each datagram
 * carries a header: magic "TSRT", run id, sequence number, send time (ms, float64), so the sink
 * counts loss, duplicates and reordering per run and measures end-to-end delay; datagrams of
 * other runs (stragglers of an earlier step) are ignored.
 *
 * Driven over stdin/stdout, one JSON object per line:
 * - in: `{"cmd":"step","run":7,"mbps":100,"secs":2.5,"tailMs":700}`; out: a {@linkcode StepResult}
 * - in: `{"cmd":"probe","run":7,"timeoutMs":10000}`; out: `{"probe":true,"ok":bool,"ms":n}`
 * - in: `{"cmd":"quit"}`
 *
 * Pacing: a ~1 ms timer; on each tick it sends, in one `sendMany`, every datagram due by then
 * (at most {@linkcode MAX_BURST}; a late tick catches up over the following ticks).
 *
 * @module
 */

import { createInterface } from "node:readline";
import { createSocket } from "node:dgram";
import process from "node:process";
import { bunNamespace, type BunPacketSlot, type BunUdpSocket } from "../net/_runtime_types.ts";
import { openUdp, type UdpSocket } from "../net/udp.ts";

/** Result of one paced step, as printed on stdout. */
export interface StepResult {
  /** Run id of the step. */
  run: number;
  /** Offered rate asked for, Mbit/s of payload. */
  mbps: number;
  /** Offered rate achieved by the generator, Mbit/s of payload. */
  offeredMbps: number;
  /** Datagrams handed to the OS. */
  sent: number;
  /** Datagrams the OS refused (EAGAIN) and the generator could not send. */
  sendFailed: number;
  /** Distinct datagrams of this run received at the sink. */
  received: number;
  /** `sent - received`. */
  lost: number;
  /** Datagrams received more than once. */
  duplicates: number;
  /** Datagrams that arrived after a higher sequence number. */
  reordered: number;
  /** Median send-to-sink delay in ms. */
  delayP50Ms: number;
  /** 99th percentile delay in ms. */
  delayP99Ms: number;
  /** Largest delay in ms. */
  delayMaxMs: number;
  /** Wall time of the sending phase in s. */
  seconds: number;
}

/** Payload size of every datagram: 7 MPEG-TS packets, the SRT live default. */
export const DATAGRAM_SIZE = 1316;
/** Most datagrams sent in one tick. */
export const MAX_BURST = 512;
const MAGIC = 0x54535254;
const PROBE_SEQ = 0xffffffff;
const POOL = 2048;
const LOOPBACK = "127.0.0.1";
/** Asked-for sink SO_RCVBUF; Linux caps it at net.core.rmem_max (4 MB here). */
const SINK_RCVBUF = 8 << 20;

interface Sender {
  /** Sends `count` pooled buffers starting at pool index `first`; returns how many left. */
  sendPool(first: number, count: number): number;
  close(): Promise<void>;
}

function arg(name: string): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  if (!Number.isInteger(v) || v <= 0 || v > 65535) throw new Error(`missing/invalid ${name}`);
  return v;
}

const toPort = arg("--to");
const sinkPort = arg("--sink");
const pool: Uint8Array[] = Array.from({ length: POOL }, () => {
  const b = new Uint8Array(DATAGRAM_SIZE);
  b.fill(0x47, 20);
  return b;
});
const poolView: DataView[] = pool.map((b) => new DataView(b.buffer));

// ---- sink state ----
let currentRun = -1;
let seen = new Uint8Array(0);
let received = 0;
let duplicates = 0;
let reordered = 0;
let maxSeq = -1;
let probeSeen = false;
let delays = new Float64Array(0);

function onDatagram(d: Uint8Array): void {
  if (d.length < 20) return;
  if (((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0 !== MAGIC) return;
  const run = ((d[4] << 24) | (d[5] << 16) | (d[6] << 8) | d[7]) >>> 0;
  if (run !== currentRun) return;
  const seq = ((d[8] << 24) | (d[9] << 16) | (d[10] << 8) | d[11]) >>> 0;
  if (seq === PROBE_SEQ) {
    probeSeen = true;
    return;
  }
  if (seq >= seen.length) return;
  if (seen[seq] !== 0) {
    duplicates++;
    return;
  }
  seen[seq] = 1;
  const sentAt = new DataView(d.buffer, d.byteOffset, d.byteLength).getFloat64(12);
  delays[received++] = performance.now() - sentAt;
  if (seq < maxSeq) reordered++;
  else maxSeq = seq;
}

/**
 * The sink: node:dgram, because it alone lets us raise SO_RCVBUF (to net.core.rmem_max), so
 * that the bursts a live SRT receiver releases do not overflow the sink's kernel queue while
 * this process is busy sending.
 */
async function openSink(): Promise<{ close(): void }> {
  const s = createSocket({ type: "udp4", recvBufferSize: SINK_RCVBUF });
  s.on("message", (d: Uint8Array) => onDatagram(d));
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    s.bind(sinkPort, LOOPBACK, () => resolve());
  });
  return { close: () => s.close() };
}

async function openSender(): Promise<Sender> {
  const bun = bunNamespace();
  if (bun !== undefined) {
    const sock: BunUdpSocket = await bun.udpSocket({ hostname: LOOPBACK, port: 0 });
    const rx = await openSink();
    const flat: BunPacketSlot[] = [];
    return {
      sendPool(first: number, count: number): number {
        flat.length = 0;
        for (let i = 0; i < count; i++) flat.push(pool[(first + i) % POOL], toPort, LOOPBACK);
        return sock.sendMany(flat);
      },
      close(): Promise<void> {
        sock.close();
        rx.close();
        return Promise.resolve();
      },
    };
  }
  const rx = await openSink();
  const tx: UdpSocket = await openUdp({ hostname: LOOPBACK, onMessage() {} });
  const to = { hostname: LOOPBACK, port: toPort };
  return {
    sendPool(first: number, count: number): number {
      // The adapters read buffers after send() returns: copy, the pool is reused.
      const before = tx.stats.dropped;
      for (let i = 0; i < count; i++) tx.send(pool[(first + i) % POOL].slice(), to);
      return count - (tx.stats.dropped - before);
    },
    async close(): Promise<void> {
      rx.close();
      await tx.close();
    },
  };
}

function stamp(slot: number, run: number, seq: number): void {
  const v = poolView[slot];
  v.setUint32(0, MAGIC);
  v.setUint32(4, run);
  v.setUint32(8, seq);
  v.setFloat64(12, performance.now());
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

async function probe(sender: Sender, run: number, timeoutMs: number): Promise<unknown> {
  currentRun = run;
  probeSeen = false;
  const t0 = performance.now();
  let n = 0;
  while (!probeSeen && performance.now() - t0 < timeoutMs && n < 100_000) {
    stamp(n % POOL, run, PROBE_SEQ);
    sender.sendPool(n % POOL, 1);
    n++;
    for (let i = 0; i < 10 && !probeSeen; i++) await tick();
  }
  // Let the probes still in flight (up to one latency window) arrive before measuring.
  await new Promise((r) => setTimeout(r, 300));
  return { probe: true, ok: probeSeen, ms: Math.round(performance.now() - t0) };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function step(
  sender: Sender,
  run: number,
  mbps: number,
  secs: number,
  tailMs: number,
): Promise<StepResult> {
  const pps = (mbps * 1e6) / (DATAGRAM_SIZE * 8);
  const total = Math.ceil(pps * secs);
  currentRun = run;
  seen = new Uint8Array(total);
  delays = new Float64Array(total);
  received = 0;
  duplicates = 0;
  reordered = 0;
  maxSeq = -1;
  let sent = 0;
  let failed = 0;
  let seq = 0;
  const t0 = performance.now();
  let now = t0;
  while (seq < total) {
    const due = Math.min(total, Math.floor(((now - t0) / 1000) * pps) + 1);
    const n = Math.min(MAX_BURST, due - seq);
    if (n > 0) {
      const first = seq % POOL;
      for (let i = 0; i < n; i++) stamp((first + i) % POOL, run, seq + i);
      const ok = sender.sendPool(first, n);
      sent += ok;
      failed += n - ok;
      seq += n;
    }
    await tick();
    now = performance.now();
  }
  const seconds = (performance.now() - t0) / 1000;
  const stopAt = performance.now();
  while (received < sent && performance.now() - stopAt < tailMs) await tick();
  const sorted = delays.slice(0, received).sort();
  return {
    run,
    mbps,
    offeredMbps: (sent * DATAGRAM_SIZE * 8) / seconds / 1e6,
    sent,
    sendFailed: failed,
    received,
    lost: sent - received,
    duplicates,
    reordered,
    delayP50Ms: percentile(sorted, 0.5),
    delayP99Ms: percentile(sorted, 0.99),
    delayMaxMs: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
    seconds,
  };
}

interface Command {
  cmd: "step" | "probe" | "quit";
  run?: number;
  mbps?: number;
  secs?: number;
  tailMs?: number;
  timeoutMs?: number;
}

const sender = await openSender();
console.log(JSON.stringify({ ready: true, runtime: bunNamespace() ? "bun" : "other" }));
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === "") continue;
  const c = JSON.parse(line) as Command;
  if (c.cmd === "quit") break;
  if (c.cmd === "probe") {
    console.log(JSON.stringify(await probe(sender, c.run ?? 0, c.timeoutMs ?? 10_000)));
  } else if (c.cmd === "step") {
    const r = await step(sender, c.run ?? 0, c.mbps ?? 10, c.secs ?? 1, c.tailMs ?? 700);
    console.log(JSON.stringify(r));
  }
}
lines.close();
await sender.close();
process.exit(0);
