import { test } from "node:test";
import assert from "node:assert/strict";
import type { SrtStats } from "../srt/stats.ts";
import { formatBytes, StatusLine } from "./status_line.ts";

const stats = {
  msRTT: 40.04,
  pktSndLossTotal: 3,
  pktRetransTotal: 4,
  pktSndDropTotal: 0,
  pktFlightSize: 7,
  pktRcvLossTotal: 5,
  pktRcvRetransTotal: 6,
  pktRcvDropTotal: 1,
  msRcvBuf: 119.6,
} as unknown as SrtStats;

test("StatusLine shows the rate since the previous sample and the sender's figures", () => {
  const line = new StatusLine(0);
  const text = line.format({ nowMs: 1000, bytes: 250_000, stats, side: "output" });
  assert.equal(
    text,
    "2.00 Mb/s | 244.1 KiB | RTT 40.0 ms | loss 3 | retrans 4 | drop 0 | flight 7",
  );
});

test("StatusLine shows the receiver's figures, exact bytes on request, or no SRT", () => {
  const line = new StatusLine(0);
  assert.equal(
    line.format({ nowMs: 1000, bytes: 1316, stats, side: "input" }, true),
    "0.01 Mb/s | 1316 bytes | RTT 40.0 ms | loss 5 | retrans 6 | drop 1 | buf 120 ms",
  );
  assert.match(
    new StatusLine(0).format({ nowMs: 500, bytes: 0, stats: undefined, side: undefined }),
    /\(no SRT connection\)$/,
  );
});

test("formatBytes() picks a readable unit", () => {
  assert.equal(formatBytes(1000), "1000 B");
  assert.equal(formatBytes(715904), "699.1 KiB");
  assert.equal(formatBytes(3 * 1024 * 1024), "3.0 MiB");
  assert.equal(formatBytes(5 * 1024 ** 3), "5.00 GiB");
});
