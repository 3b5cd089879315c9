/**
 * The stream server with real peers: srt-live-transmit and ffmpeg callers publish and play
 * through it byte-exact; its rejections reach srt-live-transmit with their reasons (the wire
 * code checked with tshark).
 *
 * Peers missing: the tests skip, or fail when `CI` is set (see tests/_peers.ts).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import { StreamServer } from "../server/stream_server.ts";
import { concat, LogRecorder, readAll } from "../server/_test_util.ts";
import { chunks, fixture, FIXTURE_PATH, paced } from "./_stream.ts";
import {
  decodeSrt,
  freeUdpPorts,
  locatePeers,
  openUdpSocket,
  spawnPeer,
  startCapture,
  stopAllPeers,
} from "./_peers.ts";

const peers = locatePeers("srt-live-transmit", "ffmpeg", "tshark");

test("srt-live-transmit publishes, srt-live-transmit and tsrt play: byte-exact", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const log = new LogRecorder();
  const server = await StreamServer.start({
    port: 0,
    hostname: "127.0.0.1",
    log: log.log,
    players: { waitForPublisher: true },
  });
  const sink = await openUdpSocket(0);
  const feeder = await openUdpSocket(0);
  try {
    const port = server.address.port;
    const [inPort] = await freeUdpPorts(1);
    const sltPlayer = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://127.0.0.1:${port}?streamid=#!::r=live/a,m=request`,
      `udp://127.0.0.1:${sink.port}`,
    ]);
    const tsrtPlayer = await connect(`srt://127.0.0.1:${port}?streamid=#!::r=live/a,m=request`);
    await log.waitFor((e) => e.kind === "play", 2);
    const tsrtRead = readAll(tsrtPlayer);
    const publisher = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${port}?streamid=#!::r=live/a,m=publish`,
    ]);
    await publisher.waitFor(/SRT target connected/, 5000);
    await log.waitFor((e) => e.kind === "publish");
    await paced((c) => feeder.send(c, inPort));
    await sink.waitForCount(chunks.length, 20_000);
    // The publisher leaves: the server hands the players the rest and closes them.
    await publisher.stop("SIGINT");
    await sltPlayer.waitFor(/SRT source disconnected|Connection closed|closed/i, 10_000);
    assert.deepEqual(concat(sink.received), fixture, "srt-live-transmit player");
    assert.deepEqual(concat(await tsrtRead), fixture, "tsrt player");
    const s = log.entries.find((e) => e.kind === "unpublish");
    assert.ok(s, "unpublish logged");
  } finally {
    await stopAllPeers();
    sink.close();
    feeder.close();
    await server.close();
  }
});

test("ffmpeg publishes, srt-live-transmit and tsrt play the same bytes; frames analysed", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const ffmpeg = peers.get("ffmpeg");
  const log = new LogRecorder();
  const server = await StreamServer.start({
    port: 0,
    hostname: "127.0.0.1",
    log: log.log,
    players: { waitForPublisher: true },
  });
  const sink = await openUdpSocket(0);
  try {
    const port = server.address.port;
    const sltPlayer = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://127.0.0.1:${port}?streamid=#!::r=live/ff`,
      `udp://127.0.0.1:${sink.port}`,
    ]);
    const tsrtPlayer = await connect(`srt://127.0.0.1:${port}?streamid=#!::r=live/ff,m=request`);
    await log.waitFor((e) => e.kind === "play", 2);
    const tsrtRead = readAll(tsrtPlayer);
    let media: ReturnType<StreamServer["streams"]>[number]["media"];
    const unpublished = log.waitFor((e) => e.kind === "unpublish", 1, 30_000);
    const ff = spawnPeer(ffmpeg, [
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
      `srt://127.0.0.1:${port}?streamid=#!::r=live/ff,m=publish&latency=120000&pkt_size=1316`,
    ]);
    await log.waitFor((e) => e.kind === "publish");
    // Read the analysis while the stream is still there (it goes with the publisher).
    const probe = setInterval(() => {
      media = server.streams().find((s) => s.resource === "live/ff")?.media ?? media;
    }, 100);
    await ff.exited;
    await unpublished;
    clearInterval(probe);
    const got = concat(await tsrtRead);
    await sltPlayer.waitFor(/SRT source disconnected|closed/i, 10_000);
    assert.ok(got.length > fixture.length * 0.9, `tsrt player got only ${got.length} bytes`);
    assert.deepEqual(concat(sink.received), got, "both players got the same bytes");
    assert.equal(got[0], 0x47);
    assert.ok(media && media.frames > 0, "the pipeline assembled frames");
    assert.ok(media!.streams.some((s) => s.params.codec === "h264"), JSON.stringify(media));
    assert.equal(media!.continuityErrors, 0);
  } finally {
    await stopAllPeers();
    sink.close();
    await server.close();
  }
});

test("rejections reach srt-live-transmit: NOTFOUND player, CONFLICT publisher (wire 2404/2409)", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const tshark = peers.get("tshark");
  const log = new LogRecorder();
  const server = await StreamServer.start({ port: 0, hostname: "127.0.0.1", log: log.log });
  const port = server.address.port;
  const capture = await startCapture(port, tshark);
  const sink = await openUdpSocket(0);
  try {
    const player = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://127.0.0.1:${port}?streamid=#!::r=live/nobody,m=request`,
      `udp://127.0.0.1:${sink.port}`,
    ]);
    await player.waitFor(/Application-defined rejection reason/, 5000);
    await player.stop("SIGINT");
    const owner = await connect(`srt://127.0.0.1:${port}?streamid=#!::r=live/taken,m=publish`);
    const [inPort] = await freeUdpPorts(1);
    const second = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${port}?streamid=#!::r=live/taken,m=publish`,
    ]);
    await second.waitFor(/Application-defined rejection reason/, 5000);
    await second.stop("SIGINT");
    assert.doesNotMatch(second.output, /SRT target connected/);
    await owner.close();
    const packets = await decodeSrt(await capture.stop(), port, tshark);
    const types = packets.filter((p) => p.fields["srt.hs.reqtype"] !== undefined)
      .map((p) => Number(p.fields["srt.hs.reqtype"]));
    assert.ok(types.includes(2404), `handshake types on the wire: ${types}`);
    assert.ok(types.includes(2409), `handshake types on the wire: ${types}`);
    assert.deepEqual(server.accessCounters.byReason, { 1404: 1, 1409: 1 });
  } finally {
    await stopAllPeers();
    await capture.remove();
    sink.close();
    await server.close();
  }
});
