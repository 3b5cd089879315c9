import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type HaivisionSettingsResult,
  haivisionSettingsToOptions,
  type HaivisionSrtSettings,
  type TsrtSrtOptions,
} from "./haivision_settings.ts";

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
