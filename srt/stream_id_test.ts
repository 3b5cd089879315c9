import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  formatStreamId,
  normalizeStreamName,
  parseStreamId,
  parseStreamIdBytes,
  STREAM_ID_MAX_BYTES,
  type StreamId,
  type StreamIdInit,
  type StreamIdResult,
} from "./stream_id.ts";

function ok(r: StreamIdResult): StreamId {
  if (!r.ok) assert.fail(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function err(r: StreamIdResult): { code: string; reason: number; message: string } {
  if (r.ok) assert.fail(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.error;
}

/** The fields that routing looks at, to compare dialects. */
function core(id: StreamId) {
  return {
    user: id.user,
    resource: id.resource,
    host: id.host,
    mode: id.mode,
    type: id.type,
  };
}

describe("parseStreamId() specification syntax", () => {
  it("reads every standard key", () => {
    const id = ok(parseStreamId("#!::u=johnny,t=file,m=publish,r=results.csv,h=example.com,s=abc"));
    assert.equal(id.syntax, "access-control");
    assert.deepEqual(core(id), {
      user: "johnny",
      resource: "results.csv",
      host: "example.com",
      mode: "publish",
      type: "file",
    });
    assert.equal(id.session, "abc");
    assert.equal(id.password, undefined);
    assert.equal(id.modeGiven, true);
    assert.deepEqual(id.custom, {});
    assert.deepEqual(id.notes, []);
  });

  it("defaults to type stream and mode request, and says m was absent", () => {
    const id = ok(parseStreamId("#!::u=admin,r=bluesbrothers1_hi"));
    assert.equal(id.type, "stream");
    assert.equal(id.mode, "request");
    assert.equal(id.modeGiven, false);
  });

  it("reads the Haivision Makito examples", () => {
    const plain = ok(parseStreamId("#!::u=admin,r=ietf_107_srt_overview"));
    assert.equal(plain.user, "admin");
    assert.equal(plain.resource, "ietf_107_srt_overview");
    assert.equal(plain.mode, "request");
    assert.equal(plain.modeGiven, false);
    const pub = ok(parseStreamId("#!::u=admin,r=ietf_107_srt_overview,m=publish"));
    assert.equal(pub.mode, "publish");
    assert.equal(pub.modeGiven, true);
    assert.equal(pub.syntax, "access-control");
  });

  it("splits at the first = so values may contain =", () => {
    const id = ok(parseStreamId("#!::r=a=b=c,user_sig=xyz=="));
    assert.equal(id.resource, "a=b=c");
    assert.deepEqual(id.custom, { user_sig: "xyz==" });
  });

  it("keeps ? in r (the spec's own example) in auto mode", () => {
    const id = ok(parseStreamId("#!::h=somehost.com,r=videos/query.php?vid=366"));
    assert.equal(id.host, "somehost.com");
    assert.equal(id.resource, "videos/query.php?vid=366");
    assert.equal(id.syntax, "access-control");
  });

  it("puts custom and unknown keys in custom, token/secret in token", () => {
    const id = ok(parseStreamId("#!::r=x,vendor_id=7,user_tag=a b,key=val,secret=s3"));
    assert.deepEqual(id.custom, { vendor_id: "7", user_tag: "a b", key: "val" });
    assert.equal(id.token, "s3");
    assert.ok(id.notes.includes("space-in-value"));
  });

  it("stores keys named like Object.prototype members as ordinary custom keys", () => {
    const id = ok(parseStreamId("#!::r=x,__proto__=evil,constructor=c,toString=t"));
    assert.ok(Object.hasOwn(id.custom, "__proto__"));
    assert.equal(id.custom["__proto__"], "evil");
    assert.equal(Object.getPrototypeOf(id.custom), Object.prototype);
    assert.deepEqual(Object.keys(id.custom), ["__proto__", "constructor", "toString"]);
    assert.equal(({} as Record<string, unknown>).evil, undefined);
  });

  it("accepts bidirectional and folds the case of m and t", () => {
    const id = ok(parseStreamId("#!::r=x,m=PUBLISH,t=Stream"));
    assert.equal(id.mode, "publish");
    assert.equal(id.type, "stream");
    assert.ok(id.notes.includes("value-case-folded"));
    assert.equal(ok(parseStreamId("#!::r=x,m=bidirectional")).mode, "bidirectional");
  });

  it("tolerates empty items and spaces around keys", () => {
    const id = ok(parseStreamId("#!::r=x,, m=publish,"));
    assert.equal(id.resource, "x");
    assert.equal(id.mode, "publish");
    assert.ok(id.notes.includes("empty-item-skipped"));
    assert.ok(id.notes.includes("key-trimmed"));
  });

  it("treats an empty standard value as absent", () => {
    const id = ok(parseStreamId("#!::r=,u="));
    assert.equal(id.resource, undefined);
    assert.equal(id.user, undefined);
    assert.equal(ok(parseStreamId("#!::")).resource, undefined);
  });

  it("reads s as a password only when asked (MediaMTX)", () => {
    const raw = "#!::m=publish,r=cam,u=bob,s=hunter22";
    assert.equal(ok(parseStreamId(raw)).password, undefined);
    const id = ok(parseStreamId(raw, { sessionAsPassword: true }));
    assert.equal(id.password, "hunter22");
    assert.equal(id.session, "hunter22");
    assert.equal(id.user, "bob");
  });

  it("records FFmpeg's + to space rewrite as a note (the + is lost)", () => {
    // Captured on the wire from ffmpeg -i "...streamid=#!::r=a+b%23c,m=publish,u=x1234".
    const id = ok(parseStreamId("#!::r=a b%23c,m=publish,u=x1234"));
    assert.equal(id.resource, "a b%23c");
    assert.equal(id.user, "x1234");
    assert.ok(id.notes.includes("space-in-value"));
    assert.equal(normalizeStreamName("a+b%23c"), id.resource);
  });
});

describe("parseStreamId() refusals", () => {
  const cases: Array<[string, string, number]> = [
    ["#!::r=a,m=push", "bad-mode", 1405],
    ["#!::r=a,m=", "bad-mode", 1405],
    ["#!::r=a,t=video", "bad-type", 1400],
    ["#!::r=a,publish", "missing-equals", 1400],
    ["#!::=x", "empty-key", 1400],
    ["#!::r=a,r=b", "duplicate-key", 1400],
    ["#!::r=a,token=1,secret=2", "duplicate-key", 1400],
    ["#!:{r=a}", "unsupported-syntax", 1400],
    ["#!x", "unsupported-syntax", 1400],
    ["#!", "unsupported-syntax", 1400],
    ["#!::r=a\nm=publish", "control-character", 1400],
    ["a\0b", "control-character", 1400],
    ["live,mode:play", "bad-mode", 1405],
    ["live,mode:publish,mode:request", "duplicate-key", 1400],
    ["publish:a:b:c:d:e", "unsupported-syntax", 1400],
  ];
  for (const [raw, code, reason] of cases) {
    it(`refuses ${JSON.stringify(raw)} with ${code}`, () => {
      const e = err(parseStreamId(raw));
      assert.equal(e.code, code);
      assert.equal(e.reason, reason);
      assert.ok(e.message.length > 0);
    });
  }

  it("refuses unknown keys only in strict mode, with KEY_NOTSUP", () => {
    assert.equal(ok(parseStreamId("#!::r=a,x=1")).custom.x, "1");
    const single = err(parseStreamId("#!::r=a,x=1", { strictKeys: true }));
    assert.equal(single.code, "unsupported-key");
    assert.equal(single.reason, 1001);
    assert.equal(err(parseStreamId("#!::r=a,foo=1", { strictKeys: true })).code, "unsupported-key");
    assert.equal(ok(parseStreamId("#!::r=a,acme_x=1", { strictKeys: true })).custom.acme_x, "1");
  });

  it("refuses a lone surrogate", () => {
    assert.equal(err(parseStreamId("#!::r=\ud800")).code, "invalid-utf8");
    assert.equal(err(parseStreamId("a\udc00")).code, "invalid-utf8");
  });

  it("refuses a non-string without throwing", () => {
    assert.equal(err(parseStreamId(42 as unknown as string)).code, "unsupported-syntax");
  });
});

describe("parseStreamId() 512-byte limit and UTF-8", () => {
  it("accepts exactly 512 bytes and refuses 513", () => {
    const base = "#!::r=";
    assert.equal(ok(parseStreamId(base + "a".repeat(512 - base.length))).resource!.length, 506);
    const e = err(parseStreamId(base + "a".repeat(513 - base.length)));
    assert.equal(e.code, "too-long");
    assert.equal(e.reason, 1400);
  });

  it("counts bytes, not characters", () => {
    // "é" is 2 bytes, "€" 3, "🎥" 4 (a surrogate pair in UTF-16).
    const two = "é".repeat(256);
    assert.equal(ok(parseStreamId(two)).resource, two);
    assert.equal(err(parseStreamId(two + "a")).code, "too-long");
    const four = "🎥".repeat(128);
    assert.equal(ok(parseStreamId(four)).resource, four);
    assert.equal(err(parseStreamId(four + "a")).code, "too-long");
    assert.equal(ok(parseStreamId("#!::u=josé,r=€uro/🎥")).resource, "€uro/🎥");
  });

  it("parseStreamIdBytes strips NUL padding and refuses bad UTF-8 and > 512 bytes", () => {
    const enc = new TextEncoder();
    assert.equal(ok(parseStreamIdBytes(enc.encode("#!::r=ab\0\0"))).resource, "ab");
    assert.equal(err(parseStreamIdBytes(new Uint8Array([0x23, 0xc3]))).code, "invalid-utf8");
    assert.equal(err(parseStreamIdBytes(new Uint8Array([0xed, 0xa0, 0x80]))).code, "invalid-utf8");
    assert.equal(err(parseStreamIdBytes(new Uint8Array(513).fill(0x61))).code, "too-long");
    const padded = new Uint8Array(516).fill(0);
    padded.fill(0x61, 0, 512);
    assert.equal(ok(parseStreamIdBytes(padded)).resource!.length, 512);
    assert.equal(ok(parseStreamIdBytes(new Uint8Array(0))).syntax, "empty");
  });
});

describe("parseStreamId() dialects", () => {
  it("empty", () => {
    const id = ok(parseStreamId(""));
    assert.equal(id.syntax, "empty");
    assert.equal(id.resource, undefined);
    assert.equal(id.modeGiven, false);
  });

  it("plain: the whole string is the resource (SRS, Ant Media, Mux)", () => {
    for (const raw of ["live/livestream", "LiveApp/stream1", "sk-12345"]) {
      const id = ok(parseStreamId(raw));
      assert.equal(id.syntax, "plain");
      assert.equal(id.resource, raw);
      assert.equal(id.mode, "request");
    }
  });

  it("SRS: all its publish forms give the same value", () => {
    const forms = [
      "#!::r=live/livestream,m=publish",
      "#!::h=live/livestream,m=publish",
      "#!::h=live/livestream?secret=x,m=publish",
    ];
    const ids = forms.map((f) => ok(parseStreamId(f)));
    for (const id of ids) {
      assert.deepEqual(core(id), {
        user: undefined,
        resource: "live/livestream",
        host: undefined,
        mode: "publish",
        type: "stream",
      });
    }
    assert.equal(ids[0].syntax, "access-control");
    assert.equal(ids[1].syntax, "srs");
    assert.ok(ids[1].notes.includes("h-as-resource"));
    assert.equal(ids[2].syntax, "srs");
    assert.equal(ids[2].token, "x");
    assert.ok(ids[2].notes.includes("question-mark-split"));
  });

  it("SRS: h is the vhost when r is present; play defaults to request", () => {
    const id = ok(parseStreamId("#!::h=vhost.example,r=app/stream,key=val"));
    assert.equal(id.host, "vhost.example");
    assert.equal(id.resource, "app/stream");
    assert.equal(id.custom.key, "val");
    assert.equal(ok(parseStreamId("#!::r=live/livestream")).mode, "request");
    assert.equal(ok(parseStreamId("#!::r=live/livestream,m=request")).mode, "request");
  });

  it("SRS: the ? rewrite can be forced or turned off", () => {
    const always = ok(parseStreamId("#!::r=live/a?secret=x", { questionMark: "always" }));
    assert.equal(always.resource, "live/a");
    assert.equal(always.token, "x");
    assert.equal(always.syntax, "srs");
    const never = ok(parseStreamId("#!::h=live/a?secret=x", { questionMark: "never" }));
    assert.equal(never.resource, "live/a?secret=x");
    const noSrs = ok(parseStreamId("#!::h=live/a", { dialects: [] }));
    assert.equal(noSrs.resource, undefined);
    assert.equal(noSrs.host, "live/a");
  });

  it("MediaMTX: every shape of its own syntax", () => {
    const a = ok(parseStreamId("publish:mystream"));
    assert.equal(a.syntax, "mediamtx");
    assert.equal(a.mode, "publish");
    assert.equal(a.resource, "mystream");
    const b = ok(parseStreamId("read:mystream"));
    assert.equal(b.mode, "request");
    assert.equal(b.modeGiven, true);
    const c = ok(parseStreamId("publish:cam/1:tok=abc"));
    assert.equal(c.query, "tok=abc");
    assert.equal(c.user, undefined);
    const d = ok(parseStreamId("read:cam/1:bob:pw"));
    assert.equal(d.user, "bob");
    assert.equal(d.password, "pw");
    assert.equal(d.query, undefined);
    const e = ok(parseStreamId("publish:cam/1:bob:pw:x=1&y=2"));
    assert.deepEqual([e.user, e.password, e.query], ["bob", "pw", "x=1&y=2"]);
    const f = ok(parseStreamId("read:cam/1#feedbackplay"));
    assert.equal(f.resource, "cam/1");
    assert.ok(f.notes.includes("feedbackplay-stripped"));
  });

  it("MediaMTX: the standard form with s as password matches the custom form", () => {
    const std = ok(parseStreamId("#!::m=publish,r=cam,u=bob,s=pw,bmd_uuid=1", {
      sessionAsPassword: true,
    }));
    const own = ok(parseStreamId("publish:cam:bob:pw"));
    assert.deepEqual(core(std), core(own));
    assert.equal(std.password, own.password);
  });

  it("MediaMTX syntax is plain text when the dialect is off", () => {
    const id = ok(parseStreamId("publish:cam", { dialects: ["srs"] }));
    assert.equal(id.syntax, "plain");
    assert.equal(id.resource, "publish:cam");
  });

  it("datarhei: resource,mode:...,token:...", () => {
    const a = ok(parseStreamId("123456,mode:publish,token:bla"));
    assert.equal(a.syntax, "datarhei");
    assert.deepEqual([a.resource, a.mode, a.token], ["123456", "publish", "bla"]);
    const b = ok(parseStreamId("bla,token:foobar"));
    assert.deepEqual([b.resource, b.mode, b.token, b.modeGiven], [
      "bla",
      "request",
      "foobar",
      false,
    ]);
    const c = ok(parseStreamId("bla,token:foo,bar,mode:publish"));
    assert.equal(c.token, "foo,bar");
    assert.equal(c.mode, "publish");
    // "token=" with "=" is not datarhei's marker: the whole thing is a plain name.
    assert.equal(ok(parseStreamId("bla,token=foobar")).resource, "bla,token=foobar");
  });

  it("datarhei legacy: #!: with one colon", () => {
    const a = ok(parseStreamId("#!:m=publish,r=123456,token=bla"));
    assert.equal(a.syntax, "datarhei-legacy");
    assert.deepEqual([a.resource, a.mode, a.token], ["123456", "publish", "bla"]);
    const b = ok(parseStreamId("#!:token=foo,bar"));
    assert.equal(b.token, "foo");
    assert.ok(b.notes.includes("item-without-equals-skipped"));
    assert.equal(ok(parseStreamId("#!:")).resource, undefined);
    assert.equal(err(parseStreamId("#!:m=publish", { dialects: [] })).code, "unsupported-syntax");
  });

  it("datarhei and the spec form agree", () => {
    const forms = [
      "live,mode:publish,token:t",
      "#!:m=publish,r=live,token=t",
      "#!::r=live,m=publish,token=t",
    ];
    const ids = forms.map((f) => ok(parseStreamId(f)));
    for (const id of ids) {
      assert.deepEqual(core(id), core(ids[0]));
      assert.equal(id.token, "t");
    }
  });
});

describe("parseStreamId() percent-encoded stream IDs", () => {
  it("decodes a wholly encoded #! stream ID and keeps the raw text", () => {
    const raw = "%23%21%3A%3Ar%3Dlive%2Fa%2Cm%3Dpublish";
    const id = ok(parseStreamId(raw));
    assert.equal(id.raw, raw);
    assert.equal(id.syntax, "access-control");
    assert.equal(id.resource, "live/a");
    assert.equal(id.mode, "publish");
    assert.equal(id.notes[0], "percent-decoded");
    assert.equal(ok(parseStreamId("%23!%3Am%3Dpublish%2Cr%3D1")).syntax, "datarhei-legacy");
  });

  it("leaves other % text alone, and refuses broken or control-bearing encodings", () => {
    assert.equal(ok(parseStreamId("live%2Fa")).resource, "live%2Fa");
    assert.equal(ok(parseStreamId("#!::r=a%2Cb")).resource, "a%2Cb");
    assert.equal(
      ok(parseStreamId("%23%21%3A%3Ar%3Da", { percentDecode: false })).resource,
      "%23%21%3A%3Ar%3Da",
    );
    assert.equal(err(parseStreamId("%23%21%3A%3Ar%3D%E0%A4%A")).code, "unsupported-syntax");
    assert.equal(err(parseStreamId("%23%21%3A%3Ar%3Da%0A")).code, "control-character");
  });
});

describe("formatStreamId()", () => {
  it("writes the spec syntax in u, r, h, s, t, m order then sorted custom keys", () => {
    assert.equal(
      formatStreamId({
        mode: "publish",
        type: "file",
        session: "s1",
        host: "h1",
        resource: "r1",
        user: "u1",
        custom: { vendor_b: "2", user_a: "1" },
      }),
      "#!::u=u1,r=r1,h=h1,s=s1,t=file,m=publish,user_a=1,vendor_b=2",
    );
    assert.equal(formatStreamId({}), "#!::");
  });

  it("writes the other syntaxes", () => {
    assert.equal(
      formatStreamId(
        { resource: "c", mode: "publish", user: "u", password: "p", query: "q" },
        "mediamtx",
      ),
      "publish:c:u:p:q",
    );
    assert.equal(
      formatStreamId({ resource: "c", mode: "publish", token: "t" }, "datarhei"),
      "c,mode:publish,token:t",
    );
    assert.equal(formatStreamId({ resource: "live/x" }, "plain"), "live/x");
  });

  it("refuses what a syntax cannot carry", () => {
    assert.throws(() => formatStreamId({ resource: "a,b" }), TypeError);
    assert.throws(() => formatStreamId({ resource: "a", token: "t" }), TypeError);
    assert.throws(() => formatStreamId({ custom: { x: "1" } }), TypeError);
    assert.throws(() => formatStreamId({ custom: { "a=b": "1" } }), TypeError);
    assert.throws(() => formatStreamId({ resource: "a:b" }, "mediamtx"), TypeError);
    assert.throws(() => formatStreamId({ resource: "a", user: "u" }, "mediamtx"), TypeError);
    assert.throws(
      () => formatStreamId({ resource: "a", mode: "bidirectional" }, "mediamtx"),
      TypeError,
    );
    assert.throws(() => formatStreamId({ resource: "a", host: "h" }, "datarhei"), TypeError);
    assert.throws(() => formatStreamId({ resource: "#!::r=a" }, "plain"), TypeError);
    assert.throws(() => formatStreamId({ resource: "a", mode: "publish" }, "plain"), TypeError);
    assert.throws(() => formatStreamId({ resource: "a\n" }), TypeError);
    assert.throws(() => formatStreamId({ resource: "a" }, "json" as "plain"), TypeError);
    assert.throws(() => formatStreamId({ resource: "x".repeat(STREAM_ID_MAX_BYTES) }), RangeError);
  });

  it("round-trips through parseStreamId in every syntax", () => {
    const inits: Array<[StreamIdInit, "access-control" | "mediamtx" | "datarhei" | "plain"]> = [
      [{ user: "admin", resource: "ietf_107_srt_overview", mode: "publish" }, "access-control"],
      [{
        user: "ü",
        resource: "a=b/€",
        host: "h",
        session: "s",
        type: "file",
        mode: "bidirectional",
        custom: { user_x: "1=2" },
      }, "access-control"],
      [{ resource: "cam/1", mode: "publish", user: "u", password: "p", query: "q=1" }, "mediamtx"],
      [{ resource: "cam/1", mode: "request" }, "mediamtx"],
      [{ resource: "cam,1", mode: "publish", token: "t,u" }, "datarhei"],
      [{ resource: "live/x" }, "plain"],
    ];
    for (const [init, syntax] of inits) {
      const id = ok(parseStreamId(formatStreamId(init, syntax)));
      for (const [k, v] of Object.entries(init)) {
        assert.deepEqual((id as unknown as Record<string, unknown>)[k], v, `${syntax} ${k}`);
      }
    }
  });
});

describe("parseStreamId() robustness", () => {
  it("never throws on pseudo-random input", () => {
    const alphabet = [..."#!:,=?{}+ ræ€🎥abcmrhustpuiblsh_&%\0\n", "\ud800"];
    let x = 0x9e3779b9;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    const prefixes = ["", "#!::", "#!:", "publish:", "read:", "a,mode:", "#!::h="];
    for (let i = 0; i < 3000; i++) {
      let s = prefixes[next() % prefixes.length];
      const n = next() % 40;
      for (let j = 0; j < n; j++) s += alphabet[next() % alphabet.length];
      const r = parseStreamId(s);
      if (r.ok) {
        assert.equal(r.value.raw, s);
        assert.ok(["request", "publish", "bidirectional"].includes(r.value.mode));
      } else {
        assert.ok(r.error.reason >= 1000);
      }
      // The byte form agrees with the string form for everything that is not padding.
      const bytes = parseStreamIdBytes(new TextEncoder().encode(s.replace(/\0+$/, "")));
      if (!s.includes("\0") && !s.includes("\ud800")) assert.equal(bytes.ok, r.ok, s);
    }
  });
});
