/**
 * Records AES-CTR known-answer vectors from real libsrt traffic.
 *
 * For each key length it runs two `srt-live-transmit` processes on 127.0.0.1
 * (listener: UDP in → SRT out, caller: SRT in → UDP out) with a passphrase,
 * captures the SRT port with `tshark`, feeds known 1316-byte payloads into the
 * listener's UDP input, checks they come out of the caller unchanged, then
 * pulls from the capture:
 *
 * - the KMREQ extension of the caller's CONCLUSION handshake (the KM message),
 * - the KMRSP extension of the listener's CONCLUSION response,
 * - the first encrypted data packets (listener → caller), paired with the
 *   payloads that were fed in, in sending order.
 *
 * Usage (root, or a user allowed to capture on `lo`):
 *
 *   deno run -A tests/tools/capture_crypto_vector.ts [--out tests/vectors/srt_aes_ctr_capture.json]
 *
 * The pcap files go to a temporary directory and are deleted afterwards.
 *
 * @module
 */

import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const SLT = "/usr/bin/srt-live-transmit";
const TSHARK = "/usr/bin/tshark";
const HOST = "127.0.0.1";
const PAYLOAD_SIZE = 1316;
const PACKETS_SENT = 4;
const PACKETS_KEPT = 2;
const CASES: ReadonlyArray<readonly [number, string]> = [
  [16, "tsrt-capture-passphrase-128"],
  [24, "tsrt-capture-passphrase-192"],
  [32, "tsrt-capture-passphrase-256"],
];

interface CapturedPacket {
  seq: number;
  kk: number;
  retransmitted: boolean;
  bytes: Uint8Array;
}

interface Capture {
  kmreq?: Uint8Array;
  kmrsp?: Uint8Array;
  data: CapturedPacket[];
}

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic payload that is easy to recognise: ASCII tag, then a byte ramp. */
function makePayload(index: number, keyLength: number): Uint8Array {
  const p = new Uint8Array(PAYLOAD_SIZE);
  const tag = new TextEncoder().encode(`tsrt AES-${keyLength * 8}-CTR capture packet #${index} `);
  p.set(tag);
  for (let i = tag.length; i < p.length; i++) p[i] = (i * 31 + index * 7) & 0xff;
  return p;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, HOST, () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function waitForOutput(child: ChildProcess, pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}: ${seen}`)),
      ms,
    );
    const onData = (d: Uint8Array) => {
      seen += new TextDecoder().decode(d);
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGINT");
  });
}

/** Splits a classic pcap file into UDP datagrams with their ports. */
function* udpDatagrams(
  file: Uint8Array,
): Generator<{ src: number; dst: number; payload: Uint8Array }> {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = v.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && v.getUint32(0, false) !== 0xa1b2c3d4 && v.getUint32(0, false) !== 0xa1b23c4d) {
    throw new Error("not a classic pcap file");
  }
  const linkType = v.getUint32(20, le);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 276 ? 20 : -1;
  if (linkHeader < 0) throw new Error(`unsupported pcap link type ${linkType}`);
  for (let at = 24; at + 16 <= file.length;) {
    const caplen = v.getUint32(at + 8, le);
    const frame = file.subarray(at + 16, at + 16 + caplen);
    at += 16 + caplen;
    const ip = frame.subarray(linkHeader);
    if ((ip[0] >> 4) !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0] & 0x0f) * 4);
    const src = (udp[0] << 8) | udp[1];
    const dst = (udp[2] << 8) | udp[3];
    const len = (udp[4] << 8) | udp[5];
    yield { src, dst, payload: udp.slice(8, len) };
  }
}

/** Returns the contents of handshake extension `type`, if present. */
function handshakeExtension(pkt: Uint8Array, type: number): Uint8Array | undefined {
  for (let at = 16 + 48; at + 4 <= pkt.length;) {
    const extType = (pkt[at] << 8) | pkt[at + 1];
    const extLen = ((pkt[at + 2] << 8) | pkt[at + 3]) * 4;
    if (extType === type) return pkt.slice(at + 4, at + 4 + extLen);
    at += 4 + extLen;
  }
  return undefined;
}

function parseCapture(file: Uint8Array, srtPort: number): Capture {
  const out: Capture = { data: [] };
  for (const { src, dst, payload: p } of udpDatagrams(file)) {
    if (p.length < 16) continue;
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const w0 = v.getUint32(0);
    if (w0 & 0x80000000) {
      const controlType = (w0 >>> 16) & 0x7fff;
      if (controlType !== 0 || p.length < 64) continue;
      const hsType = v.getUint32(16 + 20);
      if (hsType !== 0xffffffff) continue;
      if (dst === srtPort && !out.kmreq) out.kmreq = handshakeExtension(p, 3);
      if (src === srtPort && !out.kmrsp) out.kmrsp = handshakeExtension(p, 4);
    } else if (src === srtPort) {
      const w1 = v.getUint32(4);
      out.data.push({
        seq: w0 & 0x7fffffff,
        kk: (w1 >>> 27) & 3,
        retransmitted: (w1 & 0x04000000) !== 0,
        bytes: p.slice(),
      });
    }
  }
  return out;
}

async function captureOne(keyLength: number, passphrase: string, dir: string) {
  const inPort = await freeUdpPort();
  const srtPort = await freeUdpPort();
  const sink = dgram.createSocket("udp4");
  await new Promise<void>((r) => sink.bind(0, HOST, () => r()));
  const outPort = sink.address().port;
  const received: Uint8Array[] = [];
  sink.on("message", (m) => received.push(new Uint8Array(m)));

  const pcap = join(dir, `aes${keyLength * 8}.pcap`);
  const tshark = spawn(
    TSHARK,
    ["-i", "lo", "-F", "pcap", "-w", pcap, "-f", `udp port ${srtPort}`],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  await waitForOutput(tshark, /Capturing on/, 10000);

  const query = `passphrase=${encodeURIComponent(passphrase)}&pbkeylen=${keyLength}`;
  const listenerArgs = [
    "-a:no",
    `udp://${HOST}:${inPort}`,
    `srt://${HOST}:${srtPort}?mode=listener&${query}`,
  ];
  const callerArgs = [
    "-a:no",
    `srt://${HOST}:${srtPort}?mode=caller&${query}`,
    `udp://${HOST}:${outPort}`,
  ];
  const listener = spawn(SLT, listenerArgs, { stdio: ["ignore", "pipe", "pipe"] });
  await sleep(500);
  const caller = spawn(SLT, callerArgs, { stdio: ["ignore", "pipe", "pipe"] });
  await sleep(1500);

  const feeder = dgram.createSocket("udp4");
  const sent: Uint8Array[] = [];
  for (let i = 0; i < PACKETS_SENT; i++) {
    const p = makePayload(i, keyLength);
    sent.push(p);
    await new Promise<void>((r, j) => feeder.send(p, inPort, HOST, (e) => (e ? j(e) : r())));
    await sleep(50);
  }
  for (let t = 0; t < 40 && received.length < PACKETS_SENT; t++) await sleep(100);
  feeder.close();
  await stop(caller);
  await stop(listener);
  await sleep(300);
  await stop(tshark);
  sink.close();

  if (received.length !== PACKETS_SENT) {
    throw new Error(`caller delivered ${received.length} of ${PACKETS_SENT} payloads`);
  }
  received.forEach((r, i) => {
    if (hex(r) !== hex(sent[i])) throw new Error(`payload ${i} came out of libsrt changed`);
  });

  const cap = parseCapture(new Uint8Array(readFileSync(pcap)), srtPort);
  if (!cap.kmreq) throw new Error("no KMREQ found in the caller's CONCLUSION");
  const first = cap.data.filter((d) => !d.retransmitted);
  if (first.length !== PACKETS_SENT) {
    throw new Error(`expected ${PACKETS_SENT} original data packets, captured ${first.length}`);
  }
  for (let i = 1; i < first.length; i++) {
    if (first[i].seq !== first[i - 1].seq + 1) throw new Error("data packets out of order");
  }
  const quote = (a: string) => (/[?&]/.test(a) ? `"${a}"` : a);
  return {
    keyLength,
    passphrase,
    commands: [
      [
        TSHARK,
        "-i",
        "lo",
        "-F",
        "pcap",
        "-w",
        `aes${keyLength * 8}.pcap`,
        "-f",
        `"udp port ${srtPort}"`,
      ],
      [SLT, ...listenerArgs.map(quote)],
      [SLT, ...callerArgs.map(quote)],
    ].map((c) => c.join(" ")),
    kmreq: hex(cap.kmreq),
    kmrsp: cap.kmrsp ? hex(cap.kmrsp) : null,
    packets: first.slice(0, PACKETS_KEPT).map((d, i) => ({
      seq: d.seq,
      kk: d.kk,
      packet: hex(d.bytes),
      plaintext: hex(sent[i]),
    })),
  };
}

async function main() {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf("--out");
  const out = outIdx >= 0 ? args[outIdx + 1] : "tests/vectors/srt_aes_ctr_capture.json";
  const sltRun = spawnSync(SLT, ["-version"], { encoding: "utf8" });
  const slt =
    `${sltRun.stdout}${sltRun.stderr}`.split("\n").find((l) => /SRT Library version/.test(l)) ?? "";
  const pkg = spawnSync("dpkg-query", ["-W", "-f", "${Package} ${Version}", "srt-tools"], {
    encoding: "utf8",
  });
  const tsharkVersion = execFileSync(TSHARK, ["--version"], { encoding: "utf8" }).split("\n")[0];
  const dir = mkdtempSync(join(tmpdir(), "tsrt-crypto-capture-"));
  try {
    const vectors = [];
    for (const [keyLength, passphrase] of CASES) {
      vectors.push(await captureOne(keyLength, passphrase, dir));
      console.error(`captured AES-${keyLength * 8}-CTR vector`);
    }
    const doc = {
      description:
        "AES-CTR data packets and the Key Material (KMREQ/KMRSP) captured from two srt-live-transmit processes on 127.0.0.1; see tests/vectors/README.md",
      generator: "tests/tools/capture_crypto_vector.ts",
      srtLiveTransmit: slt.trim(),
      package: pkg.status === 0 ? pkg.stdout.trim() : null,
      tshark: tsharkVersion,
      vectors,
    };
    writeFileSync(out, JSON.stringify(doc, null, 2) + "\n");
    console.error(`wrote ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
