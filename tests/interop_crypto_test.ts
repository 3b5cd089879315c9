/**
 * Encryption against srt-live-transmit 1.5.1 (libsrt with GnuTLS), both directions: the MPEG-TS
 * fixture, paced at its real rate, must arrive byte-exact with AES-128, AES-192 and AES-256, and
 * with a key refresh every 128 packets; a wrong passphrase, or a passphrase on one side only,
 * must be refused with libsrt's reason (1010 BADSECRET, 1011 UNSECURE) and deliver nothing.
 *
 * Peers missing: the tests skip, or fail when `CI` is set (see tests/_peers.ts).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, listen, RejectReason, type SrtSocket } from "../mod.ts";
import { KmState } from "../crypto/km_state.ts";
import { assertSameBytes, chunks, collect, concat, fixture, paced } from "./_stream.ts";
import {
  decodeSrt,
  freeUdpPorts,
  locatePeers,
  openUdpSocket,
  spawnPeer,
  startCapture,
  stopAllPeers,
} from "./_peers.ts";

const PASS = "tsrt-interop-secret";
const REKEY = "kmrefreshrate=128&kmpreannounce=60";
/**
 * Latency for these tests: generous, so that a test machine busy with other suites (a stalled
 * event loop) does not turn into too-late drops; what is tested here is the encryption.
 */
const LATENCY = "latency=400";

const peers = locatePeers("srt-live-transmit", "tshark");

/** tsrt caller -> srt-live-transmit listener -> UDP sink; returns the caller's socket. */
async function tsrtToSlt(
  listenerQuery: string,
  callerQuery: string,
  check?: (socket: SrtSocket) => void,
): Promise<void> {
  const slt = peers.get("srt-live-transmit");
  const [srtPort] = await freeUdpPorts(1);
  const sink = await openUdpSocket(0);
  try {
    const listener = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://:${srtPort}?mode=listener&${LATENCY}&${listenerQuery}`,
      `udp://127.0.0.1:${sink.port}`,
    ]);
    await listener.waitFor(/ listen\.\.\./, 5000);
    const socket = await connect(`srt://127.0.0.1:${srtPort}?${LATENCY}&${callerQuery}`);
    await listener.waitFor(/Accepted SRT source connection/, 5000);
    const s = socket.stats();
    assert.deepEqual([s.kmState, s.sndKmState, s.rcvKmState], [2, 2, 2]);
    await paced((c) => socket.send(c));
    check?.(socket);
    // Everything arrives before the close: a SHUTDOWN would cut libsrt's play-out short.
    await sink.waitForCount(chunks.length, 10_000);
    await socket.close();
    assertSameBytes(concat(sink.received), fixture, "received by srt-live-transmit");
  } finally {
    sink.close();
    await stopAllPeers();
  }
}

/** srt-live-transmit caller -> tsrt listener; returns what tsrt delivered. */
async function sltToTsrt(
  listenerQuery: string,
  callerQuery: string,
  check?: (socket: SrtSocket) => void,
): Promise<void> {
  const slt = peers.get("srt-live-transmit");
  const server = await listen(
    `srt://127.0.0.1:${(await freeUdpPorts(1))[0]}?mode=listener&${LATENCY}&${listenerQuery}`,
  );
  const feeder = await openUdpSocket(0);
  try {
    const [inPort] = await freeUdpPorts(1);
    const caller = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${server.address.port}?${LATENCY}&${callerQuery}`,
    ]);
    await caller.waitFor(/SRT target connected/, 5000);
    const socket = (await server.accept())!;
    const s = socket.stats();
    assert.deepEqual([s.kmState, s.sndKmState, s.rcvKmState], [2, 2, 2]);
    const received = collect(socket, fixture.length);
    await paced((c) => feeder.send(c, inPort));
    await Promise.race([received.done, caller.exited]);
    assertSameBytes(concat(received.parts), fixture, "received by tsrt");
    const st = socket.stats();
    assert.equal(st.pktRcvUndecryptTotal, 0);
    assert.equal(st.pktRcvDropTotal, 0);
    check?.(socket);
    await caller.stop("SIGINT");
    await socket.closed;
  } finally {
    feeder.close();
    await stopAllPeers();
    await server.close();
  }
}

for (const keyLength of [16, 24, 32]) {
  test(`AES-${keyLength * 8}: tsrt caller -> srt-live-transmit listener, MPEG-TS byte-exact`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    // The listener sets the key length; the caller takes the advertised one.
    await tsrtToSlt(`passphrase=${PASS}&pbkeylen=${keyLength}`, `passphrase=${PASS}`, (s) => {
      assert.equal(s.connection.kmCounters?.keySwitches, 0);
    });
  });

  test(`AES-${keyLength * 8}: srt-live-transmit caller -> tsrt listener, MPEG-TS byte-exact`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    await sltToTsrt(`passphrase=${PASS}`, `passphrase=${PASS}&pbkeylen=${keyLength}`);
  });
}

test(
  "key refresh every 128 packets: tsrt caller -> srt-live-transmit, byte-exact; KM CIF unswapped",
  {
    skip: peers.skip,
    timeout: 60_000,
  },
  async () => {
    const tshark = peers.get("tshark");
    const slt = peers.get("srt-live-transmit");
    const [srtPort] = await freeUdpPorts(1);
    const sink = await openUdpSocket(0);
    const capture = await startCapture(srtPort, tshark);
    try {
      const listener = spawnPeer(slt, [
        "-a:no",
        "-v",
        `srt://:${srtPort}?mode=listener&${LATENCY}&passphrase=${PASS}&${REKEY}`,
        `udp://127.0.0.1:${sink.port}`,
      ]);
      await listener.waitFor(/ listen\.\.\./, 5000);
      const socket = await connect(
        `srt://127.0.0.1:${srtPort}?${LATENCY}&passphrase=${PASS}&${REKEY}`,
      );
      await paced((c) => socket.send(c));
      const km = socket.connection.kmCounters!;
      // Everything arrives before the close: a SHUTDOWN would cut libsrt's play-out short.
      await sink.waitForCount(chunks.length, 10_000);
      await socket.close();
      assertSameBytes(concat(sink.received), fixture, "received by srt-live-transmit");
      assert.ok(km.keySwitches >= 3, `switched keys ${km.keySwitches} times`);
      assert.ok(km.kmRspReceived >= km.keySwitches);
      assert.equal(km.kmInvalid, 0);
      await stopAllPeers();
      const packets = await decodeSrt(await capture.stop(), srtPort, tshark);
      // UMSG_EXT (0x7fff) subtype 3 from tsrt, subtype 4 echoed by libsrt: the KM message in its
      // own byte order (12 20 29 03 = V1 PT2 "HAI" KK=3), no per-word swap.
      const kmreq = packets.filter((p) => p.dstPort === srtPort && p.hex.startsWith("ffff0003"));
      const kmrsp = packets.filter((p) => p.dstPort !== srtPort && p.hex.startsWith("ffff0004"));
      assert.ok(
        kmreq.length >= 3 && kmrsp.length >= 3,
        `${kmreq.length} KMREQ, ${kmrsp.length} KMRSP`,
      );
      for (const p of kmreq) assert.equal(p.hex.slice(32, 40), "12202903");
      assert.ok(kmrsp.every((r) => kmreq.some((q) => q.hex.slice(32) === r.hex.slice(32))));
      // Both keys were used on the wire.
      const kk = new Set(
        packets.filter((p) => p.dstPort === srtPort && parseInt(p.hex.slice(0, 2), 16) < 0x80)
          .map((p) => (parseInt(p.hex.slice(8, 10), 16) >> 3) & 3),
      );
      assert.deepEqual([...kk].sort(), [1, 2]);
    } finally {
      sink.close();
      await stopAllPeers();
      await capture.remove();
    }
  },
);

test("key refresh every 128 packets: srt-live-transmit caller -> tsrt listener, byte-exact", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  await sltToTsrt(`passphrase=${PASS}`, `passphrase=${PASS}&${REKEY}`, (s) => {
    const km = s.connection.kmCounters!;
    assert.ok(km.kmReqReceived >= 3, `${km.kmReqReceived} refresh KMREQs answered`);
    assert.equal(km.kmInvalid, 0);
  });
});

for (
  const [what, listenerQuery, callerQuery, reason, text] of [
    [
      "wrong passphrase",
      `passphrase=${PASS}`,
      "passphrase=not-the-interop-secret",
      10,
      /Incorrect passphrase/,
    ],
    [
      "passphrase on the listener only",
      `passphrase=${PASS}`,
      "",
      11,
      /Password required or unexpected/,
    ],
    [
      "passphrase on the caller only",
      "",
      `passphrase=${PASS}`,
      11,
      /Password required or unexpected/,
    ],
  ] as const
) {
  test(
    `${what}: srt-live-transmit refuses the tsrt caller (${
      reason === 10 ? "BADSECRET" : "UNSECURE"
    })`,
    {
      skip: peers.skip,
      timeout: 60_000,
    },
    async () => {
      const slt = peers.get("srt-live-transmit");
      const [srtPort] = await freeUdpPorts(1);
      const sink = await openUdpSocket(0);
      try {
        const listener = spawnPeer(slt, [
          "-a:no",
          "-v",
          `srt://:${srtPort}?mode=listener&${listenerQuery}`,
          `udp://127.0.0.1:${sink.port}`,
        ]);
        await listener.waitFor(/ listen\.\.\./, 5000);
        await assert.rejects(connect(`srt://127.0.0.1:${srtPort}?${callerQuery}`), (e: unknown) => {
          assert.equal((e as { code?: string }).code, "CONNECTION_REJECTED");
          assert.equal((e as { reason?: number }).reason, reason);
          return true;
        });
        assert.equal(sink.received.length, 0);
        assert.doesNotMatch(listener.output, /Accepted SRT source connection/);
      } finally {
        sink.close();
        await stopAllPeers();
      }
    },
  );

  test(`${what}: the tsrt listener refuses srt-live-transmit (${text.source})`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    const slt = peers.get("srt-live-transmit");
    const server = await listen(
      `srt://127.0.0.1:${(await freeUdpPorts(1))[0]}?mode=listener&${listenerQuery}`,
    );
    const feeder = await openUdpSocket(0);
    try {
      const [inPort] = await freeUdpPorts(1);
      const caller = spawnPeer(slt, [
        "-a:no",
        "-v",
        `udp://127.0.0.1:${inPort}`,
        `srt://127.0.0.1:${server.address.port}?${callerQuery}`,
      ]);
      await caller.waitFor(text, 5000);
      await caller.stop("SIGINT");
      assert.doesNotMatch(caller.output, /SRT target connected/);
      assert.equal(server.sockets.length, 0);
      assert.equal(server.counters.rejectedCrypto, 1);
      assert.equal(server.counters.accepted, 0);
    } finally {
      feeder.close();
      await stopAllPeers();
      await server.close();
    }
  });
}

test(
  "the accept hook picks the passphrase per stream ID; srt-live-transmit with the right one gets in",
  {
    skip: peers.skip,
    timeout: 60_000,
  },
  async () => {
    const slt = peers.get("srt-live-transmit");
    const secrets: Record<string, string> = {
      "#!::r=cam1": "secret-for-camera-1",
      "#!::r=cam2": "secret-for-camera-2",
    };
    const server = await listen({
      port: 0,
      hostname: "127.0.0.1",
      accept: (req) => secrets[req.streamId ?? ""] ? { passphrase: secrets[req.streamId!] } : 1403,
    });
    const feeder = await openUdpSocket(0);
    try {
      const [in1, in2] = await freeUdpPorts(2);
      const good = spawnPeer(slt, [
        "-a:no",
        "-v",
        `udp://127.0.0.1:${in1}`,
        `srt://127.0.0.1:${server.address.port}?streamid=#!::r=cam1&passphrase=secret-for-camera-1`,
      ]);
      const bad = spawnPeer(slt, [
        "-a:no",
        "-v",
        `udp://127.0.0.1:${in2}`,
        `srt://127.0.0.1:${server.address.port}?streamid=#!::r=cam2&passphrase=secret-for-camera-1`,
      ]);
      await good.waitFor(/SRT target connected/, 5000);
      await bad.waitFor(/Incorrect passphrase/, 5000);
      const socket = (await server.accept())!;
      assert.equal(socket.streamId, "#!::r=cam1");
      assert.equal(socket.stats().kmState, KmState.SECURED);
      const reader = socket.readable.getReader();
      await feeder.send(new TextEncoder().encode("camera one"), in1);
      const { value } = await reader.read();
      assert.equal(new TextDecoder().decode(value), "camera one");
      reader.releaseLock();
      assert.equal(server.counters.rejectedCrypto, 1);
      assert.equal(RejectReason.BADSECRET, 10);
      await good.stop("SIGINT");
      await socket.closed;
    } finally {
      feeder.close();
      await stopAllPeers();
      await server.close();
    }
  },
);

test(
  "tsrt listener sends to an srt-live-transmit caller with the caller's key, then its own refreshed keys",
  {
    skip: peers.skip,
    timeout: 60_000,
  },
  async () => {
    const slt = peers.get("srt-live-transmit");
    const server = await listen(
      `srt://127.0.0.1:${
        (await freeUdpPorts(1))[0]
      }?mode=listener&${LATENCY}&passphrase=${PASS}&${REKEY}`,
    );
    const sink = await openUdpSocket(0);
    try {
      spawnPeer(slt, [
        "-a:no",
        "-v",
        `srt://127.0.0.1:${server.address.port}?${LATENCY}&passphrase=${PASS}&pbkeylen=24`,
        `udp://127.0.0.1:${sink.port}`,
      ]);
      const socket = (await server.accept())!;
      assert.equal(socket.stats().kmState, KmState.SECURED);
      await paced((c) => socket.send(c));
      const km = socket.connection.kmCounters!;
      await sink.waitForCount(chunks.length, 10_000);
      assertSameBytes(concat(sink.received), fixture, "received by srt-live-transmit");
      assert.ok(km.keySwitches >= 3, `switched keys ${km.keySwitches} times`);
      await socket.close();
    } finally {
      sink.close();
      await stopAllPeers();
      await server.close();
    }
  },
);

test("an accept hook returning an unusable passphrase refuses that caller; the server goes on", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const server = await listen({
    port: 0,
    hostname: "127.0.0.1",
    accept: (req) => ({ passphrase: req.streamId === "#!::r=ok" ? PASS : "too-short" }),
  });
  try {
    const [in1, in2] = await freeUdpPorts(2);
    const bad = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${in1}`,
      `srt://127.0.0.1:${server.address.port}?streamid=#!::r=bad&passphrase=${PASS}`,
    ]);
    await bad.waitFor(/reject|Application-defined/i, 5000);
    const good = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${in2}`,
      `srt://127.0.0.1:${server.address.port}?streamid=#!::r=ok&passphrase=${PASS}`,
    ]);
    await good.waitFor(/SRT target connected/, 5000);
    const socket = (await server.accept())!;
    assert.equal(socket.streamId, "#!::r=ok");
    await good.stop("SIGINT");
    await socket.closed;
  } finally {
    await stopAllPeers();
    await server.close();
  }
});
