import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSrtUri, SRT_URI_KEYS } from "./uri.ts";

test("parseSrtUri() takes udp_rcvbuf/udp_sndbuf as UDP socket sizes, not SRT options", () => {
  const u = parseSrtUri("srt://127.0.0.1:9000?udp_rcvbuf=4194304&UDP_SNDBUF=1048576&latency=120");
  assert.equal(u.udpReceiveBuffer, 4194304);
  assert.equal(u.udpSendBuffer, 1048576);
  assert.deepEqual(u.options, { latency: 120 });
  const l = parseSrtUri("srt://:9000?mode=listener&udp_rcvbuf=8388608");
  assert.equal(l.mode, "listener");
  assert.equal(l.udpReceiveBuffer, 8388608);
  assert.equal(l.udpSendBuffer, undefined);
  const r = parseSrtUri("srt://127.0.0.1:9000?mode=rendezvous&udp_sndbuf=65536");
  assert.equal(r.udpSendBuffer, 65536);
  assert.ok(SRT_URI_KEYS.includes("udp_rcvbuf") && SRT_URI_KEYS.includes("udp_sndbuf"));
});

test("parseSrtUri() leaves the UDP sizes out when not given", () => {
  const u = parseSrtUri("srt://127.0.0.1:9000");
  assert.equal("udpReceiveBuffer" in u, false);
  assert.equal("udpSendBuffer" in u, false);
});

test("parseSrtUri() rejects UDP sizes that are not 1..2^31-1 bytes", () => {
  assert.throws(() => parseSrtUri("srt://127.0.0.1:9000?udp_rcvbuf=0"), /udp_rcvbuf=0/);
  assert.throws(() => parseSrtUri("srt://127.0.0.1:9000?udp_rcvbuf=2147483648"), RangeError);
  assert.throws(() => parseSrtUri("srt://127.0.0.1:9000?udp_sndbuf=4MB"), TypeError);
  assert.throws(() => parseSrtUri("srt://127.0.0.1:9000?udp_sndbuf="), TypeError);
});

test("parseSrtUri() takes rcvbuf/sndbuf in bytes as libsrt does, sized in MSS - 28 packets", () => {
  const u = parseSrtUri("srt://h:1?rcvbuf=12058624&sndbuf=1472&mss=1500");
  assert.equal(u.options.receiveBufferPackets, 8192);
  assert.equal(u.options.sendBufferPackets, 32, "at least 32 packets");
  const v = parseSrtUri("srt://h:1?mss=1000&rcvbuf=972000");
  assert.equal(v.options.receiveBufferPackets, 1000);
  assert.throws(() => parseSrtUri("srt://h:1?rcvbuf=-1"), /rcvbuf/);
});

test("parseSrtUri() takes ipv6only=-1|0|1 (SRTO_IPV6ONLY) as a UDP socket option", () => {
  const on = parseSrtUri("srt://[::]:9000?mode=listener&ipv6only=1&latency=120");
  assert.equal(on.mode, "listener");
  assert.equal(on.host, "::");
  assert.equal(on.ipv6Only, true);
  assert.deepEqual(on.options, { latency: 120 }, "not a connection option");
  assert.equal(parseSrtUri("srt://:9000?IPV6ONLY=0").ipv6Only, false);
  assert.equal(parseSrtUri("srt://[::1]:9000?ipv6only=1").ipv6Only, true);
  assert.equal(parseSrtUri("srt://[::1]:9000?mode=rendezvous&ipv6only=0").ipv6Only, false);
  // -1 is libsrt's default: not set, the system's default applies.
  const unset = parseSrtUri("srt://:9000?ipv6only=-1");
  assert.equal("ipv6Only" in unset, false);
  assert.equal("ipv6Only" in parseSrtUri("srt://:9000?ipv6only=1&ipv6only=-1"), false);
  assert.equal("ipv6Only" in parseSrtUri("srt://:9000"), false);
  assert.ok(SRT_URI_KEYS.includes("ipv6only"));
});

test("parseSrtUri() rejects ipv6only values outside -1..1 with a RangeError naming the key", () => {
  for (const bad of ["2", "-2", "", "true", "yes", "01", "1.0", " 1"]) {
    assert.throws(
      () => parseSrtUri(`srt://:9000?ipv6only=${encodeURIComponent(bad)}`),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message === `srt:// option ipv6only=${bad}: must be -1, 0 or 1`,
      `ipv6only=${bad}`,
    );
  }
  assert.throws(() => parseSrtUri("srt://:9000?ipv6only"), /ipv6only=: must be -1, 0 or 1/);
});
