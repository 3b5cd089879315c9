/**
 * Optional access to the `node:crypto` built-in (Node, Deno and Bun all have
 * it) without a static import, so the crypto module still loads where it is
 * missing (browsers) and falls back to the pure-JavaScript backend.
 *
 * @module
 */

/** The small part of a `node:crypto` Cipher object this module uses. */
export interface NodeCipherLike {
  update(data: Uint8Array): Uint8Array;
  setAutoPadding(autoPadding: boolean): unknown;
}

/** The small part of the `node:crypto` module this module uses. */
export interface NodeCryptoLike {
  createCipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array | null): NodeCipherLike;
  pbkdf2Sync?(
    password: Uint8Array,
    salt: Uint8Array,
    iterations: number,
    keylen: number,
    digest: string,
  ): Uint8Array;
}

interface ProcessWithBuiltins {
  getBuiltinModule?: (id: string) => unknown;
}

let cached: NodeCryptoLike | null | undefined;

/**
 * Returns `node:crypto` when the runtime provides it, else `undefined`.
 *
 * @returns The module, or `undefined`.
 */
export function loadNodeCrypto(): NodeCryptoLike | undefined {
  if (cached === undefined) {
    cached = null;
    try {
      const proc = (globalThis as { process?: ProcessWithBuiltins }).process;
      const mod = proc?.getBuiltinModule?.("node:crypto") as NodeCryptoLike | undefined;
      if (mod && typeof mod.createCipheriv === "function") cached = mod;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}

/**
 * Tells whether the code runs under Bun.
 *
 * @returns `true` under Bun.
 */
export function isBun(): boolean {
  return typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
}
