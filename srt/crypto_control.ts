/**
 * The encryption state of one connection (libsrt's `CCryptoControl`): the key material
 * exchanged in the handshake, the per-key packet ciphers of each direction, the KM states
 * libsrt reports as SRTO_SNDKMSTATE / SRTO_RCVKMSTATE, and the key refresh.
 *
 * Keys and refresh, as libsrt 1.5.1 does them (checked on the wire with
 * `kmrefreshrate=128&kmpreannounce=60`):
 *
 * ```
 *  packets sent with the current key (n)
 *  0 ........ R-P ............... R | 0 ......... P ........ R-P ...
 *  [ even key in use               ][ odd key in use               ]
 *             ^ KMREQ{even,odd}      ^ switch      ^ even key
 *               (resent every 1 s      (n > R and    decommissioned
 *                until the KMRSP)       confirmed)
 * ```
 *
 * R = kmRefreshRate, P = kmPreAnnounce. The refresh KMREQ carries both keys (KK = 3, even
 * first) wrapped under the same KEK and salt as the handshake's, so neither side runs PBKDF2
 * again. It travels as a UMSG_EXT control packet (type 0x7FFF, subtype 3; the answer subtype 4)
 * whose CIF is the KM message in its own byte order, exactly as in the handshake extension:
 * libsrt pre-swaps the words it hands to its per-word byte swap, so nothing is swapped on the
 * wire (captured: `12202903 00000000 02000200 00000404 ...`).
 *
 * In HSv5 the caller's key serves both directions until each sender refreshes its own.
 *
 * A limit shared with libsrt: the receiver drops a decommissioned key when the next
 * pre-announce replaces it, R-P packets after the switch. A retransmission encrypted with that
 * key arriving later would be decrypted with its successor (AES-CTR cannot tell) and deliver
 * garbage. It takes a receive latency longer than R-P packet times, which the defaults
 * (2^24 / 4096) rule out; keep it in mind with tiny refresh rates such as 128 / 60.
 *
 * AES-GCM (cryptoMode 2, KM cipher 4 / auth 1) uses libsrt 1.5.4's packet format only (see
 * `crypto/aes_gcm.ts`): each packet carries a 16-byte tag after the ciphertext, and a packet
 * whose tag does not verify is undecryptable. libsrt 1.5.2/1.5.3 used another IV and AAD, and
 * libsrt >= 1.5.4 falls back to it for peers announcing <= 1.5.3, so tsrt announces 1.5.4
 * when (and only when) GCM is in use, and refuses GCM with a peer announcing less.
 *
 * Nothing here allocates per packet except the cipher's own work: a packet is encrypted in
 * place, once, when it enters the send buffer (retransmissions reuse the ciphertext), and
 * decrypted in place on arrival with the cipher object built once per key.
 *
 * @module
 */

import {
  aesKeyUnwrap,
  aesKeyWrap,
  createPacketCipher,
  decodeKeyMaterial,
  deriveKek,
  encodeKeyMaterial,
  KeyFlags,
  type KeyLength,
  KM_MAX_LENGTH,
  KM_SE_SRT,
  KmAuth,
  KmCipher,
  KmError,
  KmState,
} from "../crypto/mod.ts";
import { createGcmPacketCipher, GCM_TAG_LENGTH } from "../crypto/aes_gcm.ts";
import { createBatchedCtrCipher } from "../crypto/aes_ctr_batched.ts";
import type { RandomBytes } from "./random_bytes.ts";

/** One key's cipher on whole packets: in place; `dec` false when it cannot be decrypted. */
interface PacketCodec {
  enc(packet: Uint8Array, seq: number): void;
  dec(packet: Uint8Array, seq: number): boolean;
}

function makeCodec(
  cipher: KmCipher,
  key: Uint8Array,
  salt: Uint8Array,
  backend: CryptoSettings["backend"],
): PacketCodec {
  if (cipher === KmCipher.AES_GCM) {
    const g = createGcmPacketCipher(key, salt, { backend });
    return { enc: (p, seq) => g.seal(p, seq), dec: (p, seq) => g.open(p, seq) };
  }
  // A live stream's sequence numbers come in order: compute keystream a window ahead.
  const b = (backend ?? "auto") === "auto" ? createBatchedCtrCipher(key, salt) : undefined;
  if (b !== undefined) {
    // The payload in place after the header: no subarray() per packet.
    return {
      enc: (p, seq) => b.applyAt(seq, p, HEADER_SIZE),
      dec: (p, seq) => {
        b.applyAt(seq, p, HEADER_SIZE);
        return true;
      },
    };
  }
  const c = createPacketCipher(key, salt, { backend });
  return {
    enc: (p, seq) => c.encrypt(seq, p.subarray(HEADER_SIZE)),
    dec: (p, seq) => {
      c.decrypt(seq, p.subarray(HEADER_SIZE));
      return true;
    },
  };
}

/** Cipher modes a side accepts (SRTO_CRYPTOMODE): 0 auto (either), 1 AES-CTR, 2 AES-GCM. */
export type CryptoMode = 0 | 1 | 2;

/** KK bits of a data packet's second word (byte 4 of the header). */
const KK_MASK_BYTE4 = 0x18;
/** Resend period of an unanswered refresh KMREQ (libsrt `HAICRYPT_DEF_KM_TX_PERIOD`). */
export const KM_RESEND_US = 1_000_000;
const HEADER_SIZE = 16;

/**
 * Key-material states of a connection, as libsrt reports them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KmState, type KmStats, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const conn = endpoint.connect(0, { hostname: "192.0.2.10", port: 9000 });
 * const km: KmStats = conn.kmStats;
 * assert.equal(km.kmState, KmState.UNSECURED); // no passphrase
 * ```
 */
export interface KmStats {
  /** SRTO_KMSTATE: the sending state, or the receiving one when that is not SECURED. */
  readonly kmState: KmState;
  /** SRTO_SNDKMSTATE: encryption state of what this side sends. */
  readonly sndKmState: KmState;
  /** SRTO_RCVKMSTATE: decryption state of what this side receives. */
  readonly rcvKmState: KmState;
}

/**
 * Counters of the key-material exchange.
 *
 * @example
 * ```ts
 * import { type KmCounters, SrtEndpoint } from "@tsrt/tsrt";
 * const endpoint = new SrtEndpoint(() => crypto.getRandomValues(new Uint32Array(1))[0]);
 * const peer = { hostname: "192.0.2.10", port: 9000 };
 * const conn = endpoint.connect(0, peer, { passphrase: "a long shared secret" });
 * // Present once the connection is encrypted.
 * const counters: Readonly<KmCounters> | undefined = conn.kmCounters;
 * console.log(counters?.keySwitches ?? 0);
 * ```
 */
export interface KmCounters {
  /** Refresh KMREQs sent (repeats included). */
  kmReqSent: number;
  /** KMRSPs received that confirmed a refresh. */
  kmRspReceived: number;
  /** Refresh KMREQs received and answered. */
  kmReqReceived: number;
  /** Keys switched by this sender. */
  keySwitches: number;
  /** KM messages ignored: malformed, oversized, not matching, or not unwrapping with our passphrase. */
  kmInvalid: number;
}

/** Settings of a {@linkcode CryptoControl}. */
export interface CryptoSettings {
  /** The shared passphrase. */
  readonly passphrase: string;
  /** Key refresh period in packets. */
  readonly kmRefreshRate: number;
  /** Pre-announce / decommission period in packets. */
  readonly kmPreAnnounce: number;
  /** Random bytes for salts and keys. */
  readonly randomBytes: RandomBytes;
  /** AES-CTR backend; default auto. */
  readonly backend?: "auto" | "node" | "noble";
}

/** Result of opening a caller's KMREQ on the listener side. */
export type ListenerKmResult =
  | { readonly ok: true; readonly control: CryptoControl; readonly kmrsp: Uint8Array }
  | { readonly ok: false; readonly state: KmState };

/**
 * What a UMSG_EXT KM packet asks the connection to send back.
 *
 * @example
 * ```ts
 * import { CryptoControl, type KmReply } from "@tsrt/tsrt";
 * const settings = {
 *   passphrase: "a long shared secret",
 *   kmRefreshRate: 1 << 24,
 *   kmPreAnnounce: 1 << 12,
 *   randomBytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)),
 * };
 * const { kmreq } = CryptoControl.forCaller(settings, 16);
 * const listener = CryptoControl.forListener(settings, kmreq);
 * // A KMREQ arriving as UMSG_EXT subtype 3 (a key refresh) is answered with a KMRSP (subtype 4).
 * const reply: KmReply | undefined = listener.ok
 *   ? listener.control.onControl(3, kmreq)
 *   : undefined;
 * console.log(reply?.subtype);
 * ```
 */
export interface KmReply {
  /** UMSG_EXT subtype (4 = KMRSP). */
  readonly subtype: number;
  /** The CIF. */
  readonly data: Uint8Array;
}

/**
 * Encodes a one-word KMRSP carrying a KM state (the error form).
 *
 * @param state The state to report (NOSECRET, BADSECRET, ...).
 * @returns 4 bytes, big-endian.
 */
export function kmStateWord(state: KmState): Uint8Array {
  return new Uint8Array([0, 0, 0, state]);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Key-material and packet-cipher state of one encrypted connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CryptoControl, KmState } from "@tsrt/tsrt";
 * const settings = {
 *   passphrase: "a long shared secret",
 *   kmRefreshRate: 1 << 24,
 *   kmPreAnnounce: 1 << 12,
 *   randomBytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)),
 * };
 * const { control: caller, kmreq } = CryptoControl.forCaller(settings, 16);
 * const listener = CryptoControl.forListener(settings, kmreq);
 * assert.ok(listener.ok);
 * caller.onHandshakeResponse(listener.kmrsp, kmreq);
 * assert.equal(caller.stats.kmState, KmState.SECURED);
 * const packet = new Uint8Array(16 + 5); // header, then the payload
 * packet.set([1, 2, 3, 4, 5], 16);
 * caller.encrypt(0, packet, 1);
 * assert.ok(listener.control.decrypt(packet, 1));
 * assert.deepEqual([...packet.subarray(16)], [1, 2, 3, 4, 5]);
 * ```
 */
export class CryptoControl {
  /** Exchange counters. */
  readonly counters: KmCounters = {
    kmReqSent: 0,
    kmRspReceived: 0,
    kmReqReceived: 0,
    keySwitches: 0,
    kmInvalid: 0,
  };

  #s: CryptoSettings;
  #keyLength: KeyLength;
  #salt: Uint8Array;
  #kek: Uint8Array;
  #cipher: KmCipher;

  // Sending: keys and ciphers by parity (0 even, 1 odd), the one in use, packets sent with it.
  #txKey: (Uint8Array | undefined)[] = [undefined, undefined];
  #tx: (PacketCodec | undefined)[] = [undefined, undefined];
  #txCur = 0;
  #txCount = 0;
  #announced = false;
  #switched = false;
  /** The refresh KMREQ awaiting its KMRSP, and when to send it next. */
  #pending: Uint8Array | undefined;
  #pendingNextUs = Infinity;
  /** The last refresh the peer confirmed: a late second KMRSP for it is not an error. */
  #confirmed: Uint8Array | undefined;

  // Receiving.
  #rxKey: (Uint8Array | undefined)[] = [undefined, undefined];
  #rx: (PacketCodec | undefined)[] = [undefined, undefined];
  #rxSalt: Uint8Array;
  #rxKek: Uint8Array;
  #lastRxKm: Uint8Array | undefined;

  #sndState: KmState = KmState.SECURING;
  #rcvState: KmState = KmState.SECURING;

  private constructor(
    s: CryptoSettings,
    keyLength: KeyLength,
    salt: Uint8Array,
    kek: Uint8Array,
    cipher: KmCipher,
  ) {
    this.#s = s;
    this.#keyLength = keyLength;
    this.#salt = salt;
    this.#kek = kek;
    this.#rxSalt = salt;
    this.#rxKek = kek;
    this.#cipher = cipher;
  }

  /**
   * The caller side: draws a salt and an even key and builds the KMREQ for the CONCLUSION.
   *
   * @param settings Passphrase, refresh periods and random source.
   * @param keyLength The negotiated key length.
   * @param cipher AES-CTR (default) or AES-GCM.
   * @returns The control (state SECURING until the KMRSP) and its KM message.
   */
  static forCaller(
    settings: CryptoSettings,
    keyLength: KeyLength,
    cipher: KmCipher = KmCipher.AES_CTR,
  ): { control: CryptoControl; kmreq: Uint8Array } {
    const salt = settings.randomBytes(16).slice();
    const kek = deriveKek(settings.passphrase, salt, keyLength);
    const c = new CryptoControl(settings, keyLength, salt, kek, cipher);
    const even = settings.randomBytes(keyLength).slice();
    c.#setTx(0, even);
    c.#setRx(0, even);
    const kmreq = c.#wrap(KeyFlags.EVEN);
    return { control: c, kmreq };
  }

  /**
   * The listener side: opens the caller's KMREQ with the local passphrase. Its keys serve
   * both directions (HSv5); the KMRSP is its echo.
   *
   * @param settings Passphrase, refresh periods and random source.
   * @param kmreq The KMREQ extension contents.
   * @param mode The cipher modes this side accepts; BADCRYPTOMODE for another.
   * @returns The control (SECURED) and the KMRSP, or the KM state to report.
   */
  static forListener(
    settings: CryptoSettings,
    kmreq: Uint8Array,
    mode: CryptoMode = 0,
  ): ListenerKmResult {
    if (kmreq.length > KM_MAX_LENGTH) return { ok: false, state: KmState.NOSECRET };
    const msg = decodeKeyMaterial(kmreq);
    if (msg instanceof KmError) {
      return {
        ok: false,
        state: msg.code === "BAD_CIPHER" ? KmState.BADCRYPTOMODE : KmState.NOSECRET,
      };
    }
    const wanted = mode === 1 ? KmCipher.AES_CTR : mode === 2 ? KmCipher.AES_GCM : msg.cipher;
    if (msg.cipher !== wanted) return { ok: false, state: KmState.BADCRYPTOMODE };
    const kek = deriveKek(settings.passphrase, msg.salt, msg.keyLength);
    const plain = aesKeyUnwrap(kek, msg.wrappedKeys);
    if (!plain) return { ok: false, state: KmState.BADSECRET };
    const c = new CryptoControl(settings, msg.keyLength, msg.salt, kek, msg.cipher);
    c.#installRx(msg.kk, plain);
    // Send with the caller's key(s) until this side refreshes its own.
    const cur = msg.kk === KeyFlags.ODD ? 1 : 0;
    c.#setTx(cur, c.#rxKey[cur]!);
    if (msg.kk === KeyFlags.BOTH) c.#setTx(1, c.#rxKey[1]!);
    c.#txCur = cur;
    plain.fill(0);
    c.#lastRxKm = kmreq.slice();
    c.#sndState = KmState.SECURED;
    c.#rcvState = KmState.SECURED;
    return { ok: true, control: c, kmrsp: kmreq.slice() };
  }

  /** The key length in bytes. */
  get keyLength(): KeyLength {
    return this.#keyLength;
  }

  /** Whether the cipher is AES-GCM (else AES-CTR). */
  get gcm(): boolean {
    return this.#cipher === KmCipher.AES_GCM;
  }

  /** Bytes each encrypted packet carries after its payload: 16 (the GCM tag) or 0. */
  get tagLength(): number {
    return this.#cipher === KmCipher.AES_GCM ? GCM_TAG_LENGTH : 0;
  }

  /** The KM states in libsrt's terms. */
  get stats(): KmStats {
    const snd = this.#sndState;
    const rcv = this.#rcvState;
    return { kmState: snd === KmState.SECURED ? rcv : snd, sndKmState: snd, rcvKmState: rcv };
  }

  /**
   * Handles the KMRSP of the listener's CONCLUSION response (caller side).
   *
   * @param data The KMRSP extension contents, or undefined when there was none.
   * @param kmreq The KMREQ this side sent.
   * @returns The resulting state: SECURED on a faithful echo, else what went wrong.
   */
  onHandshakeResponse(data: Uint8Array | undefined, kmreq: Uint8Array): KmState {
    let state: KmState;
    if (data === undefined) state = KmState.UNSECURED;
    else if (data.length === 4) {
      const v = data[3];
      state = v === KmState.BADSECRET || v === KmState.BADCRYPTOMODE ? v : KmState.NOSECRET;
    } else if (sameBytes(data, kmreq)) state = KmState.SECURED;
    else state = KmState.BADSECRET;
    if (state === KmState.SECURED) {
      this.#sndState = KmState.SECURED;
      this.#rcvState = KmState.SECURED;
    } else if (state === KmState.BADSECRET) {
      this.#sndState = KmState.BADSECRET;
      this.#rcvState = KmState.BADSECRET;
    } else {
      // The peer has no passphrase: what we send it cannot be read; what it sends is clear.
      this.#sndState = KmState.NOSECRET;
      this.#rcvState = KmState.UNSECURED;
    }
    return state;
  }

  /**
   * Encrypts a data packet in place and sets its KK bits, counting packets towards the next
   * key switch. Call once per packet, when it enters the send buffer.
   *
   * @param now Current time in microseconds (a pre-announce is sent at once).
   * @param packet The whole data packet (16-byte header and payload).
   * @param seq Its sequence number.
   * @returns A refresh KMREQ to send now, or undefined.
   */
  encrypt(now: number, packet: Uint8Array, seq: number): Uint8Array | undefined {
    let announce: Uint8Array | undefined;
    const s = this.#s;
    // Unlike libsrt, wait for the KMRSP before switching: a lost KMREQ (resent after 1 s)
    // would otherwise make the peer drop every packet sent with the new key meanwhile.
    if (this.#txCount > s.kmRefreshRate && this.#announced && this.#pending === undefined) {
      this.#txCur ^= 1;
      this.#txCount = 0;
      this.#announced = false;
      this.#switched = true;
      this.counters.keySwitches++;
    } else if (this.#switched && this.#txCount >= s.kmPreAnnounce) {
      this.#decommission();
    } else if (!this.#announced && this.#txCount >= s.kmRefreshRate - s.kmPreAnnounce) {
      if (this.#switched) this.#decommission();
      announce = this.#preAnnounce(now);
    }
    const cur = this.#txCur;
    // KK first: GCM authenticates the header.
    packet[4] = (packet[4] & ~KK_MASK_BYTE4) | (cur === 0 ? 0x08 : 0x10);
    this.#tx[cur]!.enc(packet, seq);
    this.#txCount++;
    return announce;
  }

  /**
   * Decrypts a data packet in place and clears its KK bits.
   *
   * @param packet The whole data packet.
   * @param seq Its sequence number.
   * @returns False when the packet cannot be decrypted (no such key): never deliver it.
   */
  decrypt(packet: Uint8Array, seq: number): boolean {
    const kk = (packet[4] & KK_MASK_BYTE4) >>> 3;
    if (kk === 0) return true;
    if (kk === 3) return false;
    const c = this.#rx[kk - 1];
    if (c === undefined || !c.dec(packet, seq)) return false;
    packet[4] &= ~KK_MASK_BYTE4;
    return true;
  }

  /**
   * Handles a UMSG_EXT KMREQ (subtype 3) or KMRSP (subtype 4) from the peer. Forged or
   * malformed messages change nothing and are counted; an oversized one is refused before
   * anything is copied.
   *
   * @param subtype The UMSG_EXT subtype.
   * @param data The CIF (a view; copied only once accepted).
   * @returns The KMRSP to send back, or undefined.
   */
  onControl(subtype: number, data: Uint8Array): KmReply | undefined {
    if (data.length > KM_MAX_LENGTH) {
      this.counters.kmInvalid++;
      return undefined;
    }
    if (subtype === 3) return this.#onKmReq(data);
    if (subtype === 4) this.#onKmRsp(data);
    return undefined;
  }

  /**
   * Resends an unanswered refresh KMREQ when due.
   *
   * @param now Current time in microseconds.
   * @returns The KMREQ to send, or undefined.
   */
  handleTimeout(now: number): Uint8Array | undefined {
    if (this.#pending === undefined || now < this.#pendingNextUs) return undefined;
    this.#pendingNextUs = now + KM_RESEND_US;
    this.counters.kmReqSent++;
    return this.#pending;
  }

  /** When {@linkcode CryptoControl.handleTimeout} has work (us), or Infinity. */
  pollTimeout(): number {
    return this.#pendingNextUs;
  }

  /** Forgets every key (on close). */
  clear(): void {
    for (const k of [...this.#txKey, ...this.#rxKey]) k?.fill(0);
    this.#tx = [undefined, undefined];
    this.#rx = [undefined, undefined];
    this.#pending = undefined;
    this.#pendingNextUs = Infinity;
  }

  #preAnnounce(now: number): Uint8Array {
    const next = this.#txCur ^ 1;
    this.#setTx(next, this.#s.randomBytes(this.#keyLength).slice());
    this.#announced = true;
    this.#pending = this.#wrap(KeyFlags.BOTH);
    this.#pendingNextUs = now + KM_RESEND_US;
    this.counters.kmReqSent++;
    return this.#pending;
  }

  #decommission(): void {
    this.#switched = false;
    const old = this.#txCur ^ 1;
    this.#txKey[old]?.fill(0);
    this.#txKey[old] = undefined;
    this.#tx[old] = undefined;
    // A refresh still unconfirmed now only needs to carry the key in use.
    if (this.#pending !== undefined) {
      this.#pending = this.#wrap(this.#txCur === 0 ? KeyFlags.EVEN : KeyFlags.ODD);
    }
  }

  #onKmReq(data: Uint8Array): KmReply | undefined {
    if (sameBytes(this.#lastRxKm, data)) {
      // A repeat (our KMRSP was lost): answer again, change nothing.
      this.counters.kmReqReceived++;
      return { subtype: 4, data: this.#lastRxKm! };
    }
    const msg = decodeKeyMaterial(data);
    if (
      msg instanceof KmError || msg.cipher !== this.#cipher || msg.keyLength !== this.#keyLength
    ) {
      this.counters.kmInvalid++;
      return undefined;
    }
    const newSalt = !sameBytes(this.#rxSalt, msg.salt);
    const kek = newSalt ? deriveKek(this.#s.passphrase, msg.salt, msg.keyLength) : this.#rxKek;
    const plain = aesKeyUnwrap(kek, msg.wrappedKeys);
    if (!plain) {
      this.counters.kmInvalid++;
      return undefined;
    }
    if (newSalt) {
      // The peer changed its salt (libsrt never does; other implementations may).
      this.#rxSalt = msg.salt;
      this.#rxKek = kek;
      this.#rxKey = [undefined, undefined];
      this.#rx = [undefined, undefined];
    }
    this.#installRx(msg.kk, plain);
    plain.fill(0);
    this.#lastRxKm = data.slice();
    this.#rcvState = KmState.SECURED;
    this.counters.kmReqReceived++;
    return { subtype: 4, data: this.#lastRxKm };
  }

  #onKmRsp(data: Uint8Array): void {
    if (this.#pending === undefined) {
      // A repeat of the last confirmation (our KMREQ was resent and both were answered).
      if (!sameBytes(this.#confirmed, data)) this.counters.kmInvalid++;
      return;
    }
    if (data.length === 4) {
      // The peer could not take the new key: libsrt stops announcing and reports the state.
      const v = data[3];
      this.#sndState = v === KmState.BADSECRET ? KmState.BADSECRET : KmState.NOSECRET;
    } else if (!sameBytes(this.#pending, data)) {
      this.counters.kmInvalid++;
      return;
    }
    this.#confirmed = this.#pending;
    this.#pending = undefined;
    this.#pendingNextUs = Infinity;
    this.counters.kmRspReceived++;
  }

  #installRx(kk: KeyFlags, plain: Uint8Array): void {
    const n = this.#keyLength;
    if (kk === KeyFlags.BOTH) {
      this.#setRx(0, plain.slice(0, n));
      this.#setRx(1, plain.slice(n, 2 * n));
    } else this.#setRx(kk === KeyFlags.EVEN ? 0 : 1, plain.slice(0, n));
  }

  #setTx(parity: number, key: Uint8Array): void {
    if (sameBytes(this.#txKey[parity], key)) return;
    this.#txKey[parity] = key;
    this.#tx[parity] = makeCodec(this.#cipher, key, this.#salt, this.#s.backend);
  }

  #setRx(parity: number, key: Uint8Array): void {
    if (sameBytes(this.#rxKey[parity], key) && this.#rx[parity]) return;
    this.#rxKey[parity] = key;
    this.#rx[parity] = makeCodec(this.#cipher, key, this.#rxSalt, this.#s.backend);
  }

  #wrap(kk: KeyFlags): Uint8Array {
    const n = this.#keyLength;
    const keys = kk === KeyFlags.BOTH ? [this.#txKey[0]!, this.#txKey[1]!] : [
      this.#txKey[kk === KeyFlags.EVEN ? 0 : 1]!,
    ];
    const plain = new Uint8Array(n * keys.length);
    keys.forEach((k, i) => plain.set(k, i * n));
    const wrappedKeys = aesKeyWrap(this.#kek, plain);
    plain.fill(0);
    return encodeKeyMaterial({
      kk,
      keki: 0,
      cipher: this.#cipher,
      auth: this.#cipher === KmCipher.AES_GCM ? KmAuth.AES_GCM : KmAuth.NONE,
      se: KM_SE_SRT,
      salt: this.#salt,
      keyLength: n,
      wrappedKeys,
    });
  }
}
