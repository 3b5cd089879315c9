/**
 * Records libsrt's FEC packet filter on the wire: two `srt-live-transmit` 1.5.1 processes on
 * 127.0.0.1 with `packetfilter=fec,cols:4,rows:2` (and the same with `layout:even`), a known
 * stream of UDP payloads of varying lengths, and tshark on the SRT port. The output holds, per
 * scenario, the FILTER handshake extensions both sides sent, the ISN, and every data and FEC
 * packet the caller (sender) put on the wire, in wire order.
 *
 * Run from the repository root (root, or a user allowed to capture on `lo`):
 *
 *     deno run -A tests/tools/capture_fec_vector.ts [tests/vectors/srt_fec_capture.json]
 *
 * Every payload is sent only after the previous one came out of the listener, so the run
 * needs no fixed waits. Ports are picked free at run time; the pcap is deleted.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import process from "node:process";
import {
  decodeSrt,
  freeUdpPorts,
  openUdpSocket,
  requirePeer,
  spawnPeer,
  type SrtDecodedPacket,
  startCapture,
  stopAllPeers,
} from "../_peers.ts";

const SLT = requirePeer("srt-live-transmit") ?? fail("srt-live-transmit missing");
const TSHARK = requirePeer("tshark") ?? fail("tshark missing");
/** Datagrams per scenario unless the scenario says otherwise. */
const PACKETS = 26;

function fail(msg: string): never {
  throw new Error(msg);
}

function hexOf(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function bytesOf(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function word(b: Uint8Array, i: number): number {
  return ((b[i * 4] << 24) | (b[i * 4 + 1] << 16) | (b[i * 4 + 2] << 8) | b[i * 4 + 3]) >>> 0;
}

/** Payload `i`: an ASCII tag, then a byte ramp; lengths vary so the length clip matters. */
function makePayload(i: number): Uint8Array {
  const len = 40 + ((i * 97) % 1200);
  const p = new Uint8Array(len);
  const tag = new TextEncoder().encode(`tsrt fec capture #${i} `);
  p.set(tag.subarray(0, Math.min(tag.length, len)));
  for (let k = tag.length; k < len; k++) p[k] = (k * 13 + i * 29) & 0xff;
  return p;
}

/** Un-reverses a handshake string extension (libsrt swaps the bytes of each 32-bit word). */
function hsString(ext: Uint8Array): string {
  const out: number[] = [];
  for (let i = 0; i + 4 <= ext.length; i += 4) out.push(ext[i + 3], ext[i + 2], ext[i + 1], ext[i]);
  return new TextDecoder().decode(new Uint8Array(out)).replace(/\0+$/, "");
}

function hsExtension(p: Uint8Array, type: number): Uint8Array | undefined {
  for (let at = 16 + 48; at + 4 <= p.length;) {
    const t = (p[at] << 8) | p[at + 1];
    const len = ((p[at + 2] << 8) | p[at + 3]) * 4;
    if (t === type) return p.subarray(at + 4, at + 4 + len);
    at += 4 + len;
  }
  return undefined;
}

interface Scenario {
  name: string;
  filter: string;
  /** Datagrams to send (default {@linkcode PACKETS}). */
  count?: number;
}

async function runScenario(s: Scenario) {
  const [port, inPort] = await freeUdpPorts(2);
  const sink = await openUdpSocket();
  const feeder = await openUdpSocket();
  const capture = await startCapture(port, TSHARK);
  const listenerArgs = [
    "-a:no",
    "-v",
    `srt://127.0.0.1:${port}?mode=listener&packetfilter=${s.filter}`,
    `udp://127.0.0.1:${sink.port}`,
  ];
  const callerArgs = [
    "-a:no",
    "-v",
    `udp://127.0.0.1:${inPort}`,
    `srt://127.0.0.1:${port}?mode=caller&packetfilter=${s.filter}`,
  ];
  const sent: Uint8Array[] = [];
  const count = s.count ?? PACKETS;
  let packets: SrtDecodedPacket[];
  try {
    const listener = spawnPeer(SLT, listenerArgs);
    await listener.waitFor(/ listen\.\.\./, 5000);
    const caller = spawnPeer(SLT, callerArgs);
    await caller.waitFor(/SRT target connected/, 5000);
    await listener.waitFor(/Accepted SRT source connection/, 5000);
    for (let i = 0; i < count; i++) {
      const p = makePayload(i);
      sent.push(p);
      await feeder.send(p, inPort);
      await sink.waitForCount(i + 1, 5000);
    }
    sink.received.forEach((r, i) => {
      if (hexOf(r) !== hexOf(sent[i])) throw new Error(`payload ${i} came out changed`);
    });
    await caller.stop("SIGINT", 3000);
    await listener.stop("SIGINT", 3000);
    const pcap = await capture.stop();
    packets = await decodeSrt(pcap, port, TSHARK);
  } finally {
    await stopAllPeers();
    await capture.remove();
    sink.close();
    feeder.close();
  }

  let callerFilter: string | undefined;
  let listenerFilter: string | undefined;
  let isn: number | undefined;
  let callerSocketId: number | undefined;
  let listenerSocketId: number | undefined;
  const wire: { kind: "data" | "fec"; hex: string; tshark?: Record<string, string | string[]> }[] =
    [];
  for (const p of packets) {
    const b = bytesOf(p.hex);
    if (b.length < 16) continue;
    const toListener = p.dstPort === port;
    if (word(b, 0) & 0x80000000) {
      const ctrl = (word(b, 0) >>> 16) & 0x7fff;
      if (ctrl !== 0 || word(b, 4 + 5) !== 0xffffffff) continue;
      const ext = hsExtension(b, 7);
      if (toListener && word(b, 4 + 7) !== 0) {
        callerFilter ??= ext ? hsString(ext) : "";
        isn ??= word(b, 4 + 2);
        callerSocketId ??= word(b, 4 + 6);
      } else if (!toListener) {
        listenerFilter ??= ext ? hsString(ext) : "";
        listenerSocketId ??= word(b, 4 + 6);
      }
      continue;
    }
    if (!toListener) continue;
    const msgno = word(b, 1) & 0x03ffffff;
    // tshark's fields are kept for FEC packets only (data packets are plain).
    if (msgno === 0) wire.push({ kind: "fec", hex: p.hex, tshark: p.fields });
    else wire.push({ kind: "data", hex: p.hex });
  }
  if (isn === undefined) throw new Error("no CONCLUSION request in the capture");
  const dataCount = wire.filter((w) => w.kind === "data").length;
  if (dataCount !== count) throw new Error(`captured ${dataCount} data packets of ${count}`);
  const quote = (a: string) => (/[?&]/.test(a) ? `"${a}"` : a);
  return {
    name: s.name,
    filter: s.filter,
    commands: [
      `${TSHARK} -i lo -n -l -P -w capture.pcap -f "udp port ${port} or udp port <marker>"`,
      [SLT, ...listenerArgs.map(quote)].join(" "),
      [SLT, ...callerArgs.map(quote)].join(" "),
    ],
    callerFilter,
    listenerFilter,
    isn,
    callerSocketId,
    listenerSocketId,
    payloadSize: 1316,
    payloads: sent.map(hexOf),
    packets: wire,
  };
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? "tests/vectors/srt_fec_capture.json";
  const ver = spawnSync(SLT, ["-version"], { encoding: "utf8" });
  const sltVersion =
    `${ver.stdout}${ver.stderr}`.split("\n").find((l) => /SRT Library version/.test(l)) ?? "";
  const pkg = spawnSync("dpkg-query", ["-W", "-f", "${Package} ${Version}", "srt-tools"], {
    encoding: "utf8",
  });
  const tsh = spawnSync(TSHARK, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0];
  const scenarios = [];
  for (
    const s of [
      { name: "staircase_default", filter: "fec,cols:4,rows:2" },
      { name: "even", filter: "fec,cols:4,rows:2,layout:even" },
      { name: "row_only", filter: "fec,cols:4" },
      { name: "column_only", filter: "fec,cols:4,rows:-2,layout:even" },
      { name: "cols10_rows5", filter: "fec,cols:10,rows:5", count: 60 },
    ]
  ) {
    scenarios.push(await runScenario(s));
    console.error(`captured ${s.name}`);
  }
  const doc = {
    description:
      "libsrt FEC packet filter traffic from two srt-live-transmit processes on 127.0.0.1; see tests/vectors/README.md",
    generator: "tests/tools/capture_fec_vector.ts",
    captured: new Date().toISOString().slice(0, 10),
    srtLiveTransmit: sltVersion.trim(),
    package: pkg.status === 0 ? pkg.stdout.trim() : null,
    tshark: tsh,
    scenarios,
  };
  writeFileSync(out, JSON.stringify(doc, null, 1) + "\n");
  console.error(`wrote ${out}`);
}

if (import.meta.main) await main();
