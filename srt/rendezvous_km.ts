/**
 * Key material for a rendezvous: the {@linkcode RendezvousKeyMaterial} hooks of
 * `rendezvous.ts`, backed by a {@linkcode CryptoControl} with the same rules as the caller
 * (Initiator side) and the listener (Responder side) of caller-listener connections:
 * the Initiator draws the keys and sends KMREQ, the Responder opens it with its passphrase
 * and echoes it as KMRSP; with enforced encryption (the default) a wrong passphrase ends the
 * attempt with BADSECRET and a passphrase on one side only with UNSECURE.
 *
 * @module
 */

import { KmCipher } from "../crypto/key_material.ts";
import { KmState } from "../crypto/km_state.ts";
import { CryptoControl, kmStateWord, type KmStats } from "./crypto_control.ts";
import { cryptoSettings } from "./connection.ts";
import type { ResolvedOptions } from "./options.ts";
import type { RandomBytes } from "./random_bytes.ts";
import { RejectReason } from "./reject_reason.ts";
import type { RendezvousKeyMaterial } from "./rendezvous.ts";

/** The hooks plus what they decided, for `SrtConnection.accepted()`. */
export interface RendezvousKm {
  /** The hooks to give `RendezvousHandshake`. */
  readonly hooks: RendezvousKeyMaterial;
  /** The encryption state once agreed (undefined: not encrypting). */
  readonly crypto: CryptoControl | undefined;
  /** The KM states when not encrypting (undefined: all UNSECURED). */
  readonly kmStats: KmStats | undefined;
  /** Wipes keys that were drawn but never used (the rendezvous failed). */
  clear(): void;
}

/**
 * Creates the key-material hooks of one rendezvous side.
 *
 * @param opts This side's resolved options (passphrase, key length, crypto mode, enforcement).
 * @param randomBytes Random source for the keys.
 * @returns The hooks and, once the handshake is over, its outcome.
 */
export function rendezvousKeyMaterial(
  opts: ResolvedOptions,
  randomBytes: RandomBytes,
): RendezvousKm {
  let control: CryptoControl | undefined;
  let kmreq: Uint8Array | undefined;
  let stats: KmStats | undefined;
  const enforced = opts.enforcedEncryption;
  // Drawn when the rendezvous starts rather than for the first CONCLUSION: the peer sets its
  // TSBPD base from that CONCLUSION's timestamp, and deriving the KEK in between (milliseconds,
  // tens on a cold runtime) would make it leave late. Used only if this side turns out to be
  // the Initiator; a Responder wipes it.
  const draw = () =>
    CryptoControl.forCaller(
      cryptoSettings(opts, randomBytes),
      opts.pbkeylen || 16,
      opts.cryptoMode === 2 ? KmCipher.AES_GCM : KmCipher.AES_CTR,
    );
  let drawn = opts.passphrase === undefined ? undefined : draw();
  const wipeDrawn = (): void => {
    drawn?.control.clear();
    drawn = undefined;
  };
  // Called for every (re)sent CONCLUSION+HSREQ: the same KMREQ each time.
  const request = (): Uint8Array => {
    if (kmreq) return kmreq;
    const r = drawn ?? draw();
    drawn = undefined;
    control = r.control;
    kmreq = r.kmreq;
    return kmreq;
  };
  const hooks: RendezvousKeyMaterial = {
    ...(opts.passphrase === undefined ? {} : { request }),
    respond(peerKmreq: Uint8Array | undefined) {
      wipeDrawn();
      if (opts.passphrase === undefined) {
        if (peerKmreq === undefined) return undefined;
        if (enforced) return { reject: RejectReason.UNSECURE };
        stats = {
          kmState: KmState.NOSECRET,
          sndKmState: KmState.UNSECURED,
          rcvKmState: KmState.NOSECRET,
        };
        return { kmrsp: kmStateWord(KmState.NOSECRET) };
      }
      if (peerKmreq === undefined) {
        if (enforced) return { reject: RejectReason.UNSECURE };
        stats = {
          kmState: KmState.NOSECRET,
          sndKmState: KmState.NOSECRET,
          rcvKmState: KmState.UNSECURED,
        };
        return undefined;
      }
      const r = CryptoControl.forListener(
        cryptoSettings(opts, randomBytes),
        peerKmreq,
        opts.cryptoMode,
      );
      if (r.ok) {
        control = r.control;
        return { kmrsp: r.kmrsp };
      }
      if (enforced) return { reject: rejectFor(r.state) };
      stats = { kmState: r.state, sndKmState: r.state, rcvKmState: r.state };
      return { kmrsp: kmStateWord(r.state) };
    },
    accept(kmrsp: Uint8Array | undefined): number | undefined {
      if (!control || !kmreq) {
        if (kmrsp === undefined) return undefined;
        if (enforced) return RejectReason.UNSECURE;
        stats = {
          kmState: KmState.NOSECRET,
          sndKmState: KmState.UNSECURED,
          rcvKmState: KmState.NOSECRET,
        };
        return undefined;
      }
      const state = control.onHandshakeResponse(kmrsp, kmreq);
      if (state === KmState.SECURED) return undefined;
      if (enforced) return rejectFor(state);
      stats = control.stats;
      if (state === KmState.BADSECRET || state === KmState.BADCRYPTOMODE) {
        control.clear();
        control = undefined;
      }
      return undefined;
    },
  };
  return {
    hooks,
    get crypto(): CryptoControl | undefined {
      return control;
    },
    get kmStats(): KmStats | undefined {
      return stats;
    },
    clear(): void {
      wipeDrawn();
      control?.clear();
      control = undefined;
    },
  };
}

function rejectFor(state: number): number {
  return state === KmState.BADSECRET
    ? RejectReason.BADSECRET
    : state === KmState.BADCRYPTOMODE
    ? RejectReason.CRYPTO
    : RejectReason.UNSECURE;
}
