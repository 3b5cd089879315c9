// Unit checks of the small codecs, against values fixed by their specifications.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BitReader } from "./_bit_reader.ts";
import { parseAdtsHeader } from "./adts.ts";
import { crc32Mpeg2 } from "./crc32.ts";
import { parseDescriptors } from "./descriptors.ts";
import { splitNalUnits, unescapeRbsp } from "./nal.ts";
import { createAdaptationField, readAdaptationField } from "./packet.ts";
import { TsPacketReader } from "./packet_reader.ts";
import { parsePesHeader, PTS_WRAP, ptsDiff, TimestampUnwrapper } from "./pes.ts";
import { detectCodec } from "./stream_type.ts";
import { fixture } from "./_test_util.ts";

describe("crc32Mpeg2", () => {
  it("matches the CRC-32/MPEG-2 check value and validates itself", () => {
    assert.equal(crc32Mpeg2(new TextEncoder().encode("123456789")), 0x0376e6e7);
    const s = new Uint8Array([1, 2, 3, 0, 0, 0, 0]);
    const c = crc32Mpeg2(s, 0, 3);
    s.set([c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255], 3);
    assert.equal(crc32Mpeg2(s), 0);
  });
});

describe("timestamps", () => {
  it("encodes and decodes 33-bit PTS/DTS including the top bit", () => {
    const enc = (prefix: number, ts: number) => [
      (prefix << 4) | (Math.floor(ts / 2 ** 30) << 1) | 1,
      (ts >>> 22) & 0xff,
      (((ts >>> 15) & 0x7f) << 1) | 1,
      (ts >>> 7) & 0xff,
      ((ts & 0x7f) << 1) | 1,
    ];
    const pts = PTS_WRAP - 1, dts = PTS_WRAP - 3003;
    const pes = new Uint8Array([
      0,
      0,
      1,
      0xe0,
      0,
      0,
      0x84,
      0xc0,
      10,
      ...enc(3, pts),
      ...enc(1, dts),
      9,
    ]);
    const h = parsePesHeader(pes, 0, pes.length);
    assert.equal(h?.pts, pts);
    assert.equal(h?.dts, dts);
    assert.equal(h?.dataAlignment, true);
    assert.equal(h?.payloadOffset, 19);
  });

  it("differences and unwrapping cross the 2^33 wrap", () => {
    assert.equal(ptsDiff(10, PTS_WRAP - 10), 20);
    assert.equal(ptsDiff(PTS_WRAP - 10, 10), -20);
    const u = new TimestampUnwrapper();
    assert.deepEqual([PTS_WRAP - 3000, 0, 3000].map((t) => u.unwrap(t)), [
      PTS_WRAP - 3000,
      PTS_WRAP,
      PTS_WRAP + 3000,
    ]);
  });
});

describe("adaptation field", () => {
  it("reads PCR, OPCR, splice countdown and private data", () => {
    const pkt = new Uint8Array(188).fill(0xff);
    // PCR base 2^32 + 5, ext 299 ; OPCR base 1, ext 0 ; splice -2 ; private "ab"
    const pcr = [0x80, 0x00, 0x00, 0x02, 0x81, 0x2b];
    const opcr = [0x00, 0x00, 0x00, 0x00, 0x80, 0x00];
    pkt.set([0x47, 0x01, 0x00, 0x30, 1 + 6 + 6 + 1 + 3, 0xde, ...pcr, ...opcr, 0xfe, 2, 97, 98]);
    const af = createAdaptationField();
    assert.equal(readAdaptationField(pkt, 0, af), true);
    assert.equal(af.discontinuity, true);
    assert.equal(af.randomAccess, true);
    assert.equal(af.pcr, (2 ** 32 + 5) * 300 + 299);
    assert.equal(af.opcr, 300);
    assert.equal(af.spliceCountdown, -2);
    assert.deepEqual([...(af.privateData ?? [])], [97, 98]);
  });
});

describe("packet reader", () => {
  it("keeps only the partial packet between chunks and views whole ones in place", () => {
    const data = fixture("hevc_ac3_2s.ts").subarray(0, 188 * 20);
    const seen: Array<[Uint8Array, number]> = [];
    const copies: Uint8Array[] = [];
    const r = new TsPacketReader((b, o) => {
      seen.push([b, o]);
      copies.push(b.slice(o, o + 188));
    });
    r.push(data.subarray(0, 1316)); // locks on these 7 packets
    assert.equal(seen.length, 7);
    r.push(data.subarray(1316, 1400)); // 84 bytes: nothing yet
    assert.equal(seen.length, 7);
    r.push(data.subarray(1400, 1316 * 2 + 50));
    assert.equal(seen.length, 14);
    assert.ok(r.isTransient(seen[7][0]));
    // once locked, whole packets are views into the caller's chunk, not copies
    assert.ok(seen.slice(8).every(([b]) => b.buffer === data.buffer && !r.isTransient(b)));
    assert.deepEqual(copies.map((c) => c[0]), new Array(14).fill(0x47));
    assert.deepEqual([...copies[7]], [...data.subarray(1316, 1504)]);
    assert.equal(r.packets, 14);
  });
});

describe("descriptors and detection", () => {
  it("decodes language, AVC, HEVC and DVB E-AC-3 descriptors", () => {
    const d = parseDescriptors(
      new Uint8Array([
        0x0a,
        4,
        0x65,
        0x6e,
        0x67,
        0x01, // eng, clean effects
        0x28,
        4,
        100,
        0,
        40,
        0x3f,
        0x38,
        13,
        0x21,
        0x60,
        0,
        0,
        0,
        0x90,
        0,
        0,
        0,
        0,
        0,
        93,
        0,
        0x7a,
        2,
        0x40,
        16,
      ]),
      0,
      31,
    );
    assert.deepEqual(d[0].decoded, {
      kind: "language",
      entries: [{ language: "eng", audioType: 1 }],
    });
    assert.deepEqual(d[1].decoded, {
      kind: "avc",
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 40,
    });
    assert.deepEqual(d[2].decoded, {
      kind: "hevc",
      profileSpace: 0,
      tier: 1,
      profileIdc: 1,
      levelIdc: 93,
    });
    assert.deepEqual(d[3].decoded, { kind: "eac3", bsid: 16 });
    assert.equal(detectCodec(0x06, d), "eac3");
  });

  it("detects KLV, Opus and LATM by stream_type and registration", () => {
    const klva = parseDescriptors(new Uint8Array([0x05, 4, 0x4b, 0x4c, 0x56, 0x41]), 0, 6);
    assert.equal(detectCodec(0x06, klva), "klv");
    assert.equal(detectCodec(0x15, klva), "klv");
    const opus = parseDescriptors(new Uint8Array([0x05, 4, 0x4f, 0x70, 0x75, 0x73]), 0, 6);
    assert.equal(detectCodec(0x06, opus), "opus");
    assert.equal(detectCodec(0x11, []), "aac_latm");
    assert.equal(detectCodec(0x03, []), "mp2");
    assert.equal(detectCodec(0x86, []), "scte35");
  });
});

describe("bit-level helpers", () => {
  it("reads Exp-Golomb codes and stops cleanly at the end", () => {
    // 1 | 010 | 011 | 00100 -> ue 0, 1, 2, 3
    const r = new BitReader(new Uint8Array([0b10100110, 0b01000000]));
    assert.deepEqual([r.ue(), r.ue(), r.ue(), r.ue()], [0, 1, 2, 3]);
    r.bits(32);
    assert.equal(r.overrun, true);
  });

  it("removes emulation prevention and splits NAL units", () => {
    assert.deepEqual([...unescapeRbsp(new Uint8Array([1, 0, 0, 3, 1, 0, 0, 3]))], [
      1,
      0,
      0,
      1,
      0,
      0,
    ]);
    const au = new Uint8Array([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88, 0, 0, 1, 0x06]);
    assert.deepEqual(
      splitNalUnits(au).map((s) => au[s.start] & 0x1f),
      [9, 5, 6],
    );
  });

  it("reads ADTS headers", () => {
    // AAC-LC, 44.1 kHz (index 4), 2 channels, 300-byte frame, no CRC
    const len = 300;
    const h = parseAdtsHeader(
      new Uint8Array([
        0xff,
        0xf1,
        0x50,
        0x80 | (len >> 11),
        (len >> 3) & 0xff,
        ((len & 7) << 5) | 0x1f,
        0xfc,
      ]),
      0,
    );
    assert.deepEqual(h, {
      objectType: 2,
      sampleRate: 44100,
      channels: 2,
      frameLength: 300,
      headerLength: 7,
      blocks: 1,
    });
  });
});
