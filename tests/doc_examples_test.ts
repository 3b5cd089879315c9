// Every symbol the five published entry points export carries a JSDoc `@example` (issue #7),
// so a new export without one fails CI. The check reads the sources directly (no `deno doc`,
// which Bun lacks): it follows the `export ... from` lines of each entry point to the files
// that declare the symbols, and looks at the JSDoc block right above each declaration.
// The examples themselves are type-checked by `deno check --doc-only` in CI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const ROOT = new URL("../", import.meta.url);
const ENTRY_POINTS = ["mod.ts", "mpegts/mod.ts", "crypto/mod.ts", "net/mod.ts", "server/mod.ts"];

const sources = new Map<string, string[]>();
function lines(path: string): string[] {
  let l = sources.get(path);
  if (!l) {
    l = readFileSync(new URL(path, ROOT), "utf8").split("\n");
    sources.set(path, l);
  }
  return l;
}

/** `a/b.ts` + `../c/d.ts` = `c/d.ts`. */
function resolve(from: string, specifier: string): string {
  return new URL(specifier, new URL(from, "file:///")).pathname.slice(1);
}

/** The `export ... from "x"` statements of a file, joined across lines. */
function reExports(path: string): { names: string[] | "*"; from: string }[] {
  const text = lines(path).join("\n");
  const out: { names: string[] | "*"; from: string }[] = [];
  for (const m of text.matchAll(/^export\s+\*\s+from\s+"([^"]+)";/gm)) {
    out.push({ names: "*", from: resolve(path, m[1]) });
  }
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}\s+from\s+"([^"]+)";/gm)) {
    const names = m[1].split(",").map((n) => n.trim().replace(/^type\s+/, "")).filter(Boolean);
    out.push({ names, from: resolve(path, m[2]) });
  }
  return out;
}

const DECLARATION =
  /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|abstract\s+class|class|interface|type|const|let|enum)\s+([A-Za-z_$][\w$]*)/;

/** Line indexes of the declarations of `name` in `path` (a const and a type may share it). */
function declarations(path: string, name: string): number[] {
  const out: number[] = [];
  lines(path).forEach((line, i) => {
    if (DECLARATION.exec(line)?.[1] === name) out.push(i);
  });
  return out;
}

/** Every name `path` declares with `export`. */
function declaredNames(path: string): string[] {
  const names = new Set<string>();
  for (const line of lines(path)) {
    const m = DECLARATION.exec(line);
    if (m) names.add(m[1]);
  }
  return [...names];
}

/** The JSDoc block that ends on the line above `index`, or undefined. */
function jsDocAbove(path: string, index: number): string | undefined {
  const l = lines(path);
  let end = index - 1;
  while (end >= 0 && /^\s*@/.test(l[end])) end--; // decorators, none today
  if (end < 0 || !l[end].trimEnd().endsWith("*/")) return undefined;
  let start = end;
  while (start >= 0 && !l[start].trimStart().startsWith("/**")) {
    if (l[start].trimStart().startsWith("/*") && start !== end) return undefined;
    start--;
  }
  return start < 0 ? undefined : l.slice(start, end + 1).join("\n");
}

interface Site {
  readonly name: string;
  readonly path: string;
  readonly line: number;
}

/** Where `name`, exported by `path` (directly or through its own re-exports), is declared. */
function locate(path: string, name: string, seen = new Set<string>()): Site[] {
  const key = `${path}#${name}`;
  if (seen.has(key)) return [];
  seen.add(key);
  const here = declarations(path, name).map((line) => ({ name, path, line }));
  if (here.length > 0) return here;
  for (const r of reExports(path)) {
    if (r.names === "*" || r.names.includes(name)) {
      const found = locate(r.from, name, seen);
      if (found.length > 0) return found;
    }
  }
  return [];
}

function publicSites(): { sites: Site[]; unresolved: string[] } {
  const sites = new Map<string, Site>();
  const unresolved: string[] = [];
  for (const entry of ENTRY_POINTS) {
    for (const r of reExports(entry)) {
      const names = r.names === "*" ? declaredNames(r.from) : r.names;
      for (const name of names) {
        const found = locate(r.from, name);
        if (found.length === 0) unresolved.push(`${entry}: ${name} from ${r.from}`);
        for (const s of found) sites.set(`${s.path}:${s.line}`, s);
      }
    }
  }
  return { sites: [...sites.values()], unresolved };
}

test("every export of the entry points resolves to a declaration", () => {
  const { sites, unresolved } = publicSites();
  assert.deepEqual(unresolved, []);
  assert.ok(sites.length > 250, `only ${sites.length} exported declarations found`);
});

test("every exported declaration has JSDoc with an @example", () => {
  const missing = publicSites().sites
    .filter((s) => !/@example\b/.test(jsDocAbove(s.path, s.line) ?? ""))
    .map((s) => `${s.path}:${s.line + 1} ${s.name}`);
  assert.deepEqual(missing, [], "add an @example to the JSDoc of each of these");
});

test("the JSDoc finder sees a block above a declaration and nothing above a bare one", () => {
  sources.set("virtual.ts", [
    "/**",
    " * Documented.",
    " *",
    " * @example",
    " * ```ts",
    " * f();",
    " * ```",
    " */",
    "export function f(): void {}",
    "// a plain comment",
    "export const g = 1;",
  ]);
  assert.match(jsDocAbove("virtual.ts", declarations("virtual.ts", "f")[0]) ?? "", /@example/);
  assert.equal(jsDocAbove("virtual.ts", declarations("virtual.ts", "g")[0]), undefined);
  sources.delete("virtual.ts");
});
