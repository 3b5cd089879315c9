// Encryption through the seeded network simulator: the handshake's key material, the KM states
// libsrt reports, rejections, the data path, key refresh under loss, and forged KM messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ControlType, decodeControlPacket, encodeControlPacket } from "./control_packet.ts";
import { SrtEndpoint } from "./endpoint.ts";
import { HsType } from "./handshake.ts";
import { createPrng } from "../net/prng.ts";
import { isControlPacket } from "./data_packet.ts";
import { RejectReason } from "./reject_reason.ts";
import type { SrtError } from "./errors.ts";
import { KmState } from "../crypto/km_state.ts";
import { createKeyMaterial, KeyFlags } from "../crypto/mod.ts";
import { CALLER, SimPair } from "../tests/sim/harness.ts";
import { CryptoControl } from "./crypto_control.ts";
import { randomBytesFrom } from "./random_bytes.ts";
import { parseSrtUri } from "./uri.ts";
import { resolveOptions } from "./options.ts";

const MS = 1000;
const PASS = "tsrt simulator secret";

function connectPair(pair: SimPair): void {
  pair.run(
    1000 * MS,
    () =>
      pair.caller.state !== "connecting" &&
      (pair.accepted !== undefined || pair.caller.state === "closed"),
  );
}

/** Records every data packet the caller puts on the wire (KK bits and payload). */
function tapData(seen: { kk: number; payload: Uint8Array }[]) {
  return (d: Uint8Array): boolean => {
    if (!isControlPacket(d)) seen.push({ kk: (d[4] >>> 3) & 3, payload: d.slice(16) });
    return false;
  };
}

for (const keyLength of [16, 24, 32] as const) {
  test(`AES-${keyLength * 8}: keys agreed in the handshake, payloads encrypted on the wire, delivered in the clear`, () => {
    const seen: { kk: number; payload: Uint8Array }[] = [];
    const pair = new SimPair({
      seed: keyLength,
      caller: { passphrase: PASS, pbkeylen: keyLength },
      listener: { passphrase: PASS },
      forward: { delayUs: 10 * MS, drop: tapData(seen) },
    });
    connectPair(pair);
    assert.equal(pair.caller.state, "connected");
    assert.equal(pair.requests[0].encrypted, true);
    assert.equal(pair.requests[0].keyLength, keyLength);
    pair.stream(pair.sim.now + 10 * MS, 500, 1 * MS);
    pair.run(pair.sim.now + 1000 * MS);
    assert.deepEqual(pair.delivered.map((d) => d.index), Array.from({ length: 500 }, (_, i) => i));
    assert.equal(seen.length, 500);
    for (const { kk, payload } of seen) {
      assert.equal(kk, KeyFlags.EVEN);
      // The plaintext is an index then a constant fill: ciphertext is not.
      assert.ok(payload.subarray(4, 36).some((b) => b !== payload[4]), "ciphertext on the wire");
    }
    for (const conn of [pair.caller, pair.accepted!]) {
      const s = conn.stats(pair.sim.now);
      assert.equal(s.kmState, KmState.SECURED);
      assert.equal(s.sndKmState, KmState.SECURED);
      assert.equal(s.rcvKmState, KmState.SECURED);
      assert.equal(s.pktRcvUndecryptTotal, 0);
    }
  });
}

test("the listener's key length wins; a caller without one takes the advertised length", () => {
  for (
    const [caller, listener, want] of [
      [0, 0, 16],
      [0, 32, 32],
      [24, 0, 24],
      [32, 16, 16],
    ] as const
  ) {
    const pair = new SimPair({
      seed: 7,
      caller: { passphrase: PASS, pbkeylen: caller },
      listener: { passphrase: PASS, pbkeylen: listener },
    });
    connectPair(pair);
    assert.equal(pair.caller.state, "connected", `${caller}/${listener}`);
    assert.equal(pair.requests[0].keyLength, want, `${caller}/${listener}`);
  }
});

test("wrong passphrase: refused with BADSECRET on both sides, nothing delivered", () => {
  const pair = new SimPair({
    seed: 3,
    caller: { passphrase: "not the right one" },
    listener: { passphrase: PASS },
  });
  let closed: SrtError | undefined;
  pair.stream(0, 200, 1 * MS);
  pair.run(1000 * MS);
  for (let e = pair.callerEp.pollEvent(); e; e = pair.callerEp.pollEvent()) {
    if (e.event.kind === "closed") closed = e.event.error;
  }
  assert.equal(pair.caller.state, "closed");
  assert.equal(closed?.reason, RejectReason.BADSECRET);
  assert.equal(pair.accepted, undefined);
  assert.equal(pair.listenerEp.listener!.counters.rejectedCrypto, 1);
  assert.equal(pair.delivered.length, 0);
});

test("a passphrase on one side only is refused with UNSECURE, whichever side has it", () => {
  for (
    const [caller, listener] of [[{ passphrase: PASS }, {}], [{}, { passphrase: PASS }]]
  ) {
    const pair = new SimPair({ seed: 4, caller, listener });
    pair.run(1000 * MS);
    let reason: number | undefined;
    for (let e = pair.callerEp.pollEvent(); e; e = pair.callerEp.pollEvent()) {
      if (e.event.kind === "closed") reason = e.event.error?.reason;
    }
    assert.equal(pair.caller.state, "closed");
    assert.equal(reason, RejectReason.UNSECURE);
    assert.equal(pair.accepted, undefined);
  }
});

test("without enforced encryption a one-sided passphrase connects and the KM states say so", () => {
  const pair = new SimPair({
    seed: 5,
    caller: { passphrase: PASS, enforcedEncryption: false },
    listener: { enforcedEncryption: false },
  });
  connectPair(pair);
  assert.equal(pair.caller.state, "connected");
  const c = pair.caller.stats(pair.sim.now);
  assert.deepEqual([c.sndKmState, c.rcvKmState], [KmState.NOSECRET, KmState.UNSECURED]);
  const l = pair.accepted!.stats(pair.sim.now);
  assert.deepEqual([l.sndKmState, l.rcvKmState], [KmState.UNSECURED, KmState.NOSECRET]);
  // What the caller sends cannot be read by the listener: counted, never delivered.
  pair.stream(pair.sim.now + 10 * MS, 50, 1 * MS);
  pair.run(pair.sim.now + 1000 * MS);
  assert.equal(pair.delivered.length, 0);
  assert.equal(pair.accepted!.stats(pair.sim.now).pktRcvUndecryptTotal, 50);
});

test("the accept decision sets the passphrase per stream ID", () => {
  const secrets: Record<string, string> = {
    "cam-a": "secret for camera A",
    "cam-b": "secret for camera B",
  };
  for (
    const [id, pass, ok] of [["cam-a", secrets["cam-a"], true], [
      "cam-b",
      secrets["cam-a"],
      false,
    ]] as const
  ) {
    const pair = new SimPair({
      seed: 6,
      caller: { passphrase: pass, streamId: id },
      decide: (req) => ({ accept: { passphrase: secrets[req.streamId!] } }),
    });
    pair.stream(100 * MS, 100, 1 * MS);
    pair.run(1000 * MS);
    assert.equal(pair.caller.state, ok ? "connected" : "closed", id);
    assert.equal(pair.delivered.length, ok ? 100 : 0, id);
  }
});

test("no key for the packet's KK bits: counted as undecryptable, never delivered", () => {
  const pair = new SimPair({
    seed: 8,
    caller: { passphrase: PASS },
    listener: { passphrase: PASS },
  });
  // Flip the first data packet to the odd key, which the listener does not have.
  let flipped = false;
  pair.sim.setLink(CALLER, { hostname: "10.0.0.2", port: 9000 }, {
    delayUs: 10 * MS,
    drop: (d) => {
      if (!flipped && !isControlPacket(d)) {
        d[4] = (d[4] & ~0x18) | 0x10;
        flipped = true;
      }
      return false;
    },
  });
  connectPair(pair);
  pair.stream(pair.sim.now + 10 * MS, 20, 1 * MS);
  pair.run(pair.sim.now + 1000 * MS);
  assert.deepEqual(pair.delivered.map((d) => d.index), Array.from({ length: 19 }, (_, i) => i + 1));
  assert.equal(pair.accepted!.stats(pair.sim.now).pktRcvUndecryptTotal, 1);
});

test("key refresh every 128 packets over 40 periods with 5 % loss: byte-exact, no undecryptable packet", () => {
  const seen: number[] = [];
  const pair = new SimPair({
    seed: 9,
    caller: { passphrase: PASS, kmRefreshRate: 128, kmPreAnnounce: 60, latency: 200 },
    listener: { passphrase: PASS, latency: 200 },
    forward: {
      delayUs: 10 * MS,
      loss: 0.05,
      drop: (d) => {
        if (!isControlPacket(d)) seen.push((d[4] >>> 3) & 3);
        return false;
      },
    },
    backward: { delayUs: 10 * MS, loss: 0.05 },
  });
  connectPair(pair);
  const n = 129 * 40;
  pair.stream(pair.sim.now + 10 * MS, n, 1 * MS);
  pair.run(pair.sim.now + (n + 3000) * MS);
  assert.deepEqual(pair.delivered.map((d) => d.index), Array.from({ length: n }, (_, i) => i));
  const km = pair.caller.kmCounters!;
  // A switch waits for the KMRSP; a lost KMREQ is resent after 1 s (1000 packets here).
  assert.ok(km.keySwitches >= 8, `switched ${km.keySwitches} times`);
  assert.ok(km.kmRspReceived >= km.keySwitches);
  const l = pair.accepted!;
  assert.equal(l.stats(pair.sim.now).pktRcvUndecryptTotal, 0);
  assert.ok(l.kmCounters!.kmReqReceived >= km.keySwitches);
  assert.equal(l.kmCounters!.kmInvalid, 0);
  assert.ok(seen.includes(KeyFlags.ODD) && seen.includes(KeyFlags.EVEN));
});

test("forged, malformed and oversized KM messages are ignored and counted", () => {
  const pair = new SimPair({
    seed: 10,
    caller: { passphrase: PASS },
    listener: { passphrase: PASS },
  });
  connectPair(pair);
  const l = pair.accepted!;
  const rb = randomBytesFrom(() => 0x12345678);
  const forged = createKeyMaterial({
    passphrase: "a different secret",
    keyLength: 16,
    kk: 3,
    rng: rb,
  });
  const inject = (subtype: number, data: Uint8Array) =>
    pair.listenerEp.handleDatagram(
      pair.sim.now,
      encodeControlPacket({
        type: ControlType.USER,
        subtype,
        data,
        timestamp: 0,
        destSocketId: l.socketId,
      }),
      CALLER,
    );
  inject(3, forged.message); // wrapped under another passphrase
  inject(3, new Uint8Array(56)); // not a KM message
  inject(3, new Uint8Array(4096)); // oversized
  inject(4, new Uint8Array(56)); // a KMRSP nobody asked for
  assert.equal(l.kmCounters!.kmInvalid, 4);
  assert.equal(l.kmCounters!.kmReqReceived, 0);
  pair.stream(pair.sim.now + 10 * MS, 100, 1 * MS);
  pair.run(pair.sim.now + 1000 * MS);
  assert.equal(pair.delivered.length, 100);
  assert.equal(l.stats(pair.sim.now).kmState, KmState.SECURED);
});

test("a refresh KMREQ is answered with an echo, once per distinct message", () => {
  const o = resolveOptions({ passphrase: PASS, kmRefreshRate: 10, kmPreAnnounce: 4 });
  const rb = randomBytesFrom(((s) => () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0))(1));
  const settings = {
    passphrase: PASS,
    kmRefreshRate: o.kmRefreshRate,
    kmPreAnnounce: o.kmPreAnnounce,
    randomBytes: rb,
  };
  const { control: tx, kmreq } = CryptoControl.forCaller(settings, 16);
  const r = CryptoControl.forListener(settings, kmreq);
  assert.ok(r.ok);
  const rx = r.control;
  let km: Uint8Array | undefined;
  for (let seq = 0; seq < 7; seq++) {
    const d = new Uint8Array(16 + 8);
    km = tx.encrypt(0, d, seq) ?? km;
  }
  assert.ok(km, "pre-announced after refresh - preannounce packets");
  assert.equal(km.length, 16 + 16 + 8 + 32, "both keys");
  assert.equal(km[3] & 3, KeyFlags.BOTH);
  const reply = rx.onControl(3, km)!;
  assert.deepEqual(reply.data, km);
  assert.deepEqual(rx.onControl(3, km)!.data, km, "a repeat is answered again");
  assert.equal(rx.counters.kmReqReceived, 2);
  tx.onControl(4, reply.data);
  assert.equal(tx.counters.kmRspReceived, 1);
  tx.onControl(4, reply.data); // the answer to a resent KMREQ, arriving late
  assert.equal(tx.counters.kmInvalid, 0);
  assert.equal(tx.pollTimeout(), Infinity, "no more resends");
});

test("URI keys for encryption", () => {
  const u = parseSrtUri(
    "srt://127.0.0.1:9000?passphrase=0123456789ab&pbkeylen=24&kmrefreshrate=128&kmpreannounce=60&enforcedencryption=0&cryptomode=1",
  );
  assert.deepEqual(u.options, {
    passphrase: "0123456789ab",
    pbkeylen: 24,
    kmRefreshRate: 128,
    kmPreAnnounce: 60,
    enforcedEncryption: false,
    cryptoMode: 1,
  });
  assert.throws(() => parseSrtUri("srt://:9000?passphrase=short"), RangeError);
  assert.throws(() => parseSrtUri("srt://:9000?pbkeylen=20"), RangeError);
  const l = parseSrtUri("srt://:9000?mode=listener&passphrase=0123456789ab");
  assert.equal(l.options.passphrase, "0123456789ab");
});

test("option ranges", () => {
  assert.throws(() => resolveOptions({ passphrase: "123456789" }), /10\.\.80 bytes: got 9/);
  assert.throws(() => resolveOptions({ passphrase: "x".repeat(81) }), RangeError);
  assert.equal(resolveOptions({ passphrase: "x".repeat(80) }).passphrase?.length, 80);
  assert.throws(() => resolveOptions({ pbkeylen: 8 }), RangeError);
  assert.throws(() => resolveOptions({ kmRefreshRate: 128, kmPreAnnounce: 64 }), RangeError);
  const d = resolveOptions({});
  assert.equal(d.kmRefreshRate, 1 << 24);
  assert.equal(d.kmPreAnnounce, 4096);
  assert.equal(d.enforcedEncryption, true);
  assert.equal(resolveOptions({ kmRefreshRate: 128 }).kmPreAnnounce, 63);
});

for (const keyLength of [16, 32] as const) {
  test(`AES-${keyLength * 8}-GCM between tsrt peers: tag on every packet, rekey and 5 % loss, byte-exact`, () => {
    const sizes = new Set<number>();
    const pair = new SimPair({
      seed: 20 + keyLength,
      caller: {
        passphrase: PASS,
        pbkeylen: keyLength,
        cryptoMode: 2,
        kmRefreshRate: 256,
        kmPreAnnounce: 100,
        latency: 200,
      },
      listener: { passphrase: PASS, latency: 200 },
      forward: {
        delayUs: 10 * MS,
        loss: 0.05,
        drop: (d) => {
          if (!isControlPacket(d)) sizes.add(d.length);
          return false;
        },
      },
      backward: { delayUs: 10 * MS, loss: 0.05 },
    });
    connectPair(pair);
    assert.equal(pair.caller.state, "connected");
    assert.equal(pair.requests[0].peerVersion, 0x010504, "GCM is announced as SRT 1.5.4");
    assert.equal(pair.caller.payloadSize, 1316);
    const n = 2000;
    pair.stream(pair.sim.now + 10 * MS, n, 1 * MS);
    pair.run(pair.sim.now + (n + 3000) * MS);
    assert.deepEqual(pair.delivered.map((d) => d.index), Array.from({ length: n }, (_, i) => i));
    assert.deepEqual([...sizes], [16 + 1316 + 16]);
    assert.ok(pair.caller.kmCounters!.keySwitches >= 2);
    const s = pair.accepted!.stats(pair.sim.now);
    assert.equal(s.pktRcvUndecryptTotal, 0);
    assert.ok(s.pktRcvRetransTotal > 0, "retransmissions (R set) verified");
    assert.equal(s.kmState, KmState.SECURED);
  });
}

test("AES-GCM: a packet altered on the way fails its tag, is counted and never delivered", () => {
  let altered = false;
  const pair = new SimPair({
    seed: 30,
    caller: { passphrase: PASS, cryptoMode: 2 },
    listener: { passphrase: PASS, cryptoMode: 2 },
    forward: {
      delayUs: 10 * MS,
      drop: (d) => {
        if (!altered && !isControlPacket(d)) {
          d[40] ^= 1;
          altered = true;
        }
        return false;
      },
    },
  });
  connectPair(pair);
  pair.stream(pair.sim.now + 10 * MS, 20, 1 * MS);
  pair.run(pair.sim.now + 1000 * MS);
  assert.deepEqual(pair.delivered.map((d) => d.index), Array.from({ length: 19 }, (_, i) => i + 1));
  assert.equal(pair.accepted!.stats(pair.sim.now).pktRcvUndecryptTotal, 1);
});

test("cipher mode mismatch (AES-GCM against AES-CTR only, either way) is refused with CRYPTO", () => {
  for (const [caller, listener] of [[2, 1], [1, 2]]) {
    const pair = new SimPair({
      seed: 31,
      caller: { passphrase: PASS, cryptoMode: caller },
      listener: { passphrase: PASS, cryptoMode: listener },
    });
    pair.run(1000 * MS);
    let reason: number | undefined;
    for (let e = pair.callerEp.pollEvent(); e; e = pair.callerEp.pollEvent()) {
      if (e.event.kind === "closed") reason = e.event.error?.reason;
    }
    assert.equal(reason, RejectReason.CRYPTO, `caller ${caller}, listener ${listener}`);
    assert.equal(pair.accepted, undefined);
  }
  // CTR stays SRT 1.5.1 on the wire.
  const ctr = new SimPair({
    seed: 32,
    caller: { passphrase: PASS },
    listener: { passphrase: PASS },
  });
  connectPair(ctr);
  assert.equal(ctr.requests[0].peerVersion, 0x010501);
});

test("both directions encrypted at once, each sender refreshing its own keys", () => {
  const pair = new SimPair({
    seed: 40,
    caller: { passphrase: PASS, kmRefreshRate: 128, kmPreAnnounce: 60, latency: 200 },
    listener: { passphrase: PASS, kmRefreshRate: 200, kmPreAnnounce: 50, latency: 200 },
    forward: { delayUs: 10 * MS, loss: 0.02 },
    backward: { delayUs: 10 * MS, loss: 0.02 },
  });
  connectPair(pair);
  const l = pair.accepted!;
  const n = 1500;
  pair.stream(pair.sim.now + 10 * MS, n, 1 * MS);
  for (let i = 0; i < n; i++) {
    pair.sim.at(pair.sim.now + 10 * MS + i * MS, () => {
      const p = new Uint8Array(1000);
      new DataView(p.buffer).setUint32(0, i);
      pair.listenerEp.send(pair.sim.now, l, p);
    });
  }
  pair.run(pair.sim.now + (n + 3000) * MS);
  const back: number[] = [];
  for (let p = pair.caller.pollPayload(); p; p = pair.caller.pollPayload()) {
    back.push(new DataView(p.buffer, p.byteOffset).getUint32(0));
  }
  assert.deepEqual(back, Array.from({ length: n }, (_, i) => i));
  assert.deepEqual(pair.delivered.map((d) => d.index), Array.from({ length: n }, (_, i) => i));
  assert.ok(l.kmCounters!.keySwitches >= 3, `listener switched ${l.kmCounters!.keySwitches}`);
  assert.ok(pair.caller.kmCounters!.keySwitches >= 3);
  assert.ok(pair.caller.kmCounters!.kmReqReceived >= l.kmCounters!.keySwitches);
  for (const c of [pair.caller, l]) assert.equal(c.stats(pair.sim.now).pktRcvUndecryptTotal, 0);
});

test("accept overrides apply on top of every listener option (latency and refresh kept)", () => {
  const pair = new SimPair({
    seed: 41,
    caller: { passphrase: "per-stream secret" },
    listener: { latency: 250, kmRefreshRate: 128, kmPreAnnounce: 60, passphrase: PASS },
    decide: () => ({ accept: { passphrase: "per-stream secret" } }),
  });
  connectPair(pair);
  const l = pair.accepted!;
  assert.equal(l.rcvLatency, 250);
  for (let i = 0; i < 300; i++) {
    pair.sim.at(pair.sim.now + 10 * MS + i * MS, () => {
      pair.listenerEp.send(pair.sim.now, l, new Uint8Array(100));
    });
  }
  pair.run(pair.sim.now + 1000 * MS);
  assert.ok(l.kmCounters!.keySwitches >= 2, "the listener's kmRefreshRate applies");
});

test("the caller draws its key material at connect(), not while answering the INDUCTION", () => {
  // Deriving the KEK takes milliseconds (tens on a cold runtime). Done between reading the
  // INDUCTION response and sending the CONCLUSION, it made the CONCLUSION leave later than its
  // timestamp says, and the listener, which sets its TSBPD base from that timestamp, delivered
  // every packet that much later than the agreed latency.
  for (const [callerLen, listenerLen, redraw] of [[0, 0, false], [16, 0, false], [0, 32, true]]) {
    let draws = 0;
    const rng = createPrng(5);
    const caller = new SrtEndpoint(() => (draws++, rng.nextU32()));
    const listener = new SrtEndpoint(() => rng.nextU32());
    listener.listen(0, { passphrase: PASS, pbkeylen: listenerLen as 0 | 32 });
    const callerAddr = { hostname: "10.0.0.1", port: 5000 };
    const listenerAddr = { hostname: "10.0.0.2", port: 9000 };
    const conn = caller.connect(0, listenerAddr, {
      passphrase: PASS,
      pbkeylen: callerLen as 0 | 16,
    });
    // Socket ID, initial sequence number, then the salt and the key.
    assert.ok(draws > 2, `only ${draws} random words drawn at connect()`);
    const atConnect = draws;
    const toListener: Uint8Array[] = [];
    caller.drain((d) => toListener.push(d));
    assert.equal(toListener.length, 1, "one INDUCTION");
    listener.handleDatagram(1000, toListener[0], callerAddr);
    const toCaller: Uint8Array[] = [];
    listener.drain((d) => toCaller.push(d));
    assert.equal(toCaller.length, 1, "one INDUCTION response");
    caller.handleDatagram(2000, toCaller[0], listenerAddr);
    const conclusion: Uint8Array[] = [];
    caller.drain((d) => conclusion.push(d));
    const hs = decodeControlPacket(conclusion[0]);
    assert.ok(hs.type === ControlType.HANDSHAKE && hs.handshake.type === HsType.CONCLUSION);
    // Redrawn only when the listener asks for another key length than the caller guessed.
    assert.equal(draws > atConnect, redraw, `${callerLen}/${listenerLen}`);
    assert.equal(hs.handshake.encryption, redraw ? 4 : 2);
    assert.equal(conn.state, "connecting");
  }
});

/** A listener endpoint holding one request from a fresh caller, as it stands before accept(). */
function pendingRequest(listener: SrtEndpoint, port: number, passphrase: string) {
  const rng = createPrng(port);
  const caller = new SrtEndpoint(() => rng.nextU32());
  const callerAddr = { hostname: "10.0.0.1", port };
  const listenerAddr = { hostname: "10.0.0.2", port: 9000 };
  const conn = caller.connect(0, listenerAddr, { passphrase });
  const shuttle = (from: SrtEndpoint, to: SrtEndpoint, addr: typeof callerAddr, now: number) => {
    const out: Uint8Array[] = [];
    from.drain((d) => out.push(d));
    for (const d of out) to.handleDatagram(now, d, addr);
  };
  shuttle(caller, listener, callerAddr, 1000); // INDUCTION
  shuttle(listener, caller, listenerAddr, 2000); // its response
  shuttle(caller, listener, callerAddr, 3000); // CONCLUSION with the KMREQ
  const request = listener.pollRequest()!;
  assert.ok(request, "a pending request");
  return { caller, conn, request, answer: () => shuttle(listener, caller, listenerAddr, 4000) };
}

test("prepareAccept() opens the key material ahead, so that accept() stamps a fresh time", () => {
  // Counts the openings of a caller's KMREQ (key derivation from the passphrase, the slow part).
  const open = CryptoControl.forListener;
  let opened = 0;
  (CryptoControl as { forListener: typeof open }).forListener = (...args) => {
    opened++;
    return open.apply(CryptoControl, args);
  };
  try {
    const rng = createPrng(11);
    const listener = new SrtEndpoint(() => rng.nextU32());
    listener.listen(0, { passphrase: PASS });
    const a = pendingRequest(listener, 6000, PASS);
    listener.prepareAccept(a.request);
    assert.equal(opened, 1);
    listener.prepareAccept(a.request); // the same overrides: nothing to do again
    assert.equal(opened, 1);
    assert.ok(listener.accept(4000, a.request));
    assert.equal(opened, 1, "accept() used what prepareAccept() opened");
    a.answer();
    assert.equal(a.conn.state, "connected");
    assert.equal(a.conn.kmStats.kmState, KmState.SECURED);
    // Without prepareAccept(), accept() opens it itself.
    const b = pendingRequest(listener, 6001, PASS);
    assert.ok(listener.accept(4000, b.request));
    assert.equal(opened, 2);
    b.answer();
    assert.equal(b.conn.kmStats.kmState, KmState.SECURED);
  } finally {
    (CryptoControl as { forListener: typeof open }).forListener = open;
  }
});

test("accept() with other overrides than prepareAccept() was given decides afresh", () => {
  const rng = createPrng(12);
  const listener = new SrtEndpoint(() => rng.nextU32());
  listener.listen(0, {});
  // Prepared with the right passphrase, accepted with a wrong one: refused.
  const a = pendingRequest(listener, 7000, PASS);
  listener.prepareAccept(a.request, { passphrase: PASS });
  assert.equal(listener.accept(4000, a.request, { passphrase: "not the passphrase" }), undefined);
  a.answer();
  assert.equal(a.conn.state, "closed");
  // Prepared with a wrong one, accepted with the right one: connected and secured.
  const b = pendingRequest(listener, 7001, PASS);
  listener.prepareAccept(b.request, { passphrase: "not the passphrase" });
  const right = { passphrase: PASS };
  listener.prepareAccept(b.request, right);
  assert.ok(listener.accept(4000, b.request, right));
  b.answer();
  assert.equal(b.conn.state, "connected");
  assert.equal(b.conn.kmStats.kmState, KmState.SECURED);
});
