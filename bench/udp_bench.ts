/**
 * UDP throughput micro-benchmark for the net/ adapters, over loopback with
 * 1316-byte datagrams (7 MPEG-TS packets, the usual SRT payload).
 *
 * Rows per adapter available on the running runtime (node:dgram is skipped on
 * Deno, where it manages a few hundred datagrams per second):
 * - loopback throughput with `send` and with `sendBatch`: one socket sends,
 *   another in the same process receives; the sender keeps a bounded window
 *   in flight (paced by arrivals) so that the kernel's receive buffer never
 *   overflows. This is the cost of both ends on one thread, as in a loopback
 *   SRT test.
 * plus the cost of copying a datagram, to weigh a copying `send` contract.
 *
 * Each run lasts `ms` milliseconds (default 1000); keep runs short on shared
 * machines.
 *
 * ```sh
 * deno run -A bench/udp_bench.ts
 * bun bench/udp_bench.ts
 * ```
 *
 * @module
 */

import { detectRuntime, openUdp, type UdpRuntime } from "../net/udp.ts";

/** One benchmark result row. */
export interface BenchResult {
  /** What was measured. */
  name: string;
  /** The measured value. */
  value: number;
  /** Unit of `value`. */
  unit: string;
}

const LOOPBACK = "127.0.0.1";
const SIZE = 1316;
/** Datagrams per send call (sendBatch) or per burst of send calls. */
const BURST = 32;
/** Datagrams allowed in flight: ~64 x 2.3 KB of kernel buffer, under the 208 KB default. */
const WINDOW = 64;
/** Give up waiting for stragglers after this long and count them lost. */
const STALL_MS = 50;

interface LoopbackResult {
  mbps: number;
  pps: number;
  lost: number;
}

async function loopback(runtime: UdpRuntime, batch: boolean, ms: number): Promise<LoopbackResult> {
  let received = 0;
  let sent = 0;
  let lost = 0;
  let wake: (() => void) | undefined;
  const rx = await openUdp({
    hostname: LOOPBACK,
    onMessage() {
      received++;
      if (wake !== undefined && sent - received - lost <= WINDOW - BURST) {
        const w = wake;
        wake = undefined;
        w();
      }
    },
  }, runtime);
  const tx = await openUdp({ hostname: LOOPBACK, onMessage() {} }, runtime);
  const to = rx.localAddress;
  // Never mutated, so one buffer may be sent any number of times.
  const payload = new Uint8Array(SIZE).fill(0x47);
  const burst: Uint8Array[] = new Array(BURST).fill(payload);

  const waitForRoom = async (limit: number): Promise<void> => {
    if (sent - received - lost <= limit) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const woken = new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      timer = setTimeout(() => resolve(false), STALL_MS);
    });
    const progressed = await woken;
    clearTimeout(timer);
    wake = undefined;
    if (!progressed) lost = sent - received;
  };

  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await waitForRoom(WINDOW - BURST);
    if (batch) tx.sendBatch(burst, to);
    else for (let i = 0; i < BURST; i++) tx.send(payload, to);
    sent += BURST;
  }
  // Let the last window arrive before stopping the clock.
  while (sent - received - lost > 0) await waitForRoom(0);
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all([tx.close(), rx.close()]);
  return {
    mbps: (received * SIZE * 8) / seconds / 1e6,
    pps: received / seconds,
    lost,
  };
}

function copyCostNs(): number {
  const source = new Uint8Array(SIZE).fill(1);
  const keep: Uint8Array[] = new Array(1024);
  const n = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) keep[i & 1023] = source.slice();
  return ((performance.now() - t0) * 1e6) / n;
}

/** Adapters benchmarked on the running runtime (never node:dgram on Deno). */
function adapters(): UdpRuntime[] {
  const runtime = detectRuntime();
  return runtime === "bun" ? ["bun", "node"] : [runtime];
}

/** Runs every UDP benchmark for about `ms` milliseconds each. */
export async function benchUdp(ms = 1000): Promise<Array<BenchResult>> {
  const out: BenchResult[] = [];
  for (const runtime of adapters()) {
    for (const batch of [false, true]) {
      const how = batch ? "sendBatch" : "send";
      const r = await loopback(runtime, batch, ms);
      out.push({
        name: `udp ${runtime} loopback ${how} throughput`,
        value: r.mbps,
        unit: "Mbit/s",
      });
      out.push({ name: `udp ${runtime} loopback ${how} datagrams`, value: r.pps, unit: "dgram/s" });
      if (r.lost > 0) {
        out.push({ name: `udp ${runtime} loopback ${how} lost`, value: r.lost, unit: "dgram" });
      }
    }
  }
  out.push({ name: `copy one ${SIZE}-byte datagram (slice)`, value: copyCostNs(), unit: "ns" });
  return out;
}

if (import.meta.main) {
  const rows = await benchUdp();
  console.log(`udp bench (${detectRuntime()}, ${SIZE}-byte datagrams)`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(44)} ${r.value.toFixed(r.unit === "ns" ? 0 : 1).padStart(12)} ${r.unit}`,
    );
  }
}
