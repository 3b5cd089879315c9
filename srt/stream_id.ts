/**
 * SRT stream ID parsing and formatting.
 *
 * The stream ID (`SRTO_STREAMID`, handshake extension `SRT_CMD_SID`) is a UTF-8 string of at
 * most 512 bytes that a caller sends to a listener. The SRT access-control document defines a
 * flat `#!::key=value,key=value` syntax with the standard keys `u` (user), `r` (resource),
 * `h` (host), `s` (session), `t` (type) and `m` (mode); custom keys are `user_*` or
 * `vendor_*`. No escaping exists, so a value can never contain `,`; a value may contain `=`
 * because a pair is split at its first `=`.
 *
 * Real clients send other shapes too. {@linkcode parseStreamId} recognises each of them,
 * normalises it into the same {@linkcode StreamId} value and records the dialect in
 * {@linkcode StreamId.syntax}:
 *
 * | syntax | example | notes |
 * |---|---|---|
 * | `empty` | `` | no stream ID (HSv4 callers, old Makito firmware) |
 * | `plain` | `live/stream` | the whole string is the resource (SRS, Ant Media, Mux keys) |
 * | `access-control` | `#!::r=live/a,m=publish,u=bob` | the SRT specification |
 * | `srs` | `#!::h=live/a,m=publish` | SRS's legacy form: `h` is the resource when `r` is absent, and `?` in it starts more keys (`h=live/a?secret=x`) |
 * | `mediamtx` | `publish:path:user:pass:query`, `read:path` | MediaMTX's own syntax |
 * | `datarhei` | `path,mode:publish,token:abc` | datarhei Core / Restreamer |
 * | `datarhei-legacy` | `#!:m=publish,r=path,token=abc` | datarhei's older one-colon form |
 *
 * A stream ID that arrives wholly percent-encoded (`%23%21%3A%3Ar%3D…`, from clients that
 * URL-encode the option value) is decoded first, as datarhei Core does; only an encoded `#!`
 * prefix triggers this, so literal `%` in other stream IDs is left alone.
 *
 * FFmpeg (and so OBS) passes `streamid=` through its URL option parser, which turns every `+`
 * into a space and performs no percent-decoding. A listener therefore receives `a b` for a
 * caller configured with `a+b`, and cannot tell the two apart: the `+` is unrecoverable.
 * Compare names with {@linkcode normalizeStreamName} (which maps `+` to a space on both sides)
 * when such clients must match configured names containing `+`.
 *
 * Everything here is pure: no I/O, no clocks.
 *
 * @module
 */

/** Largest stream ID in bytes of UTF-8, as enforced by libsrt (`MAX_SID_LENGTH`). */
export const STREAM_ID_MAX_BYTES: number = 512;

/**
 * What the caller wants to do: `request` = receive (spec default), `publish` = send.
 *
 * @example
 * ```ts
 * import type { AccessUser, StreamIdMode } from "@tsrt/tsrt/server";
 * const playOnly: StreamIdMode[] = ["request"];
 * const viewer: AccessUser = { password: "viewer-password", modes: playOnly };
 * console.log(viewer.modes);
 * ```
 */
export type StreamIdMode = "request" | "publish" | "bidirectional";

/**
 * The `t` key: `stream` (spec default), `file`, or `auth` (reserved for future use).
 *
 * @example
 * ```ts
 * import { AccessControl, type StreamIdType } from "@tsrt/tsrt/server";
 * // Serve live streams and file transfers (t=file); anything else is UNACCEPTABLE.
 * const types: StreamIdType[] = ["stream", "file"];
 * const ac = new AccessControl({ types });
 * console.log(ac.counters.decisions);
 * ```
 */
export type StreamIdType = "stream" | "file" | "auth";

/**
 * The dialect a stream ID was recognised as.
 *
 * @example
 * ```ts
 * import { AccessControl, type StreamIdSyntax } from "@tsrt/tsrt/server";
 * const seen = new Map<StreamIdSyntax | string, number>();
 * const ac = new AccessControl({}, {
 *   logger: (e) => e.via && seen.set(e.via, (seen.get(e.via) ?? 0) + 1),
 * });
 * const peer = { hostname: "192.0.2.7", port: 1 };
 * ac.decide({ peer, streamId: "publish:live/a", listenerPort: 9000 }, 0);
 * console.log(seen); // Map { "mediamtx" => 1 }
 * ```
 */
export type StreamIdSyntax =
  | "empty"
  | "plain"
  | "access-control"
  | "srs"
  | "mediamtx"
  | "datarhei"
  | "datarhei-legacy";

/**
 * The non-specification dialects that {@linkcode parseStreamId} can be told to recognise.
 *
 * @example
 * ```ts
 * import type { ParseStreamIdOptions, StreamIdDialect } from "@tsrt/tsrt/server";
 * // Only the specification's #!:: form plus SRS's, not MediaMTX's or datarhei's.
 * const dialects: StreamIdDialect[] = ["srs"];
 * const parse: ParseStreamIdOptions = { dialects };
 * console.log(parse);
 * ```
 */
export type StreamIdDialect = "srs" | "mediamtx" | "datarhei";

/** Remarks about normalisations applied while parsing (for logs; never needed for routing). */
export type StreamIdNote =
  /** SRS legacy: `h` taken as the resource because `r` was absent. */
  | "h-as-resource"
  /** SRS legacy: `?` in the value was treated as `,` (e.g. `h=live/a?secret=x`). */
  | "question-mark-split"
  /** Whitespace around a key was removed. */
  | "key-trimmed"
  /** An empty `,,` item or a trailing `,` was skipped. */
  | "empty-item-skipped"
  /** datarhei legacy: an item without `=` was skipped. */
  | "item-without-equals-skipped"
  /** A `m`/`t` value was lower-cased (SRS compares them case-insensitively). */
  | "value-case-folded"
  /** A value contains a space, which may have been a `+` before FFmpeg's URL parser. */
  | "space-in-value"
  /** MediaMTX: a trailing `#feedbackplay` was removed. */
  | "feedbackplay-stripped"
  /** The whole stream ID was percent-encoded (`%23%21%3A%3A…`) and has been decoded. */
  | "percent-decoded";

/** A parsed stream ID, identical in shape whatever dialect the caller used. */
export interface StreamId {
  /** The stream ID exactly as received. */
  readonly raw: string;
  /** The dialect it was recognised as. */
  readonly syntax: StreamIdSyntax;
  /** `u`: the user name (selects a per-user passphrase). */
  readonly user?: string;
  /** `r`: the resource (stream path, file name). */
  readonly resource?: string;
  /** `h`: the host name of the resource (an SRS vhost). */
  readonly host?: string;
  /** `s`: the session ID, a one-shot token negotiated out of band. */
  readonly session?: string;
  /** A password: MediaMTX's `user:pass`, or `s` when `sessionAsPassword` is set. */
  readonly password?: string;
  /** A shared token: datarhei `token`, or the `token`/`secret` keys (SRS's `secret`). */
  readonly token?: string;
  /** MediaMTX's trailing free-form query part. */
  readonly query?: string;
  /** `t`, `stream` unless given. */
  readonly type: StreamIdType;
  /** `m`, `request` unless given. */
  readonly mode: StreamIdMode;
  /** Whether the mode was given explicitly (Makito "Standard Keys" callers omit it). */
  readonly modeGiven: boolean;
  /** Every key that is not a standard one, with its value. */
  readonly custom: Readonly<Record<string, string>>;
  /** Normalisations applied, in the order they happened. */
  readonly notes: readonly StreamIdNote[];
}

/** Why a stream ID was refused. */
export type StreamIdErrorCode =
  | "too-long"
  | "invalid-utf8"
  | "control-character"
  | "unsupported-syntax"
  | "missing-equals"
  | "empty-key"
  | "duplicate-key"
  | "unsupported-key"
  | "bad-mode"
  | "bad-type";

/** A refused stream ID, with the SRT_REJX rejection code a listener should answer with. */
export interface StreamIdError {
  /** Machine-readable cause. */
  readonly code: StreamIdErrorCode;
  /** Human-readable explanation. */
  readonly message: string;
  /** SRT_REJX code: 1400 BAD_REQUEST, 1405 BAD_MODE or 1001 KEY_NOTSUP. */
  readonly reason: number;
}

/** Result of {@linkcode parseStreamId}: never throws for bad input. */
export type StreamIdResult =
  | { readonly ok: true; readonly value: StreamId }
  | { readonly ok: false; readonly error: StreamIdError };

/**
 * Options for {@linkcode parseStreamId}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type ParseStreamIdOptions } from "@tsrt/tsrt/server";
 * // Refuse keys the specification does not define, with KEY_NOTSUP (1001).
 * const parse: ParseStreamIdOptions = { strictKeys: true };
 * const ac = new AccessControl({ parse });
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * const d = ac.decide({ peer, streamId: "#!::r=live/a,x=1", listenerPort: 9000 }, 0);
 * assert.equal(!d.accept && d.reason, 1001);
 * ```
 */
export interface ParseStreamIdOptions {
  /** Non-spec dialects to recognise. Default: all of `srs`, `mediamtx`, `datarhei`. */
  dialects?: readonly StreamIdDialect[];
  /**
   * Refuse (KEY_NOTSUP, 1001) keys the specification does not allow: single letters other
   * than u, r, h, s, t, m, and keys without a `vendor_` style prefix. Default false: such keys
   * land in {@linkcode StreamId.custom}.
   */
  strictKeys?: boolean;
  /** Also read `s` as a password, as MediaMTX does. Default false. */
  sessionAsPassword?: boolean;
  /**
   * SRS's `?` to `,` rewrite: `auto` (default) applies it only in the legacy form where `h`
   * stands for the resource (so the spec's `r=videos/query.php?vid=366` keeps its `?`),
   * `always` applies it to every `#!::` string, `never` turns it off.
   */
  questionMark?: "auto" | "always" | "never";
  /**
   * Decode a stream ID that arrives wholly percent-encoded, recognised by an encoded `#!`
   * prefix (`%23%21` or `%23!`), as datarhei Core does. Other stream IDs are never decoded
   * (FFmpeg sends `%23` literally). Default true.
   */
  percentDecode?: boolean;
}

const REJX_KEY_NOTSUP = 1001;
const REJX_BAD_REQUEST = 1400;
const REJX_BAD_MODE = 1405;

const MODES: readonly StreamIdMode[] = ["request", "publish", "bidirectional"];
const TYPES: readonly StreamIdType[] = ["stream", "file", "auth"];
const ALL_DIALECTS: readonly StreamIdDialect[] = ["srs", "mediamtx", "datarhei"];

function fail(code: StreamIdErrorCode, message: string, reason = REJX_BAD_REQUEST): StreamIdResult {
  return { ok: false, error: { code, message, reason } };
}

/**
 * Number of bytes `text` takes in UTF-8, or -1 if it holds a lone surrogate (which has no
 * UTF-8 form).
 */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -1;
      n += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else n += 3;
  }
  return n;
}

function findControl(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return i;
  }
  return -1;
}

/** Mutable accumulator used while parsing one stream ID. */
interface Draft {
  syntax: StreamIdSyntax;
  user?: string;
  resource?: string;
  host?: string;
  session?: string;
  password?: string;
  token?: string;
  query?: string;
  type: StreamIdType;
  mode: StreamIdMode;
  modeGiven: boolean;
  custom: Record<string, string>;
  notes: StreamIdNote[];
}

function note(d: Draft, n: StreamIdNote): void {
  if (!d.notes.includes(n)) d.notes.push(n);
}

function parseMode(d: Draft, value: string, key: string): StreamIdError | undefined {
  const folded = value.toLowerCase();
  if (!(MODES as readonly string[]).includes(folded)) {
    return {
      code: "bad-mode",
      message: `unsupported mode ${JSON.stringify(value)} in "${key}": expected request, ` +
        `publish or bidirectional`,
      reason: REJX_BAD_MODE,
    };
  }
  if (folded !== value) note(d, "value-case-folded");
  d.mode = folded as StreamIdMode;
  d.modeGiven = true;
  return undefined;
}

/** Splits `k=v,k=v` content and fills `d`. Returns an error or undefined. */
function parseKeyValues(
  d: Draft,
  content: string,
  options: ParseStreamIdOptions,
  lenient: boolean,
): StreamIdError | undefined {
  const seen = new Set<string>();
  for (const item of content.split(",")) {
    if (item === "") {
      if (content !== "") note(d, "empty-item-skipped");
      continue;
    }
    const eq = item.indexOf("=");
    if (eq < 0) {
      if (lenient) {
        note(d, "item-without-equals-skipped");
        continue;
      }
      return {
        code: "missing-equals",
        message: `item ${JSON.stringify(item)} is not key=value (values cannot contain ",")`,
        reason: REJX_BAD_REQUEST,
      };
    }
    const rawKey = item.slice(0, eq);
    const key = rawKey.trim();
    const value = item.slice(eq + 1);
    if (key !== rawKey) note(d, "key-trimmed");
    if (key === "") {
      return {
        code: "empty-key",
        message: `item ${JSON.stringify(item)} has an empty key`,
        reason: REJX_BAD_REQUEST,
      };
    }
    // token and secret both fill `token`, so they count as one key for duplicates.
    const slot = key === "secret" ? "token" : key;
    if (seen.has(slot)) {
      return {
        code: "duplicate-key",
        message: `key "${key}" appears more than once`,
        reason: REJX_BAD_REQUEST,
      };
    }
    seen.add(slot);
    if (value.includes(" ")) note(d, "space-in-value");
    switch (key) {
      case "u":
        d.user = value || undefined;
        break;
      case "r":
        d.resource = value || undefined;
        break;
      case "h":
        d.host = value || undefined;
        break;
      case "s":
        d.session = value || undefined;
        if (options.sessionAsPassword) d.password = value || undefined;
        break;
      case "t": {
        const folded = value.toLowerCase();
        if (!(TYPES as readonly string[]).includes(folded)) {
          return {
            code: "bad-type",
            message: `unsupported type ${
              JSON.stringify(value)
            } in "t": expected stream, file or auth`,
            reason: REJX_BAD_REQUEST,
          };
        }
        if (folded !== value) note(d, "value-case-folded");
        d.type = folded as StreamIdType;
        break;
      }
      case "m": {
        const err = parseMode(d, value, "m");
        if (err) return err;
        break;
      }
      case "token":
      case "secret":
        d.token = value || undefined;
        break;
      default: {
        const reserved = key.length === 1;
        if (options.strictKeys && (reserved || !/^[^_]+_/.test(key))) {
          return {
            code: "unsupported-key",
            message: reserved
              ? `key "${key}" is a reserved single-letter key with no defined meaning`
              : `custom key "${key}" must have a prefix such as user_ or vendor_`,
            reason: REJX_KEY_NOTSUP,
          };
        }
        // defineProperty, so that a key such as "__proto__" is stored like any other.
        Object.defineProperty(d.custom, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
  }
  return undefined;
}

function newDraft(syntax: StreamIdSyntax): Draft {
  return {
    syntax,
    type: "stream",
    mode: "request",
    modeGiven: false,
    custom: {},
    notes: [],
  };
}

function parseAccessControl(raw: string, options: ParseStreamIdOptions): Draft | StreamIdError {
  const srs = (options.dialects ?? ALL_DIALECTS).includes("srs");
  const qm = srs ? options.questionMark ?? "auto" : "never";
  const content = raw.slice(4);
  let d = newDraft("access-control");
  const err = parseKeyValues(
    d,
    qm === "always" ? content.replaceAll("?", ",") : content,
    options,
    false,
  );
  if (err) return err;
  if (qm === "always" && content.includes("?")) {
    d.syntax = "srs";
    note(d, "question-mark-split");
  }
  if (srs && d.resource === undefined && d.host !== undefined) {
    if (qm === "auto" && d.host.includes("?")) {
      // Reparse with SRS's rewrite; only the legacy h-form gets it in auto mode.
      const again = newDraft("srs");
      const err2 = parseKeyValues(again, content.replaceAll("?", ","), options, false);
      if (err2) return err2;
      note(again, "question-mark-split");
      d = again;
    }
    if (d.resource === undefined && d.host !== undefined) {
      d.resource = d.host;
      d.host = undefined;
      d.syntax = "srs";
      note(d, "h-as-resource");
    }
  }
  return d;
}

function parseMediaMtx(raw: string): Draft | StreamIdError {
  const d = newDraft("mediamtx");
  let text = raw;
  if (text.endsWith("#feedbackplay")) {
    text = text.slice(0, -"#feedbackplay".length);
    note(d, "feedbackplay-stripped");
  }
  const parts = text.split(":");
  if (parts.length > 5) {
    return {
      code: "unsupported-syntax",
      message: "MediaMTX stream ID must be action:path[:query] or action:path:user:pass[:query]",
      reason: REJX_BAD_REQUEST,
    };
  }
  d.mode = parts[0] === "publish" ? "publish" : "request";
  d.modeGiven = true;
  d.resource = parts[1] || undefined;
  if (parts.length >= 4) {
    d.user = parts[2] || undefined;
    d.password = parts[3] || undefined;
  }
  if (parts.length === 3) d.query = parts[2] || undefined;
  if (parts.length === 5) d.query = parts[4] || undefined;
  if (text.includes(" ")) note(d, "space-in-value");
  return d;
}

const DATARHEI_MARK = /,(mode|token):/g;

function parseDatarhei(raw: string): Draft | StreamIdError {
  const d = newDraft("datarhei");
  const marks = [...raw.matchAll(DATARHEI_MARK)];
  d.resource = raw.slice(0, marks[0].index) || undefined;
  const seen = new Set<string>();
  for (let i = 0; i < marks.length; i++) {
    const key = marks[i][1];
    const start = marks[i].index + marks[i][0].length;
    const end = i + 1 < marks.length ? marks[i + 1].index : raw.length;
    const value = raw.slice(start, end);
    if (seen.has(key)) {
      return {
        code: "duplicate-key",
        message: `"${key}:" appears more than once`,
        reason: REJX_BAD_REQUEST,
      };
    }
    seen.add(key);
    if (key === "mode") {
      const err = parseMode(d, value, "mode");
      if (err) return err;
    } else {
      d.token = value || undefined;
    }
  }
  if (raw.includes(" ")) note(d, "space-in-value");
  return d;
}

function finish(raw: string, d: Draft): StreamId {
  const out: { -readonly [K in keyof StreamId]: StreamId[K] } = {
    raw,
    syntax: d.syntax,
    type: d.type,
    mode: d.mode,
    modeGiven: d.modeGiven,
    custom: d.custom,
    notes: d.notes,
  };
  if (d.user !== undefined) out.user = d.user;
  if (d.resource !== undefined) out.resource = d.resource;
  if (d.host !== undefined) out.host = d.host;
  if (d.session !== undefined) out.session = d.session;
  if (d.password !== undefined) out.password = d.password;
  if (d.token !== undefined) out.token = d.token;
  if (d.query !== undefined) out.query = d.query;
  return out;
}

/**
 * Parses a stream ID in any of the dialects listed in the module documentation.
 *
 * Never throws for bad input: a refusal comes back as `{ ok: false, error }`, whose
 * `error.reason` is the SRT_REJX code to reject the connection with.
 *
 * @param raw The stream ID as received (already stripped of its NUL padding).
 * @param options Which dialects to recognise and how strictly to read keys.
 * @returns The normalised stream ID, or the reason it was refused.
 *
 * @example Specification syntax and two other dialects giving the same value
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStreamId } from "./stream_id.ts";
 *
 * const spec = parseStreamId("#!::u=admin,r=live/cam1,m=publish");
 * assert.ok(spec.ok);
 * assert.equal(spec.value.syntax, "access-control");
 * assert.equal(spec.value.resource, "live/cam1");
 * assert.equal(spec.value.mode, "publish");
 *
 * const mtx = parseStreamId("publish:live/cam1:admin:secret");
 * assert.ok(mtx.ok);
 * assert.equal(mtx.value.syntax, "mediamtx");
 * assert.equal(mtx.value.resource, "live/cam1");
 * assert.equal(mtx.value.password, "secret");
 *
 * const bad = parseStreamId("#!::r=a,m=push");
 * assert.ok(!bad.ok);
 * assert.equal(bad.error.reason, 1405);
 * ```
 */
export function parseStreamId(raw: string, options: ParseStreamIdOptions = {}): StreamIdResult {
  if (typeof raw !== "string") {
    return fail("unsupported-syntax", "stream ID must be a string");
  }
  const bytes = utf8Length(raw);
  if (bytes < 0) return fail("invalid-utf8", "stream ID holds a lone UTF-16 surrogate");
  if (bytes > STREAM_ID_MAX_BYTES) {
    return fail(
      "too-long",
      `stream ID is ${bytes} bytes of UTF-8, more than ${STREAM_ID_MAX_BYTES}`,
    );
  }
  const ctl = findControl(raw);
  if (ctl >= 0) {
    return fail(
      "control-character",
      `stream ID holds control character U+${
        raw.charCodeAt(ctl).toString(16).padStart(4, "0").toUpperCase()
      } at index ${ctl}`,
    );
  }
  if (raw === "") return { ok: true, value: finish(raw, newDraft("empty")) };

  let text = raw;
  let decoded = false;
  if (options.percentDecode !== false && /^%23(%21|!)/i.test(raw)) {
    try {
      text = decodeURIComponent(raw);
      decoded = true;
    } catch {
      return fail("unsupported-syntax", "stream ID looks percent-encoded but does not decode");
    }
    const c = findControl(text);
    if (c >= 0) return fail("control-character", `decoded stream ID holds a control character`);
  }

  const dialects = options.dialects ?? ALL_DIALECTS;
  let result: Draft | StreamIdError;
  if (text.startsWith("#!")) {
    if (text.startsWith("#!::")) {
      result = parseAccessControl(text, options);
    } else if (text.startsWith("#!:{")) {
      return fail("unsupported-syntax", "the nested #!:{...} stream ID form is not supported");
    } else if (text.startsWith("#!:") && dialects.includes("datarhei")) {
      const d = newDraft("datarhei-legacy");
      const err = parseKeyValues(d, text.slice(3), options, true);
      result = err ?? d;
    } else {
      return fail(
        "unsupported-syntax",
        `stream ID starts with "#!" but not "#!::" (the only defined syntax)`,
      );
    }
  } else if (dialects.includes("mediamtx") && /^(publish|read):/.test(text)) {
    result = parseMediaMtx(text);
  } else if (dialects.includes("datarhei") && /,(mode|token):/.test(text)) {
    result = parseDatarhei(text);
  } else {
    const d = newDraft("plain");
    d.resource = text;
    if (text.includes(" ")) note(d, "space-in-value");
    result = d;
  }
  if ("code" in result) return { ok: false, error: result };
  if (decoded) result.notes.unshift("percent-decoded");
  return { ok: true, value: finish(raw, result) };
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Parses a stream ID from its bytes (after the handshake's per-word byte swap has been
 * undone). Trailing NUL padding is removed; bytes that are not UTF-8 are refused.
 *
 * @param bytes The stream ID bytes.
 * @param options As for {@linkcode parseStreamId}.
 * @returns As for {@linkcode parseStreamId}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStreamIdBytes } from "./stream_id.ts";
 *
 * const r = parseStreamIdBytes(new TextEncoder().encode("#!::r=cam\0\0\0"));
 * assert.ok(r.ok);
 * assert.equal(r.value.resource, "cam");
 * assert.equal(parseStreamIdBytes(new Uint8Array([0xff])).ok, false);
 * ```
 */
export function parseStreamIdBytes(
  bytes: Uint8Array,
  options: ParseStreamIdOptions = {},
): StreamIdResult {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end > STREAM_ID_MAX_BYTES) {
    return fail("too-long", `stream ID is ${end} bytes, more than ${STREAM_ID_MAX_BYTES}`);
  }
  let text: string;
  try {
    text = decoder.decode(bytes.subarray(0, end));
  } catch {
    return fail("invalid-utf8", "stream ID is not valid UTF-8");
  }
  return parseStreamId(text, options);
}

/** The fields {@linkcode formatStreamId} writes. */
export interface StreamIdInit {
  /** `u` (access-control) or the MediaMTX user. */
  user?: string;
  /** `r`, the MediaMTX path, the datarhei resource, or the whole plain ID. */
  resource?: string;
  /** `h` (access-control only). */
  host?: string;
  /** `s` (access-control only). */
  session?: string;
  /** `t` (access-control only); omitted when undefined. */
  type?: StreamIdType;
  /** `m`; omitted when undefined in access-control and datarhei syntax. */
  mode?: StreamIdMode;
  /** Custom keys (access-control only), written in sorted order after the standard ones. */
  custom?: Readonly<Record<string, string>>;
  /** MediaMTX password (with `user`). */
  password?: string;
  /** datarhei token. */
  token?: string;
  /** MediaMTX query. */
  query?: string;
}

/** The syntaxes {@linkcode formatStreamId} can write. */
export type StreamIdFormatSyntax = "access-control" | "mediamtx" | "datarhei" | "plain";

function checkValue(field: string, value: string, forbidden: readonly string[]): void {
  for (const ch of forbidden) {
    if (value.includes(ch)) {
      throw new TypeError(
        `Cannot format stream ID: ${field} ${JSON.stringify(value)} contains ${
          JSON.stringify(ch)
        }, which the syntax cannot carry`,
      );
    }
  }
  if (findControl(value) >= 0) {
    throw new TypeError(`Cannot format stream ID: ${field} contains a control character`);
  }
}

function unsupported(syntax: string, fields: string[]): never {
  throw new TypeError(`Cannot format stream ID: ${syntax} syntax has no ${fields.join(", ")}`);
}

function present(init: StreamIdInit, names: readonly (keyof StreamIdInit)[]): string[] {
  return names.filter((n) => {
    const v = init[n];
    return v !== undefined && !(n === "custom" && Object.keys(v as object).length === 0);
  });
}

/**
 * Writes a stream ID. The default is the specification's `#!::` syntax with keys in the
 * order u, r, h, s, t, m, then custom keys sorted; `t` and `m` are written only when given.
 *
 * Throws `TypeError` when a value cannot be represented (a `,` in an access-control value,
 * a `:` in a MediaMTX part, a field the syntax has no place for) and `RangeError` when the
 * result exceeds 512 bytes of UTF-8: these are programming errors, not peer input.
 *
 * @param init The fields to write.
 * @param syntax The syntax to write in.
 * @returns The stream ID string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatStreamId } from "./stream_id.ts";
 *
 * assert.equal(
 *   formatStreamId({ user: "admin", resource: "ietf_107_srt_overview", mode: "publish" }),
 *   "#!::u=admin,r=ietf_107_srt_overview,m=publish",
 * );
 * assert.equal(formatStreamId({ resource: "cam", mode: "request" }, "mediamtx"), "read:cam");
 * ```
 */
export function formatStreamId(
  init: StreamIdInit,
  syntax: StreamIdFormatSyntax = "access-control",
): string {
  let out: string;
  switch (syntax) {
    case "access-control": {
      const extra = present(init, ["password", "token", "query"]);
      if (extra.length > 0) unsupported(syntax, extra);
      const items: string[] = [];
      const add = (key: string, value: string | undefined) => {
        if (value === undefined) return;
        checkValue(`"${key}"`, value, [","]);
        items.push(`${key}=${value}`);
      };
      add("u", init.user);
      add("r", init.resource);
      add("h", init.host);
      add("s", init.session);
      add("t", init.type);
      add("m", init.mode);
      for (const key of Object.keys(init.custom ?? {}).sort()) {
        if (key === "" || key.length === 1 || /[=,]/.test(key) || findControl(key) >= 0) {
          throw new TypeError(`Cannot format stream ID: invalid custom key ${JSON.stringify(key)}`);
        }
        add(key, init.custom![key]);
      }
      out = "#!::" + items.join(",");
      break;
    }
    case "mediamtx": {
      const extra = present(init, ["host", "session", "type", "custom", "token"]);
      if (extra.length > 0) unsupported(syntax, extra);
      if (init.mode === "bidirectional") unsupported(syntax, ["bidirectional mode"]);
      if ((init.user === undefined) !== (init.password === undefined)) {
        throw new TypeError("Cannot format stream ID: MediaMTX needs both user and password");
      }
      const parts = [init.mode === "publish" ? "publish" : "read", init.resource ?? ""];
      if (init.user !== undefined) parts.push(init.user, init.password!);
      if (init.query !== undefined) parts.push(init.query);
      parts.forEach((p, i) => checkValue(`part ${i}`, p, [":"]));
      out = parts.join(":");
      break;
    }
    case "datarhei": {
      const extra = present(init, [
        "user",
        "host",
        "session",
        "type",
        "custom",
        "password",
        "query",
      ]);
      if (extra.length > 0) unsupported(syntax, extra);
      const resource = init.resource ?? "";
      if (/,(mode|token):/.test(resource)) {
        throw new TypeError("Cannot format stream ID: resource contains ,mode: or ,token:");
      }
      checkValue("resource", resource, []);
      out = resource;
      if (init.mode !== undefined) out += `,mode:${init.mode}`;
      if (init.token !== undefined) {
        checkValue("token", init.token, [",mode:"]);
        out += `,token:${init.token}`;
      }
      break;
    }
    case "plain": {
      const extra = present(init, [
        "user",
        "host",
        "session",
        "type",
        "mode",
        "custom",
        "password",
        "token",
        "query",
      ]);
      if (extra.length > 0) unsupported(syntax, extra);
      out = init.resource ?? "";
      checkValue("resource", out, []);
      if (out.startsWith("#!")) {
        throw new TypeError('Cannot format stream ID: a plain resource cannot start with "#!"');
      }
      break;
    }
    default:
      throw new TypeError(`Cannot format stream ID: unknown syntax ${JSON.stringify(syntax)}`);
  }
  const bytes = utf8Length(out);
  if (bytes < 0) throw new TypeError("Cannot format stream ID: lone UTF-16 surrogate");
  if (bytes > STREAM_ID_MAX_BYTES) {
    throw new RangeError(
      `Cannot format stream ID: ${bytes} bytes of UTF-8 exceed ${STREAM_ID_MAX_BYTES}`,
    );
  }
  return out;
}

/**
 * Normalises a stream or user name for comparison with what FFmpeg-based callers send:
 * FFmpeg's URL option parser turns `+` into a space, so `a+b` arrives as `a b`. Apply this to
 * both the configured and the received name; the original `+` cannot be recovered.
 *
 * @param name A resource or user name.
 * @returns The name with every `+` replaced by a space.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeStreamName } from "./stream_id.ts";
 *
 * assert.equal(normalizeStreamName("a+b"), normalizeStreamName("a b"));
 * ```
 */
export function normalizeStreamName(name: string): string {
  return name.replaceAll("+", " ");
}
