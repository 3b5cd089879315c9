import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type HaivisionResolution,
  type HaivisionResolved,
  resolveHaivisionCaller,
} from "./haivision.ts";

function resolved(r: HaivisionResolution): HaivisionResolved {
  if (!r.ok) assert.fail(`expected a resolution, got ${r.reason}: ${r.message}`);
  return r;
}

describe("resolveHaivisionCaller()", () => {
  const makito = "#!::u=admin,r=ietf_107_srt_overview";
  const makitoPublish = "#!::u=admin,r=ietf_107_srt_overview,m=publish";

  it("applies each missing-m policy to Makito Standard Keys", () => {
    const spec = resolved(resolveHaivisionCaller(makito, undefined, {}));
    assert.equal(spec.mode, "request");
    assert.equal(spec.modeSource, "policy");
    assert.equal(spec.resource, "ietf_107_srt_overview");
    assert.equal(spec.user, "admin");
    assert.equal(spec.source, "stream-id");
    assert.equal(spec.streamId?.syntax, "access-control");

    const pub = resolved(resolveHaivisionCaller(makito, undefined, { missingMode: "publish" }));
    assert.equal(pub.mode, "publish");

    const byRoute = resolved(
      resolveHaivisionCaller(makito, { mode: "publish" }, { missingMode: "by-route" }),
    );
    assert.equal(byRoute.mode, "publish");
    assert.equal(byRoute.modeSource, "route");

    const noRouteMode = resolved(resolveHaivisionCaller(makito, {}, { missingMode: "by-route" }));
    assert.equal(noRouteMode.mode, "request");
  });

  it("an explicit m always wins over the policy and the route", () => {
    for (const missingMode of ["request", "publish", "by-route"] as const) {
      const r = resolved(
        resolveHaivisionCaller(makitoPublish, { mode: "request" }, { missingMode }),
      );
      assert.equal(r.mode, "publish");
      assert.equal(r.modeSource, "stream-id");
    }
    const read = resolved(
      resolveHaivisionCaller("#!::r=x,m=request", undefined, { missingMode: "publish" }),
    );
    assert.equal(read.mode, "request");
  });

  it("routes callers without a stream ID (old firmware) by the route", () => {
    for (const sid of [undefined, ""]) {
      const r = resolved(
        resolveHaivisionCaller(sid, { resource: "port-9000", mode: "publish", user: "enc1" }),
      );
      assert.deepEqual([r.resource, r.mode, r.user, r.source, r.modeSource], [
        "port-9000",
        "publish",
        "enc1",
        "route",
        "route",
      ]);
      assert.equal(r.streamId, undefined);
    }
    const policy = resolved(
      resolveHaivisionCaller(undefined, { resource: "a" }, { missingMode: "publish" }),
    );
    assert.equal(policy.mode, "publish");
    assert.equal(policy.modeSource, "policy");
    const none = resolveHaivisionCaller("", {}, {});
    assert.ok(!none.ok);
    assert.equal(none.reason, 1404);
  });

  it("matches free-form publish IDs exactly before parsing", () => {
    const policy = {
      publishIds: {
        "studio-a feed": { resource: "live/studio-a" },
        "#!::bogus": { resource: "weird", mode: "request" as const, user: "u" },
      },
    };
    const a = resolved(resolveHaivisionCaller("studio-a feed", undefined, policy));
    assert.deepEqual([a.resource, a.mode, a.source], ["live/studio-a", "publish", "publish-id"]);
    // A publish ID that would not even parse still routes.
    const b = resolved(resolveHaivisionCaller("#!::bogus", undefined, policy));
    assert.deepEqual([b.resource, b.mode, b.user], ["weird", "request", "u"]);
    // Not a prefix match, and no prototype keys.
    assert.equal(
      resolved(resolveHaivisionCaller("studio-a", undefined, policy)).source,
      "stream-id",
    );
    assert.equal(
      resolved(resolveHaivisionCaller("toString", undefined, policy)).resource,
      "toString",
    );
  });

  it("fills a missing resource from the route, else BAD_REQUEST", () => {
    const r = resolved(resolveHaivisionCaller("#!::u=admin", { resource: "default" }));
    assert.equal(r.resource, "default");
    assert.equal(r.source, "route");
    assert.equal(r.user, "admin");
    const bad = resolveHaivisionCaller("#!::u=admin", undefined);
    assert.ok(!bad.ok);
    assert.equal(bad.reason, 1400);
  });

  it("passes parse errors through with their codes", () => {
    const mode = resolveHaivisionCaller("#!::r=a,m=sideways", undefined);
    assert.ok(!mode.ok);
    assert.equal(mode.reason, 1405);
    const syn = resolveHaivisionCaller("#!:{r=a}", undefined);
    assert.ok(!syn.ok);
    assert.equal(syn.reason, 1400);
    const key = resolveHaivisionCaller("#!::r=a,q=1", undefined, { parse: { strictKeys: true } });
    assert.ok(!key.ok);
    assert.equal(key.reason, 1001);
  });
});
