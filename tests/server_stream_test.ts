/**
 * The stream server with tsrt callers in-process: fan-out byte-exact, rejections with their
 * reasons, per-user passphrases, limits, graceful shutdown and many concurrent streams.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, RejectReason, type SrtSocket } from "../mod.ts";
import { SrtError } from "../srt/errors.ts";
import { StreamServer, type StreamServerOptions } from "../server/stream_server.ts";
import { concat, LogRecorder, numberedPayload, readAll, sendPaced } from "../server/_test_util.ts";

/** Receive latency of the callers, ms: generous, since 100+ connections share one process. */
const LATENCY = 1000;

async function start(
  log: LogRecorder,
  options: Partial<StreamServerOptions> = {},
): Promise<StreamServer> {
  return await StreamServer.start({ port: 0, hostname: "127.0.0.1", log: log.log, ...options });
}

function caller(server: StreamServer, streamId: string, extra = ""): Promise<SrtSocket> {
  return connect(
    `srt://127.0.0.1:${server.address.port}?streamid=${streamId}&latency=${LATENCY}${extra}`,
  );
}

async function rejection(p: Promise<SrtSocket>): Promise<number | undefined> {
  try {
    const s = await p;
    await s.close();
  } catch (e) {
    if (e instanceof SrtError && e.code === "CONNECTION_REJECTED") return e.reason;
    throw e;
  }
  return undefined;
}

test("one publisher, three players: each gets every payload byte-exact", {
  timeout: 60_000,
}, async () => {
  const log = new LogRecorder();
  const server = await start(log, { players: { waitForPublisher: true } });
  try {
    const players = await Promise.all(
      [0, 1, 2].map(() => caller(server, "#!::r=live/a,m=request")),
    );
    await log.waitFor((e) => e.kind === "play", 3);
    const reads = players.map((p) => readAll(p));
    const pub = await caller(server, "#!::r=live/a,m=publish");
    await log.waitFor((e) => e.kind === "publish");
    const payloads = Array.from({ length: 300 }, (_, i) => numberedPayload(1, i));
    await sendPaced(payloads, 500, (p) => pub.send(p));
    await pub.close();
    const want = concat(payloads);
    for (const got of await Promise.all(reads)) {
      assert.equal(got.length, payloads.length);
      assert.deepEqual(concat(got), want);
    }
    const a = server.accessCounters;
    assert.equal(a.accepted, 4);
    assert.equal(a.byMode.request, 3);
    assert.equal(a.byMode.publish, 1);
  } finally {
    await server.close();
  }
});

test("rejections: CONFLICT, NOTFOUND, BAD_MODE, FORBIDDEN, OVERLOAD, each logged and counted", {
  timeout: 60_000,
}, async () => {
  const log = new LogRecorder();
  const server = await start(log, {
    access: {
      resources: [{ match: "live/*" }, { match: "private/*", deny: ["127.0.0.0/8"] }],
    },
    limits: { maxConnectionsPerIp: 3 },
  });
  try {
    const pub = await caller(server, "#!::r=live/x,m=publish");
    assert.equal(await rejection(caller(server, "#!::r=live/x,m=publish")), RejectReason.CONFLICT);
    assert.equal(await rejection(caller(server, "#!::r=live/none")), RejectReason.NOTFOUND);
    assert.equal(await rejection(caller(server, "#!::r=other/x")), RejectReason.NOTFOUND);
    assert.equal(
      await rejection(caller(server, "#!::r=live/y,m=bidirectional")),
      RejectReason.BAD_MODE,
    );
    assert.equal(
      await rejection(caller(server, "#!::r=private/a,m=publish")),
      RejectReason.FORBIDDEN,
    );
    const p1 = await caller(server, "#!::r=live/x,m=request");
    const p2 = await caller(server, "#!::r=live/x");
    assert.equal(await rejection(caller(server, "#!::r=live/x")), RejectReason.OVERLOAD);
    const a = server.accessCounters;
    assert.deepEqual(a.byReason, { 1409: 1, 1404: 2, 1405: 1, 1403: 1, 1402: 1 });
    assert.equal(a.rejected, 6);
    assert.equal(a.accepted, 3);
    const rejected = log.entries.filter((e) => e.kind === "access" && !e.accept);
    assert.equal(rejected.length, 6);
    assert.ok(rejected.every((e) => e.kind === "access" && typeof e.message === "string"));
    await Promise.all([pub.close(), p1.close(), p2.close()]);
    // Once they are gone, the address has room again and the resource is free.
    await log.waitFor((e) => e.kind === "unpublish");
    await log.waitFor((e) => e.kind === "stop", 2);
    const again = await caller(server, "#!::r=live/x,m=publish");
    await again.close();
  } finally {
    await server.close();
  }
});

test("per-user passphrases are set before the handshake completes", {
  timeout: 60_000,
}, async () => {
  const log = new LogRecorder();
  const server = await start(log, {
    access: {
      users: {
        alice: { passphrase: "alice-secret-1", modes: ["publish"] },
        bob: { passphrase: "bob-secret-22" },
      },
      requireUser: true,
    },
    players: { waitForPublisher: true },
  });
  try {
    const pub = await caller(server, "#!::u=alice,r=cam,m=publish", "&passphrase=alice-secret-1");
    assert.equal(pub.connection.encrypted, true);
    assert.equal(
      await rejection(caller(server, "#!::u=bob,r=cam,m=request", "&passphrase=alice-secret-1")),
      RejectReason.BADSECRET,
    );
    assert.equal(
      await rejection(caller(server, "#!::u=bob,r=cam,m=request")),
      RejectReason.UNSECURE,
    );
    assert.equal(await rejection(caller(server, "#!::r=cam,m=request")), RejectReason.UNAUTHORIZED);
    assert.equal(
      await rejection(caller(server, "#!::u=alice,r=cam2,m=request", "&passphrase=alice-secret-1")),
      RejectReason.FORBIDDEN,
    );
    const player = await caller(server, "#!::u=bob,r=cam,m=request", "&passphrase=bob-secret-22");
    await log.waitFor((e) => e.kind === "play");
    const read = readAll(player);
    const payloads = Array.from({ length: 100 }, (_, i) => numberedPayload(2, i));
    await sendPaced(payloads, 500, (p) => pub.send(p));
    await pub.close();
    assert.deepEqual(concat(await read), concat(payloads));
    // A refused handshake (BADSECRET) must not leave a connection counted.
    assert.equal(server.connectionCount, 0);
  } finally {
    await server.close();
  }
});

test("graceful shutdown delivers the tail and sends SHUTDOWN to everyone", {
  timeout: 60_000,
}, async () => {
  const log = new LogRecorder();
  const server = await start(log, { players: { waitForPublisher: true, closeOnUnpublish: false } });
  const pub = await caller(server, "#!::r=live/s,m=publish");
  const idlePub = await caller(server, "#!::r=live/idle,m=publish");
  const player = await caller(server, "#!::r=live/s");
  await log.waitFor((e) => e.kind === "play");
  const read = readAll(player);
  const payloads = Array.from({ length: 200 }, (_, i) => numberedPayload(3, i));
  await sendPaced(payloads, 1000, (p) => pub.send(p));
  await pub.close();
  // The player stays (closeOnUnpublish: false) with whatever is still queued or in flight.
  await log.waitFor((e) => e.kind === "unpublish");
  await server.close();
  assert.deepEqual(concat(await read), concat(payloads));
  await player.closed;
  await idlePub.closed;
  assert.equal(player.error, undefined, "player got a clean SHUTDOWN");
  assert.equal(idlePub.error, undefined, "publisher got a clean SHUTDOWN");
  const ended = log.entries.filter((e) => e.kind === "stop" || e.kind === "unpublish");
  assert.equal(ended.length, 3);
  await assert.rejects(
    caller(server, "#!::r=live/s", "&conntimeo=500"),
    (e: SrtError) => e.code === "CONNECTION_TIMEOUT",
  );
});

test("50 concurrent publishers with a player each for 10 s, all byte-exact", {
  timeout: 60_000,
}, async () => {
  // Issue #6: 50 publishers and 50 players on one listener, 10 s of traffic, every player
  // gets its publisher's stream byte-exact: 200 payloads at 20/s per stream (about
  // 0.2 Mbit/s each, 1000 payloads/s in and 1000 out of the server, all in this process).
  const N = 50;
  const PAYLOADS = 200;
  const log = new LogRecorder();
  const server = await start(log, { players: { waitForPublisher: true }, analyze: false });
  try {
    const players = await Promise.all(
      Array.from({ length: N }, (_, i) => caller(server, `#!::r=live/s${i},m=request`)),
    );
    await log.waitFor((e) => e.kind === "play", N);
    const reads = players.map((p) => readAll(p));
    const pubs = await Promise.all(
      Array.from({ length: N }, (_, i) => caller(server, `#!::r=live/s${i},m=publish`)),
    );
    await log.waitFor((e) => e.kind === "publish", N);
    assert.equal(server.publishedResources.length, N);
    const all = pubs.map((_, i) =>
      Array.from({ length: PAYLOADS }, (_, k) => numberedPayload(i, k))
    );
    await Promise.all(pubs.map((p, i) => sendPaced(all[i], 20, (x) => p.send(x))));
    await Promise.all(pubs.map((p) => p.close()));
    const got = await Promise.all(reads);
    for (let i = 0; i < N; i++) {
      assert.equal(got[i].length, PAYLOADS, `stream ${i}`);
      assert.deepEqual(concat(got[i]), concat(all[i]), `stream ${i}`);
    }
  } finally {
    await server.close();
  }
});

test("Haivision callers: a missing m follows the policy; no stream ID is routed by peer", {
  timeout: 60_000,
}, async () => {
  const log = new LogRecorder();
  const server = await start(log, {
    access: {
      missingMode: "publish",
      routes: [{ peers: ["127.0.0.0/8"], resource: "live/makito", mode: "publish" }],
    },
    limits: { maxConnections: 2 },
  });
  try {
    // Makito "Standard Keys": user and resource, no m; the policy makes it a publisher.
    const makito = await caller(server, "#!::u=admin,r=ietf_107_srt_overview");
    await log.waitFor((e) => e.kind === "publish");
    assert.deepEqual(server.publishedResources, ["ietf_107_srt_overview"]);
    // An old firmware without stream ID: the route names its resource.
    const legacy = await connect(`srt://127.0.0.1:${server.address.port}?latency=${LATENCY}`);
    await log.waitFor((e) => e.kind === "publish", 2);
    assert.deepEqual(server.publishedResources.sort(), ["ietf_107_srt_overview", "live/makito"]);
    // Two connections is the limit.
    assert.equal(await rejection(caller(server, "#!::r=x,m=publish")), RejectReason.OVERLOAD);
    await Promise.all([makito.close(), legacy.close()]);
  } finally {
    await server.close();
  }
});

test("udpReceiveBuffer reaches the listener's one UDP socket (where the runtime can set it)", {
  timeout: 60_000,
}, async () => {
  const log = new LogRecorder();
  const server = await start(log, { udpReceiveBuffer: 4 << 20 });
  try {
    const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
    // Deno's UDP API cannot size its buffers; Bun serves the listener through node:dgram then.
    if (isDeno) assert.equal(server.udpReceiveBuffer, undefined);
    else assert.ok(server.udpReceiveBuffer! > 212992, `got ${server.udpReceiveBuffer}`);
  } finally {
    await server.close();
  }
});
