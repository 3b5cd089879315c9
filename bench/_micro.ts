/**
 * Runs the micro benchmarks (`bench/*_bench.ts`) in this runtime and prints their rows as one
 * JSON line, for `bench/run.ts`, which runs it under Deno and under Bun. `bench/core_bench.ts`
 * (`benchCore()`) is included when it exists.
 *
 * ```sh
 * deno run -A bench/_micro.ts [--quick]
 * bun bench/_micro.ts [--quick]
 * ```
 *
 * @module
 */

import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as cryptoBench from "./crypto_bench.ts";
import { benchMpegts } from "./mpegts_bench.ts";
import { benchUdp } from "./udp_bench.ts";

/** One micro benchmark row, tagged with the module it came from. */
export interface MicroRow {
  /** `core`, `crypto`, `mpegts` or `udp`. */
  suite: string;
  /** What was measured. */
  name: string;
  /** The measured value. */
  value: number;
  /** Unit of `value`. */
  unit: string;
}

interface Row {
  name: string;
  value: number;
  unit: string;
}

const quick = process.argv.includes("--quick");
const rows: MicroRow[] = [];
const errors: string[] = [];

async function suite(name: string, run: () => Promise<Row[]>): Promise<void> {
  try {
    for (const r of await run()) {
      rows.push({ suite: name, name: r.name, value: r.value, unit: r.unit });
    }
  } catch (e) {
    errors.push(`${name}: ${(e as Error).message}`);
  }
}

const coreUrl = new URL("./core_bench.ts", import.meta.url);
if (existsSync(fileURLToPath(coreUrl))) {
  await suite("core", async () => {
    // A computed specifier, so that type-checking does not require the module to exist.
    const mod = await import(coreUrl.href) as { benchCore?: () => Promise<Row[]> };
    if (typeof mod.benchCore !== "function") throw new Error("no benchCore() export");
    return await mod.benchCore();
  });
}
await suite("crypto", () => cryptoBench.benchCrypto(quick ? 100 : 300));
// Added later to crypto_bench.ts: the core pair with and without encryption, when present.
const coreEncryption = (cryptoBench as unknown as {
  benchCoreEncryption?: (count?: number, rounds?: number) => Row[];
}).benchCoreEncryption;
if (coreEncryption !== undefined) {
  await suite("crypto-core", () => Promise.resolve(coreEncryption(quick ? 5000 : 20_000, 3)));
}
await suite("mpegts", () => benchMpegts());
await suite("udp", () => benchUdp(quick ? 300 : 700));
console.log(JSON.stringify({ rows, errors, hasCore: existsSync(fileURLToPath(coreUrl)) }));
process.exit(0);
