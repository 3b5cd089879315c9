/**
 * MSB-first bit reader with Exp-Golomb codes, for SPS and audio headers.
 * Reads past the end return zero bits and set `overrun` instead of throwing.
 */
export class BitReader {
  /** Underlying bytes. */
  readonly data: Uint8Array;
  /** Current bit position. */
  pos: number;
  /** Bit position one past the end. */
  readonly end: number;
  /** True once a read went past `end`. */
  overrun: boolean = false;

  constructor(data: Uint8Array, start = 0, end: number = data.length) {
    this.data = data;
    this.pos = start * 8;
    this.end = end * 8;
  }

  /** Reads one bit. */
  bit(): number {
    if (this.pos >= this.end) {
      this.overrun = true;
      this.pos++;
      return 0;
    }
    const b = (this.data[this.pos >> 3] >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }

  /** Reads `n` bits (n <= 32) as an unsigned number. */
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  /** Skips `n` bits. */
  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.end) this.overrun = true;
  }

  /** Reads an unsigned Exp-Golomb code ue(v). */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31 || this.overrun) {
        this.overrun = true;
        return 0;
      }
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.bits(zeros);
  }

  /** Reads a signed Exp-Golomb code se(v). */
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }
}
