import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SrtConnection } from "./connection.ts";
import { type ControlPacket, decodeControlPacket } from "./control_packet.ts";
import { HsType } from "./handshake.ts";
import { ExtType, type HsReqExt } from "./handshake_ext.ts";
import { DEFAULTS, type ResolvedOptions } from "./options.ts";
import { RendezvousHandshake, type RendezvousInit } from "./rendezvous.ts";
import { cookieContest } from "./rendezvous_cookie.ts";

// ---------------------------------------------------------------------------------------------
// Cookie contest

test("cookie contest: the pair from srt PR #1517 (X = 811599203, Y = -1480577720)", () => {
  const X = 811599203;
  const Y = -1480577720;
  // X - Y = 2292176923 = 0x889FD81B: bit 31 set, so X is RESPONDER and Y INITIATOR.
  assert.equal(cookieContest(X, Y), "responder");
  assert.equal(cookieContest(Y, X), "initiator");
  // The same cookies as they travel (u32).
  assert.equal(cookieContest(X, Y >>> 0), "responder");
  assert.equal(cookieContest(Y >>> 0, X), "initiator");
  // A true 64-bit signed comparison (the 2025 draft text) would say the opposite.
  assert.ok(X > Y);
});

test("cookie contest: draw, not ready, and the 1.5.5 tie-break at exactly 2^31", () => {
  assert.equal(cookieContest(1234, 1234), "draw");
  assert.equal(cookieContest(-5, 0xfffffffb), "draw");
  assert.equal(cookieContest(0, 99), "not-ready");
  assert.equal(cookieContest(99, 0), "not-ready");
  assert.equal(cookieContest(10, 3), "initiator");
  assert.equal(cookieContest(3, 10), "responder");
  const hi = 0x40000000;
  const lo = -0x40000000; // hi - lo = 2^31
  assert.equal(cookieContest(hi, lo), "initiator");
  assert.equal(cookieContest(lo, hi), "responder");
  // libsrt 1.5.1 had no tie-break: both sides see bit 31 set and both become RESPONDER.
  assert.equal(cookieContest(hi, lo, false), "responder");
  assert.equal(cookieContest(lo, hi, false), "responder");
  // Any other pair gives complementary roles.
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) | 0;
  for (let i = 0; i < 2000; i++) {
    const a = rnd();
    const b = rnd();
    const ra = cookieContest(a, b);
    const rb = cookieContest(b, a);
    if (a === b || a === 0 || b === 0) continue;
    assert.notEqual(ra, rb, `${a} ${b}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Golden replay against libsrt 1.5.1

interface CapturedPacket {
  direction: "A->B" | "B->A";
  kind: "handshake" | "data" | "first_control";
  time: number;
  hex: string;
}
interface Scenario {
  name: string;
  expect: "connect" | "reject";
  packets: CapturedPacket[];
}
const doc = JSON.parse(
  readFileSync(new URL("../tests/vectors/srt_rendezvous_capture.json", import.meta.url), "utf8"),
) as { scenarios: Scenario[] };

const bytes = (hex: string): Uint8Array =>
  Uint8Array.from(hex.match(/../g) ?? [], (x) => parseInt(x, 16));
const hexOf = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
/** Hex with the timestamp (bytes 8..11) blanked: each side's clock is its own. */
const noTs = (hex: string): string => hex.slice(0, 16) + "........" + hex.slice(24);

type Hs = Extract<ControlPacket, { type: 0 }>;
const hsOf = (hex: string): Hs => decodeControlPacket(bytes(hex)) as Hs;

/** Options as srt-live-transmit had them in each scenario (libsrt sends FC = 8192). */
function optionsFor(scenario: string, side: "A" | "B"): ResolvedOptions {
  if (scenario === "latency_passphrase_fec") {
    const l = side === "A" ? 200 : 80;
    return { ...DEFAULTS, rcvLatency: l, peerLatency: l, flowWindow: 8192, pbkeylen: 16 };
  }
  // SRTO_PEERLATENCY defaults to 0 in libsrt; only SRTO_LATENCY sets both.
  return { ...DEFAULTS, rcvLatency: 120, peerLatency: 0, flowWindow: 8192 };
}
const FILTER: Record<string, string | undefined> = {
  latency_passphrase_fec: "fec,arq:onreq,cols:4,layout:staircase,rows:1",
  short_fec_string_rejected: "fec,cols:4",
};

for (const s of doc.scenarios) {
  for (const side of ["A", "B"] as const) {
    test(`capture ${s.name}: tsrt as side ${side} answers libsrt's packets as libsrt did`, () => {
      const mine = s.packets.filter((p) => p.kind === "handshake" && p.direction.startsWith(side));
      const theirs = s.packets.filter((p) => !p.direction.startsWith(side));
      const first = hsOf(mine[0].hex);
      const kmreq = s.packets.map((p) => p.kind === "handshake" ? hsOf(p.hex).handshake : undefined)
        .flatMap((h) => h?.extensions ?? []).find((e) => e.type === ExtType.KMREQ);
      const init: RendezvousInit = {
        socketId: first.handshake.socketId,
        peer: { hostname: "127.0.0.1", port: 1 },
        options: optionsFor(s.name, side),
        startUs: 0,
        initialSeq: first.handshake.initialSeq,
        cookie: first.handshake.cookie,
        packetFilter: FILTER[s.name],
        keyMaterial: kmreq && "data" in kmreq
          ? {
            request: () => kmreq.data,
            respond: (req) => (req ? { kmrsp: req } : undefined),
            accept: () => undefined,
          }
          : undefined,
      };
      const rdv = new RendezvousHandshake(first.timestamp, init);
      const outputs: string[] = rdv.takeOutput().map(hexOf);
      for (const p of theirs) {
        if (p.time < mine[0].time) continue; // sent before this side was up
        rdv.receive(first.timestamp + 1000, bytes(p.hex));
        outputs.push(...rdv.takeOutput().map(hexOf));
      }
      // Every packet tsrt sent is one libsrt sent (timestamps aside)...
      const libsrt = new Set(mine.map((p) => noTs(p.hex)));
      // ...where libsrt's extra WAVEAHAND (below) counts as the empty CONCLUSION a Responder
      // answers a WAVEAHAND with (same fields, type 0xFFFFFFFF), as side B does in "plain".
      for (const p of mine.slice(1)) {
        if (hsOf(p.hex).handshake.type !== HsType.WAVEAHAND) continue;
        libsrt.add(noTs(p.hex.slice(0, 72) + "ffffffff" + p.hex.slice(80)));
      }
      for (const o of outputs) {
        const t = hsOf(o).handshake.type;
        assert.ok(libsrt.has(noTs(o)), `unexpected ${t}: ${o}`);
      }
      // ...and every kind of handshake libsrt sent, tsrt sent too. (libsrt may answer the
      // first WAVEAHAND with one more WAVEAHAND, which tsrt skips: it concludes at once.)
      const produced = new Set(outputs.map(noTs));
      for (const p of mine) {
        const h = hsOf(p.hex).handshake;
        if (h.type === HsType.WAVEAHAND && mine[0].hex !== p.hex) continue;
        assert.ok(produced.has(noTs(p.hex)), `tsrt did not send libsrt's ${h.type}: ${p.hex}`);
      }
      if (s.expect === "reject") {
        assert.equal(rdv.state, "failed");
        assert.equal(rdv.failure, 14);
        return;
      }
      assert.equal(rdv.state, "connected");
      const r = rdv.result!;
      const peerFirst = hsOf(theirs.find((p) => p.kind === "handshake")!.hex).handshake;
      assert.equal(r.init.peerSocketId, peerFirst.socketId);
      assert.equal(r.init.peerInitialSeq, peerFirst.initialSeq);
      assert.equal(r.init.peerFlowWindow, 8192);
      assert.equal(r.init.mss, 1500);
      assert.equal(r.packetFilter, FILTER[s.name] ?? "");
      // Role: the side whose CONCLUSION carried HSREQ was the initiator.
      const hsreqFrom = s.packets.find((p) =>
        p.kind === "handshake" &&
        hsOf(p.hex).handshake.extensions.some((e) => e.type === ExtType.HSREQ)
      )!.direction.slice(0, 1);
      assert.equal(r.role, hsreqFrom === side ? "initiator" : "responder");
      assert.equal(cookieContest(init.cookie, peerFirst.cookie), r.role);
      const expectLatency = s.name === "latency_passphrase_fec" ? 200 : 120;
      assert.equal(r.init.rcvLatency, expectLatency);
      // The peer's HSREQ/HSRSP says what it applies; both sides agree on the maxima.
      const peerSrt = s.packets.filter((p) => !p.direction.startsWith(side))
        .flatMap((p) => p.kind === "handshake" ? hsOf(p.hex).handshake.extensions : [])
        .find((e): e is HsReqExt => e.type === ExtType.HSREQ || e.type === ExtType.HSRSP)!;
      if (peerSrt.type === ExtType.HSRSP) {
        assert.equal(r.init.rcvLatency, peerSrt.sendTsbpdDelay);
        assert.equal(r.init.sndLatency, peerSrt.recvTsbpdDelay);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// tsrt <-> tsrt in memory

interface Side {
  rdv: RendezvousHandshake | undefined;
  init: RendezvousInit;
  startAt: number;
  sent: number;
}

/**
 * Runs two machines over an in-memory link (1 ms each way). `drop(from, index)` loses the
 * index-th packet a side sends. Data packets start flowing from a side once it is connected
 * (one every 10 ms), which is how a Responder that missed AGREEMENT learns it is connected.
 */
function simulate(
  a: Partial<RendezvousInit>,
  b: Partial<RendezvousInit>,
  opts: { startB?: number; drop?: (from: "A" | "B", index: number) => boolean; until?: number } =
    {},
) {
  const base = (id: number, extra: Partial<RendezvousInit>): RendezvousInit => ({
    socketId: id,
    peer: { hostname: "127.0.0.1", port: 9000 + id },
    options: { ...DEFAULTS },
    startUs: 0,
    initialSeq: id * 1000,
    cookie: id * 7919,
    ...extra,
  });
  const sides: Record<"A" | "B", Side> = {
    A: { rdv: undefined, init: base(11, a), startAt: 0, sent: 0 },
    B: { rdv: undefined, init: base(22, b), startAt: opts.startB ?? 0, sent: 0 },
  };
  const inFlight: { at: number; to: "A" | "B"; data: Uint8Array }[] = [];
  const log: string[] = [];
  let now = 0;
  const until = opts.until ?? 5_000_000;
  const nextData: Record<"A" | "B", number> = { A: Infinity, B: Infinity };
  const flush = (from: "A" | "B") => {
    const s = sides[from];
    for (const pkt of s.rdv!.takeOutput()) {
      const index = s.sent++;
      const t = decodeControlPacket(pkt) as Hs;
      log.push(`${from}:${t.handshake.type >>> 0}`);
      if (opts.drop?.(from, index)) continue;
      inFlight.push({ at: now + 1000, to: from === "A" ? "B" : "A", data: pkt });
    }
    if (s.rdv!.state === "connected" && nextData[from] === Infinity) nextData[from] = now + 10_000;
  };
  while (now <= until) {
    for (const k of ["A", "B"] as const) {
      const s = sides[k];
      if (!s.rdv && now >= s.startAt) {
        s.rdv = new RendezvousHandshake(now, { ...s.init, startUs: now });
        flush(k);
      }
    }
    inFlight.sort((x, y) => x.at - y.at);
    while (inFlight.length && inFlight[0].at <= now) {
      const m = inFlight.shift()!;
      sides[m.to].rdv?.receive(now, m.data);
      if (sides[m.to].rdv) flush(m.to);
    }
    for (const k of ["A", "B"] as const) {
      const s = sides[k];
      if (!s.rdv) continue;
      s.rdv.tick(now);
      flush(k);
      if (now >= nextData[k]) {
        // A data packet: F = 0.
        inFlight.push({ at: now + 1000, to: k === "A" ? "B" : "A", data: new Uint8Array(20) });
        nextData[k] = now + 10_000;
      }
    }
    const done = (["A", "B"] as const).every((k) => {
      const st = sides[k].rdv?.state;
      return st === "connected" || st === "failed";
    });
    if (done) break;
    const candidates = [
      ...inFlight.map((m) => m.at),
      ...(["A", "B"] as const).map((k) =>
        sides[k].rdv ? Math.min(sides[k].rdv!.nextTimerUs, nextData[k]) : sides[k].startAt
      ),
    ].filter((t) => t > now);
    if (candidates.length === 0) break;
    now = Math.min(...candidates);
  }
  return { a: sides.A.rdv!, b: sides.B.rdv!, log, now };
}

function assertPaired(a: RendezvousHandshake, b: RendezvousHandshake): void {
  assert.equal(a.state, "connected");
  assert.equal(b.state, "connected");
  assert.notEqual(a.role, b.role);
  const ra = a.result!.init;
  const rb = b.result!.init;
  assert.equal(ra.peerSocketId, rb.socketId);
  assert.equal(rb.peerSocketId, ra.socketId);
  assert.equal(ra.peerInitialSeq, rb.initialSeq);
  assert.equal(rb.peerInitialSeq, ra.initialSeq);
  assert.equal(ra.rcvLatency, rb.sndLatency);
  assert.equal(ra.sndLatency, rb.rcvLatency);
  assert.equal(a.result!.packetFilter, b.result!.packetFilter);
}

test("tsrt<->tsrt parallel flow: both start together; A wins the contest", () => {
  const { a, b, log } = simulate({ cookie: 500 }, { cookie: 100 });
  assertPaired(a, b);
  assert.equal(a.role, "initiator");
  assert.equal(b.role, "responder");
  assert.deepEqual(log.slice(0, 2).sort(), ["A:0", "B:0"]);
  assert.ok(log.includes(`A:${HsType.AGREEMENT}`));
});

test("tsrt<->tsrt serial flow: B starts 600 ms later (A's first waves are lost); B wins", () => {
  const { a, b } = simulate({ cookie: 100, options: { ...DEFAULTS, rcvLatency: 300 } }, {
    cookie: 500,
  }, {
    startB: 600_000,
    // Before B is up, A's packets go nowhere.
    drop: (from, i) => from === "A" && i < 3,
  });
  assertPaired(a, b);
  assert.equal(b.role, "initiator");
  assert.equal(a.result!.init.rcvLatency, 300);
  assert.equal(b.result!.init.sndLatency, 300);
});

test("tsrt<->tsrt with the first packets lost both ways, and a packet filter", () => {
  const filter = "fec,arq:onreq,cols:4,layout:staircase,rows:1";
  const { a, b, now } = simulate(
    { cookie: -5, packetFilter: filter },
    { cookie: 77, packetFilter: filter },
    { drop: (_from, i) => i < 3 },
  );
  assertPaired(a, b);
  assert.equal(a.result!.packetFilter, filter);
  assert.ok(now >= 750_000, "three resends of 250 ms were needed");
});

test("tsrt<->tsrt: the Responder that misses AGREEMENT connects on the first data packet", () => {
  let dropped = false;
  const { a, b, log } = simulate({ cookie: 9 }, { cookie: 3 }, {
    drop: (from, i) => {
      // A is the initiator: drop its AGREEMENT (the packet it sends after connecting).
      if (from === "A" && !dropped && i >= 2) {
        dropped = true;
        return true;
      }
      return false;
    },
  });
  assert.ok(log.includes(`A:${HsType.AGREEMENT}`));
  assertPaired(a, b);
});

test("tsrt<->tsrt: the result plugs into SrtConnection.accepted()", () => {
  const { a, b } = simulate({ cookie: 1 }, { cookie: 2 });
  for (const r of [a, b]) {
    const conn = SrtConnection.accepted(5_000_000, r.result!.init);
    assert.equal(conn.state, "connected");
    assert.equal(conn.peerSocketId, r.result!.init.peerSocketId);
  }
});

test("tsrt<->tsrt draw: equal cookies fail both sides with SRT_REJ_RDVCOOKIE", () => {
  const { a, b } = simulate({ cookie: 4242 }, { cookie: 4242 });
  assert.equal(a.state, "failed");
  assert.equal(b.state, "failed");
  assert.equal(a.failure, 9);
  assert.equal(b.failure, 9);
});

test("tsrt<->tsrt: different filter strings are rejected with SRT_REJ_FILTER", () => {
  const { a, b } = simulate({ cookie: 1, packetFilter: "fec,cols:4" }, {
    cookie: 2,
    packetFilter: "fec,cols:4,rows:2",
  });
  assert.equal(a.state, "failed");
  assert.equal(b.state, "failed");
  assert.equal(a.failure, 14);
  assert.equal(b.failure, 14);
});

test("no peer: WAVEAHAND every 250 ms, then a timeout after 10 x the connect timeout", () => {
  const rdv = new RendezvousHandshake(0, {
    socketId: 5,
    peer: { hostname: "127.0.0.1", port: 1 },
    options: DEFAULTS,
    startUs: 0,
    initialSeq: 1,
    cookie: 3,
  });
  let waves = rdv.takeOutput().length;
  let now = 0;
  while (rdv.state !== "failed") {
    now = rdv.nextTimerUs;
    rdv.tick(now);
    waves += rdv.takeOutput().length;
  }
  assert.equal(rdv.failure, 16);
  assert.equal(now, 30_000_000);
  assert.equal(waves, 120);
});

test("WAVEAHAND: version 5, extension field 0, encryption field = PBKEYLEN/8, to socket 0", () => {
  const rdv = new RendezvousHandshake(0, {
    socketId: 5,
    peer: { hostname: "127.0.0.1", port: 1 },
    options: { ...DEFAULTS, pbkeylen: 32 },
    startUs: 0,
    initialSeq: 1,
    cookie: 3,
  });
  const [w] = rdv.takeOutput();
  const h = (decodeControlPacket(w) as Hs).handshake;
  assert.equal(h.version, 5);
  assert.equal(h.extension, 0);
  assert.equal(h.encryption, 4, "encryption field = PBKEYLEN / 8");
  assert.equal(h.extensions.length, 0);
  assert.equal(h.type, HsType.WAVEAHAND);
  assert.equal((decodeControlPacket(w) as Hs).destSocketId, 0);
});
