import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs, UsageError } from "./args.ts";

test("parseArgs() reads input, output and defaults", () => {
  const a = parseArgs(["udp://:5000", "srt://127.0.0.1:9000"]);
  assert.equal(a.command, "relay");
  assert.equal(a.input, "udp://:5000");
  assert.equal(a.output, "srt://127.0.0.1:9000");
  assert.equal(a.autoReconnect, false);
  assert.equal(a.realtime, false);
  assert.equal(a.statsFormat, "text");
  assert.equal(a.verbosity, 1);
  assert.equal(a.chunk, undefined);
});

test("parseArgs() takes --name value, --name=value, -name value and -name:value", () => {
  for (
    const argv of [
      ["--stats-every", "500", "--stats-format", "json", "-", "-"],
      ["--stats-every=500", "--stats-format=json", "-", "-"],
      ["-s", "500", "-pf", "json", "-", "-"],
      ["-s:500", "-pf:json", "-", "-"],
      ["-stats-report-frequency", "500", "-pf", "json", "-", "-"],
    ]
  ) {
    const a = parseArgs(argv);
    assert.equal(a.statsEveryMs, 500, argv.join(" "));
    assert.equal(a.statsFormat, "json", argv.join(" "));
    assert.equal(a.input, "-");
  }
});

test("parseArgs() accepts srt-live-transmit's boolean forms", () => {
  assert.equal(parseArgs(["-a", "-", "-"]).autoReconnect, true);
  assert.equal(parseArgs(["-a:no", "-", "-"]).autoReconnect, false);
  assert.equal(parseArgs(["-autoreconnect:yes", "-", "-"]).autoReconnect, true);
  assert.equal(parseArgs(["--auto-reconnect=off", "-", "-"]).autoReconnect, false);
  assert.throws(() => parseArgs(["-a:maybe", "-", "-"]), /expected yes or no/);
});

test("parseArgs() reads the other options", () => {
  const a = parseArgs([
    "-chunk",
    "188",
    "--realtime",
    "-statsout",
    "/tmp/s.csv",
    "-t",
    "2.5",
    "-q",
    "--passphrase-env",
    "SECRET",
    "file:///a.ts",
    "srt://:9000",
  ]);
  assert.equal(a.chunk, 188);
  assert.equal(a.realtime, true);
  assert.equal(a.statsOut, "/tmp/s.csv");
  assert.equal(a.timeoutS, 2.5);
  assert.equal(a.verbosity, 0);
  assert.equal(a.passphraseEnv, "SECRET");
  assert.equal(parseArgs(["-v", "-", "-"]).verbosity, 2);
});

test("parseArgs() recognises inspect, --help and --version", () => {
  const i = parseArgs(["inspect", "--json", "-s", "1000", "srt://:9000"]);
  assert.equal(i.command, "inspect");
  assert.equal(i.input, "srt://:9000");
  assert.equal(i.json, true);
  assert.equal(parseArgs(["-h"]).command, "help");
  assert.equal(parseArgs(["--help", "x"]).command, "help");
  assert.equal(parseArgs(["--version"]).command, "version");
});

test("parseArgs() rejects bad command lines with a UsageError naming the problem", () => {
  const cases: [string[], RegExp][] = [
    [[], /expected an input and an output URI, got 0/],
    [["-"], /got 1 argument/],
    [["-", "-", "-"], /unexpected argument "-"/],
    [["--nope", "-", "-"], /unknown option "--nope"/],
    [["-s", "x", "-", "-"], /--stats-every: expected an integer/],
    [["-s"], /-s needs a value/],
    [["-chunk", "0", "-", "-"], /-chunk: must be in 1\.\.65536/],
    [["-t", "soon", "-", "-"], /--timeout: expected a number/],
    [["-pf", "xml", "-", "-"], /json, csv or text/],
    [["-v", "-q", "-", "-"], /cannot be combined/],
    [["--passphrase-env", "A", "--passphrase-file", "B", "-", "-"], /cannot be combined/],
    [["--json", "-", "-"], /--json applies to tsrt inspect/],
    [["inspect"], /inspect needs an input URI/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseArgs(argv), (e: unknown) => {
      assert.ok(e instanceof UsageError, `${argv.join(" ")}: ${e}`);
      assert.match((e as Error).message, message);
      return true;
    });
  }
});

test("parseArgs() ignores -- (deno task passes it on)", () => {
  const a = parseArgs(["--", "-v", "udp://:5000", "--", "-"]);
  assert.equal(a.verbosity, 2);
  assert.equal(a.input, "udp://:5000");
  assert.equal(a.output, "-");
});
