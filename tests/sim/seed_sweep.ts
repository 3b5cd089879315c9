/**
 * Seed sweep for the loss targets of the simulator tests: runs SimPair over a range of seeds
 * for each loss profile and prints how many seeds lost, duplicated or mistimed packets.
 *
 * ```sh
 * deno run -A tests/sim/seed_sweep.ts [firstSeed] [count]
 * ```
 *
 * @module
 */

import { LOSS_PROFILES, runLossProfile } from "./loss_profiles.ts";

if (import.meta.main) {
  const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
    (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
  const first = Number(args[0] ?? 100);
  const count = Number(args[1] ?? 40);
  for (const p of LOSS_PROFILES) {
    const bad: string[] = [];
    let rexmit = 0;
    let dup = 0;
    const t0 = performance.now();
    for (let seed = first; seed < first + count; seed++) {
      const r = runLossProfile(p, seed);
      rexmit += r.retransmitted;
      dup += r.duplicates;
      if (r.problem) bad.push(`${seed}: ${r.problem}`);
    }
    console.log(
      `${p.name}: ${bad.length}/${count} seeds failed; retransmitted ${rexmit}, ` +
        `duplicates ${dup} (${Math.round(performance.now() - t0)} ms)`,
    );
    for (const b of bad) console.log(`  ${b}`);
  }
}
