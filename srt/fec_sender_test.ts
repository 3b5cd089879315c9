import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fecConfigFrom, negotiateFilter } from "./fec_config.ts";
import { columnFirstOffset, columnGroupBase, columnIndex, rowGroupBase } from "./fec_layout.ts";
import { fecFlagClip, fecGroupIndex, fecLengthClip, isFilterControlPacket } from "./fec_packet.ts";
import { FecSender } from "./fec_sender.ts";
import { SEQ_MAX, seqInc, seqOff } from "./seq.ts";

interface Scenario {
  name: string;
  callerFilter: string;
  listenerFilter: string;
  isn: number;
  payloads: string[];
  packets: { kind: "data" | "fec"; hex: string; tshark?: Record<string, string> }[];
}

const doc = JSON.parse(
  readFileSync(new URL("../tests/vectors/srt_fec_capture.json", import.meta.url), "utf8"),
) as { scenarios: Scenario[] };

const bytes = (hex: string): Uint8Array =>
  Uint8Array.from(hex.match(/../g) ?? [], (x) => parseInt(x, 16));
const hexOf = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const u32 = (b: Uint8Array, o: number): number =>
  ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

test("layout: staircase column starts for 10x5 follow libsrt's ConfigureColumns", () => {
  const shape = { cols: 10, rows: 5, layout: "staircase" } as const;
  const starts = Array.from({ length: 10 }, (_, c) => columnFirstOffset(shape, c));
  assert.deepEqual(starts, [0, 11, 22, 33, 44, 5, 16, 27, 38, 49]);
  const even = { cols: 10, rows: 5, layout: "even" } as const;
  assert.deepEqual(
    Array.from({ length: 10 }, (_, c) => columnFirstOffset(even, c)),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
});

for (const layout of ["even", "staircase"] as const) {
  for (const [cols, rows] of [[4, 2], [10, 5], [5, 10], [3, 3]]) {
    test(`layout ${layout} ${cols}x${rows}: every packet is in one row and at most one column`, () => {
      const shape = { cols, rows, layout };
      for (const isn of [0, 12345, SEQ_MAX - 17]) {
        const members = new Map<number, number[]>();
        const n = cols * rows * 6;
        for (let i = 0; i < n; i++) {
          const seq = seqInc(isn, i);
          const rb = rowGroupBase(isn, cols, seq);
          assert.ok(seqOff(rb, seq) >= 0 && seqOff(rb, seq) < cols);
          assert.equal(seqOff(isn, rb) % cols, 0);
          const cb = columnGroupBase(isn, shape, seq, true);
          if (cb < 0) {
            // Only staircase columns skip packets, and only before their first group.
            assert.equal(layout, "staircase");
            assert.ok(i < columnFirstOffset(shape, columnIndex(isn, cols, seq)));
            continue;
          }
          const d = seqOff(cb, seq);
          assert.ok(d >= 0 && d % cols === 0 && d / cols < rows, `${i}`);
          members.set(cb, [...(members.get(cb) ?? []), i]);
          // A moved anchor (whole matrices later) gives the same groups.
          const moved = seqInc(isn, cols * rows * 2);
          if (i >= cols * rows * 3) assert.equal(columnGroupBase(moved, shape, seq, false), cb);
        }
        for (const [base, m] of members) {
          const first = seqOff(isn, base);
          if (first + (rows - 1) * cols < n) assert.equal(m.length, rows, `group at ${first}`);
        }
      }
    });
  }
}

for (const s of doc.scenarios) {
  test(`capture ${s.name}: FEC packets are byte-identical to libsrt 1.5.1's, in the same place`, () => {
    const r = negotiateFilter(s.callerFilter, s.listenerFilter, "initiator", false);
    assert.ok(r.ok && r.fec !== undefined);
    // srt-live-transmit sets SRTO_PAYLOADSIZE 1456; the filter cuts it to 1452.
    const sender = new FecSender(r.fec, s.isn, 1452);
    const wire: string[] = [];
    for (const p of s.packets) {
      if (p.kind !== "data") continue;
      const b = bytes(p.hex);
      wire.push(p.hex);
      for (const f of sender.feedAndDrain(b, u32(b, 12))) wire.push(hexOf(f));
    }
    assert.equal(wire.length, s.packets.length);
    for (let i = 0; i < wire.length; i++) {
      assert.equal(wire[i], s.packets[i].hex, `${s.name} packet ${i} (${s.packets[i].kind})`);
    }
    assert.equal(sender.stats.sentFilterExtra, s.packets.filter((p) => p.kind === "fec").length);
  });
}

test("capture: the FEC packet header as libsrt writes it", () => {
  const s = doc.scenarios.find((x) => x.name === "staircase_default")!;
  const fec = s.packets.filter((p) => p.kind === "fec").map((p) => bytes(p.hex));
  const data = s.packets.filter((p) => p.kind === "data").map((p) => bytes(p.hex));
  for (const f of fec) {
    assert.equal(f.length, 16 + 4 + 1452);
    assert.equal(u32(f, 4), 0xc0000000, "PP=11, O=0, KK=00, R=0, msgno 0");
    assert.ok(isFilterControlPacket(f));
    assert.equal(u32(f, 12), u32(data[0], 12), "same destination as the data");
  }
  // The first FEC packet is the row of the first 4 data packets, sent after the 4th.
  const row = fec[0];
  assert.equal(fecGroupIndex(row), -1);
  assert.equal(u32(row, 0), u32(data[3], 0), "sequence of the group's last packet");
  let ts = 0;
  let len = 0;
  const clip = new Uint8Array(1452);
  for (const d of data.slice(0, 4)) {
    ts = (ts ^ u32(d, 8)) >>> 0;
    len ^= d.length - 16;
    for (let i = 16; i < d.length; i++) clip[i - 16] ^= d[i];
  }
  assert.equal(u32(row, 8), ts, "timestamp = XOR of the timestamps");
  assert.equal(fecLengthClip(row), len, "length clip = XOR of the payload lengths");
  assert.equal(fecFlagClip(row), 0);
  assert.deepEqual(row.subarray(20), clip);
  // The tshark dissector reads it as an ordinary data packet with message number 0.
  const t = s.packets.find((p) => p.kind === "fec")!.tshark!;
  assert.equal(t["srt.msgno"], "0");
  assert.equal(t["srt.msg.rexmit"], "0");
  assert.equal(t["srt.pb"], "3");
  // Staircase: column 0 (packets 0 and 4) is the second FEC packet, right after packet 4.
  assert.equal(fecGroupIndex(fec[1]), 0);
  assert.equal(u32(fec[1], 0), u32(data[4], 0));
});

test("sender: the KK flags of the connection go into the header, the members' into the clip", () => {
  const sender = new FecSender(fecConfigFrom("fec,cols:2"), 100, 8);
  const pkt = (seq: number, kk: number) => {
    const b = new Uint8Array(16 + 4);
    b.set([0, 0, 0, seq], 0);
    b[4] = 0xc0 | (kk << 3);
    b[7] = 1;
    return b;
  };
  assert.deepEqual(sender.feedAndDrain(pkt(100, 1), 7, 2), []);
  const [f] = sender.feedAndDrain(pkt(101, 2), 7, 2);
  assert.equal(f[4], 0xc0 | (2 << 3));
  assert.equal(fecFlagClip(f), 3);
  assert.equal(f.length, 16 + 4 + 8);
});
