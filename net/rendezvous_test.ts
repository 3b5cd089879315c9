// Rendezvous over real UDP on loopback, tsrt to tsrt: both sides call each other at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, KmState, RejectReason, rendezvous, SrtError, type SrtSocket } from "../mod.ts";
import { freeUdpPorts } from "../tests/_peers.ts";
import { within } from "./_test_util.ts";

function numbered(i: number): Uint8Array {
  const p = new Uint8Array(1316);
  new DataView(p.buffer).setUint32(0, i);
  p.fill(i & 0xff, 4);
  return p;
}

async function readN(socket: SrtSocket, n: number): Promise<number[]> {
  const out: number[] = [];
  const reader = socket.readable.getReader();
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    out.push(new DataView(value.buffer, value.byteOffset).getUint32(0));
  }
  reader.releaseLock();
  return out;
}

async function exchange(a: SrtSocket, b: SrtSocket): Promise<void> {
  const atB = readN(b, 100);
  const atA = readN(a, 50);
  for (let i = 0; i < 100; i++) {
    a.send(numbered(i));
    if (i % 2 === 0) b.send(numbered(500 + i / 2));
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1));
  }
  const want = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  assert.deepEqual(await within(atB, 10_000, "a -> b"), want(0, 100));
  assert.deepEqual(await within(atA, 10_000, "b -> a"), want(500, 50));
}

test(
  "rendezvous() meets a peer doing the same; data flows both ways",
  { timeout: 30_000 },
  async () => {
    const [pa, pb] = await freeUdpPorts(2);
    const [a, b] = await Promise.all([
      rendezvous({ host: "127.0.0.1", port: pb, localPort: pa, latency: 80 }),
      rendezvous({ host: "127.0.0.1", port: pa, localPort: pb, latency: 40 }),
    ]);
    try {
      assert.equal(a.remoteAddress.port, pb);
      assert.equal(b.remoteAddress.port, pa);
      assert.equal(a.latency, 80, "the larger latency wins");
      assert.equal(b.latency, 80);
      await exchange(a, b);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

test(
  "connect() with an srt-live-transmit rendezvous URI, encrypted",
  { timeout: 30_000 },
  async () => {
    const [pa, pb] = await freeUdpPorts(2);
    const pass = "rendezvous secret";
    const [a, b] = await Promise.all([
      connect(`srt://127.0.0.1:${pb}?mode=rendezvous&port=${pa}&passphrase=${pass}&pbkeylen=32`),
      connect(`srt://127.0.0.1:${pa}?mode=rendezvous&port=${pb}&passphrase=${pass}`),
    ]);
    try {
      assert.equal(a.stats().kmState, KmState.SECURED);
      assert.equal(b.stats().kmState, KmState.SECURED);
      assert.ok(a.connection.encrypted && b.connection.encrypted);
      await exchange(a, b);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

test(
  "rendezvous() with different passphrases fails with BADSECRET",
  { timeout: 30_000 },
  async () => {
    const [pa, pb] = await freeUdpPorts(2);
    const results = await Promise.allSettled([
      rendezvous({ host: "127.0.0.1", port: pb, localPort: pa, passphrase: "first passphrase" }),
      rendezvous({ host: "127.0.0.1", port: pa, localPort: pb, passphrase: "other passphrase" }),
    ]);
    const reasons: number[] = [];
    for (const r of results) {
      if (r.status === "fulfilled") {
        await r.value.close();
        continue;
      }
      assert.ok(r.reason instanceof SrtError, String(r.reason));
      reasons.push(r.reason.reason!);
    }
    // The Responder refuses the KMREQ; the Initiator hears the rejection (or times out waiting).
    assert.ok(reasons.includes(RejectReason.BADSECRET), `reasons ${reasons}`);
  },
);

test(
  "rendezvous() gives up with CONNECTION_TIMEOUT when nobody answers",
  { timeout: 30_000 },
  async () => {
    const [pa, pb] = await freeUdpPorts(2);
    await assert.rejects(
      rendezvous({ host: "127.0.0.1", port: pb, localPort: pa, connectTimeout: 50 }),
      (e: unknown) => e instanceof SrtError && e.code === "CONNECTION_TIMEOUT",
    );
  },
);

test("rendezvous() with the same packet filter sends FEC; different ones fail with FILTER", {
  timeout: 30_000,
}, async () => {
  const [pa, pb, pc, pd] = await freeUdpPorts(4);
  // libsrt (1.5.1 too) compares rendezvous filter strings as sent, and the Responder sends its
  // merged configuration: only the full canonical form is the same on both sides. arq:always,
  // so that a datagram the loopback drops under load is NAKed even where no FEC covers it.
  const filter = "fec,arq:always,cols:5,layout:staircase,rows:2";
  const [a, b] = await Promise.all([
    connect(`srt://127.0.0.1:${pb}?mode=rendezvous&port=${pa}&packetfilter=${filter}`),
    connect(`srt://127.0.0.1:${pa}?mode=rendezvous&port=${pb}&packetfilter=${filter}`),
  ]);
  try {
    await exchange(a, b);
    assert.ok(a.stats().pktSndFilterExtraTotal > 0);
    assert.ok(b.stats().pktRcvFilterExtraTotal > 0);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  const results = await Promise.allSettled([
    rendezvous({ host: "127.0.0.1", port: pd, localPort: pc, packetFilter: filter }),
    rendezvous({
      host: "127.0.0.1",
      port: pc,
      localPort: pd,
      packetFilter: "fec,arq:onreq,cols:5,layout:staircase,rows:3",
    }),
  ]);
  const reasons = results.map((r) => r.status === "rejected" ? (r.reason as SrtError).reason : -1);
  assert.ok(reasons.includes(RejectReason.FILTER), `reasons ${reasons}`);
  for (const r of results) if (r.status === "fulfilled") await r.value.close();
});
