/**
 * Receiver side of libsrt's `fec` packet filter: collects data and FEC packets per row and
 * column group, rebuilds the one missing packet of a group once the FEC packet and all other
 * members are in (and feeds a rebuilt packet into its other group, which can cascade), and
 * says which losses to NAK for the configured ARQ level. Sans-IO.
 *
 * Integration (libsrt `CUDT::processData` with `PacketFilter::receive`): pass every arriving
 * data packet, including FEC packets (message number 0), to {@linkcode FecReceiver.receive}
 * before the receive buffer sees it, then
 *
 * - insert the packet into the buffer only when `pass` is true (FEC packets never pass);
 * - insert each packet of `rebuilt` too (sorted by sequence; R is set and the message number
 *   is 1, as libsrt's rebuilt packets have), and take their sequences off the loss list;
 * - losses: with `arq:always` NAK as without a filter (periodic NAK included). With
 *   `arq:onreq` record losses in the loss list but send a NAK only for the ranges in `losses`,
 *   and no periodic NAK. With `arq:never` send no NAK at all.
 *
 * Counters follow libsrt: `filterExtra` (FEC packets received, `pktRcvFilterExtra`),
 * `filterSupply` (packets rebuilt, `pktRcvFilterSupply`), `filterLoss` (packets reported as
 * unrecoverable, `pktRcvFilterLoss`).
 *
 * Groups are closed a little after the stream passed them: a row `max(1, cols/3)` packets
 * after its last member (libsrt dismisses a row once the next row is a third full), a column
 * one row (`cols` packets) after its last member, by which time its FEC packet, sent right
 * after that member, has arrived unless it was lost. Unrecoverable losses are reported then:
 * from rows in a row-only configuration, else from columns (as libsrt does).
 *
 * @module
 */

import { FecClip } from "./_fec_clip.ts";
import { dataSeq, HEADER_SIZE, makeMsgWord, PacketPosition } from "./data_packet.ts";
import { ArqLevel, type FecConfig } from "./fec_config.ts";
import { columnGroupBase, columnIndex, rowGroupBase } from "./fec_layout.ts";
import { FEC_ROW_INDEX, fecGroupIndex, isFilterControlPacket } from "./fec_packet.ts";
import { seqInc, seqOff } from "./seq.ts";
import { writeU32 } from "./_bytes.ts";

/** Counters of the receiving filter (libsrt names without `pktRcv`). */
export interface FecReceiverStats {
  /** FEC packets received and consumed (`pktRcvFilterExtra`). */
  filterExtra: number;
  /** Packets rebuilt and supplied to the receiver (`pktRcvFilterSupply`). */
  filterSupply: number;
  /** Packets the filter reported as unrecoverable for a NAK (`pktRcvFilterLoss`). */
  filterLoss: number;
}

/** What to do after {@linkcode FecReceiver.receive}; reused, valid until the next call. */
export interface FecReceiveResult {
  /** Give the received packet to the receive buffer (false for FEC packets). */
  pass: boolean;
  /** Packets rebuilt by this arrival, complete datagrams sorted by sequence. */
  readonly rebuilt: Uint8Array[];
  /** Inclusive ranges `[first, last]` to NAK now (only with `arq:onreq`). */
  readonly losses: Array<[number, number]>;
}

const KIND_ROW = 0;
const KIND_COL = 1;
/** Matrices of history the received-packet map covers (libsrt SRT_FEC_MAX_RCV_HISTORY). */
const HISTORY_MATRICES = 10;

/** Rebuilds lost packets from FEC packets on one connection. */
export class FecReceiver {
  /** The filter's settings. */
  readonly config: FecConfig;
  /** Counters. */
  readonly stats: FecReceiverStats = { filterExtra: 0, filterSupply: 0, filterLoss: 0 };
  readonly #payloadSize: number;
  readonly #socketId: number;
  readonly #rows = new Map<number, FecClip>();
  readonly #colGroups = new Map<number, FecClip>();
  readonly #pool: FecClip[] = [];
  /** Received sequence numbers, indexed by `seq & mask` (-1 = none). */
  readonly #seen: Int32Array;
  readonly #mask: number;
  readonly #result: FecReceiveResult = { pass: false, rebuilt: [], losses: [] };
  #anchor: number;
  #fromStart = true;
  #top: number;
  #inOrder = false;

  /**
   * Creates an empty receiver; groups are made as their packets arrive.
   *
   * @param config the negotiated settings
   * @param isn the first data sequence number the peer sends
   * @param payloadSize the connection's `SRTO_PAYLOADSIZE` (longest packet that can be rebuilt)
   * @param socketId this side's socket ID (the destination of rebuilt packets)
   */
  constructor(config: FecConfig, isn: number, payloadSize: number, socketId: number) {
    this.config = config;
    this.#payloadSize = payloadSize;
    this.#socketId = socketId;
    this.#anchor = isn;
    this.#top = seqInc(isn, -1);
    const span = config.cols * Math.max(config.rows, 1) * (HISTORY_MATRICES + 2);
    let size = 1024;
    while (size < span) size *= 2;
    this.#seen = new Int32Array(size).fill(-1);
    this.#mask = size - 1;
  }

  /** Whether `seq` was received or rebuilt (within the remembered history). */
  has(seq: number): boolean {
    return this.#seen[seq & this.#mask] === seq;
  }

  /**
   * Takes one arriving data packet (or FEC packet).
   *
   * @param datagram the packet, header included, after decryption is not needed: FEC works
   *   on the bytes as they travel
   * @returns what to pass on, what was rebuilt and what to NAK
   */
  receive(datagram: Uint8Array): FecReceiveResult {
    const r = this.#result;
    r.pass = true;
    r.rebuilt.length = 0;
    r.losses.length = 0;
    const seq = dataSeq(datagram);
    const control = isFilterControlPacket(datagram);
    if (control) {
      r.pass = false;
      this.stats.filterExtra++;
    }
    if (seqOff(this.#anchor, seq) < 0 && this.#fromStart) return r;
    this.#advance(seq);
    if (control) {
      this.#takeFec(datagram, seq);
    } else if (!this.has(seq)) {
      this.#inOrder = (datagram[4] & 0x20) !== 0;
      this.#seen[seq & this.#mask] = seq;
      this.#clipInto(datagram, seq, -1);
    }
    if (r.rebuilt.length > 1) r.rebuilt.sort((a, b) => seqOff(dataSeq(b), dataSeq(a)));
    return r;
  }

  #takeFec(datagram: Uint8Array, seq: number): void {
    const { cols, rows, colsOnly } = this.config;
    if (datagram.length < HEADER_SIZE + 4) return;
    const index = fecGroupIndex(datagram);
    let g: FecClip | undefined;
    let kind = KIND_ROW;
    if (index === FEC_ROW_INDEX) {
      if (colsOnly) return;
      g = this.#group(KIND_ROW, rowGroupBase(this.#anchor, cols, seq));
    } else {
      if (rows < 2 || index >= cols || columnIndex(this.#anchor, cols, seq) !== index) return;
      const base = columnGroupBase(this.#anchor, this.config, seq, this.#fromStart);
      if (base < 0) return;
      g = this.#group(KIND_COL, base);
      kind = KIND_COL;
    }
    if (g === undefined || g.fec) return;
    g.addFec(datagram);
    g.fec = true;
    this.#tryRebuild(g, kind);
  }

  /** Clips a received or rebuilt data packet into its groups, except the one it came from. */
  #clipInto(datagram: Uint8Array, seq: number, skipKind: number): void {
    const { cols, rows, colsOnly } = this.config;
    if (!colsOnly && skipKind !== KIND_ROW) {
      const g = this.#group(KIND_ROW, rowGroupBase(this.#anchor, cols, seq));
      if (g !== undefined) {
        g.addData(datagram);
        g.collected++;
        this.#tryRebuild(g, KIND_ROW);
      }
    }
    if (rows > 1 && skipKind !== KIND_COL) {
      const base = columnGroupBase(this.#anchor, this.config, seq, this.#fromStart);
      const g = base < 0 ? undefined : this.#group(KIND_COL, base);
      if (g !== undefined) {
        g.addData(datagram);
        g.collected++;
        this.#tryRebuild(g, KIND_COL);
      }
    }
  }

  #tryRebuild(g: FecClip, kind: number): void {
    const { cols, rows } = this.config;
    const size = kind === KIND_ROW ? cols : rows;
    const step = kind === KIND_ROW ? 1 : cols;
    if (!g.fec || g.collected !== size - 1) return;
    let missing = -1;
    for (let i = 0; i < size; i++) {
      const s = seqInc(g.base, i * step);
      if (!this.has(s)) {
        missing = s;
        break;
      }
    }
    if (missing < 0 || g.length > this.#payloadSize) return;
    const pkt = new Uint8Array(HEADER_SIZE + g.length);
    writeU32(pkt, 0, missing);
    writeU32(
      pkt,
      4,
      makeMsgWord(PacketPosition.SOLO, this.#inOrder, (g.flags & 3) as 0, true, 1),
    );
    writeU32(pkt, 8, g.timestamp);
    writeU32(pkt, 12, this.#socketId);
    pkt.set(g.payload.subarray(0, g.length), HEADER_SIZE);
    g.collected++;
    this.#seen[missing & this.#mask] = missing;
    this.stats.filterSupply++;
    this.#result.rebuilt.push(pkt);
    this.#clipInto(pkt, missing, kind);
  }

  /** The group `kind` starting at `base`, made on first use unless already closed. */
  #group(kind: number, base: number): FecClip | undefined {
    const map = kind === KIND_ROW ? this.#rows : this.#colGroups;
    let g = map.get(base);
    if (g !== undefined) return g;
    if (this.#closeDue(kind, base)) return undefined;
    g = this.#pool.pop() ?? new FecClip(this.#payloadSize);
    g.reset(base);
    map.set(base, g);
    return g;
  }

  #lastOf(kind: number, base: number): number {
    const { cols, rows } = this.config;
    return seqInc(base, kind === KIND_ROW ? cols - 1 : (rows - 1) * cols);
  }

  #closeDue(kind: number, base: number): boolean {
    const cols = this.config.cols;
    const margin = kind === KIND_ROW ? Math.max(1, Math.floor(cols / 3)) : cols;
    return seqOff(this.#lastOf(kind, base), this.#top) > margin;
  }

  /** Moves the newest sequence on, closes groups the stream has left behind. */
  #advance(seq: number): void {
    if (seqOff(this.#top, seq) <= 0) return;
    this.#top = seq;
    const { rows, cols } = this.config;
    this.#closeGroups(KIND_ROW);
    this.#closeGroups(KIND_COL);
    // Keep offsets from the anchor small: move it on by whole matrices.
    const period = cols * Math.max(rows, 1);
    const ahead = seqOff(this.#anchor, seq);
    if (ahead > period * (HISTORY_MATRICES + 2)) {
      this.#anchor = seqInc(this.#anchor, Math.floor(ahead / period - 2) * period);
      this.#fromStart = false;
    }
  }

  #closeGroups(kind: number): void {
    const map = kind === KIND_ROW ? this.#rows : this.#colGroups;
    const report = this.config.arq === ArqLevel.ONREQ &&
      kind === (this.config.rows > 1 ? KIND_COL : KIND_ROW);
    for (const [base, g] of map) {
      if (!this.#closeDue(kind, base)) continue;
      if (report) this.#reportMissing(g, kind);
      map.delete(base);
      this.#pool.push(g);
    }
  }

  #reportMissing(g: FecClip, kind: number): void {
    const { cols, rows } = this.config;
    const size = kind === KIND_ROW ? cols : rows;
    const step = kind === KIND_ROW ? 1 : cols;
    const losses = this.#result.losses;
    for (let i = 0; i < size; i++) {
      const s = seqInc(g.base, i * step);
      if (this.has(s)) continue;
      this.stats.filterLoss++;
      const last = losses[losses.length - 1];
      if (last !== undefined && seqInc(last[1]) === s) last[1] = s;
      else losses.push([s, s]);
    }
  }
}
