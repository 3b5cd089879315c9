/**
 * Captures golden SRT packets from real libsrt traffic (srt-live-transmit 1.5.1 pairs and an
 * ffmpeg caller) on loopback with tshark, and writes them to
 * `tests/vectors/srt_live_transmit_1.5.1.json`.
 *
 * Run from the repository root (needs root or capture rights for tshark):
 *
 *     deno run -A tests/tools/capture_golden.ts [output.json]
 *
 * This is a tool, not a test: it uses a few fixed waits (to let keep-alives happen and to give
 * the receiver time to report loss). Ports are chosen free at run time. The pcap files are
 * written to a temporary directory and deleted.
 *
 * @module
 */

import {
  decodeSrt,
  freeUdpPorts,
  type PeerProcess,
  requirePeer,
  spawnPeer,
  type SrtDecodedPacket,
  startCapture,
  stopAllPeers,
} from "../_peers.ts";
import { startDropRelay } from "./udp_drop_relay.ts";

/** One golden vector in the output file. */
interface GoldenVector {
  name: string;
  description: string;
  direction: string;
  scenario: string;
  hex: string;
  tshark: Record<string, string | string[]>;
  tsharkExpert?: { message: string; severity: number }[];
  extra?: Record<string, unknown>;
}

/** Every packet of every scenario, to report how tshark's dissector judged libsrt's traffic. */
const allPackets: { scenario: string; packet: SrtDecodedPacket }[] = [];

const SLT = requirePeer("srt-live-transmit") ?? fail("srt-live-transmit missing");
const FFMPEG = requirePeer("ffmpeg") ?? fail("ffmpeg missing");
const TSHARK = requirePeer("tshark") ?? fail("tshark missing");
const FIXTURE = "tests/fixtures/av_h264_aac_3s.ts";
const STREAM_ID = "#!::r=live/test,m=publish,u=alice";
const SECRET = "tsrt-golden-secret";
const OTHER_SECRET = "not-the-golden-secret";

function fail(msg: string): never {
  throw new Error(msg);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function hexOf(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function word(hex: string, index: number): number {
  return parseInt(hex.slice(index * 8, index * 8 + 8), 16) >>> 0;
}

function isControl(p: SrtDecodedPacket): boolean {
  return (word(p.hex, 0) & 0x80000000) !== 0;
}

function ctrlType(p: SrtDecodedPacket): number {
  return (word(p.hex, 0) >>> 16) & 0x7fff;
}

/** Handshake type word (CIF word 5) as a signed number. */
function hsType(p: SrtDecodedPacket): number {
  return word(p.hex, 4 + 5) | 0;
}

interface RunResult {
  port: number;
  packets: SrtDecodedPacket[];
  listener: PeerProcess;
  caller: PeerProcess;
  plaintext: Uint8Array[];
}

interface PairOptions {
  /** Extra query for the listener URI (after mode=listener). */
  listenerQuery?: string;
  /** Extra query for the caller URI. */
  callerQuery?: string;
  /** Datagrams to push through the caller once connected. */
  datagrams?: Uint8Array[];
  /** Wait this long with no traffic before stopping (to see keep-alives). */
  idleMs?: number;
  /** Expect the connection to fail (rejection scenarios). */
  expectReject?: boolean;
  /** Drop rule for a relay between caller and listener (NAK scenario). */
  dropForward?: (packet: Uint8Array) => boolean;
  /** Use ffmpeg as the caller instead of srt-live-transmit. */
  ffmpegQuery?: string;
}

async function sendDatagrams(port: number, datagrams: Uint8Array[]): Promise<void> {
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (const d of datagrams) {
      await sock.send(d, { transport: "udp", hostname: "127.0.0.1", port });
    }
  } finally {
    sock.close();
  }
}

/** Runs one srt-live-transmit listener and one caller (or ffmpeg), captured by tshark. */
async function runPair(opts: PairOptions): Promise<RunResult> {
  const [port, sinkPort, srcPort, relayPort] = await freeUdpPorts(4);
  const capture = await startCapture(port, TSHARK);
  // Drain the listener's UDP output so it never sees ICMP port unreachable.
  const sink = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: sinkPort });
  (async () => {
    try {
      for await (const _ of sink) { /* discard */ }
    } catch { /* closed */ }
  })();
  const relay = opts.dropForward
    ? startDropRelay({ listenPort: relayPort, targetPort: port, dropForward: opts.dropForward })
    : undefined;
  const connectPort = relay ? relayPort : port;
  const lq = opts.listenerQuery ? `&${opts.listenerQuery}` : "";
  const listener = spawnPeer(SLT, [
    "-a:no",
    "-v",
    `srt://:${port}?mode=listener${lq}`,
    `udp://127.0.0.1:${sinkPort}`,
  ]);
  let caller: PeerProcess;
  try {
    await listener.waitFor(/ listen\.\.\./, 5000);
    if (opts.ffmpegQuery !== undefined) {
      caller = spawnPeer(FFMPEG, [
        "-hide_banner",
        "-nostdin",
        "-re",
        "-i",
        FIXTURE,
        "-t",
        "1",
        "-c",
        "copy",
        "-f",
        "mpegts",
        `srt://127.0.0.1:${connectPort}?${opts.ffmpegQuery}`,
      ]);
      await listener.waitFor(/Accepted SRT source connection/, 5000);
      await caller.exited;
    } else {
      const cq = opts.callerQuery ? `?${opts.callerQuery}` : "";
      caller = spawnPeer(SLT, [
        "-a:no",
        "-v",
        `udp://127.0.0.1:${srcPort}`,
        `srt://127.0.0.1:${connectPort}${cq}`,
      ]);
      if (opts.expectReject) {
        await caller.exited;
      } else {
        await caller.waitFor(/SRT target connected/, 5000);
        await listener.waitFor(/Accepted SRT source connection/, 5000);
        if (opts.datagrams && opts.datagrams.length > 0) {
          await sendDatagrams(srcPort, opts.datagrams);
        }
        // Let ACKs, NAKs, retransmissions (and keep-alives if asked) happen.
        await delay(opts.idleMs ?? 400);
        await caller.stop("SIGINT");
        await listener.waitFor(/SRT source disconnected|disconnected/, 5000).catch(() => {});
      }
    }
  } finally {
    await stopAllPeers();
    relay?.close();
    sink.close();
  }
  const pcap = await capture.stop();
  const packets = await decodeSrt(pcap, port, TSHARK);
  await capture.remove();
  for (const packet of packets) allPackets.push({ scenario: currentScenario, packet });
  scenarios[currentScenario] = {
    srtPort: port,
    capture:
      `tshark -i lo -n -l -P -w <tmp>/capture.pcap -f "udp port ${port} or udp port <marker>"`,
    decode: `tshark -r <tmp>/capture.pcap -n -T json --no-duplicate-keys -Y udp.port==${port} ` +
      `-d udp.port==${port},srt`,
    listener: listener.command,
    caller: caller.command,
    ...(relay ? { relay: `udp_drop_relay 127.0.0.1:${relayPort} -> 127.0.0.1:${port}` } : {}),
  };
  return { port, packets, listener, caller, plaintext: opts.datagrams ?? [] };
}

const vectors: GoldenVector[] = [];
let currentScenario = "";
/** The exact command lines each scenario ran (ports as chosen in that run). */
const scenarios: Record<string, Record<string, string | number>> = {};

function direction(run: RunResult, p: SrtDecodedPacket): string {
  return p.dstPort === run.port ? "caller->listener" : "listener->caller";
}

function add(
  run: RunResult,
  scenario: string,
  name: string,
  description: string,
  p: SrtDecodedPacket | undefined,
  extra?: Record<string, unknown>,
): void {
  if (p === undefined) {
    console.error(`!! no packet for ${name} in ${scenario}`);
    return;
  }
  vectors.push({
    name,
    description,
    direction: direction(run, p),
    scenario,
    hex: p.hex,
    tshark: p.fields,
    ...(p.expert.length > 0
      ? { tsharkExpert: p.expert.map((e) => ({ message: e.message, severity: e.severity })) }
      : {}),
    ...(extra ? { extra } : {}),
  });
}

const toListener = (run: RunResult) => (p: SrtDecodedPacket) => p.dstPort === run.port;
const fromListener = (run: RunResult) => (p: SrtDecodedPacket) => p.srcPort === run.port;

function handshakes(run: RunResult, dir: "to" | "from", type: number): SrtDecodedPacket[] {
  const side = dir === "to" ? toListener(run) : fromListener(run);
  return run.packets.filter((p) =>
    side(p) && isControl(p) && ctrlType(p) === 0 && hsType(p) === type
  );
}

function control(run: RunResult, dir: "to" | "from", type: number): SrtDecodedPacket[] {
  const side = dir === "to" ? toListener(run) : fromListener(run);
  return run.packets.filter((p) => side(p) && isControl(p) && ctrlType(p) === type);
}

function data(run: RunResult): SrtDecodedPacket[] {
  return run.packets.filter((p) => toListener(run)(p) && !isControl(p));
}

function textDatagrams(prefix: string, count: number): Uint8Array[] {
  const enc = new TextEncoder();
  return Array.from({ length: count }, (_, i) => enc.encode(`${prefix} #${i}`));
}

const CONCLUSION = -1;
const INDUCTION = 1;

// --- Scenario: basic (defaults), data, ACK/ACKACK, keep-alives, shutdown ---
{
  const s = "basic";
  currentScenario = s;
  const run = await runPair({ datagrams: textDatagrams("tsrt golden data", 3), idleMs: 1600 });
  add(
    run,
    s,
    "induction_request",
    "Caller INDUCTION request: HS version 4, extension field 2 (UDT_DGRAM), cookie 0, dest id 0.",
    handshakes(run, "to", INDUCTION)[0],
  );
  add(
    run,
    s,
    "induction_response",
    "Listener INDUCTION response: HS version 5, extension field 0x4A17 magic, SYN cookie, encryption field 0.",
    handshakes(run, "from", INDUCTION)[0],
  );
  add(
    run,
    s,
    "conclusion_request",
    "Caller CONCLUSION (defaults: latency 120, no passphrase, no stream id): HSREQ extension only.",
    handshakes(run, "to", CONCLUSION)[0],
  );
  add(
    run,
    s,
    "conclusion_response",
    "Listener CONCLUSION response with HSRSP; dest id = caller socket id.",
    handshakes(run, "from", CONCLUSION)[0],
  );
  const d = data(run);
  const plain = run.plaintext.map(hexOf);
  for (let i = 0; i < Math.min(3, d.length); i++) {
    add(
      run,
      s,
      `data_${i}`,
      `Data packet ${i} (solo PP=11, unencrypted); payload is the UDP datagram given to the caller.`,
      d[i],
      { plaintextHex: plain[i] },
    );
  }
  const acks = control(run, "from", 2);
  add(
    run,
    s,
    "ack_full",
    "Full ACK from the receiver (type-specific = ACK number, 28-byte CIF: last ack seq+1, RTT, RTTVar, buffer, pkt rate, bandwidth, byte rate).",
    acks.find((p) => p.hex.length === (16 + 28) * 2),
  );
  add(
    run,
    s,
    "ackack",
    "ACKACK from the sender echoing the ACK number; libsrt sends a 4-byte zero CIF pad.",
    control(run, "to", 6)[0],
  );
  add(
    run,
    s,
    "keepalive_caller",
    "KEEPALIVE from the caller (with the 4-byte zero pad).",
    control(run, "to", 1)[0],
  );
  add(
    run,
    s,
    "keepalive_listener",
    "KEEPALIVE from the listener (with the 4-byte zero pad).",
    control(run, "from", 1)[0],
  );
  add(
    run,
    s,
    "shutdown",
    "SHUTDOWN sent by the caller when srt-live-transmit is interrupted (4-byte zero pad).",
    control(run, "to", 5)[0],
  );
}

// --- Scenario: stream id + latency 200 ---
{
  const s = "streamid_latency200";
  currentScenario = s;
  const run = await runPair({
    callerQuery: `streamid=${STREAM_ID}&latency=200`,
    datagrams: textDatagrams("sid", 1),
  });
  add(
    run,
    s,
    "conclusion_request_sid_latency200",
    `Caller CONCLUSION with HSREQ (latency 200 both ways) and SID extension "${STREAM_ID}" (bytes reversed per 32-bit word on the wire).`,
    handshakes(run, "to", CONCLUSION)[0],
    { streamId: STREAM_ID, latencyMs: 200 },
  );
  add(
    run,
    s,
    "conclusion_response_latency200",
    "Listener CONCLUSION response with HSRSP (listener default latency 120, caller asked 200: both directions use 200).",
    handshakes(run, "from", CONCLUSION)[0],
  );
}

// --- Scenario: light ACK (burst of datagrams) ---
{
  const s = "burst";
  currentScenario = s;
  const big = new Uint8Array(1000).fill(0x47);
  const run = await runPair({ datagrams: Array.from({ length: 400 }, () => big) });
  add(
    run,
    s,
    "ack_light",
    "Light ACK (type-specific 0, 4-byte CIF = last ack seq+1), sent every 64 packets between full ACKs.",
    control(run, "from", 2).find((p) => p.hex.length === (16 + 4) * 2),
  );
}

// --- Scenarios: encryption 16 / 32 ---
for (const keylen of [16, 32]) {
  const s = `passphrase_pbkeylen${keylen}`;
  currentScenario = s;
  const q = `passphrase=${SECRET}&pbkeylen=${keylen}`;
  const run = await runPair({
    listenerQuery: q,
    callerQuery: q,
    datagrams: textDatagrams(`secret data aes${keylen * 8}`, 2),
  });
  add(
    run,
    s,
    `induction_response_pbkeylen${keylen}`,
    `Listener INDUCTION response when the listener has pbkeylen=${keylen}: encryption field = ${
      keylen / 8
    }.`,
    handshakes(run, "from", INDUCTION)[0],
  );
  add(
    run,
    s,
    `conclusion_request_kmreq_aes${keylen * 8}`,
    `Caller CONCLUSION with HSREQ and KMREQ (passphrase "${SECRET}", pbkeylen ${keylen}).`,
    handshakes(run, "to", CONCLUSION)[0],
    { passphrase: SECRET, pbkeylen: keylen },
  );
  add(
    run,
    s,
    `conclusion_response_kmrsp_aes${keylen * 8}`,
    "Listener CONCLUSION response with HSRSP and KMRSP (echo of the KM message).",
    handshakes(run, "from", CONCLUSION)[0],
    { passphrase: SECRET, pbkeylen: keylen },
  );
  const d = data(run);
  add(
    run,
    s,
    `data_encrypted_aes${keylen * 8}`,
    "First data packet, AES-CTR encrypted with the SEK from the KMREQ in this scenario (KK = even key).",
    d[0],
    { passphrase: SECRET, pbkeylen: keylen, plaintextHex: hexOf(run.plaintext[0]) },
  );
}

// --- Scenario: wrong passphrase -> BADSECRET ---
{
  const s = "wrong_passphrase";
  currentScenario = s;
  const run = await runPair({
    listenerQuery: `passphrase=${SECRET}`,
    callerQuery: `passphrase=${OTHER_SECRET}`,
    expectReject: true,
  });
  add(
    run,
    s,
    "conclusion_request_kmreq_wrong_secret",
    `Caller CONCLUSION with KMREQ wrapped with a different passphrase ("${OTHER_SECRET}").`,
    handshakes(run, "to", CONCLUSION)[0],
  );
  const rej = run.packets.filter((p) =>
    fromListener(run)(p) && isControl(p) && ctrlType(p) === 0 && hsType(p) >= 1000
  );
  add(
    run,
    s,
    "rejection_badsecret",
    "Listener rejection: handshake type 1010 (1000 + SRT_REJ_BADSECRET).",
    rej[0],
  );
}

// --- Scenario: passphrase on the listener only ---
{
  const s = "passphrase_listener_only";
  currentScenario = s;
  const run = await runPair({ listenerQuery: `passphrase=${SECRET}`, expectReject: true });
  const rej = run.packets.filter((p) =>
    fromListener(run)(p) && isControl(p) && ctrlType(p) === 0 && hsType(p) >= 1000
  );
  add(
    run,
    s,
    "rejection_listener_only_passphrase",
    "Listener with a passphrase rejects a caller without one (no KMREQ): expected 1011 (1000 + SRT_REJ_UNSECURE).",
    rej[0],
  );
}

// --- Scenario: passphrase on the caller only ---
{
  const s = "passphrase_caller_only";
  currentScenario = s;
  const run = await runPair({ callerQuery: `passphrase=${SECRET}`, expectReject: true });
  // libsrt 1.5.1 with SRTO_ENFORCEDENCRYPTION (default true) rejects here instead of answering
  // with a KMRSP carrying KM state NOSECRET; record whatever the listener answered.
  const answered = handshakes(run, "from", CONCLUSION)[0];
  if (answered !== undefined) {
    add(
      run,
      s,
      "conclusion_response_caller_only_passphrase",
      "Listener without a passphrase answering a caller's KMREQ (KMRSP carries a KM state).",
      answered,
    );
  }
  const rej = run.packets.filter((p) => isControl(p) && ctrlType(p) === 0 && hsType(p) >= 1000);
  if (rej.length > 0) {
    add(
      run,
      s,
      "rejection_caller_only_passphrase",
      "Listener without a passphrase rejects a caller's KMREQ: 1011 (1000 + SRT_REJ_UNSECURE), because enforced encryption is on by default.",
      rej[0],
    );
  }
}

// --- Scenario: loss through a relay -> NAK single and range, retransmission ---
{
  const s = "loss_relay";
  currentScenario = s;
  let isn: number | undefined;
  const droppedOnce = new Set<number>();
  const run = await runPair({
    datagrams: textDatagrams("loss test", 14),
    dropForward: (pkt) => {
      if ((pkt[0] & 0x80) !== 0) return false; // control
      const seq = ((pkt[0] << 24) | (pkt[1] << 16) | (pkt[2] << 8) | pkt[3]) >>> 0;
      isn ??= seq;
      const offset = seq - isn;
      if ((offset === 3 || (offset >= 6 && offset <= 8)) && !droppedOnce.has(seq)) {
        droppedOnce.add(seq);
        return true;
      }
      return false;
    },
    idleMs: 600,
  });
  const naks = control(run, "from", 3);
  const single = naks.find((p) => p.hex.length === (16 + 4) * 2);
  const range = naks.find((p) => p.hex.length === (16 + 8) * 2 && (word(p.hex, 4) & 0x80000000));
  add(
    run,
    s,
    "nak_single",
    "NAK (loss report) for one lost packet (relay dropped ISN+3): one loss-list word, bit31 = 0.",
    single,
  );
  add(
    run,
    s,
    "nak_range",
    "NAK for a lost range (relay dropped ISN+6..ISN+8): first|0x80000000, last.",
    range,
  );
  add(
    run,
    s,
    "data_retransmitted",
    "Retransmitted data packet (R flag 0x04000000 set in word 1).",
    data(run).find((p) => (word(p.hex, 1) & 0x04000000) !== 0),
  );
}

// --- Scenario: ffmpeg caller with stream id ---
{
  const s = "ffmpeg_caller";
  currentScenario = s;
  const run = await runPair({ ffmpegQuery: `streamid=${STREAM_ID}` });
  add(
    run,
    s,
    "ffmpeg_induction_request",
    "ffmpeg (libsrt 1.5.1) caller INDUCTION request.",
    handshakes(run, "to", INDUCTION)[0],
  );
  add(
    run,
    s,
    "ffmpeg_conclusion_request_sid",
    `ffmpeg caller CONCLUSION with HSREQ and SID "${STREAM_ID}".`,
    handshakes(run, "to", CONCLUSION)[0],
    { streamId: STREAM_ID },
  );
  add(
    run,
    s,
    "ffmpeg_data_first",
    "First ffmpeg data packet: 1316-byte payload = 7 MPEG-TS packets (sync byte 0x47).",
    data(run)[0],
  );
}

// How tshark's SRT dissector judged all of libsrt's packets: kind -> counts.
const summary: Record<
  string,
  { packets: number; malformed: number; expert: Record<string, number> }
> = {};
for (const { packet } of allPackets) {
  const kind = !packet.dissected
    ? "not-dissected"
    : isControl(packet)
    ? `control type 0x${ctrlType(packet).toString(16)} (${packet.hex.length / 2} bytes)`
    : "data";
  const entry = summary[kind] ??= { packets: 0, malformed: 0, expert: {} };
  entry.packets++;
  if (packet.malformed) entry.malformed++;
  for (const e of packet.expert) {
    const key = `${e.layer}: ${e.message} (severity ${e.severity})`;
    entry.expert[key] = (entry.expert[key] ?? 0) + 1;
  }
}
console.log(JSON.stringify(summary, null, 2));

const out = Deno.args[0] ?? "tests/vectors/srt_live_transmit_1.5.1.json";
const versions = {
  srtLiveTransmit: (await new Deno.Command(SLT, { args: ["-version"] }).output()).stderr,
};
const sltVersion = new TextDecoder().decode(versions.srtLiveTransmit).trim().split("\n")[0];
const doc = {
  description:
    "Golden SRT packets captured on loopback from real libsrt traffic (srt-live-transmit 1.5.1 pairs, ffmpeg caller). " +
    "hex is the UDP payload (the whole SRT packet). tshark holds the srt.* fields tshark's SRT dissector decoded for it. " +
    "See tests/vectors/README.md for provenance.",
  captured: new Date().toISOString(),
  tools: {
    srtLiveTransmit: sltVersion,
    tshark: new TextDecoder().decode(
      (await new Deno.Command(TSHARK, { args: ["--version"] }).output()).stdout,
    ).split("\n")[0],
    ffmpeg: new TextDecoder().decode(
      (await new Deno.Command(FFMPEG, { args: ["-version"] }).output()).stdout,
    ).split("\n")[0],
  },
  packages: new TextDecoder().decode(
    (await new Deno.Command("dpkg-query", {
      args: ["-W", "srt-tools", "libsrt1.5-gnutls", "tshark", "ffmpeg"],
    }).output()).stdout,
  ).trim().split("\n"),
  scenarios,
  dissectionSummary: summary,
  vectors,
};
await Deno.writeTextFile(out, JSON.stringify(doc, null, 2) + "\n");
console.log(`wrote ${vectors.length} vectors to ${out}`);
for (const v of vectors) console.log(`  ${v.name} (${v.hex.length / 2} bytes) ${v.direction}`);
