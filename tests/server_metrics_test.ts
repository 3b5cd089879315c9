/**
 * The stream server's HTTP endpoints: Prometheus text parsed back with `parsePrometheus`, and
 * the JSON snapshot, while a real MPEG-TS stream is published and played.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "../mod.ts";
import { StreamServer } from "../server/stream_server.ts";
import { serveMetrics } from "../server/metrics_http.ts";
import { parsePrometheus } from "../server/prometheus_parse.ts";
import { concat, LogRecorder, sendPaced } from "../server/_test_util.ts";

const fixture = new Uint8Array(
  readFileSync(new URL("./fixtures/av_h264_aac_3s.ts", import.meta.url).pathname),
);

test("/metrics and /streams describe streams, connections, TS quality and decisions", {
  timeout: 60_000,
}, async () => {
  const log = new LogRecorder();
  const server = await StreamServer.start({
    port: 0,
    hostname: "127.0.0.1",
    log: log.log,
    access: { users: { cam: {} } },
  });
  const http = await serveMetrics(() => server.snapshot(), { port: 0 });
  const base = `http://127.0.0.1:${http.port}`;
  try {
    const port = server.address.port;
    const pub = await connect(
      `srt://127.0.0.1:${port}?streamid=#!::u=cam,r=live/m,m=publish&latency=200`,
    );
    const player = await connect(`srt://127.0.0.1:${port}?streamid=#!::r=live/m&latency=200`);
    await log.waitFor((e) => e.kind === "play");
    const got: Uint8Array[] = [];
    let wake: (() => void) | undefined;
    const reading = (async () => {
      for await (const p of player.readable) {
        got.push(p.slice());
        wake?.();
      }
    })();
    const received = (n: number) =>
      new Promise<void>((r) => {
        wake = () => got.length >= n && r();
        wake();
      });
    const chunks: Uint8Array[] = [];
    for (let o = 0; o < fixture.length; o += 1316) chunks.push(fixture.subarray(o, o + 1316));
    // Half the fixture, then look at the metrics while both are connected.
    const half = chunks.length >> 1;
    await sendPaced(chunks.slice(0, half), 1000, (c) => pub.send(c));
    await received(half);

    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const fams = parsePrometheus(await res.text());
    const one = (name: string, labels: Record<string, string>): number => {
      const f = fams.get(name);
      assert.ok(f, `family ${name}`);
      const s = f.samples.filter((x) =>
        Object.entries(labels).every(([k, v]) => x.labels[k] === v)
      );
      assert.equal(s.length, 1, `${name} ${JSON.stringify(labels)}: ${JSON.stringify(f.samples)}`);
      return s[0].value;
    };
    assert.equal(fams.get("srt_connections")!.samples[0].value, 2);
    assert.equal(fams.get("srt_received_packets_total")!.type, "counter");
    assert.ok(
      one("srt_received_packets_total", { stream: "live/m", mode: "publish", user: "cam" }) >= half,
    );
    assert.ok(one("srt_sent_packets_total", { stream: "live/m", mode: "request" }) >= half);
    const rtt = one("srt_rtt_seconds", { stream: "live/m", mode: "publish" });
    assert.ok(rtt >= 0 && rtt < 1, `rtt ${rtt}`);
    assert.match(fams.get("srt_rtt_seconds")!.samples[0].labels.peer, /^127\.0\.0\.1:\d+$/);
    assert.equal(one("tsrt_stream_players", { stream: "live/m" }), 1);
    assert.equal(one("tsrt_stream_publishers", { stream: "live/m" }), 1);
    assert.equal(one("tsrt_stream_received_payloads_total", { stream: "live/m" }), half);
    assert.ok(one("tsrt_stream_bitrate_bits_per_second", { stream: "live/m" }) > 0);
    assert.ok(one("tsrt_stream_frames_total", { stream: "live/m" }) > 0);
    assert.equal(
      one("tsrt_ts_continuity_errors_total", { stream: "live/m", cause: "srt_drop" }),
      0,
    );
    assert.equal(
      one("tsrt_ts_errors_total", { stream: "live/m", indicator: "Continuity_count_error" }),
      0,
    );
    assert.equal(one("srt_access_accepted_total", { mode: "publish" }), 1);
    assert.equal(one("srt_access_accepted_total", { mode: "request" }), 1);

    const snap = await (await fetch(`${base}/streams`)).json();
    assert.equal(snap.streams.length, 1);
    assert.equal(snap.streams[0].resource, "live/m");
    assert.equal(snap.streams[0].publisher.user, "cam");
    assert.equal(snap.streams[0].players.length, 1);
    assert.ok(
      snap.streams[0].media.streams.some((s: { params: { codec: string } }) =>
        s.params.codec === "h264"
      ),
    );
    assert.equal((await fetch(`${base}/nothing`)).status, 404);
    await (await fetch(`${base}/stats.json`)).body?.cancel();

    await sendPaced(chunks.slice(half), 1000, (c) => pub.send(c));
    await pub.close();
    await reading;
    assert.deepEqual(concat(got), fixture);
  } finally {
    await http.close();
    await server.close();
  }
});
