/**
 * Rendezvous against srt-live-transmit 1.5.1 (`mode=rendezvous`) through the public API:
 * both sides aim at each other's port, and the MPEG-TS fixture, paced at its real bitrate,
 * must arrive byte-exact in each direction, in the clear and encrypted.
 *
 * Peers missing: the tests skip, or fail when `CI` is set (see tests/_peers.ts).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { KmState, rendezvous } from "../mod.ts";
import { assertSameBytes, chunks, collect, concat, fixture, paced } from "./_stream.ts";
import { freeUdpPorts, locatePeers, openUdpSocket, spawnPeer, stopAllPeers } from "./_peers.ts";

const peers = locatePeers("srt-live-transmit");
const PASS = "rendezvous interop secret";

for (const encrypted of [false, true]) {
  const label = encrypted ? ", encrypted (AES-128)" : "";
  const query = encrypted ? `&passphrase=${PASS}` : "";
  const options = encrypted ? { passphrase: PASS } : {};

  test(`srt-live-transmit -> tsrt in rendezvous mode: MPEG-TS arrives byte-exact${label}`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    const slt = peers.get("srt-live-transmit");
    const [sltPort, tsrtPort, inPort] = await freeUdpPorts(3);
    const feeder = await openUdpSocket(0);
    try {
      const sender = spawnPeer(slt, [
        "-a:no",
        "-v",
        `udp://127.0.0.1:${inPort}`,
        `srt://127.0.0.1:${tsrtPort}?mode=rendezvous&adapter=127.0.0.1&port=${sltPort}${query}`,
      ]);
      const socket = await rendezvous({
        host: "127.0.0.1",
        port: sltPort,
        localPort: tsrtPort,
        localAddress: "127.0.0.1",
        ...options,
      });
      await sender.waitFor(/SRT target connected/, 10_000);
      if (encrypted) assert.equal(socket.stats().kmState, KmState.SECURED);
      const received = collect(socket, fixture.length);
      await paced((c) => feeder.send(c, inPort));
      assertSameBytes(await received.done, fixture, "received by tsrt");
      assert.equal(socket.stats().pktRcvDropTotal, 0);
      await sender.stop("SIGINT");
      await socket.closed;
    } finally {
      feeder.close();
      await stopAllPeers();
    }
  });

  test(`tsrt -> srt-live-transmit in rendezvous mode: MPEG-TS arrives byte-exact${label}`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    const slt = peers.get("srt-live-transmit");
    const [sltPort, tsrtPort] = await freeUdpPorts(2);
    const sink = await openUdpSocket(0);
    try {
      spawnPeer(slt, [
        "-a:no",
        "-v",
        `srt://127.0.0.1:${tsrtPort}?mode=rendezvous&adapter=127.0.0.1&port=${sltPort}${query}`,
        `udp://127.0.0.1:${sink.port}`,
      ]);
      const socket = await rendezvous(
        `srt://127.0.0.1:${sltPort}?mode=rendezvous&adapter=127.0.0.1&port=${tsrtPort}${query}`,
      );
      if (encrypted) assert.equal(socket.stats().kmState, KmState.SECURED);
      await paced((c) => socket.send(c));
      await socket.close(); // lingers until libsrt has acknowledged and played out the tail
      await sink.waitForCount(chunks.length, 5000);
      assertSameBytes(concat(sink.received), fixture, "received by srt-live-transmit");
    } finally {
      sink.close();
      await stopAllPeers();
    }
  });
}

test("srt-live-transmit -> tsrt in rendezvous mode with FEC: byte-exact, FEC packets received", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  // Rendezvous compares the filter strings as sent (libsrt 1.5.1 too), and the Responder sends
  // its merged configuration: both sides give the full canonical form.
  const filter = "fec,arq:onreq,cols:10,layout:staircase,rows:5";
  const slt = peers.get("srt-live-transmit");
  const [sltPort, tsrtPort, inPort] = await freeUdpPorts(3);
  const feeder = await openUdpSocket(0);
  try {
    const sender = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${tsrtPort}?mode=rendezvous&adapter=127.0.0.1&port=${sltPort}&packetfilter=${filter}`,
    ]);
    const socket = await rendezvous(
      `srt://127.0.0.1:${sltPort}?mode=rendezvous&adapter=127.0.0.1&port=${tsrtPort}&packetfilter=${filter}`,
    );
    await sender.waitFor(/SRT target connected/, 10_000);
    const received = collect(socket, fixture.length);
    await paced((c) => feeder.send(c, inPort));
    assertSameBytes(await received.done, fixture, "received by tsrt");
    assert.ok(socket.stats().pktRcvFilterExtraTotal >= 100);
    await sender.stop("SIGINT");
    await socket.closed;
  } finally {
    feeder.close();
    await stopAllPeers();
  }
});
