/**
 * Random bytes (salts, stream-encrypting keys) drawn from the injected 32-bit random source,
 * so the sans-IO core never touches a platform RNG. The adapter's source is the CSPRNG
 * (`crypto.getRandomValues`); tests pass a seeded one and get reproducible keys.
 *
 * @module
 */

/**
 * Random 32-bit unsigned integers, supplied by the adapter (tests pass a seeded one).
 *
 * @example
 * ```ts
 * import { type RandomU32, SrtEndpoint } from "@tsrt/tsrt";
 * import { createPrng } from "@tsrt/tsrt/net";
 * // A seeded source makes socket IDs, sequence numbers and keys reproducible in tests.
 * const prng = createPrng(42);
 * const rng: RandomU32 = () => prng.nextU32();
 * const endpoint = new SrtEndpoint(rng);
 * console.log(endpoint.connections.size);
 * ```
 */
export type RandomU32 = () => number;

/**
 * A source of `n` random bytes.
 *
 * @example
 * ```ts
 * import type { RandomBytes } from "@tsrt/tsrt";
 * const randomBytes: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
 * console.log(randomBytes(16).length);
 * ```
 */
export type RandomBytes = (n: number) => Uint8Array;

/**
 * Wraps a 32-bit random source as a byte source.
 *
 * @param rng Random 32-bit unsigned integers.
 * @returns A function giving `n` fresh random bytes, four per call of `rng`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomBytesFrom } from "./random_bytes.ts";
 * const bytes = randomBytesFrom(() => 0x01020304)(6);
 * assert.deepEqual([...bytes], [1, 2, 3, 4, 1, 2]);
 * ```
 */
export function randomBytesFrom(rng: RandomU32): RandomBytes {
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = rng() >>> 0;
      out[i] = v >>> 24;
      if (i + 1 < n) out[i + 1] = v >>> 16;
      if (i + 2 < n) out[i + 2] = v >>> 8;
      if (i + 3 < n) out[i + 3] = v;
    }
    return out;
  };
}
