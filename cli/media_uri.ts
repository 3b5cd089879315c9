/**
 * Media URIs as srt-live-transmit takes them: `srt://`, `udp://`, `file://` and `-` for the
 * standard streams.
 *
 * @module
 */

import { parseSrtUri, type SrtUri } from "../srt/uri.ts";
import { type GroupUri, parseGroupUri } from "../srt/group_uri.ts";

/** A parsed input or output URI. */
export type MediaUri =
  | { readonly kind: "srt"; readonly text: string; readonly srt: SrtUri }
  | { readonly kind: "srt-group"; readonly text: string; readonly group: GroupUri }
  | {
    readonly kind: "udp";
    readonly text: string;
    /** Address to send to (output), or to bind (input; "" = any). */
    readonly hostname: string;
    readonly port: number;
    /** Local address to bind or send from (`adapter=`). */
    readonly adapter: string | undefined;
    /** Whether `hostname` is a multicast group. */
    readonly multicast: boolean;
    /** Kernel receive buffer to ask for, bytes (`rcvbuf=`, `SO_RCVBUF`). */
    readonly rcvbuf: number | undefined;
    /** Kernel send buffer to ask for, bytes (`sndbuf=`, `SO_SNDBUF`). */
    readonly sndbuf: number | undefined;
  }
  | { readonly kind: "file"; readonly text: string; readonly path: string }
  | { readonly kind: "stdio"; readonly text: string };

/** Whether an IP literal is a multicast address (224.0.0.0/4 or ff00::/8). */
export function isMulticast(hostname: string): boolean {
  const v4 = /^(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.exec(hostname);
  if (v4) return Number(v4[1]) >= 224 && Number(v4[1]) <= 239;
  return /^ff[0-9a-f]{2}:/i.test(hostname);
}

/** Parses a `rcvbuf=`/`sndbuf=` size: bytes, an integer in 1..2^31-1 as libsrt takes it. */
function bufferSize(key: string, value: string, uri: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 0x7fffffff) {
    throw new RangeError(`${uri}: ${key}=${value}: expected bytes, an integer in 1..2147483647`);
  }
  return n;
}

function ipLiteral(host: string, uri: string): string {
  if (host === "localhost") return "127.0.0.1";
  if (host === "" || /^[\d.]+$/.test(host) || host.includes(":")) return host;
  throw new TypeError(`${uri}: host must be an IP address, got "${host}"`);
}

/**
 * Appends a passphrase to an `srt://` URI's query, as `--passphrase-env`/`--passphrase-file`
 * do.
 *
 * @param uri the URI
 * @param passphrase the secret
 * @returns the URI with `passphrase=` added
 */
export function withPassphrase(uri: string, passphrase: string): string {
  const sep = uri.includes("?") ? "&" : "?";
  return `${uri}${sep}passphrase=${encodeURIComponent(passphrase)}`;
}

/**
 * Parses an input or output URI.
 *
 * @param text the URI: `srt://…`, `udp://host:port[?adapter=IP&rcvbuf=BYTES&sndbuf=BYTES]`,
 *   `file:///path`, `file://con` or `-`
 *   (a plain path is a file too)
 * @param role whether it is the input or the output (a UDP output needs a host)
 * @returns the parsed URI
 * @throws {TypeError} or {@linkcode RangeError} with a message naming what is wrong
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMediaUri } from "./media_uri.ts";
 * const u = parseMediaUri("udp://:5000", "input");
 * assert.equal(u.kind, "udp");
 * ```
 */
export function parseMediaUri(text: string, role: "input" | "output"): MediaUri {
  if (text === "-" || /^file:\/\/con$/i.test(text)) return { kind: "stdio", text };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === "srt" && /^srt:\/\/\/\/group\b/i.test(text)) {
    return { kind: "srt-group", text, group: parseGroupUri(text) };
  }
  if (scheme === "srt") return { kind: "srt", text, srt: parseSrtUri(text) };
  if (scheme === "udp") {
    const m = /^udp:\/\/(\[[^\]]*\]|[^:/?\[\]]*):(\d+)\/?(?:\?(.*))?$/i.exec(text);
    if (!m) throw new TypeError(`not a udp:// URI: "${text}" (expected udp://host:port)`);
    const hostname = ipLiteral(m[1].replace(/^\[|\]$/g, ""), text);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new RangeError(`udp:// port must be 1..65535: got ${port}`);
    let adapter: string | undefined;
    let rcvbuf: number | undefined;
    let sndbuf: number | undefined;
    for (const part of (m[3] ?? "").split("&")) {
      if (part === "") continue;
      const [key, value = ""] = part.split("=");
      const k = key.toLowerCase();
      if (k === "adapter") adapter = ipLiteral(decodeURIComponent(value), text);
      else if (k === "rcvbuf") rcvbuf = bufferSize(k, value, text);
      else if (k === "sndbuf") sndbuf = bufferSize(k, value, text);
      else {
        throw new RangeError(
          `udp:// option "${key}" is not supported; known options: adapter, rcvbuf, sndbuf`,
        );
      }
    }
    if (role === "output" && hostname === "") {
      throw new TypeError(`udp:// output needs a destination host: "${text}"`);
    }
    const multicast = isMulticast(hostname);
    return { kind: "udp", text, hostname, port, adapter, multicast, rcvbuf, sndbuf };
  }
  if (scheme === "file") {
    let path: string;
    try {
      const url = new URL(text);
      if (url.host !== "" && url.host !== "localhost") {
        throw new TypeError(`file:// URI must be file:///absolute/path or file://con: "${text}"`);
      }
      path = decodeURIComponent(url.pathname);
    } catch (e) {
      if (e instanceof TypeError && e.message.startsWith("file://")) throw e;
      throw new TypeError(`not a file:// URI: "${text}"`);
    }
    if (path === "" || path === "/") throw new TypeError(`file:// URI needs a path: "${text}"`);
    return { kind: "file", text, path };
  }
  if (scheme !== undefined) {
    throw new TypeError(
      `unsupported URI scheme "${scheme}://" in "${text}" (use srt://, udp://, file:// or -)`,
    );
  }
  if (text === "") throw new TypeError(`empty ${role} URI`);
  return { kind: "file", text, path: text };
}

/**
 * A URI fit for logs: the values of `passphrase=` (and any other key naming a secret) are
 * replaced by `***`.
 *
 * @param text a media URI as the user gave it
 * @returns the same URI with secrets masked
 */
export function redactSecrets(text: string): string {
  return text.replace(/([?&](?:passphrase|password|secret|token)=)[^&]*/gi, "$1***");
}
