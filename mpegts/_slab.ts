/**
 * Copies byte ranges into large shared slabs and hands out views, so that owning a copy of
 * a frame costs one memcpy and a view instead of a fresh ArrayBuffer per frame. A slab is
 * freed by the garbage collector once no view into it is left.
 */
export class Slab {
  private _slab: Uint8Array;
  private _pos = 0;
  private readonly _size: number;

  /** @param size bytes per slab (default 1 MiB) */
  constructor(size: number = 1 << 20) {
    this._size = size;
    this._slab = new Uint8Array(size);
  }

  /**
   * Copies `src[start, end)` and returns a view of the copy.
   *
   * @param src source bytes
   * @param start first byte
   * @param end one past the last byte
   * @returns a view that nothing else writes to
   */
  copy(src: Uint8Array, start: number = 0, end: number = src.length): Uint8Array {
    const n = end - start;
    if (n > this._size >> 2) return src.slice(start, end);
    if (this._pos + n > this._size) {
      this._slab = new Uint8Array(this._size);
      this._pos = 0;
    }
    const p = this._pos;
    this._slab.set(start === 0 && end === src.length ? src : src.subarray(start, end), p);
    this._pos = p + n;
    return this._slab.subarray(p, p + n);
  }
}
