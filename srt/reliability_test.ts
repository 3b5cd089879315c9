// Live-mode reliability through the seeded network simulator (virtual time): the loss targets
// of issue 3, bursts, reordering, wraps, bounded memory, pacing, flow window and clock drift.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dataSeq, isControlPacket } from "./data_packet.ts";
import { readU32 } from "./_bytes.ts";
import { SimPair } from "../tests/sim/harness.ts";
import { LOSS_PROFILES, runLossProfile } from "../tests/sim/loss_profiles.ts";
import { createPrng } from "../net/prng.ts";

const MS = 1000;

/**
 * Seeds that once lost or mistimed a packet, per profile (found with tests/sim/seed_sweep.ts).
 * They stay as regression cases; each run adds a few random seeds.
 */
const ONCE_FAILING_SEEDS: Readonly<Record<string, readonly number[]>> = {
  "5% / 4xRTT": [120, 135, 1136],
  "10% / 4xRTT": [109, 113, 125, 130, 132, 1055, 1133],
  "20% / 8xRTT": [113, 115, 134, 1035],
};
const RANDOM_SEEDS_PER_RUN = 1;
/** Packets per run (the seed sweep uses 3000). */
const PACKETS = 2000;

function randomSeeds(n: number): number[] {
  return Array.from({ length: n }, () => Math.floor(Math.random() * 0x7fffffff));
}

for (const profile of LOSS_PROFILES) {
  test(`${profile.name} loss both ways: every packet once, in order, at its TSBPD time`, () => {
    const seeds = [
      ...(ONCE_FAILING_SEEDS[profile.name] ?? []),
      ...randomSeeds(RANDOM_SEEDS_PER_RUN),
    ];
    for (const seed of seeds) {
      const r = runLossProfile(profile, seed, PACKETS);
      assert.equal(r.problem, undefined, `${profile.name}, seed ${seed}: ${r.problem}`);
      if (profile.loss > 0) assert.ok(r.lost > 0, `seed ${seed}: losses were detected`);
    }
  });
}

/** The payload index the harness writes into each data packet (first 4 payload bytes). */
function payloadIndex(d: Uint8Array): number {
  return d.length >= 20 ? readU32(d, 16) : -1;
}

test("a loss burst longer than the latency can cover: its losses are dropped and counted, later packets are not held", () => {
  // For 300 ms the forward path loses 90 % of data packets, retransmissions included, with 80 ms
  // of latency: the packets that get through show the gaps, and at their play time the holes
  // that could not be filled are skipped (TLPKTDROP). After the burst nothing is held back.
  const rng = createPrng(7);
  const pair = new SimPair({
    seed: 41,
    caller: { latency: 80 },
    listener: { latency: 80 },
    forward: {
      delayUs: 10 * MS,
      drop: (d, now) =>
        !isControlPacket(d) && now >= 400 * MS && now < 700 * MS && rng.next() < 0.9,
    },
    backward: { delayUs: 10 * MS },
  });
  pair.stream(100 * MS, 1000, 1 * MS);
  pair.run(2500 * MS);
  const s = pair.accepted!.stats(pair.sim.now);
  const idx = pair.delivered.map((d) => d.index);
  const missing = 1000 - idx.length;
  assert.ok(missing > 10 && missing < 300, `missing ${missing}`);
  const lost = [...Array(1000).keys()].filter((i) => !idx.includes(i));
  assert.ok(lost.every((i) => i >= 300 && i < 620), `lost outside the burst: ${lost}`);
  assert.equal(s.pktRcvDropTotal, missing, "every missing packet is counted as dropped");
  assert.equal(s.byteRcvDropTotal, missing * 1316);
  assert.deepEqual(idx, [...idx].sort((a, b) => a - b), "in order");
  assert.equal(new Set(idx).size, idx.length, "once");
  for (const d of pair.delivered) {
    // Before and well after the burst: on time. Inside it a retransmission may fill a hole
    // after the hole's own play time (but before the next packet's) and is delivered at once.
    if (d.sentUs < 400 * MS || d.sentUs >= 720 * MS) {
      assert.ok(Math.abs(d.deliveredUs - d.sentUs - 90 * MS) <= 1 * MS, `packet ${d.index} held`);
    } else assert.ok(d.deliveredUs - d.sentUs - 90 * MS < 80 * MS, `packet ${d.index}`);
  }
  assert.ok(idx.includes(999), "the stream went on");
});

test("reordering within LossMaxTTL triggers no NAK and no retransmission", () => {
  const run = (lossMaxTtl: number) => {
    const pair = new SimPair({
      seed: 42,
      caller: { latency: 120 },
      listener: { latency: 120, lossMaxTtl },
      // 5 % of packets are held back 3 ms: up to 3-4 packets of reordering at 1 packet/ms.
      forward: { delayUs: 10 * MS, reorder: 0.05, reorderUs: 3 * MS },
    });
    pair.stream(100 * MS, 2000, 1 * MS);
    pair.run(3000 * MS);
    assert.deepEqual(pair.delivered.map((d) => d.index), [...Array(2000).keys()]);
    return { snd: pair.caller.stats(pair.sim.now), rcv: pair.accepted!.stats(pair.sim.now) };
  };
  const tolerant = run(10);
  assert.equal(tolerant.rcv.pktSentNAKTotal, 0);
  assert.equal(tolerant.snd.pktRetransTotal, 0);
  assert.equal(tolerant.rcv.pktReorderTolerance, 10);
  assert.ok(tolerant.rcv.pktReorderDistance >= 2, `distance ${tolerant.rcv.pktReorderDistance}`);
  // Without the tolerance the same reordering is taken for loss.
  const eager = run(0);
  assert.ok(eager.snd.pktRetransTotal > 0);
});

test("a 75-minute stream crosses the 2^32 us timestamp wrap and the 2^31 sequence wrap", () => {
  const packets = 75 * 60 * 4; // 4 packets per second keeps it fast in virtual time
  const interval = 250 * MS;
  let lastTs = -1;
  let tsWrapped = false;
  let lastSeq = -1;
  let seqWrapped = false;
  const pair = new SimPair({
    seed: 43,
    caller: { latency: 120, peerIdleTimeout: 10_000 },
    listener: { latency: 120, peerIdleTimeout: 10_000 },
    callerInitialSeq: 0x7fffffff - packets / 2,
    forward: {
      delayUs: 10 * MS,
      loss: 0.01,
      drop: (d) => {
        if (isControlPacket(d) || (d[4] & 0x04) !== 0) return false;
        const ts = readU32(d, 8);
        const seq = dataSeq(d);
        if (ts < lastTs) tsWrapped = true;
        if (seq < lastSeq) seqWrapped = true;
        lastTs = ts;
        lastSeq = seq;
        return false;
      },
    },
    backward: { delayUs: 10 * MS, loss: 0.01 },
  });
  pair.stream(100 * MS, packets, interval, 188);
  pair.run(100 * MS + packets * interval + 2000 * MS);
  assert.ok(tsWrapped, "the timestamps wrapped");
  assert.ok(seqWrapped, "the sequence numbers wrapped");
  assert.equal(pair.caller.state, "connected");
  assert.equal(pair.delivered.length, packets);
  pair.delivered.forEach((d, i) => {
    assert.equal(d.index, i);
    assert.ok(Math.abs(d.deliveredUs - d.sentUs - 130 * MS) <= 1 * MS, `packet ${i}`);
  });
});

test("memory stays bounded when the peer stops acknowledging", () => {
  let deaf = false;
  const pair = new SimPair({
    seed: 44,
    caller: { latency: 120, peerIdleTimeout: 20_000, sendBufferPackets: 4096 },
    listener: { latency: 120, peerIdleTimeout: 20_000 },
    forward: { delayUs: 5 * MS },
    backward: { delayUs: 5 * MS, drop: () => deaf },
  });
  pair.stream(100 * MS, 6000, 1 * MS);
  pair.sim.at(500 * MS, () => (deaf = true));
  let maxBuf = 0;
  let maxFlight = 0;
  pair.run(6200 * MS, () => {
    const s = pair.caller.stats(pair.sim.now);
    maxBuf = Math.max(maxBuf, s.pktSndBuf);
    maxFlight = Math.max(maxFlight, s.pktFlightSize);
    return false;
  });
  const s = pair.caller.stats(pair.sim.now);
  assert.equal(pair.caller.state, "connected");
  // Nothing older than the drop threshold (1 s + 20 ms) stays: about 1020 packets at 1/ms.
  assert.ok(maxBuf <= 1030, `send buffer peaked at ${maxBuf}`);
  assert.ok(s.pktSndDropTotal > 4000, `dropped ${s.pktSndDropTotal}`);
  // Unasked retransmissions are bounded too: at most 64 per tail round, a few rounds a second.
  assert.ok(s.pktRetransTotal < 64 * 60, `retransmitted ${s.pktRetransTotal}`);
  assert.ok(maxFlight <= maxBuf);
});

test("pacing spreads a burst at MAXBW, INPUTBW x (100 + OHEADBW) % and the estimated input rate", () => {
  const departures = (caller: Record<string, number>, burst: number, pre = 0) => {
    const times: number[] = [];
    const pair = new SimPair({
      seed: 45,
      caller: { latency: 200, ...caller },
      forward: {
        delayUs: 5 * MS,
        drop: (d, now) => {
          if (!isControlPacket(d) && payloadIndex(d) >= pre) times.push(now);
          return false;
        },
      },
    });
    // An optional steady lead-in at 1000 packets/s lets the input rate be estimated.
    pair.stream(100 * MS, pre, 1 * MS);
    const t0 = 100 * MS + pre * MS + 10 * MS;
    pair.sim.at(t0, () => {
      for (let i = 0; i < burst; i++) {
        const p = new Uint8Array(1316);
        new DataView(p.buffer).setUint32(0, pre + i);
        pair.callerEp.send(pair.sim.now, pair.caller, p);
      }
    });
    pair.run(t0 + 3000 * MS);
    const stats = pair.caller.stats(pair.sim.now);
    return { span: times.at(-1)! - times[0], n: times.length, stats };
  };
  const per = (bw: number) => ((1316 + 44) * 1e6) / bw;
  // MAXBW 1 MB/s: 1360 us per packet.
  const a = departures({ maxBw: 1_000_000 }, 200);
  assert.equal(a.n, 200);
  assert.ok(Math.abs(a.span / 199 - per(1_000_000)) < 20, `spacing ${a.span / 199}`);
  assert.ok(Math.abs(a.stats.usPktSndPeriod - per(1_000_000)) < 5);
  assert.equal(a.stats.mbpsMaxBW, 8);
  // INPUTBW 400 kB/s + 25 %: 500 kB/s.
  const b = departures({ maxBw: 0, inputBw: 400_000, oheadBw: 25 }, 100);
  assert.ok(Math.abs(b.span / 99 - per(500_000)) < 40, `spacing ${b.span / 99}`);
  // Estimated: 1000 packets/s of 1316 bytes (+44) + 25 % => 1.7 MB/s.
  const c = departures({ maxBw: 0, inputBw: 0, oheadBw: 25 }, 100, 1500);
  const est = 1360 * 1000 * 1.25;
  assert.ok(Math.abs(c.span / 99 - per(est)) / per(est) < 0.05, `spacing ${c.span / 99}`);
  // The default (MAXBW -1, libsrt's 1 Gbit/s) sends a burst at once.
  const d = departures({}, 100);
  assert.ok(d.span < 2 * MS, `span ${d.span}`);
});

test("the peer's flow window bounds the packets in flight", () => {
  const pair = new SimPair({
    seed: 46,
    caller: { latency: 200 },
    listener: { latency: 200, flowWindow: 32 },
    forward: { delayUs: 20 * MS },
  });
  pair.run(500 * MS, () => pair.accepted !== undefined && pair.caller.state === "connected");
  pair.sim.at(pair.sim.now + 1 * MS, () => {
    for (let i = 0; i < 300; i++) {
      const p = new Uint8Array(1316);
      new DataView(p.buffer).setUint32(0, i);
      pair.callerEp.send(pair.sim.now, pair.caller, p);
    }
  });
  let maxFlight = 0;
  pair.run(pair.sim.now + 3000 * MS, () => {
    maxFlight = Math.max(maxFlight, pair.caller.stats(pair.sim.now).pktFlightSize);
    return false;
  });
  assert.ok(maxFlight <= 32 && maxFlight >= 16, `in flight at most ${maxFlight}`);
  assert.equal(pair.caller.stats(pair.sim.now).pktFlowWindow <= 32, true);
  assert.equal(pair.delivered.length, 300);
});

for (const ppm of [100, -100]) {
  test(`a ${ppm > 0 ? "+" : ""}${ppm} ppm clock skew is absorbed by the drift tracer`, () => {
    const run = (driftTracer: boolean) => {
      const pair = new SimPair({
        seed: 47,
        caller: { latency: 120 },
        listener: { latency: 120, driftTracer },
        callerClock: { rate: 1 + ppm * 1e-6 },
        forward: { delayUs: 10 * MS },
      });
      pair.stream(100 * MS, 4000, 10 * MS, 188); // 40 s at 100 packets/s
      pair.run(42_000 * MS);
      assert.equal(pair.delivered.length, 4000);
      // Lag error at the end, against the nominal latency + one-way delay.
      const tail = pair.delivered.slice(-100);
      const err = tail.reduce((a, d) => a + (d.deliveredUs - d.sentUs - 130 * MS), 0) / 100;
      return { err, drift: pair.accepted!.stats(pair.sim.now).usRcvDrift };
    };
    const fixed = run(true);
    // Without the tracer the skew accumulates to ~4 ms over 40 s; with it, it stays small.
    if (ppm > 0) {
      const loose = run(false);
      assert.ok(Math.abs(loose.err) > 3 * MS, `uncorrected error ${loose.err}`);
    }
    assert.ok(Math.abs(fixed.err) < 1.5 * MS, `corrected error ${fixed.err}`);
    assert.notEqual(fixed.drift, 0, "the tracer moved");
  });
}

test("stats: totals, interval values with clear, and instantaneous values", () => {
  const pair = new SimPair({
    seed: 48,
    caller: { latency: 120 },
    listener: { latency: 120 },
    forward: { delayUs: 10 * MS, loss: 0.05 },
  });
  pair.run(1000 * MS, () => pair.accepted !== undefined && pair.caller.state === "connected");
  pair.stream(100 * MS, 2000, 1 * MS);
  pair.run(1100 * MS);
  const first = pair.caller.stats(pair.sim.now, { clear: true });
  assert.equal(first.pktSent, first.pktSentTotal, "the first interval starts at the connection");
  pair.run(2100 * MS);
  const snd = pair.caller.stats(pair.sim.now, { clear: true });
  const rcv = pair.accepted!.stats(pair.sim.now);
  assert.equal(snd.pktSent, snd.pktSentTotal - first.pktSentTotal);
  assert.equal(snd.pktSentUnique, snd.pktSentUniqueTotal - first.pktSentUniqueTotal);
  assert.ok(Math.abs(snd.msInterval - 1000) < 1);
  // ~1000 packets of 1316 + 44 bytes in one second, plus retransmissions.
  assert.ok(snd.mbpsSendRate > 10.8 && snd.mbpsSendRate < 12.5, `send rate ${snd.mbpsSendRate}`);
  assert.ok(rcv.mbpsRecvRate > 5, `receive rate ${rcv.mbpsRecvRate}`);
  assert.ok(rcv.pktRcvLossTotal > 0 && rcv.pctRcvLoss > 0);
  assert.ok(Math.abs(rcv.msRTT - 20) < 2, `RTT ${rcv.msRTT}`);
  assert.equal(rcv.msRcvTsbPdDelay, 120);
  assert.equal(snd.msSndTsbPdDelay, 120);
  assert.equal(snd.byteMSS, 1500);
  assert.ok(rcv.pktRcvBuf > 100 && rcv.msRcvBuf > 100, `rcv buffer ${rcv.pktRcvBuf}`);
  assert.equal(rcv.byteRcvBuf, rcv.pktRcvBuf * 1316);
  assert.ok(snd.pktFlowWindow > 1000);
  assert.ok(snd.usPktSndPeriod > 10 && snd.usPktSndPeriod < 11, `period ${snd.usPktSndPeriod}`);
  // Data waited in the buffer the whole interval.
  assert.ok(Math.abs(snd.usSndDuration - 1_000_000) < 2_000, `busy ${snd.usSndDuration}`);
  assert.ok(snd.usSndDurationTotal > 1_900_000);
  assert.ok(rcv.usRcvJitter >= 0);
  const again = pair.caller.stats(pair.sim.now);
  assert.equal(again.pktSent, 0, "cleared");
  assert.equal(again.pktSentTotal, snd.pktSentTotal, "totals are never cleared");
  pair.run(4000 * MS);
  const end = pair.accepted!.stats(pair.sim.now);
  assert.equal(end.pktRecvUniqueTotal, 2000);
  assert.ok(end.pktRcvRetransTotal > 0);
  assert.equal(end.pktRcvDropTotal, 0);
});
