/**
 * The loss profiles of issue 3's reliability targets, shared by the simulator tests and the
 * seed sweep: random loss both ways at a given latency (in units of the 20 ms RTT), a stream of
 * numbered packets, and a check that each arrived exactly once, in order, at its TSBPD time.
 *
 * @module
 */

import { SimPair } from "./harness.ts";

/** One loss profile. */
export interface LossProfile {
  /** Name for messages. */
  readonly name: string;
  /** Loss probability in each direction. */
  readonly loss: number;
  /** Latency in units of the RTT. */
  readonly rtts: number;
  /** Packets to stream (one per millisecond). */
  readonly packets: number;
}

/** The round-trip time of every profile (10 ms each way), in ms. */
export const PROFILE_RTT_MS = 20;

/** The profiles: 0, 1, 5, 10 % at 4 x RTT and 20 % at 8 x RTT. */
export const LOSS_PROFILES: readonly LossProfile[] = [
  { name: "0% / 4xRTT", loss: 0, rtts: 4, packets: 3000 },
  { name: "1% / 4xRTT", loss: 0.01, rtts: 4, packets: 3000 },
  { name: "5% / 4xRTT", loss: 0.05, rtts: 4, packets: 3000 },
  { name: "10% / 4xRTT", loss: 0.1, rtts: 4, packets: 3000 },
  { name: "20% / 8xRTT", loss: 0.2, rtts: 8, packets: 3000 },
];

/** The outcome of one run. */
export interface ProfileResult {
  /** What went wrong, or undefined. */
  readonly problem: string | undefined;
  /** Packets the sender retransmitted. */
  readonly retransmitted: number;
  /** Duplicate packets the receiver discarded. */
  readonly duplicates: number;
  /** Packets the receiver detected lost. */
  readonly lost: number;
}

/**
 * Runs one profile with one seed and checks the deliveries.
 *
 * @param p the profile
 * @param seed the simulator seed
 * @param packets how many packets to stream (default: the profile's)
 * @returns the problem found (if any) and counters
 */
export function runLossProfile(
  p: LossProfile,
  seed: number,
  packets: number = p.packets,
): ProfileResult {
  const MS = 1000;
  const latency = p.rtts * PROFILE_RTT_MS;
  const oneWay = (PROFILE_RTT_MS / 2) * MS;
  const pair = new SimPair({
    seed,
    caller: { latency },
    listener: { latency },
    forward: { delayUs: oneWay, loss: p.loss },
    backward: { delayUs: oneWay, loss: p.loss },
  });
  pair.run(3000 * MS, () => pair.caller.state === "connected" && pair.accepted !== undefined);
  pair.stream(pair.sim.now + 10 * MS, packets, 1 * MS);
  pair.run(pair.sim.now + packets * MS + 2000 * MS);
  const snd = pair.caller.stats(pair.sim.now);
  const rcv = pair.accepted?.stats(pair.sim.now);
  const result = (problem: string | undefined): ProfileResult => ({
    problem,
    retransmitted: snd.pktRetransTotal,
    duplicates: rcv?.pktRcvDuplicate ?? 0,
    lost: rcv?.pktRcvLossTotal ?? 0,
  });
  if (pair.caller.state !== "connected") return result(`caller ${pair.caller.state}`);
  const d = pair.delivered;
  const missing: number[] = [];
  let next = 0;
  for (const x of d) {
    if (x.index < next) return result(`packet ${x.index} delivered again or out of order`);
    while (next < x.index) missing.push(next++);
    next = x.index + 1;
    const lag = x.deliveredUs - x.sentUs - latency * MS - oneWay;
    if (Math.abs(lag) > 1 * MS) return result(`packet ${x.index} off its TSBPD time by ${lag} us`);
  }
  while (next < packets) missing.push(next++);
  if (missing.length) return result(`${missing.length} missing: ${missing.slice(0, 5)}`);
  return result(undefined);
}
