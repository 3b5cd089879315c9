import { test } from "node:test";
import assert from "node:assert/strict";
import { parseGroupUri } from "./group_uri.ts";
import { parseSrtUri } from "./uri.ts";

test("group URI: type, nodes with weights and sources, shared keys checked as srt:// keys", () => {
  const g = parseGroupUri(
    "srt:////group?type=backup&nodes=10.0.0.1:9000?weight=10?source=192.168.1.5:4000," +
      "[2001:db8::1]:9001&latency=250&passphrase=0123456789abc&groupminstabletimeo=80",
  );
  assert.equal(g.mode, "backup");
  assert.deepEqual(g.nodes, [
    { host: "10.0.0.1", port: 9000, weight: 10, source: "192.168.1.5", sourcePort: 4000 },
    { host: "2001:db8::1", port: 9001, weight: 0 },
  ]);
  assert.equal(g.options.latency, 250);
  assert.equal(g.options.passphrase, "0123456789abc");
  assert.equal(g.minStabilityMs, 80);
});

test("group URI: the UDP socket keys apply to every member", () => {
  const g = parseGroupUri(
    "srt:////group?type=broadcast&nodes=10.0.0.1:9000,10.0.1.1:9000" +
      "&adapter=10.9.9.9&udp_rcvbuf=4194304&udp_sndbuf=1048576&ipv6only=1",
  );
  assert.equal(g.adapter, "10.9.9.9");
  assert.equal(g.udpReceiveBuffer, 4194304);
  assert.equal(g.udpSendBuffer, 1048576);
  assert.equal(g.ipv6Only, true);
  assert.throws(
    () => parseGroupUri("srt:////group?type=broadcast&nodes=10.0.0.1:9000&port=5000"),
    /source=ADDR:PORT/,
  );
});

test("group URI: clear errors name what is wrong", () => {
  const bad: [string, RegExp][] = [
    ["srt://10.0.0.1:9000", /not a group URI/],
    ["srt:////group?nodes=10.0.0.1:9000", /type=: expected broadcast or backup/],
    ["srt:////group?type=balancing&nodes=10.0.0.1:9000", /type=balancing/],
    ["srt:////group?type=backup", /needs nodes/],
    ["srt:////group?type=backup&nodes=10.0.0.1", /expected HOST:PORT/],
    ["srt:////group?type=backup&nodes=10.0.0.1:9000?weight=70000", /weight must be 0..65535/],
    ["srt:////group?type=backup&nodes=10.0.0.1:9000?colour=red", /unknown node key "colour"/],
    ["srt:////group?type=backup&nodes=10.0.0.1:9000&latencyy=3", /"latencyy" is not supported/],
    ["srt:////group?type=backup&nodes=10.0.0.1:9000&mode=listener", /group members are callers/],
    ["srt:////group?type=backup&nodes=10.0.0.1:9000&groupminstabletimeo=10", /60..60000/],
  ];
  for (const [uri, message] of bad) assert.throws(() => parseGroupUri(uri), message, uri);
});

test("srt:// groupconnect=1 lets a listener accept group members", () => {
  assert.equal(parseSrtUri("srt://:9000?groupconnect=1").options.groupConnect, true);
  assert.equal(parseSrtUri("srt://:9000?groupconnect=0").options.groupConnect, false);
  assert.throws(() => parseSrtUri("srt://:9000?groupconnect=maybe"), /groupconnect/);
});
