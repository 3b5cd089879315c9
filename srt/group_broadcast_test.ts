import { test } from "node:test";
import assert from "node:assert/strict";
import { BroadcastGroupReceiver, type GroupPacket, type MergedPacket } from "./group_broadcast.ts";
import { MSG_MAX, SEQ_MAX, seqInc } from "./seq.ts";
import { createPrng } from "../net/prng.ts";

/** Packet `i` of the stream: sequence isn + i, message number i + 1, payload "p<i>". */
function pkt(i: number, isn = 1000, msg0 = 1): GroupPacket {
  return {
    seq: seqInc(isn, i),
    msgNo: ((msg0 - 1 + i) % MSG_MAX) + 1,
    payload: new TextEncoder().encode(`p${i}`),
  };
}

const text = (p: MergedPacket): string => new TextDecoder().decode(p.payload);

/**
 * Plays member streams: events are [time, member, packet index] (or [time, member, "dead"]),
 * applied in time order with a tick at every event time. Returns the delivered payloads.
 */
function play(
  g: BroadcastGroupReceiver,
  events: Array<[number, number, number | "dead"]>,
  opts: { isn?: number; msg0?: number; until?: number } = {},
): MergedPacket[] {
  const out: MergedPacket[] = [];
  const sorted = [...events].sort((a, b) => a[0] - b[0]);
  for (const [t, m, what] of sorted) {
    out.push(...g.tick(t));
    if (what === "dead") out.push(...g.removeMember(m, t));
    else out.push(...g.offer(m, pkt(what, opts.isn, opts.msg0), t));
  }
  if (opts.until !== undefined) out.push(...g.tick(opts.until));
  return out;
}

/** Member m sends indices [from, to) every 1 ms, with an offset. */
function stream(m: number, from: number, to: number, offsetUs: number, skip: number[] = []) {
  const ev: Array<[number, number, number]> = [];
  for (let i = from; i < to; i++) if (!skip.includes(i)) ev.push([i * 1000 + offsetUs, m, i]);
  return ev;
}

test("two identical members: every payload once, in order, from whichever was first", () => {
  const g = new BroadcastGroupReceiver();
  const out = play(g, [...stream(1, 0, 100, 0), ...stream(2, 0, 100, 300)]);
  assert.deepEqual(out.map(text), Array.from({ length: 100 }, (_, i) => `p${i}`));
  assert.ok(out.every((p) => p.member === 1));
  assert.deepEqual(g.stats, { delivered: 100, duplicates: 100, lost: 0 });
});

test("a member dies mid-stream: no gap and no repeat", () => {
  const g = new BroadcastGroupReceiver();
  const out = play(g, [
    ...stream(1, 0, 50, 0),
    [50_000, 1, "dead"],
    ...stream(2, 0, 120, 2000),
  ]);
  assert.deepEqual(out.map(text), Array.from({ length: 120 }, (_, i) => `p${i}`));
  assert.deepEqual(g.members, [2]);
  assert.equal(g.stats.lost, 0);
  assert.ok(out.slice(60).every((p) => p.member === 2));
});

test("each member loses different packets: the union comes out whole", () => {
  const g = new BroadcastGroupReceiver();
  const out = play(g, [
    ...stream(1, 0, 60, 0, [3, 4, 5, 20, 41]),
    ...stream(2, 0, 60, 700, [0, 10, 11, 30, 59]),
  ]);
  assert.deepEqual(out.map(text), Array.from({ length: 60 }, (_, i) => `p${i}`));
  assert.equal(out[4].member, 2);
  assert.equal(out[10].member, 1);
  assert.equal(g.stats.lost, 0);
});

test("a packet no member has is skipped once every live member has moved past it", () => {
  const g = new BroadcastGroupReceiver({ maxHoldUs: 10_000_000 });
  const out = play(g, [...stream(1, 0, 20, 0, [7]), ...stream(2, 0, 20, 400, [7])]);
  assert.deepEqual(
    out.map(text),
    Array.from({ length: 20 }, (_, i) => `p${i}`).filter((x) => x !== "p7"),
  );
  assert.equal(g.stats.lost, 1);
});

test("a silent member does not stall delivery for more than maxHoldUs", () => {
  const g = new BroadcastGroupReceiver({ maxHoldUs: 5000 });
  g.addMember(2); // joined but never delivers
  const out = play(g, stream(1, 0, 30, 0, [10]), { until: 100_000 });
  assert.deepEqual(
    out.map(text),
    Array.from({ length: 30 }, (_, i) => `p${i}`).filter((x) => x !== "p10"),
  );
  assert.equal(g.stats.lost, 1);
  assert.equal(g.nextTimerUs(), Infinity);
});

test("a late-joining member's older packets are dropped as duplicates", () => {
  const g = new BroadcastGroupReceiver();
  const out = play(g, [...stream(1, 0, 40, 0), ...stream(2, 5, 40, 30_500)]);
  assert.deepEqual(out.map(text), Array.from({ length: 40 }, (_, i) => `p${i}`));
  assert.equal(g.stats.duplicates, 35);
});

test("the merge works across the sequence number wrap", () => {
  const g = new BroadcastGroupReceiver();
  const isn = SEQ_MAX - 10;
  const out = play(g, [...stream(1, 0, 30, 0, [12]), ...stream(2, 0, 30, 200, [11])], { isn });
  assert.equal(out.length, 30);
  assert.deepEqual(out.map((p) => p.seq), Array.from({ length: 30 }, (_, i) => seqInc(isn, i)));
});

test("synchronised on message numbers (SRT_GFLAG_SYNCONMSG), across the msgno wrap", () => {
  const g = new BroadcastGroupReceiver({ syncOnMsgNo: true });
  // The members' sequence numbers differ; only the message numbers match.
  const out: MergedPacket[] = [];
  const msg0 = MSG_MAX - 5;
  for (let i = 0; i < 20; i++) {
    const a = pkt(i, 100, msg0);
    const b = { ...pkt(i, 9_000_000, msg0) };
    if (i !== 3) out.push(...g.offer(1, a, i * 1000));
    if (i !== 8) out.push(...g.offer(2, b, i * 1000 + 100));
  }
  assert.deepEqual(out.map(text), Array.from({ length: 20 }, (_, i) => `p${i}`));
  assert.equal(out[6].msgNo, 1, "message numbers skip 0 when they wrap");
  assert.equal(out[3].member, 2);
});

test("all members gone: whatever was held is released", () => {
  const g = new BroadcastGroupReceiver({ maxHoldUs: 10_000_000 });
  g.addMember(1);
  g.addMember(2);
  const out = [...g.offer(1, pkt(0), 0), ...g.offer(1, pkt(2), 1000)];
  assert.deepEqual(out.map(text), ["p0"]);
  assert.deepEqual(g.removeMember(2, 2000).map(text), ["p2"]);
  assert.equal(g.stats.lost, 1);
});

test("offerInOrder() takes the usual cases without allocating and agrees with offer()", () => {
  const prng = createPrng(77);
  for (let round = 0; round < 50; round++) {
    const slow = new BroadcastGroupReceiver({ maxHoldUs: 5_000 });
    const fast = new BroadcastGroupReceiver({ maxHoldUs: 5_000 });
    const outSlow: number[] = [];
    const outFast: number[] = [];
    // Two members deliver 0x7ffffff0.. in order, each losing some, interleaved at random.
    const start = 0x7ffffff0;
    const lists = [0, 1].map(() => {
      const l: number[] = [];
      for (let i = 0; i < 60; i++) if (prng.next() > 0.2) l.push((start + i) & 0x7fffffff);
      return l;
    });
    const pos = [0, 0];
    let now = 0;
    while (pos[0] < lists[0].length || pos[1] < lists[1].length) {
      const m = pos[1] >= lists[1].length || (pos[0] < lists[0].length && prng.next() < 0.5)
        ? 0
        : 1;
      const seq = lists[m][pos[m]++];
      now += 1000;
      const payload = new Uint8Array([seq & 0xff]);
      for (const p of slow.offer(m, { seq, msgNo: 0, payload }, now)) outSlow.push(p.seq);
      const r = fast.offerInOrder(m, seq);
      if (r === "deliver") outFast.push(seq);
      else if (r === "other") {
        for (const p of fast.offer(m, { seq, msgNo: 0, payload }, now)) outFast.push(p.seq);
      }
    }
    now += 10_000;
    for (const p of slow.tick(now)) outSlow.push(p.seq);
    for (const p of fast.tick(now)) outFast.push(p.seq);
    assert.deepEqual(outFast, outSlow, `round ${round}`);
    assert.deepEqual(fast.stats, slow.stats, `round ${round}`);
  }
});
