/**
 * FEC (`packetfilter=fec,...`) against srt-live-transmit 1.5.1 through the public API: the
 * MPEG-TS fixture, paced at its real bitrate, must arrive byte-exact in each direction with
 * FEC packets flowing; through a relay that drops every 37th data packet, with `arq:never`
 * (no NAK, so no retransmission), the FEC matrix alone must repair the losses; conflicting settings must be
 * refused with SRT_REJ_FILTER (14) both ways.
 *
 * Peers missing: the tests skip, or fail when `CI` is set (see tests/_peers.ts).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, listen, RejectReason, SrtError } from "../mod.ts";
import { startLossyRelay } from "../net/lossy_relay.ts";
import { within } from "../net/_test_util.ts";
import { assertSameBytes, CHUNK, chunks, collect, concat, fixture, paced } from "./_stream.ts";
import { freeUdpPorts, locatePeers, openUdpSocket, spawnPeer, stopAllPeers } from "./_peers.ts";

const peers = locatePeers("srt-live-transmit");
const CLEAN = "fec,cols:10,rows:5";
const NO_ARQ = "fec,cols:10,rows:5,arq:never";
/** The sender-to-receiver path of the lossy runs: 2 ms, and the drops of `dropData`. */
const LINK = { delayMs: 2 };
/** Every DROP_EVERYth data packet is lost. */
const DROP_EVERY = 37;

/**
 * Drops the data packets (not control, not FEC: FEC packets carry message number 0) whose
 * sequence number is a multiple of DROP_EVERY. Two such losses are 37 packets apart, so no row
 * of the 10 x 5 matrix ever holds two and every one can be rebuilt: FEC is exercised in every
 * run, which random loss sparse enough to stay repairable did not guarantee (a run whose few
 * drops all hit FEC or control packets rebuilt nothing).
 */
function dropData(_direction: string, d: Uint8Array): boolean {
  if (d.length < 16 || (d[0] & 0x80) !== 0) return false;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if ((view.getUint32(4) & 0x03ffffff) === 0) return false;
  return (view.getUint32(0) & 0x7fffffff) % DROP_EVERY === 0;
}

/**
 * MPEG-TS null packets sent after the fixture on lossy runs, so that every fixture packet lies
 * in a row and column the sender completes (the last partial groups never get FEC packets, and
 * with arq:never a loss there cannot be repaired).
 */
const PADDING = 120;

function nullChunk(): Uint8Array {
  const c = new Uint8Array(CHUNK);
  for (let off = 0; off < CHUNK; off += 188) c.set([0x47, 0x1f, 0xff, 0x10], off);
  return c;
}

/** Sends the padding at the fixture's rate (about 180 chunks a second). */
async function pad(send: (c: Uint8Array) => void | Promise<void>): Promise<void> {
  for (let i = 0; i < PADDING; i++) {
    await send(nullChunk());
    if (i % 9 === 8) await new Promise((r) => setTimeout(r, 50));
  }
}

const PASS = "fec interop secret";

for (
  const [lossy, encrypted] of [[false, false], [true, false], [true, true]] as const
) {
  const filter = lossy ? NO_ARQ : CLEAN;
  const label = (lossy ? `${filter} through a lossy relay` : filter) +
    (encrypted ? ", encrypted" : "");
  const query = encrypted ? `&passphrase=${PASS}` : "";
  const secret = encrypted ? { passphrase: PASS } : {};

  test(`srt-live-transmit -> tsrt with ${label}: MPEG-TS arrives byte-exact`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    const slt = peers.get("srt-live-transmit");
    const server = await listen({ port: 0, hostname: "127.0.0.1", latency: 300, ...secret });
    const relay = lossy
      ? await startLossyRelay({
        listen: { hostname: "127.0.0.1" },
        target: { hostname: "127.0.0.1", port: server.address.port },
        seed: 20261125,
        forward: LINK,
        dropIf: dropData,
      })
      : undefined;
    const feeder = await openUdpSocket(0);
    try {
      const [inPort] = await freeUdpPorts(1);
      const port = relay?.address.port ?? server.address.port;
      const sender = spawnPeer(slt, [
        "-a:no",
        "-v",
        `udp://127.0.0.1:${inPort}`,
        `srt://127.0.0.1:${port}?packetfilter=${filter}&latency=300${query}`,
      ]);
      await sender.waitFor(/SRT target connected/, 5000);
      const socket = (await server.accept())!;
      const received = collect(socket, fixture.length);
      await paced((c) => feeder.send(c, inPort));
      if (lossy) await pad((c) => feeder.send(c, inPort));
      const got = (await within(received.done, 10_000, "the fixture at tsrt")).subarray(
        0,
        fixture.length,
      );
      const s = socket.stats();
      const figures = JSON.stringify({
        relayDropped: relay?.forward.dropped,
        extra: s.pktRcvFilterExtraTotal,
        supply: s.pktRcvFilterSupplyTotal,
        loss: s.pktRcvFilterLossTotal,
        naks: s.pktSentNAKTotal,
        drops: s.pktRcvDropTotal,
      });
      assertSameBytes(got, fixture, `received by tsrt ${figures}`);
      assert.ok(s.pktRcvFilterExtraTotal >= 100, `FEC packets received: ${figures}`);
      if (lossy) {
        assert.equal(s.pktSentNAKTotal, 0, `arq:never sends no NAK: ${figures}`);
        assert.equal(s.pktRcvUndecryptTotal, 0, `rebuilt packets decrypt: ${figures}`);
        // Every loss was rebuilt, none passed over.
        assert.ok(relay!.forward.dropped >= 15, `the relay dropped data: ${figures}`);
        assert.ok(s.pktRcvFilterSupplyTotal > 0, `rebuilt by FEC: ${figures}`);
        assert.equal(s.pktRcvDropTotal, 0, `nothing dropped as too late: ${figures}`);
      }
      await sender.stop("SIGINT");
      await socket.closed;
    } finally {
      feeder.close();
      await stopAllPeers();
      await relay?.close();
      await server.close();
    }
  });

  test(`tsrt -> srt-live-transmit with ${label}: MPEG-TS arrives byte-exact`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    const slt = peers.get("srt-live-transmit");
    const [srtPort] = await freeUdpPorts(1);
    const sink = await openUdpSocket(0);
    const relay = lossy
      ? await startLossyRelay({
        listen: { hostname: "127.0.0.1" },
        target: { hostname: "127.0.0.1", port: srtPort },
        seed: 20261126,
        forward: LINK,
        dropIf: dropData,
      })
      : undefined;
    try {
      const receiver = spawnPeer(slt, [
        "-a:no",
        "-v",
        `srt://:${srtPort}?mode=listener&packetfilter=${filter}&latency=300${query}`,
        `udp://127.0.0.1:${sink.port}`,
      ]);
      await receiver.waitFor(/ listen\.\.\./, 5000);
      const socket = await connect({
        host: "127.0.0.1",
        port: relay?.address.port ?? srtPort,
        packetFilter: filter,
        ...secret,
        latency: 300,
      });
      await paced((c) => socket.send(c));
      if (lossy) await pad((c) => socket.send(c));
      const s = socket.stats();
      await socket.close();
      await sink.waitForCount(chunks.length + (lossy ? PADDING / 2 : 0), 5000);
      assertSameBytes(
        concat(sink.received.slice(0, chunks.length)),
        fixture,
        `received by srt-live-transmit (relay dropped ${relay?.forward.dropped})`,
      );
      assert.ok(s.pktSndFilterExtraTotal >= 100, `FEC packets sent: ${s.pktSndFilterExtraTotal}`);
      if (lossy) {
        assert.equal(s.pktRecvNAKTotal, 0, "arq:never: libsrt sent no NAK");
        assert.ok(relay!.forward.dropped >= 15, "the relay dropped data packets");
      }
    } finally {
      sink.close();
      await stopAllPeers();
      await relay?.close();
    }
  });
}

test("conflicting FEC settings are refused with SRT_REJ_FILTER both ways", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  // tsrt caller -> libsrt listener.
  const [srtPort, inPort] = await freeUdpPorts(2);
  try {
    const receiver = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://:${srtPort}?mode=listener&packetfilter=fec,cols:20,rows:5`,
      `udp://127.0.0.1:${inPort}`,
    ]);
    await receiver.waitFor(/ listen\.\.\./, 5000);
    await assert.rejects(
      connect({ host: "127.0.0.1", port: srtPort, packetFilter: CLEAN }),
      (e: unknown) =>
        e instanceof SrtError && e.code === "CONNECTION_REJECTED" &&
        e.reason === RejectReason.FILTER,
    );
  } finally {
    await stopAllPeers();
  }
  // libsrt caller -> tsrt listener.
  const server = await listen({ port: 0, hostname: "127.0.0.1", packetFilter: CLEAN });
  try {
    const caller = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${server.address.port}?packetfilter=fec,cols:20,rows:5`,
    ]);
    await caller.waitFor(/[Ff]ilter/, 5000);
    await caller.stop("SIGINT");
    assert.doesNotMatch(caller.output, /SRT target connected/);
    assert.equal(server.sockets.length, 0);
  } finally {
    await stopAllPeers();
    await server.close();
  }
});
