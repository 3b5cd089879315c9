import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccessControl,
  type AccessControlConfig,
  type AccessLogEntry,
  AccessReject,
  type AccessState,
  type Decision,
} from "./access_control.ts";

const PEER = { hostname: "192.0.2.10", port: 50000 };

function make(config: AccessControlConfig, state?: AccessState) {
  const log: AccessLogEntry[] = [];
  const ac = new AccessControl(config, { logger: (e) => log.push(e), ...(state ? { state } : {}) });
  const decide = (
    streamId: string | undefined,
    opts: { host?: string; port?: number; now?: number } = {},
  ) =>
    ac.decide({
      peer: { hostname: opts.host ?? PEER.hostname, port: PEER.port },
      streamId,
      listenerPort: opts.port ?? 9000,
    }, opts.now ?? 1000);
  return { ac, log, decide };
}

function rejected(d: Decision, reason: number): string {
  if (d.accept) assert.fail(`expected rejection ${reason}, got ${JSON.stringify(d)}`);
  assert.equal(d.reason, reason, d.message);
  assert.ok(d.message.length > 0);
  return d.message;
}

function accepted(d: Decision) {
  if (!d.accept) assert.fail(`expected acceptance, got ${d.reason}: ${d.message}`);
  return d;
}

const config: AccessControlConfig = {
  deny: ["198.51.100.0/24", "2001:db8:bad::/48"],
  passphrase: "default-passphrase",
  users: {
    admin: { passphrase: "admin-passphrase" },
    bob: { password: "bobs-pw", allowedResources: ["live/bob*"], modes: ["publish"] },
    reader: { modes: ["request"] },
    gone: { expiresAt: 500 },
    future: { notBefore: 5000 },
    off: { disabled: true },
    lan: { allow: ["10.0.0.0/8"] },
  },
  resources: [
    { match: "live/private", users: ["admin"], passphrase: "private-passphrase" },
    { match: "live/token", token: "s3cret" },
    { match: "live/lan-only", allow: ["10.0.0.0/8", "::1"] },
    { match: "live/blocked", deny: ["192.0.2.0/24"] },
    { match: "live/port9001", listenerPorts: [9001] },
    { match: "live/*", modes: ["publish", "request"] },
    { match: "files/*", modes: ["request"], passphrase: "files-passphrase" },
  ],
};

describe("AccessControl.decide() rejection reasons", () => {
  it("1403 FORBIDDEN for a denied address, including its IPv4-mapped form and IPv6", () => {
    const { decide } = make(config);
    rejected(decide("#!::r=live/a", { host: "198.51.100.7" }), AccessReject.FORBIDDEN);
    rejected(decide("#!::r=live/a", { host: "::ffff:198.51.100.7" }), 1403);
    rejected(decide("#!::r=live/a", { host: "2001:db8:bad:1::9" }), 1403);
    accepted(decide("#!::r=live/a", { host: "2001:db8:900d::9" }));
  });

  it("1403 FORBIDDEN when not on the allow list (host names never match)", () => {
    const { decide } = make({ allow: ["10.0.0.0/8"] });
    accepted(decide("x", { host: "10.1.2.3" }));
    accepted(decide("x", { host: "::ffff:10.1.2.3" }));
    rejected(decide("x", { host: "192.0.2.1" }), 1403);
    rejected(decide("x", { host: "example.com" }), 1403);
  });

  it("1402 OVERLOAD at the connection limit", () => {
    let active = 2;
    const { decide } = make({ maxConnections: 3 }, { activeConnections: () => active });
    accepted(decide("x"));
    active = 3;
    rejected(decide("x"), AccessReject.OVERLOAD);
  });

  it("1400 BAD_REQUEST, 1405 BAD_MODE and 1001 KEY_NOTSUP for bad stream IDs", () => {
    const { decide } = make({ parse: { strictKeys: true } });
    rejected(decide("#!::r=live/a,r=live/b"), AccessReject.BAD_REQUEST);
    rejected(decide("#!:{nested}"), 1400);
    rejected(decide("#!::u=admin"), 1400); // names no resource
    rejected(decide("x".repeat(513)), 1400);
    rejected(decide("#!::r=live/a,m=write"), AccessReject.BAD_MODE);
    rejected(decide("#!::r=live/a,z=1"), AccessReject.KEY_NOTSUP);
  });

  it("1404 NOTFOUND for unknown resources, wrong ports and unroutable callers", () => {
    const { decide } = make(config);
    rejected(decide("#!::r=vod/a"), AccessReject.NOTFOUND);
    rejected(decide("#!::r=live/port9001"), 1404);
    accepted(decide("#!::r=live/port9001", { port: 9001 }));
    rejected(decide(undefined), 1404);
    rejected(decide(""), 1404);
    // Without rules every resource exists, or with allowUnknownResources.
    accepted(make({}).decide("#!::r=anything"));
    accepted(make({ ...config, allowUnknownResources: true }).decide("#!::r=vod/a"));
  });

  it("1403 FORBIDDEN from per-resource address lists", () => {
    const { decide } = make(config);
    accepted(decide("#!::r=live/lan-only", { host: "10.9.9.9" }));
    accepted(decide("#!::r=live/lan-only", { host: "::1" }));
    rejected(decide("#!::r=live/lan-only"), 1403);
    rejected(decide("#!::r=live/blocked"), 1403);
    accepted(decide("#!::r=live/blocked", { host: "10.0.0.1" }));
  });

  it("1405 BAD_MODE for a mode the resource does not offer", () => {
    const { decide } = make(config);
    accepted(decide("#!::r=files/report.csv"));
    rejected(decide("#!::r=files/report.csv,m=publish"), AccessReject.BAD_MODE);
    rejected(decide("#!::r=live/a,m=bidirectional"), 1405);
  });

  it("1406 UNACCEPTABLE for a stream type the server does not serve", () => {
    const { decide } = make(config);
    rejected(decide("#!::r=live/a,t=file"), AccessReject.UNACCEPTABLE);
    rejected(decide("#!::r=live/a,t=auth"), 1406);
    accepted(decide("#!::r=live/a,t=stream"));
    accepted(make({ ...config, types: ["stream", "file"] }).decide("#!::r=live/a,t=file"));
  });

  it("1401 UNAUTHORIZED for missing, unknown, expired, disabled users and wrong secrets", () => {
    const { decide } = make(config);
    rejected(decide("#!::r=live/private"), AccessReject.UNAUTHORIZED);
    rejected(decide("#!::u=mallory,r=live/a"), 1401);
    rejected(decide("#!::u=gone,r=live/a"), 1401);
    accepted(decide("#!::u=gone,r=live/a", { now: 499 }));
    rejected(decide("#!::u=future,r=live/a"), 1401);
    accepted(decide("#!::u=future,r=live/a", { now: 5000 }));
    rejected(decide("#!::u=off,r=live/a"), 1401);
    rejected(decide("#!::u=toString,r=live/a"), 1401);
    // bob needs his password: MediaMTX form carries it.
    rejected(decide("#!::u=bob,r=live/bob1,m=publish"), 1401);
    rejected(decide("publish:live/bob1:bob:wrong"), 1401);
    accepted(decide("publish:live/bob1:bob:bobs-pw"));
    // Token for live/token: datarhei token or SRS secret.
    rejected(decide("#!::r=live/token"), 1401);
    rejected(decide("live/token,token:nope"), 1401);
    accepted(decide("live/token,token:s3cret"));
    accepted(decide("#!::h=live/token?secret=s3cret"));
    // requireUser everywhere.
    rejected(make({ requireUser: true }).decide("#!::r=x"), 1401);
    accepted(make({ requireUser: true }).decide("#!::u=anyone,r=x"));
  });

  it("s counts as the password when sessionAsPassword is set (MediaMTX)", () => {
    const { decide } = make({ ...config, parse: { sessionAsPassword: true } });
    accepted(decide("#!::m=publish,r=live/bob1,u=bob,s=bobs-pw"));
    rejected(make(config).decide("#!::m=publish,r=live/bob1,u=bob,s=bobs-pw"), 1401);
  });

  it("1403 FORBIDDEN for users outside their resources, modes, rule lists or addresses", () => {
    const { decide } = make(config);
    rejected(decide("publish:live/alice:bob:bobs-pw"), AccessReject.FORBIDDEN);
    rejected(decide("read:live/bob1:bob:bobs-pw"), 1403);
    rejected(decide("#!::u=reader,r=live/a,m=publish"), 1403);
    accepted(decide("#!::u=reader,r=live/a"));
    rejected(decide("#!::u=reader,r=live/private"), 1403);
    rejected(decide("#!::u=lan,r=live/a"), 1403);
    accepted(decide("#!::u=lan,r=live/a", { host: "::ffff:10.1.1.1" }));
  });

  it("1409 CONFLICT for a second publisher, unless turned off", () => {
    const published = new Set(["live/busy"]);
    const state = { isPublished: (r: string) => published.has(r) };
    const { decide } = make(config, state);
    rejected(decide("#!::r=live/busy,m=publish"), AccessReject.CONFLICT);
    accepted(decide("#!::r=live/busy"));
    accepted(decide("#!::r=live/free,m=publish"));
    accepted(
      make({ ...config, exclusivePublish: false }, state).decide("#!::r=live/busy,m=publish"),
    );
  });
});

describe("AccessControl.decide() acceptance", () => {
  it("chooses the passphrase: stream key, then user, then resource, then default", () => {
    const { decide } = make(config);
    assert.equal(accepted(decide("#!::u=admin,r=live/private")).passphrase, "admin-passphrase");
    assert.equal(accepted(decide("#!::r=files/x")).passphrase, "files-passphrase");
    assert.equal(accepted(decide("#!::r=live/x")).passphrase, "default-passphrase");
    assert.equal(accepted(make({}).decide("x")).passphrase, undefined);
  });

  it("accepts stream keys (whole-ID secrets) and refuses expired ones", () => {
    const { decide, log } = make({
      ...config,
      streamKeys: {
        "sk_live_abc": { resource: "live/studio", passphrase: "key-passphrase" },
        "sk_old": { resource: "live/studio", expiresAt: 1000 },
      },
    });
    const d = accepted(decide("sk_live_abc"));
    assert.deepEqual(d, {
      accept: true,
      resource: "live/studio",
      mode: "publish",
      passphrase: "key-passphrase",
    });
    rejected(decide("sk_old"), 1401);
    // The key never reaches the log.
    assert.ok(!JSON.stringify(log).includes("sk_live_abc"));
    assert.equal(log[0].via, "stream-key");
  });

  it("routes HSv4 callers and Makito callers by listener port and peer address", () => {
    const { decide } = make({
      routes: [
        {
          listenerPort: 9000,
          peers: ["10.0.0.0/8"],
          resource: "site-a",
          mode: "publish",
          user: "enc-a",
        },
        { listenerPort: 9000, resource: "lobby", mode: "publish" },
        { listenerPort: 9100, mode: "request" },
      ],
      missingMode: "by-route",
    });
    assert.deepEqual(accepted(decide(undefined, { host: "10.1.1.1" })), {
      accept: true,
      resource: "site-a",
      mode: "publish",
      user: "enc-a",
    });
    assert.equal(accepted(decide(undefined, { host: "192.0.2.1" })).resource, "lobby");
    rejected(decide(undefined, { port: 9100 }), 1404);
    const makito = "#!::u=admin,r=ietf_107_srt_overview";
    assert.equal(accepted(decide(makito)).mode, "publish");
    assert.equal(accepted(decide(makito, { port: 9100 })).mode, "request");
    assert.equal(accepted(decide(makito + ",m=request")).mode, "request");
  });

  it("can name unrouted HSv4 callers after their address, as datarhei does", () => {
    const { decide } = make({ unroutedCallers: "peer-address", missingMode: "publish" });
    assert.deepEqual(accepted(decide(undefined)), {
      accept: true,
      resource: "192.0.2.10:50000",
      mode: "publish",
    });
    assert.equal(accepted(decide("", { host: "::ffff:192.0.2.10" })).resource, "192.0.2.10:50000");
    assert.equal(
      accepted(decide(undefined, { host: "2001:db8::7" })).resource,
      "[2001:db8::7]:50000",
    );
    // A route's resource still wins, and resource rules still apply.
    const routed = make({ unroutedCallers: "peer-address", routes: [{ resource: "r" }] });
    assert.equal(accepted(routed.decide(undefined)).resource, "r");
    const ruled = make({ unroutedCallers: "peer-address", resources: [{ match: "live/*" }] });
    rejected(ruled.decide(undefined), 1404);
  });

  it("matches names across FFmpeg's + to space rewrite unless told not to", () => {
    const cfg: AccessControlConfig = { resources: [{ match: "live/a+b" }] };
    accepted(make(cfg).decide("#!::r=live/a b"));
    accepted(make(cfg).decide("#!::r=live/a+b"));
    rejected(make({ ...cfg, foldPlus: false }).decide("#!::r=live/a b"), 1404);
  });

  it("treats the same request identically in every dialect", () => {
    const { decide } = make(config);
    const forms = [
      "#!::r=live/cam,m=publish",
      "#!::h=live/cam,m=publish",
      "publish:live/cam",
      "live/cam,mode:publish",
      "#!:m=publish,r=live/cam",
    ];
    for (const f of forms) {
      assert.deepEqual(accepted(decide(f)), {
        accept: true,
        resource: "live/cam",
        mode: "publish",
        passphrase: "default-passphrase",
      }, f);
    }
  });
});

describe("AccessControl logging and counters", () => {
  it("logs and counts every decision without secrets", () => {
    const { ac, decide, log } = make(config);
    decide("#!::u=admin,r=live/private", { now: 42 });
    decide("#!::r=vod/x");
    decide("#!::r=vod/y");
    decide("#!::r=live/a,m=publish", { host: "2001:db8::1" });
    assert.deepEqual(ac.counters, {
      decisions: 4,
      accepted: 2,
      rejected: 2,
      byReason: { 1404: 2 },
      byMode: { request: 1, publish: 1, bidirectional: 0 },
    });
    assert.equal(log.length, 4);
    assert.deepEqual(log[0], {
      now: 42,
      peer: "192.0.2.10:50000",
      listenerPort: 9000,
      via: "access-control",
      resource: "live/private",
      mode: "request",
      user: "admin",
      accept: true,
      encrypted: true,
    });
    assert.equal(log[1].accept, false);
    assert.equal(log[1].reason, 1404);
    assert.equal(log[1].resource, "vod/x");
    assert.equal(log[3].peer, "[2001:db8::1]:50000");
    assert.ok(!JSON.stringify(log).includes('passphrase":'));
    assert.ok(!JSON.stringify(log).includes("admin-passphrase"));
  });

  it("works without a logger and throws TypeError for bad CIDR configuration", () => {
    const ac = new AccessControl({});
    assert.equal(ac.decide({ peer: PEER, streamId: "x", listenerPort: 1 }, 0).accept, true);
    assert.throws(() => new AccessControl({ allow: ["10.0.0.0/99"] }), TypeError);
    assert.throws(
      () => new AccessControl({ resources: [{ match: "*", deny: ["nope"] }] }),
      TypeError,
    );
    assert.throws(() => new AccessControl({ routes: [{ peers: ["1.2.3"] }] }), TypeError);
    assert.throws(() => new AccessControl({ users: { u: { allow: ["::g"] } } }), TypeError);
  });

  it("never throws on odd peer input", () => {
    const { decide } = make(config);
    for (
      const sid of [
        "\0",
        "#!::r=\ud800",
        "#!::" + ",".repeat(600),
        "read:",
        "publish:",
        ",mode:",
        "#!:",
      ]
    ) {
      for (const host of ["", "::ffff:", "999.1.1.1", "[::1]", "fe80::1%lo0"]) {
        const d = decide(sid, { host });
        assert.equal(typeof d.accept, "boolean");
      }
    }
  });
});
