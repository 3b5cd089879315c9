/**
 * Demonstrates and checks the real-peer harness (tests/_peers.ts): two srt-live-transmit 1.5.1
 * processes carry UDP datagrams over SRT on 127.0.0.1 while tshark captures, and tshark's SRT
 * dissector must decode every libsrt packet cleanly.
 *
 * Peers missing: the tests skip, or fail when `CI` is set (see `requirePeer`).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  assertCleanDissection,
  decodeSrt,
  dissectionProblem,
  EXPERT_SEVERITY,
  freeUdpPorts,
  locatePeers,
  openUdpSocket,
  requirePeer,
  spawnPeer,
  type SrtDecodedPacket,
  startCapture,
  stopAllPeers,
  type UdpSocket,
} from "./_peers.ts";

const encoder = new TextEncoder();

/** Control type of a decoded packet, or -1 for data. */
function controlType(p: SrtDecodedPacket): number {
  const w0 = parseInt(p.hex.slice(0, 8), 16);
  return w0 >= 0x80000000 ? (w0 >>> 16) & 0x7fff : -1;
}

/** Handshake type (CIF word 5) of a handshake packet, signed. */
function handshakeType(p: SrtDecodedPacket): number {
  return parseInt(p.hex.slice(72, 80), 16) | 0;
}

interface PairRun {
  packets: SrtDecodedPacket[];
  delivered: Uint8Array[];
  srtPort: number;
}

/**
 * Runs listener (srt -> udp) and caller (udp -> srt), pushes `datagrams` through, optionally
 * via a relay that drops some caller->listener packets, and returns the decoded capture.
 */
async function runPair(
  slt: string,
  tshark: string,
  datagrams: Uint8Array[],
  drop?: (packet: Uint8Array) => boolean,
): Promise<PairRun> {
  const [srtPort, outPort, inPort, relayPort] = await freeUdpPorts(4);
  const capture = await startCapture(srtPort, tshark);
  const sockets: UdpSocket[] = [];
  try {
    const sink = await openUdpSocket(outPort);
    sockets.push(sink);
    const feeder = await openUdpSocket(0);
    sockets.push(feeder);
    let connectPort = srtPort;
    if (drop) {
      // front: the caller talks to it; back: talks to the listener on the caller's behalf.
      const front = await openUdpSocket(relayPort);
      const back = await openUdpSocket(0);
      sockets.push(front, back);
      let callerPort = 0;
      front.onMessage = (data, from) => {
        callerPort = from;
        if (!drop(data)) void back.send(data, srtPort);
      };
      back.onMessage = (data) => {
        if (callerPort !== 0) void front.send(data, callerPort);
      };
      connectPort = relayPort;
    }
    const listener = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://:${srtPort}?mode=listener`,
      `udp://127.0.0.1:${outPort}`,
    ]);
    await listener.waitFor(/ listen\.\.\./, 5000);
    const caller = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${connectPort}`,
    ]);
    await caller.waitFor(/SRT target connected/, 5000);
    await listener.waitFor(/Accepted SRT source connection/, 5000);
    for (const d of datagrams) await feeder.send(d, inPort);
    await sink.waitForCount(datagrams.length, 5000);
    await caller.stop("SIGINT");
    await listener.waitFor(/SRT source disconnected/, 5000);
    await stopAllPeers();
    const pcap = await capture.stop();
    const packets = await decodeSrt(pcap, srtPort, tshark);
    return { packets, delivered: [...sink.received], srtPort };
  } finally {
    await stopAllPeers();
    for (const s of sockets) s.close();
    await capture.remove();
  }
}

/** Skips outside CI when a peer is missing; in CI the tests fail in `peers.get`. */
const peers = locatePeers("srt-live-transmit", "tshark");

test("srt-live-transmit pair moves UDP datagrams and tshark dissects every packet cleanly", {
  skip: peers.skip,
}, async () => {
  const found = { slt: peers.get("srt-live-transmit"), tshark: peers.get("tshark") };
  const datagrams = Array.from({ length: 20 }, (_, i) => encoder.encode(`tsrt harness #${i}`));
  const run = await runPair(found.slt, found.tshark, datagrams);

  assert.deepEqual(run.delivered, datagrams);
  assertCleanDissection(run.packets);

  const toListener = run.packets.filter((p) => p.dstPort === run.srtPort);
  const fromListener = run.packets.filter((p) => p.srcPort === run.srtPort);
  const hs = (list: SrtDecodedPacket[], type: number) =>
    list.filter((p) => controlType(p) === 0 && handshakeType(p) === type);
  assert.ok(hs(toListener, 1).length >= 1, "caller INDUCTION");
  assert.ok(hs(fromListener, 1).length >= 1, "listener INDUCTION response");
  assert.ok(hs(toListener, -1).length >= 1, "caller CONCLUSION");
  assert.ok(hs(fromListener, -1).length >= 1, "listener CONCLUSION response");
  assert.equal(hs(fromListener, 1)[0].fields["srt.hs.extfield"], "0x4a17");
  const data = toListener.filter((p) => controlType(p) === -1);
  assert.ok(data.length >= datagrams.length, `data packets: ${data.length}`);
  assert.ok(fromListener.some((p) => controlType(p) === 2), "ACK");
  assert.ok(toListener.some((p) => controlType(p) === 5), "SHUTDOWN from the caller");
});

test("libsrt NAKs carry only by-design expert notes, which assertCleanDissection tolerates", {
  skip: peers.skip,
}, async () => {
  const found = { slt: peers.get("srt-live-transmit"), tshark: peers.get("tshark") };
  const datagrams = Array.from({ length: 12 }, (_, i) => encoder.encode(`tsrt loss #${i}`));
  let first: number | undefined;
  const dropped = new Set<number>();
  const run = await runPair(found.slt, found.tshark, datagrams, (pkt) => {
    if ((pkt[0] & 0x80) !== 0) return false;
    const seq = ((pkt[0] << 24) | (pkt[1] << 16) | (pkt[2] << 8) | pkt[3]) >>> 0;
    first ??= seq;
    const offset = seq - first;
    if ((offset === 2 || (offset >= 5 && offset <= 6)) && !dropped.has(seq)) {
      dropped.add(seq);
      return true;
    }
    return false;
  });
  assert.deepEqual(run.delivered, datagrams, "retransmission recovered every datagram");
  const naks = run.packets.filter((p) => controlType(p) === 3);
  assert.ok(naks.length >= 1, "the listener sent a NAK");
  assert.ok(naks.every((p) => p.expert.length > 0), "tshark notes NAK loss entries");
  assertCleanDissection(run.packets);
  // Without the allowance the same NAKs are reported.
  assert.throws(() => assertCleanDissection(naks, { allowExpert: [] }), /Loss sequence/);
});

test("assertCleanDissection rejects malformed, undissected and unexpected expert packets", () => {
  const base: SrtDecodedPacket = {
    frame: 1,
    time: 0,
    srcPort: 1000,
    dstPort: 2000,
    hex: "80010000000000000000000100000000",
    dissected: true,
    fields: { "srt.iscontrol": "1", "srt.type": "0x0001" },
    malformed: false,
    expert: [],
  };
  assert.equal(dissectionProblem(base), undefined);
  assert.doesNotThrow(() => assertCleanDissection([base]));
  assert.throws(() => assertCleanDissection([]), /no packets/);
  assert.throws(() => assertCleanDissection([{ ...base, malformed: true }]), /malformed/);
  assert.throws(
    () => assertCleanDissection([{ ...base, dissected: false, fields: {} }]),
    /no SRT layer/,
  );
  const warn = { message: "Something odd", severity: EXPERT_SEVERITY.warn, group: 0, layer: "srt" };
  assert.throws(() => assertCleanDissection([{ ...base, expert: [warn] }]), /Something odd/);
  const lossWarn = { ...warn, message: "Loss sequence: 5" };
  assert.throws(() => assertCleanDissection([{ ...base, expert: [lossWarn] }]), /Loss sequence/);
  const lossNote = { ...lossWarn, severity: EXPERT_SEVERITY.note };
  assert.doesNotThrow(() => assertCleanDissection([{ ...base, expert: [lossNote] }]));
});

test("requirePeer and locatePeers fail instead of skipping when CI is set", () => {
  // A name that cannot exist, through the same lookup (cast: the type only lists real peers).
  const missing = "tsrt-no-such-peer" as Parameters<typeof requirePeer>[0];
  const saved = process.env.CI;
  try {
    delete process.env.CI;
    assert.equal(requirePeer(missing), undefined);
    const local = locatePeers(missing);
    assert.match(String(local.skip), /not installed: tsrt-no-such-peer/);
    process.env.CI = "true";
    assert.throws(() => requirePeer(missing), /CI is set/);
    const ci = locatePeers(missing);
    assert.equal(ci.skip, false, "in CI the test runs (and fails) instead of skipping");
    assert.throws(() => ci.get(missing), /CI is set/);
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
});
