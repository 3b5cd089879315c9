// Big-endian integer access on plain Uint8Array, without allocating a DataView per packet.

/** Reads an unsigned 32-bit big-endian integer. The caller checks bounds. */
export function readU32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** Writes an unsigned 32-bit big-endian integer. The caller checks bounds. */
export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = v >>> 16;
  b[off + 2] = v >>> 8;
  b[off + 3] = v;
}

/** Reads an unsigned 16-bit big-endian integer. The caller checks bounds. */
export function readU16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

/** Writes an unsigned 16-bit big-endian integer. The caller checks bounds. */
export function writeU16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 8;
  b[off + 1] = v;
}
