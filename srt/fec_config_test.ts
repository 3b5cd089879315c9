import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  ArqLevel,
  checkFecConfig,
  fecConfigFrom,
  FilterConfigError,
  formatFilterConfig,
  negotiateFilter,
  parseFecOption,
  parseFilterConfig,
} from "./fec_config.ts";

/** Compares two configuration strings as libsrt's test does: same type, same key/value set. */
function sameConfig(a: string, b: string): boolean {
  const x = parseFilterConfig(a);
  const y = parseFilterConfig(b);
  if (x === undefined || y === undefined) return false;
  return formatFilterConfig(x) === formatFilterConfig(y);
}

/**
 * A caller-listener handshake as libsrt runs it: the listener (responder) merges the caller's
 * string and sends the result back; the caller (initiator) merges that answer.
 */
function connect(
  caller: string,
  listener: string,
): { ok: true; caller: string; listener: string } | { ok: false; reason: number } {
  const atListener = negotiateFilter(
    listener,
    caller === "" ? undefined : caller,
    "responder",
    false,
  );
  if (!atListener.ok) return { ok: false, reason: atListener.reason };
  const answer = atListener.config === "" ? undefined : atListener.config;
  const atCaller = negotiateFilter(caller, answer, "initiator", false);
  if (!atCaller.ok) return { ok: false, reason: atCaller.reason };
  return { ok: true, caller: atCaller.config, listener: atListener.config };
}

test("parseFilterConfig: libsrt's splitting rules", () => {
  const c = parseFilterConfig("fec,cols:10,rows:5");
  assert.equal(c?.type, "fec");
  assert.deepEqual([...c!.params], [["cols", "10"], ["rows", "5"]]);
  // An empty value is ignored, a later duplicate wins.
  assert.deepEqual([...parseFilterConfig("fec,cols:,cols:10")!.params], [["cols", "10"]]);
  // A pair must split into exactly two parts.
  assert.equal(parseFilterConfig("fec,cols"), undefined);
  assert.equal(parseFilterConfig("fec,cols:1:2"), undefined);
  assert.equal(parseFilterConfig(""), undefined);
  assert.deepEqual([...parseFilterConfig("fec")!.params], []);
});

test("formatFilterConfig lists keys in byte order like a std::map", () => {
  assert.equal(
    formatFilterConfig(parseFilterConfig("fec,rows:2,cols:4,layout:staircase,arq:onreq")!),
    "fec,arq:onreq,cols:4,layout:staircase,rows:2",
  );
});

test("SRTO_PACKETFILTER checks (test_fec_rebuilding ConfigExchangeFaux E1..F)", () => {
  for (
    const bad of [
      "fec,cols:-10", // E1
      "fec,cols:10,rows:0", // E2
      "fec,cols:10,rows:-1", // E3
      "fec,cols:10,layout:stairwars", // E4
      "fec,cols:10,arq:sometimes", // E5
      "fec,cols:10,weight:2", // F
      "fec,cols:1",
      "fec,Cols:10", // keys are case-sensitive
      "fec,cols:10,layout:Even", // values too
      "rsfec,cols:10",
      "fec,cols",
    ]
  ) {
    assert.throws(() => parseFecOption(bad), FilterConfigError, bad);
  }
  for (
    const good of [
      "fec,cols:10",
      "fec,rows:10", // cols is only checked when the filter is created
      "fec,cols:10,rows:-5,layout:even,arq:never",
      "fec,cols:2,rows:2,arq:always,layout:staircase",
    ]
  ) {
    assert.equal(checkFecConfig(parseFecOption(good)), undefined, good);
  }
});

test("fecConfigFrom: defaults, column-only, missing cols", () => {
  assert.deepEqual(fecConfigFrom("fec,cols:10"), {
    cols: 10,
    rows: 1,
    colsOnly: false,
    layout: "staircase",
    arq: ArqLevel.ONREQ,
  });
  assert.deepEqual(fecConfigFrom("fec,cols:10,rows:-5,layout:even,arq:never"), {
    cols: 10,
    rows: 5,
    colsOnly: true,
    layout: "even",
    arq: ArqLevel.NEVER,
  });
  assert.equal(fecConfigFrom("fec,cols:4,rows:2,arq:always").arq, ArqLevel.ALWAYS);
  assert.throws(
    () => fecConfigFrom("fec,rows:10"),
    (e: unknown) => e instanceof FilterConfigError && e.reason === 14,
  );
});

test("negotiateFilter: responder merge (test_fec_rebuilding ConfigExchange)", () => {
  const r = negotiateFilter("fec,cols:10,rows:10", "fec,cols:10,arq:never", "responder", false);
  assert.ok(r.ok);
  assert.ok(sameConfig(r.config, "fec,cols:10,rows:10,arq:never,layout:staircase"), r.config);
  const c = negotiateFilter("fec,cols:20,rows:10", "fec,cols:10,arq:never", "responder", false);
  assert.equal(c.ok, false);
  assert.equal(!c.ok && c.reason, 14);
});

// The connection table at the top of libsrt's test/test_fec_rebuilding.cpp.
const TABLE: ReadonlyArray<{
  id: string;
  caller: string;
  listener: string;
  result: string | "reject";
}> = [
  { id: "A", caller: "fec,cols:10", listener: "fec,cols:20", result: "reject" },
  { id: "B1", caller: "fec,rows:10", listener: "fec,arq:never", result: "reject" },
  { id: "B2", caller: "fec,rows:10", listener: "", result: "reject" },
  {
    id: "C1",
    caller: "fec,cols:10,rows:10",
    listener: "fec",
    result: "fec,cols:10,rows:10,arq:onreq,layout:staircase",
  },
  {
    id: "C1'",
    caller: "fec,cols:10,rows:10",
    listener: "fec,cols:10,arq:never",
    result: "fec,cols:10,rows:10,arq:never,layout:staircase",
  },
  {
    id: "C2",
    caller: "fec,cols:10,rows:10",
    listener: "fec,rows:10,cols:10",
    result: "fec,cols:10,rows:10,arq:onreq,layout:staircase",
  },
  {
    id: "C3",
    caller: "fec,cols:10,rows:20,arq:never,layout:even",
    listener: "fec,layout:even,rows:20,cols:10,arq:never",
    result: "fec,cols:10,rows:20,arq:never,layout:even",
  },
  {
    id: "C4",
    caller: "fec,cols:10,rows:20,arq:always,layout:even",
    listener: "fec,layout:even,rows:20,cols:10,arq:always",
    result: "fec,cols:10,rows:20,arq:always,layout:even",
  },
  {
    id: "C5",
    caller: "fec,cols:,cols:10",
    listener: "fec,cols:,rows:10",
    result: "fec,cols:10,rows:10,arq:onreq,layout:staircase",
  },
  { id: "C6", caller: "fec,rows:20,cols:20", listener: "", result: "fec,cols:20,rows:20" },
  { id: "C6'", caller: "", listener: "fec,rows:20,cols:20", result: "fec,cols:20,rows:20" },
  { id: "D", caller: "fec,cols:10,rows:10", listener: "fec,cols:20,arq:never", result: "reject" },
  { id: "none", caller: "", listener: "", result: "" },
];

for (const row of TABLE) {
  test(`caller-listener merge ${row.id}: '${row.caller}' x '${row.listener}'`, () => {
    const r = connect(row.caller, row.listener);
    if (row.result === "reject") {
      assert.deepEqual(r, { ok: false, reason: 14 });
      return;
    }
    assert.ok(r.ok, JSON.stringify(r));
    if (row.result === "") {
      assert.equal(r.caller, "");
      assert.equal(r.listener, "");
      return;
    }
    assert.ok(sameConfig(r.caller, row.result), r.caller);
    assert.ok(sameConfig(r.listener, row.result), r.listener);
  });
}

test("rendezvous demands identical strings", () => {
  assert.ok(negotiateFilter("fec,cols:4", "fec,cols:4", "responder", true).ok);
  assert.ok(negotiateFilter("fec,cols:4", "fec,cols:4", "initiator", true).ok);
  const r = negotiateFilter("fec,cols:4,rows:1", "fec,cols:4", "initiator", true);
  assert.equal(r.ok, false);
});

test("capture: a 1.5.1 listener answers with the merged string this module builds", () => {
  const doc = JSON.parse(
    readFileSync(new URL("../tests/vectors/srt_fec_capture.json", import.meta.url), "utf8"),
  ) as { scenarios: { name: string; callerFilter: string; listenerFilter: string }[] };
  assert.equal(doc.scenarios.length, 5);
  for (const s of doc.scenarios) {
    // Both srt-live-transmit processes had the same option; the caller sends it verbatim.
    const r = negotiateFilter(s.callerFilter, s.callerFilter, "responder", false);
    assert.ok(r.ok, s.name);
    assert.equal(r.config, s.listenerFilter, s.name);
    const back = negotiateFilter(s.callerFilter, s.listenerFilter, "initiator", false);
    assert.ok(back.ok && sameConfig(back.config, s.listenerFilter), s.name);
  }
});
