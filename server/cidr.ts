/**
 * IP addresses and CIDR ranges for IPv4 and IPv6, for allowlists and denylists.
 *
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4
 * peer) match IPv4 ranges, and IPv4 addresses match IPv6 ranges through their mapped form, so
 * `10.0.0.0/8` and `::ffff:10.0.0.0/104` select the same peers.
 *
 * A range written with host bits set (`192.168.1.7/24`) is accepted and means its network
 * (`192.168.1.0/24`), as in most firewall configurations. A zone index (`fe80::1%eth0`) and
 * square brackets (`[::1]`) are ignored when parsing an address.
 *
 * @module
 */

/**
 * An IP address as bytes: 4 for IPv4, 16 for IPv6.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type IpAddress, parseIp } from "@tsrt/tsrt/server";
 * const ip: IpAddress | undefined = parseIp("192.0.2.1");
 * assert.equal(ip?.family, 4);
 * assert.deepEqual([...ip!.bytes], [192, 0, 2, 1]);
 * ```
 */
export interface IpAddress {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** Network-order bytes, 4 or 16 of them. */
  readonly bytes: Uint8Array;
}

/**
 * A CIDR range: an address with the number of leading bits that must match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Cidr, cidrContains, parseCidr, parseIp } from "@tsrt/tsrt/server";
 * const range: Cidr | undefined = parseCidr("2001:db8::/32");
 * assert.equal(range?.prefix, 32);
 * assert.ok(cidrContains(range!, parseIp("2001:db8::1")!));
 * ```
 */
export interface Cidr extends IpAddress {
  /** Prefix length, 0..32 for IPv4 and 0..128 for IPv6. */
  readonly prefix: number;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  let tail: Uint8Array | undefined;
  let body = text;
  const lastColon = body.lastIndexOf(":");
  if (lastColon >= 0 && body.indexOf(".", lastColon) >= 0) {
    tail = parseIpv4(body.slice(lastColon + 1));
    if (!tail) return undefined;
    body = body.slice(0, lastColon + 1) + "0:0";
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const groups: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const head = toGroups(halves[0]);
  const rest = halves.length === 2 ? toGroups(halves[1]) : [];
  if (!head || !rest) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    // "::" stands for at least one zero group.
    if (head.length + rest.length > 7) return undefined;
    groups = [...head, ...new Array(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    if (head.length !== 8) return undefined;
    groups = head;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i] >> 8;
    out[2 * i + 1] = groups[i] & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/**
 * Parses an IPv4 or IPv6 address. Returns `undefined` for anything else (host names too).
 *
 * @param text Dotted-quad IPv4, or IPv6 text (optionally in brackets, with a zone index).
 * @returns The address, or `undefined` if `text` is not an IP address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIp } from "./cidr.ts";
 *
 * assert.deepEqual(parseIp("192.0.2.1")?.bytes, new Uint8Array([192, 0, 2, 1]));
 * assert.equal(parseIp("[fe80::1%eth0]")?.family, 6);
 * assert.equal(parseIp("example.com"), undefined);
 * ```
 */
export function parseIp(text: string): IpAddress | undefined {
  if (typeof text !== "string") return undefined;
  let t = text;
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  const zone = t.indexOf("%");
  if (zone >= 0 && t.includes(":")) t = t.slice(0, zone);
  if (t.includes(":")) {
    const bytes = parseIpv6(t);
    return bytes ? { family: 6, bytes } : undefined;
  }
  const bytes = parseIpv4(t);
  return bytes ? { family: 4, bytes } : undefined;
}

/**
 * The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), the address itself
 * if it is IPv4, or `undefined` for other IPv6 addresses.
 *
 * @param ip An address.
 * @returns The IPv4 form, if there is one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIp, toIpv4 } from "./cidr.ts";
 *
 * assert.deepEqual(toIpv4(parseIp("::ffff:10.1.2.3")!)?.bytes, new Uint8Array([10, 1, 2, 3]));
 * assert.equal(toIpv4(parseIp("2001:db8::1")!), undefined);
 * ```
 */
export function toIpv4(ip: IpAddress): IpAddress | undefined {
  if (ip.family === 4) return ip;
  const b = ip.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return undefined;
  if (b[10] !== 0xff || b[11] !== 0xff) return undefined;
  return { family: 4, bytes: b.slice(12) };
}

function toIpv6(ip: IpAddress): IpAddress {
  if (ip.family === 6) return ip;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(ip.bytes, 12);
  return { family: 6, bytes: out };
}

function mask(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/**
 * Parses a CIDR range such as `10.0.0.0/8` or `2001:db8::/32`. A bare address means a single
 * host (/32 or /128). Host bits below the prefix are cleared.
 *
 * @param text The range.
 * @returns The range, or `undefined` if `text` is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr } from "./cidr.ts";
 *
 * assert.equal(parseCidr("192.168.1.7/24")?.prefix, 24);
 * assert.equal(parseCidr("10.0.0.0/33"), undefined);
 * ```
 */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== "string") return undefined;
  const slash = text.indexOf("/");
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > max) return undefined;
  }
  return { family: ip.family, bytes: mask(ip.bytes, prefix), prefix };
}

/**
 * Whether `ip` lies in `range`, treating IPv4 and IPv4-mapped IPv6 as the same address.
 *
 * @param range The range.
 * @param ip The address.
 * @returns True if the first `range.prefix` bits agree.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cidrContains, parseCidr, parseIp } from "./cidr.ts";
 *
 * const lan = parseCidr("192.168.0.0/16")!;
 * assert.ok(cidrContains(lan, parseIp("192.168.4.2")!));
 * assert.ok(cidrContains(lan, parseIp("::ffff:192.168.4.2")!));
 * assert.ok(!cidrContains(lan, parseIp("10.0.0.1")!));
 * ```
 */
export function cidrContains(range: Cidr, ip: IpAddress): boolean {
  let addr: IpAddress | undefined;
  if (range.family === 4) {
    addr = toIpv4(ip);
    if (!addr) return false;
  } else {
    addr = toIpv6(ip);
  }
  const a = addr.bytes;
  const r = range.bytes;
  const full = range.prefix >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== r[i]) return false;
  const bits = range.prefix & 7;
  if (bits === 0) return true;
  const m = (0xff << (8 - bits)) & 0xff;
  return (a[full] & m) === r[full];
}

/**
 * Writes an address as text: dotted quad for IPv4; RFC 5952 for IPv6 (lower case, the longest
 * run of two or more zero groups as `::`, mapped IPv4 as `::ffff:a.b.c.d`).
 *
 * @param ip The address.
 * @returns Its canonical text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, parseIp } from "./cidr.ts";
 *
 * assert.equal(formatIp(parseIp("2001:0DB8:0:0:0:0:0:1")!), "2001:db8::1");
 * ```
 */
export function formatIp(ip: IpAddress): string {
  const b = ip.bytes;
  if (ip.family === 4) return Array.from(b).join(".");
  if (toIpv4(ip)) return "::ffff:" + Array.from(b.subarray(12)).join(".");
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[2 * i] << 8) | b[2 * i + 1]);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}

/**
 * A list of CIDR ranges, checked all at once. Built from configuration text; an entry that is
 * not a range is a configuration error and throws `TypeError` naming it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CidrList } from "./cidr.ts";
 *
 * const allow = new CidrList(["10.0.0.0/8", "2001:db8::/32"]);
 * assert.ok(allow.contains("10.20.30.40"));
 * assert.ok(allow.contains("::ffff:10.0.0.1"));
 * assert.ok(!allow.contains("192.0.2.1"));
 * assert.ok(!allow.contains("not-an-ip"));
 * ```
 */
export class CidrList {
  /** The parsed ranges, in configuration order. */
  readonly ranges: readonly Cidr[];

  /**
   * Parses every entry up front, keeping configuration order.
   *
   * @param entries Ranges such as `10.0.0.0/8`, `2001:db8::/32` or `::ffff:0:0/96`; an address
   *   without a prefix, such as `::1`, is a single-host range (/32 or /128).
   * @throws {TypeError} When an entry is not a range or address, naming the entry.
   */
  constructor(entries: readonly string[]) {
    const ranges: Cidr[] = [];
    for (const entry of entries) {
      const c = parseCidr(entry);
      if (!c) throw new TypeError(`Cannot parse CIDR range ${JSON.stringify(entry)}`);
      ranges.push(c);
    }
    this.ranges = ranges;
  }

  /** Number of ranges. */
  get size(): number {
    return this.ranges.length;
  }

  /**
   * Whether an address lies in any of the ranges. Text that is not an IP address (a host
   * name, garbage) is in none of them.
   *
   * @param address The address as text or parsed.
   * @returns True if some range contains it.
   */
  contains(address: string | IpAddress): boolean {
    const ip = typeof address === "string" ? parseIp(address) : address;
    if (!ip) return false;
    for (const r of this.ranges) if (cidrContains(r, ip)) return true;
    return false;
  }
}
