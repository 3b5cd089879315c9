/**
 * tsrt against the real peers from Debian: srt-live-transmit 1.5.1 and ffmpeg 5.1 (libsrt).
 * A real MPEG-TS fixture, paced at its real bitrate, must arrive byte-exact in each direction;
 * tshark's SRT dissector must decode every packet tsrt sends; rejections must reach libsrt
 * with the reason tsrt chose.
 *
 * Peers missing: the tests skip, or fail when `CI` is set (see tests/_peers.ts).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, listen, RejectReason } from "../mod.ts";
import {
  assertSameBytes,
  CHUNK,
  chunks,
  collect,
  concat,
  fixture,
  FIXTURE_PATH,
  paced,
  readAll,
} from "./_stream.ts";
import {
  assertCleanDissection,
  decodeSrt,
  freeUdpPorts,
  locatePeers,
  openUdpSocket,
  runToCompletion,
  spawnPeer,
  startCapture,
  stopAllPeers,
} from "./_peers.ts";

const peers = locatePeers("srt-live-transmit", "ffmpeg", "tshark");

test("srt-live-transmit caller -> tsrt listener: stream ID seen, MPEG-TS arrives byte-exact", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const streamId = "#!::r=live/interop,m=publish,u=tsrt";
  let seenId: string | undefined;
  const server = await listen({
    port: 0,
    hostname: "127.0.0.1",
    accept: (req) => {
      seenId = req.streamId;
      return true;
    },
  });
  const feeder = await openUdpSocket(0);
  try {
    const [inPort] = await freeUdpPorts(1);
    const caller = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${server.address.port}?streamid=${streamId}`,
    ]);
    await caller.waitFor(/SRT target connected/, 5000);
    const socket = (await server.accept())!;
    assert.equal(seenId, streamId);
    assert.equal(socket.streamId, streamId);
    const received = collect(socket, fixture.length);
    await paced((c) => feeder.send(c, inPort));
    assertSameBytes(await received.done, fixture, "received by tsrt");
    const s = socket.stats();
    assert.equal(s.pktRcvDropTotal, 0);
    assert.equal(s.msRcvTsbPdDelay, 120);
    await caller.stop("SIGINT");
    await socket.closed;
  } finally {
    feeder.close();
    await stopAllPeers();
    await server.close();
  }
});

test("tsrt caller -> srt-live-transmit listener: byte-exact, every tsrt packet dissects cleanly", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const tshark = peers.get("tshark");
  const [srtPort] = await freeUdpPorts(1);
  const sink = await openUdpSocket(0);
  const capture = await startCapture(srtPort, tshark);
  try {
    const listener = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://:${srtPort}?mode=listener`,
      `udp://127.0.0.1:${sink.port}`,
    ]);
    await listener.waitFor(/ listen\.\.\./, 5000);
    const socket = await connect(
      `srt://127.0.0.1:${srtPort}?streamid=#!::r=live/out,m=publish&latency=200`,
    );
    assert.equal(socket.latency, 200);
    await listener.waitFor(/Accepted SRT source connection/, 5000);
    await paced((c) => socket.send(c));
    await socket.close(); // lingers until libsrt has acknowledged and played out the tail
    await sink.waitForCount(chunks.length, 5000);
    assertSameBytes(concat(sink.received), fixture, "received by srt-live-transmit");
    await listener.waitFor(/SRT source disconnected/, 5000);
    await stopAllPeers();
    const packets = await decodeSrt(await capture.stop(), srtPort, tshark);
    const ours = packets.filter((p) => p.dstPort === srtPort);
    assert.ok(ours.length >= chunks.length, `captured ${ours.length} tsrt packets`);
    assertCleanDissection(ours);
    const kinds = new Set(
      ours.map((p) => p.fields["srt.iscontrol"] === "1" ? p.fields["srt.type"] : "data"),
    );
    for (const k of ["data", "0x0000", "0x0006", "0x0005"]) {
      assert.ok(
        [...kinds].some((x) => String(x).includes(k) || x === k),
        `no ${k} in ${[...kinds]}`,
      );
    }
  } finally {
    sink.close();
    await stopAllPeers();
    await capture.remove();
  }
});

test("ffmpeg -re caller -> tsrt listener: everything ffmpeg sends arrives byte-exact", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const ffmpeg = peers.get("ffmpeg");
  const tshark = peers.get("tshark");
  const dir = mkdtempSync(join(tmpdir(), "tsrt-ffmpeg-"));
  const server = await listen({ port: 0, hostname: "127.0.0.1" });
  const port = server.address.port;
  const capture = await startCapture(port, tshark);
  try {
    // ffmpeg re-muxes; its muxing is deterministic, so the same command to a file is the reference.
    const ref = join(dir, "ref.ts");
    await runToCompletion(ffmpeg, [
      "-nostdin",
      "-hide_banner",
      "-loglevel",
      "error",
      "-i",
      FIXTURE_PATH,
      "-c",
      "copy",
      "-f",
      "mpegts",
      ref,
    ]);
    const want = new Uint8Array(readFileSync(ref));
    spawnPeer(ffmpeg, [
      "-nostdin",
      "-hide_banner",
      "-loglevel",
      "error",
      "-re",
      "-i",
      FIXTURE_PATH,
      "-c",
      "copy",
      "-f",
      "mpegts",
      `srt://127.0.0.1:${port}?streamid=#!::r=live/ffmpeg,m=publish&latency=120000&pkt_size=1316`,
    ]);
    const socket = (await server.accept())!;
    assert.equal(socket.streamId, "#!::r=live/ffmpeg,m=publish");
    const got = await readAll(socket);
    await stopAllPeers();
    // ffmpeg closes its libsrt socket with linger 0, so the last muxer flush never reaches the
    // wire. What tsrt must deliver is exactly what ffmpeg sent: count it from the capture.
    const packets = await decodeSrt(await capture.stop(), port, tshark);
    const wire = new Map<number, Uint8Array>();
    for (const p of packets) {
      if (p.dstPort !== port || parseInt(p.hex.slice(0, 2), 16) >= 0x80) continue;
      const bytes = new Uint8Array(p.hex.match(/../g)!.map((h) => parseInt(h, 16)));
      wire.set(parseInt(p.hex.slice(0, 8), 16), bytes.subarray(16));
    }
    const sent = concat([...wire.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]));
    assertSameBytes(got, sent, "delivered vs. what ffmpeg put on the wire");
    assert.ok(got.length > want.length * 0.9, `only ${got.length} of ${want.length} bytes`);
    // All but ffmpeg's final flush is the same as its file output.
    const whole = got.length - (got.length % CHUNK === 0 ? CHUNK : got.length % CHUNK);
    assertSameBytes(got.subarray(0, whole), want.subarray(0, whole), "received from ffmpeg");
  } finally {
    await stopAllPeers();
    await capture.remove();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a tsrt listener's rejection reaches srt-live-transmit with the chosen reason", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const tshark = peers.get("tshark");
  for (
    const [reason, text, wire] of [
      [RejectReason.FORBIDDEN, /Application-defined rejection reason/, 2403],
      [RejectReason.PEER, /Peer rejected connection/, 1002],
    ] as const
  ) {
    const server = await listen({
      port: 0,
      hostname: "127.0.0.1",
      accept: (req) => req.streamId === "#!::r=private" ? reason : true,
    });
    const capture = await startCapture(server.address.port, tshark);
    try {
      const [inPort] = await freeUdpPorts(1);
      const caller = spawnPeer(slt, [
        "-a:no",
        "-v",
        `udp://127.0.0.1:${inPort}`,
        `srt://127.0.0.1:${server.address.port}?streamid=#!::r=private`,
      ]);
      await caller.waitFor(text, 5000);
      await caller.stop("SIGINT");
      assert.doesNotMatch(caller.output, /SRT target connected/);
      const packets = await decodeSrt(await capture.stop(), server.address.port, tshark);
      const types = packets.filter((p) => p.fields["srt.hs.reqtype"] !== undefined)
        .map((p) => Number(p.fields["srt.hs.reqtype"]));
      assert.ok(types.includes(wire), `handshake types on the wire: ${types}`);
      assert.equal(server.sockets.length, 0);
    } finally {
      await stopAllPeers();
      await capture.remove();
      await server.close();
    }
  }
});
