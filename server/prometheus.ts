/**
 * Prometheus text exposition format (version 0.0.4) writer.
 *
 * Output is deterministic: families sorted by name, samples by their label values, labels
 * within a sample by name. Each family gets `# HELP` and `# TYPE` lines; counter names must end
 * in `_total`. Help text escapes `\` and newline; label values also escape `"`. Serve the text
 * with {@linkcode PROMETHEUS_CONTENT_TYPE}.
 *
 * @module
 */

/**
 * Content-Type header value for this format.
 *
 * @example
 * ```ts
 * import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "@tsrt/tsrt/server";
 * const body = renderPrometheus([
 *   { name: "up", help: "Whether the exporter runs.", type: "gauge", samples: [{ value: 1 }] },
 * ]);
 * const response = new Response(body, { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
 * console.log(response.headers.get("content-type"));
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE: string = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Metric types this writer emits.
 *
 * @example
 * ```ts
 * import type { MetricFamily, MetricType } from "@tsrt/tsrt/server";
 * const type: MetricType = "counter";
 * const family: MetricFamily = {
 *   name: "tsrt_errors_total",
 *   help: "Errors.",
 *   type,
 *   samples: [{ value: 0 }],
 * };
 * console.log(family.name);
 * ```
 */
export type MetricType = "counter" | "gauge" | "untyped";

/**
 * One sample of a family: a label set and a value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MetricSample, renderPrometheus } from "@tsrt/tsrt/server";
 * const sample: MetricSample = { labels: { stream: "live/a" }, value: 2.5 };
 * const text = renderPrometheus([
 *   { name: "tsrt_rtt_ms", help: "RTT.", type: "gauge", samples: [sample] },
 * ]);
 * assert.ok(text.includes('tsrt_rtt_ms{stream="live/a"} 2.5\n'));
 * ```
 */
export interface MetricSample {
  /** Label names and values (names `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** The value; NaN and ±Infinity are allowed. */
  readonly value: number;
  /** Optional timestamp in ms since the Unix epoch. */
  readonly timestampMs?: number;
}

/**
 * A metric family: name, help, type and samples.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MetricFamily, renderPrometheus } from "@tsrt/tsrt/server";
 * const family: MetricFamily = {
 *   name: "tsrt_players",
 *   help: "Players per stream.",
 *   type: "gauge",
 *   samples: [{ labels: { stream: "live/a" }, value: 3 }],
 * };
 * assert.equal(
 *   renderPrometheus([family]),
 *   "# HELP tsrt_players Players per stream.\n" +
 *     "# TYPE tsrt_players gauge\n" +
 *     'tsrt_players{stream="live/a"} 3\n',
 * );
 * ```
 */
export interface MetricFamily {
  /** Metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`); counters end in `_total`. */
  readonly name: string;
  /** Help text (any characters; escaped on output). */
  readonly help: string;
  /** The type. */
  readonly type: MetricType;
  /** The samples; a family with none is still written (HELP and TYPE only). */
  readonly samples: readonly MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Escapes help text: `\` as `\\` and newline as `\n`.
 *
 * @param text Help text.
 * @returns Escaped text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHelp } from "@tsrt/tsrt/server";
 * assert.equal(escapeHelp("first line\nC:\\path"), "first line\\nC:\\\\path");
 * ```
 */
export function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/**
 * Escapes a label value: `\` as `\\`, `"` as `\"`, newline as `\n`.
 *
 * @param value Label value.
 * @returns Escaped value (without the surrounding quotes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeLabelValue } from "./prometheus.ts";
 *
 * assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/**
 * Formats a sample value as Prometheus expects (`NaN`, `+Inf`, `-Inf`, or a Go-parsable float).
 *
 * @param value The value.
 * @returns Its text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatValue } from "@tsrt/tsrt/server";
 * assert.equal(formatValue(Infinity), "+Inf");
 * assert.equal(formatValue(NaN), "NaN");
 * assert.equal(formatValue(0.25), "0.25");
 * ```
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Object.is(value, -0)) return "0";
  return String(value);
}

function labelKey(labels: Readonly<Record<string, string>> | undefined): string {
  if (!labels) return "";
  return Object.keys(labels).sort()
    .map((k) => `${k}="${escapeLabelValue(labels[k])}"`)
    .join(",");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Writes metric families in the text exposition format.
 *
 * Throws `TypeError` for invalid metric or label names, a counter not named `*_total`, a
 * negative counter, a family name used twice, or two samples with the same labels: these are
 * programming errors.
 *
 * @param families The families to write.
 * @returns The exposition text, ending in a newline (empty string for no families).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderPrometheus } from "./prometheus.ts";
 *
 * const text = renderPrometheus([{
 *   name: "srt_sent_packets_total",
 *   help: "Data packets sent.",
 *   type: "counter",
 *   samples: [{ labels: { stream: "live/a", peer: "192.0.2.1:5000" }, value: 42 }],
 * }]);
 * assert.equal(
 *   text,
 *   "# HELP srt_sent_packets_total Data packets sent.\n" +
 *     "# TYPE srt_sent_packets_total counter\n" +
 *     'srt_sent_packets_total{peer="192.0.2.1:5000",stream="live/a"} 42\n',
 * );
 * ```
 */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) {
      throw new TypeError(`Invalid metric name ${JSON.stringify(f.name)}`);
    }
    if (seen.has(f.name)) throw new TypeError(`Metric family ${f.name} is given twice`);
    seen.add(f.name);
    if (f.type === "counter" && !f.name.endsWith("_total")) {
      throw new TypeError(`Counter ${f.name} must be named *_total`);
    }
    if (f.type !== "counter" && f.type !== "gauge" && f.type !== "untyped") {
      throw new TypeError(`Unsupported metric type ${JSON.stringify(f.type)} for ${f.name}`);
    }
  }
  const lines: string[] = [];
  for (const f of [...families].sort((a, b) => compare(a.name, b.name))) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    const rows: Array<[string, string]> = [];
    const keys = new Set<string>();
    for (const s of f.samples) {
      for (const name of Object.keys(s.labels ?? {})) {
        if (!LABEL_NAME.test(name) || name.startsWith("__")) {
          throw new TypeError(`Invalid label name ${JSON.stringify(name)} in ${f.name}`);
        }
      }
      if (f.type === "counter" && s.value < 0) {
        throw new TypeError(`Counter ${f.name} cannot be negative (${s.value})`);
      }
      const key = labelKey(s.labels);
      if (keys.has(key)) throw new TypeError(`Duplicate sample {${key}} in ${f.name}`);
      keys.add(key);
      let line = key === "" ? f.name : `${f.name}{${key}}`;
      line += ` ${formatValue(s.value)}`;
      if (s.timestampMs !== undefined) line += ` ${Math.trunc(s.timestampMs)}`;
      rows.push([key, line]);
    }
    rows.sort((a, b) => compare(a[0], b[0]));
    for (const [, line] of rows) lines.push(line);
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
