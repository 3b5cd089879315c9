/**
 * Messages to stderr for the command line, aware of the live status line.
 *
 * @module
 */

import process from "node:process";

/** Where the CLI's messages go. */
export interface Log {
  /** 0 quiet, 1 normal, 2 verbose. */
  readonly verbosity: number;
  /** Normal messages (hidden by -q). */
  info(message: string): void;
  /** Detail shown with -v. */
  verbose(message: string): void;
  /** Errors and warnings, always shown. */
  error(message: string): void;
  /** Called before each message, e.g. to clear a status line. */
  beforeWrite: (() => void) | undefined;
}

/**
 * Creates a logger writing `tsrt: message` lines to stderr.
 *
 * @param verbosity 0 quiet, 1 normal, 2 verbose
 * @param write where lines go (default stderr)
 * @returns the logger
 */
export function createLog(
  verbosity: number,
  write: (line: string) => void = (l) => process.stderr.write(l),
): Log {
  const log: Log = {
    verbosity,
    beforeWrite: undefined,
    info: (m) => {
      if (verbosity >= 1) emit(m);
    },
    verbose: (m) => {
      if (verbosity >= 2) emit(m);
    },
    error: (m) => emit(m),
  };
  function emit(m: string): void {
    log.beforeWrite?.();
    write(`tsrt: ${m}\n`);
  }
  return log;
}
