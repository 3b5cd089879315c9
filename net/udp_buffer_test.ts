import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { detectRuntime, openUdp, type UdpSocket, type UdpSocketOptions } from "./udp.ts";
import { connect } from "./connect.ts";
import { listen } from "./listen.ts";
import { within } from "./_test_util.ts";

const LOOPBACK = "127.0.0.1";
/** Linux's usual `net.core.rmem_default`, what a socket gets when it asks for nothing. */
const OS_DEFAULT = 212992;
const BIG = 4 << 20;
const BURST = 1000;
const SIZE = 1316;
const BLOCK_MS = 50;

const runtime = detectRuntime();
/** Whether this runtime can size the kernel buffers (node:dgram, directly or on Bun). */
const canSize = runtime !== "deno";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends `BURST` datagrams to `to` while this event loop is blocked for `BLOCK_MS` by a busy
 * loop, so that nothing is read meanwhile, then waits until no more datagrams arrive.
 * Returns how many `received()` saw.
 */
async function burstWhileBlocked(
  sender: UdpSocket,
  to: UdpSocket,
  received: () => number,
): Promise<number> {
  const data = new Uint8Array(SIZE);
  const start = performance.now();
  for (let i = 0; i < BURST; i++) sender.send(data, to.localAddress);
  // The busy loop keeps the receiver from reading: its kernel queue alone holds the burst.
  while (performance.now() - start < BLOCK_MS) {
    // spin
  }
  await within(sender.flush(), 2000, "sender flush");
  let last = -1;
  for (let i = 0; i < 40 && received() !== last; i++) {
    last = received();
    if (last >= BURST) break;
    await sleep(25);
  }
  return received();
}

async function receiver(extra: Partial<UdpSocketOptions>): Promise<{
  socket: UdpSocket;
  count: () => number;
}> {
  let n = 0;
  const socket = await openUdp({ hostname: LOOPBACK, onMessage: () => n++, ...extra });
  return { socket, count: () => n };
}

describe("UDP kernel buffer sizes (receiveBufferBytes / sendBufferBytes)", () => {
  test("rejects sizes that are not positive 32-bit integers", async () => {
    for (const bad of [0, -1, 1.5, 2 ** 31]) {
      await assert.rejects(
        openUdp({ hostname: LOOPBACK, receiveBufferBytes: bad, onMessage() {} }),
        RangeError,
      );
      await assert.rejects(
        openUdp({ hostname: LOOPBACK, sendBufferBytes: bad, onMessage() {} }),
        RangeError,
      );
    }
  });

  test(`a socket asking for ${BIG} bytes reports what the OS applied`, async () => {
    const socket = await openUdp({
      hostname: LOOPBACK,
      receiveBufferBytes: BIG,
      sendBufferBytes: BIG,
      onMessage() {},
    });
    try {
      if (canSize) {
        // On Bun the option selects the node:dgram adapter, which can set SO_RCVBUF.
        assert.equal(socket.runtime, "node");
        assert.ok(socket.receiveBufferBytes! > OS_DEFAULT, `got ${socket.receiveBufferBytes}`);
        assert.ok(socket.sendBufferBytes! > OS_DEFAULT, `got ${socket.sendBufferBytes}`);
      } else {
        // Deno: accepted, not applied, and reported as unknown so callers can warn.
        assert.equal(socket.runtime, "deno");
        assert.equal(socket.receiveBufferBytes, undefined);
        assert.equal(socket.sendBufferBytes, undefined);
      }
    } finally {
      await within(socket.close(), 2000, "close");
    }
  });

  test("the runtime's default socket keeps the default adapter", async () => {
    const socket = await openUdp({ hostname: LOOPBACK, onMessage() {} });
    try {
      assert.equal(socket.runtime, runtime);
      if (runtime === "node") assert.ok(socket.receiveBufferBytes! > 0);
      else assert.equal(socket.receiveBufferBytes, undefined);
    } finally {
      await within(socket.close(), 2000, "close");
    }
  });

  test(
    `a ${BIG}-byte buffer survives ${BURST} datagrams sent during a ${BLOCK_MS} ms stall ` +
      "that the default buffer does not",
    // Needs a sender whose send() reaches the kernel synchronously (Bun.udpSocket), so that
    // the burst is queued while this event loop is blocked; Deno cannot size the buffer.
    { skip: runtime !== "bun" },
    async () => {
      const sender = await openUdp({ hostname: LOOPBACK, onMessage() {} }, "bun");
      const small = await receiver({});
      const big = await receiver({ receiveBufferBytes: BIG });
      try {
        const lostSmall = BURST - await burstWhileBlocked(sender, small.socket, small.count);
        const gotBig = await burstWhileBlocked(sender, big.socket, big.count);
        assert.equal(sender.stats.dropped, 0);
        assert.equal(sender.stats.errors, 0);
        assert.ok(lostSmall > 0, `the default buffer lost nothing (${BURST} received)`);
        assert.equal(gotBig, BURST, `the ${BIG}-byte buffer lost ${BURST - gotBig}`);
      } finally {
        await within(
          Promise.all([sender.close(), small.socket.close(), big.socket.close()]),
          2000,
          "close",
        );
      }
    },
  );

  test("listen() and connect() take udpReceiveBuffer/udpSendBuffer and report them", async () => {
    const server = await listen({
      port: 0,
      hostname: LOOPBACK,
      udpReceiveBuffer: BIG,
      udpSendBuffer: BIG,
    });
    try {
      const port = server.address.port;
      const caller = await within(
        connect(`srt://${LOOPBACK}:${port}?udp_rcvbuf=${BIG}&udp_sndbuf=${BIG}&conntimeo=3000`),
        5000,
        "connect",
      );
      try {
        for (
          const size of [
            server.udpReceiveBuffer,
            server.udpSendBuffer,
            caller.udpReceiveBuffer,
            caller.udpSendBuffer,
          ]
        ) {
          if (canSize) assert.ok(size! > OS_DEFAULT, `got ${size}`);
          else assert.equal(size, undefined);
        }
      } finally {
        await within(caller.close(), 3000, "caller close");
      }
    } finally {
      await within(server.close(), 3000, "server close");
    }
  });
});
