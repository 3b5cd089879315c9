/**
 * CRC-32/MPEG-2 as used by PSI sections (ISO/IEC 13818-1 Annex A) and SCTE-35.
 *
 * ```
 * width 32, poly 0x04C11DB7, init 0xFFFFFFFF, no reflection, xorout 0
 * check("123456789") = 0x0376E6E7
 * a section whose trailing CRC_32 is correct has crc32Mpeg2(section) === 0
 * ```
 *
 * @module
 */

const TABLE: Uint32Array = /* @__PURE__ */ (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/**
 * Computes CRC-32/MPEG-2 over `data[start, end)`.
 *
 * @param data bytes to checksum
 * @param start first byte (default 0)
 * @param end one past the last byte (default `data.length`)
 * @returns the CRC as an unsigned 32-bit number
 * @example
 * ```ts
 * import { crc32Mpeg2 } from "./crc32.ts";
 * crc32Mpeg2(new TextEncoder().encode("123456789")); // 0x0376e6e7
 * ```
 */
export function crc32Mpeg2(data: Uint8Array, start = 0, end: number = data.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ data[i]) & 0xff];
  return crc >>> 0;
}
