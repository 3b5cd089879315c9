// Decodes packets captured from srt-live-transmit 1.5.1 and ffmpeg (tests/vectors) and checks
// that re-encoding the decoded value gives back the same bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ControlType, decodeControlPacket, encodeControlPacket } from "./control_packet.ts";
import { decodeDataPacket, encodeDataPacket, isControlPacket } from "./data_packet.ts";
import { HsType, SRT_MAGIC } from "./handshake.ts";
import { ExtType } from "./handshake_ext.ts";

interface Vector {
  name: string;
  hex: string;
}
const file = new URL("../tests/vectors/srt_live_transmit_1.5.1.json", import.meta.url);
const vectors: Vector[] = JSON.parse(readFileSync(file, "utf8")).vectors;

function hex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
}
function byName(name: string): Uint8Array {
  const v = vectors.find((x) => x.name === name);
  assert.ok(v, `vector ${name} missing`);
  return hex(v.hex);
}

test("every captured libsrt packet decodes and re-encodes to the same bytes", () => {
  assert.ok(vectors.length >= 20);
  for (const v of vectors) {
    const bytes = hex(v.hex);
    const again = isControlPacket(bytes)
      ? encodeControlPacket(decodeControlPacket(bytes))
      : encodeDataPacket(decodeDataPacket(bytes));
    assert.deepEqual(again, bytes, v.name);
  }
});

test("INDUCTION exchange: version 4 + UDT_DGRAM request, version 5 + SRT magic answer", () => {
  const req = decodeControlPacket(byName("induction_request"));
  assert.equal(req.type, ControlType.HANDSHAKE);
  if (req.type !== ControlType.HANDSHAKE) return;
  assert.equal(req.destSocketId, 0);
  assert.equal(req.handshake.version, 4);
  assert.equal(req.handshake.extension, 2);
  assert.equal(req.handshake.type, HsType.INDUCTION);
  assert.equal(req.handshake.peerIp, "127.0.0.1");
  const rsp = decodeControlPacket(byName("induction_response"));
  if (rsp.type !== ControlType.HANDSHAKE) throw new Error("not a handshake");
  assert.equal(rsp.handshake.version, 5);
  assert.equal(rsp.handshake.extension, SRT_MAGIC);
  assert.notEqual(rsp.handshake.cookie, 0);
  assert.equal(rsp.destSocketId, req.handshake.socketId);
});

test("CONCLUSION with a stream ID: HSREQ 1.5.1 flags 0xBF and the word-reversed SID", () => {
  const p = decodeControlPacket(byName("conclusion_request_sid_latency200"));
  if (p.type !== ControlType.HANDSHAKE) throw new Error("not a handshake");
  const exts = p.handshake.extensions;
  const hsreq = exts.find((e) => e.type === ExtType.HSREQ);
  assert.ok(hsreq && "flags" in hsreq);
  assert.equal(hsreq.version, 0x010501);
  assert.equal(hsreq.flags, 0xbf);
  assert.equal(hsreq.recvTsbpdDelay, 200);
  const sid = exts.find((e) => e.type === ExtType.SID);
  assert.ok(sid && "value" in sid);
  assert.match(sid.value, /^#!::/);
});

test("ffmpeg's stream ID decodes from its byte-reversed words", () => {
  const p = decodeControlPacket(byName("ffmpeg_conclusion_request_sid"));
  if (p.type !== ControlType.HANDSHAKE) throw new Error("not a handshake");
  const sid = p.handshake.extensions.find((e) => e.type === ExtType.SID);
  assert.ok(sid && "value" in sid);
  assert.ok(sid.value.startsWith("#!::"), sid.value);
});

test("rejections carry 1000 + reason in the handshake type", () => {
  const p = decodeControlPacket(byName("rejection_badsecret"));
  if (p.type !== ControlType.HANDSHAKE) throw new Error("not a handshake");
  assert.equal(p.handshake.type, 1010);
});

test("ACK, light ACK, ACKACK, keepalive and NAK decode as libsrt sent them", () => {
  const full = decodeControlPacket(byName("ack_full"));
  assert.equal(full.type, ControlType.ACK);
  if (full.type === ControlType.ACK) {
    assert.equal(full.ackNumber, 1);
    assert.equal(full.ack.rtt, 100_000);
    assert.equal(full.ack.rttVar, 50_000);
    assert.notEqual(full.ack.byteRate, undefined);
  }
  const light = decodeControlPacket(byName("ack_light"));
  if (light.type === ControlType.ACK) {
    assert.equal(light.ackNumber, 0);
    assert.equal(light.ack.rtt, undefined);
  } else assert.fail("light ACK is not an ACK");
  assert.equal(byName("ackack").length, 20);
  assert.equal(byName("keepalive_caller").length, 20);
  const range = decodeControlPacket(byName("nak_range"));
  if (range.type !== ControlType.NAK) throw new Error("not a NAK");
  assert.equal(range.losses.length, 1);
  assert.ok(range.losses[0][1] > range.losses[0][0]);
});

test("a retransmitted data packet has the R flag; live packets are solo", () => {
  const d = decodeDataPacket(byName("data_retransmitted"));
  assert.equal(d.retransmitted, true);
  assert.equal(d.position, 3);
  const first = decodeDataPacket(byName("data_0"));
  assert.equal(first.retransmitted, false);
  assert.equal(first.msgNo, 1);
});
