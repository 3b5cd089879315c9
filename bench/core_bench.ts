/**
 * The sans-IO core alone: a caller and a listener {@linkcode SrtConnection} joined by an
 * in-memory link (no loss, no sockets), driven with a virtual clock. Reports packets per
 * second through sender + receiver (send, ACK/ACKACK, TSBPD delivery) and the heap bytes
 * allocated per packet on each path (Deno only: Bun's heap figure does not move per
 * allocation, so it reports NaN).
 *
 * The link copies each datagram into a buffer from a preallocated ring, as a UDP adapter
 * receives into its slab: the receiver keeps the datagram it is given. The virtual clock
 * moves 10 us per packet (100,000 packets per second of stream time) so that the 20 ms latency
 * holds about 2000 packets in the receive buffer; pacing is set out of the way (MAXBW 10 GB/s).
 *
 * ```sh
 * deno run -A bench/core_bench.ts
 * bun bench/core_bench.ts
 * ```
 *
 * @module
 */

import type { PeerAddress, SrtConnection } from "../srt/connection.ts";
import { SrtEndpoint } from "../srt/endpoint.ts";
import { createPrng } from "../net/prng.ts";

/** One benchmark result row. */
export interface BenchResult {
  /** What was measured. */
  name: string;
  /** The measured value. */
  value: number;
  /** Unit of `value`. */
  unit: string;
}

const CALLER: PeerAddress = { hostname: "10.0.0.1", port: 1 };
const LISTENER: PeerAddress = { hostname: "10.0.0.2", port: 2 };
const PAYLOAD = 1316;
const STEP_US = 10;
const RING = 16384;

interface Pair {
  caller: SrtConnection;
  listener: SrtConnection;
  now: number;
}

/** A ring of datagram buffers, standing in for an adapter's receive slab. */
class Wire {
  #bufs: Uint8Array[] = [];
  #views: Uint8Array[] = [];
  #i = 0;
  constructor() {
    for (let i = 0; i < RING; i++) this.#bufs.push(new Uint8Array(1500));
  }
  /** A copy of `d` in the next ring slot (the view is cached per slot and length). */
  copy(d: Uint8Array): Uint8Array {
    const i = this.#i;
    this.#i = (i + 1) & (RING - 1);
    const b = this.#bufs[i];
    b.set(d);
    let v = this.#views[i];
    if (v === undefined || v.length !== d.length) v = this.#views[i] = b.subarray(0, d.length);
    return v;
  }
}

function connectPair(): Pair {
  const rng = createPrng(1);
  const a = new SrtEndpoint(() => rng.nextU32());
  const b = new SrtEndpoint(() => rng.nextU32());
  const opts = { latency: 20, maxBw: 10_000_000_000, peerIdleTimeout: 3_600_000 };
  b.listen(0, opts);
  let now = 0;
  const caller = a.connect(now, LISTENER, opts);
  let listener: SrtConnection | undefined;
  for (let round = 0; round < 20 && !(listener && caller.state === "connected"); round++) {
    now += 1000;
    a.drain((d) => b.handleDatagram(now, d.slice(), CALLER));
    for (let r = b.pollRequest(); r; r = b.pollRequest()) listener = b.accept(now, r);
    b.drain((d) => a.handleDatagram(now, d.slice(), LISTENER));
  }
  if (!listener || caller.state !== "connected") throw new Error("handshake failed");
  return { caller, listener, now };
}

/** Moves everything each side wants to send to the other; returns payloads delivered. */
function shuttle(p: Pair, wire: Wire): number {
  const { caller, listener, now } = p;
  for (let d = caller.pollTransmit(); d; d = caller.pollTransmit()) {
    listener.handleDatagram(now, wire.copy(d));
  }
  let delivered = 0;
  for (let x = listener.pollPayload(); x; x = listener.pollPayload()) delivered++;
  for (let d = listener.pollTransmit(); d; d = listener.pollTransmit()) {
    caller.handleDatagram(now, wire.copy(d));
  }
  for (let d = caller.pollTransmit(); d; d = caller.pollTransmit()) {
    listener.handleDatagram(now, wire.copy(d));
  }
  return delivered;
}

function timers(p: Pair): void {
  const { caller, listener, now } = p;
  if ((caller.pollTimeout() ?? Infinity) <= now) caller.handleTimeout(now);
  if ((listener.pollTimeout() ?? Infinity) <= now) listener.handleTimeout(now);
}

/** Runs `n` packets through the pair; returns delivered count. */
function run(p: Pair, wire: Wire, payload: Uint8Array, n: number): number {
  let delivered = 0;
  for (let i = 0; i < n; i++) {
    p.now += STEP_US;
    p.caller.send(p.now, payload);
    timers(p);
    delivered += shuttle(p, wire);
  }
  return delivered;
}

/** The heap in use, where it is tracked per allocation (not on Bun: JSC reports it lazily). */
function heapUsed(): number {
  if ("Bun" in globalThis) return NaN;
  const g = globalThis as {
    Deno?: { memoryUsage(): { heapUsed: number } };
    process?: { memoryUsage(): { heapUsed: number } };
  };
  return g.Deno?.memoryUsage().heapUsed ?? g.process?.memoryUsage().heapUsed ?? NaN;
}

/**
 * Heap growth per packet over a run short enough that no collection should interrupt it;
 * the smallest of several tries (a collection in between makes a try come out low or
 * negative, so negative tries are skipped).
 */
function bytesPerPacket(fn: (n: number) => void, n: number, after?: () => void): number {
  let best = Infinity;
  for (let k = 0; k < 7; k++) {
    const before = heapUsed();
    fn(n);
    const grew = heapUsed() - before;
    if (grew >= 0 && grew < best) best = grew;
    after?.();
  }
  return best === Infinity ? NaN : best / n;
}

/**
 * Runs the benchmark.
 *
 * @param ms Approximate measuring time, in milliseconds.
 * @returns Rows: packets per second end to end, ns per packet, and heap bytes per packet for
 * the whole path, the sender alone and the receiver alone.
 */
export function benchCore(ms = 1000): Promise<Array<BenchResult>> {
  const p = connectPair();
  const wire = new Wire();
  const payload = new Uint8Array(PAYLOAD).fill(7);
  run(p, wire, payload, 50_000); // warm up (JIT, buffers, steady state)
  let packets = 0;
  let delivered = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    delivered += run(p, wire, payload, 10_000);
    packets += 10_000;
  }
  const elapsed = (performance.now() - start) / 1000;
  if (delivered < packets * 0.9) throw new Error(`only ${delivered} of ${packets} delivered`);
  const rows: BenchResult[] = [
    { name: "sender+receiver packets/s", value: Math.round(packets / elapsed), unit: "pkt/s" },
    { name: "sender+receiver ns/packet", value: (elapsed * 1e9) / packets, unit: "ns" },
    {
      name: "heap bytes/packet, whole path",
      value: bytesPerPacket((n) => run(p, wire, payload, n), 2000),
      unit: "B",
    },
  ];
  // The sender alone: send and drain into a preallocated list; between measurements the
  // listener takes the packets and its ACKs come back, so buffer slots are reused.
  const s = connectPair();
  const sent: Uint8Array[] = new Array(1000);
  let nSent = 0;
  const sendOnly = (n: number) => {
    for (let i = 0; i < n; i++) {
      s.now += STEP_US;
      s.caller.send(s.now, payload);
      for (let d = s.caller.pollTransmit(); d; d = s.caller.pollTransmit()) sent[nSent++] = d;
    }
  };
  const settle = () => {
    for (let i = 0; i < nSent; i++) s.listener.handleDatagram(s.now, wire.copy(sent[i]));
    nSent = 0;
    s.now += 20_000;
    timers(s);
    shuttle(s, wire);
  };
  for (let k = 0; k < 20; k++) {
    sendOnly(1000);
    settle();
  }
  rows.push({
    name: "heap bytes/packet, sender path (send + pollTransmit)",
    value: bytesPerPacket(sendOnly, 1000, settle),
    unit: "B",
  });
  // The receiver alone: prebuilt datagrams (copied from the caller once).
  const r = connectPair();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 4096; i++) {
    r.now += STEP_US;
    r.caller.send(r.now, payload);
    for (let d = r.caller.pollTransmit(); d; d = r.caller.pollTransmit()) frames.push(d.slice());
  }
  let next = 0;
  rows.push({
    name: "heap bytes/packet, receiver path (handleDatagram + pollPayload)",
    value: bytesPerPacket((n) => {
      for (let i = 0; i < n && next < frames.length; i++) {
        r.now += STEP_US;
        r.listener.handleDatagram(r.now, frames[next++]);
        for (let x = r.listener.pollPayload(); x; x = r.listener.pollPayload());
      }
    }, 500),
    unit: "B",
  });
  return Promise.resolve(rows);
}

if (import.meta.main) {
  const rows = await benchCore();
  const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
  console.log(`core bench (${runtime}, ${PAYLOAD}-byte payloads, in-memory link, no loss)`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(66)} ${r.value.toFixed(r.unit === "pkt/s" ? 0 : 1).padStart(10)} ${r.unit}`,
    );
  }
}
