// nextNalStart() scans four bytes at a time over a word view of the underlying buffer;
// these check it against a byte-by-byte reference on views at every alignment.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nextNalStart, splitNalUnits } from "./nal.ts";
import { rng } from "./_test_util.ts";

function reference(data: Uint8Array, from: number): number {
  for (let i = Math.max(0, from); i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) return i + 3;
  }
  return -1;
}

function allStarts(f: (d: Uint8Array, from: number) => number, d: Uint8Array, from: number) {
  const out: number[] = [];
  for (let p = f(d, from); p >= 0; p = f(d, p)) out.push(p);
  return out;
}

describe("nextNalStart", () => {
  it("finds the same start codes as a byte-by-byte scan, at every alignment", () => {
    const rand = rng(5);
    for (let round = 0; round < 40; round++) {
      // Random bytes with start codes, long zero runs and 00 00 0x near-misses planted.
      const buf = new Uint8Array(300 + Math.floor(rand() * 700));
      for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rand() * 256);
      for (let k = 0; k < 12; k++) {
        const at = Math.floor(rand() * (buf.length - 6));
        const kind = Math.floor(rand() * 4);
        const seq = kind === 0
          ? [0, 0, 1]
          : kind === 1
          ? [0, 0, 0, 0, 1]
          : kind === 2
          ? [0, 0, 2]
          : [0, 0, 0, 0, 0, 0];
        buf.set(seq, at);
      }
      for (let a = 0; a < 4; a++) {
        for (const cut of [0, 1, 2, 3]) {
          const view = buf.subarray(a, buf.length - cut);
          for (const from of [-3, 0, 1, 2, 3, 5, 40]) {
            assert.deepEqual(
              allStarts(nextNalStart, view, from),
              allStarts(reference, view, from),
              `round ${round}, offset ${a}, cut ${cut}, from ${from}`,
            );
          }
        }
      }
    }
  });

  it("finds start codes in the last bytes of a view and ignores bytes past its end", () => {
    const buf = new Uint8Array(80);
    buf.set([0, 0, 1], 61);
    assert.equal(nextNalStart(buf.subarray(0, 64), 0), 64);
    assert.equal(nextNalStart(buf.subarray(0, 63), 0), -1);
    assert.equal(nextNalStart(buf.subarray(2, 62), 0), -1);
  });
});

// splitNalUnits() as it was before it used nextNalStart().
function splitReference(data: Uint8Array): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const n = data.length;
  let start = -1;
  for (let i = 0; i + 2 < n; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) {
        let e = i;
        while (e > start && data[e - 1] === 0) e--;
        out.push({ start, end: e });
      }
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0 && start < n) out.push({ start, end: n });
  return out;
}

describe("splitNalUnits", () => {
  it("matches a byte-by-byte split, including empty units and trailing zeros", () => {
    const rand = rng(9);
    const cases = [
      new Uint8Array([0, 0, 1, 0, 0, 1, 0x09, 0, 0, 0, 1, 0x65, 0, 0]),
      new Uint8Array([0, 0, 1]),
      new Uint8Array([1, 2, 0, 0, 1, 7, 0, 0, 0]),
    ];
    for (let round = 0; round < 30; round++) {
      const buf = new Uint8Array(50 + Math.floor(rand() * 400));
      for (let i = 0; i < buf.length; i++) buf[i] = rand() < 0.3 ? 0 : Math.floor(rand() * 256);
      for (let k = 0; k < 6; k++) buf.set([0, 0, 1], Math.floor(rand() * (buf.length - 3)));
      cases.push(buf, buf.subarray(1), buf.subarray(3, buf.length - 1));
    }
    for (const c of cases) assert.deepEqual(splitNalUnits(c), splitReference(c));
  });
});
