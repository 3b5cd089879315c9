/**
 * Rendezvous interop with a real libsrt 1.5.1: tsrt's {@linkcode RendezvousHandshake}, driven
 * over a UDP socket on 127.0.0.1, meets `srt-live-transmit ... mode=rendezvous` (UDP in, SRT
 * out). tsrt waits for libsrt's first WAVEAHAND and picks its own cookie one above or one
 * below libsrt's, so each test forces one role outcome. The connection counts when libsrt
 * says "SRT target connected" and its first data packet reaches tsrt addressed to tsrt's
 * socket ID with the ISN the handshake announced.
 *
 * Needs srt-live-transmit: skips without it, fails when `CI` is set.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  freeUdpPorts,
  locatePeers,
  openUdpSocket,
  spawnPeer,
  stopAllPeers,
} from "../tests/_peers.ts";
import { readU32 } from "./_bytes.ts";
import { DEFAULTS } from "./options.ts";
import { RendezvousHandshake, type RendezvousRole } from "./rendezvous.ts";

const peers = locatePeers("srt-live-transmit");
const nowUs = (): number => Math.round(performance.now() * 1000);

for (const role of ["initiator", "responder"] as RendezvousRole[]) {
  test(`tsrt as rendezvous ${role} connects to srt-live-transmit 1.5.1`, {
    skip: peers.skip,
    timeout: 60_000,
  }, async () => {
    const slt = peers.get("srt-live-transmit");
    const [libsrtPort, inPort] = await freeUdpPorts(2);
    const sock = await openUdpSocket();
    const feeder = await openUdpSocket();
    let rdv: RendezvousHandshake | undefined;
    let firstData: Uint8Array | undefined;
    let onData: (() => void) | undefined;
    let onConnected: (() => void) | undefined;
    const connected = new Promise<void>((resolve) => (onConnected = resolve));
    const flush = (): void => {
      for (const p of rdv?.takeOutput() ?? []) void sock.send(p, libsrtPort);
      if (rdv?.state === "connected") onConnected?.();
    };
    sock.onMessage = (d, from) => {
      if (from !== libsrtPort || d.length < 16) return;
      if ((d[0] & 0x80) === 0) {
        firstData ??= d;
        onData?.();
      }
      if (rdv === undefined) {
        // libsrt's WAVEAHAND: choose our cookie to win or lose the contest by one.
        if (d[0] !== 0x80 || d[1] !== 0 || d.length < 64) return;
        const theirs = readU32(d, 16 + 28) | 0;
        let mine = role === "initiator" ? theirs + 1 : theirs - 1;
        if ((mine | 0) === 0) mine = role === "initiator" ? theirs + 2 : theirs - 2;
        const now = nowUs();
        rdv = new RendezvousHandshake(now, {
          socketId: 0x1234567,
          peer: { hostname: "127.0.0.1", port: libsrtPort },
          options: { ...DEFAULTS, flowWindow: 8192 },
          startUs: now,
          initialSeq: 424242,
          cookie: mine | 0,
        });
      }
      rdv.receive(nowUs(), d);
      flush();
    };
    const timer = setInterval(() => {
      rdv?.tick(nowUs());
      flush();
    }, 20);
    try {
      const libsrt = spawnPeer(slt, [
        "-a:no",
        "-v",
        `udp://127.0.0.1:${inPort}`,
        `srt://127.0.0.1:${sock.port}?mode=rendezvous&adapter=127.0.0.1&port=${libsrtPort}&latency=200`,
      ]);
      await libsrt.waitFor(/SRT target connected/, 10_000);
      // As responder, tsrt connects on libsrt's AGREEMENT, which may still be in flight.
      await connected;
      assert.equal(rdv?.state, "connected");
      assert.equal(rdv.role, role);
      const r = rdv.result!;
      assert.equal(r.init.rcvLatency, 200, "max(tsrt 120, libsrt 200)");
      assert.equal(r.init.sndLatency, 200);
      const gotData = new Promise<void>((resolve) => {
        onData = resolve;
        if (firstData) resolve();
      });
      await feeder.send(new TextEncoder().encode("tsrt rendezvous interop"), inPort);
      await gotData;
      assert.equal(readU32(firstData!, 12), 0x1234567, "addressed to tsrt's socket ID");
      assert.equal(readU32(firstData!, 0) & 0x7fffffff, r.init.peerInitialSeq);
      await libsrt.stop("SIGINT");
    } finally {
      clearInterval(timer);
      await stopAllPeers();
      sock.close();
      feeder.close();
    }
  });
}
