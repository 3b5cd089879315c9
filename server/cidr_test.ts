import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cidrContains, CidrList, formatIp, parseCidr, parseIp, toIpv4 } from "./cidr.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("parseIp()", () => {
  it("parses IPv4 strictly", () => {
    assert.deepEqual(parseIp("0.0.0.0")?.bytes, bytes(0, 0, 0, 0));
    assert.deepEqual(parseIp("255.255.255.255")?.bytes, bytes(255, 255, 255, 255));
    for (
      const bad of [
        "256.0.0.1",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.-4",
        "1.2.3.4 ",
        "",
        "a.b.c.d",
        "1..2.3",
      ]
    ) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });

  it("parses IPv6 with compression, embedded IPv4, brackets and zones", () => {
    assert.deepEqual(parseIp("::")?.bytes, new Uint8Array(16));
    assert.deepEqual(parseIp("::1")?.bytes, bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
    assert.deepEqual(
      parseIp("2001:DB8::8:800:200C:417A")?.bytes,
      bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 8, 8, 0, 0x20, 0x0c, 0x41, 0x7a),
    );
    assert.deepEqual(
      parseIp("::ffff:192.0.2.128")?.bytes,
      bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 128),
    );
    assert.equal(parseIp("1:2:3:4:5:6:7:8")?.family, 6);
    assert.equal(parseIp("1:2:3:4:5:6:1.2.3.4")?.family, 6);
    assert.equal(parseIp("[::1]")?.family, 6);
    assert.deepEqual(parseIp("fe80::1%eth0")?.bytes, parseIp("fe80::1")?.bytes);
  });

  it("refuses malformed IPv6", () => {
    for (
      const bad of [
        ":::",
        "1::2::3",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::8",
        "12345::",
        "g::1",
        ":1",
        "1:",
        "::ffff:1.2.3.256",
        "::1.2.3",
        "1.2.3.4%eth0",
      ]
    ) {
      assert.equal(parseIp(bad), undefined, bad);
    }
    assert.equal(parseIp(undefined as unknown as string), undefined);
  });
});

describe("parseCidr() and cidrContains()", () => {
  it("accepts /0 to /32 and /0 to /128, refuses beyond and junk", () => {
    assert.equal(parseCidr("0.0.0.0/0")?.prefix, 0);
    assert.equal(parseCidr("1.2.3.4/32")?.prefix, 32);
    assert.equal(parseCidr("1.2.3.4")?.prefix, 32);
    assert.equal(parseCidr("::/0")?.prefix, 0);
    assert.equal(parseCidr("::1/128")?.prefix, 128);
    assert.equal(parseCidr("::1")?.prefix, 128);
    for (
      const bad of [
        "1.2.3.4/33",
        "::/129",
        "1.2.3.4/",
        "1.2.3.4/-1",
        "1.2.3.4/08",
        "1.2.3.4/a",
        "/8",
        "x/8",
        "1.2.3.4/8/8",
      ]
    ) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it("clears host bits", () => {
    assert.deepEqual(parseCidr("192.168.1.7/24")?.bytes, bytes(192, 168, 1, 0));
    assert.deepEqual(parseCidr("10.255.255.255/9")?.bytes, bytes(10, 128, 0, 0));
    assert.equal(formatIp(parseCidr("2001:db8:ffff::1/35")!), "2001:db8:e000::");
  });

  it("/0 matches everything of its family and mapped addresses", () => {
    const any4 = parseCidr("0.0.0.0/0")!;
    assert.ok(cidrContains(any4, parseIp("203.0.113.9")!));
    assert.ok(cidrContains(any4, parseIp("::ffff:203.0.113.9")!));
    assert.ok(!cidrContains(any4, parseIp("2001:db8::1")!));
    const any6 = parseCidr("::/0")!;
    assert.ok(cidrContains(any6, parseIp("2001:db8::1")!));
    assert.ok(cidrContains(any6, parseIp("203.0.113.9")!));
  });

  it("/32 and /128 match exactly one address", () => {
    const one = parseCidr("203.0.113.9/32")!;
    assert.ok(cidrContains(one, parseIp("203.0.113.9")!));
    assert.ok(!cidrContains(one, parseIp("203.0.113.8")!));
    const one6 = parseCidr("2001:db8::9/128")!;
    assert.ok(cidrContains(one6, parseIp("2001:db8:0:0::9")!));
    assert.ok(!cidrContains(one6, parseIp("2001:db8::8")!));
  });

  it("checks partial bytes at odd prefix lengths", () => {
    const r = parseCidr("10.0.0.0/9")!;
    assert.ok(cidrContains(r, parseIp("10.127.255.255")!));
    assert.ok(!cidrContains(r, parseIp("10.128.0.0")!));
    const r6 = parseCidr("2001:db8::/33")!;
    assert.ok(cidrContains(r6, parseIp("2001:db8:7fff::1")!));
    assert.ok(!cidrContains(r6, parseIp("2001:db8:8000::1")!));
  });

  it("matches IPv4-mapped IPv6 both ways", () => {
    const v4 = parseCidr("192.168.0.0/16")!;
    assert.ok(cidrContains(v4, parseIp("::ffff:192.168.10.1")!));
    assert.ok(cidrContains(v4, parseIp("::FFFF:c0a8:0a01")!));
    assert.ok(!cidrContains(v4, parseIp("::192.168.10.1")!)); // IPv4-compatible, not mapped
    assert.ok(!cidrContains(v4, parseIp("64:ff9b::192.168.10.1")!));
    const mapped = parseCidr("::ffff:192.168.0.0/112")!;
    assert.ok(cidrContains(mapped, parseIp("192.168.200.1")!));
    assert.ok(!cidrContains(mapped, parseIp("192.169.0.1")!));
  });

  it("toIpv4() extracts only mapped addresses", () => {
    assert.deepEqual(toIpv4(parseIp("::ffff:1.2.3.4")!)?.bytes, bytes(1, 2, 3, 4));
    assert.equal(toIpv4(parseIp("::1")!), undefined);
    assert.equal(toIpv4(parseIp("1::ffff:1.2.3.4")!), undefined);
  });
});

describe("formatIp()", () => {
  it("writes RFC 5952 text", () => {
    const cases: Array<[string, string]> = [
      ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
      ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      ["::", "::"],
      ["::1", "::1"],
      ["1::", "1::"],
      ["::ffff:c000:0280", "::ffff:192.0.2.128"],
      ["10.0.0.1", "10.0.0.1"],
    ];
    for (const [input, want] of cases) assert.equal(formatIp(parseIp(input)!), want, input);
  });
});

describe("CidrList", () => {
  it("matches any of its ranges and nothing for non-addresses", () => {
    const list = new CidrList(["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"]);
    assert.equal(list.size, 3);
    assert.ok(list.contains("10.1.1.1"));
    assert.ok(list.contains("::ffff:127.0.0.1"));
    assert.ok(list.contains("2001:db8:1::5"));
    assert.ok(list.contains(parseIp("10.9.9.9")!));
    assert.ok(!list.contains("127.0.0.2"));
    assert.ok(!list.contains("localhost"));
    assert.ok(!list.contains(""));
    assert.ok(!new CidrList([]).contains("10.0.0.1"));
  });

  it("throws TypeError naming a bad entry", () => {
    assert.throws(() => new CidrList(["10.0.0.0/8", "10.0.0.0/40"]), /10\.0\.0\.0\/40/);
    assert.throws(() => new CidrList(["bogus"]), TypeError);
  });
});
