/**
 * A small parser of the Prometheus text exposition format (0.0.4), enough to check what
 * `renderPrometheus` (in `prometheus.ts`) writes: `# HELP`, `# TYPE`, comments, samples with escaped
 * label values, `NaN`/`±Inf` and optional timestamps. Histograms and summaries are read as
 * plain samples under their own names.
 *
 * @module
 */

/**
 * One parsed sample line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ParsedSample, parsePrometheus } from "@tsrt/tsrt/server";
 * const families = parsePrometheus('srt_rtt_seconds{peer="10.0.0.1:5000"} 0.012\n');
 * const sample: ParsedSample = families.get("srt_rtt_seconds")!.samples[0];
 * assert.deepEqual(sample.labels, { peer: "10.0.0.1:5000" });
 * assert.equal(sample.value, 0.012);
 * ```
 */
export interface ParsedSample {
  /** Metric name. */
  readonly name: string;
  /** Labels, unescaped. */
  readonly labels: Readonly<Record<string, string>>;
  /** Value. */
  readonly value: number;
  /** Timestamp in ms, if present. */
  readonly timestampMs?: number;
}

/**
 * A family: its help and type lines and its samples, in input order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ParsedFamily, parsePrometheus } from "@tsrt/tsrt/server";
 * const text = "# HELP up Whether it runs.\n# TYPE up gauge\nup 1\n";
 * const up: ParsedFamily | undefined = parsePrometheus(text).get("up");
 * assert.equal(up?.type, "gauge");
 * assert.equal(up?.help, "Whether it runs.");
 * assert.equal(up?.samples.length, 1);
 * ```
 */
export interface ParsedFamily {
  /** Name. */
  readonly name: string;
  /** Unescaped help text, if a `# HELP` line was present. */
  help?: string;
  /** Type from `# TYPE`, if present. */
  type?: string;
  /** Samples. */
  readonly samples: ParsedSample[];
}

function unescape(text: string, quotes: boolean): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "\\" || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const n = text[i + 1];
    if (n === "\\") out += "\\";
    else if (n === "n") out += "\n";
    else if (n === '"' && quotes) out += '"';
    else out += c + n;
    i++;
  }
  return out;
}

function parseNumber(token: string, line: number): number {
  if (token === "NaN") return NaN;
  if (token === "+Inf" || token === "Inf") return Infinity;
  if (token === "-Inf") return -Infinity;
  const v = token === "" ? NaN : Number(token);
  if (Number.isNaN(v)) throw new SyntaxError(`line ${line}: bad number ${JSON.stringify(token)}`);
  return v;
}

/**
 * Parses exposition text. Throws `SyntaxError` naming the line for malformed input.
 *
 * @param text The exposition text.
 * @returns Families by name, in order of first appearance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePrometheus } from "./prometheus_parse.ts";
 *
 * const f = parsePrometheus('# TYPE up gauge\nup{job="a\\"b"} 1\n');
 * assert.equal(f.get("up")?.type, "gauge");
 * assert.deepEqual(f.get("up")?.samples[0].labels, { job: 'a"b' });
 * ```
 */
export function parsePrometheus(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  const family = (name: string): ParsedFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const lines = text.split("\n");
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln];
    const no = ln + 1;
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/.exec(line);
      if (!m) continue; // an ordinary comment
      const f = family(m[2]);
      if (m[1] === "HELP") f.help = unescape(m[3] ?? "", false);
      else f.type = (m[3] ?? "").trim();
      continue;
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nm) throw new SyntaxError(`line ${no}: expected a metric name`);
    const name = nm[0];
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === "{") {
      i++;
      for (;;) {
        while (line[i] === " ") i++;
        if (line[i] === "}") {
          i++;
          break;
        }
        const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(line.slice(i));
        if (!lm) throw new SyntaxError(`line ${no}: bad label at column ${i + 1}`);
        i += lm[0].length;
        let raw = "";
        while (i < line.length && line[i] !== '"') {
          if (line[i] === "\\" && i + 1 < line.length) {
            raw += line[i] + line[i + 1];
            i += 2;
          } else raw += line[i++];
        }
        if (line[i] !== '"') throw new SyntaxError(`line ${no}: unterminated label value`);
        i++;
        if (Object.hasOwn(labels, lm[1])) {
          throw new SyntaxError(`line ${no}: label ${lm[1]} repeated`);
        }
        Object.defineProperty(labels, lm[1], {
          value: unescape(raw, true),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        while (line[i] === " ") i++;
        if (line[i] === ",") i++;
        else if (line[i] !== "}") throw new SyntaxError(`line ${no}: expected , or }`);
      }
    }
    const rest = line.slice(i).trim().split(/\s+/);
    if (line[i] !== " " && line[i] !== "\t") {
      throw new SyntaxError(`line ${no}: expected whitespace before the value`);
    }
    if (rest.length < 1 || rest.length > 2 || rest[0] === "") {
      throw new SyntaxError(`line ${no}: expected a value and an optional timestamp`);
    }
    const value = parseNumber(rest[0], no);
    const sample: { -readonly [K in keyof ParsedSample]: ParsedSample[K] } = {
      name,
      labels,
      value,
    };
    if (rest.length === 2) {
      const ts = Number(rest[1]);
      if (!Number.isInteger(ts)) throw new SyntaxError(`line ${no}: bad timestamp`);
      sample.timestampMs = ts;
    }
    family(name).samples.push(sample);
  }
  return families;
}
