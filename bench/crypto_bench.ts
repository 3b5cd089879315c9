/**
 * Micro benchmark of the SRT payload ciphers: time per 1316-byte packet
 * (7 × 188-byte MPEG-TS packets, the live default) and throughput, per backend; and the cost
 * of encryption in the sans-IO core: a caller and a listener in the network simulator (no
 * loss) moving the same stream in the clear and with AES-128 / AES-256, packets per second of
 * wall time and the encrypted / plain ratio.
 *
 *   deno run -A bench/crypto_bench.ts
 *   bun bench/crypto_bench.ts
 *
 * @module
 */

import { ctr } from "@noble/ciphers/aes.js";
import {
  createNoblePacketCipher,
  createNodePacketCipher,
  createPacketCipher,
  deriveKek,
  type PacketCipher,
  writeCtrIv,
} from "../crypto/mod.ts";
import { createBatchedCtrCipher } from "../crypto/aes_ctr_batched.ts";
import { SimPair } from "../tests/sim/harness.ts";

/** One benchmark result row. */
export interface BenchResult {
  /** What was measured. */
  name: string;
  /** The measured value. */
  value: number;
  /** Unit of `value`. */
  unit: string;
}

const PACKET = 1316;

function fill(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Runs `fn` for about `ms` milliseconds after a warm-up; returns ns per call. */
function timeSync(fn: (i: number) => void, ms: number): number {
  for (let i = 0; i < 500; i++) fn(i);
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 200; i++) fn(calls++);
    now = performance.now();
  }
  return ((now - start) * 1e6) / calls;
}

async function timeWebCrypto(sek: Uint8Array, salt: Uint8Array, ms: number): Promise<number> {
  const key = await crypto.subtle.importKey("raw", sek as BufferSource, "AES-CTR", false, [
    "encrypt",
  ]);
  const payload = fill(PACKET, 1);
  const batch = 64;
  const ivs = Array.from({ length: batch }, (_, i) => writeCtrIv(new Uint8Array(16), salt, i));
  // Deno rejects `length: 16`; 64 gives the same keystream for short payloads.
  const run = () =>
    Promise.all(
      ivs.map((iv) =>
        crypto.subtle.encrypt(
          { name: "AES-CTR", counter: iv as BufferSource, length: 64 },
          key,
          payload as BufferSource,
        )
      ),
    );
  await run();
  let packets = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await run();
    packets += batch;
    now = performance.now();
  }
  return ((now - start) * 1e6) / packets;
}

/**
 * Measures each AES-CTR backend on 1316-byte packets (AES-128) and the
 * PBKDF2 KEK derivation done once per handshake.
 *
 * @param ms Approximate run time per case, in milliseconds.
 * @returns Rows of `{ name, value, unit }`: ns per packet and Gbit/s per backend.
 */
export async function benchCrypto(ms = 300): Promise<Array<BenchResult>> {
  const sek = fill(16, 7);
  const salt = fill(16, 9);
  const payload = fill(PACKET, 3);
  const cases: Array<[string, PacketCipher | null]> = [
    ["aes128-ctr default (createPacketCipher)", createPacketCipher(sek, salt)],
    // What a connection uses (srt/crypto_control.ts) when node:crypto is there: in-order
    // sequence numbers, as a live sender encrypts them, are served from the window.
    ...(() => {
      const c = createBatchedCtrCipher(sek, salt);
      return c
        ? [["aes128-ctr connection's (keystream 32 packets ahead)", c] as [string, PacketCipher]]
        : [];
    })(),
    [
      "aes128-ctr node:crypto per-packet ctr",
      createNodePacketCipher(sek, salt, { strategy: "ctr" }),
    ],
    [
      "aes128-ctr node:crypto ecb keystream",
      createNodePacketCipher(sek, salt, { strategy: "ecb" }),
    ],
    ["aes128-ctr noble cached key schedule", createNoblePacketCipher(sek, salt)],
    ["aes128-ctr noble ctr() per packet (baseline)", null],
  ];
  const out: BenchResult[] = [];
  const iv = new Uint8Array(16);
  for (const [name, cipher] of cases) {
    const ns = cipher
      ? timeSync((i) => cipher.encrypt(i & 0x7fffffff, payload), ms)
      : timeSync((i) => {
        writeCtrIv(iv, salt, i & 0x7fffffff);
        payload.set(ctr(sek, iv).encrypt(payload));
      }, ms);
    out.push({ name: `${name} ns/pkt`, value: ns, unit: "ns" });
    out.push({ name: `${name} Gbit/s`, value: (PACKET * 8) / ns, unit: "Gbit/s" });
  }
  // As in a connection: every packet is a new buffer (from the socket, or the sender's copy),
  // with the payload after the 16-byte header. The cost of making the buffer is measured apart
  // and taken off.
  const fresh = createBatchedCtrCipher(sek, salt);
  if (fresh) {
    let keep = 0;
    const alloc = timeSync((i) => {
      keep ^= new Uint8Array(PACKET + 16)[i & 15];
    }, ms);
    const both = timeSync((i) => {
      const p = new Uint8Array(PACKET + 16);
      fresh.applyAt(i & 0x7fffffff, p, 16);
      keep ^= p[16];
    }, ms);
    if (keep === 0x100) console.log(""); // keeps the buffers observable
    out.push({
      name: "aes128-ctr connection's cipher, fresh packet each time ns/pkt",
      value: Math.max(0, both - alloc),
      unit: "ns",
    });
  }
  if (typeof crypto !== "undefined" && crypto.subtle) {
    const ns = await timeWebCrypto(sek, salt, ms);
    out.push({ name: "aes128-ctr WebCrypto async, 64 in flight ns/pkt", value: ns, unit: "ns" });
    out.push({
      name: "aes128-ctr WebCrypto async, 64 in flight Gbit/s",
      value: (PACKET * 8) / ns,
      unit: "Gbit/s",
    });
  }
  const kekMs = timeSync(() => deriveKek("a passphrase of some length", salt, 16), ms) / 1e6;
  out.push({ name: "PBKDF2-HMAC-SHA1 KEK (2048 iterations)", value: kekMs, unit: "ms" });
  return out;
}

/** Wall time (ms) for the simulated pair to move `count` packets, every one delivered. */
function corePairMs(count: number, passphrase: string | undefined, pbkeylen: number): number {
  const pair = new SimPair({
    seed: 42,
    caller: { passphrase, pbkeylen, latency: 120 },
    listener: { passphrase, latency: 120 },
    forward: { delayUs: 1000 },
    backward: { delayUs: 1000 },
  });
  pair.run(100_000, () => pair.accepted !== undefined && pair.caller.state === "connected");
  const t0 = pair.sim.now + 1000;
  // 100k packets/s of virtual time: the link is never the limit.
  pair.stream(t0, count, 10);
  const start = performance.now();
  pair.run(t0 + count * 10 + 500_000, () => pair.delivered.length >= count);
  const ms = performance.now() - start;
  if (pair.delivered.length !== count) {
    throw new Error(`core bench delivered ${pair.delivered.length} of ${count}`);
  }
  return ms;
}

/**
 * Measures the core (sender + receiver + simulator) with and without encryption.
 *
 * @param count Packets per run.
 * @param rounds Runs per case; the fastest counts.
 * @returns Rows: packets per second for each case, and encrypted / plain ratios.
 */
export function benchCoreEncryption(count = 20_000, rounds = 5): Array<BenchResult> {
  const cases: Array<[string, string | undefined, number]> = [
    ["plain", undefined, 0],
    ["aes128-ctr", "a passphrase for the bench", 16],
    ["aes256-ctr", "a passphrase for the bench", 32],
  ];
  const best = new Map<string, number>();
  corePairMs(2000, undefined, 0); // warm-up
  corePairMs(2000, "a passphrase for the bench", 16);
  for (let r = 0; r < rounds; r++) {
    for (const [name, pass, len] of cases) {
      const ms = corePairMs(count, pass, len);
      best.set(name, Math.min(best.get(name) ?? Infinity, ms));
    }
  }
  const out: BenchResult[] = [];
  const plain = count / best.get("plain")! * 1000;
  for (const [name] of cases) {
    const pps = count / best.get(name)! * 1000;
    out.push({ name: `core pair ${name} packets/s`, value: pps, unit: "pkt/s" });
    if (name !== "plain") {
      out.push({ name: `core pair ${name} / plain`, value: pps / plain, unit: "ratio" });
    }
  }
  return out;
}

if (import.meta.main) {
  const rows = [...await benchCrypto(), ...benchCoreEncryption()];
  const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
  console.log(`crypto bench (${runtime}, ${PACKET}-byte packets)`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(58)} ${
        r.value.toFixed(r.unit === "ns" || r.unit === "pkt/s" ? 0 : 3).padStart(10)
      } ${r.unit}`,
    );
  }
}
