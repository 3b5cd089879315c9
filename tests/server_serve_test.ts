/**
 * `tsrt serve --config` as a process (under the runtime running the tests): it starts from the
 * seed's secure configuration plus access and metrics sections, serves an encrypted publisher
 * and player byte-exact, exposes /metrics, refuses a bad configuration with its line and key,
 * and stops gracefully on SIGINT.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { connect } from "../mod.ts";
import { concat, numberedPayload, readAll, sendPaced } from "../server/_test_util.ts";
import { parsePrometheus } from "../server/prometheus_parse.ts";
import { freeUdpPorts, spawnPeer, stopAllPeers } from "./_peers.ts";

const SERVE = new URL("../cli/serve.ts", import.meta.url).pathname;
const isDeno = "Deno" in globalThis;

function serve(args: string[]) {
  const cmd = process.execPath;
  const denoJson = new URL("../deno.json", import.meta.url).pathname;
  return spawnPeer(
    cmd,
    isDeno ? ["run", "-A", "--config", denoJson, SERVE, ...args] : [SERVE, ...args],
  );
}

test("tsrt serve: encrypted publish/play byte-exact, /metrics, graceful SIGINT", {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrt-serve-"));
  try {
    const [port] = await freeUdpPorts(1);
    const config = join(dir, "tsrt.yaml");
    writeFileSync(
      config,
      `srt:
  port: ${port}
  host: 127.0.0.1
  latency: 200ms
  max_bandwidth: 100000000
  encryption: { enabled: true, passphrase: "secure_key_here", key_length: 256 }
  performance: { receive_buffer: 1048576, mss: 1456, flight_flag: true, too_late_packet_drop: true }
streams:
  wait_for_publisher: true
access:
  resources:
    - match: "live/*"
metrics: { port: 0, host: 127.0.0.1 }
`,
    );
    const server = serve(["--config", config, "-v"]);
    await server.waitFor(
      /listening on srt:\/\/127\.0\.0\.1:\d+ \(latency 200 ms, AES-256\)/,
      20_000,
    );
    const [, metricsPort] = await server.waitFor(
      /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/,
      5000,
    );
    const uri = (sid: string) =>
      `srt://127.0.0.1:${port}?streamid=${sid}&passphrase=secure_key_here&pbkeylen=32`;
    const player = await connect(uri("#!::r=live/enc,m=request"));
    await server.waitFor(/play live\/enc/, 5000);
    const read = readAll(player);
    const pub = await connect(uri("#!::r=live/enc,m=publish"));
    await server.waitFor(/publish live\/enc/, 5000);
    const payloads = Array.from({ length: 200 }, (_, i) => numberedPayload(7, i));
    await sendPaced(payloads, 1000, (p) => pub.send(p));

    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const fams = parsePrometheus(text);
    assert.equal(fams.get("srt_connections")?.samples[0].value, 2);
    assert.equal(fams.get("tsrt_stream_players")?.samples[0].labels.stream, "live/enc");

    // A caller for another resource is refused by the configured access rules.
    await assert.rejects(
      connect(uri("#!::r=vod/x,m=request")),
      (e: { reason?: number }) => e.reason === 1404,
    );
    await server.waitFor(/reject 127\.0\.0\.1:\d+ request vod\/x: NOTFOUND \(1404\)/, 5000);

    await pub.close();
    assert.deepEqual(concat(await read), concat(payloads));
    // process.kill, not child.kill(): Deno 2.9's node:child_process reports a child sent a
    // signal with child.kill() as killed by it even when it exits with 0.
    process.kill(server.pid!, "SIGINT");
    const exit = await server.exited;
    assert.equal(exit.code, 0, server.output);
    assert.match(server.output, /SIGINT: shutting down/);
    assert.match(server.output, /stopped; 2 callers accepted, 1 rejected/);
  } finally {
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsrt serve: a bad configuration exits 2 naming the file, line and key", {
  timeout: 60_000,
}, async () => {
  const bad = new URL("./config/bad_latency.yaml", import.meta.url).pathname;
  const p = serve(["--config", bad]);
  const exit = await p.exited;
  assert.equal(exit.code, 2, p.output);
  assert.match(p.output, /bad_latency\.yaml:3: srt\.latency: expected a duration/);
});
