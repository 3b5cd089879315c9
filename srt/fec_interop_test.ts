/**
 * FEC interop with a real libsrt 1.5.1 receiver: a relay between two srt-live-transmit
 * processes (`packetfilter=fec,cols:4,rows:2,layout:even,arq:never`) throws away every FEC
 * packet libsrt's sender makes, puts tsrt's {@linkcode FecSender} packets in their place, and
 * drops some data packets for good (`arq:never`: no NAK, so no retransmission). Every payload
 * must still come out of the libsrt listener, which proves libsrt rebuilt the dropped packets
 * from tsrt's FEC packets. tsrt's {@linkcode FecReceiver}, fed what the relay forwarded, must
 * rebuild the same packets.
 *
 * Needs srt-live-transmit (no tshark): skips without it, fails when `CI` is set.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  freeUdpPorts,
  locatePeers,
  openUdpSocket,
  spawnPeer,
  stopAllPeers,
} from "../tests/_peers.ts";
import { readU32 } from "./_bytes.ts";
import { dataSeq, decodeDataPacket } from "./data_packet.ts";
import { fecConfigFrom } from "./fec_config.ts";
import { isFilterControlPacket } from "./fec_packet.ts";
import { FecReceiver } from "./fec_receiver.ts";
import { FecSender } from "./fec_sender.ts";

const peers = locatePeers("srt-live-transmit");
const FILTER = "fec,cols:4,rows:2,layout:even,arq:never";
const PACKETS = 40;
/** Data packets (by index from the ISN) the relay never forwards. */
const DROPPED = new Set([1, 2, 9, 14, 21, 27, 33, 38]);

function payload(i: number): Uint8Array {
  const p = new Uint8Array(100 + ((i * 53) % 1200));
  p.set(new TextEncoder().encode(`tsrt fec interop #${i} `));
  for (let k = 24; k < p.length; k++) p[k] = (k * 7 + i) & 0xff;
  return p;
}

test("libsrt 1.5.1 rebuilds lost packets from tsrt's FEC packets", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const [srtPort, inPort] = await freeUdpPorts(2);
  const relay = await openUdpSocket();
  const sink = await openUdpSocket();
  const feeder = await openUdpSocket();
  let callerPort = 0;
  let sender: FecSender | undefined;
  let isn = -1;
  let droppedLibsrtFec = 0;
  const forwarded: Uint8Array[] = [];
  const toListener = (d: Uint8Array): void => {
    forwarded.push(d);
    void relay.send(d, srtPort);
  };
  relay.onMessage = (d, from) => {
    if (from === srtPort) {
      if (callerPort !== 0) void relay.send(d, callerPort);
      return;
    }
    callerPort = from;
    if (d.length < 16) return;
    if (d[0] & 0x80) {
      // The caller's CONCLUSION request (HSv5, dest 0) carries the ISN both directions use.
      if (d[0] === 0x80 && d[1] === 0 && d.length >= 64 && readU32(d, 36) === 0xffffffff) {
        isn = readU32(d, 24) & 0x7fffffff;
        // srt-live-transmit's SRTO_PAYLOADSIZE is 1456, cut to 1452 by the filter.
        sender = new FecSender(fecConfigFrom(FILTER), isn, 1452);
      }
      toListener(d);
      return;
    }
    if (isFilterControlPacket(d)) {
      droppedLibsrtFec++;
      return;
    }
    if (sender === undefined) return;
    const index = (dataSeq(d) - isn + 0x80000000) % 0x80000000;
    // Retransmissions (R set) are not fed to the filter; none are expected with arq:never.
    const fec = d[4] & 0x04 ? [] : sender.feedAndDrain(d, readU32(d, 12));
    if (!DROPPED.has(index)) toListener(d);
    for (const f of fec) toListener(f);
  };
  try {
    const listener = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://127.0.0.1:${srtPort}?mode=listener&packetfilter=${FILTER}`,
      `udp://127.0.0.1:${sink.port}`,
    ]);
    await listener.waitFor(/ listen\.\.\./, 5000);
    const caller = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${relay.port}?mode=caller&packetfilter=${FILTER}`,
    ]);
    await caller.waitFor(/SRT target connected/, 5000);
    await listener.waitFor(/Accepted SRT source connection/, 5000);
    const sent = Array.from({ length: PACKETS }, (_, i) => payload(i));
    for (const p of sent) await feeder.send(p, inPort);
    await sink.waitForCount(PACKETS, 10_000);
    assert.deepEqual(sink.received, sent, "every payload, in order, out of libsrt");
    assert.ok(droppedLibsrtFec > 0, "libsrt's own FEC packets were removed");
    assert.ok(sender!.stats.sentFilterExtra >= 15, `${sender!.stats.sentFilterExtra} tsrt FEC`);

    // tsrt's receiver, given the same forwarded stream, rebuilds the same packets.
    const rcv = new FecReceiver(fecConfigFrom(FILTER), isn, 1452, 0);
    const rebuilt = new Map<number, Uint8Array>();
    for (const d of forwarded) {
      if (d[0] & 0x80) continue;
      for (const r of rcv.receive(d).rebuilt) {
        rebuilt.set((dataSeq(r) - isn + 0x80000000) % 0x80000000, decodeDataPacket(r).payload);
      }
    }
    assert.deepEqual([...rebuilt.keys()].sort((a, b) => a - b), [...DROPPED]);
    for (const [i, p] of rebuilt) assert.deepEqual(p, sent[i]);
    await caller.stop("SIGINT");
    await listener.stop("SIGINT");
  } finally {
    await stopAllPeers();
    relay.close();
    sink.close();
    feeder.close();
  }
});
