// Socket groups over real UDP on loopback: connectGroup() against a listener with
// groupConnect, each member path through its own seeded lossy relay; one relay is shut down
// mid-stream, as a dying link would.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connectGroup, type SrtGroupSocket } from "./group.ts";
import { listen } from "./listen.ts";
import { type LossyRelay, startLossyRelay } from "./lossy_relay.ts";
import { within } from "./_test_util.ts";
import { numberedPayload, sendPaced } from "../server/_test_util.ts";
import type { GroupEvent } from "../srt/group.ts";
import { groupExtension, GroupType } from "../srt/group_handshake.ts";
import type { SrtError } from "../srt/errors.ts";
import { openOneConnection } from "./_one_connection.ts";

const LATENCY = 300;

/** Reads a group socket's payloads until `count` have come, or it ends. */
async function readCount(g: SrtGroupSocket, count: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const reader = g.readable.getReader();
  while (out.length < count) {
    const r = await reader.read();
    if (r.done) break;
    out.push(r.value);
  }
  reader.releaseLock();
  return out;
}

function indexOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset).getUint32(4);
}

async function relays(port: number, seeds: number[], loss: number): Promise<LossyRelay[]> {
  return await Promise.all(seeds.map((seed) =>
    startLossyRelay({
      listen: { hostname: "127.0.0.1" },
      target: { hostname: "127.0.0.1", port },
      seed,
      forward: { loss, delayMs: 5 },
      backward: { loss, delayMs: 5 },
    })
  ));
}

for (const mode of ["broadcast", "backup"] as const) {
  test(`${mode} group over two lossy paths: one path dies, the stream arrives whole and once`, {
    timeout: 60_000,
  }, async () => {
    const server = await listen({
      port: 0,
      hostname: "127.0.0.1",
      groupConnect: true,
      latency: LATENCY,
    });
    const paths = await relays(server.address.port, [71, 72], 0.02);
    const events: GroupEvent[] = [];
    try {
      const group = await within(
        connectGroup({
          mode,
          latency: LATENCY,
          members: paths.map((r, i) => ({
            host: "127.0.0.1",
            port: r.address.port,
            weight: i === 0 ? 10 : 1,
          })),
        }, (e) => events.push(e)),
        10_000,
        "group connected",
      );
      const accepted = await within(server.acceptGroup(), 10_000, "group accepted");
      assert.ok(accepted);
      assert.equal(accepted.mode, mode);
      // Wait until both members are up, so that the second path can take over.
      await within(
        (async () => {
          while (group.members.filter((m) => m.state !== "pending").length < 2) {
            await new Promise((r) => setTimeout(r, 20));
          }
        })(),
        10_000,
        "both members connected",
      );
      const COUNT = 600; // 3 s at 200 payloads/s
      const payloads = Array.from({ length: COUNT }, (_, i) => numberedPayload(1, i));
      const reading = readCount(accepted, COUNT);
      let n = 0;
      await sendPaced(payloads, 200, async (p) => {
        group.send(p);
        // The main path dies a third of the way in.
        if (++n === COUNT / 3) await paths[0].close();
      });
      const got = await within(reading, 20_000, "all payloads read");
      assert.deepEqual(got.map(indexOf), payloads.map(indexOf), "whole, in order, once");
      const rs = accepted.stats();
      assert.equal(rs.pktLost, 0);
      if (mode === "backup") {
        // One failover at least: on a loaded machine an event-loop stall longer than the
        // stability timeout can also look like a dead link for a moment.
        assert.ok(group.stats().activations >= 1, "failed over");
        assert.ok(events.some((e) => e.kind === "unstable"), "the dead path was noticed");
        const active = group.members.filter((m) => m.state === "active" && !m.unstable);
        assert.equal(active.length, 1);
        assert.equal(active[0].weight, 1, "the backup carries the stream");
      } else {
        assert.ok(rs.pktDuplicate > COUNT / 4, `duplicates ${rs.pktDuplicate}`);
      }
      await group.close();
    } finally {
      await server.close();
      await Promise.all(paths.slice(1).map((r) => r.close()));
    }
  });
}

test("a group URI in libsrt's syntax connects its members with their weights", {
  timeout: 30_000,
}, async () => {
  const server = await listen({ port: 0, hostname: "127.0.0.1", groupConnect: true });
  const port = server.address.port;
  try {
    const group = await within(
      connectGroup(
        `srt:////group?type=backup&nodes=127.0.0.1:${port}?weight=7,127.0.0.1:${port}&latency=150`,
      ),
      10_000,
      "group connected",
    );
    const accepted = await within(server.acceptGroup(), 10_000, "group accepted");
    assert.equal(accepted?.mode, "backup");
    assert.deepEqual(group.members.map((m) => m.weight), [7, 0]);
    const data = numberedPayload(3, 1);
    const reading = readCount(accepted!, 1);
    group.send(data);
    assert.deepEqual(await within(reading, 10_000, "payload"), [data]);
    await group.close();
  } finally {
    await server.close();
  }
});

test("a listener without groupConnect refuses every member: connectGroup rejects", {
  timeout: 30_000,
}, async () => {
  const server = await listen({ port: 0, hostname: "127.0.0.1" });
  try {
    await assert.rejects(
      connectGroup({
        mode: "broadcast",
        members: [{ host: "127.0.0.1", port: server.address.port }],
      }),
      (e: { reason?: number }) => e.reason === 15,
    );
  } finally {
    await server.close();
  }
});

test("reconnectMembers: a path that comes back rejoins and takes over when the other dies", {
  timeout: 60_000,
}, async () => {
  const server = await listen({
    port: 0,
    hostname: "127.0.0.1",
    groupConnect: true,
    latency: LATENCY,
    peerIdleTimeout: 2500,
  });
  const target = { hostname: "127.0.0.1", port: server.address.port };
  const relay = (seed: number, port?: number) =>
    startLossyRelay({ listen: { hostname: "127.0.0.1", port }, target, seed });
  let main = await relay(91);
  let backup = await relay(92);
  const mainPort = main.address.port;
  const events: GroupEvent[] = [];
  let connectedAgain!: () => void;
  const rejoined = new Promise<void>((r) => (connectedAgain = r));
  let mainBroke!: () => void;
  const broken = new Promise<void>((r) => (mainBroke = r));
  try {
    const group = await within(
      connectGroup({
        mode: "backup",
        latency: LATENCY,
        peerIdleTimeout: 2500,
        reconnectMembers: true,
        members: [
          { host: "127.0.0.1", port: mainPort, weight: 10 },
          { host: "127.0.0.1", port: backup.address.port, weight: 1 },
        ],
      }, (e) => {
        events.push(e);
        if (e.kind === "broken") mainBroke();
        if (e.kind === "connected" && events.filter((x) => x.kind === "connected").length === 3) {
          connectedAgain();
        }
      }),
      10_000,
      "group connected",
    );
    const accepted = await within(server.acceptGroup(), 10_000, "group accepted");
    const COUNT = 1000;
    const payloads = Array.from({ length: COUNT }, (_, i) => numberedPayload(2, i));
    const reading = readCount(accepted!, COUNT);
    let n = 0;
    await sendPaced(payloads, 200, async (p) => {
      group.send(p);
      n++;
      if (n === 150) await main.close(); // the main path dies
      if (n === 500) {
        // Its member times out (peer idle timeout); then the path comes back on the same
        // port, the member is dialled again and rejoins as a standby. (The relay serves one
        // client, so it is restarted only once the old member is gone.)
        await within(broken, 10_000, "the main path's member broke");
        main = await relay(93, mainPort);
        await within(rejoined, 10_000, "the main path's member rejoined");
      }
      if (n === 700) await backup.close(); // now the backup path dies: back to the main one
    });
    const got = await within(reading, 20_000, "all payloads read");
    assert.deepEqual(got.map(indexOf), payloads.map(indexOf), "whole, in order, once");
    assert.ok(group.stats().activations >= 2, `activations ${group.stats().activations}`);
    const carrying = group.members.filter((m) => m.state === "active" && !m.unstable);
    assert.deepEqual(carrying.map((m) => m.weight), [10], "the main path carries the stream again");
    await group.close();
    backup = await relay(94); // (closed in finally)
  } finally {
    await server.close();
    await Promise.all([main.close(), backup.close()]);
  }
});

test("a listener lets into a group only members of the same type and stream ID", {
  timeout: 30_000,
}, async () => {
  const server = await listen({ port: 0, hostname: "127.0.0.1", groupConnect: true });
  const target = { host: "127.0.0.1", port: server.address.port };
  try {
    const group = await within(
      connectGroup({ mode: "backup", streamId: "#!::r=live/a", members: [target] }),
      10_000,
      "group connected",
    );
    const accepted = (await within(server.acceptGroup(), 10_000, "group accepted"))!;
    const peerGroupId = accepted.peerGroupId!;
    /** A lone caller claiming membership of that peer group. */
    const claim = (type: GroupType, streamId: string) =>
      openOneConnection({ ...target, streamId }, 0, (ep, now, peer, options) => {
        ep.connect(now, peer, options, { group: groupExtension(peerGroupId, type, 0) });
      });
    const refused = (e: SrtError) => e.code === "CONNECTION_REJECTED" && e.reason === 15;
    await assert.rejects(claim(GroupType.BACKUP, "#!::r=live/b"), refused, "another stream");
    await assert.rejects(claim(GroupType.BROADCAST, "#!::r=live/a"), refused, "another type");
    const member = await within(claim(GroupType.BACKUP, "#!::r=live/a"), 10_000, "member");
    assert.equal(accepted.members.length, 2, "the matching member joined");
    await member.close();
    await group.close();
  } finally {
    await server.close();
  }
});
