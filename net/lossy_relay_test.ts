import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createLinkModels,
  type LossyRelay,
  type LossyRelayOptions,
  startLossyRelay,
} from "./lossy_relay.ts";
import type { LinkProfile } from "./link_model.ts";
import { openUdp, type UdpSocket } from "./udp.ts";
import { Counter, within } from "./_test_util.ts";

const LOOPBACK = "127.0.0.1";
const SIZE = 200;
/** Datagrams in flight at once: well inside the default socket buffers. */
const WINDOW = 32;

function datagram(index: number): Uint8Array {
  const data = new Uint8Array(SIZE);
  new DataView(data.buffer).setUint32(0, index);
  data.fill(index & 0xff, 4);
  return data;
}

function indexOf(data: Uint8Array): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
}

interface Endpoint {
  socket: UdpSocket;
  /** Indices received, in arrival order. */
  indices: number[];
  /** Arrival time of each datagram (performance.now()). */
  times: number[];
  arrived: Counter;
}

/** A socket recording what it receives, and echoing it back if asked. */
async function endpoint(echo: boolean): Promise<Endpoint> {
  const indices: number[] = [];
  const times: number[] = [];
  const arrived = new Counter();
  const socket: UdpSocket = await openUdp({
    hostname: LOOPBACK,
    onMessage(data, from) {
      indices.push(indexOf(data));
      times.push(performance.now());
      arrived.add();
      if (echo) socket.send(data, from);
    },
  });
  return { socket, indices, times, arrived };
}

interface Setup {
  relay: LossyRelay;
  target: Endpoint;
  client: Endpoint;
  close(): Promise<void>;
}

async function setup(
  seed: number,
  forward: LinkProfile,
  backward: LinkProfile,
  echo: boolean,
  hooks: Pick<LossyRelayOptions, "dropIf" | "onAdmit"> = {},
) {
  const target = await endpoint(echo);
  const relay = await startLossyRelay({
    listen: { hostname: LOOPBACK },
    target: target.socket.localAddress,
    seed,
    forward,
    backward,
    ...hooks,
  });
  const client = await endpoint(false);
  return {
    relay,
    target,
    client,
    close: () =>
      within(
        Promise.all([relay.close(), target.socket.close(), client.socket.close()]).then(() => {}),
        2000,
        "close",
      ),
  } satisfies Setup;
}

/**
 * Sends datagrams 0..n-1 from the client through the relay in windows,
 * waiting after each window until `expectedBy(end)` datagrams have reached
 * `counter`: pacing by arrivals, never by sleeping.
 */
async function pump(
  s: Setup,
  n: number,
  counter: Counter,
  expectedBy: (end: number) => number,
): Promise<void> {
  for (let start = 0; start < n; start += WINDOW) {
    const end = Math.min(n, start + WINDOW);
    const batch = [];
    for (let i = start; i < end; i++) batch.push(datagram(i));
    s.client.socket.sendBatch(batch, s.relay.address);
    await counter.until(expectedBy(end));
  }
}

test("with no impairments the relay forwards everything, both ways, to the first client", async () => {
  const s = await setup(1, {}, {}, true);
  try {
    const n = 640;
    await within(pump(s, n, s.client.arrived, (end) => end), 10_000, "echoes");
    const all = Array.from({ length: n }, (_, i) => i);
    assert.deepEqual(s.target.indices, all);
    assert.deepEqual(s.client.indices, all);
    const clean = { received: n, forwarded: n, dropped: 0, duplicated: 0, reordered: 0 };
    assert.deepEqual({ ...s.relay.forward }, clean);
    assert.deepEqual({ ...s.relay.backward }, clean);
    assert.equal(s.relay.peer?.port, s.client.socket.localAddress.port);
    assert.equal(s.relay.address.hostname, LOOPBACK);
    assert.ok(s.relay.address.port > 0);
  } finally {
    await s.close();
  }
});

/** Runs `n` datagrams through a relay with 10 % forward loss; returns what arrived. */
async function lossyRun(seed: number, n: number): Promise<{ arrived: number[]; dropped: number }> {
  const forward = { loss: 0.1 };
  // The relay's own models, replayed: loss alone does not depend on time.
  const [model] = createLinkModels(seed, forward);
  const predicted: number[] = [];
  const predictedBy: number[] = [0];
  for (let i = 0; i < n; i++) {
    if (model.admit(SIZE, 0).copies > 0) predicted.push(i);
    predictedBy.push(predicted.length);
  }
  const s = await setup(seed, forward, {}, false);
  try {
    await within(pump(s, n, s.target.arrived, (end) => predictedBy[end]), 10_000, "arrivals");
    assert.deepEqual(
      s.target.indices,
      predicted,
      "the relay dropped other datagrams than its model",
    );
    assert.equal(s.relay.forward.received, n);
    assert.equal(s.relay.forward.dropped, n - predicted.length);
    return { arrived: s.target.indices, dropped: s.relay.forward.dropped };
  } finally {
    await s.close();
  }
}

test("dropIf drops exactly the datagrams it picks, and onAdmit sees every fate", async () => {
  const fates: Array<[string, number, number]> = [];
  const s = await setup(3, { delayMs: 1 }, {}, false, {
    dropIf: (dir, d) => dir === "forward" && indexOf(d) % 5 === 0,
    onAdmit: (dir, d, releaseAt) => fates.push([dir, indexOf(d), releaseAt.length]),
  });
  try {
    const n = 100;
    await within(pump(s, n, s.target.arrived, (end) => end - Math.ceil(end / 5)), 10_000, "n");
    const kept = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== 0);
    assert.deepEqual(s.target.indices, kept);
    assert.equal(s.relay.forward.received, n);
    assert.equal(s.relay.forward.dropped, n / 5);
    assert.deepEqual(
      fates,
      Array.from({ length: n }, (_, i) => ["forward", i, i % 5 === 0 ? 0 : 1]),
    );
  } finally {
    await s.close();
  }
});

test("10 % loss drops close to 10 %, the same datagrams for the same seed", async () => {
  const n = 2000;
  const first = await lossyRun(77, n);
  // Binomial sd is 0.67 % here; 3 % is more than four sd.
  assert.ok(Math.abs(first.dropped / n - 0.1) < 0.03, `dropped ${first.dropped}/${n}`);
  const again = await lossyRun(77, n);
  assert.deepEqual(again.arrived, first.arrived);
  const other = await lossyRun(78, n);
  assert.notDeepEqual(other.arrived, first.arrived);
});

test("duplication delivers every datagram twice", async () => {
  const s = await setup(5, { duplicate: 1 }, {}, false);
  try {
    const n = 128;
    await within(pump(s, n, s.target.arrived, (end) => 2 * end), 10_000, "duplicates");
    const expected = Array.from({ length: n }, (_, i) => [i, i]).flat();
    assert.deepEqual(s.target.indices, expected);
    assert.equal(s.relay.forward.duplicated, n);
    assert.equal(s.relay.forward.forwarded, 2 * n);
  } finally {
    await s.close();
  }
});

test("delay holds datagrams back for at least the configured time, in order", async () => {
  const delayMs = 40;
  const s = await setup(6, { delayMs }, {}, false);
  try {
    const n = 24;
    const sentAt = performance.now();
    s.client.socket.sendBatch(Array.from({ length: n }, (_, i) => datagram(i)), s.relay.address);
    await within(s.target.arrived.until(n), 5000, "delayed datagrams");
    assert.deepEqual(s.target.indices, Array.from({ length: n }, (_, i) => i));
    for (const t of s.target.times) {
      assert.ok(t - sentAt >= delayMs - 1, `arrived after ${t - sentAt} ms`);
    }
  } finally {
    await s.close();
  }
});

test("reordering lets later datagrams overtake held ones, losing none", async () => {
  const s = await setup(8, { reorder: 0.2, reorderDelayMs: 15 }, {}, false);
  try {
    const n = 256;
    await within(pump(s, n, s.target.arrived, (end) => end), 10_000, "reordered datagrams");
    const sorted = [...s.target.indices].sort((a, b) => a - b);
    assert.deepEqual(sorted, Array.from({ length: n }, (_, i) => i));
    assert.notDeepEqual(s.target.indices, sorted);
    assert.ok(s.relay.forward.reordered > 0);
  } finally {
    await s.close();
  }
});

test("only the first client is relayed; others are ignored", async () => {
  const s = await setup(9, {}, {}, false);
  const intruder = await endpoint(false);
  try {
    s.client.socket.send(datagram(1), s.relay.address);
    await within(s.target.arrived.until(1), 3000, "first datagram");
    intruder.socket.send(datagram(666), s.relay.address);
    s.client.socket.send(datagram(2), s.relay.address);
    await within(s.target.arrived.until(2), 3000, "second datagram");
    assert.deepEqual(s.target.indices, [1, 2]);
    assert.equal(s.relay.peer?.port, s.client.socket.localAddress.port);
  } finally {
    await intruder.socket.close();
    await s.close();
  }
});

test("invalid profiles are rejected before any socket is opened", async () => {
  await assert.rejects(
    startLossyRelay({
      listen: { hostname: LOOPBACK },
      target: { hostname: LOOPBACK, port: 9 },
      seed: 1,
      forward: { loss: 2 },
    }),
    RangeError,
  );
});
