/**
 * A seeded, loss-injecting UDP relay for loopback tests: a stand-in for
 * netem, which this project's test machines lack.
 *
 * The relay listens on one address; the first client to send to it becomes
 * its peer. Datagrams from the peer go through the `forward` link model to
 * the target, and the target's replies go through the `backward` model to the
 * peer. Delayed datagrams wait in one release queue served by a single timer
 * that releases every due datagram per tick, in batches: timers fire no
 * sooner than about 1 ms on Bun and 2 ms on Deno, so one timer per datagram
 * would be both slow and late.
 *
 * Run it by hand:
 *
 * ```sh
 * deno run -A net/lossy_relay.ts --listen 127.0.0.1:9000 --target 127.0.0.1:9001 \
 *   --loss 0.05 --delay 20 --jitter 2 --seed 7 --stats
 * ```
 *
 * @module
 */

import { argv, exit, stderr } from "node:process";
import { type LinkCounters, LinkModel, type LinkProfile } from "./link_model.ts";
import { createPrng } from "./prng.ts";
import { ReleaseQueue } from "./_release_queue.ts";
import { openUdp, type UdpAddress, type UdpRuntime, type UdpSocket } from "./udp.ts";

/**
 * Options for {@linkcode startLossyRelay}.
 *
 * @example
 * ```ts
 * import { type LossyRelayOptions, startLossyRelay } from "@tsrt/tsrt/net";
 * const options: LossyRelayOptions = {
 *   listen: { hostname: "127.0.0.1" },
 *   target: { hostname: "127.0.0.1", port: 9000 },
 *   seed: 1,
 *   forward: { loss: 0.02, delayMs: 20 },
 *   backward: { delayMs: 20 },
 * };
 * const relay = await startLossyRelay(options);
 * await relay.close();
 * ```
 */
export interface LossyRelayOptions {
  /** Address clients send to. `port` defaults to 0 (ephemeral). */
  listen: { hostname: string; port?: number };
  /** Where the peer's datagrams are relayed to. */
  target: UdpAddress;
  /** Seed of all random decisions; the same seed replays the same decisions. */
  seed: number;
  /** Impairments from the peer to the target. Default: none. */
  forward?: LinkProfile;
  /** Impairments from the target back to the peer. Default: none. */
  backward?: LinkProfile;
  /** UDP adapter to use; detected from the runtime when omitted. */
  runtime?: UdpRuntime;
  /**
   * Drops a datagram outright when it returns true, before the link model sees it (counted as
   * received and dropped): for tests that must lose given packets, whatever the seed.
   */
  dropIf?: (direction: "forward" | "backward", datagram: Uint8Array) => boolean;
  /**
   * Sees every datagram as the relay decides its fate: `releaseAtMs` holds when each copy
   * goes out (`performance.now()` time), empty when it is dropped. Called synchronously; the
   * datagram is only valid during the call. Tests use it to tell which packets could reach
   * the target in time.
   */
  onAdmit?: (
    direction: "forward" | "backward",
    datagram: Uint8Array,
    releaseAtMs: readonly number[],
  ) => void;
}

/**
 * A running relay.
 *
 * @example
 * ```ts
 * import { type LossyRelay, startLossyRelay } from "@tsrt/tsrt/net";
 * const relay: LossyRelay = await startLossyRelay({
 *   listen: { hostname: "127.0.0.1" },
 *   target: { hostname: "127.0.0.1", port: 9000 },
 *   seed: 5,
 *   forward: { loss: 0.01 },
 * });
 * // Point the caller at relay.address instead of port 9000, then read the counters.
 * console.log(relay.address.port, relay.forward.dropped, relay.backward.forwarded);
 * await relay.close();
 * ```
 */
export interface LossyRelay {
  /** The address clients send to, with the bound port. */
  readonly address: UdpAddress;
  /** The first client that sent to the relay, once there is one. */
  readonly peer: UdpAddress | undefined;
  /** Counters of the peer-to-target direction (live). */
  readonly forward: Readonly<LinkCounters>;
  /** Counters of the target-to-peer direction (live). */
  readonly backward: Readonly<LinkCounters>;
  /** Stops relaying, discards queued datagrams and closes both sockets. */
  close(): Promise<void>;
}

/**
 * Starts a relay. The forward and backward link models draw from two
 * independent streams derived from `seed`, so traffic in one direction does
 * not change the decisions taken in the other.
 *
 * @throws {RangeError} on an invalid link profile or seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openUdp, startLossyRelay } from "@tsrt/tsrt/net";
 * const received: Uint8Array[] = [];
 * const target = await openUdp({ hostname: "127.0.0.1", onMessage: (d) => received.push(d) });
 * const relay = await startLossyRelay({
 *   listen: { hostname: "127.0.0.1" },
 *   target: target.localAddress,
 *   seed: 1,
 *   forward: { delayMs: 5 },
 * });
 * const client = await openUdp({ hostname: "127.0.0.1", onMessage: () => {} });
 * client.send(new Uint8Array([1, 2, 3]), relay.address);
 * await new Promise((r) => setTimeout(r, 100));
 * assert.equal(relay.forward.forwarded, 1);
 * await Promise.all([client.close(), relay.close(), target.close()]);
 * ```
 */
export async function startLossyRelay(options: LossyRelayOptions): Promise<LossyRelay> {
  const [forward, backward] = createLinkModels(options.seed, options.forward, options.backward);
  const relay = new Relay(options.target, forward, backward, options);
  const front = await openUdp({
    hostname: options.listen.hostname,
    port: options.listen.port ?? 0,
    onMessage: (data, from) => relay.fromClient(data, from),
  }, options.runtime);
  let back: UdpSocket;
  try {
    back = await openUdp({
      hostname: sideHostname(options.listen.hostname, options.target.hostname),
      onMessage: (data, from) => relay.fromTarget(data, from),
    }, options.runtime);
  } catch (error) {
    await front.close();
    throw error;
  }
  relay.attach(front, back);
  return relay;
}

/**
 * Creates the forward and backward link models exactly as
 * {@linkcode startLossyRelay} does for `seed`: two independent PRNG streams
 * derived from it. Feeding them the same datagram sequence predicts the
 * relay's decisions, which lets tests check the relay against the model.
 *
 * @throws {RangeError} on an invalid link profile or seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLinkModels } from "@tsrt/tsrt/net";
 * // Predicts, datagram by datagram, what startLossyRelay({ seed: 9, forward: { loss: 0.1 } })
 * // drops.
 * const [forward, backward] = createLinkModels(9, { loss: 0.1 });
 * const lost = Array.from({ length: 1000 }, (_, i) => forward.admit(1316, i).copies === 0);
 * assert.equal(lost.filter(Boolean).length, forward.counters.dropped);
 * assert.equal(backward.counters.received, 0);
 * ```
 */
export function createLinkModels(
  seed: number,
  forward: LinkProfile = {},
  backward: LinkProfile = {},
): [LinkModel, LinkModel] {
  const master = createPrng(seed);
  return [
    new LinkModel(forward, createPrng(master.nextU32())),
    new LinkModel(backward, createPrng(master.nextU32())),
  ];
}

/** Binds the target-side socket like the listen side when the families match. */
function sideHostname(listen: string, target: string): string {
  const v6 = target.includes(":");
  if (listen.includes(":") === v6) return listen;
  return v6 ? "::" : "0.0.0.0";
}

const FORWARD = 0;
const BACKWARD = 1;
type Direction = typeof FORWARD | typeof BACKWARD;

interface Queued {
  direction: Direction;
  data: Uint8Array;
}

/** Release times this close to now count as due: timers may fire a little early. */
const EARLY_MS = 0.25;

class Relay implements LossyRelay {
  readonly #target: UdpAddress;
  readonly #models: readonly [LinkModel, LinkModel];
  readonly #queue = new ReleaseQueue<Queued>();
  #front: UdpSocket | undefined;
  #back: UdpSocket | undefined;
  #peer: UdpAddress | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #closed = false;
  readonly #onAdmit: LossyRelayOptions["onAdmit"];
  readonly #dropIf: LossyRelayOptions["dropIf"];

  constructor(
    target: UdpAddress,
    forward: LinkModel,
    backward: LinkModel,
    hooks: Pick<LossyRelayOptions, "onAdmit" | "dropIf"> = {},
  ) {
    this.#target = target;
    this.#models = [forward, backward];
    this.#onAdmit = hooks.onAdmit;
    this.#dropIf = hooks.dropIf;
  }

  get address(): UdpAddress {
    return this.#front!.localAddress;
  }

  get peer(): UdpAddress | undefined {
    return this.#peer;
  }

  get forward(): Readonly<LinkCounters> {
    return this.#models[FORWARD].counters;
  }

  get backward(): Readonly<LinkCounters> {
    return this.#models[BACKWARD].counters;
  }

  attach(front: UdpSocket, back: UdpSocket): void {
    this.#front = front;
    this.#back = back;
  }

  fromClient(data: Uint8Array, from: UdpAddress): void {
    const peer = this.#peer;
    if (peer === undefined) {
      this.#peer = { hostname: from.hostname, port: from.port };
    } else if (peer.port !== from.port || peer.hostname !== from.hostname) {
      return;
    }
    this.#admit(FORWARD, data);
  }

  fromTarget(data: Uint8Array, from: UdpAddress): void {
    const target = this.#target;
    if (this.#peer === undefined || from.port !== target.port) return;
    if (from.hostname !== target.hostname) return;
    this.#admit(BACKWARD, data);
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#queue.clear();
    }
    await Promise.all([this.#front?.close(), this.#back?.close()]);
  }

  #admit(direction: Direction, data: Uint8Array): void {
    if (this.#closed) return;
    const now = performance.now();
    const name = direction === FORWARD ? "forward" : "backward";
    if (this.#dropIf?.(name, data)) {
      const c = this.#models[direction].counters;
      c.received++;
      c.dropped++;
      this.#onAdmit?.(name, data, []);
      return;
    }
    const decision = this.#models[direction].admit(data.length, now);
    this.#onAdmit?.(name, data, decision.releaseAt.slice(0, decision.copies));
    for (let i = 0; i < decision.copies; i++) {
      const at = decision.releaseAt[i];
      if (at <= now) {
        // Anything overdue in the queue leaves first, to keep release order.
        if (this.#queue.nextAt <= now + EARLY_MS) this.#release(now);
        this.#send(direction, [data]);
      } else {
        this.#queue.push(at, { direction, data });
      }
    }
    this.#schedule(now);
  }

  #send(direction: Direction, datagrams: Uint8Array[]): void {
    if (direction === FORWARD) this.#back!.sendBatch(datagrams, this.#target);
    else this.#front!.sendBatch(datagrams, this.#peer!);
  }

  #release(now: number): void {
    const queue = this.#queue;
    const batches: [Uint8Array[], Uint8Array[]] = [[], []];
    while (queue.size > 0 && queue.nextAt <= now + EARLY_MS) {
      const { direction, data } = queue.pop();
      batches[direction].push(data);
    }
    if (batches[FORWARD].length > 0) this.#send(FORWARD, batches[FORWARD]);
    if (batches[BACKWARD].length > 0) this.#send(BACKWARD, batches[BACKWARD]);
  }

  #schedule(now: number): void {
    const next = this.#queue.nextAt;
    if (this.#closed || next === Infinity || next >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, next - now));
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#closed) return;
    const now = performance.now();
    this.#release(now);
    this.#schedule(now);
  };
}

/** Parses `host:port` or `[v6-host]:port`. */
function parseHostPort(text: string, flag: string): { hostname: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new RangeError(`${flag} expects host:port or [ipv6]:port, got "${text}"`);
  }
  return { hostname: match[1], port };
}

const USAGE = `Usage: lossy_relay --listen HOST:PORT --target HOST:PORT [options]

Relays UDP between the first client of --listen and --target, with seeded
impairments. Link options apply to both directions; prefix them with
forward- or backward- (e.g. --forward-loss 0.1) for one direction only.

  --seed N            random seed (default 1)
  --loss P            independent loss probability, 0-1
  --burst G,B,L       Gilbert-Elliott: P(good->bad), P(bad->good), loss in bad
  --delay MS          one-way delay
  --jitter MS         delay standard deviation
  --reorder P         probability of holding a datagram back (--reorder-delay MS)
  --duplicate P       duplication probability
  --rate BPS          bottleneck rate in bit/s (--queue MS: max queueing delay)
  --stats             print counters every second to stderr
`;

const PROFILE_FLAGS: Record<string, keyof LinkProfile> = {
  loss: "loss",
  burst: "burst",
  delay: "delayMs",
  jitter: "jitterMs",
  reorder: "reorder",
  "reorder-delay": "reorderDelayMs",
  duplicate: "duplicate",
  rate: "rateBps",
  queue: "queueMs",
};

/** Parses the command line into relay options (plus the `--stats` switch). */
function parseCli(args: readonly string[]): LossyRelayOptions & { stats: boolean } {
  const forward: Record<string, unknown> = {};
  const backward: Record<string, unknown> = {};
  let listen: { hostname: string; port: number } | undefined;
  let target: UdpAddress | undefined;
  let seed = 1;
  let stats = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--stats") {
      stats = true;
      continue;
    }
    if (arg === "--help" || arg === "-h") throw new TypeError(USAGE);
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? args[++i] : arg.slice(eq + 1);
    if (!flag.startsWith("--") || value === undefined) {
      throw new TypeError(`Unexpected argument "${arg}"\n\n${USAGE}`);
    }
    const name = flag.slice(2);
    if (name === "listen") listen = parseHostPort(value, flag);
    else if (name === "target") target = parseHostPort(value, flag);
    else if (name === "seed") seed = Number(value);
    else {
      const direction = /^(forward|backward)-/.exec(name)?.[1];
      const key = PROFILE_FLAGS[direction ? name.slice(direction.length + 1) : name];
      if (key === undefined) throw new TypeError(`Unknown option ${flag}\n\n${USAGE}`);
      let parsed: unknown = Number(value);
      if (key === "burst") {
        const [pGoodToBad, pBadToGood, lossInBad] = value.split(",").map(Number);
        parsed = { pGoodToBad, pBadToGood, lossInBad };
      } else if (!Number.isFinite(parsed)) {
        throw new RangeError(`${flag} expects a number, got "${value}"`);
      }
      if (direction !== "backward") forward[key] = parsed;
      if (direction !== "forward") backward[key] = parsed;
    }
  }
  if (listen === undefined || target === undefined) {
    throw new TypeError(`--listen and --target are required\n\n${USAGE}`);
  }
  return { listen, target, seed, forward, backward, stats };
}

function formatCounters(c: Readonly<LinkCounters>): string {
  return `recv ${c.received} fwd ${c.forwarded} drop ${c.dropped} dup ${c.duplicated} ` +
    `reord ${c.reordered}`;
}

async function main(args: readonly string[]): Promise<void> {
  let options: ReturnType<typeof parseCli>;
  try {
    options = parseCli(args);
  } catch (error) {
    stderr.write(`${(error as Error).message}\n`);
    exit(2);
  }
  const relay = await startLossyRelay(options);
  const { hostname, port } = relay.address;
  stderr.write(
    `lossy_relay: ${hostname}:${port} -> ${options.target.hostname}:${options.target.port}` +
      ` (seed ${options.seed})\n`,
  );
  if (options.stats) {
    setInterval(() => {
      stderr.write(
        `forward: ${formatCounters(relay.forward)} | backward: ${formatCounters(relay.backward)}\n`,
      );
    }, 1000);
  }
}

if (import.meta.main) await main(argv.slice(2));
