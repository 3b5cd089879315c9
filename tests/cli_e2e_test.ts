/**
 * End-to-end tests of the `tsrt` command: real processes under the runtime running the tests
 * (`deno run -A cli/main.ts` or `bun cli/main.ts`), against srt-live-transmit, ffmpeg and
 * itself, on 127.0.0.1 with free ports.
 *
 * Peers missing: the tests skip, or fail when `CI` is set (see tests/_peers.ts).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { listen, RejectReason } from "../mod.ts";
import { startLossyRelay } from "../net/lossy_relay.ts";
import {
  assertSameBytes,
  CHUNK,
  chunks,
  concat,
  fixture,
  FIXTURE_PATH as FIXTURE,
  paced,
} from "./_stream.ts";
import {
  findExecutable,
  freeUdpPorts,
  locatePeers,
  openUdpSocket,
  type PeerProcess,
  runToCompletion,
  spawnPeer,
  stopAllPeers,
} from "./_peers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MAIN = join(ROOT, "cli/main.ts");

const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
const isBun = (globalThis as { Bun?: unknown }).Bun !== undefined;
const peers = locatePeers("srt-live-transmit", "ffmpeg");

/** The command that runs `tsrt` under the current runtime. */
function tsrtCommand(args: readonly string[]): [string, string[]] {
  return isDeno
    ? [process.execPath, ["run", "-A", "--config", join(ROOT, "deno.json"), MAIN, ...args]]
    : [process.execPath, [MAIN, ...args]];
}

/** Starts tsrt with piped output (stdin ignored). */
function tsrt(...args: string[]): PeerProcess {
  const [cmd, argv] = tsrtCommand(args);
  return spawnPeer(cmd, argv);
}

/** Runs tsrt to the end with `stdin` fed to it; returns exit code, stdout bytes and stderr. */
function runTsrt(
  args: readonly string[],
  stdin?: Uint8Array,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: Uint8Array; stderr: string }> {
  const [cmd, argv] = tsrtCommand(args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Uint8Array[] = [];
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tsrt ${args.join(" ")} did not end in ${timeoutMs} ms:\n${err}`));
    }, timeoutMs);
    child.stdout.on("data", (d: Uint8Array) => out.push(new Uint8Array(d)));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (err += d));
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: concat(out), stderr: err });
    });
    child.stdin.on("error", () => {});
    if (stdin) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

/** Waits until `path` holds `size` bytes (polling the size, bounded). */
async function waitForFileSize(path: string, size: number, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (existsSync(path) && statSync(path).size >= size) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  const got = existsSync(path) ? statSync(path).size : -1;
  assert.fail(`${path}: ${got} bytes after ${timeoutMs} ms, want ${size}`);
}

/**
 * Sends `signal` to a tsrt process and waits for it to exit (SIGKILL after `graceMs`).
 * The signal goes through `process.kill(pid)`: Deno 2.9's node:child_process reports a child
 * that was sent a signal with `child.kill()` as killed by it even when it exited with 0.
 */
async function interrupt(
  p: PeerProcess,
  signal: "SIGINT" | "SIGTERM",
  graceMs = 10_000,
): Promise<number | null> {
  process.kill(p.pid!, signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const forced = new Promise<void>((r) => {
    timer = setTimeout(() => {
      p.kill("SIGKILL");
      r();
    }, graceMs);
  });
  await Promise.race([p.exited, forced]);
  clearTimeout(timer);
  return (await p.exited).code;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "tsrt-cli-"));
}

test("tsrt --help prints the golden help text and exits 0", { timeout: 60_000 }, async () => {
  const r = await runTsrt(["--help"]);
  assert.equal(r.code, 0, r.stderr);
  const want = readFileSync(join(ROOT, "tests/cli_ui/help.txt"), "utf8");
  assert.equal(new TextDecoder().decode(r.stdout), want);
});

test("usage errors exit 2 with a message and no stack trace", { timeout: 60_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [[], /expected an input and an output URI/],
    [["--bogus", "udp://:5000", "-"], /unknown option "--bogus"/],
    [["udp://:5000", "srt://127.0.0.1:9000?latncy=200"], /"latncy" is not supported/],
    [["http://x:1", "-"], /unsupported URI scheme "http:\/\/"/],
    [["udp://:5000", "srt://127.0.0.1:9000?passphrase=short"], /passphrase.*10\.\.80/],
    [["--stats-format", "xml", "udp://:5000", "-"], /json, csv or text/],
  ];
  for (const [args, message] of cases) {
    const r = await runTsrt(args);
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Run "tsrt --help" for usage/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});

test("--passphrase-env on a listener and passphrase= on a caller: AES-256, byte-exact", {
  timeout: 60_000,
}, async () => {
  const [port] = await freeUdpPorts(1);
  const dir = tempDir();
  const out = join(dir, "out.ts");
  const [cmd, argv] = tsrtCommand([
    "--passphrase-env",
    "TSRT_TEST_SECRET",
    `srt://127.0.0.1:${port}?mode=listener`,
    `file://${out}`,
  ]);
  const listener = spawnPeer(cmd, argv, { env: { TSRT_TEST_SECRET: "0123456789abc" } });
  try {
    await listener.waitFor(/SRT listening/, 20_000);
    // A wrong passphrase is a clean rejection: exit 1 with libsrt's reason, nothing written.
    const wrong = tsrt(`file://${FIXTURE}`, `srt://127.0.0.1:${port}?passphrase=not-the-secret`);
    assert.equal((await wrong.exited).code, 1, wrong.output);
    assert.match(wrong.stderr, /rejected: BADSECRET \(10\)/);
    const caller = tsrt(
      "--realtime",
      `file://${FIXTURE}`,
      `srt://127.0.0.1:${port}?passphrase=0123456789abc&pbkeylen=32`,
    );
    assert.equal((await caller.exited).code, 0, caller.output);
    assert.equal((await listener.exited).code, 0, listener.output);
    assertSameBytes(new Uint8Array(readFileSync(out)), fixture, "decrypted by the listener");
  } finally {
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stdin -> tsrt -> file is byte-exact", { timeout: 60_000 }, async () => {
  const dir = tempDir();
  try {
    const out = join(dir, "out.ts");
    const r = await runTsrt(["-", `file://${out}`], fixture);
    assert.equal(r.code, 0, r.stderr);
    assertSameBytes(new Uint8Array(readFileSync(out)), fixture, "file output");
    assert.match(r.stderr, /done: 715904 bytes in 544 chunks/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsrt listener -> stdout and tsrt --realtime caller: byte-exact, paced by PCR", {
  timeout: 60_000,
}, async () => {
  const [port] = await freeUdpPorts(1);
  const dir = tempDir();
  const statsPath = join(dir, "stats.jsonl");
  const [cmd, argv] = tsrtCommand([
    "-s",
    "200",
    "--stats-format",
    "json",
    "--stats-out",
    statsPath,
    `srt://127.0.0.1:${port}?mode=listener`,
    "-",
  ]);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  const out: Uint8Array[] = [];
  let err = "";
  child.stdout.on("data", (d: Uint8Array) => out.push(new Uint8Array(d)));
  child.stderr.setEncoding("utf8");
  const listening = new Promise<void>((resolve) => {
    child.stderr.on("data", (d: string) => {
      err += d;
      if (/SRT listening/.test(err)) resolve();
    });
  });
  const exited = new Promise<number | null>((r) => child.once("close", (c) => r(c)));
  try {
    await Promise.race([listening, exited.then(() => assert.fail(`listener exited:\n${err}`))]);
    const started = performance.now();
    const caller = tsrt("--realtime", `file://${FIXTURE}`, `srt://127.0.0.1:${port}`);
    const callerExit = await caller.exited;
    const elapsed = performance.now() - started;
    assert.equal(callerExit.code, 0, caller.output);
    assert.equal(await exited, 0, err);
    assertSameBytes(concat(out), fixture, "stdout of the listener");
    // The fixture lasts 3 s by its PCR: paced, it cannot go much faster than that.
    assert.ok(elapsed > 2500, `sent in ${elapsed.toFixed(0)} ms: not paced`);
    // About one JSON line of libsrt-named statistics every 200 ms while connected.
    const reports = readFileSync(statsPath, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(reports.length >= 8, `${reports.length} reports`);
    const last = reports[reports.length - 1];
    assert.ok(last.pktRecvTotal >= chunks.length * 0.8, `pktRecvTotal ${last.pktRecvTotal}`);
    assert.ok(reports.some((r) => r.mbpsRecvRate > 1), "a receive rate above 1 Mb/s");
    assert.equal(last.msRcvTsbPdDelay, 120);
  } finally {
    child.kill("SIGKILL");
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("udp:// -> tsrt caller -> srt-live-transmit listener -> udp:// is byte-exact", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const [srtPort, inPort] = await freeUdpPorts(2);
  const sink = await openUdpSocket(0);
  const feeder = await openUdpSocket(0);
  try {
    const listener = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://:${srtPort}?mode=listener`,
      `udp://127.0.0.1:${sink.port}`,
    ]);
    await listener.waitFor(/ listen\.\.\./, 5000);
    const t = tsrt(`udp://127.0.0.1:${inPort}`, `srt://127.0.0.1:${srtPort}?latency=200`);
    await t.waitFor(/relaying udp:/, 10_000);
    await listener.waitFor(/Accepted SRT source connection/, 5000);
    await paced((c) => feeder.send(c, inPort));
    await sink.waitForCount(chunks.length, 10_000);
    assertSameBytes(concat(sink.received), fixture, "received by srt-live-transmit");
    assert.equal(await interrupt(t, "SIGINT"), 0, t.output);
    await listener.waitFor(/SRT source disconnected/, 5000);
  } finally {
    sink.close();
    feeder.close();
    await stopAllPeers();
  }
});

test("srt-live-transmit caller -> tsrt listener -> file:// is byte-exact", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const dir = tempDir();
  const feeder = await openUdpSocket(0);
  try {
    const out = join(dir, "out.ts");
    const [srtPort, inPort] = await freeUdpPorts(2);
    const t = tsrt(`srt://:${srtPort}`, `file://${out}`);
    await t.waitFor(/SRT listening/, 10_000);
    const caller = spawnPeer(slt, [
      "-a:no",
      "-v",
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${srtPort}?streamid=cli-test`,
    ]);
    await caller.waitFor(/SRT target connected/, 5000);
    await t.waitFor(/SRT accepted .*streamid "cli-test"/, 5000);
    await paced((c) => feeder.send(c, inPort));
    await waitForFileSize(out, fixture.length, 10_000);
    await caller.stop("SIGINT");
    const exit = await t.exited;
    assert.equal(exit.code, 0, t.output);
    assertSameBytes(new Uint8Array(readFileSync(out)), fixture, "file written by tsrt");
  } finally {
    feeder.close();
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ffmpeg -re -> tsrt listener -> file:// holds what ffmpeg sent", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const ffmpeg = peers.get("ffmpeg");
  const dir = tempDir();
  try {
    const ref = join(dir, "ref.ts");
    const common = ["-nostdin", "-hide_banner", "-loglevel", "error"];
    await runToCompletion(ffmpeg, [...common, "-i", FIXTURE, "-c", "copy", "-f", "mpegts", ref]);
    const want = new Uint8Array(readFileSync(ref));
    const out = join(dir, "out.ts");
    const [port] = await freeUdpPorts(1);
    const t = tsrt(`srt://127.0.0.1:${port}?mode=listener&latency=200`, `file://${out}`);
    await t.waitFor(/SRT listening/, 10_000);
    const f = spawnPeer(ffmpeg, [
      ...common,
      "-re",
      "-i",
      FIXTURE,
      "-c",
      "copy",
      "-f",
      "mpegts",
      `srt://127.0.0.1:${port}?latency=200000&pkt_size=1316`,
    ]);
    const fExit = await f.exited;
    assert.equal(fExit.code, 0, f.output);
    const exit = await t.exited;
    assert.equal(exit.code, 0, t.output);
    const got = new Uint8Array(readFileSync(out));
    // ffmpeg closes libsrt with linger 0: its last flush may never reach the wire.
    assert.ok(got.length > want.length * 0.9, `only ${got.length} of ${want.length} bytes`);
    assertSameBytes(got, want.subarray(0, got.length), "file written by tsrt");
  } finally {
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIGINT ends tsrt with exit 0, the output flushed and closed", {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  const feeder = await openUdpSocket(0);
  try {
    const out = join(dir, "out.ts");
    const [inPort] = await freeUdpPorts(1);
    const t = tsrt("-v", `udp://127.0.0.1:${inPort}`, `file://${out}`);
    await t.waitFor(/relaying udp:/, 10_000);
    const part = chunks.slice(0, 100);
    await paced((c) => feeder.send(c, inPort), 500, part);
    await t.waitFor(new RegExp(`status: [\\d.]+ Mb/s \\| ${100 * CHUNK} bytes`), 10_000);
    assert.equal(await interrupt(t, "SIGINT"), 0, t.output);
    assert.match(t.stderr, /SIGINT: stopping/);
    assert.match(t.stderr, /stopped: 131600 bytes in 100 chunks/);
    assertSameBytes(new Uint8Array(readFileSync(out)), concat(part), "file after SIGINT");
  } finally {
    feeder.close();
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIGTERM ends a tsrt SRT caller with exit 0 and SHUTDOWN to the listener", {
  timeout: 60_000,
}, async () => {
  const server = await listen({ port: 0, hostname: "127.0.0.1" });
  const [inPort] = await freeUdpPorts(1);
  try {
    const t = tsrt(`udp://127.0.0.1:${inPort}`, `srt://127.0.0.1:${server.address.port}`);
    const socket = (await server.accept())!;
    await t.waitFor(/relaying udp:/, 10_000);
    assert.equal(await interrupt(t, "SIGTERM"), 0, t.output);
    await socket.closed;
    assert.equal(socket.error, undefined, "closed by SHUTDOWN, not by a timeout");
  } finally {
    await stopAllPeers();
    await server.close();
  }
});

test("a rejected connection exits 1 with the reason's name", { timeout: 60_000 }, async () => {
  const server = await listen({
    port: 0,
    hostname: "127.0.0.1",
    accept: () => RejectReason.FORBIDDEN,
  });
  try {
    const [inPort] = await freeUdpPorts(1);
    const t = tsrt(
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${server.address.port}?streamid=nope`,
    );
    const exit = await t.exited;
    assert.equal(exit.code, 1, t.output);
    assert.match(t.stderr, /rejected: FORBIDDEN \(1403\)/);
    assert.doesNotMatch(t.stderr, /\n\s+at /, "no stack trace");
  } finally {
    await stopAllPeers();
    await server.close();
  }
});

test("-a: a tsrt caller retries until the listener is up, and reconnects after it drops", {
  timeout: 60_000,
}, async () => {
  const [port, inPort] = await freeUdpPorts(2);
  const feeder = await openUdpSocket(0);
  const t = tsrt(
    "-a",
    `udp://127.0.0.1:${inPort}`,
    `srt://127.0.0.1:${port}?conntimeo=300`,
  );
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  try {
    await t.waitFor(/connection to 127\.0\.0\.1:\d+ failed: .*retrying/, 10_000);
    server = await listen({ port, hostname: "127.0.0.1" });
    const first = (await server.accept())!;
    await t.waitFor(/relaying udp:/, 10_000);
    await first.close(); // the listener drops the connection
    const second = (await server.accept())!;
    await t.waitFor(/SRT connected[^\n]*\n(.|\n)*SRT connected/, 10_000);
    const reader = second.readable.getReader();
    const got = reader.read();
    await feeder.send(chunks[0], inPort);
    assertSameBytes((await got).value!, chunks[0], "after reconnecting");
    reader.releaseLock();
    assert.equal(await interrupt(t, "SIGINT"), 0, t.output);
  } finally {
    feeder.close();
    await stopAllPeers();
    await server?.close();
  }
});

test("a multicast udp:// input joins the group (loopback only)", { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const [port] = await freeUdpPorts(1);
  // Sent on the loopback interface with TTL 1: the group's traffic stays on this host.
  const sender = createSocket("udp4");
  await new Promise<void>((r) => sender.bind(0, "127.0.0.1", () => r()));
  sender.setMulticastInterface("127.0.0.1");
  sender.setMulticastTTL(1);
  sender.setMulticastLoopback(true);
  try {
    const out = join(dir, "out.ts");
    const t = tsrt("-v", `udp://239.255.77.77:${port}?adapter=127.0.0.1`, `file://${out}`);
    await t.waitFor(/relaying udp:/, 10_000);
    const part = chunks.slice(0, 20);
    for (const c of part) {
      await new Promise<void>((r, j) =>
        sender.send(c, port, "239.255.77.77", (e) => e ? j(e) : r())
      );
    }
    await t.waitFor(new RegExp(`status: [\\d.]+ Mb/s \\| ${20 * CHUNK} bytes`), 10_000);
    assert.equal(await interrupt(t, "SIGINT"), 0, t.output);
    assertSameBytes(new Uint8Array(readFileSync(out)), concat(part), "received from the group");
  } finally {
    sender.close();
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--timeout ends a waiting listener with exit 0", { timeout: 60_000 }, async () => {
  const [port] = await freeUdpPorts(1);
  const t = tsrt("-t", "0.5", `srt://127.0.0.1:${port}?mode=listener`, "udp://127.0.0.1:9");
  try {
    const exit = await t.exited;
    assert.equal(exit.code, 0, t.output);
    assert.match(t.stderr, /timeout \(0\.5 s\): stopping/);
  } finally {
    await stopAllPeers();
  }
});

test("tsrt inspect --json reports programs, codecs and resolution of a file", {
  timeout: 60_000,
}, async () => {
  const r = await runTsrt(["inspect", "--json", `file://${FIXTURE}`]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(new TextDecoder().decode(r.stdout));
  assert.equal(doc.bytes, fixture.length);
  assert.equal(doc.ts.packets, fixture.length / 188);
  const streams = doc.ts.programs[0].streams;
  assert.deepEqual(
    streams.map((s: { codec: string }) => s.codec),
    ["h264", "aac"],
  );
  assert.equal(streams[0].width, 640);
  assert.equal(streams[0].height, 360);
  assert.equal(doc.ts.tr101290Errors, 0);
});

test("tsrt inspect of an SRT listener reports SRT health and the TS analysis", {
  timeout: 60_000,
}, async () => {
  const [port] = await freeUdpPorts(1);
  const t = tsrt("inspect", "-s", "1000", `srt://:${port}`);
  try {
    await t.waitFor(/SRT listening/, 10_000);
    const caller = tsrt("-q", "-r", `file://${FIXTURE}`, `srt://127.0.0.1:${port}`);
    assert.equal((await caller.exited).code, 0, caller.output);
    assert.equal((await t.exited).code, 0, t.output);
    assert.match(t.stdout, /=== 715904 bytes received/);
    assert.match(t.stdout, /SRT: RTT [\d.]+ ms, \d+ pkts received, 0 lost/);
    assert.match(t.stdout, /PID 256 h264 video High 640x360 30 fps/);
    assert.match(t.stdout, /PID 257 aac audio 48000 Hz 2 ch/);
    assert.match(t.stdout, /TR 101 290: no errors/);
  } finally {
    await stopAllPeers();
  }
});

test("the demo proves output == input over a lossy link and exits 0", {
  timeout: 60_000,
}, async () => {
  const demo = join(ROOT, "cli/demo.ts");
  const args = ["--loops", "1", "--loss", "5", "--delay", "10", "--seed", "3"];
  const p = isDeno
    ? spawnPeer(process.execPath, ["run", "-A", "--config", join(ROOT, "deno.json"), demo, ...args])
    : spawnPeer(process.execPath, [demo, ...args]);
  try {
    const exit = await p.exited;
    assert.equal(exit.code, 0, p.output);
    assert.match(p.stdout, /PID 256 h264 video High 640x360/);
    assert.match(p.stdout, /input: {2}715904 bytes {2}sha256 d39b44c89f5c51ed/);
    assert.match(p.stdout, /output: 715904 bytes {2}sha256 d39b44c89f5c51ed/);
    assert.match(p.stdout, /IDENTICAL/);
    assert.match(p.stdout, /encryption: AES-128, key material SECURED on both sides, 0 undecr/);
    const dropped = /link \(seed 3\): (\d+) of/.exec(p.stdout);
    assert.ok(dropped && Number(dropped[1]) > 0, "the relay dropped datagrams");
  } finally {
    await stopAllPeers();
  }
});

/**
 * bun: the running runtime, else `$TSRT_BUN`, `bun` on PATH, or the copy `.ci/run` installs
 * into `${TMPDIR:-/tmp}/tsrt-ci-runtimes` (used when the suite runs under Deno).
 */
function locateBun(): string | undefined {
  if (isBun) return process.execPath;
  const ciCopy = join(process.env.TMPDIR ?? "/tmp", "tsrt-ci-runtimes/node_modules/.bin/bun");
  for (const candidate of [process.env.TSRT_BUN, findExecutable("bun"), ciCopy]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const bun = locateBun();
const ci = process.env.CI !== undefined && process.env.CI !== "";

test("bun build --compile gives a binary that moves a stream", {
  skip: bun === undefined && !ci ? "bun is not installed" : false,
  timeout: 120_000,
}, async () => {
  if (bun === undefined) assert.fail("bun is not installed but CI is set");
  const dir = tempDir();
  try {
    const exe = join(dir, "tsrt-bun");
    await runToCompletion(bun, ["build", "--compile", MAIN, "--outfile", exe], 90_000);
    const out = join(dir, "out.ts");
    const [port] = await freeUdpPorts(1);
    const listener = spawnPeer(exe, [`srt://127.0.0.1:${port}?mode=listener`, `file://${out}`]);
    await listener.waitFor(/SRT listening/, 10_000);
    const caller = spawnPeer(exe, ["-r", `file://${FIXTURE}`, `srt://127.0.0.1:${port}`]);
    assert.equal((await caller.exited).code, 0, caller.output);
    assert.equal((await listener.exited).code, 0, listener.output);
    assertSameBytes(new Uint8Array(readFileSync(out)), fixture, "moved by the compiled binary");
    const v = await runToCompletion(exe, ["--version"]);
    assert.match(v, /^tsrt \d+\.\d+\.\d+/);
  } finally {
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("udp:// -> tsrt rendezvous with FEC -> srt-live-transmit rendezvous -> udp:// is byte-exact", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const [sltPort, tsrtPort, inPort] = await freeUdpPorts(3);
  const sink = await openUdpSocket(0);
  const feeder = await openUdpSocket(0);
  const fec = "packetfilter=fec,arq:onreq,cols:10,layout:staircase,rows:5";
  try {
    spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://127.0.0.1:${tsrtPort}?mode=rendezvous&adapter=127.0.0.1&port=${sltPort}&${fec}`,
      `udp://127.0.0.1:${sink.port}`,
    ]);
    const t = tsrt(
      `udp://127.0.0.1:${inPort}`,
      `srt://127.0.0.1:${sltPort}?mode=rendezvous&adapter=127.0.0.1&port=${tsrtPort}&${fec}`,
    );
    await t.waitFor(/SRT connected to 127\.0\.0\.1:\d+/, 10_000);
    await t.waitFor(/relaying udp:/, 10_000);
    await paced((c) => feeder.send(c, inPort));
    await sink.waitForCount(chunks.length, 10_000);
    assertSameBytes(concat(sink.received), fixture, "received by srt-live-transmit");
    assert.equal(await interrupt(t, "SIGINT"), 0, t.output);
  } finally {
    sink.close();
    feeder.close();
    await stopAllPeers();
  }
});

test("a backup group caller -> tsrt groupconnect listener: the main path dies, byte-exact", {
  timeout: 60_000,
}, async () => {
  const [port] = await freeUdpPorts(1);
  const [cmd, argv] = tsrtCommand([`srt://127.0.0.1:${port}?mode=listener&groupconnect=1`, "-"]);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  const out: Uint8Array[] = [];
  let received = 0;
  let reachedThird!: () => void;
  const third = new Promise<void>((r) => (reachedThird = r));
  child.stdout.on("data", (d: Uint8Array) => {
    out.push(new Uint8Array(d));
    received += d.length;
    if (received >= fixture.length / 3) reachedThird();
  });
  let err = "";
  child.stderr.setEncoding("utf8");
  const listening = new Promise<void>((resolve) => {
    child.stderr.on("data", (d: string) => {
      err += d;
      if (/SRT listening/.test(err)) resolve();
    });
  });
  const exited = new Promise<number | null>((r) => child.once("close", (c) => r(c)));
  // Each member path through its own relay; the main one is shut down mid-stream.
  const relays = await Promise.all([81, 82].map((seed) =>
    startLossyRelay({
      listen: { hostname: "127.0.0.1" },
      target: { hostname: "127.0.0.1", port },
      seed,
      forward: { delayMs: 2 },
      backward: { delayMs: 2 },
    })
  ));
  try {
    await Promise.race([listening, exited.then(() => assert.fail(`listener exited:\n${err}`))]);
    const [a, b] = relays.map((r) => r.address.port);
    const caller = tsrt(
      "--realtime",
      `file://${FIXTURE}`,
      `srt:////group?type=backup&nodes=127.0.0.1:${a}?weight=10,127.0.0.1:${b}&latency=300`,
    );
    await third;
    await relays[0].close();
    const callerExit = await caller.exited;
    assert.equal(callerExit.code, 0, caller.output);
    assert.match(caller.output, /group connected/);
    assert.match(caller.output, /weight 10\): stopped answering/);
    assert.match(caller.output, /weight 0\): now carries the stream/);
    assert.equal(await exited, 0, err);
    assert.match(err, /SRT accepted a backup group/);
    assertSameBytes(concat(out), fixture, "stdout of the group listener");
  } finally {
    child.kill("SIGKILL");
    await stopAllPeers();
    await relays[1].close();
  }
});
