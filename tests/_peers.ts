/**
 * Private test helper: drive real SRT peers (srt-live-transmit, ffmpeg) and tshark from tests.
 *
 * Works under Deno and Bun: processes go through `node:child_process`, which both runtimes
 * implement, and `node:dgram` is used only to probe for a free port.
 *
 * Peer availability contract ({@link requirePeer}):
 * - peer installed: its path is returned and the test runs;
 * - peer missing, `CI` unset: `undefined` is returned and the test must call `t.skip()`;
 * - peer missing, `CI` set: it throws, so the test FAILS instead of silently skipping.
 *
 * `TSRT_HIDE_PEERS=name,name` makes {@link requirePeer} treat those peers as missing, to check
 * the skip/fail behaviour on a machine that has them.
 *
 * @module
 */

import { AssertionError } from "node:assert";
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";

/** The external programs the interop tests know how to find. */
export type PeerName = "srt-live-transmit" | "ffmpeg" | "tshark" | "ffprobe";

/**
 * Finds an executable on `PATH` (then `/usr/bin`, `/usr/local/bin`).
 *
 * @param name program name, without a directory
 * @returns the absolute path, or `undefined` when it is not installed
 */
export function findExecutable(name: string): string | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  dirs.push("/usr/bin", "/usr/local/bin");
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Locates a real peer program for an interop test.
 *
 * Contract: returns the path when the program exists. When it is missing, it returns
 * `undefined` (the caller must then `t.skip()`), except when the `CI` environment variable is set:
 * then it throws, so that a CI machine without the peer fails loudly instead of passing on skips.
 *
 * @param name which peer is needed
 * @returns the executable's path, or `undefined` outside CI when it is missing
 * @throws Error when `CI` is set and the peer is not installed
 */
export function requirePeer(name: PeerName): string | undefined {
  const hidden = (process.env.TSRT_HIDE_PEERS ?? "").split(",").map((n) => n.trim());
  const path = hidden.includes(name) ? undefined : findExecutable(name);
  if (path !== undefined) return path;
  if (process.env.CI !== undefined && process.env.CI !== "") {
    throw new Error(
      `interop peer "${name}" is not installed but CI is set: install it ` +
        `(Debian: srt-tools for srt-live-transmit, ffmpeg for ffmpeg/ffprobe, tshark for tshark)`,
    );
  }
  return undefined;
}

/** The result of {@link locatePeers}: paths, and whether tests needing them skip or fail. */
export interface PeerSet {
  /** Paths of the peers that were found. */
  readonly paths: Readonly<Partial<Record<PeerName, string>>>;
  /**
   * Pass as `test(name, { skip: peers.skip }, fn)`: a reason string when a peer is missing and
   * `CI` is unset (the test is reported as skipped/ignored), otherwise `false`.
   */
  readonly skip: string | false;
  /** Set when a peer is missing and `CI` is set; {@link PeerSet.get} throws it. */
  readonly error: Error | undefined;
  /**
   * The path of a peer, for use inside the test body. Throws the CI error (so the test fails)
   * or a plain error when the peer was not located.
   *
   * @param name the peer
   * @returns its path
   */
  get(name: PeerName): string;
}

/**
 * Locates several peers at module load, for `test(name, { skip: peers.skip }, fn)`.
 * Same contract as {@link requirePeer}: outside CI a missing peer makes the tests skip (Deno
 * reports them "ignored", Bun "skip"); in CI the tests run and fail in `get()` with a clear
 * message. Prefer this to `t.skip()`, which Deno's node:test reports as "ok".
 *
 * @param names the peers the tests need
 * @returns the peer set
 */
export function locatePeers(...names: PeerName[]): PeerSet {
  const paths: Partial<Record<PeerName, string>> = {};
  let error: Error | undefined;
  const missing: PeerName[] = [];
  for (const name of names) {
    try {
      const path = requirePeer(name);
      if (path === undefined) missing.push(name);
      else paths[name] = path;
    } catch (err) {
      error ??= err as Error;
    }
  }
  return {
    paths,
    skip: error === undefined && missing.length > 0
      ? `not installed: ${missing.join(", ")}`
      : false,
    error,
    get(name: PeerName): string {
      if (error !== undefined) throw error;
      const path = paths[name];
      if (path === undefined) throw new Error(`peer "${name}" was not located`);
      return path;
    },
  };
}

/**
 * Returns a UDP port that was free a moment ago on 127.0.0.1 (bind port 0, read it, close).
 *
 * @returns the port number
 */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    sock.once("error", (err: Error) => {
      sock.close();
      reject(err);
    });
    sock.bind(0, "127.0.0.1", () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/**
 * Returns `count` distinct free UDP ports.
 *
 * @param count how many ports
 * @returns the ports, all different
 */
export async function freeUdpPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freeUdpPort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** How a peer process ended. */
export interface PeerExit {
  /** Exit code, or `null` when it was ended by a signal. */
  code: number | null;
  /** The signal that ended it, or `null`. */
  signal: string | null;
}

/** Options for {@link spawnPeer}. */
export interface SpawnPeerOptions {
  /** Called with each chunk of standard output, decoded as UTF-8. */
  onStdout?: (chunk: string) => void;
  /** Called with each chunk of standard error, decoded as UTF-8. */
  onStderr?: (chunk: string) => void;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * Whether {@link stopAllPeers} should stop this process (default true). Captures opt out, so
   * that stopping the peers first lets tshark record their last packets (e.g. SHUTDOWN).
   */
  track?: boolean;
}

/** A running peer process. */
export interface PeerProcess extends AsyncDisposable {
  /** The command line, for messages. */
  readonly command: string;
  /** Process id. */
  readonly pid: number | undefined;
  /** Everything written to standard output so far. */
  readonly stdout: string;
  /** Everything written to standard error so far. */
  readonly stderr: string;
  /** Standard output and standard error, interleaved in arrival order. */
  readonly output: string;
  /** Resolves once, when the process has exited. */
  readonly exited: Promise<PeerExit>;
  /** The exit status once it has exited, otherwise `undefined`. */
  readonly exitStatus: PeerExit | undefined;
  /**
   * Waits until the combined output matches `pattern` (output already seen counts).
   * Rejects on timeout or when the process exits first; the message includes the output.
   *
   * @param pattern what to wait for
   * @param timeoutMs how long to wait
   * @returns the match
   */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /**
   * Resolves when the process writes more output (true), exits or `timeoutMs` passes (false).
   *
   * @param timeoutMs upper bound
   * @returns whether new output arrived
   */
  nextOutput(timeoutMs: number): Promise<boolean>;
  /**
   * Sends a signal (default `SIGTERM`) if the process is still running.
   *
   * @param signal signal name
   */
  kill(signal?: NodeJS.Signals): void;
  /**
   * Ends the process: sends `signal` (default `SIGINT`), then `SIGKILL` after `graceMs`
   * (default 2000). Safe to call many times and after exit.
   *
   * @returns how it exited
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<PeerExit>;
}

const running = new Set<PeerProcess>();

/**
 * Starts an external program with piped output.
 *
 * Every process started here is tracked until it exits; {@link stopAllPeers} ends the ones still
 * running, and each handle also supports `await using` and `stop()` in a `finally`.
 *
 * @param cmd executable path
 * @param args arguments
 * @param options output callbacks and environment
 * @returns the process handle
 */
export function spawnPeer(
  cmd: string,
  args: readonly string[],
  options: SpawnPeerOptions = {},
): PeerProcess {
  const child: ChildProcess = spawn(cmd, [...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
  let stdout = "";
  let stderr = "";
  let output = "";
  let exitStatus: PeerExit | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };

  const exited = new Promise<PeerExit>((resolve) => {
    let done = false;
    const finish = (status: PeerExit): void => {
      if (done) return;
      done = true;
      exitStatus = status;
      running.delete(handle);
      notify();
      resolve(status);
    };
    child.once("error", (err: Error) => {
      output += `\n[spawn error] ${err.message}\n`;
      finish({ code: -1, signal: null });
    });
    child.once("close", (code: number | null, signal: string | null) => {
      finish({ code, signal });
    });
  });

  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    stdout += chunk;
    output += chunk;
    options.onStdout?.(chunk);
    notify();
  });
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
    output += chunk;
    options.onStderr?.(chunk);
    notify();
  });

  const command = [cmd, ...args].join(" ");

  const waitFor = (pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = output.match(pattern);
        if (m) {
          cleanup();
          resolve(m);
        } else if (exitStatus !== undefined) {
          cleanup();
          reject(
            new Error(
              `${command} exited (${JSON.stringify(exitStatus)}) before printing ${pattern}; ` +
                `output:\n${output}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timeout (${timeoutMs} ms) waiting for ${pattern} from ${command}; output:\n${output}`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const nextOutput = (timeoutMs: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (exitStatus !== undefined) return resolve(false);
      const start = output.length;
      const check = (): void => {
        if (output.length > start || exitStatus !== undefined) {
          clearTimeout(timer);
          listeners.delete(check);
          resolve(output.length > start);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        resolve(false);
      }, timeoutMs);
      listeners.add(check);
    });

  const kill = (signal: NodeJS.Signals = "SIGTERM"): void => {
    if (exitStatus === undefined) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  };

  const stop = async (signal: NodeJS.Signals = "SIGINT", graceMs = 2000): Promise<PeerExit> => {
    if (exitStatus !== undefined) return exitStatus;
    kill(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        kill("SIGKILL");
        resolve();
      }, graceMs);
    });
    await Promise.race([exited, forced]);
    clearTimeout(timer);
    return await exited;
  };

  const handle: PeerProcess = {
    command,
    pid: child.pid,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get output() {
      return output;
    },
    exited,
    get exitStatus() {
      return exitStatus;
    },
    waitFor,
    nextOutput,
    kill,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
  if (options.track !== false) running.add(handle);
  return handle;
}

/**
 * Stops every process started by {@link spawnPeer} that is still running, except tshark
 * captures (stop those with {@link Capture.stop} / {@link Capture.remove}). Use in a `finally`.
 *
 * @returns once they have all exited
 */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** A running tshark capture on the loopback interface. */
export interface Capture extends AsyncDisposable {
  /** Where the pcap is being written. */
  readonly pcapPath: string;
  /** The UDP ports being captured (not counting the sync-marker port). */
  readonly ports: readonly number[];
  /** The extra UDP port the sync markers are sent to (captured too; never SRT). */
  readonly markerPort: number;
  /** The tshark process. */
  readonly process: PeerProcess;
  /**
   * Makes sure every packet sent before the call is in the file (sends a final sync marker and
   * waits until tshark has seen it), then stops tshark with SIGINT and returns the pcap path.
   *
   * @returns the pcap path
   */
  stop(): Promise<string>;
  /** Stops tshark if needed and deletes the temporary directory holding the pcap. */
  remove(): Promise<void>;
}

function sendMarker(port: number): Promise<void> {
  return new Promise((resolve) => {
    const sock = createSocket("udp4");
    sock.once("error", () => {
      sock.close();
      resolve();
    });
    sock.send(new TextEncoder().encode("tsrt-capture-sync"), port, "127.0.0.1", () => {
      sock.close(() => resolve());
    });
  });
}

/**
 * Starts `tshark -i lo -w <tmp.pcap> -f "udp port P or …"` and resolves only once tshark is
 * really capturing. tshark prints "Capturing on 'Loopback: lo'" slightly before dumpcap's filter
 * is live, so the helper also captures a spare "marker" port and sends small UDP datagrams to it
 * until tshark's live packet summary (`-P -l`) shows one; {@link Capture.stop} does the same
 * before stopping, so the file holds every packet sent in between. Marker packets never touch
 * the SRT ports, and {@link decodeSrt} ignores them.
 *
 * @param port the UDP port(s) to capture
 * @param tsharkPath tshark executable (default: found on PATH)
 * @returns the capture handle
 */
export async function startCapture(port: number | number[], tsharkPath?: string): Promise<Capture> {
  const tshark = tsharkPath ?? findExecutable("tshark");
  if (tshark === undefined) throw new Error("tshark is not installed");
  const ports = Array.isArray(port) ? [...port] : [port];
  let markerPort = await freeUdpPort();
  while (ports.includes(markerPort)) markerPort = await freeUdpPort();
  const dir = await mkdtemp(join(tmpdir(), "tsrt-cap-"));
  const pcapPath = join(dir, "capture.pcap");
  const filter = [...ports, markerPort].map((p) => `udp port ${p}`).join(" or ");
  const markerLine = new RegExp(`(?:\u2192|->) ${markerPort}\\b`, "g");
  const proc = spawnPeer(tshark, ["-i", "lo", "-n", "-l", "-P", "-w", pcapPath, "-f", filter], {
    track: false,
  });
  const markersSeen = (): number => (proc.stdout.match(markerLine) ?? []).length;
  /** Sends markers until tshark shows more than `before` of them. */
  const sync = async (before: number, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (markersSeen() <= before) {
      if (proc.exitStatus !== undefined) {
        throw new Error(`tshark exited (${JSON.stringify(proc.exitStatus)}):\n${proc.output}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `tshark did not show a sync marker within ${timeoutMs} ms:\n${proc.output}`,
        );
      }
      await sendMarker(markerPort);
      // Wait for tshark output or 100 ms, whichever is first (not a sleep: output ends it early).
      await proc.nextOutput(100);
    }
  };
  try {
    await proc.waitFor(/Capturing on /, 10_000);
    await sync(0, 10_000);
  } catch (err) {
    await proc.stop("SIGKILL", 0);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const stop = async (): Promise<string> => {
    if (proc.exitStatus === undefined) {
      await sync(markersSeen(), 10_000);
      await proc.stop("SIGINT", 5000);
    }
    return pcapPath;
  };
  return {
    pcapPath,
    ports,
    markerPort,
    process: proc,
    stop,
    remove: async () => {
      // SIGTERM, not SIGKILL: tshark then also stops its dumpcap child.
      await proc.stop("SIGTERM", 2000);
      await rm(dir, { recursive: true, force: true });
    },
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

/** One expert-info item tshark attached to a packet. */
export interface ExpertInfo {
  /** `_ws.expert.message`. */
  message: string;
  /** `_ws.expert.severity` as tshark prints it (e.g. 4194304 = note, 6291456 = warn, 8388608 = error). */
  severity: number;
  /** `_ws.expert.group`. */
  group: number;
  /** The protocol layer under which the item sat (e.g. `srt`, `udp`). */
  layer: string;
}

/** Expert severities (epan/proto.h PI_*). */
export const EXPERT_SEVERITY: {
  readonly comment: number;
  readonly chat: number;
  readonly note: number;
  readonly warn: number;
  readonly error: number;
} = {
  comment: 0x00100000,
  chat: 0x00200000,
  note: 0x00400000,
  warn: 0x00600000,
  error: 0x00800000,
};

/** One UDP packet from a capture, with tshark's SRT decoding. */
export interface SrtDecodedPacket {
  /** Frame number in the pcap (1-based). */
  frame: number;
  /** Seconds since the first captured frame. */
  time: number;
  /** UDP source port. */
  srcPort: number;
  /** UDP destination port. */
  dstPort: number;
  /** The UDP payload (the whole SRT packet), lowercase hex. */
  hex: string;
  /** Whether tshark produced an `srt` layer at all. */
  dissected: boolean;
  /**
   * Every `srt.*` field tshark produced, by field name; repeated fields become arrays
   * (tshark `--no-duplicate-keys`). Values are tshark's display strings.
   */
  fields: Record<string, string | string[]>;
  /** Whether tshark marked the packet malformed (`_ws.malformed`). */
  malformed: boolean;
  /** Expert-info items (`_ws.expert`) on the packet, any layer. */
  expert: ExpertInfo[];
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

function walkLayer(
  value: JsonValue,
  layer: string,
  out: { fields: Record<string, string | string[]>; expert: ExpertInfo[]; malformed: boolean },
): void {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const v of value) walkLayer(v, layer, out);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith("_ws.malformed")) out.malformed = true;
    if (key === "_ws.expert") {
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) {
        if (item !== null && typeof item === "object" && !Array.isArray(item)) {
          const msg = item["_ws.expert.message"];
          out.expert.push({
            message: typeof msg === "string" ? msg : String(msg ?? ""),
            severity: Number(item["_ws.expert.severity"] ?? 0),
            group: Number(item["_ws.expert.group"] ?? 0),
            layer,
          });
          if (item["_ws.malformed.expert"] !== undefined) out.malformed = true;
        }
      }
      continue;
    }
    if (layer === "srt" && key.startsWith("srt.") && !key.endsWith("_tree")) {
      if (typeof v === "string") out.fields[key] = v;
      else if (Array.isArray(v) && v.every((x) => typeof x === "string")) {
        out.fields[key] = v as string[];
      }
    }
    if (typeof v === "object") walkLayer(v, layer, out);
  }
}

function firstString(v: JsonValue | undefined): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && typeof v[0] === "string") return v[0];
  return undefined;
}

/**
 * Runs a command to completion and returns its standard output.
 *
 * @param cmd executable
 * @param args arguments
 * @param timeoutMs kill it after this long
 * @returns standard output
 */
export async function runToCompletion(
  cmd: string,
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<string> {
  const proc = spawnPeer(cmd, args);
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const status = await proc.exited;
  clearTimeout(timer);
  if (status.code !== 0) {
    throw new Error(`${proc.command} failed (${JSON.stringify(status)}):\n${proc.stderr}`);
  }
  return proc.stdout;
}

/**
 * Decodes a pcap with tshark, treating the given UDP ports as SRT (`-d udp.port==P,srt`), and
 * returns every UDP packet with its payload, `srt.*` fields, malformed flag and expert info.
 *
 * @param pcapPath capture file
 * @param ports UDP port(s) to decode as SRT
 * @param tsharkPath tshark executable (default: found on PATH)
 * @returns the packets in capture order
 */
export async function decodeSrt(
  pcapPath: string,
  ports: number | number[],
  tsharkPath?: string,
): Promise<SrtDecodedPacket[]> {
  const tshark = tsharkPath ?? findExecutable("tshark");
  if (tshark === undefined) throw new Error("tshark is not installed");
  const list = Array.isArray(ports) ? ports : [ports];
  const display = list.map((p) => `udp.port==${p}`).join(" || ");
  const args = ["-r", pcapPath, "-n", "-T", "json", "--no-duplicate-keys", "-Y", display];
  for (const p of list) args.push("-d", `udp.port==${p},srt`);
  const text = await runToCompletion(tshark, args, 60_000);
  const frames = JSON.parse(text.trim() === "" ? "[]" : text) as JsonValue[];
  const packets: SrtDecodedPacket[] = [];
  for (const f of frames) {
    const layers = ((f as { [k: string]: JsonValue })._source as { [k: string]: JsonValue })
      .layers as { [k: string]: JsonValue };
    const frame = layers.frame as { [k: string]: JsonValue };
    const udp = layers.udp as { [k: string]: JsonValue };
    const out = {
      fields: {} as Record<string, string | string[]>,
      expert: [] as ExpertInfo[],
      malformed: false,
    };
    for (const [name, layer] of Object.entries(layers)) {
      if (name.startsWith("_ws.malformed")) out.malformed = true;
      walkLayer(layer, name, out);
    }
    packets.push({
      frame: Number(firstString(frame["frame.number"])),
      time: Number(firstString(frame["frame.time_relative"])),
      srcPort: Number(firstString(udp["udp.srcport"])),
      dstPort: Number(firstString(udp["udp.dstport"])),
      hex: (firstString(udp["udp.payload"]) ?? "").replaceAll(":", "").toLowerCase(),
      dissected: layers.srt !== undefined,
      fields: out.fields,
      malformed: out.malformed,
      expert: out.expert,
    });
  }
  return packets;
}

/** An expert-info item that is expected by design and does not make a dissection unclean. */
export interface ExpertAllowance {
  /** Matches `_ws.expert.message`. */
  message: RegExp;
  /** The highest severity tolerated for it (see {@link EXPERT_SEVERITY}). */
  maxSeverity: number;
  /** Why it is expected. */
  reason: string;
}

/**
 * Expert items tshark 4.0's SRT dissector attaches to correct libsrt traffic. Found by decoding
 * every packet of the golden-vector capture (`tests/tools/capture_golden.ts`): no libsrt
 * packet is malformed, and the only expert items are NOTE-level loss entries, one per NAK
 * loss-list entry, which the dissector always adds to report what a NAK says.
 */
export const BY_DESIGN_EXPERT: readonly ExpertAllowance[] = [
  {
    message: /^Loss sequence(?: range)?: \d+(?:-\d+)?$/,
    maxSeverity: EXPERT_SEVERITY.note,
    reason: "tshark notes each NAK loss-list entry (informational)",
  },
];

/** Options for {@link assertCleanDissection}. */
export interface CleanDissectionOptions {
  /** Tolerated expert items (default {@link BY_DESIGN_EXPERT}). */
  allowExpert?: readonly ExpertAllowance[];
  /** Fail on an empty packet list (default true). */
  requirePackets?: boolean;
}

/**
 * Describes why a packet's dissection is not clean, or returns `undefined` when it is.
 *
 * @param packet a decoded packet
 * @param allow tolerated expert items
 * @returns the problem, or `undefined`
 */
export function dissectionProblem(
  packet: SrtDecodedPacket,
  allow: readonly ExpertAllowance[] = BY_DESIGN_EXPERT,
): string | undefined {
  const problems: string[] = [];
  if (!packet.dissected || packet.fields["srt.iscontrol"] === undefined) {
    problems.push("no SRT layer");
  }
  if (packet.malformed) problems.push("malformed");
  for (const e of packet.expert) {
    const ok = allow.some((a) => a.message.test(e.message) && e.severity <= a.maxSeverity);
    if (!ok) {
      problems.push(`expert [${e.layer}, severity 0x${e.severity.toString(16)}] ${e.message}`);
    }
  }
  if (problems.length === 0) return undefined;
  return `frame ${packet.frame} ${packet.srcPort}->${packet.dstPort} ${packet.hex.slice(0, 64)}` +
    `${packet.hex.length > 64 ? "..." : ""}: ${problems.join("; ")}`;
}

/**
 * Asserts that tshark's SRT dissector decoded every packet with no malformed flag and no expert
 * info, except the by-design items in `allowExpert` (by default the NOTE-level
 * "Loss sequence…" entries tshark adds to every NAK). Any other expert item, at any severity,
 * fails, so a new kind of complaint cannot slip through.
 *
 * @param packets output of {@link decodeSrt}
 * @param options allowances
 * @throws AssertionError listing every offending packet
 */
export function assertCleanDissection(
  packets: readonly SrtDecodedPacket[],
  options: CleanDissectionOptions = {},
): void {
  const allow = options.allowExpert ?? BY_DESIGN_EXPERT;
  if ((options.requirePackets ?? true) && packets.length === 0) {
    throw new AssertionError({ message: "no packets to check (was the capture empty?)" });
  }
  const bad = packets.map((p) => dissectionProblem(p, allow)).filter((m) => m !== undefined);
  if (bad.length > 0) {
    throw new AssertionError({
      message: `tshark did not dissect ${bad.length} of ${packets.length} packets cleanly:\n` +
        bad.join("\n"),
    });
  }
}

/** A UDP socket on 127.0.0.1 that works the same under Deno, Bun and Node. */
export interface UdpSocket {
  /** The bound port. */
  readonly port: number;
  /** Every datagram received so far, in order. */
  readonly received: Uint8Array[];
  /** Called for each datagram as it arrives (with the sender's port). */
  onMessage?: (data: Uint8Array, fromPort: number) => void;
  /**
   * Sends a datagram to 127.0.0.1.
   *
   * @param data payload
   * @param port destination port
   */
  send(data: Uint8Array, port: number): Promise<void>;
  /**
   * Resolves once `count` datagrams in total have been received.
   *
   * @param count how many
   * @param timeoutMs upper bound; rejects after it
   */
  waitForCount(count: number, timeoutMs: number): Promise<void>;
  /** Closes the socket. */
  close(): void;
}

interface DenoDatagramConn {
  receive(): Promise<[Uint8Array, { port: number }]>;
  send(
    data: Uint8Array,
    addr: { transport: "udp"; hostname: string; port: number },
  ): Promise<number>;
  close(): void;
  readonly addr: { port: number };
}
interface DenoLike {
  listenDatagram?: (opts: { transport: "udp"; hostname: string; port: number }) => DenoDatagramConn;
}
interface BunUdp {
  readonly port: number;
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
}
interface BunLike {
  udpSocket?: (opts: {
    hostname: string;
    port: number;
    socket: { data(sock: BunUdp, data: Uint8Array, port: number, address: string): void };
  }) => Promise<BunUdp>;
}

/**
 * Opens a UDP socket on 127.0.0.1 with the runtime's native API: `Deno.listenDatagram` on Deno
 * (node:dgram is very slow there; needs the `net` unstable flag, which deno.json enables),
 * `Bun.udpSocket` on Bun, `node:dgram` elsewhere.
 *
 * @param port port to bind (0 = any)
 * @returns the socket
 */
export async function openUdpSocket(port = 0): Promise<UdpSocket> {
  const received: Uint8Array[] = [];
  const waiters = new Set<() => void>();
  let sock: UdpSocket;
  const deliver = (data: Uint8Array, fromPort: number): void => {
    const copy = new Uint8Array(data);
    received.push(copy);
    sock.onMessage?.(copy, fromPort);
    for (const w of [...waiters]) w();
  };
  const waitForCount = (count: number, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (received.length >= count) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`received ${received.length} of ${count} datagrams in ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  const bun = (globalThis as { Bun?: BunLike }).Bun;
  if (deno?.listenDatagram) {
    const conn = deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
    let closed = false;
    (async () => {
      while (!closed) {
        try {
          const [data, addr] = await conn.receive();
          deliver(data, addr.port);
        } catch {
          return;
        }
      }
    })();
    sock = {
      port: conn.addr.port,
      received,
      send: async (data, to) => {
        await conn.send(data, { transport: "udp", hostname: "127.0.0.1", port: to });
      },
      waitForCount,
      close: () => {
        if (!closed) {
          closed = true;
          conn.close();
        }
      },
    };
    return sock;
  }
  if (bun?.udpSocket) {
    const s = await bun.udpSocket({
      hostname: "127.0.0.1",
      port,
      socket: { data: (_s, data, fromPort) => deliver(data, fromPort) },
    });
    sock = {
      port: s.port,
      received,
      send: (data, to) => {
        s.send(data, to, "127.0.0.1");
        return Promise.resolve();
      },
      waitForCount,
      close: () => s.close(),
    };
    return sock;
  }
  const d = createSocket("udp4");
  d.on("message", (msg: Uint8Array, rinfo: { port: number }) => deliver(msg, rinfo.port));
  await new Promise<void>((resolve, reject) => {
    d.once("error", reject);
    d.bind(port, "127.0.0.1", () => resolve());
  });
  sock = {
    port: d.address().port,
    received,
    send: (data, to) =>
      new Promise((resolve, reject) => {
        d.send(data, to, "127.0.0.1", (err) => err ? reject(err) : resolve());
      }),
    waitForCount,
    close: () => d.close(),
  };
  return sock;
}
