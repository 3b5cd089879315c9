/**
 * The packet-filter configuration string (`SRTO_PACKETFILTER`, handshake extension
 * `SRT_CMD_FILTER` = 7) and libsrt's built-in `fec` filter's rules for it.
 *
 * ```
 * fec,cols:N[,rows:M][,layout:even|staircase][,arq:always|onreq|never]
 * ^^^ ^^^^^^
 * type   key:value pairs, comma separated; keys and values are case-sensitive
 * ```
 *
 * Facts taken from libsrt 1.5.1 (`srtcore/fec.cpp`, `packetfilter.cpp`, `common.cpp`,
 * `core.cpp checkApplyFilterConfig`):
 *
 * - Parsing splits on `,` and then on `:`. A pair that does not split into exactly two parts
 *   is a syntax error; a pair with an empty value (`cols:`) is ignored; a later duplicate key
 *   wins.
 * - `cols` is mandatory and must be >= 2, but only when the filter is created (after the
 *   handshake): setting `fec,rows:10` is accepted, connecting with it is rejected.
 *   `rows` defaults to 1 (row groups only); `rows:-N` (N >= 2) means N-row columns without row
 *   FEC packets; 0 and -1 are invalid. Numbers are read like C `atoi`.
 * - Defaults used when merging: `rows:1,layout:staircase,arq:onreq`. libsrt's documentation
 *   calls `even` the default layout, but the code (and the wire: a 1.5.1 listener answers
 *   `fec,cols:4,rows:2` with `fec,arq:onreq,cols:4,layout:staircase,rows:2`) uses staircase.
 * - Merging: the responder (listener, rendezvous responder) fills each side's missing keys
 *   from the other side and then from the defaults, and rejects with `SRT_REJ_FILTER` when
 *   any key then differs; the initiator (caller) takes the responder's values over its own. In
 *   rendezvous both strings must be byte-identical. A side without a filter takes the peer's
 *   string as it is. The merged string lists keys in byte order (libsrt prints a `std::map`).
 *
 * @module
 */

import { RejectReason } from "./reject_reason.ts";

/** How the receiver combines FEC with retransmission requests (libsrt `SRT_ARQLevel`). */
export const ArqLevel = {
  /** Never send a NAK; FEC is the only recovery. */
  NEVER: 0,
  /** NAK only the losses that FEC reports as unrecoverable (libsrt's default). */
  ONREQ: 1,
  /** NAK every loss at once, as without a filter; FEC rebuilds what it can meanwhile. */
  ALWAYS: 2,
} as const;
/** One of the {@linkcode ArqLevel} values. */
export type ArqLevel = typeof ArqLevel[keyof typeof ArqLevel];

/** How column groups are placed in the matrix. */
export type FecLayout = "even" | "staircase";

/** A parsed filter configuration string: its type and its non-empty key/value pairs. */
export interface FilterConfig {
  /** The filter type, the first comma-separated part (`fec`). */
  readonly type: string;
  /** The parameters; a key given with an empty value is absent. */
  readonly params: ReadonlyMap<string, string>;
}

/** The `fec` filter's settings once a configuration was accepted. */
export interface FecConfig {
  /** Packets in a row group (= number of column groups in one matrix), >= 2. */
  readonly cols: number;
  /** Packets in a column group; 1 means rows only. Always positive here. */
  readonly rows: number;
  /** True for `rows:-N`: column groups only, no row FEC packets are sent or expected. */
  readonly colsOnly: boolean;
  /** Column arrangement. */
  readonly layout: FecLayout;
  /** Retransmission cooperation level. */
  readonly arq: ArqLevel;
}

/** Bytes every FEC control packet adds before the payload clip (index, flags, length). */
export const FEC_EXTRA_SIZE = 4;

/** libsrt's largest live payload (`SRT_LIVE_MAX_PLSIZE`). */
export const LIVE_MAX_PAYLOAD_SIZE = 1456;

/** The largest `SRTO_PAYLOADSIZE` allowed with the `fec` filter (1456 - 4). */
export const FEC_MAX_PAYLOAD_SIZE: number = LIVE_MAX_PAYLOAD_SIZE - FEC_EXTRA_SIZE;

/** Longest configuration string libsrt accepts (`MAX_PFILTER_LENGTH`). */
export const MAX_FILTER_CONFIG_LENGTH = 512;

/** The defaults libsrt merges in (`FECFilterBuiltin::defaultConfig`). */
export const FEC_DEFAULTS: ReadonlyMap<string, string> = new Map([
  ["rows", "1"],
  ["layout", "staircase"],
  ["arq", "onreq"],
]);

const FEC_KEYS: ReadonlySet<string> = new Set(["cols", "rows", "layout", "arq"]);
const ARQ_NAMES: Readonly<Record<string, ArqLevel>> = {
  never: ArqLevel.NEVER,
  onreq: ArqLevel.ONREQ,
  always: ArqLevel.ALWAYS,
};

/** Thrown for a configuration string the `fec` filter does not accept. */
export class FilterConfigError extends Error {
  /** The rejection reason a handshake uses for it: always `SRT_REJ_FILTER` (14). */
  readonly reason: number = RejectReason.FILTER;
  /** Creates the error with a message saying what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "FilterConfigError";
  }
}

/**
 * Parses a filter configuration string the way libsrt does (`SrtParseConfig`).
 *
 * @param text the configuration string, e.g. `fec,cols:10,rows:5`
 * @returns the type and parameters, or `undefined` on a syntax error (a part without exactly
 *   one `:`) or an empty string
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFilterConfig } from "./fec_config.ts";
 * const c = parseFilterConfig("fec,cols:,cols:10,rows:5");
 * assert.equal(c?.params.get("cols"), "10");
 * ```
 */
export function parseFilterConfig(text: string): FilterConfig | undefined {
  if (text === "") return undefined;
  const parts = text.split(",");
  const params = new Map<string, string>();
  for (let i = 1; i < parts.length; i++) {
    const kv = parts[i].split(":");
    if (kv.length !== 2) return undefined;
    if (kv[1] !== "") params.set(kv[0], kv[1]);
  }
  return { type: parts[0], params };
}

/**
 * Formats a configuration as libsrt prints a merged one: the type, then `,key:value` for
 * every parameter in byte order of the keys.
 *
 * @param config the configuration
 * @returns the string, e.g. `fec,arq:onreq,cols:4,layout:staircase,rows:2`
 */
export function formatFilterConfig(config: FilterConfig): string {
  const keys = [...config.params.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return config.type + keys.map((k) => `,${k}:${config.params.get(k)}`).join("");
}

/** C `atoi`: optional blanks, optional sign, digits; anything else ends the number. */
function atoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(text);
  if (m === null || m[2] === "") return 0;
  const n = Number(m[2].slice(0, 12));
  return m[1] === "-" ? -n : n;
}

/**
 * Checks a configuration the way libsrt does when `SRTO_PACKETFILTER` is set
 * (`FECFilterBuiltin::verifyConfig`): type `fec`, values of `layout`, `cols`, `rows` and `arq`
 * valid when present, and no other keys. `cols` may still be missing here.
 *
 * @param config a parsed configuration
 * @returns `undefined` when acceptable, otherwise the reason
 */
export function checkFecConfig(config: FilterConfig): string | undefined {
  if (config.type !== "fec") return `unknown packet filter type '${config.type}'`;
  const p = config.params;
  const layout = p.get("layout");
  if (layout !== undefined && layout !== "even" && layout !== "staircase") {
    return "value for 'layout' must be 'even' or 'staircase'";
  }
  const cols = p.get("cols");
  if (cols !== undefined && atoi(cols) < 2) return "'cols' must be specified and > 1";
  const rows = p.get("rows");
  if (rows !== undefined) {
    const r = atoi(rows);
    if (r >= -1 && r < 1) return "'rows' must be >= 1 or < -1";
  }
  const arq = p.get("arq");
  if (arq !== undefined && !Object.hasOwn(ARQ_NAMES, arq)) {
    return `'arq' value '${arq}' invalid; allowed: never, onreq, always`;
  }
  for (const k of p.keys()) {
    if (!FEC_KEYS.has(k)) return `extra parameter '${k}'; allowed only: cols, rows, layout, arq`;
  }
  return undefined;
}

/**
 * Parses and checks a string as `SRTO_PACKETFILTER` would (the option is refused on error).
 *
 * @param text the configuration string
 * @returns the parsed configuration
 * @throws {FilterConfigError} on a syntax error, an unknown type or an invalid value
 */
export function parseFecOption(text: string): FilterConfig {
  if (text.length > MAX_FILTER_CONFIG_LENGTH) {
    throw new FilterConfigError(`packet filter config longer than ${MAX_FILTER_CONFIG_LENGTH}`);
  }
  const config = parseFilterConfig(text);
  if (config === undefined) {
    throw new FilterConfigError(`packet filter config '${text}' is not TYPE[,KEY:VALUE...]`);
  }
  const err = checkFecConfig(config);
  if (err !== undefined) throw new FilterConfigError(err);
  return config;
}

/**
 * Builds the filter's settings from the configuration in force after the handshake, as
 * libsrt does when it creates the filter. Fails when `cols` is missing.
 *
 * @param text the negotiated configuration string
 * @returns the settings
 * @throws {FilterConfigError} (reason `SRT_REJ_FILTER`) when the configuration is incomplete
 *   or invalid
 */
export function fecConfigFrom(text: string): FecConfig {
  const config = parseFecOption(text);
  const p = config.params;
  const cols = p.get("cols");
  if (cols === undefined) throw new FilterConfigError("FEC parameter 'cols' is mandatory");
  const rowsValue = atoi(p.get("rows") ?? "1");
  return {
    cols: atoi(cols),
    rows: Math.abs(rowsValue),
    colsOnly: rowsValue < 0,
    layout: p.get("layout") === "even" ? "even" : "staircase",
    arq: ARQ_NAMES[p.get("arq") ?? "onreq"] ?? ArqLevel.ONREQ,
  };
}

/** Which side of the SRT handshake merges (libsrt `HSD_INITIATOR` / `HSD_RESPONDER`). */
export type FilterSide = "initiator" | "responder";

/** The outcome of {@linkcode negotiateFilter}. */
export type FilterNegotiation =
  | {
    /** Accepted. */
    readonly ok: true;
    /** The configuration in force, or `""` for no filter. */
    readonly config: string;
    /** The settings, or `undefined` for no filter. */
    readonly fec: FecConfig | undefined;
  }
  | {
    /** Rejected. */
    readonly ok: false;
    /** Always `SRT_REJ_FILTER` (14). */
    readonly reason: number;
    /** Why. */
    readonly message: string;
  };

function reject(message: string): FilterNegotiation {
  return { ok: false, reason: RejectReason.FILTER, message };
}

/**
 * Merges this side's configuration with the one the peer sent, with libsrt's rules
 * (`CUDT::checkApplyFilterConfig` and `CheckFilterCompat`), then creates the settings
 * (which is where a missing `cols` is found).
 *
 * - A caller is the initiator; a listener is the responder; in rendezvous the cookie contest
 *   decides, and `rendezvous` also demands identical strings.
 * - `peer` is `undefined` when the peer's handshake had no FILTER extension. The responder
 *   then keeps its own configuration (and sends it back). An initiator that has a filter and
 *   gets none back is rejected, as libsrt 1.5.5 does (1.5.1 silently ran with a filter the
 *   other side lacked).
 *
 * @param agent this side's `SRTO_PACKETFILTER` (`""` for none)
 * @param peer the peer's FILTER extension string, if any
 * @param side this side's handshake role
 * @param rendezvous whether the connection is a rendezvous
 * @returns the configuration in force, or a rejection with `SRT_REJ_FILTER`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { negotiateFilter } from "./fec_config.ts";
 * const r = negotiateFilter("fec,cols:10,arq:never", "fec,cols:10,rows:10", "responder", false);
 * assert.ok(r.ok && r.config === "fec,arq:never,cols:10,layout:staircase,rows:10");
 * assert.equal(negotiateFilter("fec,cols:20", "fec,cols:10", "responder", false).ok, false);
 * ```
 */
export function negotiateFilter(
  agent: string,
  peer: string | undefined,
  side: FilterSide,
  rendezvous: boolean,
): FilterNegotiation {
  let merged: string;
  if (peer === undefined || peer === "") {
    if (agent === "") return { ok: true, config: "", fec: undefined };
    if (side === "initiator" && !rendezvous) {
      return reject("the peer answered without the packet filter this side asked for");
    }
    merged = agent;
  } else {
    const theirs = parseFilterConfig(peer);
    if (theirs === undefined || theirs.type !== "fec") {
      return reject(`peer's packet filter config '${peer}' is not supported`);
    }
    if (agent === "") {
      merged = peer;
    } else {
      if (rendezvous && agent !== peer) {
        return reject("rendezvous peers must set the same packet filter config");
      }
      const mine = parseFilterConfig(agent);
      if (mine === undefined || mine.type !== theirs.type) {
        return reject(`packet filter types differ: '${agent}' and '${peer}'`);
      }
      const params = new Map(mine.params);
      if (side === "initiator") {
        for (const [k, v] of theirs.params) params.set(k, v);
      } else {
        const peerFull = new Map(theirs.params);
        for (const [k, v] of mine.params) if (!peerFull.has(k)) peerFull.set(k, v);
        for (const [k, v] of theirs.params) if (!params.has(k)) params.set(k, v);
        for (const [k, v] of FEC_DEFAULTS) {
          if (!params.has(k)) params.set(k, v);
          if (!peerFull.has(k)) peerFull.set(k, v);
        }
        const keys = new Set([...mine.params.keys(), ...theirs.params.keys()]);
        for (const k of keys) {
          if (params.get(k) !== peerFull.get(k)) {
            return reject(
              `packet filter parameter '${k}' differs: '${params.get(k)}' here, ` +
                `'${peerFull.get(k)}' at the peer`,
            );
          }
        }
      }
      merged = formatFilterConfig({ type: mine.type, params });
    }
  }
  try {
    return { ok: true, config: merged, fec: fecConfigFrom(merged) };
  } catch (err) {
    return reject((err as Error).message);
  }
}
