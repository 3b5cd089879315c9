// SrtEndpoint.rendezvous() in the network simulator: two endpoints meet over a lossy link,
// exchange data, and a rendezvous nobody answers ends with a failure event.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type RendezvousFailure, SrtEndpoint } from "./endpoint.ts";
import { RejectReason } from "./reject_reason.ts";
import type { PeerAddress, SrtConnection } from "./connection.ts";
import { isControlPacket } from "./data_packet.ts";
import { createPrng } from "../net/prng.ts";
import { SimNetwork } from "../tests/sim/network.ts";

const A: PeerAddress = { hostname: "10.0.0.1", port: 5000 };
const B: PeerAddress = { hostname: "10.0.0.2", port: 6000 };
const MS = 1000;

function pair(seed: number, handshakeLoss: number) {
  const prng = createPrng(seed);
  const sim = new SimNetwork(() => prng.next(), { delayUs: 10 * MS });
  const rng = createPrng(seed ^ 0x1234);
  const a = new SrtEndpoint(() => rng.nextU32());
  const b = new SrtEndpoint(() => rng.nextU32());
  sim.attach(A, a);
  sim.attach(B, b);
  // Lose handshakes (and only those) at the given rate, both ways.
  const lossy = {
    delayUs: 10 * MS,
    drop: (d: Uint8Array) => isControlPacket(d) && d[1] === 0 && prng.next() < handshakeLoss,
  };
  sim.setLink(A, B, lossy);
  sim.setLink(B, A, lossy);
  return { sim, a, b };
}

const conn = (ep: SrtEndpoint): SrtConnection | undefined => [...ep.connections.values()][0];

test("a passphrase on one side only: the rendezvous fails with UNSECURE, nobody connects", () => {
  for (const seed of [1, 2, 3]) {
    const { sim, a, b } = pair(seed, 0.4);
    a.rendezvous(sim.localNow(A), B);
    b.rendezvous(sim.localNow(B), A, { passphrase: "sim rendezvous" });
    const failures: RendezvousFailure[] = [];
    sim.run(20_000 * MS, () => {
      for (const ep of [a, b]) {
        for (let f = ep.pollFailure(); f; f = ep.pollFailure()) failures.push(f);
      }
      return failures.length > 0;
    });
    assert.equal(conn(a), undefined, `seed ${seed}`);
    assert.equal(conn(b), undefined, `seed ${seed}`);
    assert.equal(failures[0]?.error.reason, RejectReason.UNSECURE, `seed ${seed}`);
  }
});

test("two endpoints meet in rendezvous despite 40 % handshake loss, then exchange data", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { sim, a, b } = pair(seed, 0.4);
    const ra = a.rendezvous(sim.localNow(A), B, { latency: 100, passphrase: "sim rendezvous" });
    const rb = b.rendezvous(sim.localNow(B), A, { latency: 60, passphrase: "sim rendezvous" });
    sim.run(20_000 * MS, () => conn(a)?.state === "connected" && conn(b)?.state === "connected");
    const ca = conn(a)!;
    const cb = conn(b)!;
    assert.ok(ca && cb, `seed ${seed}: both connected`);
    assert.notEqual(ra.role, rb.role, "one Initiator, one Responder");
    assert.equal(ca.rcvLatency, 100);
    assert.equal(cb.rcvLatency, 100);
    assert.ok(ca.encrypted && cb.encrypted);
    const got: number[] = [];
    for (let i = 0; i < 50; i++) {
      sim.at(sim.now + 100 * MS + i * MS, () => a.send(sim.localNow(A), ca, new Uint8Array([i])));
    }
    sim.run(sim.now + 2000 * MS, () => {
      for (let p = cb.pollPayload(); p; p = cb.pollPayload()) got.push(p[0]);
      return got.length === 50;
    });
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i), `seed ${seed}`);
  }
});

test("a rendezvous nobody answers fails with TIMEOUT after 10 x the connect timeout", () => {
  const prng = createPrng(3);
  const sim = new SimNetwork(() => prng.next(), { delayUs: 10 * MS });
  const rng = createPrng(4);
  const a = new SrtEndpoint(() => rng.nextU32());
  sim.attach(A, a);
  a.rendezvous(sim.localNow(A), B, { connectTimeout: 300 });
  let failure: RendezvousFailure | undefined;
  sim.run(10_000 * MS, () => (failure = a.pollFailure()) !== undefined);
  assert.ok(failure, "a failure was reported");
  assert.equal(failure.error.code, "CONNECTION_TIMEOUT");
  assert.ok(sim.now >= 3000 * MS && sim.now < 3500 * MS, `failed at ${sim.now}`);
  assert.equal(a.pollTimeout(), undefined, "nothing left to do");
});
