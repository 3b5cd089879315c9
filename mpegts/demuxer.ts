/**
 * Streaming MPEG-TS demultiplexer: packets, continuity, adaptation fields, PSI/SI tables,
 * PES reassembly and SCTE-35, for any number of programs.
 *
 * ```
 * push(chunk, now) -> TsPacketReader -> per packet:
 *   TEI? -> error | PID 0x1FFF -> counted | adaptation field -> PCR event
 *   continuity (duplicate allowed once) -> section PIDs: SectionAssembler -> PAT/PMT/CAT/SDT/SCTE-35
 *                                        -> PES PIDs:     PesAssembler     -> "pes" events
 * ```
 *
 * Everything is reported through listeners as {@link DemuxEvent}s; malformed input is
 * counted and reported, never thrown. Ordinary packets allocate nothing (PCR, error and
 * adaptation-field events aside, and one word view per chunk that comes in an ArrayBuffer
 * of its own, as SRT payloads do; chunks cut from one buffer share one): packets are read
 * in place and payload bytes are copied once, four at a time, into per-PID slabs whose
 * finished regions become the PES payloads (see {@link PesAssembler}).
 *
 * @module
 */

import { type Descriptor, TAG_LANGUAGE } from "./descriptors.ts";
import {
  type AdaptationField,
  CAT_PID,
  createAdaptationField,
  NULL_PID,
  PAT_PID,
  readAdaptationField,
  readPcr,
  SDT_PID,
} from "./packet.ts";
import { TsPacketReader } from "./packet_reader.ts";
import { PesAssembler, type PesPacket } from "./pes.ts";
import {
  type Cat,
  parseCat,
  parsePat,
  parsePmt,
  parseSdt,
  type Pat,
  type Pmt,
  type Sdt,
} from "./psi.ts";
import { parseSpliceInfo, type SpliceInfo } from "./scte35.ts";
import { SectionAssembler } from "./section_assembler.ts";
import { type Codec, codecKind, detectCodec, type StreamKind } from "./stream_type.ts";

/**
 * Kinds of problems the demuxer reports.
 *
 * @example
 * ```ts
 * import { TsDemuxer, type TsErrorKind } from "@tsrt/tsrt/mpegts";
 * const errors = new Map<TsErrorKind, number>();
 * const demux = new TsDemuxer();
 * demux.on((ev) => {
 *   if (ev.type === "error") errors.set(ev.kind, (errors.get(ev.kind) ?? 0) + 1);
 * });
 * ```
 */
export type TsErrorKind =
  | "sync_byte"
  | "continuity"
  | "transport_error"
  | "crc"
  | "section"
  | "pes"
  | "scrambled"
  | "adaptation_field"
  | "table_id";

/**
 * An elementary stream announced by a PMT, with the detected codec.
 *
 * @example
 * ```ts
 * import { type StreamInfo, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * const demux = new TsDemuxer();
 * demux.on((ev) => {
 *   if (ev.type !== "pmt") return;
 *   for (const s of ev.streams as StreamInfo[]) {
 *     console.log(`PID ${s.pid} ${s.kind} ${s.codec} ${s.language ?? ""}`);
 *   }
 * });
 * ```
 */
export interface StreamInfo {
  /** elementary PID */
  pid: number;
  /** program_number of the PMT that lists it */
  programNumber: number;
  /** stream_type */
  streamType: number;
  /** detected codec */
  codec: Codec;
  /** broad kind */
  kind: StreamKind;
  /** ISO 639 language, if signalled */
  language?: string;
  /** ES_info descriptors */
  descriptors: Descriptor[];
}

/**
 * Events emitted by {@link TsDemuxer}; `time` is the caller time of the push.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DemuxEvent, TS_PACKET_SIZE, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * // One packet carrying a PAT: program 1 with its PMT on PID 0x1000.
 * const packet = new Uint8Array(TS_PACKET_SIZE).fill(0xff);
 * packet.set([0x47, 0x40, 0x00, 0x10, 0x00]);
 * packet.set([0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xf0, 0x00], 5);
 * packet.set([0x2a, 0xb1, 0x04, 0xb2], 17); // CRC_32
 * const events: DemuxEvent[] = [];
 * const demux = new TsDemuxer();
 * demux.on((ev) => events.push(ev));
 * demux.push(packet, 0);
 * demux.flush();
 * assert.deepEqual(events.map((e) => e.type), ["sync", "section", "pat"]);
 * ```
 */
export type DemuxEvent =
  | { type: "sync"; time: number; locked: boolean; packetSize: number; garbageBytes: number }
  | { type: "error"; time: number; kind: TsErrorKind; pid: number; message: string }
  | {
    type: "section";
    time: number;
    pid: number;
    tableId: number;
    /** view, valid during the callback only */
    section: Uint8Array;
    crcOk: boolean;
  }
  | { type: "pat"; time: number; pat: Pat }
  | { type: "pmt"; time: number; pid: number; pmt: Pmt; streams: StreamInfo[]; previous?: Pmt }
  | { type: "program-removed"; time: number; programNumber: number; pmtPid: number }
  | { type: "cat"; time: number; cat: Cat }
  | { type: "sdt"; time: number; sdt: Sdt }
  | { type: "pcr"; time: number; pid: number; pcr: number; discontinuity: boolean }
  | {
    /** an adaptation field with OPCR, splice countdown, private data or an extension */
    type: "adaptation";
    time: number;
    pid: number;
    /** views inside are valid during the callback only */
    field: AdaptationField;
  }
  | { type: "pes"; time: number; pes: PesPacket }
  | { type: "scte35"; time: number; pid: number; splice: SpliceInfo };

/**
 * Receives demuxer events.
 *
 * @example
 * ```ts
 * import { type DemuxListener, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * const logPcr: DemuxListener = (ev) => {
 *   if (ev.type === "pcr") console.log(ev.pid, ev.pcr / 27_000_000, ev.discontinuity);
 * };
 * const demux = new TsDemuxer();
 * const off = demux.on(logPcr);
 * off(); // stop listening
 * ```
 */
export type DemuxListener = (event: DemuxEvent) => void;

/**
 * Running totals kept by the demuxer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DemuxCounters, TS_PACKET_SIZE, TsDemuxer } from "@tsrt/tsrt/mpegts";
 * const demux = new TsDemuxer();
 * const nulls = new Uint8Array(3 * TS_PACKET_SIZE);
 * for (let i = 0; i < 3; i++) nulls.set([0x47, 0x1f, 0xff, 0x10], i * TS_PACKET_SIZE);
 * demux.push(nulls, 0);
 * const c: DemuxCounters = demux.counters;
 * assert.equal(c.packets, 3);
 * assert.equal(c.nullPackets, 3);
 * ```
 */
export interface DemuxCounters {
  /** bytes pushed */
  bytes: number;
  /** packets delivered by the packet reader */
  packets: number;
  /** null packets */
  nullPackets: number;
  /** packets with transport_error_indicator set */
  transportErrors: number;
  /** continuity errors (loss, reordering, third copy) */
  continuityErrors: number;
  /** allowed duplicate packets dropped */
  duplicates: number;
  /** sections with a bad CRC_32 */
  crcErrors: number;
  /** sections that could not be reassembled or parsed */
  sectionErrors: number;
  /** PES packets that were malformed or incomplete */
  pesErrors: number;
  /** packets with scrambling_control != 0 */
  scrambledPackets: number;
  /** packets with adaptation_field_control 00 or a bad adaptation field */
  badAdaptationFields: number;
  /** times sync was lost */
  syncLosses: number;
  /** bytes discarded while searching for sync */
  garbageBytes: number;
}

/**
 * Options for {@link TsDemuxer}.
 *
 * @example
 * ```ts
 * import { TsDemuxer, type TsDemuxerOptions } from "@tsrt/tsrt/mpegts";
 * // Lock after 5 sync bytes in a row instead of 3, for a noisy input.
 * const options: TsDemuxerOptions = { syncConfirm: 5 };
 * const demux = new TsDemuxer(options);
 * demux.push(new Uint8Array(1316), performance.now());
 * ```
 */
export interface TsDemuxerOptions {
  /** consecutive sync bytes needed to lock (default 3) */
  syncConfirm?: number;
}

const ROLE_NONE = 0;
const ROLE_SECTION = 1;
const ROLE_PES = 2;

function lastCrc(s: Uint8Array): number {
  const n = s.length;
  return ((s[n - 4] << 24) | (s[n - 3] << 16) | (s[n - 2] << 8) | s[n - 1]) >>> 0;
}

function languageOf(descriptors: Descriptor[]): string | undefined {
  for (const d of descriptors) {
    if (d.tag === TAG_LANGUAGE && d.decoded?.kind === "language" && d.decoded.entries.length) {
      return d.decoded.entries[0].language;
    }
  }
  return undefined;
}

/**
 * The demultiplexer. Feed it chunks with {@link TsDemuxer.push}; listen with
 * {@link TsDemuxer.on}.
 *
 * @example
 * ```ts
 * import { TsDemuxer } from "./demuxer.ts";
 * const demux = new TsDemuxer();
 * demux.on((ev) => {
 *   if (ev.type === "pmt") console.log(ev.streams.map((s) => s.codec));
 * });
 * demux.push(new Uint8Array(1316), 0);
 * ```
 */
export class TsDemuxer {
  /** Running totals. */
  readonly counters: DemuxCounters = {
    bytes: 0,
    packets: 0,
    nullPackets: 0,
    transportErrors: 0,
    continuityErrors: 0,
    duplicates: 0,
    crcErrors: 0,
    sectionErrors: 0,
    pesErrors: 0,
    scrambledPackets: 0,
    badAdaptationFields: 0,
    syncLosses: 0,
    garbageBytes: 0,
  };
  /** Packets seen per PID (index = PID). */
  readonly pidPackets: Float64Array = new Float64Array(8192);
  /** Current PAT, once seen. */
  pat: Pat | null = null;
  /** Current PMT per program_number. */
  readonly pmts: Map<number, Pmt> = new Map();
  /** Streams of all current programs by PID. */
  readonly streams: Map<number, StreamInfo> = new Map();
  /** Latest SDT (actual), once seen. */
  sdt: Sdt | null = null;
  /** Latest CAT, once seen. */
  cat: Cat | null = null;

  private readonly _reader: TsPacketReader;
  private readonly _listeners: DemuxListener[] = [];
  private readonly _role: Uint8Array = new Uint8Array(8192);
  private readonly _cc: Int8Array = new Int8Array(8192).fill(-1);
  private readonly _dup: Uint8Array = new Uint8Array(8192);
  private readonly _scrambledSeen: Uint8Array = new Uint8Array(8192);
  private readonly _lastBuf: Array<Uint8Array | undefined> = new Array(8192);
  private readonly _lastOff: Int32Array = new Int32Array(8192);
  private readonly _ownCopy: Array<Uint8Array | undefined> = new Array(8192);
  private readonly _sections: Array<SectionAssembler | undefined> = new Array(8192);
  private readonly _pes: Array<PesAssembler | undefined> = new Array(8192);
  /** program_number -> PMT PID */
  private readonly _programPid: Map<number, number> = new Map();
  /** program_number -> CRC of the PMT section in force */
  private readonly _pmtCrc: Map<number, number> = new Map();
  private readonly _sdtCrc: Map<number, number> = new Map();
  private _patCrc = -1;
  private _catCrc = -1;
  private _now = 0;

  private readonly _sectionSink = (pid: number, s: Uint8Array, ok: boolean): void =>
    this._onSection(pid, s, ok);
  private readonly _sectionError = (pid: number, message: string): void => {
    this.counters.sectionErrors++;
    this._error("section", pid, message);
  };
  private readonly _pesSink = (pes: PesPacket): void => {
    this._emit({ type: "pes", time: this._now, pes });
  };
  private readonly _pesError = (pid: number, message: string): void => {
    this.counters.pesErrors++;
    this._error("pes", pid, message);
  };

  /**
   * Creates a demuxer that is not yet in sync and listens for the PAT (PID 0), CAT
   * (PID 1) and SDT (PID 0x11); PMT and elementary PIDs are added as the tables announce
   * them.
   *
   * @param options sync settings (`syncConfirm`: consecutive sync bytes needed to lock)
   */
  constructor(options: TsDemuxerOptions = {}) {
    this._reader = new TsPacketReader((b, o) => this._onPacket(b, o), {
      confirm: options.syncConfirm,
      onSync: (r) => {
        if (!r.locked) {
          this.counters.syncLosses++;
          this._error("sync_byte", -1, "sync byte missing; searching");
        }
        this.counters.garbageBytes = this._reader.garbageBytes;
        this._emit({
          type: "sync",
          time: this._now,
          locked: r.locked,
          packetSize: r.packetSize,
          garbageBytes: r.garbageBytes,
        });
      },
    });
    this._setSection(PAT_PID);
    this._setSection(CAT_PID);
    this._setSection(SDT_PID);
  }

  /** Packet spacing detected (188, 192 or 204), 0 before sync. */
  get packetSize(): number {
    return this._reader.packetSize;
  }

  /**
   * Adds a listener.
   *
   * @param listener receives every event
   * @returns a function that removes the listener
   */
  on(listener: DemuxListener): () => void {
    this._listeners.push(listener);
    return () => {
      const i = this._listeners.indexOf(listener);
      if (i >= 0) this._listeners.splice(i, 1);
    };
  }

  /**
   * Feeds bytes. The chunk is read in place and must not be modified until `push` returns;
   * keep it unmodified until the next push on the same PIDs if you want duplicate packets
   * to be recognised by content.
   *
   * @param chunk bytes of any length
   * @param now caller time (any monotonic unit, e.g. milliseconds) stamped on events
   */
  push(chunk: Uint8Array, now: number = 0): void {
    this._now = now;
    this.counters.bytes += chunk.length;
    this._reader.push(chunk);
    this.counters.garbageBytes = this._reader.garbageBytes;
  }

  /** Delivers PES packets still being assembled (end of input). */
  flush(): void {
    this._reader.flush();
    this.counters.garbageBytes = this._reader.garbageBytes;
    for (const a of this._pes) a?.flush();
  }

  /**
   * Calls every listener, in the order they were added, with one event.
   *
   * @param ev event to deliver
   */
  private _emit(ev: DemuxEvent): void {
    const ls = this._listeners;
    for (let i = 0; i < ls.length; i++) ls[i](ev);
  }

  /**
   * Emits an `error` event stamped with the time of the current push.
   *
   * @param kind problem category
   * @param pid PID concerned, or -1 when the problem is not tied to one (sync loss)
   * @param message human-readable detail
   */
  private _error(kind: TsErrorKind, pid: number, message: string): void {
    this._emit({ type: "error", time: this._now, kind, pid, message });
  }

  /**
   * Routes a PID's payloads to section reassembly (PSI tables, SCTE-35), dropping any PES
   * assembler and keeping an existing section assembler.
   *
   * @param pid PID to carry sections
   */
  private _setSection(pid: number): void {
    this._role[pid] = ROLE_SECTION;
    this._pes[pid] = undefined;
    this._sections[pid] ??= new SectionAssembler(pid, this._sectionSink, this._sectionError);
  }

  /**
   * Routes a PID's payloads to PES reassembly, dropping any section assembler and keeping
   * an existing PES assembler (and its partial packet).
   *
   * @param pid elementary stream PID
   */
  private _setPes(pid: number): void {
    this._role[pid] = ROLE_PES;
    this._sections[pid] = undefined;
    this._pes[pid] ??= new PesAssembler(pid, this._pesSink, this._pesError);
  }

  /**
   * Stops processing a PID's payloads, first delivering any PES packet still being
   * assembled. PAT, CAT and SDT PIDs are never cleared.
   *
   * @param pid PID no longer announced by any table
   */
  private _clearRole(pid: number): void {
    if (pid === PAT_PID || pid === CAT_PID || pid === SDT_PID) return;
    this._pes[pid]?.flush();
    this._role[pid] = ROLE_NONE;
    this._pes[pid] = undefined;
    this._sections[pid] = undefined;
  }

  /**
   * Tells whether a packet repeats the previous packet on its PID byte for byte after the
   * 4-byte header, i.e. is the one duplicate allowed by ISO/IEC 13818-1 §2.4.3.3.
   *
   * @param pid PID of the packet
   * @param buf bytes holding the packet
   * @param off offset of its sync byte
   * @returns true for an identical payload and adaptation field
   */
  private _sameAsLast(pid: number, buf: Uint8Array, off: number): boolean {
    const lb = this._lastBuf[pid];
    if (!lb) return false;
    const lo = this._lastOff[pid];
    for (let i = 4; i < 188; i++) if (lb[lo + i] !== buf[off + i]) return false;
    return true;
  }

  /**
   * Keeps a reference to the latest packet on a PID for duplicate detection, copying it
   * when it lives in the packet reader's transient tail buffer.
   *
   * @param pid PID of the packet
   * @param buf bytes holding the packet
   * @param off offset of its sync byte
   */
  private _remember(pid: number, buf: Uint8Array, off: number): void {
    if (this._reader.isTransient(buf)) {
      let c = this._ownCopy[pid];
      if (!c) c = this._ownCopy[pid] = new Uint8Array(188);
      for (let i = 0; i < 188; i++) c[i] = buf[off + i];
      this._lastBuf[pid] = c;
      this._lastOff[pid] = 0;
    } else {
      this._lastBuf[pid] = buf;
      this._lastOff[pid] = off;
    }
  }

  /**
   * Handles one 188-byte transport packet: counts it, checks transport_error_indicator,
   * adaptation field and continuity_counter, emits PCR and adaptation events, and passes
   * the payload of unscrambled packets to the PID's section or PES assembler.
   *
   * @param buf bytes holding the packet
   * @param off offset of its sync byte
   */
  private _onPacket(buf: Uint8Array, off: number): void {
    this.counters.packets++;
    const b1 = buf[off + 1];
    const b3 = buf[off + 3];
    const pid = ((b1 & 0x1f) << 8) | buf[off + 2];
    this.pidPackets[pid]++;
    const cc = b3 & 15;
    if (
      (b1 & 0x80) === 0 && (b3 & 0xf0) === 0x10 && pid !== NULL_PID &&
      this._cc[pid] === ((cc + 15) & 15)
    ) {
      // The usual packet: no transport error, not scrambled, payload only, continuity
      // counter one up from the previous packet's on its PID.
      this._dup[pid] = 0;
      this._cc[pid] = cc;
      this._remember(pid, buf, off);
      const role = this._role[pid];
      if (role === ROLE_PES) {
        (this._pes[pid] as PesAssembler).push(
          buf,
          off + 4,
          off + 188,
          (b1 & 0x40) !== 0,
          false,
          this._now,
        );
      } else if (role === ROLE_SECTION) {
        (this._sections[pid] as SectionAssembler).push(buf, off + 4, off + 188, (b1 & 0x40) !== 0);
      }
      return;
    }
    this._checkPacket(buf, off, pid, b1, b3);
  }

  /**
   * The rest of `_onPacket()`: packets with an error, an adaptation field, scrambling or a
   * continuity counter other than the next one.
   *
   * @param buf bytes holding the packet
   * @param off offset of its sync byte
   * @param pid PID of the packet
   * @param b1 second header byte (TEI, PUSI, priority, PID high bits)
   * @param b3 fourth header byte (scrambling, adaptation_field_control, continuity_counter)
   */
  private _checkPacket(buf: Uint8Array, off: number, pid: number, b1: number, b3: number): void {
    const c = this.counters;
    if (b1 & 0x80) {
      c.transportErrors++;
      this._pes[pid]?.damage();
      this._error("transport_error", pid, "transport_error_indicator set");
      return;
    }
    if (pid === NULL_PID) {
      c.nullPackets++;
      return;
    }
    const afc = (b3 >> 4) & 3;
    if (afc === 0) {
      c.badAdaptationFields++;
      this._error("adaptation_field", pid, "adaptation_field_control 00");
      return;
    }
    let p = off + 4;
    let disc = false, rai = false;
    if (afc & 2) {
      const afl = buf[off + 4];
      if (afl > (afc === 3 ? 182 : 183)) {
        c.badAdaptationFields++;
        this._error("adaptation_field", pid, "adaptation_field_length too large");
        return;
      }
      if (afl > 0) {
        const f = buf[off + 5];
        disc = (f & 0x80) !== 0;
        rai = (f & 0x40) !== 0;
        if ((f & 0x0f) !== 0) {
          const field = createAdaptationField();
          if (readAdaptationField(buf, off, field)) {
            this._emit({ type: "adaptation", time: this._now, pid, field });
          }
        }
        if ((f & 0x10) !== 0 && afl >= 7) {
          this._emit({
            type: "pcr",
            time: this._now,
            pid,
            pcr: readPcr(buf, off + 6),
            discontinuity: disc,
          });
        }
      }
      p = off + 5 + afl;
      if ((afc & 1) === 0) return;
    }
    const cc = b3 & 15;
    const last = this._cc[pid];
    if (last >= 0 && !disc) {
      if (cc === last) {
        if (this._dup[pid] === 0 && this._sameAsLast(pid, buf, off)) {
          this._dup[pid] = 1;
          c.duplicates++;
          return;
        }
        c.continuityErrors++;
        this._error("continuity", pid, `continuity_counter repeated (${cc})`);
        this._dup[pid] = 0;
        return;
      }
      if (cc !== ((last + 1) & 15)) {
        c.continuityErrors++;
        this._error("continuity", pid, `continuity_counter ${last} -> ${cc}`);
        this._sections[pid]?.reset();
        this._pes[pid]?.damage();
      }
    }
    this._dup[pid] = 0;
    this._cc[pid] = cc;
    this._remember(pid, buf, off);
    if (b3 & 0xc0) {
      c.scrambledPackets++;
      this._pes[pid]?.damage();
      if (!this._scrambledSeen[pid]) {
        this._scrambledSeen[pid] = 1;
        this._error("scrambled", pid, "scrambled packets on PID");
      }
      return;
    }
    const role = this._role[pid];
    if (role === ROLE_PES) {
      (this._pes[pid] as PesAssembler).push(buf, p, off + 188, (b1 & 0x40) !== 0, rai, this._now);
    } else if (role === ROLE_SECTION) {
      (this._sections[pid] as SectionAssembler).push(buf, p, off + 188, (b1 & 0x40) !== 0);
    }
  }

  /**
   * Handles a reassembled section: emits it, counts CRC failures, and parses the PAT, CAT,
   * SDT (actual), the PMTs of current programs and SCTE-35 splice_info_sections. Parse
   * failures are reported as section errors rather than thrown.
   *
   * @param pid PID the section arrived on
   * @param s section bytes from table_id to CRC_32, valid during the call only
   * @param crcOk result of the CRC_32 check (true when none applies)
   */
  private _onSection(pid: number, s: Uint8Array, crcOk: boolean): void {
    const tableId = s[0];
    this._emit({ type: "section", time: this._now, pid, tableId, section: s, crcOk });
    if (!crcOk) {
      this.counters.crcErrors++;
      this._error("crc", pid, `CRC_32 mismatch in table 0x${tableId.toString(16)}`);
      return;
    }
    try {
      if (pid === PAT_PID) {
        if (tableId !== 0x00) this._error("table_id", pid, `table_id ${tableId} on PID 0`);
        else this._onPat(s);
      } else if (pid === CAT_PID) {
        if (tableId !== 0x01) this._error("table_id", pid, `table_id ${tableId} on PID 1`);
        else this._onCat(s);
      } else if (pid === SDT_PID) {
        if (tableId === 0x42) this._onSdt(s);
      } else if (tableId === 0x02 && this._isPmtPid(pid)) {
        this._onPmt(pid, s);
      } else if (tableId === 0xfc) {
        const splice = parseSpliceInfo(s);
        if (splice) this._emit({ type: "scte35", time: this._now, pid, splice });
        else this._sectionError(pid, "malformed splice_info_section");
      }
    } catch (e) {
      this._sectionError(pid, `table parse failed: ${(e as Error).message}`);
    }
  }

  /**
   * Tells whether the current PAT lists a PID as a program's PMT PID.
   *
   * @param pid PID to look up
   * @returns true when some program uses it for its PMT
   */
  private _isPmtPid(pid: number): boolean {
    for (const p of this._programPid.values()) if (p === pid) return true;
    return false;
  }

  /**
   * Applies a PAT whose CRC differs from the one in force: removes programs that vanished
   * or moved to another PMT PID, starts listening on new PMT PIDs, and emits `pat`. A PAT
   * with current_next_indicator 0 is ignored.
   *
   * @param s PAT section with a valid CRC_32
   */
  private _onPat(s: Uint8Array): void {
    const crc = lastCrc(s);
    if (crc === this._patCrc) return;
    const pat = parsePat(s.slice());
    if (!pat) return this._sectionError(PAT_PID, "malformed PAT");
    if (!pat.currentNext) return;
    this._patCrc = crc;
    for (const [programNumber, pmtPid] of [...this._programPid]) {
      const still = pat.programs.find((p) => p.programNumber === programNumber);
      if (still?.pmtPid !== pmtPid) this._removeProgram(programNumber, pmtPid);
    }
    for (const prog of pat.programs) {
      if (this._programPid.get(prog.programNumber) === prog.pmtPid) continue;
      this._programPid.set(prog.programNumber, prog.pmtPid);
      if (this._role[prog.pmtPid] !== ROLE_SECTION) this._setSection(prog.pmtPid);
    }
    this.pat = pat;
    this._emit({ type: "pat", time: this._now, pat });
  }

  /**
   * Forgets a program: its PMT, its streams, and its PMT PID unless another program shares
   * it, then emits `program-removed`.
   *
   * @param programNumber program_number of the removed program
   * @param pmtPid PMT PID the program had
   */
  private _removeProgram(programNumber: number, pmtPid: number): void {
    this._programPid.delete(programNumber);
    this._pmtCrc.delete(programNumber);
    const pmt = this.pmts.get(programNumber);
    this.pmts.delete(programNumber);
    if (pmt) { for (const st of pmt.streams) this._dropStream(st.pid, programNumber); }
    if (!this._isPmtPid(pmtPid)) this._clearRole(pmtPid);
    this._emit({ type: "program-removed", time: this._now, programNumber, pmtPid });
  }

  /**
   * Forgets an elementary stream announced by a program, unless the stream now belongs to
   * another program; stops processing its PID unless it is also a PMT PID.
   *
   * @param pid elementary PID
   * @param programNumber program that no longer lists it
   */
  private _dropStream(pid: number, programNumber: number): void {
    const info = this.streams.get(pid);
    if (!info || info.programNumber !== programNumber) return;
    this.streams.delete(pid);
    if (!this._isPmtPid(pid)) this._clearRole(pid);
  }

  /**
   * Applies a new PMT version for a program listed in the PAT: drops streams no longer
   * listed, detects each stream's codec and language, routes SCTE-35 PIDs to section
   * reassembly and the rest (outside the reserved PIDs 0x00-0x0F and 0x1FFF) to PES
   * reassembly, then emits `pmt` with the previous PMT if there was one. Repeats of the
   * PMT in force (same CRC) and PMTs with current_next_indicator 0 are ignored.
   *
   * @param pid PID the PMT arrived on
   * @param s PMT section with a valid CRC_32
   */
  private _onPmt(pid: number, s: Uint8Array): void {
    const crc = lastCrc(s);
    const programNumber = (s[3] << 8) | s[4];
    if (this._programPid.get(programNumber) !== pid) return;
    if (this._pmtCrc.get(programNumber) === crc) return;
    const pmt = parsePmt(s.slice());
    if (!pmt) return this._sectionError(pid, "malformed PMT");
    if (!pmt.currentNext) return;
    this._pmtCrc.set(programNumber, crc);
    const previous = this.pmts.get(pmt.programNumber);
    const now = new Set(pmt.streams.map((st) => st.pid));
    if (previous) {
      for (const st of previous.streams) {
        if (!now.has(st.pid)) this._dropStream(st.pid, pmt.programNumber);
      }
    }
    const streams: StreamInfo[] = [];
    for (const st of pmt.streams) {
      const codec = detectCodec(st.streamType, st.descriptors, pmt.descriptors);
      const info: StreamInfo = {
        pid: st.pid,
        programNumber: pmt.programNumber,
        streamType: st.streamType,
        codec,
        kind: codecKind(codec),
        descriptors: st.descriptors,
      };
      const lang = languageOf(st.descriptors);
      if (lang !== undefined) info.language = lang;
      streams.push(info);
      this.streams.set(st.pid, info);
      if (st.pid === NULL_PID || st.pid < 0x10 || this._isPmtPid(st.pid)) continue;
      if (codec === "scte35") {
        if (this._role[st.pid] !== ROLE_SECTION) this._setSection(st.pid);
      } else if (this._role[st.pid] !== ROLE_PES) {
        this._setPes(st.pid);
      }
    }
    this.pmts.set(pmt.programNumber, pmt);
    this._emit(
      previous
        ? { type: "pmt", time: this._now, pid, pmt, streams, previous }
        : { type: "pmt", time: this._now, pid, pmt, streams },
    );
  }

  /**
   * Applies a CAT whose CRC differs from the one in force and emits `cat`.
   *
   * @param s CAT section with a valid CRC_32
   */
  private _onCat(s: Uint8Array): void {
    const crc = lastCrc(s);
    if (crc === this._catCrc) return;
    const cat = parseCat(s.slice());
    if (!cat) return this._sectionError(CAT_PID, "malformed CAT");
    this._catCrc = crc;
    this.cat = cat;
    this._emit({ type: "cat", time: this._now, cat });
  }

  /**
   * Applies an SDT (actual transport stream) section that changed since the last one with
   * the same section_number, and emits `sdt`.
   *
   * @param s SDT section (table_id 0x42) with a valid CRC_32
   */
  private _onSdt(s: Uint8Array): void {
    const crc = lastCrc(s);
    const sec = s[6];
    if (this._sdtCrc.get(sec) === crc) return;
    const sdt = parseSdt(s.slice());
    if (!sdt) return this._sectionError(SDT_PID, "malformed SDT");
    this._sdtCrc.set(sec, crc);
    this.sdt = sdt;
    this._emit({ type: "sdt", time: this._now, sdt });
  }
}
