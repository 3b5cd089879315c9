import { test } from "node:test";
import assert from "node:assert/strict";
import { isMulticast, parseMediaUri, redactSecrets, withPassphrase } from "./media_uri.ts";

test("parseMediaUri() parses srt:// callers and listeners with parseSrtUri()", () => {
  const c = parseMediaUri("srt://127.0.0.1:9000?latency=200&streamid=a", "output");
  assert.equal(c.kind, "srt");
  if (c.kind !== "srt") return;
  assert.equal(c.srt.mode, "caller");
  assert.equal(c.srt.options.latency, 200);
  const l = parseMediaUri("srt://:9000", "input");
  assert.equal(l.kind === "srt" && l.srt.mode, "listener");
  const l2 = parseMediaUri("srt://127.0.0.1:9000?mode=listener", "input");
  assert.equal(l2.kind === "srt" && l2.srt.mode, "listener");
});

test("parseMediaUri() rejects unknown srt:// keys, naming the key", () => {
  assert.throws(() => parseMediaUri("srt://127.0.0.1:9000?latncy=1", "output"), /"latncy"/);
});

test("parseMediaUri() takes srt-live-transmit's encryption keys", () => {
  const u = parseMediaUri("srt://127.0.0.1:9000?passphrase=0123456789&pbkeylen=32", "output");
  assert.equal(u.kind, "srt");
  if (u.kind !== "srt") return;
  assert.equal(u.srt.options.passphrase, "0123456789");
  assert.equal(u.srt.options.pbkeylen, 32);
  assert.throws(() => parseMediaUri("srt://127.0.0.1:9000?passphrase=short", "output"), /10\.\.80/);
  const l = parseMediaUri(withPassphrase("srt://:9000", "secret secret"), "input");
  assert.equal(l.kind === "srt" && l.srt.options.passphrase, "secret secret");
  assert.equal(withPassphrase("srt://:1?a=b", "x y"), "srt://:1?a=b&passphrase=x%20y");
});

test("parseMediaUri() parses udp:// for input and output", () => {
  const i = parseMediaUri("udp://:5000", "input");
  assert.deepEqual(i, {
    kind: "udp",
    text: "udp://:5000",
    hostname: "",
    port: 5000,
    adapter: undefined,
    multicast: false,
    rcvbuf: undefined,
    sndbuf: undefined,
  });
  const o = parseMediaUri("udp://127.0.0.1:5001?adapter=127.0.0.1", "output");
  assert.equal(o.kind === "udp" && o.adapter, "127.0.0.1");
  const m = parseMediaUri("udp://239.1.1.1:5000", "input");
  assert.equal(m.kind === "udp" && m.multicast, true);
  const v6 = parseMediaUri("udp://[::1]:5000", "output");
  assert.equal(v6.kind === "udp" && v6.hostname, "::1");
  assert.equal(parseMediaUri("udp://localhost:5000", "output").kind, "udp");
});

test("parseMediaUri() rejects bad udp:// URIs", () => {
  assert.throws(() => parseMediaUri("udp://:5000", "output"), /needs a destination host/);
  assert.throws(() => parseMediaUri("udp://host", "input"), /not a udp:\/\/ URI/);
  assert.throws(() => parseMediaUri("udp://:0", "input"), /port must be 1\.\.65535/);
  assert.throws(() => parseMediaUri("udp://example.com:5000", "output"), /IP address/);
  assert.throws(() => parseMediaUri("udp://:5000?ttl=4", "input"), /"ttl" is not supported/);
});

test("parseMediaUri() parses files and the standard streams", () => {
  assert.deepEqual(parseMediaUri("file:///tmp/a%20b.ts", "input"), {
    kind: "file",
    text: "file:///tmp/a%20b.ts",
    path: "/tmp/a b.ts",
  });
  assert.equal(parseMediaUri("-", "input").kind, "stdio");
  assert.equal(parseMediaUri("file://con", "output").kind, "stdio");
  assert.equal(parseMediaUri("rel/path.ts", "output").kind, "file");
  assert.throws(() => parseMediaUri("file://host/x", "input"), /file:\/\/\/absolute/);
  assert.throws(() => parseMediaUri("rtmp://x/y", "input"), /unsupported URI scheme "rtmp/);
});

test("isMulticast() knows 224.0.0.0/4 and ff00::/8", () => {
  assert.equal(isMulticast("224.0.0.1"), true);
  assert.equal(isMulticast("239.255.255.255"), true);
  assert.equal(isMulticast("240.0.0.1"), false);
  assert.equal(isMulticast("127.0.0.1"), false);
  assert.equal(isMulticast("ff02::1"), true);
  assert.equal(isMulticast("::1"), false);
});

test("parseMediaUri() takes srt-live-transmit's rendezvous URIs; the local port defaults to the remote one", () => {
  const r = parseMediaUri("srt://127.0.0.1:9000?mode=rendezvous&port=9001", "output");
  assert.equal(r.kind === "srt" && r.srt.mode, "rendezvous");
  assert.equal(r.kind === "srt" && r.srt.localPort, 9001);
  const same = parseMediaUri("srt://127.0.0.1:9000?mode=rendezvous", "input");
  assert.equal(same.kind === "srt" && same.srt.localPort, 9000);
  assert.throws(
    () => parseMediaUri("srt://:9000?mode=rendezvous", "input"),
    /rendezvous needs a host/,
  );
  assert.throws(() => parseMediaUri("srt://1.2.3.4:9000?mode=peer", "input"), /rendezvous/);
});

test("parseMediaUri() takes srt-live-transmit's udp:// rcvbuf= and sndbuf=", () => {
  const i = parseMediaUri("udp://127.0.0.1:5000?rcvbuf=4194304&adapter=127.0.0.1", "input");
  assert.equal(i.kind === "udp" && i.rcvbuf, 4194304);
  assert.equal(i.kind === "udp" && i.sndbuf, undefined);
  const o = parseMediaUri("udp://127.0.0.1:5001?sndbuf=1048576&RCVBUF=65536", "output");
  assert.equal(o.kind === "udp" && o.sndbuf, 1048576);
  assert.equal(o.kind === "udp" && o.rcvbuf, 65536);
  assert.throws(() => parseMediaUri("udp://:5000?rcvbuf=0", "input"), /rcvbuf=0/);
  assert.throws(() => parseMediaUri("udp://:5000?rcvbuf=4M", "input"), RangeError);
  assert.throws(() => parseMediaUri("udp://:5000?sndbuf=2147483648", "input"), RangeError);
  assert.throws(() => parseMediaUri("udp://:5000?ttl=4", "input"), /rcvbuf, sndbuf/);
});

test("redactSecrets() masks passphrases in logged URIs", () => {
  assert.equal(
    redactSecrets("srt://h:1?latency=200&passphrase=my secret&pbkeylen=16"),
    "srt://h:1?latency=200&passphrase=***&pbkeylen=16",
  );
  assert.equal(redactSecrets("srt://h:1?PASSPHRASE=x"), "srt://h:1?PASSPHRASE=***");
  assert.equal(redactSecrets("udp://:5000"), "udp://:5000");
});
