/**
 * A small, fast, seeded pseudo-random generator for simulations and tests:
 * the same seed yields the same sequence on every runtime.
 *
 * The core is sfc32 (Chris Doty-Humphrey's "small fast chaotic" generator,
 * 128 bits of state, 32-bit output) seeded through splitmix32 so that nearby
 * seeds such as 1, 2, 3 give unrelated streams. It uses only 32-bit integer
 * arithmetic (`Math.imul`, `| 0`, `>>> 0`), which JavaScript defines exactly,
 * so results do not depend on the engine. Not suitable for cryptography:
 * use `crypto.getRandomValues` for keys, salts and initial sequence numbers.
 *
 * ```ts ignore
 * import { createPrng } from "./prng.ts";
 *
 * const rng = createPrng(42);
 * const dropped = rng.next() < 0.1;
 * const delayMs = rng.normal(20, 5);
 * ```
 *
 * @module
 */

/**
 * A seeded pseudo-random generator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPrng, type Prng } from "@tsrt/tsrt/net";
 * const rng: Prng = createPrng(2024);
 * const x = rng.next();
 * assert.ok(x >= 0 && x < 1);
 * assert.ok(rng.nextInt(6) < 6);
 * assert.equal(rng.bytes(16).length, 16);
 * ```
 */
export interface Prng {
  /** Uniform float in [0, 1), with 32 bits of resolution. */
  next(): number;
  /** Uniform unsigned 32-bit integer in [0, 2^32). */
  nextU32(): number;
  /**
   * Uniform integer in [0, `bound`), without modulo bias.
   *
   * @throws {RangeError} unless `bound` is an integer in 1-2^32.
   */
  nextInt(bound: number): number;
  /**
   * Normally distributed float (Box-Muller). Each transform yields two values;
   * the second is kept for the next call, so calls consume the stream in pairs.
   */
  normal(mean?: number, sd?: number): number;
  /** `n` uniformly random bytes, in a new array. */
  bytes(n: number): Uint8Array;
}

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Creates a generator from `seed`, any safe integer (negative values and
 * values above 2^32 are folded in losslessly; both 32-bit halves count).
 *
 * @throws {RangeError} if `seed` is not a safe integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPrng } from "@tsrt/tsrt/net";
 * const a = createPrng(42);
 * const b = createPrng(42);
 * assert.equal(a.nextU32(), b.nextU32()); // same seed, same stream
 * assert.throws(() => createPrng(0.5), RangeError);
 * ```
 */
export function createPrng(seed: number): Prng {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`PRNG seed must be a safe integer, got ${seed}`);
  }
  return new Sfc32(seed);
}

/** splitmix32 step: advances `state` by the golden-ratio increment and mixes it. */
function splitmix32(state: number): number {
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

class Sfc32 implements Prng {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;
  #spare = 0;
  #hasSpare = false;

  constructor(seed: number) {
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    const golden = 0x9e3779b9;
    let s = (low ^ Math.imul(high, 0x7feb352d)) | 0;
    s = (s + golden) | 0;
    this.#a = splitmix32(s);
    s = (s + golden) | 0;
    this.#b = splitmix32(s);
    s = (s + golden) | 0;
    this.#c = splitmix32(s ^ high);
    // Let the state mix before the first output is used.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_32) {
      throw new RangeError(`nextInt bound must be an integer in 1-2^32, got ${bound}`);
    }
    // Reject the top partial range so that every result is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % bound;
  }

  normal(mean = 0, sd = 1): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return mean + sd * this.#spare;
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * v;
    this.#spare = r * Math.sin(theta);
    this.#hasSpare = true;
    return mean + sd * r * Math.cos(theta);
  }

  bytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`bytes() length must be a non-negative integer, got ${n}`);
    }
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const x = this.nextU32();
      out[i] = x & 0xff;
      out[i + 1] = (x >>> 8) & 0xff;
      out[i + 2] = (x >>> 16) & 0xff;
      out[i + 3] = x >>> 24;
    }
    if (i < n) {
      let x = this.nextU32();
      for (; i < n; i++, x >>>= 8) out[i] = x & 0xff;
    }
    return out;
  }
}
