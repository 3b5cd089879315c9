/**
 * How a Haivision-style caller is routed: Makito encoders using access control's "Standard
 * Keys" send `#!::u=…,r=…` without `m`, so by the specification's default (`request`) a strict
 * server would take an encoder for a reader; the "Custom" format sends a free-form *publish
 * ID*; old firmware sends no stream ID at all (HSv4), so such a connection can only be routed
 * by listener port or peer address.
 *
 * {@linkcode resolveHaivisionCaller} turns what such a caller sends, plus what the server's
 * routing table matched, into a resource and a mode, with a {@linkcode MissingModePolicy}
 * deciding what a missing `m` means. Device settings are in `haivision_settings.ts` and the
 * statistics labels in `haivision_stats.ts`.
 *
 * Sources: the Haivision documentation summarised in the project reference (Makito X4 Decoder
 * "SRT Stream Settings" and access control pages, the Makito X4 Encoder "stream" CLI, datarhei
 * Core's handling of HSv4 Makito callers).
 *
 * @module
 */

import {
  parseStreamId,
  type ParseStreamIdOptions,
  type StreamId,
  type StreamIdMode,
} from "./stream_id.ts";

/**
 * What a stream ID without `m` (or no stream ID) means:
 * - `request`: the specification's default, the caller receives;
 * - `publish`: the caller sends (a listener that only takes encoders);
 * - `by-route`: the mode of the route that matched the listener port / peer address, and
 *   `request` if that route has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessControl, type MissingModePolicy } from "@tsrt/tsrt/server";
 * // Makito encoders with "Standard Keys" send u and r but no m: they publish.
 * const missingMode: MissingModePolicy = "publish";
 * const ac = new AccessControl({ missingMode });
 * const peer = { hostname: "192.0.2.7", port: 40000 };
 * const d = ac.decide({ peer, streamId: "#!::u=enc1,r=live/cam", listenerPort: 9000 }, 0);
 * assert.equal(d.accept && d.mode, "publish");
 * ```
 */
export type MissingModePolicy = "request" | "publish" | "by-route";

/** What the server's routing table says about this connection (matched by port or peer). */
export interface HaivisionRoute {
  /** Resource to use when the caller names none (no stream ID, HSv4 firmware). */
  resource?: string;
  /** Mode to use under the `by-route` policy, and for callers without a stream ID. */
  mode?: StreamIdMode;
  /** User to assume when the caller names none. */
  user?: string;
}

/** Where a configured publish ID leads. */
export interface PublishIdTarget {
  /** The resource. */
  resource: string;
  /** The mode; default `publish` (these are encoder outputs). */
  mode?: StreamIdMode;
  /** The user to assume. */
  user?: string;
}

/** How {@linkcode resolveHaivisionCaller} reads callers. */
export interface HaivisionCallerPolicy {
  /** Meaning of a missing `m`. Default `request` (the specification). */
  missingMode?: MissingModePolicy;
  /** Free-form Makito "publish IDs", matched exactly against the whole stream ID. */
  publishIds?: Readonly<Record<string, PublishIdTarget>>;
  /** Options for {@linkcode parseStreamId}. */
  parse?: ParseStreamIdOptions;
}

/** How a resolution was reached. */
export type ResolutionSource = "stream-id" | "publish-id" | "route";

/** A caller resolved to a resource and mode. */
export interface HaivisionResolved {
  /** Always true. */
  readonly ok: true;
  /** The resource. */
  readonly resource: string;
  /** The mode. */
  readonly mode: StreamIdMode;
  /** Where the mode came from: the caller, the policy, the route or a publish ID. */
  readonly modeSource: "stream-id" | "policy" | "route" | "publish-id";
  /** The user, if the caller or the route named one. */
  readonly user?: string;
  /** What the resource came from. */
  readonly source: ResolutionSource;
  /** The parsed stream ID, when one was parsed. */
  readonly streamId?: StreamId;
}

/** A caller that cannot be resolved, with the SRT_REJX code to reject it with. */
export interface HaivisionUnresolved {
  /** Always false. */
  readonly ok: false;
  /** SRT_REJX code: 1400 BAD_REQUEST, 1404 NOTFOUND, 1405 BAD_MODE, 1001 KEY_NOTSUP. */
  readonly reason: number;
  /** Why. */
  readonly message: string;
}

/** Result of {@linkcode resolveHaivisionCaller}. */
export type HaivisionResolution = HaivisionResolved | HaivisionUnresolved;

function modeFromPolicy(
  policy: MissingModePolicy,
  route: HaivisionRoute | undefined,
): { mode: StreamIdMode; modeSource: "policy" | "route" } {
  if (policy === "publish") return { mode: "publish", modeSource: "policy" };
  if (policy === "by-route" && route?.mode) return { mode: route.mode, modeSource: "route" };
  return { mode: "request", modeSource: "policy" };
}

/**
 * Resolves a caller to a resource and mode, Haivision-style. In order:
 * 1. no stream ID (undefined or empty): the route's resource, with the route's mode (or the
 *    policy's); NOTFOUND (1404) without a route resource;
 * 2. a stream ID equal to a configured publish ID: its target;
 * 3. otherwise the parsed stream ID; a missing `m` is filled in by the policy, a missing
 *    resource by the route (BAD_REQUEST, 1400, if neither has one).
 *
 * @param streamId The stream ID the caller sent, if any.
 * @param route What the server's routing table matched for this listener port and peer.
 * @param policy The missing-`m` policy and publish IDs.
 * @returns The resource and mode, or the rejection code.
 *
 * @example A Makito encoder sending Standard Keys to an encoder-only listener
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveHaivisionCaller } from "./haivision.ts";
 *
 * const r = resolveHaivisionCaller(
 *   "#!::u=admin,r=ietf_107_srt_overview",
 *   { mode: "publish" },
 *   { missingMode: "by-route" },
 * );
 * assert.ok(r.ok);
 * assert.equal(r.resource, "ietf_107_srt_overview");
 * assert.equal(r.mode, "publish");
 * assert.equal(r.user, "admin");
 *
 * const old = resolveHaivisionCaller(undefined, undefined, {});
 * assert.ok(!old.ok);
 * assert.equal(old.reason, 1404);
 * ```
 */
export function resolveHaivisionCaller(
  streamId: string | undefined,
  route: HaivisionRoute | undefined,
  policy: HaivisionCallerPolicy = {},
): HaivisionResolution {
  const missing = policy.missingMode ?? "request";
  if (streamId === undefined || streamId === "") {
    if (route?.resource === undefined) {
      return {
        ok: false,
        reason: 1404,
        message:
          "caller sent no stream ID and no route gives this listener port or peer a resource",
      };
    }
    const m = route.mode
      ? { mode: route.mode, modeSource: "route" as const }
      : modeFromPolicy(missing, route);
    return {
      ok: true,
      resource: route.resource,
      ...m,
      ...(route.user !== undefined ? { user: route.user } : {}),
      source: "route",
    };
  }
  const publishIds = policy.publishIds;
  if (publishIds && Object.hasOwn(publishIds, streamId)) {
    const t = publishIds[streamId];
    return {
      ok: true,
      resource: t.resource,
      mode: t.mode ?? "publish",
      modeSource: "publish-id",
      ...(t.user !== undefined ? { user: t.user } : {}),
      source: "publish-id",
    };
  }
  const parsed = parseStreamId(streamId, policy.parse);
  if (!parsed.ok) {
    return { ok: false, reason: parsed.error.reason, message: parsed.error.message };
  }
  const id = parsed.value;
  const resource = id.resource ?? route?.resource;
  if (resource === undefined) {
    return { ok: false, reason: 1400, message: "stream ID names no resource" };
  }
  const m = id.modeGiven
    ? { mode: id.mode, modeSource: "stream-id" as const }
    : modeFromPolicy(missing, route);
  const user = id.user ?? route?.user;
  return {
    ok: true,
    resource,
    ...m,
    ...(user !== undefined ? { user } : {}),
    source: id.resource !== undefined ? "stream-id" : "route",
    streamId: id,
  };
}
