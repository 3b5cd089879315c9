/**
 * Caller reconnection: the backoff schedule with injected randomness, give-up and reset rules
 * with an injected connect and clock, and a real publisher that resumes after the stream
 * server restarts on the same port.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { SrtSocket } from "../mod.ts";
import { connect } from "../mod.ts";
import { SrtError } from "../srt/errors.ts";
import { backoffDelay, connectWithRetry, isRetryable } from "../server/reconnect.ts";
import { StreamServer } from "../server/stream_server.ts";
import { concat, LogRecorder, numberedPayload, readAll, sendPaced } from "../server/_test_util.ts";
import { freeUdpPorts } from "./_peers.ts";

test("backoff grows exponentially to the cap, with the injected jitter", () => {
  const p = { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0.5 };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, p, 1)), [
    100,
    200,
    400,
    800,
    1000,
    1000,
  ]);
  assert.deepEqual([1, 2, 3].map((n) => backoffDelay(n, p, 0)), [50, 100, 200]);
  assert.equal(backoffDelay(2, { ...p, jitter: 0 }, 0.3), 200);
  assert.equal(backoffDelay(2, { ...p, jitter: 1 }, 0.25), 50);
});

test("retryable: permanent rejections are not retried, OVERLOAD/CONFLICT/timeouts are", () => {
  const rej = (reason: number) => new SrtError("CONNECTION_REJECTED", "x", { reason });
  assert.equal(isRetryable(rej(1403)), false);
  assert.equal(isRetryable(rej(10)), false);
  assert.equal(isRetryable(rej(1402)), true);
  assert.equal(isRetryable(rej(1409)), true);
  assert.equal(isRetryable(new SrtError("CONNECTION_TIMEOUT", "t")), true);
});

/** A fake socket that stays up until `end()` is called. */
function fakeSocket() {
  let end!: () => void;
  const closed = new Promise<void>((r) => (end = r));
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      void closed.then(() => c.close());
    },
  });
  const s = { readable, closed, error: undefined, send() {}, close: () => (end(), closed) };
  return { socket: s as unknown as SrtSocket, end };
}

test("gives up after maxAttempts consecutive failures; a stable connection resets the count", {
  timeout: 10_000,
}, async () => {
  let clock = 0;
  const script: ("fail" | "ok")[] = ["fail", "ok", "fail", "fail", "ok", "fail", "fail", "fail"];
  const sockets: ReturnType<typeof fakeSocket>[] = [];
  const events: string[] = [];
  const delays: number[] = [];
  const c = await connectWithRetry("srt://127.0.0.1:9?mode=caller", {
    initialDelayMs: 1,
    maxDelayMs: 4,
    maxAttempts: 3,
    stableAfterMs: 1000,
    random: () => 0.5,
    now: () => clock,
    connect: () => {
      const step = script.shift();
      if (step !== "ok") return Promise.reject(new SrtError("CONNECTION_TIMEOUT", "t"));
      const f = fakeSocket();
      sockets.push(f);
      return Promise.resolve(f.socket);
    },
  });
  c.on("retry", (e) => (events.push(`retry${e.attempt}`), delays.push(e.delayMs)));
  c.on("disconnect", () => events.push("disconnect"));
  c.on("reconnect", () => events.push("reconnect"));
  c.on("give-up", () => events.push("give-up"));
  assert.equal(c.connections, 1);
  // Up for 2 s (stable): the failure before it is forgotten, so two more failures are allowed.
  clock += 2000;
  sockets[0].end();
  await new Promise<void>((r) => c.on("reconnect", () => r()));
  // Up briefly (not stable): the next failure is the third in a row, and it gives up.
  clock += 10;
  sockets[1].end();
  await c.closed;
  assert.deepEqual(events, [
    "disconnect",
    "retry1",
    "retry2",
    "reconnect",
    "disconnect",
    "give-up",
  ]);
  // The short connection did not reset the count: failures 1 and 2 before it, 3 after it.
  assert.deepEqual(delays, [0.75, 1.5]);
  assert.ok(c.error instanceof SrtError);
  assert.equal(c.send(new Uint8Array(1)), false);
});

test("a publisher resumes after the stream server restarts on the same port", {
  timeout: 60_000,
}, async () => {
  const [port] = await freeUdpPorts(1);
  const options = {
    port,
    hostname: "127.0.0.1",
    players: { waitForPublisher: true },
  } as const;
  let log = new LogRecorder();
  let server = await StreamServer.start({ ...options, log: log.log });
  const pub = await connectWithRetry(
    `srt://127.0.0.1:${port}?streamid=#!::r=live/r,m=publish&conntimeo=500&latency=200`,
    { initialDelayMs: 50, maxDelayMs: 400, random: () => 0.5 },
  );
  const events: string[] = [];
  pub.on("disconnect", () => events.push("disconnect"));
  pub.on("retry", () => events.push("retry"));
  pub.on("reconnect", () => events.push("reconnect"));
  try {
    const before = Array.from({ length: 50 }, (_, i) => numberedPayload(9, i));
    const p1 = await connect(`srt://127.0.0.1:${port}?streamid=#!::r=live/r&latency=200`);
    await log.waitFor((e) => e.kind === "play");
    const got1: Uint8Array[] = [];
    const all1 = (async () => {
      for await (const p of p1.readable) {
        got1.push(p.slice());
        if (got1.length === before.length) return;
      }
    })();
    await sendPaced(before, 500, (p) => void pub.send(p));
    await all1;
    assert.deepEqual(concat(got1), concat(before));
    // The server goes away (SHUTDOWN to everyone) and comes back.
    const down = new Promise<void>((r) => pub.on("disconnect", () => r()));
    await server.close();
    await down;
    await p1.closed;
    assert.equal(pub.send(new Uint8Array(10)), false, "nothing to send on while down");
    const back = new Promise<void>((r) => pub.on("reconnect", () => r()));
    log = new LogRecorder();
    server = await StreamServer.start({ ...options, log: log.log });
    const p2 = await connect(`srt://127.0.0.1:${port}?streamid=#!::r=live/r&latency=200`);
    const read2 = readAll(p2);
    await back;
    assert.equal(pub.connected, true);
    const after = Array.from({ length: 50 }, (_, i) => numberedPayload(9, 100 + i));
    await sendPaced(after, 500, (p) => void pub.send(p));
    await pub.close();
    assert.deepEqual(concat(await read2), concat(after));
    assert.equal(events[0], "disconnect");
    assert.equal(events.at(-1), "reconnect");
    assert.equal(pub.connections, 2);
    assert.equal(pub.droppedWhileDisconnected, 1);
  } finally {
    await pub.close();
    await server.close();
  }
});
