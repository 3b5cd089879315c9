// The FEC packet filter inside real connections, through the seeded network simulator:
// handshake negotiation, FEC packets on the wire, repairs without NAKs under arq:never.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dataSeq, isControlPacket } from "./data_packet.ts";
import { readU32 } from "./_bytes.ts";
import { SimPair } from "../tests/sim/harness.ts";
import { RejectReason } from "./reject_reason.ts";
import { resolveOptions } from "./options.ts";
import { parseSrtUri } from "./uri.ts";

const MS = 1000;
const COUNT = 1000;
const FILTER = "fec,cols:10,rows:5,arq:never";

/** An FEC packet is a data packet with message number 0. */
function isFec(d: Uint8Array): boolean {
  return !isControlPacket(d) && (readU32(d, 4) & 0x03ffffff) === 0;
}

function run(
  drop: (seqOffset: number) => boolean,
  caller: string,
  listener: string | undefined,
): SimPair {
  let isn = -1;
  const pair = new SimPair({
    seed: 5,
    caller: { latency: 120, packetFilter: caller },
    listener: listener === undefined ? {} : { latency: 120, packetFilter: listener },
    forward: {
      delayUs: 10 * MS,
      drop: (d) => {
        if (isControlPacket(d) || isFec(d) || (d[4] & 0x04) !== 0) return false;
        if (isn < 0) isn = dataSeq(d);
        return drop((dataSeq(d) - isn) & 0x7fffffff);
      },
    },
    backward: { delayUs: 10 * MS },
  });
  pair.stream(100 * MS, COUNT, 1 * MS);
  pair.run(2000 * MS);
  return pair;
}

function assertAllDelivered(pair: SimPair): void {
  const idx = pair.delivered.map((d) => d.index);
  const got = new Set(idx);
  const missing = Array.from({ length: COUNT }, (_, i) => i).filter((i) => !got.has(i));
  assert.deepEqual(missing, [], "every packet delivered");
  idx.forEach((v, i) => assert.equal(v, i));
}

test("arq:never: one loss per row and a second one in some rows are rebuilt, no NAK is sent", () => {
  // Offset 3 of every row: row FEC. Offset 7 of every fifth row too: that row has two
  // losses, so a column rebuilds one and the row the other. (Not in the first rows: with the
  // default staircase layout their columns began before the first packet and never fill.)
  const pair = run((o) => o % 10 === 3 || (o % 50 === 7 && o >= 100), FILTER, FILTER);
  assertAllDelivered(pair);
  const rcv = pair.accepted!.stats(pair.sim.now);
  const snd = pair.caller.stats(pair.sim.now);
  assert.equal(rcv.pktSentNAKTotal, 0, "no NAK under arq:never");
  assert.equal(snd.pktRetransTotal, 0);
  assert.equal(rcv.pktRcvFilterSupplyTotal, 100 + 18, "every dropped packet rebuilt");
  // 10 columns + 5 rows per matrix of 50.
  assert.ok(
    snd.pktSndFilterExtraTotal >= 290 && snd.pktSndFilterExtraTotal <= 300,
    `FEC packets sent ${snd.pktSndFilterExtraTotal}`,
  );
  assert.equal(rcv.pktRcvFilterExtraTotal, snd.pktSndFilterExtraTotal);
  assert.equal(rcv.pktRcvDropTotal, 0);
});

test("arq:never: what FEC cannot rebuild is dropped, never resent (no tail-loss probe)", () => {
  // The last packets are lost: their matrix never completes, so FEC cannot rebuild them and
  // the ACK point stays behind them. Without ARQ nothing may be resent for them.
  const pair = run((o) => o >= COUNT - 3, FILTER, FILTER);
  const snd = pair.caller.stats(pair.sim.now);
  assert.equal(snd.pktRetransTotal, 0, "nothing resent under arq:never");
  assert.equal(pair.accepted!.stats(pair.sim.now).pktSentNAKTotal, 0);
  const idx = pair.delivered.map((d) => d.index);
  assert.deepEqual(idx, Array.from({ length: COUNT - 3 }, (_, i) => i));
});

test("without a filter the same losses are NAKed and retransmitted", () => {
  const pair = run((o) => o % 10 === 3, "", "");
  assertAllDelivered(pair);
  assert.ok(pair.accepted!.stats(pair.sim.now).pktSentNAKTotal > 0);
  assert.equal(pair.caller.stats(pair.sim.now).pktSndFilterExtraTotal, 0);
});

test("arq:always: losses are NAKed as usual while FEC rebuilds", () => {
  const pair = run((o) => o % 10 === 3, "fec,cols:10,rows:5,arq:always", undefined);
  assertAllDelivered(pair);
  const rcv = pair.accepted!.stats(pair.sim.now);
  assert.ok(rcv.pktSentNAKTotal > 0);
  assert.ok(rcv.pktRcvFilterSupplyTotal > 0);
});

test("a listener without a filter takes the caller's; payload size is cut to 1452", () => {
  const pair = run(() => false, "fec,cols:10,rows:5", undefined);
  assertAllDelivered(pair);
  assert.equal(pair.caller.payloadSize, 1316);
  assert.equal(pair.accepted!.payloadSize, 1316);
  assert.ok(pair.accepted!.stats(pair.sim.now).pktRcvFilterExtraTotal > 0);
  assert.equal(pair.accepted!.packetFilter, "fec,cols:10,rows:5", "adopted from the caller");
  assert.equal(pair.caller.packetFilter, pair.accepted!.packetFilter);
  assert.equal(
    resolveOptions({ packetFilter: "fec,cols:10", payloadSize: 1456 }).payloadSize,
    1452,
  );
  assert.throws(() => resolveOptions({ packetFilter: "fec,cols:ten" }), RangeError);
  assert.equal(
    parseSrtUri("srt://1.2.3.4:5?packetfilter=fec,cols:10,rows:5").options.packetFilter,
    "fec,cols:10,rows:5",
  );
});

test("conflicting filters are refused with SRT_REJ_FILTER (14)", () => {
  const pair = new SimPair({
    seed: 9,
    caller: { packetFilter: "fec,cols:10,rows:5" },
    listener: { packetFilter: "fec,cols:20,rows:5" },
  });
  const events: unknown[] = [];
  pair.run(1000 * MS, () => pair.caller.state === "closed");
  for (let e = pair.callerEp.pollEvent(); e; e = pair.callerEp.pollEvent()) events.push(e.event);
  assert.equal(pair.caller.state, "closed");
  assert.equal(pair.accepted, undefined);
  const closed = events.find((e) => (e as { kind: string }).kind === "closed") as {
    error: { reason: number };
  } | undefined;
  assert.equal(closed?.error.reason, RejectReason.FILTER);
  assert.equal(pair.listenerEp.listener!.counters.rejected, 1);
});

test("arq:onreq: only what the matrix cannot rebuild is NAKed, then retransmitted", () => {
  // Rows 10 and 11 lose offsets 3 and 4 each; columns 3 and 4 then miss two packets each:
  // nothing rebuilds them, so the filter reports them and the receiver asks for them.
  const lost = new Set([103, 104, 113, 114]);
  const f = "fec,cols:10,rows:5,layout:even,arq:onreq";
  const pair = run((o) => lost.has(o), f, f);
  assertAllDelivered(pair);
  const rcv = pair.accepted!.stats(pair.sim.now);
  const snd = pair.caller.stats(pair.sim.now);
  assert.ok(rcv.pktSentNAKTotal > 0, "the unrecoverable losses were NAKed");
  assert.ok(snd.pktRetransTotal >= 4 && snd.pktRetransTotal < 20, `${snd.pktRetransTotal}`);
  assert.ok(rcv.pktRcvFilterLossTotal >= 4, `filter losses ${rcv.pktRcvFilterLossTotal}`);
});
