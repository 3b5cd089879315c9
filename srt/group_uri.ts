/**
 * Group URIs in the syntax of libsrt's test application (`srt-test-live`, `testmedia.cpp`):
 *
 * ```
 * srt:////group?type=backup&nodes=HOST1:PORT1?weight=10,HOST2:PORT2&latency=200
 * ```
 *
 * `type` is `broadcast` or `backup`; `nodes` lists the member paths, each `host:port`
 * (`[v6]:port` too) with its own parameters after a `?` (`weight`, and `source` for the local
 * address to bind, `source=ADDR` or `source=ADDR:PORT`); several of them are separated by `?`
 * as well, since `&` already separates the URI's keys. `groupminstabletimeo` (ms) sets the
 * minimum stability timeout; every other key is an `srt://` key for all members, the socket keys
 * (`adapter`, `udp_rcvbuf`, `udp_sndbuf`, `ipv6only`) included.
 *
 * @module
 */

import type { GroupMode } from "./group.ts";
import type { SrtOptions } from "./options.ts";
import { parseSrtUri } from "./uri.ts";

/**
 * One member path of a group URI.
 *
 * @example
 * ```ts
 * import { type GroupUriNode, parseGroupUri } from "@tsrt/tsrt";
 * const [node]: readonly GroupUriNode[] = parseGroupUri("srt:////group?type=broadcast&nodes=10.0.0.1:9000").nodes;
 * void node;
 * ```
 */
export interface GroupUriNode {
  /** The listener's host. */
  readonly host: string;
  /** The listener's port. */
  readonly port: number;
  /** Main/backup weight (default 0). */
  readonly weight: number;
  /** Local address to bind (`source`), if given. */
  readonly source?: string;
  /** Local port to bind (`source=ADDR:PORT`), if given. */
  readonly sourcePort?: number;
}

/**
 * A parsed group URI.
 *
 * @example
 * ```ts
 * import { type GroupUri, parseGroupUri } from "@tsrt/tsrt";
 * const g: GroupUri = parseGroupUri("srt:////group?type=broadcast&nodes=10.0.0.1:9000,10.0.1.1:9000");
 * void g;
 * ```
 */
export interface GroupUri {
  /** The group type. */
  readonly mode: GroupMode;
  /** The member paths, in order. */
  readonly nodes: readonly GroupUriNode[];
  /** SRT options shared by every member. */
  readonly options: SrtOptions;
  /** `groupminstabletimeo` in ms, if given. */
  readonly minStabilityMs?: number;
  /** `adapter`: the local address every member binds unless its node gives a `source`. */
  readonly adapter?: string;
  /** `udp_rcvbuf` for every member's UDP socket, bytes. */
  readonly udpReceiveBuffer?: number;
  /** `udp_sndbuf` for every member's UDP socket, bytes. */
  readonly udpSendBuffer?: number;
  /** `ipv6only` for every member's UDP socket. */
  readonly ipv6Only?: boolean;
}

/**
 * Parses a group URI.
 *
 * @param uri `srt:////group?type=...&nodes=...`
 * @returns the mode, the member paths and the shared options
 * @throws {TypeError} for a URI that is not a group URI or has no nodes, {@linkcode RangeError}
 *   for an unknown type, weight or key (naming it)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseGroupUri } from "@tsrt/tsrt";
 * const g = parseGroupUri("srt:////group?type=backup&nodes=10.0.0.1:9000?weight=5,10.0.1.1:9000&latency=300");
 * assert.equal(g.mode, "backup");
 * assert.deepEqual(g.nodes.map((n) => [n.host, n.port, n.weight]), [["10.0.0.1", 9000, 5], ["10.0.1.1", 9000, 0]]);
 * assert.equal(g.options.latency, 300);
 * ```
 */
export function parseGroupUri(uri: string): GroupUri {
  const m = /^srt:\/\/\/\/group\/?\?(.*)$/i.exec(uri);
  if (!m) {
    throw new TypeError(`not a group URI: "${uri}" (expected srt:////group?type=...&nodes=...)`);
  }
  let type: string | undefined;
  let nodes: string | undefined;
  let minStabilityMs: number | undefined;
  const rest: string[] = [];
  for (const part of m[1].split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? "" : part.slice(eq + 1);
    if (key === "type") type = value;
    else if (key === "nodes") nodes = value;
    else if (key === "groupminstabletimeo") {
      minStabilityMs = Number(value);
      if (!Number.isInteger(minStabilityMs) || minStabilityMs < 60 || minStabilityMs > 60_000) {
        throw new RangeError(`group URI groupminstabletimeo=${value}: expected 60..60000 ms`);
      }
    } else rest.push(part);
  }
  if (type !== "broadcast" && type !== "backup") {
    throw new RangeError(`group URI type=${type ?? ""}: expected broadcast or backup`);
  }
  const list = (nodes ?? "").split(",").filter((n) => n !== "");
  if (list.length === 0) throw new TypeError(`group URI needs nodes=HOST:PORT,HOST:PORT: "${uri}"`);
  const parsed = list.map(parseNode);
  // The shared keys, checked (and converted) as for any caller URI.
  const shared = parseSrtUri(`srt://${hostPort(parsed[0])}?${rest.join("&")}`);
  if (shared.mode !== "caller") {
    throw new RangeError(`group URI mode=${shared.mode}: group members are callers`);
  }
  if (shared.localPort !== undefined) {
    throw new RangeError("group URI port=: give each node its own source=ADDR:PORT instead");
  }
  const socket = {
    adapter: shared.adapter,
    udpReceiveBuffer: shared.udpReceiveBuffer,
    udpSendBuffer: shared.udpSendBuffer,
    ipv6Only: shared.ipv6Only,
  };
  return {
    mode: type,
    nodes: parsed,
    options: shared.options,
    ...(minStabilityMs === undefined ? {} : { minStabilityMs }),
    ...Object.fromEntries(Object.entries(socket).filter(([, v]) => v !== undefined)),
  };
}

function hostPort(n: GroupUriNode): string {
  return n.host.includes(":") ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`;
}

function parseNode(spec: string): GroupUriNode {
  const q = spec.indexOf("?");
  const addr = q < 0 ? spec : spec.slice(0, q);
  const m = /^(\[[^\]]+\]|[^:\[\]]+):(\d+)$/.exec(addr);
  if (!m) throw new TypeError(`group URI node "${spec}": expected HOST:PORT`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new RangeError(`group URI node "${spec}": port 1..65535`);
  let weight = 0;
  let source: string | undefined;
  let sourcePort: number | undefined;
  for (const part of q < 0 ? [] : spec.slice(q + 1).split("?")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    if (key === "weight") {
      weight = Number(value);
      if (!Number.isInteger(weight) || weight < 0 || weight > 0xffff) {
        throw new RangeError(`group URI node "${spec}": weight must be 0..65535`);
      }
    } else if (key === "source") {
      const s = /^(\[[^\]]+\]|[^:\[\]]+)(?::(\d+))?$/.exec(value);
      if (!s) throw new TypeError(`group URI node "${spec}": source=ADDR or ADDR:PORT`);
      source = s[1].replace(/^\[|\]$/g, "");
      if (s[2] !== undefined) sourcePort = Number(s[2]);
    } else {
      throw new RangeError(`group URI node "${spec}": unknown node key "${key}" (weight, source)`);
    }
  }
  return {
    host: m[1].replace(/^\[|\]$/g, ""),
    port,
    weight,
    ...(source === undefined ? {} : { source }),
    ...(sourcePort === undefined ? {} : { sourcePort }),
  };
}
