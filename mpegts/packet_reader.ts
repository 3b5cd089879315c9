/**
 * Cuts a byte stream delivered in chunks of any size into 188-byte transport packets.
 *
 * ```
 * 188 (TS):   |47 ...184+3...|47 ...........|
 * 192 (M2TS): |TC TC TC TC|47 ...187...|TC TC TC TC|47 ...
 *             4-byte arrival timestamp before every packet
 * 204 (RS):   |47 ...187...|16 parity bytes|47 ...
 * ```
 *
 * While locked, packets are handed out as `(bytes, offset)` views into the caller's chunk;
 * only a packet that straddles two chunks is copied into a 188-byte tail buffer. After a bad
 * sync byte the reader searches for `confirm` consecutive sync bytes at one of the three
 * spacings before locking again; the bytes skipped are reported as garbage.
 *
 * @module
 */

import { SYNC_BYTE, TS_PACKET_SIZE } from "./packet.ts";

/**
 * Called for every packet; `off` is the position of its sync byte in `buf`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type PacketSink, TsPacketReader } from "@tsrt/tsrt/mpegts";
 * const pids: number[] = [];
 * const sink: PacketSink = (buf, off) => pids.push(((buf[off + 1] & 0x1f) << 8) | buf[off + 2]);
 * const reader = new TsPacketReader(sink);
 * const chunk = new Uint8Array(3 * 188);
 * for (let i = 0; i < 3; i++) chunk.set([0x47, 0x01, 0x00, 0x10], i * 188);
 * reader.push(chunk);
 * assert.deepEqual(pids, [0x100, 0x100, 0x100]);
 * ```
 */
export type PacketSink = (buf: Uint8Array, off: number) => void;

/**
 * Sync state changes and discarded bytes, reported to {@link PacketReaderOptions.onSync}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type SyncReport, TsPacketReader } from "@tsrt/tsrt/mpegts";
 * const reports: SyncReport[] = [];
 * const reader = new TsPacketReader(() => {}, { onSync: (r) => reports.push(r) });
 * // 5 bytes of garbage, then three 192-byte M2TS packets (4-byte timecode before each sync byte).
 * const chunk = new Uint8Array(5 + 3 * 192);
 * for (let i = 0; i < 3; i++) chunk[5 + 4 + i * 192] = 0x47;
 * reader.push(chunk);
 * assert.deepEqual(reports, [{ locked: true, packetSize: 192, garbageBytes: 5 }]);
 * ```
 */
export interface SyncReport {
  /** true when the reader has just locked, false when it has just lost sync */
  locked: boolean;
  /** packet spacing (188, 192 or 204) when locked; the previous one when lost */
  packetSize: number;
  /** bytes discarded since the previous report */
  garbageBytes: number;
}

/**
 * Options for {@link TsPacketReader}.
 *
 * @example
 * ```ts
 * import { type PacketReaderOptions, TsPacketReader } from "@tsrt/tsrt/mpegts";
 * const options: PacketReaderOptions = {
 *   confirm: 5,
 *   onSync: (r) => console.log(r.locked ? `locked on ${r.packetSize}` : "sync lost"),
 * };
 * const reader = new TsPacketReader((buf, off) => console.log(buf[off + 3] & 0x0f), options);
 * reader.push(new Uint8Array(1316));
 * ```
 */
export interface PacketReaderOptions {
  /** consecutive sync bytes needed to (re)acquire sync; default 3 */
  confirm?: number;
  /** called when sync is acquired or lost */
  onSync?: (report: SyncReport) => void;
}

const SIZES = [188, 192, 204];
const SEARCH_CAP = 64 * 1024;

/**
 * Streaming packet splitter with 188/192/204 detection and resynchronisation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TsPacketReader } from "@tsrt/tsrt/mpegts";
 * let count = 0;
 * const reader = new TsPacketReader(() => count++);
 * const stream = new Uint8Array(4 * 188);
 * for (let i = 0; i < 4; i++) stream[i * 188] = 0x47;
 * // Chunk boundaries need not fall on packet boundaries.
 * reader.push(stream.subarray(0, 300));
 * reader.push(stream.subarray(300));
 * assert.equal(count, 4);
 * assert.equal(reader.packetSize, 188);
 * ```
 */
export class TsPacketReader {
  /** Packet spacing once locked (188, 192 or 204), 0 before the first lock. */
  packetSize: number = 0;
  /** True while locked on sync bytes. */
  locked: boolean = false;
  /** Packets delivered. */
  packets: number = 0;
  /** Bytes discarded while searching for sync. */
  garbageBytes: number = 0;
  /** Times sync was lost. */
  syncLosses: number = 0;

  private readonly _sink: PacketSink;
  private readonly _confirm: number;
  private readonly _onSync: ((r: SyncReport) => void) | undefined;
  private readonly _tail: Uint8Array = new Uint8Array(TS_PACKET_SIZE);
  private _tailLen = 0;
  private _skip = 0;
  private _search: Uint8Array = new Uint8Array(4096);
  private _searchLen = 0;
  private _garbageSinceReport = 0;

  /**
   * Creates a reader that is not yet locked; the first `push` starts the sync search.
   *
   * @param sink receives each packet, synchronously, as a view into the pushed chunk (or
   *   into the internal tail buffer for a packet that straddled two chunks)
   * @param options sync confirmation count (default 3, at least 1) and sync callback
   */
  constructor(sink: PacketSink, options: PacketReaderOptions = {}) {
    this._sink = sink;
    this._confirm = Math.max(1, options.confirm ?? 3);
    this._onSync = options.onSync;
  }

  /**
   * Feeds the next chunk. Packets are delivered synchronously to the sink.
   *
   * @param chunk any number of bytes
   */
  push(chunk: Uint8Array): void {
    if (!this.locked) {
      this._appendSearch(chunk, 0, chunk.length);
      this._scan();
      return;
    }
    this._run(chunk, 0);
  }

  /**
   * Tells whether `buf` is the reader's own tail buffer, whose bytes are overwritten by
   * the next straddling packet (callers that keep packet references must copy those).
   *
   * @param buf a buffer passed to the sink
   * @returns true for the internal tail buffer
   */
  isTransient(buf: Uint8Array): boolean {
    return buf === this._tail;
  }

  /**
   * End of input: when still searching, accepts a run of fewer than `confirm` packets if
   * every packet boundary still available carries a sync byte (short streams, tests).
   */
  flush(): void {
    if (this.locked || this._searchLen < TS_PACKET_SIZE) return;
    const s = this._search;
    const n = this._searchLen;
    for (let p = 0; p + TS_PACKET_SIZE <= n; p++) {
      if (s[p] !== SYNC_BYTE) continue;
      for (const size of SIZES) {
        let ok = true;
        for (let q = p + size; q < n && ok; q += size) ok = s[q] === SYNC_BYTE;
        if (!ok) continue;
        this._drop(size === 192 ? Math.max(0, p - 4) : p);
        this.packetSize = size;
        this.locked = true;
        const rest = s.slice(p, n);
        this._searchLen = 0;
        this._onSync?.({ locked: true, packetSize: size, garbageBytes: this._garbageSinceReport });
        this._garbageSinceReport = 0;
        this._run(rest, 0);
        return;
      }
    }
  }

  /** Forgets buffered bytes and sync state. */
  reset(): void {
    this._tailLen = 0;
    this._skip = 0;
    this._searchLen = 0;
    this.locked = false;
  }

  /**
   * Locked path: skips the rest of a previous 192/204-byte packet's trailer, completes a
   * packet held in the tail buffer, then delivers every whole packet of `buf` from `pos`
   * and keeps the incomplete remainder in the tail buffer. A missing sync byte drops sync
   * and hands the rest of `buf` to the search.
   *
   * @param buf chunk being consumed
   * @param pos offset in `buf` where the next unconsumed byte lies
   */
  private _run(buf: Uint8Array, pos: number): void {
    const len = buf.length;
    const size = this.packetSize;
    const sink = this._sink;
    if (this._skip > 0) {
      const n = Math.min(this._skip, len - pos);
      this._skip -= n;
      pos += n;
      if (this._skip > 0) return;
    }
    if (this._tailLen > 0) {
      const tail = this._tail;
      let t = this._tailLen;
      while (t < TS_PACKET_SIZE && pos < len) tail[t++] = buf[pos++];
      this._tailLen = t;
      if (t < TS_PACKET_SIZE) return;
      this._tailLen = 0;
      if (tail[0] !== SYNC_BYTE) {
        this._lose(tail, 1, TS_PACKET_SIZE);
        this._appendSearch(buf, pos, len);
        this._scan();
        return;
      }
      this.packets++;
      sink(tail, 0);
      const extra = size - TS_PACKET_SIZE;
      if (extra > 0) {
        const n = Math.min(extra, len - pos);
        pos += n;
        if (n < extra) {
          this._skip = extra - n;
          return;
        }
      }
    }
    if (size === TS_PACKET_SIZE) {
      for (; pos + TS_PACKET_SIZE <= len; pos += TS_PACKET_SIZE) {
        if (buf[pos] !== SYNC_BYTE) {
          this._lose(buf, pos + 1, len);
          this._scan();
          return;
        }
        this.packets++;
        sink(buf, pos);
      }
    } else {
      while (pos + TS_PACKET_SIZE <= len) {
        if (buf[pos] !== SYNC_BYTE) {
          this._lose(buf, pos + 1, len);
          this._scan();
          return;
        }
        this.packets++;
        sink(buf, pos);
        pos += size;
        if (pos > len) {
          this._skip = pos - len;
          return;
        }
      }
    }
    const tail = this._tail;
    let t = 0;
    while (pos < len) tail[t++] = buf[pos++];
    this._tailLen = t;
  }

  /**
   * Drops sync after a bad sync byte: counts the loss and the one garbage byte, forgets the
   * tail and pending skip, reports the loss, and restarts the search on `buf[from..end)`.
   *
   * @param buf bytes following the bad sync byte
   * @param from first byte to search (just past the bad sync byte)
   * @param end end of the bytes to search, exclusive
   */
  private _lose(buf: Uint8Array, from: number, end: number): void {
    this.locked = false;
    this.syncLosses++;
    this._tailLen = 0;
    this._skip = 0;
    this._garbageSinceReport++;
    this.garbageBytes++;
    this._searchLen = 0;
    this._appendSearch(buf, from, end);
    this._onSync?.({ locked: false, packetSize: this.packetSize, garbageBytes: 0 });
  }

  /**
   * Appends `buf[start..end)` to the search buffer, doubling its capacity when needed.
   *
   * @param buf source bytes
   * @param start first byte to copy
   * @param end end of the copy, exclusive
   */
  private _appendSearch(buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this._searchLen + n > this._search.length) {
      const cap = Math.max(this._search.length * 2, this._searchLen + n);
      const next = new Uint8Array(cap);
      next.set(this._search.subarray(0, this._searchLen));
      this._search = next;
    }
    this._search.set(buf.subarray(start, end), this._searchLen);
    this._searchLen += n;
  }

  /**
   * Looks for `confirm` sync bytes spaced 188, 192 or 204 bytes apart in the search buffer.
   * On success locks, counts the bytes before the run as garbage (minus an M2TS packet's
   * 4-byte timestamp) and delivers from there; otherwise discards bytes that can no longer
   * start a run and keeps at most 64 KiB for the next chunk.
   */
  private _scan(): void {
    const s = this._search;
    const n = this._searchLen;
    const k = this._confirm;
    let p = 0;
    for (; p < n; p++) {
      if (s[p] !== SYNC_BYTE) continue;
      let undecided = false;
      let found = 0;
      for (let i = 0; i < SIZES.length && found === 0; i++) {
        const size = SIZES[i];
        // Need the whole confirming run plus the last packet's body.
        if (p + (k - 1) * size + TS_PACKET_SIZE > n) {
          undecided = true;
          continue;
        }
        let ok = true;
        for (let j = 1; j < k && ok; j++) ok = s[p + j * size] === SYNC_BYTE;
        if (ok) found = size;
      }
      if (found !== 0) {
        // The 4 bytes before an M2TS packet are its arrival timestamp, not garbage.
        this._drop(found === 192 ? Math.max(0, p - 4) : p);
        this.packetSize = found;
        this.locked = true;
        const rest = s.slice(p, n);
        this._searchLen = 0;
        this._onSync?.({ locked: true, packetSize: found, garbageBytes: this._garbageSinceReport });
        this._garbageSinceReport = 0;
        this._run(rest, 0);
        return;
      }
      if (undecided) break;
    }
    // Keep only what may still start a packet.
    let keep = p;
    if (n - keep > SEARCH_CAP) keep = n - SEARCH_CAP;
    this._drop(keep);
    s.copyWithin(0, keep, n);
    this._searchLen = n - keep;
  }

  /**
   * Counts bytes discarded while searching for sync.
   *
   * @param count number of bytes dropped
   */
  private _drop(count: number): void {
    this.garbageBytes += count;
    this._garbageSinceReport += count;
  }
}
