import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  detectRuntime,
  openUdp,
  SEND_BACKLOG_LIMIT,
  type UdpAddress,
  type UdpRuntime,
  type UdpSocket,
} from "./udp.ts";
import { Counter, within } from "./_test_util.ts";

const LOOPBACK = "127.0.0.1";
const SIZE = 1316;
const COUNT = 3000;
/** Datagrams in flight at once: small enough for the default receive buffer. */
const WINDOW = 32;

/** Adapters usable here; node:dgram is skipped on Deno, where it is unusable. */
function adapters(): UdpRuntime[] {
  const runtime = detectRuntime();
  if (runtime === "deno") return ["deno"];
  if (runtime === "bun") return ["bun", "node"];
  return ["node"];
}

function datagram(index: number): Uint8Array {
  const data = new Uint8Array(SIZE);
  new DataView(data.buffer).setUint32(0, index);
  for (let i = 4; i < SIZE; i++) data[i] = (index * 31 + i) & 0xff;
  return data;
}

function check(data: Uint8Array): number {
  assert.equal(data.length, SIZE);
  const index = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
  for (let i = 4; i < SIZE; i++) {
    if (data[i] !== ((index * 31 + i) & 0xff)) assert.fail(`datagram ${index} corrupt at ${i}`);
  }
  return index;
}

for (const runtime of adapters()) {
  describe(`UDP adapter "${runtime}"`, () => {
    test("binds an ephemeral port on loopback", async () => {
      const socket = await openUdp({ hostname: LOOPBACK, onMessage() {} }, runtime);
      try {
        assert.equal(socket.runtime, runtime);
        assert.equal(socket.localAddress.hostname, LOOPBACK);
        assert.ok(socket.localAddress.port > 0 && socket.localAddress.port <= 65535);
      } finally {
        await within(socket.close(), 2000, "close");
      }
    });

    test(`delivers a burst of ${COUNT} distinct datagrams intact and in order`, async () => {
      const received: Uint8Array[] = [];
      const arrived = new Counter();
      const froms: UdpAddress[] = [];
      const receiver = await openUdp({
        hostname: LOOPBACK,
        onMessage(data, from) {
          received.push(data);
          if (froms.length === 0) froms.push(from);
          arrived.add();
        },
      }, runtime);
      const errors: Error[] = [];
      const sender = await openUdp({
        hostname: LOOPBACK,
        onMessage() {},
        onError: (error) => errors.push(error),
      }, runtime);
      try {
        const to = receiver.localAddress;
        const run = async () => {
          for (let start = 0; start < COUNT; start += WINDOW) {
            const batch: Uint8Array[] = [];
            for (let i = start; i < Math.min(COUNT, start + WINDOW); i++) batch.push(datagram(i));
            // Alternate the two send paths so both are covered.
            if ((start / WINDOW) % 2 === 0) sender.sendBatch(batch, to);
            else for (const d of batch) sender.send(d, to);
            await arrived.until(start + batch.length);
          }
        };
        await within(run(), 10_000, `${COUNT} datagrams (got ${arrived.value})`);
        // Received buffers are checked only now: adapters must not reuse them.
        assert.deepEqual(received.map(check), Array.from({ length: COUNT }, (_, i) => i));
        assert.equal(froms[0].port, sender.localAddress.port);
        assert.equal(froms[0].hostname, LOOPBACK);
        assert.equal(receiver.stats.received, COUNT);
        await within(sender.flush(), 2000, "flush");
        assert.equal(sender.stats.sent, COUNT);
        assert.equal(sender.backlog, 0);
        assert.equal(sender.stats.dropped, 0);
        assert.deepEqual(errors, []);
      } finally {
        await within(Promise.all([sender.close(), receiver.close()]), 2000, "close");
      }
    });

    test("replies reach the sender's address", async () => {
      const echo: UdpSocket = await openUdp({
        hostname: LOOPBACK,
        onMessage: (data, from) => echo.send(data.slice(), from),
      }, runtime);
      let reply: Uint8Array | undefined;
      const got = new Counter();
      const client = await openUdp({
        hostname: LOOPBACK,
        onMessage(data) {
          reply = data;
          got.add();
        },
      }, runtime);
      try {
        client.send(new Uint8Array([7, 8, 9]), echo.localAddress);
        await within(got.until(1), 3000, "echo reply");
        assert.deepEqual(reply, new Uint8Array([7, 8, 9]));
      } finally {
        await within(Promise.all([client.close(), echo.close()]), 2000, "close");
      }
    });

    test("rejects invalid ports, and drops sends after close", async () => {
      await assert.rejects(openUdp({ port: 70000, onMessage() {} }, runtime), RangeError);
      const socket = await openUdp({ hostname: LOOPBACK, onMessage() {} }, runtime);
      assert.throws(
        () => socket.send(new Uint8Array(1), { hostname: LOOPBACK, port: 0 }),
        RangeError,
      );
      assert.throws(
        () => socket.sendBatch([new Uint8Array(1)], { hostname: LOOPBACK, port: 1.5 }),
        RangeError,
      );
      await within(socket.close(), 2000, "close");
      await within(socket.close(), 2000, "second close");
      await within(socket.closed, 2000, "closed");
      socket.send(new Uint8Array(1), { hostname: LOOPBACK, port: 9 });
      socket.sendBatch([new Uint8Array(1), new Uint8Array(1)], { hostname: LOOPBACK, port: 9 });
      assert.equal(socket.stats.dropped, 3);
      assert.equal(socket.stats.sent, 0);
    });

    test("an exception in onMessage is reported and reception continues", async () => {
      const errors: Error[] = [];
      const got = new Counter();
      const receiver = await openUdp({
        hostname: LOOPBACK,
        onMessage(data) {
          got.add();
          if (data[0] === 1) throw new Error("boom");
        },
        onError: (error) => errors.push(error),
      }, runtime);
      const sender = await openUdp({ hostname: LOOPBACK, onMessage() {} }, runtime);
      try {
        sender.send(new Uint8Array([1]), receiver.localAddress);
        sender.send(new Uint8Array([2]), receiver.localAddress);
        await within(got.until(2), 3000, "two datagrams");
        assert.equal(errors.length, 1);
        assert.equal(errors[0].message, "boom");
      } finally {
        await within(Promise.all([sender.close(), receiver.close()]), 2000, "close");
      }
    });

    test("a datagram sent right before close() still leaves", async () => {
      const got = new Counter();
      let last: Uint8Array | undefined;
      const receiver = await openUdp({
        hostname: LOOPBACK,
        onMessage(data) {
          last = data;
          got.add();
        },
      }, runtime);
      const sender = await openUdp({ hostname: LOOPBACK, onMessage() {} }, runtime);
      try {
        for (let i = 0; i < 10; i++) sender.send(new Uint8Array([i]), receiver.localAddress);
        await within(sender.close(), 2000, "close with pending sends");
        assert.equal(sender.stats.sent, 10);
        await within(got.until(10), 3000, "all ten datagrams");
        assert.deepEqual(last, new Uint8Array([9]));
      } finally {
        await within(receiver.close(), 2000, "close");
      }
    });

    test("a synchronous burst beyond the backlog is accounted for, never thrown", async () => {
      const receiver = await openUdp({ hostname: LOOPBACK, onMessage() {} }, runtime);
      const sender = await openUdp({ hostname: LOOPBACK, onMessage() {} }, runtime);
      try {
        const n = SEND_BACKLOG_LIMIT + 1000;
        const payload = new Uint8Array(100);
        for (let i = 0; i < n; i++) sender.send(payload, receiver.localAddress);
        assert.ok(sender.backlog <= SEND_BACKLOG_LIMIT);
        await within(sender.flush(), 5000, "flush");
        assert.equal(sender.backlog, 0);
        assert.equal(sender.stats.sent + sender.stats.dropped, n);
        if (runtime === "deno") {
          // One send in flight, the backlog full, the rest dropped.
          assert.equal(sender.stats.dropped, n - SEND_BACKLOG_LIMIT - 1);
        }
      } finally {
        await within(Promise.all([sender.close(), receiver.close()]), 2000, "close");
      }
    });
  });
}
