import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dataSeq, decodeDataPacket } from "./data_packet.ts";
import { ArqLevel, fecConfigFrom, negotiateFilter } from "./fec_config.ts";
import { isFilterControlPacket } from "./fec_packet.ts";
import { FecReceiver } from "./fec_receiver.ts";
import { FecSender } from "./fec_sender.ts";
import { SEQ_MAX, seqInc } from "./seq.ts";

interface Scenario {
  name: string;
  callerFilter: string;
  listenerFilter: string;
  isn: number;
  callerSocketId: number;
  packets: { kind: "data" | "fec"; hex: string }[];
}

const doc = JSON.parse(
  readFileSync(new URL("../tests/vectors/srt_fec_capture.json", import.meta.url), "utf8"),
) as { scenarios: Scenario[] };

const bytes = (hex: string): Uint8Array =>
  Uint8Array.from(hex.match(/../g) ?? [], (x) => parseInt(x, 16));

/** Feeds packets in order; returns every rebuilt packet, every pass decision and the losses. */
function run(rcv: FecReceiver, packets: Uint8Array[]) {
  const rebuilt: Uint8Array[] = [];
  const passed: number[] = [];
  const losses: [number, number][] = [];
  for (const p of packets) {
    const r = rcv.receive(p);
    if (r.pass) passed.push(dataSeq(p));
    rebuilt.push(...r.rebuilt);
    losses.push(...r.losses.map(([a, b]) => [a, b] as [number, number]));
  }
  return { rebuilt, passed, losses };
}

/** Checks a rebuilt packet against the original: same seq, timestamp, payload, KK; R set. */
function assertRebuiltFrom(rebuilt: Uint8Array, original: Uint8Array, socketId: number): void {
  const a = decodeDataPacket(rebuilt);
  const b = decodeDataPacket(original);
  assert.equal(a.seq, b.seq);
  assert.equal(a.timestamp, b.timestamp);
  assert.equal(a.keyFlags, b.keyFlags);
  assert.deepEqual(a.payload, b.payload);
  assert.equal(a.retransmitted, true);
  assert.equal(a.msgNo, 1);
  assert.equal(a.position, 3);
  assert.equal(a.destSocketId, socketId);
}

for (const s of doc.scenarios) {
  test(`capture ${s.name}: every single data packet removed is rebuilt when its group is complete`, () => {
    const r = negotiateFilter(s.callerFilter, s.listenerFilter, "responder", false);
    const fec = r.ok ? r.fec : undefined;
    assert.ok(fec !== undefined);
    const all = s.packets.map((p) => bytes(p.hex));
    const fecCount = all.filter(isFilterControlPacket).length;
    let recovered = 0;
    for (let i = 0; i < all.length; i++) {
      if (isFilterControlPacket(all[i])) continue;
      const rcv: FecReceiver = new FecReceiver(fec, s.isn, 1452, s.callerSocketId);
      const out = run(rcv, all.filter((_, k) => k !== i));
      if (out.rebuilt.length === 0) continue;
      assert.equal(out.rebuilt.length, 1, `${s.name} without packet ${i}`);
      assertRebuiltFrom(out.rebuilt[0], all[i], s.callerSocketId);
      assert.ok(!out.passed.includes(dataSeq(all[i])));
      assert.equal(rcv.stats.filterSupply, 1);
      assert.equal(rcv.stats.filterExtra, fecCount);
      recovered++;
    }
    // 26 packets: rows of 4 cover packets 0..23. Columns of 2: even ones end at 23 too; the
    // staircase column 1 group (21, 25) also covers packet 25.
    // 10x5, 60 packets: six complete rows cover every packet.
    const expected = {
      staircase_default: 25,
      even: 24,
      row_only: 24,
      column_only: 24,
      cols10_rows5: 60,
    }[
      s.name as "even"
    ];
    assert.equal(recovered, expected, s.name);
  });
}

/** A synthetic stream through our sender (itself checked byte for byte against libsrt). */
function stream(config: string, isn: number, count: number, payloadSize = 64): Uint8Array[] {
  const sender = new FecSender(fecConfigFrom(config), isn, payloadSize);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const len = 1 + ((i * 7) % payloadSize);
    const p = new Uint8Array(16 + len);
    const seq = seqInc(isn, i);
    p.set([seq >>> 24, seq >>> 16, seq >>> 8, seq, 0xc0, 0, 0, (i % 250) + 1], 0);
    const ts = 1000 + i * 333;
    p.set([ts >>> 24, ts >>> 16, ts >>> 8, ts, 0, 0, 0, 42], 8);
    for (let k = 16; k < p.length; k++) p[k] = (k * 5 + i * 11) & 0xff;
    out.push(p, ...sender.feedAndDrain(p, 42));
  }
  return out;
}

const seqOfData = (packets: Uint8Array[], n: number): Uint8Array =>
  packets.filter((p) => !isFilterControlPacket(p))[n];

test("2D: two losses in one row are rebuilt from their columns", () => {
  const pkts = stream("fec,cols:4,rows:2,layout:even", 1000, 16);
  const lost = [seqOfData(pkts, 1), seqOfData(pkts, 2)];
  const rcv = new FecReceiver(fecConfigFrom("fec,cols:4,rows:2,layout:even"), 1000, 64, 42);
  const out = run(rcv, pkts.filter((p) => !lost.includes(p)));
  assert.equal(out.rebuilt.length, 2);
  assertRebuiltFrom(out.rebuilt[0], lost[0], 42);
  assertRebuiltFrom(out.rebuilt[1], lost[1], 42);
  assert.deepEqual(out.losses, []);
});

test("2D: a rebuilt packet completes its other group, which rebuilds in turn (cascade)", () => {
  // Even 4x2: lose 0 and 1 (row 0) and 4 (row 1). Column 0 (0, 4) misses two; row 1 misses
  // only 4 -> rebuild 4 -> column 0 misses only 0 -> rebuild 0 -> row 0 misses only 1.
  const cfg = "fec,cols:4,rows:2,layout:even";
  const pkts = stream(cfg, 50, 8);
  const lost = [0, 1, 4].map((n) => seqOfData(pkts, n));
  const rcv = new FecReceiver(fecConfigFrom(cfg), 50, 64, 42);
  const out = run(rcv, pkts.filter((p) => !lost.includes(p)));
  assert.deepEqual(out.rebuilt.map(dataSeq).sort((a, b) => a - b), [50, 51, 54]);
  for (const p of out.rebuilt) {
    assertRebuiltFrom(
      p,
      lost.find((l) => dataSeq(l) === dataSeq(p))!,
      42,
    );
  }
  assert.equal(rcv.stats.filterSupply, 3);
});

test("rows only, arq:onreq: an unrecoverable row is reported once, after the row", () => {
  const cfg = "fec,cols:6";
  const pkts = stream(cfg, 0, 30);
  const lost = [seqOfData(pkts, 7), seqOfData(pkts, 8)];
  const rcv = new FecReceiver(fecConfigFrom(cfg), 0, 64, 42);
  const out = run(rcv, pkts.filter((p) => !lost.includes(p)));
  assert.equal(out.rebuilt.length, 0);
  assert.deepEqual(out.losses, [[7, 8]]);
  assert.equal(rcv.stats.filterLoss, 2);
});

test("2D, arq:onreq: a packet lost in both its row and column is reported from the column", () => {
  // Lose 0 and 1 (row 0) and 5 (column 1 of row 1): columns 0 and 1 each miss one... make
  // column 1 miss two: lose 1 and 5, plus 2 in row 0 so row 0 misses 1 and 2.
  const cfg = "fec,cols:4,rows:2,layout:even";
  const pkts = stream(cfg, 0, 24);
  const lost = [1, 2, 5, 6].map((n) => seqOfData(pkts, n));
  const rcv = new FecReceiver(fecConfigFrom(cfg), 0, 64, 42);
  const out = run(rcv, pkts.filter((p) => !lost.includes(p)));
  assert.equal(out.rebuilt.length, 0);
  assert.deepEqual(out.losses.sort((a, b) => a[0] - b[0]), [[1, 1], [2, 2], [5, 5], [6, 6]]);
  assert.equal(rcv.stats.filterLoss, 4);
});

for (const arq of ["never", "always"]) {
  test(`arq:${arq}: the filter reports no loss (never: no NAK; always: the receiver NAKs)`, () => {
    const cfg = `fec,cols:6,arq:${arq}`;
    const pkts = stream(cfg, 0, 30);
    const lost = [seqOfData(pkts, 7), seqOfData(pkts, 8)];
    const rcv = new FecReceiver(fecConfigFrom(cfg), 0, 64, 42);
    assert.equal(rcv.config.arq, arq === "never" ? ArqLevel.NEVER : ArqLevel.ALWAYS);
    const out = run(rcv, pkts.filter((p) => !lost.includes(p)));
    assert.deepEqual(out.losses, []);
    assert.equal(rcv.stats.filterLoss, 0);
  });
}

test("a lost FEC packet only costs that group's protection", () => {
  const cfg = "fec,cols:4";
  const pkts = stream(cfg, 0, 12);
  const firstFec = pkts.find(isFilterControlPacket)!;
  const lost = [seqOfData(pkts, 1), firstFec, seqOfData(pkts, 5)];
  const rcv = new FecReceiver(fecConfigFrom(cfg), 0, 64, 42);
  const out = run(rcv, pkts.filter((p) => !lost.includes(p)));
  assert.deepEqual(out.rebuilt.map(dataSeq), [5]);
  assert.deepEqual(out.losses, [[1, 1]]);
  assert.equal(rcv.stats.filterExtra, 2);
});

test("duplicates pass through and do not disturb the groups; FEC packets never pass", () => {
  const cfg = "fec,cols:4,rows:2";
  const pkts = stream(cfg, 0, 16);
  const lost = seqOfData(pkts, 6);
  const withDup = pkts.flatMap((p) => (p === lost ? [] : isFilterControlPacket(p) ? [p] : [p, p]));
  const rcv = new FecReceiver(fecConfigFrom(cfg), 0, 64, 42);
  const out = run(rcv, withDup);
  assert.equal(out.rebuilt.length, 1);
  assertRebuiltFrom(out.rebuilt[0], lost, 42);
  assert.equal(out.passed.length, 2 * 15);
});

for (const layout of ["even", "staircase"]) {
  test(`long ${layout} stream across the sequence wrap: one loss in every row is rebuilt`, () => {
    const cfg = `fec,cols:5,rows:3,layout:${layout}`;
    const isn = SEQ_MAX - 1234;
    const pkts = stream(cfg, isn, 6000);
    const data = pkts.filter((p) => !isFilterControlPacket(p));
    // Lose packet (3 * row) % 5 of every row: one per row, and columns see at most one per group.
    const lost = new Set(data.filter((_, i) => i % 5 === (Math.floor(i / 5) * 3) % 5 && i >= 60));
    const rcv = new FecReceiver(fecConfigFrom(cfg), isn, 64, 42);
    const out = run(rcv, pkts.filter((p) => !lost.has(p)));
    // The last row's FEC may come after the end of the stream; everything else is rebuilt.
    assert.ok(out.rebuilt.length >= lost.size - 1, `${out.rebuilt.length} of ${lost.size}`);
    const bySeq = new Map([...lost].map((p) => [dataSeq(p), p]));
    for (const p of out.rebuilt) assertRebuiltFrom(p, bySeq.get(dataSeq(p))!, 42);
    assert.deepEqual(out.losses, []);
  });
}
