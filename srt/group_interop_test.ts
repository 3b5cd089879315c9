/**
 * What Debian's libsrt 1.5.1 (built without bonding) does with a group member's handshake:
 * a hand-made caller handshake whose CONCLUSION carries a GROUP extension (broadcast) goes to
 * `srt-live-transmit` in listener mode. libsrt skips the unknown-to-it extension, accepts a
 * plain connection and answers with HSRSP and no GROUP, so tsrt's {@linkcode checkGroupResponse}
 * must refuse that answer for a group member (SRT_REJ_GROUP).
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
import { ControlType, decodeControlPacket, encodeControlPacket } from "./control_packet.ts";
import { checkGroupResponse, groupExtension, GroupType, makeGroupId } from "./group_handshake.ts";
import { type Handshake, HsType } from "./handshake.ts";
import { ExtFlags, ExtType, type GroupExt } from "./handshake_ext.ts";
import { connectGroup } from "../net/group.ts";
import type { SrtError } from "./errors.ts";
import { RejectReason } from "./reject_reason.ts";

const peers = locatePeers("srt-live-transmit");

test("libsrt 1.5.1 without bonding ignores GROUP and answers as to a plain caller", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const [srtPort, outPort] = await freeUdpPorts(2);
  const sock = await openUdpSocket();
  const socketId = 0x2345678;
  const base: Handshake = {
    version: 4,
    encryption: 0,
    extension: 2,
    initialSeq: 777,
    mss: 1500,
    flowWindow: 8192,
    type: HsType.INDUCTION,
    socketId,
    cookie: 0,
    peerIp: "127.0.0.1",
    extensions: [],
  };
  const send = (hs: Handshake, ts: number) =>
    sock.send(
      encodeControlPacket({
        type: ControlType.HANDSHAKE,
        timestamp: ts,
        destSocketId: 0,
        handshake: hs,
      }),
      srtPort,
    );
  /** The first handshake of type `type` received so far. */
  const found = (type: number): Handshake | undefined => {
    for (const d of sock.received) {
      const p = decodeControlPacket(d);
      if (p.type !== ControlType.HANDSHAKE) continue;
      // A rejection (1000 + reason) also ends the wait, so that the assertion shows it.
      const t = p.handshake.type;
      if (t === type || (t >= 1000 && t < HsType.DONE)) return p.handshake;
    }
    return undefined;
  };
  /** Sends `hs` every 250 ms, as a libsrt caller repeats its handshake, until answered. */
  const exchange = async (hs: Handshake, ts: number, answerType: number): Promise<Handshake> => {
    for (let attempt = 0; attempt < 40; attempt++) {
      await send(hs, ts);
      const count = sock.received.length + 1;
      await sock.waitForCount(count, 250).catch(() => {});
      const h = found(answerType);
      if (h !== undefined) return h;
    }
    throw new Error(`no answer of type ${answerType} to handshake type ${hs.type}`);
  };
  try {
    const listener = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://127.0.0.1:${srtPort}?mode=listener`,
      `udp://127.0.0.1:${outPort}`,
    ]);
    await listener.waitFor(/ listen\.\.\./, 5000);
    const induction = await exchange(base, 100, HsType.INDUCTION);
    assert.equal(induction.version, 5);
    const group = groupExtension(makeGroupId(0x1234), GroupType.BROADCAST, 0);
    const conclusion = await exchange(
      {
        ...base,
        version: 5,
        extension: ExtFlags.HSREQ | ExtFlags.CONFIG,
        type: HsType.CONCLUSION,
        cookie: induction.cookie,
        extensions: [
          {
            type: ExtType.HSREQ,
            version: 0x010501,
            flags: 0xbf,
            recvTsbpdDelay: 120,
            sendTsbpdDelay: 0,
          },
          group,
        ],
      },
      200,
      HsType.CONCLUSION,
    );
    assert.equal(conclusion.type, HsType.CONCLUSION, "accepted, not rejected");
    assert.ok(conclusion.extensions.some((e) => e.type === ExtType.HSRSP));
    const rspGroup = conclusion.extensions.find((e): e is GroupExt => e.type === ExtType.GROUP);
    assert.equal(rspGroup, undefined, "no GROUP in the answer: bonding is not built in");
    const verdict = checkGroupResponse(rspGroup, undefined);
    assert.equal(!verdict.ok && verdict.reason, 15);
    await listener.waitFor(/Accepted SRT source connection/, 10_000);
    // Leave politely.
    await sock.send(
      encodeControlPacket({
        type: ControlType.SHUTDOWN,
        timestamp: 300,
        destSocketId: conclusion.socketId,
      }),
      srtPort,
    );
    await listener.stop("SIGINT");
  } finally {
    await stopAllPeers();
    sock.close();
  }
});

test("connectGroup() to a libsrt 1.5.1 listener fails cleanly with SRT_REJ_GROUP", {
  skip: peers.skip,
  timeout: 60_000,
}, async () => {
  const slt = peers.get("srt-live-transmit");
  const [srtPort, outPort] = await freeUdpPorts(2);
  try {
    const listener = spawnPeer(slt, [
      "-a:no",
      "-v",
      `srt://127.0.0.1:${srtPort}?mode=listener`,
      `udp://127.0.0.1:${outPort}`,
    ]);
    await listener.waitFor(/ listen\.\.\./, 5000);
    // libsrt answers as to a plain caller; the member refuses that answer and says why.
    await assert.rejects(
      connectGroup({ mode: "backup", members: [{ host: "127.0.0.1", port: srtPort }] }),
      (e: SrtError) => e.code === "CONNECTION_REJECTED" && e.reason === RejectReason.GROUP,
    );
  } finally {
    await stopAllPeers();
  }
});
