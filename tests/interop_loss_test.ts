/**
 * tsrt against srt-live-transmit 1.5.1 under real packet loss: the seeded lossy UDP relay
 * (net/lossy_relay.ts) sits between the peers on loopback with 5 or 10 % loss per direction,
 * 20 to 60 ms of RTT and latency 4 x RTT (see LINKS; plus 3 x RTT at 5 % with tsrt sending,
 * where a libsrt pair was seen to lose a packet). With tsrt sending, the MPEG-TS fixture must
 * arrive byte-exact. With libsrt sending, whether a lost packet is resent in time is up to
 * libsrt (a libsrt pair misses one now and then on these links), so the relay logs when each
 * packet first got through, and tsrt must deliver, in order and intact, every packet that
 * reached it in time: all of them in nearly every run. Each test prints tsrt's and libsrt's
 * loss, retransmission and drop counters, and, with tsrt sending, a libsrt-to-libsrt run over
 * the same link for comparison.
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
import { assertSameBytes, CHUNK, chunks, collect, concat, fixture, paced } from "./_stream.ts";
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

/** How long before its play time a packet must reach tsrt to count as recoverable (ms). */
const LATE_SLACK_MS = 10;

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

/**
 * What the relay let through towards tsrt, per data packet: when its first copy left the relay
 * and its SRT timestamp. With libsrt sending, whether a lost packet is resent in time is
 * libsrt's doing (it resends at most once per SRTT - 4 RTTVar, however often it is asked); what
 * tsrt answers for is delivering every packet that reached it in time.
 */
class ArrivalLog {
  readonly #seen = new Map<number, { ts: number; at: number }>();
  #firstSeq = -1;

  /** The relay's `onAdmit` hook. */
  readonly onAdmit = (dir: string, d: Uint8Array, releaseAtMs: readonly number[]): void => {
    if (dir !== "forward" || d.length < 16 || (d[0] & 0x80) !== 0) return;
    const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const seq = view.getUint32(0) & 0x7fffffff;
    if (this.#firstSeq < 0) this.#firstSeq = seq;
    const at = releaseAtMs.length > 0 ? Math.min(...releaseAtMs) : Infinity;
    const e = this.#seen.get(seq);
    if (e === undefined) this.#seen.set(seq, { ts: view.getUint32(8), at });
    else if (at < e.at) e.at = at;
  };

  /**
   * Indexes (0 = the first data packet) of the packets whose first copy reached tsrt less than
   * `slackMs` before its play time, or never. Play time: the earliest (arrival - timestamp) over
   * all packets, plus the packet's timestamp and the latency, which is how a receiver's TSBPD
   * base comes out over a link of constant delay.
   */
  late(count: number, latencyMs: number, slackMs: number): Set<number> {
    let base = Infinity;
    for (const { ts, at } of this.#seen.values()) base = Math.min(base, at - ts / 1000);
    const out = new Set<number>();
    for (let i = 0; i < count; i++) {
      const e = this.#seen.get((this.#firstSeq + i) & 0x7fffffff);
      if (e === undefined || e.at > base + e.ts / 1000 + latencyMs - slackMs) out.add(i);
    }
    return out;
  }
}

/**
 * Checks that `parts` (payloads as delivered, one per packet) are `want` in order, where only
 * the chunks in `mayMiss` may be missing. Returns how many were missing.
 */
function assertDeliveredInOrder(
  parts: readonly Uint8Array[],
  want: readonly Uint8Array[],
  mayMiss: ReadonlySet<number>,
  what: string,
): number {
  const same = (a: Uint8Array, b: Uint8Array): boolean =>
    a.length === b.length && a.every((x, k) => x === b[k]);
  let j = 0;
  let missing = 0;
  for (const p of parts) {
    if (j >= want.length) break;
    while (j < want.length && !same(p, want[j]) && mayMiss.has(j)) {
      j++;
      missing++;
    }
    if (j >= want.length || !same(p, want[j])) {
      assert.fail(`${what}: packet ${j} missing or corrupt, though it reached tsrt in time`);
    }
    j++;
  }
  for (; j < want.length; j++) {
    assert.ok(mayMiss.has(j), `${what}: packet ${j} missing, though it reached tsrt in time`);
    missing++;
  }
  return missing;
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
  test(
    `srt-live-transmit caller -> relay -> tsrt listener, ${name}: all that came in time, byte-exact`,
    {
      skip: peers.skip,
      timeout: 60_000,
    },
    async () => {
      const slt = peers.get("srt-live-transmit");
      const dir = mkdtempSync(join(tmpdir(), "tsrt-loss-"));
      const stats = join(dir, "snd.json");
      const server = await listen({ port: 0, hostname: "127.0.0.1", latency });
      const feeder = await openUdpSocket(0);
      const arrivals = new ArrivalLog();
      const relay = await startLossyRelay({
        listen: { hostname: "127.0.0.1" },
        target: { hostname: "127.0.0.1", port: server.address.port },
        seed: link.seed + 100,
        forward: { loss: link.loss, delayMs: link.rttMs / 2 },
        backward: { loss: link.loss, delayMs: link.rttMs / 2 },
        onAdmit: arrivals.onAdmit,
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
        // The fixture and the first trailer packet, which reveals a loss at the fixture's end.
        const received = collect(socket, fixture.length + CHUNK);
        await paced((c) => feeder.send(c, inPort));
        for (const c of TRAILER) {
          await feeder.send(c, inPort);
          await new Promise((r) => setTimeout(r, 5));
        }
        const timer = new Promise<void>((r) => setTimeout(r, 4 * latency + 3000));
        await Promise.race([received.done, caller.exited, timer]);
        const parts = received.parts;
        const s = socket.stats();
        await stopAllPeers();
        // Packets libsrt did not get through the relay at least LATE_SLACK_MS before their play
        // time: tsrt may miss those (libsrt to libsrt misses some on these links too), and only
        // those.
        const late = arrivals.late(chunks.length, latency, LATE_SLACK_MS);
        console.log(
          [
            `libsrt -> tsrt, ${name}: relay dropped ${relay.forward.dropped} forward, ${relay.backward.dropped} backward; ` +
            `${late.size} packets did not reach tsrt ${LATE_SLACK_MS} ms before their play time`,
            line("libsrt sender", sltCounters(stats)),
            line("tsrt receiver", pick(s)),
          ].join("\n"),
        );
        const missing = assertDeliveredInOrder(parts, chunks, late, "received by tsrt");
        if (late.size === 0) {
          assertSameBytes(concat(parts).subarray(0, fixture.length), fixture, "received by tsrt");
        }
        assert.ok(missing <= late.size);
        assert.ok(s.pktRcvDropTotal <= late.size, `${s.pktRcvDropTotal} dropped`);
        assert.ok(s.pktRcvLossTotal > 0, "losses were seen");
      } finally {
        feeder.close();
        await stopAllPeers();
        await relay.close();
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}
