/**
 * Records libsrt's HSv5 rendezvous handshake: two `srt-live-transmit` 1.5.1 processes on
 * 127.0.0.1 in `mode=rendezvous` (each one's `port=` is the other's remote port), tshark on
 * both ports. The output holds every handshake packet in wire order with its direction and
 * decoded fields, plus the first data packet each way where there is one, for
 * `srt/rendezvous_test.ts`.
 *
 * Run from the repository root (root, or a user allowed to capture on `lo`):
 *
 *     deno run -A tests/tools/capture_rendezvous_vector.ts [tests/vectors/srt_rendezvous_capture.json]
 *
 * Side A reads UDP and sends SRT; side B receives SRT and writes UDP. A starts first and
 * waves into a closed port until B is up (that is normal rendezvous). One datagram is pushed
 * through once both report the connection, so the run needs no fixed waits.
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
const SECRET = "tsrt-rendezvous-secret";
/** A FEC string in the form libsrt's merge produces, so both rendezvous sides agree. */
const FULL_FEC = "fec,arq:onreq,cols:4,layout:staircase,rows:1";

function fail(msg: string): never {
  throw new Error(msg);
}

interface Scenario {
  name: string;
  /** Extra query keys for side A and side B. */
  a: string;
  b: string;
  /** Whether libsrt connects, or one side rejects the handshake. */
  expect: "connect" | "reject";
}

async function runScenario(s: Scenario) {
  const [portA, portB, inPort] = await freeUdpPorts(3);
  const sink = await openUdpSocket();
  const feeder = await openUdpSocket();
  const capture = await startCapture([portA, portB], TSHARK);
  const extraA = s.a ? `&${s.a}` : "";
  const extraB = s.b ? `&${s.b}` : "";
  const argsA = [
    "-a:no",
    "-v",
    `udp://127.0.0.1:${inPort}`,
    `srt://127.0.0.1:${portB}?mode=rendezvous&adapter=127.0.0.1&port=${portA}${extraA}`,
  ];
  const argsB = [
    "-a:no",
    "-v",
    `srt://127.0.0.1:${portA}?mode=rendezvous&adapter=127.0.0.1&port=${portB}${extraB}`,
    `udp://127.0.0.1:${sink.port}`,
  ];
  let packets: SrtDecodedPacket[];
  const payload = new TextEncoder().encode(`tsrt rendezvous capture ${s.name}`);
  let logA = "";
  let logB = "";
  try {
    const a = spawnPeer(SLT, argsA);
    await a.waitFor(/[Rr]endezvous|connecting|Opening SRT target/, 5000).catch(() => {});
    const b = spawnPeer(SLT, argsB);
    if (s.expect === "connect") {
      await a.waitFor(/SRT target connected/, 10_000);
      // B (an SRT source) reports nothing until data flows: the datagram arriving proves it.
      await feeder.send(payload, inPort);
      await sink.waitForCount(1, 5000);
    } else {
      await Promise.race([
        a.waitFor(/REJECT/, 10_000),
        b.waitFor(/REJECT/, 10_000),
      ]);
    }
    await a.stop("SIGINT", 3000);
    await b.stop("SIGINT", 3000);
    logA = a.output;
    logB = b.output;
    const pcap = await capture.stop();
    packets = await decodeSrt(pcap, [portA, portB], TSHARK);
  } finally {
    await stopAllPeers();
    await capture.remove();
    sink.close();
    feeder.close();
  }
  const kept = [];
  let dataAB = 0;
  let dataBA = 0;
  for (const p of packets) {
    if (p.srcPort !== portA && p.srcPort !== portB) continue;
    const direction = p.srcPort === portA ? "A->B" : "B->A";
    const w0 = parseInt(p.hex.slice(0, 8), 16);
    const control = (w0 & 0x80000000) !== 0;
    const type = (w0 >>> 16) & 0x7fff;
    if (control && type === 0) {
      kept.push({ direction, kind: "handshake", time: p.time, hex: p.hex, tshark: p.fields });
    } else if (
      !control && ((direction === "A->B" && dataAB++ === 0) ||
        (direction === "B->A" && dataBA++ === 0))
    ) {
      kept.push({ direction, kind: "data", time: p.time, hex: p.hex, tshark: p.fields });
    } else if (control && kept.filter((k) => k.kind === "first_control").length < 2) {
      kept.push({ direction, kind: "first_control", time: p.time, hex: p.hex, tshark: p.fields });
    }
  }
  const quote = (x: string) => (/[?&]/.test(x) ? `"${x}"` : x);
  return {
    name: s.name,
    expect: s.expect,
    commands: [
      `${TSHARK} -i lo -n -l -P -w capture.pcap -f "udp port ${portA} or udp port ${portB} or udp port <marker>"`,
      [SLT, ...argsA.map(quote)].join(" "),
      [SLT, ...argsB.map(quote)].join(" "),
    ],
    portA,
    portB,
    payloadHex: Array.from(payload, (x) => x.toString(16).padStart(2, "0")).join(""),
    logA: logA.split("\n").filter((l) => /connect|rendezvous|SRT/i.test(l)).slice(0, 20),
    logB: logB.split("\n").filter((l) => /connect|rendezvous|SRT/i.test(l)).slice(0, 20),
    packets: kept,
  };
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? "tests/vectors/srt_rendezvous_capture.json";
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
      { name: "plain", a: "", b: "", expect: "connect" as const },
      {
        name: "latency_passphrase_fec",
        a: `latency=200&passphrase=${SECRET}&pbkeylen=16&packetfilter=${FULL_FEC}`,
        b: `latency=80&passphrase=${SECRET}&pbkeylen=16&packetfilter=${FULL_FEC}`,
        expect: "connect" as const,
      },
      {
        // libsrt 1.5.1 rejects this: the responder answers with the merged (defaults filled)
        // string, which the initiator then finds different from its own.
        name: "short_fec_string_rejected",
        a: "packetfilter=fec,cols:4",
        b: "packetfilter=fec,cols:4",
        expect: "reject" as const,
      },
    ]
  ) {
    scenarios.push(await runScenario(s));
    console.error(`captured ${s.name}`);
  }
  const doc = {
    description:
      "libsrt HSv5 rendezvous handshakes between two srt-live-transmit processes on 127.0.0.1; see tests/vectors/README.md",
    generator: "tests/tools/capture_rendezvous_vector.ts",
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
