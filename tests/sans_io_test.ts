// Guards the sans-IO contract: the protocol core, the crypto layer and the MPEG-TS toolkit
// take time, randomness and I/O as arguments and never reach for them on their own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const CORE_DIRS = ["srt", "crypto", "mpegts"];
const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, "Date.now()"],
  [/\bnew Date\s*\(/, "new Date()"],
  [/\bperformance\.now\s*\(/, "performance.now()"],
  [/\bsetTimeout\s*\(|\bsetInterval\s*\(/, "timers"],
  [/\bMath\.random\s*\(/, "Math.random()"],
  [
    /\bcrypto\.(getRandomValues|randomBytes|randomUUID)\s*\(|(?<![.\w])randomBytes\s*\(/,
    "platform randomness",
  ],
  [/\bDeno\.|\bBun\./, "runtime APIs"],
  [/from\s+["']node:(dgram|net|fs|http|child_process)["']/, "I/O modules"],
  [/\bawait\s/, "await (the core is synchronous)"],
];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(".ts") && !f.endsWith("_test.ts") && !f.endsWith("_test_util.ts"))
    .map((f) => join(dir, f));
}

test("srt/, crypto/ and mpegts/ use no clock, timer, randomness or I/O of their own", () => {
  const files = CORE_DIRS.flatMap(sources);
  assert.ok(files.length > 30, `only ${files.length} files found`);
  const problems: string[] = [];
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "");
      for (const [re, what] of FORBIDDEN) {
        if (re.test(code)) problems.push(`${file}:${i + 1}: ${what}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(problems, []);
});
