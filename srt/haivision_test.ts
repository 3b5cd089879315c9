import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  HAIVISION_STAT_LABELS,
  type HaivisionResolution,
  type HaivisionResolved,
  type HaivisionSettingsResult,
  haivisionSettingsToOptions,
  type HaivisionSrtSettings,
  resolveHaivisionCaller,
  toHaivisionStats,
  type TsrtSrtOptions,
} from "./haivision.ts";

function resolved(r: HaivisionResolution): HaivisionResolved {
  if (!r.ok) assert.fail(`expected a resolution, got ${r.reason}: ${r.message}`);
  return r;
}

function options(r: HaivisionSettingsResult): TsrtSrtOptions {
  if (!r.ok) assert.fail(`expected options, got ${JSON.stringify(r.errors)}`);
  return r.options;
}

function errorFields(s: HaivisionSrtSettings): string[] {
  const r = haivisionSettingsToOptions(s);
  if (r.ok) assert.fail(`expected errors for ${JSON.stringify(s)}`);
  for (const e of r.errors) assert.ok(e.message.length > 0);
  return r.errors.map((e) => e.field);
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

describe("haivisionSettingsToOptions()", () => {
  it("applies Haivision defaults: listener, 125 ms, unencrypted", () => {
    assert.deepEqual(options(haivisionSettingsToOptions({})), { mode: "listener", latency: 125 });
  });

  it("maps an encrypted caller with Standard Keys", () => {
    const o = options(haivisionSettingsToOptions({
      mode: "Caller",
      latency: 250,
      encryption: "AES-128",
      passphrase: "0123456789",
      authentication: "none",
      maxBandwidthKbps: 8000,
      overhead: 25,
      resource: "ietf_107_srt_overview",
      user: "admin",
    }));
    assert.deepEqual(o, {
      mode: "caller",
      latency: 250,
      passphrase: "0123456789",
      pbkeylen: 16,
      enforcedEncryption: true,
      cryptoMode: "aes-ctr",
      maxBw: 1_000_000,
      oheadBw: 25,
      streamId: "#!::u=admin,r=ietf_107_srt_overview",
    });
  });

  it("maps key length and authentication variants", () => {
    const gcm = options(haivisionSettingsToOptions({
      keyLength: 256,
      passphrase: "a".repeat(79),
      authentication: "AES-GCM",
      rejectUnencrypted: false,
    }));
    assert.equal(gcm.pbkeylen, 32);
    assert.equal(gcm.cryptoMode, "aes-gcm");
    assert.equal(gcm.enforcedEncryption, false);
    const auto = haivisionSettingsToOptions({ passphrase: "abcdefghij", authentication: "auto" });
    assert.ok(auto.ok);
    assert.equal(auto.options.cryptoMode, "auto");
    assert.equal(auto.options.pbkeylen, undefined); // the sender decides
    assert.deepEqual(auto.warnings, []);
    const callerAuto = haivisionSettingsToOptions({ mode: "caller", authentication: "auto" });
    assert.ok(callerAuto.ok);
    assert.equal(callerAuto.options.cryptoMode, undefined);
    assert.equal(callerAuto.warnings.length, 1);
  });

  it("checks latency bounds 20..8000", () => {
    assert.equal(options(haivisionSettingsToOptions({ latency: 20 })).latency, 20);
    assert.equal(options(haivisionSettingsToOptions({ latency: 8000 })).latency, 8000);
    for (const latency of [19, 8001, 120.5, NaN]) {
      assert.deepEqual(errorFields({ latency }), ["latency"]);
    }
  });

  it("checks the passphrase: 10..79 characters, 80 bytes, needs encryption", () => {
    assert.deepEqual(errorFields({ passphrase: "123456789" }), ["passphrase"]);
    assert.deepEqual(errorFields({ passphrase: "a".repeat(80) }), ["passphrase"]);
    // 30 characters of 3 bytes: fine for Haivision's character count, over libsrt's 80 bytes.
    assert.deepEqual(errorFields({ passphrase: "€".repeat(30) }), ["passphrase"]);
    assert.ok(haivisionSettingsToOptions({ passphrase: "€".repeat(26) }).ok);
    assert.deepEqual(errorFields({ encryption: "none", passphrase: "0123456789" }), ["passphrase"]);
    assert.deepEqual(errorFields({ encryption: "AES256" }), ["passphrase"]);
  });

  it("rejects unknown or contradictory values, all at once", () => {
    assert.deepEqual(
      errorFields({
        mode: "push",
        encryption: "AES192",
        keyLength: 192,
        authentication: "hmac",
        maxBandwidthKbps: -1,
        overhead: 3,
      }),
      ["mode", "encryption", "keyLength", "authentication", "maxBandwidthKbps", "overhead"],
    );
    assert.deepEqual(
      errorFields({ encryption: "AES128", keyLength: 256, passphrase: "0123456789" }),
      [
        "keyLength",
      ],
    );
    assert.deepEqual(errorFields({ encryption: "none", keyLength: 128 }), ["keyLength"]);
    assert.deepEqual(errorFields({ authentication: "aes-gcm" }), ["authentication"]);
    assert.deepEqual(errorFields({ resource: "a,b" }), ["resource"]);
    assert.deepEqual(errorFields({ user: "a\n" }), ["user"]);
    assert.deepEqual(errorFields({ overhead: 101 }), ["overhead"]);
  });

  it("uses the publish ID only without resource and user", () => {
    assert.equal(
      options(haivisionSettingsToOptions({ mode: "caller", publishId: "studio-a feed" })).streamId,
      "studio-a feed",
    );
    const both = haivisionSettingsToOptions({ mode: "caller", resource: "r", publishId: "p" });
    assert.ok(both.ok);
    assert.equal(both.options.streamId, "#!::r=r");
    assert.ok(both.warnings.some((w) => w.includes("publishId")));
    assert.deepEqual(errorFields({ publishId: "#!::r=a,m=sideways" }), ["publishId"]);
    const odd = haivisionSettingsToOptions({ publishId: "#!:{x}" });
    assert.ok(odd.ok);
    assert.equal(odd.warnings.length, 1);
  });
});

describe("Haivision statistics labels", () => {
  it("maps the documented names", () => {
    const byField = new Map(HAIVISION_STAT_LABELS.map((e) => [`${e.field}/${e.side}`, e]));
    assert.equal(byField.get("pktRetransTotal/source")?.label, "Resent Packets");
    assert.equal(byField.get("pktSndLossTotal/source")?.label, "Dropped Packets");
    assert.equal(byField.get("pktRcvDropTotal/destination")?.label, "Skipped Packets");
    assert.equal(byField.get("pktRcvLossTotal/destination")?.label, "Lost Packets");
    assert.equal(byField.get("mbpsBandwidth/source")?.label, "Path Max Bandwidth");
    assert.equal(byField.get("msRcvTsbPdDelay/destination")?.label, "Latency");
    assert.equal(byField.get("msRTT/both")?.label, "RTT");
    // A (field, side) pair appears at most once.
    assert.equal(byField.size, HAIVISION_STAT_LABELS.length);
  });

  it("renders a stats object per side with units", () => {
    const stats = {
      pktSentTotal: 1000,
      pktRetransTotal: 7,
      pktSndLossTotal: 9,
      pktRecvTotal: 990,
      pktRcvDropTotal: 2,
      mbpsSendRate: 4.5,
      mbpsRecvRate: 4.25,
      msRTT: 20,
      msRcvBuf: 118,
      msSndBuf: 30,
      mbpsBandwidth: NaN,
      label: "ignored",
    };
    const src = toHaivisionStats(stats, "source");
    assert.deepEqual(src.map((r) => [r.label, r.value, r.unit]), [
      ["Sent Packets", 1000, "packets"],
      ["Resent Packets", 7, "packets"],
      ["Dropped Packets", 9, "packets"],
      ["Bitrate", 4500, "kbps"],
      ["RTT", 20, "ms"],
      ["Buffer", 30, "ms"],
    ]);
    const dst = toHaivisionStats(stats, "destination");
    assert.deepEqual(dst.map((r) => [r.label, r.value]), [
      ["Received Packets", 990],
      ["Skipped Packets", 2],
      ["Bitrate", 4250],
      ["RTT", 20],
      ["Buffer", 118],
    ]);
  });
});
