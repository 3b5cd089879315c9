/**
 * The I/O layer under the SRT protocol core: runtime-neutral UDP sockets
 * (Deno, Bun and `node:dgram` adapters), a seeded PRNG, and a seeded
 * loss-injecting UDP relay with its pure link model for tests and simulation.
 *
 * The adapters themselves live in `udp_deno.ts`, `udp_bun.ts` and
 * `udp_node.ts`; {@linkcode openUdp} loads the one for the running runtime on
 * demand, so importing this module pulls in no runtime-specific API.
 *
 * @module
 */

export {
  detectRuntime,
  openUdp,
  SEND_BACKLOG_LIMIT,
  type UdpAddress,
  type UdpRuntime,
  type UdpSocket,
  type UdpSocketOptions,
  type UdpSocketStats,
} from "./udp.ts";
export { createPrng, type Prng } from "./prng.ts";
export {
  type GilbertElliott,
  type LinkCounters,
  type LinkDecision,
  LinkModel,
  type LinkProfile,
  validateProfile,
} from "./link_model.ts";
export {
  createLinkModels,
  type LossyRelay,
  type LossyRelayOptions,
  startLossyRelay,
} from "./lossy_relay.ts";
