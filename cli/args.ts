/**
 * Command-line arguments of `tsrt`, in the spirit of srt-live-transmit: options may be
 * written `--name value`, `--name=value`, `-name value` or `-name:value`, and booleans accept
 * `-a:no` / `--auto-reconnect=yes`.
 *
 * @module
 */

/** What the command line asks for. */
export type CliCommand = "relay" | "inspect" | "help" | "version";

/** Formats of periodic statistics (srt-live-transmit's `-pf`). */
export type StatsFormat = "json" | "csv" | "text";

/** Parsed command line. */
export interface CliArgs {
  /** `relay` (`tsrt <in> <out>`), `inspect`, `help` or `version`. */
  readonly command: CliCommand;
  /** Input URI. */
  readonly input: string | undefined;
  /** Output URI (relay only). */
  readonly output: string | undefined;
  /** Bytes read at once from file and stdin input (`-chunk`); default: the SRT payload size. */
  readonly chunk: number | undefined;
  /** Pace file and stdin input by its MPEG-TS PCR. */
  readonly realtime: boolean;
  /** Statistics period in milliseconds, or undefined for none. */
  readonly statsEveryMs: number | undefined;
  /** Statistics format. */
  readonly statsFormat: StatsFormat;
  /** File to write statistics to (default stderr). */
  readonly statsOut: string | undefined;
  /** Reconnect a caller whose connection drops. */
  readonly autoReconnect: boolean;
  /** Exit after this many seconds. */
  readonly timeoutS: number | undefined;
  /** 0 quiet, 1 normal, 2 verbose. */
  readonly verbosity: 0 | 1 | 2;
  /** Environment variable holding a passphrase. */
  readonly passphraseEnv: string | undefined;
  /** File holding a passphrase. */
  readonly passphraseFile: string | undefined;
  /** `inspect`: print one JSON document (or one per period with `-s`). */
  readonly json: boolean;
}

/** A usage error: the message is printed with the usage hint, and tsrt exits with 2. */
export class UsageError extends TypeError {
  /** @param message what is wrong with the command line */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type OptionName =
  | "chunk"
  | "realtime"
  | "stats-every"
  | "stats-format"
  | "stats-out"
  | "auto-reconnect"
  | "timeout"
  | "verbose"
  | "quiet"
  | "passphrase-env"
  | "passphrase-file"
  | "json"
  | "help"
  | "version";

const ALIASES: Record<string, OptionName> = {
  c: "chunk",
  chunk: "chunk",
  r: "realtime",
  re: "realtime",
  realtime: "realtime",
  s: "stats-every",
  stats: "stats-every",
  "stats-every": "stats-every",
  "stats-report-frequency": "stats-every",
  pf: "stats-format",
  "stats-format": "stats-format",
  statsout: "stats-out",
  "stats-out": "stats-out",
  a: "auto-reconnect",
  auto: "auto-reconnect",
  autoreconnect: "auto-reconnect",
  "auto-reconnect": "auto-reconnect",
  t: "timeout",
  to: "timeout",
  timeout: "timeout",
  v: "verbose",
  verbose: "verbose",
  q: "quiet",
  quiet: "quiet",
  "passphrase-env": "passphrase-env",
  "passphrase-file": "passphrase-file",
  json: "json",
  h: "help",
  help: "help",
  version: "version",
};

const BOOLEAN: ReadonlySet<OptionName> = new Set([
  "realtime",
  "auto-reconnect",
  "verbose",
  "quiet",
  "json",
  "help",
  "version",
]);

function parseBool(name: string, v: string): boolean {
  if (/^(1|y|yes|on|true)$/i.test(v)) return true;
  if (/^(0|n|no|off|false)$/i.test(v)) return false;
  throw new UsageError(`option ${name}: expected yes or no, got "${v}"`);
}

function parseNumber(name: string, v: string, min: number, max: number, int: boolean): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || (int && !Number.isInteger(n))) {
    throw new UsageError(`option ${name}: expected ${int ? "an integer" : "a number"}, got "${v}"`);
  }
  if (n < min || n > max) throw new UsageError(`option ${name}: must be in ${min}..${max}`);
  return n;
}

/**
 * Parses `tsrt`'s arguments (without the program name).
 *
 * @param argv the arguments, e.g. `process.argv.slice(2)`
 * @returns the parsed command line
 * @throws {UsageError} naming the offending option or argument
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArgs } from "./args.ts";
 * const a = parseArgs(["-a:no", "-s", "1000", "udp://:5000", "srt://127.0.0.1:9000"]);
 * assert.equal(a.statsEveryMs, 1000);
 * assert.equal(a.output, "srt://127.0.0.1:9000");
 * ```
 */
export function parseArgs(argv: readonly string[]): CliArgs {
  const positional: string[] = [];
  const seen = new Map<OptionName, string | boolean>();
  let command: CliCommand = "relay";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // `deno task tsrt -- ...` passes the "--" on; URIs never need it (use file:// for a path
    // that starts with "-"), so it is ignored.
    if (arg === "--") continue;
    if (arg === "-" || !arg.startsWith("-") || /^-\d/.test(arg)) {
      if (positional.length === 0 && command === "relay" && arg === "inspect") {
        command = "inspect";
      } else positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const m = /^([a-zA-Z][a-zA-Z-]*)(?:[=:](.*))?$/s.exec(body);
    const name = m ? ALIASES[m[1]] ?? ALIASES[m[1].toLowerCase()] : undefined;
    if (!m || name === undefined) {
      throw new UsageError(`unknown option "${arg}"`);
    }
    const inline = m[2];
    if (BOOLEAN.has(name)) {
      seen.set(name, inline === undefined ? true : parseBool(arg, inline));
    } else if (inline !== undefined) {
      seen.set(name, inline);
    } else {
      const v = argv[i + 1];
      if (v === undefined) throw new UsageError(`option ${arg} needs a value`);
      seen.set(name, v);
      i++;
    }
  }
  const str = (n: OptionName): string | undefined => {
    const v = seen.get(n);
    return typeof v === "string" ? v : undefined;
  };
  const flag = (n: OptionName): boolean => seen.get(n) === true;

  if (flag("help")) command = "help";
  else if (flag("version")) command = "version";

  const fmt = str("stats-format") ?? "text";
  if (fmt !== "json" && fmt !== "csv" && fmt !== "text") {
    throw new UsageError(`option --stats-format: expected json, csv or text, got "${fmt}"`);
  }
  const chunkText = str("chunk");
  const statsText = str("stats-every");
  const timeoutText = str("timeout");
  if (flag("verbose") && flag("quiet")) throw new UsageError("-v and -q cannot be combined");
  if (str("passphrase-env") !== undefined && str("passphrase-file") !== undefined) {
    throw new UsageError("--passphrase-env and --passphrase-file cannot be combined");
  }

  if (command === "relay" || command === "inspect") {
    const want = command === "relay" ? 2 : 1;
    if (positional.length < want) {
      throw new UsageError(
        command === "relay"
          ? `expected an input and an output URI, got ${positional.length} argument(s)`
          : "inspect needs an input URI",
      );
    }
    if (positional.length > want) {
      throw new UsageError(`unexpected argument "${positional[want]}"`);
    }
  }
  if (flag("json") && command === "relay") {
    throw new UsageError("--json applies to tsrt inspect (use --stats-format json)");
  }

  return {
    command,
    input: positional[0],
    output: command === "relay" ? positional[1] : undefined,
    chunk: chunkText === undefined ? undefined : parseNumber("-chunk", chunkText, 1, 65536, true),
    realtime: flag("realtime"),
    statsEveryMs: statsText === undefined
      ? undefined
      : parseNumber("--stats-every", statsText, 1, 86_400_000, true),
    statsFormat: fmt,
    statsOut: str("stats-out"),
    autoReconnect: flag("auto-reconnect"),
    timeoutS: timeoutText === undefined
      ? undefined
      : parseNumber("--timeout", timeoutText, 0, 31_536_000, false),
    verbosity: flag("quiet") ? 0 : flag("verbose") ? 2 : 1,
    passphraseEnv: str("passphrase-env"),
    passphraseFile: str("passphrase-file"),
    json: flag("json"),
  };
}
