/**
 * `tsrt`: srt-live-transmit in pure TypeScript.
 *
 * ```sh
 * deno task tsrt udp://:5000 srt://127.0.0.1:9000   # or: bun cli/main.ts ...
 * ```
 *
 * @module
 */

import { createWriteStream, readFileSync } from "node:fs";
import process from "node:process";
import { createLog, type Log } from "./_log.ts";
import { type CliArgs, parseArgs, UsageError } from "./args.ts";
import { HELP, VERSION } from "./help.ts";
import { type MediaUri, parseMediaUri, withPassphrase } from "./media_uri.ts";
import { Relay } from "./relay.ts";
import { StatsReporter } from "./stats_format.ts";
import { StatusLine } from "./status_line.ts";
import { runInspect } from "./inspect.ts";
import { runServe } from "./serve.ts";

/** Process exit codes. */
export const ExitCode: { readonly OK: 0; readonly FAILURE: 1; readonly USAGE: 2 } = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
};

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/** Reads the passphrase from --passphrase-env / --passphrase-file, if one was given. */
function passphraseOf(args: CliArgs): string | undefined {
  if (args.passphraseEnv !== undefined) {
    const v = process.env[args.passphraseEnv];
    if (v === undefined) {
      throw new UsageError(
        `--passphrase-env: environment variable ${args.passphraseEnv} is not set`,
      );
    }
    return v;
  }
  if (args.passphraseFile !== undefined) {
    try {
      return readFileSync(args.passphraseFile, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      throw new UsageError(`--passphrase-file: ${(e as Error).message}`);
    }
  }
  return undefined;
}

/** Parses the input/output URIs, adding the passphrase to the SRT ones. */
function mediaUris(args: CliArgs): { input: MediaUri; output: MediaUri | undefined } {
  const pass = passphraseOf(args);
  const prep = (t: string | undefined): string | undefined =>
    t !== undefined && pass !== undefined && /^srt:\/\//i.test(t) ? withPassphrase(t, pass) : t;
  const texts = [args.input, args.output].filter((t) => t !== undefined);
  if (pass !== undefined && !texts.some((t) => /^srt:\/\//i.test(t))) {
    throw new UsageError("a passphrase was given but there is no srt:// URI");
  }
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  const input = wrap(() => parseMediaUri(prep(args.input)!, "input"));
  const output = args.output === undefined
    ? undefined
    : wrap(() => parseMediaUri(prep(args.output)!, "output"));
  return { input, output };
}

/** Handles SIGINT/SIGTERM: the first aborts cleanly, a second one exits at once. */
function onSignals(log: Log, abort: () => void): () => void {
  let count = 0;
  const handler = (sig: string): void => {
    count++;
    if (count === 1) {
      log.info(`${sig}: stopping`);
      abort();
    } else {
      log.error(`${sig} again: exiting without waiting`);
      process.exit(ExitCode.OK);
    }
  };
  const onInt = () => handler("SIGINT");
  const onTerm = () => handler("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
}

/** Starts the live status line and the periodic statistics; returns a stop function. */
function startReporting(args: CliArgs, relay: Relay, log: Log): () => Promise<void> {
  const timers: ReturnType<typeof setInterval>[] = [];
  const tty = process.stderr.isTTY === true;
  let statusShown = false;
  if ((tty && args.verbosity >= 1) || args.verbosity >= 2) {
    const line = new StatusLine();
    const clear = (): void => {
      if (statusShown) process.stderr.write("\r\x1b[K");
      statusShown = false;
    };
    if (tty) log.beforeWrite = clear;
    timers.push(setInterval(() => {
      const text = line.format({
        nowMs: performance.now(),
        bytes: relay.bytes,
        stats: relay.srt?.stats(),
        side: relay.srtSide,
      }, !tty);
      if (tty) {
        process.stderr.write(`\r${text.slice(0, (process.stderr.columns ?? 120) - 1)}\x1b[K`);
        statusShown = true;
      } else process.stderr.write(`tsrt: status: ${text}\n`);
    }, tty ? 250 : 1000));
  }
  let statsOut: NodeJS.WritableStream | undefined;
  if (args.statsEveryMs !== undefined) {
    const reporter = new StatsReporter(args.statsFormat);
    statsOut = args.statsOut === undefined ? undefined : createWriteStream(args.statsOut);
    statsOut?.on("error", (e: Error) => log.error(`--stats-out: ${e.message}`));
    timers.push(setInterval(() => {
      const s = relay.srt?.stats();
      if (!s) return;
      const text = reporter.format(s, performance.now());
      if (statsOut) statsOut.write(text);
      else {
        log.beforeWrite?.();
        process.stderr.write(text);
      }
    }, args.statsEveryMs));
  }
  return async () => {
    for (const t of timers) clearInterval(t);
    if (statusShown) process.stderr.write("\r\x1b[K");
    log.beforeWrite = undefined;
    if (statsOut) await new Promise<void>((r) => statsOut!.end(() => r()));
  };
}

/**
 * Runs `tsrt` with the given arguments.
 *
 * @param argv the arguments, without the program name
 * @returns the exit code: 0 done or interrupted, 1 failure, 2 usage error
 */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "serve") return await runServe(argv.slice(1));
  let args: CliArgs;
  let uris: { input: MediaUri; output: MediaUri | undefined };
  try {
    args = parseArgs(argv);
    if (args.command === "help") {
      await write(process.stdout, HELP);
      return ExitCode.OK;
    }
    if (args.command === "version") {
      await write(process.stdout, `tsrt ${VERSION}\n`);
      return ExitCode.OK;
    }
    uris = mediaUris(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    await write(process.stderr, `tsrt: ${e.message}\nRun "tsrt --help" for usage.\n`);
    return ExitCode.USAGE;
  }
  const log = createLog(args.verbosity);
  const ac = new AbortController();
  const offSignals = onSignals(log, () => ac.abort());
  const timeout = args.timeoutS === undefined ? undefined : setTimeout(() => {
    log.info(`timeout (${args.timeoutS} s): stopping`);
    ac.abort();
  }, args.timeoutS * 1000);
  try {
    if (args.command === "inspect") {
      return await runInspect(uris.input, args, log, ac.signal);
    }
    if (
      !args.realtime && uris.output?.kind === "srt" &&
      (uris.input.kind === "file" || uris.input.kind === "stdio")
    ) {
      log.verbose("file input is sent as fast as it is read; --realtime paces it by its PCR");
    }
    const relay = new Relay({
      input: uris.input,
      output: uris.output!,
      chunk: args.chunk,
      realtime: args.realtime,
      autoReconnect: args.autoReconnect,
      log,
      signal: ac.signal,
    });
    const stopReporting = startReporting(args, relay, log);
    const r = await relay.run();
    await stopReporting();
    if (r.failure) {
      log.error(r.failure.message);
      return ExitCode.FAILURE;
    }
    log.info(
      `${r.interrupted ? "stopped" : "done"}: ${r.bytes} bytes in ${r.chunks} chunks`,
    );
    return ExitCode.OK;
  } finally {
    if (timeout !== undefined) clearTimeout(timeout);
    offSignals();
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`tsrt: internal error: ${(e as Error)?.stack ?? e}\n`);
      process.exit(ExitCode.FAILURE);
    },
  );
}
