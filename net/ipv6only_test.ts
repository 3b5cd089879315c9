// ipv6Only (libsrt's SRTO_IPV6ONLY, URI key ipv6only) on loopback: IPv6 (`::1`) and IPv4
// (`127.0.0.1`) peers of a socket bound to the IPv6 wildcard `::`.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { detectRuntime, openUdp, type UdpAddress, type UdpRuntime } from "./udp.ts";
import { isIpv4Mapped } from "./_udp_common.ts";
import { connect } from "./connect.ts";
import { listen } from "./listen.ts";
import { SrtError } from "../srt/errors.ts";
import { within } from "./_test_util.ts";

/**
 * Whether this system makes IPv6 sockets IPv6-only by default (Linux `net.ipv6.bindv6only`).
 * Then no runtime can open a dual-stack socket (none can clear IPV6_V6ONLY), and the `false`
 * cases are skipped.
 */
function systemIsV6OnlyByDefault(): boolean {
  try {
    return readFileSync("/proc/sys/net/ipv6/bindv6only", "utf8").trim() === "1";
  } catch {
    return false;
  }
}
const DUAL_STACK = !systemIsV6OnlyByDefault();

/** Adapters usable here; node:dgram is skipped on Deno, where it is unusable. */
function adapters(): UdpRuntime[] {
  const runtime = detectRuntime();
  if (runtime === "deno") return ["deno"];
  if (runtime === "bun") return ["bun", "node"];
  return ["node"];
}

/**
 * Sends one datagram to `port` from 127.0.0.1 and, 20 ms later, one from `::1`, so that the
 * IPv6 one arrives last: once it is in, the IPv4 one has been delivered or discarded. Two
 * senders, because a socket whose datagram was refused (ICMP port unreachable, as for an IPv4
 * datagram to an IPV6_V6ONLY port) has its next send fail with ECONNREFUSED on Bun.
 * Resolves with the sources seen by the receiver.
 */
async function probe(
  runtime: UdpRuntime,
  port: number,
  seen: UdpAddress[],
  arrivedFromV6: Promise<void>,
): Promise<string[]> {
  const v4 = await openUdp({ hostname: "127.0.0.1", onMessage() {}, onError() {} }, runtime);
  const v6 = await openUdp({ hostname: "::1", onMessage() {} }, runtime);
  try {
    v4.send(new Uint8Array([4]), { hostname: "127.0.0.1", port });
    await v4.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    v6.send(new Uint8Array([6]), { hostname: "::1", port });
    await within(arrivedFromV6, 2000, "the datagram from ::1");
    return seen.map((a) => a.hostname);
  } finally {
    await Promise.all([v4.close(), v6.close()]);
  }
}

/** A receiver on `::` that resolves `fromV6` on the first datagram from `::1`. */
async function receiver(runtime: UdpRuntime, ipv6Only: boolean | undefined) {
  const seen: UdpAddress[] = [];
  const fromV6 = Promise.withResolvers<void>();
  const socket = await openUdp({
    hostname: "::",
    ipv6Only,
    onMessage(_data, from) {
      seen.push(from);
      if (from.hostname === "::1") fromV6.resolve();
    },
  }, runtime);
  return { socket, seen, fromV6: fromV6.promise };
}

test("isIpv4Mapped() recognises the IPv4-mapped forms runtimes report", () => {
  for (
    const a of ["::ffff:127.0.0.1", "::FFFF:10.0.0.1", "0:0:0:0:0:ffff:7f00:1", "::ffff:7f00:1"]
  ) {
    assert.equal(isIpv4Mapped(a), true, a);
  }
  for (
    const a of ["::1", "127.0.0.1", "::", "fd00::2", "::ffff", "64:ff9b::127.0.0.1", "ffff::1"]
  ) {
    assert.equal(isIpv4Mapped(a), false, a);
  }
});

for (const runtime of adapters()) {
  describe(`UDP adapter "${runtime}" with ipv6Only`, () => {
    test("true on :: takes datagrams from ::1 only", async () => {
      const { socket, seen, fromV6 } = await receiver(runtime, true);
      try {
        // Bun.udpSocket cannot set IPV6_V6ONLY: openUdp() opens node:dgram instead.
        assert.equal(socket.runtime, runtime === "bun" ? "node" : runtime);
        const sources = await probe(runtime, socket.localAddress.port, seen, fromV6);
        assert.deepEqual(sources, ["::1"]);
        // Deno drops the IPv4 datagram itself and counts it; node:dgram has the kernel do it.
        assert.equal(socket.stats.filtered, socket.runtime === "deno" ? 1 : 0);
        assert.equal(socket.stats.received, 1);
      } finally {
        await socket.close();
      }
    });

    test(
      "false and undefined on :: take IPv4 peers too, as ::ffff:127.0.0.1",
      {
        skip: DUAL_STACK ? false : "net.ipv6.bindv6only=1: no runtime can open a dual-stack socket",
      },
      async () => {
        for (const ipv6Only of [false, undefined]) {
          const { socket, seen, fromV6 } = await receiver(runtime, ipv6Only);
          try {
            assert.equal(socket.runtime, runtime, "Bun keeps Bun.udpSocket");
            const sources = await probe(runtime, socket.localAddress.port, seen, fromV6);
            assert.deepEqual(sources, ["::ffff:127.0.0.1", "::1"], `ipv6Only: ${ipv6Only}`);
            assert.equal(socket.stats.filtered, 0);
          } finally {
            await socket.close();
          }
        }
      },
    );

    test("true on :: leaves the IPv4 side of the port free only where the kernel sets it", async () => {
      const { socket } = await receiver(runtime, true);
      try {
        const port = socket.localAddress.port;
        const v4 = await openUdp({ hostname: "0.0.0.0", port, onMessage() {} }, runtime).then(
          (s) => s,
          () => undefined,
        );
        await v4?.close();
        // IPV6_V6ONLY set (node:dgram): 0.0.0.0 on the same port binds. Deno's software
        // filter leaves the socket dual stack in the kernel, so the bind fails there.
        assert.equal(v4 !== undefined, socket.runtime === "node");
      } finally {
        await socket.close();
      }
    });

    test("is ignored on IPv4 and specific IPv6 addresses", async () => {
      for (const hostname of ["127.0.0.1", "::1"]) {
        const got = Promise.withResolvers<string>();
        const socket = await openUdp(
          { hostname, ipv6Only: true, onMessage: (_d, from) => got.resolve(from.hostname) },
          runtime,
        );
        const sender = await openUdp({ hostname, onMessage() {} }, runtime);
        try {
          assert.equal(socket.runtime, runtime, "no switch to node:dgram where it does not matter");
          sender.send(new Uint8Array([1]), socket.localAddress);
          assert.equal(await within(got.promise, 2000, `a datagram on ${hostname}`), hostname);
        } finally {
          await Promise.all([socket.close(), sender.close()]);
        }
      }
    });
  });
}

test(
  "Bun.udpSocket opened directly with ipv6Only on :: filters IPv4 sources in software",
  { skip: detectRuntime() === "bun" ? false : "Bun only" },
  async () => {
    const { openBunUdp } = await import("./udp_bun.ts");
    const seen: UdpAddress[] = [];
    const fromV6 = Promise.withResolvers<void>();
    const socket = await openBunUdp({
      hostname: "::",
      ipv6Only: true,
      onMessage(_data, from) {
        seen.push(from);
        if (from.hostname === "::1") fromV6.resolve();
      },
    });
    try {
      assert.equal(socket.runtime, "bun");
      assert.deepEqual(await probe("bun", socket.localAddress.port, seen, fromV6.promise), ["::1"]);
      assert.equal(socket.stats.filtered, 1);
    } finally {
      await socket.close();
    }
  },
);

describe("SRT listener on :: with ipv6Only (URI key ipv6only)", () => {
  /** Connects from `host`; resolves with "connected" or the SrtError code. */
  async function call(host: string, port: number, query = ""): Promise<string> {
    const h = host.includes(":") ? `[${host}]` : host;
    try {
      const socket = await connect(`srt://${h}:${port}?conntimeo=500${query}`);
      await socket.close();
      return "connected";
    } catch (e) {
      if (e instanceof SrtError) return e.code;
      throw e;
    }
  }

  test("ipv6Only: true accepts a caller from ::1 and not one from 127.0.0.1", async () => {
    const server = await listen({ port: 0, hostname: "::", ipv6Only: true });
    try {
      const port = server.address.port;
      assert.equal(await within(call("::1", port, "&ipv6only=1"), 5000, "::1 caller"), "connected");
      // The IPv4 handshake never reaches the listener (kernel IPV6_V6ONLY on Node and Bun,
      // tsrt's filter on Deno): the caller times out.
      assert.equal(
        await within(call("127.0.0.1", port), 5000, "127.0.0.1 caller"),
        "CONNECTION_TIMEOUT",
      );
    } finally {
      await server.close();
    }
  });

  test(
    "ipv6only=0 in a listener URI accepts callers from ::1 and 127.0.0.1",
    { skip: DUAL_STACK ? false : "net.ipv6.bindv6only=1: no runtime can open a dual-stack socket" },
    async () => {
      // A free port: bind one on ::, read it, release it.
      const probeSocket = await openUdp({ hostname: "::", onMessage() {} });
      const port = probeSocket.localAddress.port;
      await probeSocket.close();
      const server = await listen(`srt://[::]:${port}?mode=listener&ipv6only=0`);
      try {
        assert.equal(await within(call("::1", port), 5000, "::1 caller"), "connected");
        assert.equal(await within(call("127.0.0.1", port), 5000, "127.0.0.1 caller"), "connected");
      } finally {
        await server.close();
      }
    },
  );
});
