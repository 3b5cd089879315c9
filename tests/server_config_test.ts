/**
 * `tsrt serve` configuration: the seed's two files load as written, the full example maps to
 * the right server options, and each bad file is refused with its line and key.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ConfigError, parseServeConfig } from "../cli/config.ts";
import { AccessControl } from "../server/access_control.ts";

function load(name: string) {
  const path = new URL(`./config/${name}`, import.meta.url).pathname;
  return parseServeConfig(readFileSync(path, "utf8"), name);
}

test("the seed's secure configuration loads as written", () => {
  const c = load("seed_secure.yaml");
  assert.deepEqual(c.server, {
    port: 30000,
    srt: {
      latency: 200,
      maxBw: 100_000_000,
      passphrase: "secure_key_here",
      pbkeylen: 32,
      mss: 1456,
      receiveBufferPackets: Math.floor(1048576 / (1456 - 28)),
      tooLatePacketDrop: true,
    },
  });
  assert.equal(c.metrics, undefined);
});

test("the seed's low-latency configuration loads as written", () => {
  const c = load("seed_low_latency.yaml");
  assert.deepEqual(c.server.srt, {
    latency: 40,
    lossMaxTtl: 0,
    sendBufferPackets: Math.floor(524288 / 1472),
    receiveBufferPackets: Math.floor(524288 / 1472),
    tooLatePacketDrop: true,
  });
});

test("the full example maps every section", () => {
  const c = load("full.yaml");
  const s = c.server;
  assert.equal(s.hostname, "127.0.0.1");
  assert.equal(s.srt?.passphrase, undefined);
  assert.equal(s.srt?.connectTimeout, 3000);
  assert.equal(s.srt?.peerIdleTimeout, 5000);
  assert.equal(s.udpReceiveBuffer, 4194304);
  assert.equal(s.udpSendBuffer, undefined);
  assert.deepEqual(s.players, {
    waitForPublisher: true,
    closeOnUnpublish: true,
    queuePackets: 2048,
  });
  assert.equal(s.analyze, true);
  assert.deepEqual(s.limits, { maxConnections: 200, maxConnectionsPerIp: 50 });
  assert.equal(s.access?.missingMode, "publish");
  assert.equal(s.access?.unroutedCallers, "peer-address");
  assert.deepEqual(s.access?.users?.alice, {
    passphrase: "alice-passphrase",
    modes: ["publish"],
    allowedResources: ["live/*"],
  });
  assert.deepEqual(s.access?.resources?.[1], {
    match: "studio/*",
    users: ["alice"],
    deny: ["192.0.2.0/24"],
  });
  assert.deepEqual(s.access?.streamKeys, {
    "k3y-cam1": { resource: "live/cam1", mode: "publish" },
  });
  assert.deepEqual(s.access?.routes, [
    { peers: ["198.51.100.0/24"], resource: "live/makito", mode: "publish" },
  ]);
  assert.deepEqual(c.metrics, { port: 9100, hostname: "127.0.0.1" });
  // The access section builds, and decides as configured.
  const ac = new AccessControl(s.access!);
  const d = ac.decide({
    peer: { hostname: "127.0.0.1", port: 1 },
    streamId: "#!::u=alice,r=live/a,m=publish",
    listenerPort: 30000,
  }, 0);
  assert.deepEqual(d, {
    accept: true,
    resource: "live/a",
    mode: "publish",
    user: "alice",
    passphrase: "alice-passphrase",
  });
  const k = ac.decide({
    peer: { hostname: "127.0.0.1", port: 1 },
    streamId: "k3y-cam1",
    listenerPort: 30000,
  }, 0);
  assert.equal(k.accept && k.resource, "live/cam1");
});

for (
  const [file, line, key, problem] of [
    ["bad_latency.yaml", 3, "srt.latency", /expected a duration such as 120ms or 2s.*"fast"/],
    ["bad_unknown_key.yaml", 5, "srt.performance.recieve_buffer", /unknown key/],
    ["bad_passphrase.yaml", 3, "srt.encryption.passphrase", /10\.\.80 bytes, got 5/],
    ["bad_key_length.yaml", 5, "srt.encryption.key_length", /expected an integer in 0\.\.256/],
    ["bad_cidr.yaml", 6, "access.allow[1]", /not an IP address or CIDR range: 10\.0\.0\.300/],
    ["bad_mode.yaml", 5, "access.users.bob.modes[1]", /expected one of request, publish/],
    ["bad_port.yaml", 2, "srt.port", /expected an integer in 0\.\.65535, got 70000/],
    ["bad_syntax.yaml", 4, "", /YAML syntax/],
    ["bad_missing_port.yaml", 2, "srt.port", /missing/],
  ] as const
) {
  test(`${file} is refused at line ${line}, key ${key || "(syntax)"}`, () => {
    assert.throws(() => load(file), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.line, line, e.message);
      assert.equal(e.key, key, e.message);
      assert.match(e.message, problem);
      assert.ok(e.message.startsWith(`${file}:${line}: `), e.message);
      return true;
    });
  });
}
