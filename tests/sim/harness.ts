/**
 * Test scaffolding over {@linkcode SimNetwork}: a caller endpoint and a listener endpoint,
 * a paced source of numbered payloads and a record of every delivery with its virtual time.
 *
 * @module
 */

import type { PeerAddress, SrtConnection } from "../../srt/connection.ts";
import { SrtEndpoint } from "../../srt/endpoint.ts";
import type { ConnectionRequest } from "../../srt/listener.ts";
import type { SrtOptions } from "../../srt/options.ts";
import { createPrng } from "../../net/prng.ts";
import { type EndpointClock, type LinkProfile, SimNetwork } from "./network.ts";

/** Address of the simulated caller. */
export const CALLER: PeerAddress = { hostname: "10.0.0.1", port: 5000 };
/** Address of the simulated listener. */
export const LISTENER: PeerAddress = { hostname: "10.0.0.2", port: 9000 };

/** One payload delivered to the application. */
export interface Delivery {
  /** Index the source gave the payload. */
  index: number;
  /** Virtual time the source sent it. */
  sentUs: number;
  /** Virtual time it was delivered. */
  deliveredUs: number;
}

/** Options of {@linkcode createPair}. */
export interface PairOptions {
  seed: number;
  caller?: SrtOptions;
  listener?: SrtOptions;
  forward?: LinkProfile;
  backward?: LinkProfile;
  /** The caller's clock (rate, offset); default the simulator's. */
  callerClock?: EndpointClock;
  /** The listener's clock; default the simulator's. */
  listenerClock?: EndpointClock;
  /**
   * The caller's initial sequence number (a test hook: the endpoint draws it from its random
   * source, so the harness feeds that source this value at the right moment).
   */
  callerInitialSeq?: number;
  /** Decides on each request; accepts by default. */
  decide?: (req: ConnectionRequest) => { reject: number } | { accept: SrtOptions } | undefined;
}

/** A caller and a listener joined by a simulated link. */
export class SimPair {
  readonly sim: SimNetwork;
  readonly callerEp: SrtEndpoint;
  readonly listenerEp: SrtEndpoint;
  readonly caller: SrtConnection;
  accepted: SrtConnection | undefined;
  readonly requests: ConnectionRequest[] = [];
  /** Deliveries on the listener side (caller -> listener traffic). */
  readonly delivered: Delivery[] = [];
  #sentAt: number[] = [];

  constructor(o: PairOptions) {
    const prng = createPrng(o.seed);
    this.sim = new SimNetwork(() => prng.next(), { delayUs: 10_000 });
    const epRng = createPrng(o.seed ^ 0x5a5a5a5a);
    const forced: number[] = [];
    this.callerEp = new SrtEndpoint(() => forced.shift() ?? epRng.nextU32());
    this.listenerEp = new SrtEndpoint(() => epRng.nextU32());
    this.listenerEp.listen(0, o.listener ?? {});
    this.sim.attach(CALLER, this.callerEp, o.callerClock);
    this.sim.attach(LISTENER, this.listenerEp, o.listenerClock);
    this.sim.setLink(CALLER, LISTENER, o.forward ?? { delayUs: 10_000 });
    this.sim.setLink(LISTENER, CALLER, o.backward ?? o.forward ?? { delayUs: 10_000 });
    // connect() draws the socket ID first, then the initial sequence number.
    if (o.callerInitialSeq !== undefined) forced.push(0x1234567, o.callerInitialSeq);
    this.caller = this.callerEp.connect(this.sim.localNow(CALLER), LISTENER, o.caller ?? {});
    forced.length = 0;
    const decide = o.decide ?? (() => undefined);
    this.#observe = () => {
      const now = this.sim.now;
      const lnow = this.sim.localNow(LISTENER);
      for (let r = this.listenerEp.pollRequest(); r; r = this.listenerEp.pollRequest()) {
        this.requests.push(r);
        const d = decide(r);
        if (d && "reject" in d) this.listenerEp.reject(lnow, r, d.reject);
        else this.accepted = this.listenerEp.accept(lnow, r, d?.accept) ?? this.accepted;
        this.sim.pump(); // send the answer now, as an adapter would
      }
      const conn = this.accepted;
      if (conn) {
        for (let p = conn.pollPayload(); p; p = conn.pollPayload()) {
          const index = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);
          this.delivered.push({ index, sentUs: this.#sentAt[index], deliveredUs: now });
        }
      }
    };
  }

  #observe: () => void;

  /** Runs the simulation until `untilUs`, or until `stop` says so. */
  run(untilUs: number, stop?: () => boolean): void {
    this.sim.run(untilUs, () => {
      this.#observe();
      return stop?.() ?? false;
    });
  }

  /** Schedules `count` payloads of `size` bytes from the caller, one every `intervalUs`. */
  stream(startUs: number, count: number, intervalUs: number, size = 1316): void {
    for (let i = 0; i < count; i++) {
      this.sim.at(startUs + i * intervalUs, () => {
        if (this.caller.state !== "connected") return;
        const p = new Uint8Array(size);
        new DataView(p.buffer).setUint32(0, i);
        p.fill(i & 0xff, 4);
        this.#sentAt[i] = this.sim.now;
        this.callerEp.send(this.sim.localNow(CALLER), this.caller, p);
      });
    }
  }
}
