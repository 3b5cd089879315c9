/**
 * Where a packet sits in libsrt's FEC matrix: its row group and its column group.
 *
 * Sequence numbers are counted from an anchor (the ISN, later moved on by whole matrices).
 * With `cols` = C and `rows` = R, the row groups are C consecutive packets. Column `c` holds
 * every C-th packet, R of them, and its groups repeat every C×R packets:
 *
 * ```
 * even (C=4, R=2)             staircase (C=4, R=2)
 * offset: 0  1  2  3          0  1  2  3
 *         4  5  6  7          4  5  6  7   column 0: 0,4   column 1: 5,9
 * column: 0  1  2  3          8  9 10 11   column 2: 2,6   column 3: 7,11
 * ```
 *
 * In the staircase layout the first group of column `c` starts `c + (c mod R)×C` packets
 * after the anchor (libsrt `ConfigureColumns`), so column FEC packets are spread over the
 * stream instead of all following the matrix's last row. Packets before a column's first
 * group (offsets 1, 3 in the example) belong to no column group at the start of a stream.
 *
 * @module
 */

import { seqInc, seqOff } from "./seq.ts";

/** The matrix shape: what the group math needs from a {@linkcode FecConfig}. */
export interface FecShape {
  /** Packets per row. */
  readonly cols: number;
  /** Packets per column (1 = rows only). */
  readonly rows: number;
  /** Column arrangement. */
  readonly layout: "even" | "staircase";
}

/**
 * Offset from the anchor of the first packet of column `column`'s first group.
 *
 * @param shape the matrix shape
 * @param column the column, 0..cols-1
 * @returns the offset
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnFirstOffset } from "./fec_layout.ts";
 * const shape = { cols: 10, rows: 5, layout: "staircase" } as const;
 * assert.deepEqual([0, 1, 4, 5, 6].map((c) => columnFirstOffset(shape, c)), [0, 11, 44, 5, 16]);
 * ```
 */
export function columnFirstOffset(shape: FecShape, column: number): number {
  return shape.layout === "even" ? column : column + (column % shape.rows) * shape.cols;
}

/**
 * First sequence number of the row group holding `seq`.
 *
 * @param anchor sequence number of offset 0 (the ISN, or a later matrix start)
 * @param cols packets per row
 * @param seq the packet
 * @returns the row's first sequence number
 */
export function rowGroupBase(anchor: number, cols: number, seq: number): number {
  const off = seqOff(anchor, seq);
  return seqInc(anchor, Math.floor(off / cols) * cols);
}

/**
 * Column number of `seq` (0..cols-1).
 *
 * @param anchor sequence number of offset 0
 * @param cols packets per row
 * @param seq the packet
 * @returns the column
 */
export function columnIndex(anchor: number, cols: number, seq: number): number {
  const off = seqOff(anchor, seq) % cols;
  return off < 0 ? off + cols : off;
}

/**
 * First sequence number of the column group holding `seq`, or -1 when `seq` precedes its
 * column's first group and `fromStart` says the anchor is the stream's start.
 *
 * @param anchor sequence number of offset 0
 * @param shape the matrix shape (rows >= 2)
 * @param seq the packet
 * @param fromStart true when `anchor` is the ISN (packets before a staircase column's first
 *   group are in no group); false once the anchor moved on
 * @returns the group's first sequence number, or -1
 */
export function columnGroupBase(
  anchor: number,
  shape: FecShape,
  seq: number,
  fromStart: boolean,
): number {
  const column = columnIndex(anchor, shape.cols, seq);
  const first = columnFirstOffset(shape, column);
  const d = seqOff(anchor, seq) - first;
  if (d < 0 && fromStart) return -1;
  const period = shape.cols * shape.rows;
  return seqInc(anchor, first + Math.floor(d / period) * period);
}
