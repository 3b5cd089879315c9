import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  type MetricFamily,
  PROMETHEUS_CONTENT_TYPE,
  renderPrometheus,
} from "./prometheus.ts";
import { parsePrometheus } from "./prometheus_parse.ts";

describe("renderPrometheus()", () => {
  it("writes HELP, TYPE and samples in a stable order", () => {
    const families: MetricFamily[] = [
      {
        name: "zeta_gauge",
        help: "Last.",
        type: "gauge",
        samples: [{ labels: { b: "2", a: "1" }, value: 1.5 }, {
          labels: { a: "0", b: "9" },
          value: -2,
        }],
      },
      { name: "alpha_total", help: "First.", type: "counter", samples: [{ value: 7 }] },
      { name: "empty", help: "No samples yet.", type: "untyped", samples: [] },
    ];
    const text = renderPrometheus(families);
    assert.equal(
      text,
      [
        "# HELP alpha_total First.",
        "# TYPE alpha_total counter",
        "alpha_total 7",
        "# HELP empty No samples yet.",
        "# TYPE empty untyped",
        "# HELP zeta_gauge Last.",
        "# TYPE zeta_gauge gauge",
        'zeta_gauge{a="0",b="9"} -2',
        'zeta_gauge{a="1",b="2"} 1.5',
        "",
      ].join("\n"),
    );
    // Input order does not matter.
    assert.equal(renderPrometheus([...families].reverse()), text);
    assert.equal(renderPrometheus([]), "");
    assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
  });

  it("escapes help text and label values", () => {
    assert.equal(escapeHelp('a\\b\nc"d'), 'a\\\\b\\nc"d');
    assert.equal(escapeLabelValue('x\\y"z\n'), 'x\\\\y\\"z\\n');
    const text = renderPrometheus([{
      name: "m",
      help: "line one\nline two \\ backslash",
      type: "gauge",
      samples: [{ labels: { stream: 'live/"q"\\x\ny' }, value: 1 }],
    }]);
    assert.equal(
      text,
      "# HELP m line one\\nline two \\\\ backslash\n# TYPE m gauge\n" +
        'm{stream="live/\\"q\\"\\\\x\\ny"} 1\n',
    );
  });

  it("formats special values and timestamps", () => {
    assert.equal(formatValue(NaN), "NaN");
    assert.equal(formatValue(Infinity), "+Inf");
    assert.equal(formatValue(-Infinity), "-Inf");
    assert.equal(formatValue(-0), "0");
    assert.equal(formatValue(1e21), "1e+21");
    assert.equal(formatValue(0.1), "0.1");
    const text = renderPrometheus([{
      name: "g",
      help: "h",
      type: "gauge",
      samples: [{ value: NaN, timestampMs: 1700000000123.9 }],
    }]);
    assert.equal(text.split("\n")[2], "g NaN 1700000000123");
  });

  it("refuses invalid names, types, negative counters and duplicates", () => {
    const g = (over: Partial<MetricFamily>): MetricFamily[] => [{
      name: "ok_total",
      help: "h",
      type: "counter",
      samples: [],
      ...over,
    }];
    assert.throws(() => renderPrometheus(g({ name: "1bad_total" })), TypeError);
    assert.throws(() => renderPrometheus(g({ name: "bad-name_total" })), TypeError);
    assert.throws(() => renderPrometheus(g({ name: "requests" })), /_total/);
    assert.throws(() => renderPrometheus(g({ type: "histogram" as "gauge" })), TypeError);
    assert.throws(() => renderPrometheus(g({ samples: [{ value: -1 }] })), /negative/);
    assert.throws(
      () => renderPrometheus(g({ samples: [{ labels: { "a-b": "x" }, value: 1 }] })),
      TypeError,
    );
    assert.throws(
      () => renderPrometheus(g({ samples: [{ labels: { __name__: "x" }, value: 1 }] })),
      TypeError,
    );
    assert.throws(
      () =>
        renderPrometheus(
          g({ samples: [{ labels: { a: "1" }, value: 1 }, { labels: { a: "1" }, value: 2 }] }),
        ),
      /Duplicate/,
    );
    assert.throws(() => renderPrometheus([...g({}), ...g({})]), /twice/);
  });
});

describe("parsePrometheus()", () => {
  it("round-trips what renderPrometheus writes, exactly", () => {
    const nasty = 'live/"cam"\\1\nnext, {x="y"}';
    const families: MetricFamily[] = [
      {
        name: "srt_sent_packets_total",
        help: "Packets \\ sent\nacross lines",
        type: "counter",
        samples: [
          { labels: { stream: nasty, peer: "[2001:db8::1]:9000" }, value: 123456789012 },
          { labels: { stream: "b", peer: "p" }, value: 0 },
        ],
      },
      {
        name: "srt_rtt_seconds",
        help: "RTT.",
        type: "gauge",
        samples: [
          { labels: { stream: "b" }, value: 0.0125 },
          { labels: { stream: "c" }, value: 1.7976931348623157e308 },
          { labels: { stream: "d" }, value: 5e-324 },
          { labels: { stream: "e" }, value: NaN },
          { labels: { stream: "f" }, value: -Infinity },
          { labels: { stream: "g" }, value: 3, timestampMs: 42 },
        ],
      },
    ];
    const parsed = parsePrometheus(renderPrometheus(families));
    assert.deepEqual([...parsed.keys()], ["srt_rtt_seconds", "srt_sent_packets_total"]);
    const sent = parsed.get("srt_sent_packets_total")!;
    assert.equal(sent.help, "Packets \\ sent\nacross lines");
    assert.equal(sent.type, "counter");
    const byStream = new Map(sent.samples.map((s) => [s.labels.stream, s]));
    assert.deepEqual(byStream.get(nasty)?.labels, { stream: nasty, peer: "[2001:db8::1]:9000" });
    assert.equal(byStream.get(nasty)?.value, 123456789012);
    const rtt = new Map(parsed.get("srt_rtt_seconds")!.samples.map((s) => [s.labels.stream, s]));
    assert.equal(rtt.get("b")?.value, 0.0125);
    assert.equal(rtt.get("c")?.value, 1.7976931348623157e308);
    assert.equal(rtt.get("d")?.value, 5e-324);
    assert.ok(Number.isNaN(rtt.get("e")?.value));
    assert.equal(rtt.get("f")?.value, -Infinity);
    assert.equal(rtt.get("g")?.timestampMs, 42);
    assert.equal(rtt.get("b")?.timestampMs, undefined);
  });

  it("reads hand-written text: comments, spacing, trailing commas, +Inf", () => {
    const f = parsePrometheus(
      '# a comment\n\n# TYPE x gauge\nx{ a="1" , b="2",} +Inf\nx\t3\ny{} 1e3 -5\n',
    );
    assert.deepEqual(f.get("x")?.samples.map((s) => [s.labels, s.value]), [
      [{ a: "1", b: "2" }, Infinity],
      [{}, 3],
    ]);
    assert.equal(f.get("y")?.samples[0].value, 1000);
    assert.equal(f.get("y")?.samples[0].timestampMs, -5);
    assert.equal(f.get("y")?.type, undefined);
  });

  it("throws SyntaxError naming the line for malformed input", () => {
    const bad = [
      "x",
      "x{a=1} 2",
      'x{a="1} 2',
      'x{a="1" b="2"} 3',
      'x{a="1",a="2"} 3',
      "x abc",
      "x 1 2 3",
      "x 1 1.5",
      "-x 1",
      'x{a="1"}2',
    ];
    for (const text of bad) {
      assert.throws(() => parsePrometheus("# TYPE x gauge\n" + text + "\n"), (e: unknown) => {
        assert.ok(e instanceof SyntaxError, text);
        assert.match((e as Error).message, /^line 2: /, text);
        return true;
      });
    }
  });
});
