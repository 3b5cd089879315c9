/**
 * tsrt against srt-live-transmit 1.5.1 under real packet loss: the seeded lossy UDP relay
 * (net/lossy_relay.ts) sits between the peers on loopback with 5 or 10 % loss per direction,
 * 20 to 60 ms of RTT and latency 4 x RTT (see LINKS; plus 3 x RTT at 5 % with tsrt sending,
 * where a libsrt pair was seen to lose a packet). The MPEG-TS fixture must arrive byte-exact in
 * both directions. Each test prints tsrt's and libsrt's loss, retransmission and drop counters,
 * and, with tsrt sending, a libsrt-to-libsrt run over the same link for comparison.
 *
 * Peers missing: the tests skip, or fail when `CI` is set (see tests/_peers.ts).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, listen } from "../mod.ts";
import { startLossyRelay } from "../net/lossy_relay.ts";
import { assertSameBytes, CHUNK, chunks, concat, fixture, paced } from "./_stream.ts";
import { freeUdpPorts, locatePeers, openUdpSocket, spawnPeer, stopAllPeers } from "./_peers.ts";

const peers = locatePeers("srt-live-transmit");

/**
 * The links of the matrix: loss per direction, RTT and latency (ms), relay seed. The relay's
 * decisions follow the datagrams as they come, so a seed fixes the loss pattern only up to
 * timing; the seeds are kept so that runs stay comparable.
 *
 * What makes 4 x RTT hold at 10 % against libsrt 1.5.1:
 * - tsrt sending: a libsrt receiver NAKs a gap once when it sees it and then only with its
 *   periodic NAK, which starts 300 ms after the connection is set up. A loss early in the stream
 *   whose one NAK is lost depends on the sender alone: tsrt resends the packet that holds the ACK
 *   point once per round (srt/sender.ts). Before that, 5 of 18 such runs lost a packet.
 * - libsrt sending: it resends a packet at most once per SRTT - 4 RTTVar however often it is
 *   asked, with SRTT and RTTVar copied from tsrt's full ACKs. tsrt reports an RTTVar of at least
 *   RTT / 8 (srt/receiver.ts), so that is at most half an RTT, and asks densely near the
 *   deadline, so a lost NAK costs nothing. Before that, at 10 %, RTT 20 ms, 7 of 20 runs lost a
 *   packet: three resends at most, one RTT apart.
 */
const LINKS: ReadonlyArray<
  {
    readonly loss: number;
    readonly rttMs: number;
    readonly latencyMs: number;
    readonly seed: number;
    readonly tsrtSendsOnly?: boolean;
  }
> = [
  { loss: 0.05, rttMs: 20, latencyMs: 80, seed: 5 },
  { loss: 0.05, rttMs: 60, latencyMs: 240, seed: 6 },
  // Regression: srt-live-transmit -> tsrt lost a packet in 2 of 4 runs before tsrt floored the
  // RTTVar it reports (srt/receiver.ts).
  { loss: 0.1, rttMs: 20, latencyMs: 80, seed: 10 },
  { loss: 0.1, rttMs: 40, latencyMs: 160, seed: 13 },
  { loss: 0.1, rttMs: 60, latencyMs: 240, seed: 11 },
  // The link on which a libsrt pair was seen to lose a packet as too late (3 x RTT). Only
  // with tsrt sending: a libsrt sender resends a packet at most once per RTT - 4 RTTVar, however
  // often it is asked, which leaves two or three attempts at 3 x RTT whatever the receiver does.
  { loss: 0.05, rttMs: 40, latencyMs: 120, seed: 12, tsrtSendsOnly: true },
];

/**
 * MPEG-TS null packets sent after the fixture by srt-live-transmit callers: libsrt does not
 * resend a lost packet that no later packet reveals, so the fixture must not end the stream.
 */
const TRAILER = Array.from({ length: 20 }, () => {
  const c = new Uint8Array(CHUNK);
  for (let i = 0; i < CHUNK; i += 188) c.set([0x47, 0x1f, 0xff, 0x10], i);
  return c;
});

/** Loss, retransmission and drop counters of one side, libsrt names. */
interface Counters {
  pktSndLossTotal?: number;
  pktRetransTotal?: number;
  pktSndDropTotal?: number;
  pktRcvLossTotal?: number;
  pktRcvRetransTotal?: number;
  pktRcvDropTotal?: number;
  pktRcvBelated?: number;
}

/**
 * The last report srt-live-transmit wrote with `-pf:json -f` (totals), as libsrt counters.
 * Its JSON groups fields as `send: { packetsLost, packetsRetransmitted, packetsDropped }` and
 * `recv: { packetsLost, packetsRetransmitted?, packetsDropped, packetsBelated }`.
 */
function sltCounters(path: string): Counters | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n").filter((l) => l.trim().startsWith("{"));
  if (lines.length === 0) return undefined;
  const last = JSON.parse(lines.at(-1)!.replace(/,\s*$/, ""));
  const s = last.send ?? {};
  const r = last.recv ?? {};
  return {
    pktSndLossTotal: s.packetsLost,
    pktRetransTotal: s.packetsRetransmitted,
    pktSndDropTotal: s.packetsDropped,
    pktRcvLossTotal: r.packetsLost,
    pktRcvRetransTotal: r.packetsRetransmitted,
    pktRcvDropTotal: r.packetsDropped,
    pktRcvBelated: r.packetsBelated,
  };
}

/** The counters of a tsrt stats snapshot. */
function pick(s: Counters): Counters {
  return {
    pktSndLossTotal: s.pktSndLossTotal,
    pktRetransTotal: s.pktRetransTotal,
    pktSndDropTotal: s.pktSndDropTotal,
    pktRcvLossTotal: s.pktRcvLossTotal,
    pktRcvRetransTotal: s.pktRcvRetransTotal,
    pktRcvDropTotal: s.pktRcvDropTotal,
    pktRcvBelated: s.pktRcvBelated,
  };
}

function line(who: string, c: Counters | undefined): string {
  if (!c) return `  ${who}: (no stats)`;
  const parts = Object.entries(c).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return `  ${who}: ${parts.join(" ")}`;
}

/** srt-live-transmit's statistics options: a JSON report with totals every 100 packets. */
function statsArgs(path: string): string[] {
  return ["-s:100", "-pf:json", `-statsout:${path}`, "-f"];
}

/** libsrt to libsrt over the same link: the reference figures (not asserted). */
async function libsrtReference(
  slt: string,
  link: (typeof LINKS)[number],
  dir: string,
): Promise<string> {
  const latency = link.latencyMs;
  const [inPort, srtPort] = await freeUdpPorts(2);
  const sink = await openUdpSocket(0);
  const feeder = await openUdpSocket(0);
  const rcvStats = join(dir, "ref-rcv.json");
  const sndStats = join(dir, "ref-snd.json");
  const relay = await startLossyRelay({
    listen: { hostname: "127.0.0.1" },
    target: { hostname: "127.0.0.1", port: srtPort },
    seed: link.seed,
    forward: { loss: link.loss, delayMs: link.rttMs / 2 },
    backward: { loss: link.loss, delayMs: link.rttMs / 2 },
  });
  try {
    const listener = spawnPeer(slt, [
      "-a:no",
      "-v",
      ...statsArgs(rcvStats),
      `srt://:${srtPort}?mode=listener&latency=${latency}`,
      `udp://127.0.0.1:${sink.port}`,
    ]);
    await listener.waitFor(/ listen\.\.\./, 5000);
    const caller = spawnPeer(slt, [
      "-a:no",
      "-v",
      ...statsArgs(sndStats),
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${relay.address.port}?latency=${latency}`,
    ]);
    await caller.waitFor(/SRT target connected/, 10_000);
    await paced((c) => feeder.send(c, inPort));
    await sink.waitForCount(chunks.length, 3000).catch(() => {});
    await stopAllPeers();
    const got = sink.received.length;
    return [
      `libsrt -> libsrt, same link: ${got}/${chunks.length} packets delivered`,
      line("libsrt sender", sltCounters(sndStats)),
      line("libsrt receiver", sltCounters(rcvStats)),
    ].join("\n");
  } finally {
    sink.close();
    feeder.close();
    await relay.close();
  }
}

for (const link of LINKS) {
  const latency = link.latencyMs;
  const name = `${link.loss * 100} % loss each way, RTT ${link.rttMs} ms, latency ${latency} ms`;

  test(`tsrt caller -> relay -> srt-live-transmit listener, ${name}: byte-exact`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    const slt = peers.get("srt-live-transmit");
    const dir = mkdtempSync(join(tmpdir(), "tsrt-loss-"));
    const [srtPort] = await freeUdpPorts(1);
    const sink = await openUdpSocket(0);
    const stats = join(dir, "rcv.json");
    const relay = await startLossyRelay({
      listen: { hostname: "127.0.0.1" },
      target: { hostname: "127.0.0.1", port: srtPort },
      seed: link.seed,
      forward: { loss: link.loss, delayMs: link.rttMs / 2 },
      backward: { loss: link.loss, delayMs: link.rttMs / 2 },
    });
    try {
      const listener = spawnPeer(slt, [
        "-a:no",
        "-v",
        ...statsArgs(stats),
        `srt://:${srtPort}?mode=listener&latency=${latency}`,
        `udp://127.0.0.1:${sink.port}`,
      ]);
      await listener.waitFor(/ listen\.\.\./, 5000);
      const socket = await connect(`srt://127.0.0.1:${relay.address.port}?latency=${latency}`);
      await paced((c) => socket.send(c));
      await socket.close(); // lingers until libsrt has acknowledged and played out the tail
      await sink.waitForCount(chunks.length, 5000).catch(() => {});
      await stopAllPeers();
      const s = socket.stats();
      console.log(
        [
          `tsrt -> libsrt, ${name}: relay dropped ${relay.forward.dropped} forward, ${relay.backward.dropped} backward`,
          line("tsrt sender", pick(s)),
          line("libsrt receiver", sltCounters(stats)),
          await libsrtReference(slt, link, dir),
        ].join("\n"),
      );
      assertSameBytes(concat(sink.received), fixture, "received by srt-live-transmit");
      assert.equal(s.pktSndDropTotal, 0);
      assert.ok(relay.forward.dropped > 0, "the relay did drop packets");
    } finally {
      sink.close();
      await stopAllPeers();
      await relay.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  if (link.tsrtSendsOnly) continue;
  test(`srt-live-transmit caller -> relay -> tsrt listener, ${name}: byte-exact`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    const slt = peers.get("srt-live-transmit");
    const dir = mkdtempSync(join(tmpdir(), "tsrt-loss-"));
    const stats = join(dir, "snd.json");
    const server = await listen({ port: 0, hostname: "127.0.0.1", latency });
    const feeder = await openUdpSocket(0);
    const relay = await startLossyRelay({
      listen: { hostname: "127.0.0.1" },
      target: { hostname: "127.0.0.1", port: server.address.port },
      seed: link.seed + 100,
      forward: { loss: link.loss, delayMs: link.rttMs / 2 },
      backward: { loss: link.loss, delayMs: link.rttMs / 2 },
    });
    try {
      const [inPort] = await freeUdpPorts(1);
      const caller = spawnPeer(slt, [
        "-a:no",
        "-v",
        ...statsArgs(stats),
        `udp://127.0.0.1:${inPort}`,
        `srt://127.0.0.1:${relay.address.port}?latency=${latency}`,
      ]);
      await caller.waitFor(/SRT target connected/, 10_000);
      const socket = (await server.accept())!;
      const parts: Uint8Array[] = [];
      let bytes = 0;
      let resolveAll!: () => void;
      const all = new Promise<void>((r) => (resolveAll = r));
      void (async () => {
        for await (const p of socket.readable) {
          parts.push(p.slice());
          bytes += p.length;
          if (bytes >= fixture.length + CHUNK) resolveAll();
        }
        resolveAll();
      })();
      await paced((c) => feeder.send(c, inPort));
      for (const c of TRAILER) {
        await feeder.send(c, inPort);
        await new Promise((r) => setTimeout(r, 5));
      }
      const timer = new Promise<void>((r) => setTimeout(r, 4 * latency + 3000));
      await Promise.race([all, caller.exited, timer]);
      const s = socket.stats();
      await stopAllPeers();
      console.log(
        [
          `libsrt -> tsrt, ${name}: relay dropped ${relay.forward.dropped} forward, ${relay.backward.dropped} backward`,
          line("libsrt sender", sltCounters(stats)),
          line("tsrt receiver", pick(s)),
        ].join("\n"),
      );
      const got = concat(parts);
      assertSameBytes(got.subarray(0, fixture.length), fixture, "received by tsrt");
      assert.equal(s.pktRcvDropTotal, 0);
      assert.ok(s.pktRcvLossTotal > 0, "losses were seen");
    } finally {
      feeder.close();
      await stopAllPeers();
      await relay.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
