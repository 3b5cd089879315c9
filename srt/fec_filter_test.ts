import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dataSeq } from "./data_packet.ts";
import { negotiateFilter } from "./fec_config.ts";
import { isFilterControlPacket } from "./fec_packet.ts";
import { FecFilter, payloadSizeWithFilter, sendsFilterExtension } from "./fec_filter.ts";

const doc = JSON.parse(
  readFileSync(new URL("../tests/vectors/srt_fec_capture.json", import.meta.url), "utf8"),
) as {
  scenarios: {
    name: string;
    callerFilter: string;
    listenerFilter: string;
    isn: number;
    callerSocketId: number;
    packets: { kind: string; hex: string }[];
  }[];
};
const bytes = (hex: string): Uint8Array =>
  Uint8Array.from(hex.match(/../g) ?? [], (x) => parseInt(x, 16));

test("FecFilter: no filter for an empty configuration", () => {
  assert.equal(
    FecFilter.create("", { sndIsn: 1, rcvIsn: 1, payloadSize: 1316, socketId: 1 }),
    undefined,
  );
});

test("FecFilter: a libsrt sender's stream through the facade, both counters sides", () => {
  const s = doc.scenarios.find((x) => x.name === "staircase_default")!;
  const n = negotiateFilter(s.listenerFilter, s.callerFilter, "responder", false);
  assert.ok(n.ok);
  const init = { sndIsn: s.isn, rcvIsn: s.isn, payloadSize: 1452, socketId: s.callerSocketId };
  const tx = FecFilter.create(n.config, init)!;
  const rx = FecFilter.create(n.config, init)!;
  const buf = new Uint8Array(tx.sender.packetSize);
  const all = s.packets.map((p) => bytes(p.hex));
  const data = all.filter((p) => !isFilterControlPacket(p));
  let sentFec = 0;
  let rebuilt = 0;
  const lost = dataSeq(data[5]);
  for (const d of data) {
    // The data packet goes on the wire first, then the FEC packets now due.
    tx.feed(d);
    if (dataSeq(d) !== lost) assert.equal(rx.receive(d).pass, true);
    while (tx.packControl(buf, dataSeq(d), 7, 0) > 0) {
      sentFec++;
      const r = rx.receive(buf.slice(0, tx.sender.packetSize));
      assert.equal(r.pass, false);
      rebuilt += r.rebuilt.length;
    }
  }
  assert.equal(sentFec, all.length - data.length);
  assert.equal(rebuilt, 1);
  assert.deepEqual(tx.stats().pktSndFilterExtraTotal, sentFec);
  assert.deepEqual(rx.stats(), {
    pktSndFilterExtraTotal: 0,
    pktRcvFilterExtraTotal: sentFec,
    pktRcvFilterSupplyTotal: 1,
    pktRcvFilterLossTotal: 0,
  });
  assert.equal(rx.arq, 1);
});

test("payload size and FILTER extension rules", () => {
  assert.equal(payloadSizeWithFilter(1456), 1452);
  assert.equal(payloadSizeWithFilter(1316), 1316);
  assert.equal(sendsFilterExtension("hsreq", "fec,cols:4"), true);
  assert.equal(sendsFilterExtension("hsreq", ""), false);
  assert.equal(sendsFilterExtension("hsrsp", "fec,cols:4", 0x3f, false), false);
  assert.equal(sendsFilterExtension("hsrsp", "fec,cols:4", 0xbf, false), true);
  assert.equal(sendsFilterExtension("hsrsp", "fec,cols:4", 0x3f, true), true);
});
