// The public API over real UDP on loopback, tsrt to tsrt, under whichever runtime runs it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, listen, RejectReason, SrtError, type SrtSocket } from "../mod.ts";

function numbered(i: number, size = 1316): Uint8Array {
  const p = new Uint8Array(size);
  new DataView(p.buffer).setUint32(0, i);
  p.fill(i & 0xff, 4);
  return p;
}

async function readN(socket: SrtSocket, n: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const reader = socket.readable.getReader();
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    out.push(value);
  }
  reader.releaseLock();
  return out;
}

/** Waits for `p`; if it takes too long, fails with both sides' statistics to show why. */
async function withStats<T>(p: Promise<T>, a: SrtSocket, b: SrtSocket): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`stalled: ${JSON.stringify({ a: a.stats(), b: b.stats() })}`));
    }, 10_000);
  });
  try {
    return await Promise.race([p, slow]);
  } finally {
    clearTimeout(timer);
  }
}

test(
  "connect() and listen() exchange data both ways and report stats",
  { timeout: 20_000 },
  async () => {
    const server = await listen({ port: 0, hostname: "127.0.0.1", latency: 40 });
    try {
      const caller = await connect({ host: "127.0.0.1", port: server.address.port, latency: 60 });
      const accepted = (await server.accept())!;
      assert.equal(caller.latency, 60, "the larger latency wins");
      assert.equal(accepted.latency, 60);
      assert.equal(accepted.remoteAddress.hostname, "127.0.0.1");
      const toServer = readN(accepted, 200);
      const toCaller = readN(caller, 100);
      // Bursts of 20 a tick: a 200-packet burst overflows the kernel's default UDP buffer.
      for (let i = 0; i < 200; i++) {
        caller.send(numbered(i));
        if (i % 2 === 0) accepted.send(numbered(1000 + i / 2, 188));
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1));
      }
      const a = await withStats(toServer, accepted, caller);
      const b = await withStats(toCaller, accepted, caller);
      assert.deepEqual(a.map((p) => new DataView(p.buffer, p.byteOffset).getUint32(0)), [
        ...Array(200).keys(),
      ]);
      assert.ok(a.every((p, i) => p.length === 1316 && p[5] === (i & 0xff)));
      assert.deepEqual(b.map((p) => p.length), new Array(100).fill(188));
      const s = accepted.stats();
      assert.equal(s.pktRecvUniqueTotal, 200);
      assert.equal(s.pktSentUniqueTotal, 100);
      assert.equal(s.msRcvTsbPdDelay, 60);
      await caller.close();
      await accepted.closed;
      assert.equal(accepted.error, undefined, "a clean SHUTDOWN is not an error");
    } finally {
      await server.close();
    }
  },
);

test(
  "one listener socket carries several connections, routed by socket ID",
  { timeout: 20_000 },
  async () => {
    const server = await listen({ port: 0, hostname: "127.0.0.1", latency: 40 });
    try {
      const names = ["cam1", "cam2", "cam3", "cam4"];
      const callers = await Promise.all(
        names.map((n) =>
          connect(`srt://127.0.0.1:${server.address.port}?streamid=${n}&latency=40`)
        ),
      );
      const accepted: SrtSocket[] = [];
      for (let i = 0; i < names.length; i++) accepted.push((await server.accept())!);
      assert.deepEqual(accepted.map((s) => s.streamId).sort(), names);
      const reads = accepted.map((s) => readN(s, 50));
      for (let k = 0; k < 50; k++) {
        callers.forEach((c, i) => c.send(new TextEncoder().encode(`${names[i]}:${k}`)));
      }
      const got = await Promise.all(reads);
      accepted.forEach((s, i) => {
        const text = got[i].map((p) => new TextDecoder().decode(p));
        assert.deepEqual(text, Array.from({ length: 50 }, (_, k) => `${s.streamId}:${k}`));
      });
      assert.equal(server.sockets.length, names.length);
      await Promise.all(callers.map((c) => c.close()));
    } finally {
      await server.close();
    }
  },
);

test("an accept hook's rejection reaches connect() as SrtError with the reason", {
  timeout: 20_000,
}, async () => {
  const seen: (string | undefined)[] = [];
  const server = await listen({
    port: 0,
    hostname: "127.0.0.1",
    accept: async (req) => {
      seen.push(req.streamId);
      await Promise.resolve(); // decisions may be asynchronous
      return req.streamId === "ok" ? true : RejectReason.FORBIDDEN;
    },
  });
  try {
    await assert.rejects(
      connect(`srt://127.0.0.1:${server.address.port}?streamid=nope`),
      (e: unknown) =>
        e instanceof SrtError && e.code === "CONNECTION_REJECTED" && e.reason === 1403,
    );
    const ok = await connect(`srt://127.0.0.1:${server.address.port}?streamid=ok`);
    assert.deepEqual(seen, ["nope", "ok"]);
    assert.equal(server.counters.rejected, 1);
    await ok.close();
  } finally {
    await server.close();
  }
});

test(
  "connect() to a port nobody answers times out with CONNECTION_TIMEOUT",
  { timeout: 20_000 },
  async () => {
    // A bound socket that never answers: the port is ours, so nothing else can reply.
    const silent = await listen({
      port: 0,
      hostname: "127.0.0.1",
      accept: () => new Promise(() => {}),
    });
    try {
      const started = performance.now();
      await assert.rejects(
        connect(`srt://127.0.0.1:${silent.address.port}?conntimeo=500`),
        (e: unknown) => e instanceof SrtError && e.code === "CONNECTION_TIMEOUT",
      );
      const took = performance.now() - started;
      assert.ok(took >= 450 && took < 3000, `timed out after ${took} ms`);
    } finally {
      await silent.close();
    }
  },
);

test("bad URIs and options are refused with clear errors", async () => {
  await assert.rejects(connect("srt://127.0.0.1:9000?bogus=1"), /option "bogus" is not supported/);
  await assert.rejects(
    connect("srt://127.0.0.1:9000?latency=abc"),
    /latency=abc: expected an integer/,
  );
  await assert.rejects(connect("srt://:9000"), /use listen\(\)/);
  await assert.rejects(connect("udp://127.0.0.1:9000"), /not an srt:\/\/ URI/);
  await assert.rejects(
    connect({ host: "127.0.0.1", port: 9, payloadSize: 2000 }),
    /payloadSize must be an integer in 1\.\.1456/,
  );
});
