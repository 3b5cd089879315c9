import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type ControlPacket,
  ControlType,
  decodeControlPacket,
  encodeControlPacket,
} from "./control_packet.ts";
import { decodeDataPacket, encodeDataPacket } from "./data_packet.ts";
import { SrtPacketError } from "./errors.ts";
import { type Handshake, HsType, parseIp } from "./handshake.ts";
import { decodeStringExtContents, encodeStringExtContents, ExtType } from "./handshake_ext.ts";
import { readLossList } from "./nak.ts";
import { MSG_MAX, msgInc, SEQ_MAX, seqCmp, seqDec, seqInc, seqLen, seqOff } from "./seq.ts";
import { TIMESTAMP_PERIOD, TimestampUnwrapper } from "./timestamp.ts";

const hs: Handshake = {
  version: 5,
  encryption: 0,
  extension: 5,
  initialSeq: 0x12345678,
  mss: 1500,
  flowWindow: 25600,
  type: HsType.CONCLUSION,
  socketId: 0x0abcdef0,
  cookie: 0xdeadbeef,
  peerIp: "127.0.0.1",
  extensions: [
    {
      type: ExtType.HSREQ,
      version: 0x010501,
      flags: 0xbf,
      recvTsbpdDelay: 120,
      sendTsbpdDelay: 80,
    },
    { type: ExtType.SID, value: "#!::r=live/ünïcode,m=publish" },
    { type: ExtType.CONGESTION, value: "live" },
    { type: ExtType.KMREQ, data: new Uint8Array([0x12, 0x20, 0x29, 0x01, 1, 2, 3, 4]) },
    { type: ExtType.GROUP, groupId: 77, groupType: 2, groupFlags: 1, weight: 10 },
    { type: 99, unknown: true, data: new Uint8Array([9, 9, 9, 9]) },
  ],
};

const samples: ControlPacket[] = [
  { type: ControlType.HANDSHAKE, timestamp: 1, destSocketId: 0, handshake: hs },
  { type: ControlType.KEEPALIVE, timestamp: 2, destSocketId: 3 },
  { type: ControlType.SHUTDOWN, timestamp: 2, destSocketId: 3 },
  { type: ControlType.CGWARNING, timestamp: 2, destSocketId: 3 },
  { type: ControlType.ACKACK, timestamp: 2, destSocketId: 3, ackNumber: 42 },
  { type: ControlType.ACK, timestamp: 4, destSocketId: 5, ackNumber: 0, ack: { lastAckSeq: 99 } },
  {
    type: ControlType.ACK,
    timestamp: 4,
    destSocketId: 5,
    ackNumber: 0,
    ack: { lastAckSeq: 99, rtt: 1, rttVar: 2, availableBuffer: 3 },
  },
  {
    type: ControlType.ACK,
    timestamp: 4,
    destSocketId: 5,
    ackNumber: 7,
    ack: {
      lastAckSeq: SEQ_MAX,
      rtt: 1000,
      rttVar: 500,
      availableBuffer: 8000,
      packetRate: 1000,
      linkCapacity: 50000,
      byteRate: 1316000,
    },
  },
  {
    type: ControlType.NAK,
    timestamp: 6,
    destSocketId: 7,
    losses: [[5, 5], [10, 20], [SEQ_MAX, SEQ_MAX]],
  },
  { type: ControlType.DROPREQ, timestamp: 8, destSocketId: 9, msgNo: 4, firstSeq: 10, lastSeq: 12 },
  { type: ControlType.PEERERROR, timestamp: 8, destSocketId: 9, errorCode: 4000 },
  {
    type: ControlType.USER,
    timestamp: 8,
    destSocketId: 9,
    subtype: 3,
    data: new Uint8Array(16).fill(7),
  },
];

test("every control packet type round-trips", () => {
  for (const p of samples) assert.deepEqual(decodeControlPacket(encodeControlPacket(p)), p);
});

test("packets without a CIF carry libsrt's 4-byte pad and 16-byte ones are accepted", () => {
  const ka = encodeControlPacket({ type: ControlType.KEEPALIVE, timestamp: 0, destSocketId: 1 });
  assert.equal(ka.length, 20);
  assert.equal(decodeControlPacket(ka.subarray(0, 16)).type, ControlType.KEEPALIVE);
});

test("ACK sizes: light 4, small 16, full 28 bytes of CIF", () => {
  assert.deepEqual(samples.slice(5, 8).map((p) => encodeControlPacket(p).length - 16), [4, 16, 28]);
});

test("string extensions are NUL-padded and byte-reversed per 32-bit word", () => {
  const c = encodeStringExtContents("STREAM");
  assert.equal(new TextDecoder().decode(c), "ERTS\0\0MA");
  assert.equal(decodeStringExtContents(c), "STREAM");
  assert.equal(decodeStringExtContents(encodeStringExtContents("#!::u=a")), "#!::u=a");
});

test("peer IP addresses use libsrt's per-word byte order, IPv6 too", () => {
  for (const ip of ["127.0.0.1", "10.1.2.3", "fe80:0:0:0:0:0:0:1", "2001:db8:0:0:1:0:0:ff"]) {
    const p = encodeControlPacket({
      type: 0,
      timestamp: 0,
      destSocketId: 0,
      handshake: { ...hs, peerIp: ip },
    });
    const back = decodeControlPacket(p);
    assert.equal(back.type === 0 && back.handshake.peerIp, ip);
  }
  assert.deepEqual([...parseIp("::1")], [...new Array(15).fill(0), 1]);
  assert.throws(() => parseIp("300.1.1.1"), RangeError);
  assert.throws(() => parseIp("nonsense"), RangeError);
});

test("data packets round-trip with every flag", () => {
  const p = {
    seq: SEQ_MAX,
    position: 3 as const,
    inOrder: true,
    keyFlags: 2 as const,
    retransmitted: true,
    msgNo: MSG_MAX,
    timestamp: 0xffffffff,
    destSocketId: 0x7fffffff,
    payload: new Uint8Array([1, 2, 3]),
  };
  assert.deepEqual(decodeDataPacket(encodeDataPacket(p)), p);
});

test("malformed input throws SrtPacketError, never reads out of bounds", () => {
  assert.throws(() => decodeControlPacket(new Uint8Array(15)), SrtPacketError);
  assert.throws(() => decodeDataPacket(new Uint8Array(3)), SrtPacketError);
  // DROPREQ without its two words (libsrt's OOB-read bug).
  const dr = encodeControlPacket(samples[9]).subarray(0, 20);
  assert.throws(() => decodeControlPacket(dr), SrtPacketError);
  // A loss range start with no end.
  assert.throws(() => readLossList(new Uint8Array([0x80, 0, 0, 1])), SrtPacketError);
  assert.throws(() => readLossList(new Uint8Array([0, 0, 1])), SrtPacketError);
  // Handshake extension length running past the end.
  const bad = encodeControlPacket(samples[0]);
  bad[16 + 48 + 3] = 0xff;
  assert.throws(() => decodeControlPacket(bad), SrtPacketError);
  // Unknown control type.
  const unk = encodeControlPacket(samples[1]);
  unk[1] = 0x42;
  assert.throws(() => decodeControlPacket(unk), SrtPacketError);
});

test("random mutations and truncations only ever raise SrtPacketError", () => {
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (const p of samples) {
    const good = encodeControlPacket(p);
    for (let i = 0; i < 300; i++) {
      const m = good.slice(0, 16 + Math.floor(rnd() * (good.length - 15)));
      for (let k = 0; k < 3; k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      try {
        decodeControlPacket(m);
      } catch (e) {
        assert.ok(e instanceof SrtPacketError, String(e));
      }
    }
  }
});

test("sequence arithmetic wraps at 2^31", () => {
  assert.equal(seqInc(SEQ_MAX), 0);
  assert.equal(seqDec(0), SEQ_MAX);
  assert.equal(seqOff(SEQ_MAX - 1, 2), 4);
  assert.equal(seqOff(2, SEQ_MAX - 1), -4);
  assert.ok(seqCmp(SEQ_MAX, 0) < 0);
  assert.equal(seqLen(SEQ_MAX, 1), 3);
  assert.equal(seqOff(0, 0x3fffffff), 0x3fffffff);
  assert.equal(seqOff(0, 0x40000000), -0x40000000);
});

test("message numbers run 1..2^26-1 and skip 0", () => {
  assert.equal(msgInc(MSG_MAX), 1);
  assert.equal(msgInc(1), 2);
});

test("timestamp unwrapping crosses the 2^32 us wrap monotonically", () => {
  const u = new TimestampUnwrapper();
  const step = 7_000_000;
  let prev = -1;
  for (let t = 0; t < 3 * TIMESTAMP_PERIOD; t += step) {
    const v = u.unwrap(t % TIMESTAMP_PERIOD);
    assert.equal(v, t);
    assert.ok(v > prev);
    prev = v;
  }
  // A late packet from just before the wrap, arriving after it, stays in the old period.
  const w = new TimestampUnwrapper();
  w.unwrap(TIMESTAMP_PERIOD - 1000);
  assert.equal(w.unwrap(500), TIMESTAMP_PERIOD + 500);
  assert.equal(w.unwrap(TIMESTAMP_PERIOD - 10), TIMESTAMP_PERIOD - 10);
});
