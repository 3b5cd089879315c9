// The sans-IO core driven through the seeded network simulator (virtual time).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ControlType, decodeControlPacket } from "./control_packet.ts";
import { isControlPacket } from "./data_packet.ts";
import { HsType } from "./handshake.ts";
import { RejectReason } from "./reject_reason.ts";
import type { SrtError } from "./errors.ts";
import { CALLER, LISTENER, SimPair } from "../tests/sim/harness.ts";

const MS = 1000;

function controlType(d: Uint8Array): number {
  return isControlPacket(d) ? decodeControlPacket(d).type : -1;
}

test("caller and listener connect; the listener sees the stream ID; latency is the larger side's", () => {
  const pair = new SimPair({
    seed: 1,
    caller: { latency: 200, streamId: "#!::r=live/cam1,m=publish" },
    listener: { latency: 120 },
  });
  pair.run(1000 * MS, () => pair.caller.state === "connected" && pair.accepted !== undefined);
  assert.equal(pair.caller.state, "connected");
  assert.equal(pair.requests.length, 1);
  assert.equal(pair.requests[0].streamId, "#!::r=live/cam1,m=publish");
  assert.equal(pair.requests[0].peer.hostname, CALLER.hostname);
  assert.equal(pair.accepted?.state, "connected");
  assert.equal(pair.caller.rcvLatency, 200);
  assert.equal(pair.caller.sndLatency, 200);
  assert.equal(pair.accepted?.rcvLatency, 200);
  assert.equal(pair.accepted?.sndLatency, 200);
  assert.equal(pair.accepted?.peerSocketId, pair.caller.socketId);
  assert.equal(pair.caller.peerSocketId, pair.accepted?.socketId);
  // Two round trips at 10 ms one way: induction + conclusion.
  assert.ok(pair.sim.now >= 40 * MS && pair.sim.now < 60 * MS, `connected at ${pair.sim.now}`);
});

test("a clean link delivers every packet once, in order, at its TSBPD time", () => {
  const pair = new SimPair({ seed: 2, caller: { latency: 120 } });
  pair.stream(100 * MS, 2000, 1 * MS);
  pair.run(3000 * MS);
  assert.equal(pair.delivered.length, 2000);
  pair.delivered.forEach((d, i) => {
    assert.equal(d.index, i);
    // Sent at t, arrives 10 ms later, played 120 ms after sending (+ the 10 ms base offset).
    const lag = d.deliveredUs - d.sentUs;
    assert.ok(Math.abs(lag - 130 * MS) <= 1 * MS, `packet ${i} lag ${lag}`);
  });
  const s = pair.accepted!.stats(pair.sim.now);
  assert.equal(s.pktRcvLossTotal, 0);
  assert.equal(s.pktRcvDropTotal, 0);
  assert.ok(s.pktSentACKTotal >= 2000 / 64, "light ACKs every 64 packets");
  assert.ok(Math.abs(s.msRTT - 20) < 2, `RTT ${s.msRTT}`);
  assert.equal(pair.caller.stats(pair.sim.now).pktSndBuf, 0, "all acknowledged");
});

// Latency in units of the 20 ms RTT.
for (const [loss, rtts] of [[0.01, 4], [0.05, 4], [0.1, 4]]) {
  test(`${loss * 100} % random loss both ways, latency ${rtts} x RTT: every packet recovered in order`, () => {
    const latency = rtts * 20;
    const pair = new SimPair({
      seed: 30 + loss * 100,
      caller: { latency },
      listener: { latency },
      forward: { delayUs: 10 * MS, loss },
      backward: { delayUs: 10 * MS, loss },
    });
    pair.run(3000 * MS, () => pair.caller.state === "connected" && pair.accepted !== undefined);
    pair.stream(pair.sim.now + 10 * MS, 3000, 1 * MS);
    pair.run(pair.sim.now + 5000 * MS);
    assert.equal(pair.caller.state, "connected");
    const idx = pair.delivered.map((d) => d.index);
    assert.deepEqual(idx, Array.from({ length: 3000 }, (_, i) => i));
    const s = pair.accepted!.stats(pair.sim.now);
    assert.ok(s.pktRcvLossTotal > 0, "losses were detected");
    assert.equal(s.pktRcvDropTotal, 0);
    for (const d of pair.delivered) {
      assert.ok(
        Math.abs(d.deliveredUs - d.sentUs - (latency + 10) * MS) <= 1 * MS,
        `packet ${d.index}`,
      );
    }
  });
}

test("packets that cannot be recovered in time are skipped and counted; later ones are not held", () => {
  // Packets 300..499 never get through, not even retransmitted: the receiver must give up on
  // them when packet 500 is due, count them, and deliver everything else at its TSBPD time.
  const pair = new SimPair({
    seed: 5,
    caller: { latency: 60 },
    listener: { latency: 60 },
    forward: {
      delayUs: 5 * MS,
      drop: (d) => {
        if (d[0] & 0x80 || d.length < 20) return false;
        const index = new DataView(d.buffer, d.byteOffset).getUint32(16);
        return index >= 300 && index < 500;
      },
    },
  });
  pair.stream(100 * MS, 1000, 1 * MS);
  pair.run(2000 * MS);
  const s = pair.accepted!.stats(pair.sim.now);
  assert.equal(s.pktRcvDropTotal, 200);
  const idx = pair.delivered.map((d) => d.index);
  assert.deepEqual(idx, [...Array(300).keys(), ...Array.from({ length: 500 }, (_, i) => 500 + i)]);
  for (const d of pair.delivered) {
    assert.ok(Math.abs(d.deliveredUs - d.sentUs - 65 * MS) <= 1 * MS, `packet ${d.index} was held`);
  }
});

test("a sender cut off for longer than its drop threshold drops old packets and tells the receiver", () => {
  let cut = false;
  const pair = new SimPair({
    seed: 12,
    caller: { latency: 100 },
    listener: { latency: 100 },
    forward: { delayUs: 5 * MS, drop: () => cut },
    backward: { delayUs: 5 * MS, drop: () => cut },
  });
  pair.stream(100 * MS, 3000, 1 * MS);
  pair.sim.at(500 * MS, () => (cut = true));
  pair.sim.at(2000 * MS, () => (cut = false));
  pair.run(4000 * MS);
  assert.equal(pair.caller.state, "connected");
  const snd = pair.caller.stats(pair.sim.now);
  assert.ok(snd.pktSndDropTotal > 0, "the sender dropped what was older than 1 s");
  const rcv = pair.accepted!.stats(pair.sim.now);
  assert.ok(rcv.pktRcvDropTotal > 0);
  const last = pair.delivered.at(-1)!;
  assert.equal(last.index, 2999);
  const idx = pair.delivered.map((d) => d.index);
  assert.deepEqual(idx, [...idx].sort((a, b) => a - b), "in order");
  assert.equal(new Set(idx).size, idx.length, "no duplicates");
  // After the outage the stream is back on its latency.
  for (const d of pair.delivered.filter((x) => x.index > 2200)) {
    assert.ok(Math.abs(d.deliveredUs - d.sentUs - 105 * MS) <= 1 * MS, `packet ${d.index}`);
  }
});

test("a rejected caller learns the listener's reason; it travels as 1000 + code", () => {
  const seen: number[] = [];
  const pair = new SimPair({
    seed: 6,
    caller: { streamId: "#!::r=secret" },
    decide: () => ({ reject: RejectReason.FORBIDDEN }),
    backward: {
      delayUs: 10 * MS,
      drop: (d) => {
        const p = isControlPacket(d) ? decodeControlPacket(d) : undefined;
        if (p?.type === ControlType.HANDSHAKE) seen.push(p.handshake.type);
        return false;
      },
    },
  });
  const events: unknown[] = [];
  pair.run(1000 * MS, () => {
    for (let e = pair.caller.pollEvent(); e; e = pair.caller.pollEvent()) events.push(e);
    return pair.caller.state === "closed";
  });
  assert.equal(pair.caller.state, "closed");
  assert.ok(seen.includes(2403), `handshake types seen: ${seen}`);
});

test("no listener: the caller repeats INDUCTION every 250 ms and times out after connectTimeout", () => {
  let inductions = 0;
  const pair = new SimPair({
    seed: 7,
    caller: { connectTimeout: 3000 },
    forward: {
      delayUs: 1 * MS,
      drop: (d) => {
        const p = decodeControlPacket(d);
        if (p.type === ControlType.HANDSHAKE && p.handshake.type === HsType.INDUCTION) inductions++;
        return true;
      },
    },
  });
  let closedWith: SrtError | undefined;
  pair.run(10_000 * MS, () => {
    for (let e = pair.callerEp.pollEvent(); e; e = pair.callerEp.pollEvent()) {
      if (e.event.kind === "closed") closedWith = e.event.error;
    }
    return pair.caller.state === "closed";
  });
  assert.equal(pair.caller.state, "closed");
  assert.equal(closedWith?.code, "CONNECTION_TIMEOUT");
  assert.ok(pair.sim.now >= 3000 * MS && pair.sim.now <= 3001 * MS, `closed at ${pair.sim.now}`);
  assert.equal(inductions, 12);
});

test("a lost CONCLUSION response is recovered: the repeat is answered idempotently", () => {
  let dropped = 0;
  const pair = new SimPair({
    seed: 8,
    backward: {
      delayUs: 10 * MS,
      drop: (d) => {
        if (dropped > 0 || !isControlPacket(d)) return false;
        const p = decodeControlPacket(d);
        if (p.type === ControlType.HANDSHAKE && p.handshake.type === HsType.CONCLUSION) {
          dropped++;
          return true;
        }
        return false;
      },
    },
  });
  pair.run(2000 * MS, () => pair.caller.state === "connected");
  assert.equal(pair.caller.state, "connected");
  assert.equal(dropped, 1);
  assert.equal(pair.requests.length, 1, "one request, one connection");
  assert.equal(pair.listenerEp.listener!.counters.repeats, 1);
  assert.equal(pair.caller.peerSocketId, pair.accepted!.socketId);
});

test("keepalive every second when idle; SHUTDOWN closes the peer at once", () => {
  const types: number[] = [];
  const pair = new SimPair({
    seed: 9,
    forward: {
      delayUs: 5 * MS,
      drop: (d) => {
        types.push(controlType(d));
        return false;
      },
    },
    backward: { delayUs: 5 * MS },
  });
  pair.run(3500 * MS);
  const keepalives = types.filter((t) => t === ControlType.KEEPALIVE).length;
  assert.equal(keepalives, 3, `keepalives: ${keepalives}`);
  assert.equal(pair.accepted!.state, "connected");
  pair.callerEp.close(pair.sim.now, pair.caller);
  pair.run(3600 * MS);
  assert.equal(pair.accepted!.state, "closed");
  assert.ok(types.includes(ControlType.SHUTDOWN));
});

test("a silent peer is dropped after the idle timeout", () => {
  let cut = false;
  const pair = new SimPair({
    seed: 10,
    caller: { peerIdleTimeout: 2000 },
    listener: { peerIdleTimeout: 2000 },
    forward: { delayUs: 5 * MS, drop: () => cut },
    backward: { delayUs: 5 * MS, drop: () => cut },
  });
  pair.stream(100 * MS, 400, 1 * MS); // traffic until 500 ms, then silence
  pair.run(500 * MS);
  assert.equal(pair.accepted!.state, "connected");
  cut = true;
  pair.run(2400 * MS);
  assert.equal(pair.caller.state, "connected");
  pair.run(2600 * MS);
  assert.equal(pair.caller.state, "closed");
  assert.equal(pair.accepted!.state, "closed");
});

test("malformed datagrams are counted and ignored; the connection keeps working", () => {
  const pair = new SimPair({ seed: 11 });
  pair.run(200 * MS);
  const conn = pair.accepted!;
  const junk = [
    new Uint8Array(3),
    new Uint8Array(16).fill(0xff),
    Uint8Array.of(0x80, 0x03, 0, 0, ...new Array(12).fill(0), 0x80, 0, 0, 1),
  ];
  for (const j of junk) {
    const d = j.slice();
    if (d.length >= 16) new DataView(d.buffer).setUint32(12, conn.socketId);
    pair.listenerEp.handleDatagram(pair.sim.now, d, CALLER);
  }
  assert.equal(pair.listenerEp.counters.runts, 1);
  assert.ok(conn.stats(pair.sim.now).pktRcvInvalid >= 1);
  pair.stream(300 * MS, 50, 1 * MS);
  pair.run(1000 * MS);
  assert.equal(pair.delivered.length, 50);
  assert.equal(LISTENER.port, 9000);
});
