/**
 * Minimal, private typings for the runtime globals the UDP adapters touch.
 *
 * The adapters must type-check under `deno check` (where `Deno` is declared
 * by the runtime's own lib but `Bun` is not) and also run unchanged under
 * Bun. Rather than declaring globals, which would clash with Deno's lib, each
 * runtime namespace is read from `globalThis` through an accessor typed with
 * the small subset of the API that is actually used.
 *
 * @module
 */

/** Address shape returned and accepted by `Deno.DatagramConn`. */
export interface DenoNetAddr {
  transport: "udp";
  hostname: string;
  port: number;
}

/** The subset of `Deno.DatagramConn` used by the Deno adapter. */
export interface DenoDatagramConn {
  readonly addr: DenoNetAddr;
  receive(buffer?: Uint8Array): Promise<[Uint8Array, DenoNetAddr]>;
  send(data: Uint8Array, to: DenoNetAddr): Promise<number>;
  close(): void;
}

/** The subset of the `Deno` namespace used by the Deno adapter. */
export interface DenoNamespace {
  listenDatagram(options: {
    transport: "udp";
    hostname?: string;
    port?: number;
  }): DenoDatagramConn;
}

/** A packet slot in the flat array taken by Bun's unconnected `sendMany`. */
export type BunPacketSlot = Uint8Array | number | string;

/** The subset of Bun's unconnected UDP socket used by the Bun adapter. */
export interface BunUdpSocket {
  readonly hostname: string;
  readonly port: number;
  readonly closed: boolean;
  send(data: Uint8Array, port: number, address: string): boolean;
  sendMany(packets: readonly BunPacketSlot[]): number;
  close(): void;
}

/** Callbacks accepted by `Bun.udpSocket`. */
export interface BunUdpHandlers {
  data?(socket: BunUdpSocket, data: Uint8Array, port: number, address: string): void;
  drain?(socket: BunUdpSocket): void;
  error?(socket: BunUdpSocket, error: Error): void;
}

/** The subset of the `Bun` namespace used by the Bun adapter. */
export interface BunNamespace {
  udpSocket(options: {
    hostname?: string;
    port?: number;
    binaryType?: "uint8array";
    socket?: BunUdpHandlers;
  }): Promise<BunUdpSocket>;
}

/** Returns the `Deno` namespace when running on Deno, otherwise `undefined`. */
export function denoNamespace(): DenoNamespace | undefined {
  return (globalThis as unknown as { Deno?: DenoNamespace }).Deno;
}

/** Returns the `Bun` namespace when running on Bun, otherwise `undefined`. */
export function bunNamespace(): BunNamespace | undefined {
  return (globalThis as unknown as { Bun?: BunNamespace }).Bun;
}
