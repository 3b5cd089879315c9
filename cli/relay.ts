/**
 * The relay at the heart of `tsrt <input> <output>`: opens the output, then reads the input
 * and writes every chunk to the output until the input ends, the output goes away, or the
 * run is aborted (signal, timeout); then closes both, the output last so that it is flushed
 * (an SRT output lingers until the peer has acknowledged the tail, then sends SHUTDOWN).
 *
 * @module
 */

import type { Log } from "./_log.ts";
import { openFileSink, openFileSource, openStdinSource, openStdoutSink } from "./file_io.ts";
import type { Sink, Source, SrtStatsSource } from "./media_io.ts";
import { type MediaUri, redactSecrets } from "./media_uri.ts";
import { pace } from "./pcr_clock.ts";
import { openSrtSink, openSrtSource } from "./srt_io.ts";
import { openGroupListenerSource, openGroupSink, openGroupSource } from "./srt_group_io.ts";
import { openUdpSink, openUdpSource } from "./udp_io.ts";

/** srt-live-transmit's default chunk: 7 MPEG-TS packets, SRT's default payload size. */
export const DEFAULT_CHUNK = 1316;

/** Options of {@linkcode Relay}. */
export interface RelayOptions {
  /** Where to read: a URI, or a ready source. */
  input: MediaUri | Source;
  /** Where to write: a URI, or a ready sink. */
  output: MediaUri | Sink;
  /** Bytes per chunk read from files and stdin; default the SRT output's payload size or 1316. */
  chunk?: number;
  /** Pace file, stdin and ready-made (in-memory) input by its PCR. */
  realtime?: boolean;
  /** Reconnect SRT callers (and accept again on listeners) when a connection drops. */
  autoReconnect?: boolean;
  /** Messages. */
  log: Log;
  /** Ends the run cleanly (SIGINT, SIGTERM, timeout). */
  signal: AbortSignal;
}

/** How a run ended. */
export interface RelayResult {
  /** Bytes relayed. */
  readonly bytes: number;
  /** Chunks relayed. */
  readonly chunks: number;
  /** Set when the run failed (connection rejected or lost, file error...). */
  readonly failure: Error | undefined;
  /** Whether the run was ended by its signal. */
  readonly interrupted: boolean;
}

function isSource(x: MediaUri | Source): x is Source {
  return "chunks" in x;
}

function isSink(x: MediaUri | Sink): x is Sink {
  return "write" in x;
}

/** One relay run. Read its counters and SRT connections while it runs. */
export class Relay {
  /** Bytes relayed so far. */
  bytes = 0;
  /** Chunks relayed so far. */
  chunks = 0;
  /** The opened input. */
  source: Source | undefined;
  /** The opened output. */
  sink: Sink | undefined;
  readonly #o: RelayOptions;

  /** @param options what to relay, and how */
  constructor(options: RelayOptions) {
    this.#o = options;
  }

  /** The SRT connection of the output, else of the input, while there is one. */
  get srt(): SrtStatsSource | undefined {
    return this.sink?.srt ?? this.source?.srt;
  }

  /** Which side {@linkcode Relay.srt} belongs to. */
  get srtSide(): "input" | "output" | undefined {
    return this.sink?.srt ? "output" : this.source?.srt ? "input" : undefined;
  }

  /**
   * Runs until the input ends, the output ends, or the signal aborts.
   *
   * @returns how it ended; failures are reported in the result, not thrown
   */
  async run(): Promise<RelayResult> {
    const o = this.#o;
    const result = (failure?: Error): RelayResult => ({
      bytes: this.bytes,
      chunks: this.chunks,
      failure,
      interrupted: o.signal.aborted,
    });
    const aborted = new Promise<"abort">((resolve) => {
      if (o.signal.aborted) resolve("abort");
      o.signal.addEventListener("abort", () => resolve("abort"), { once: true });
    });
    try {
      const sink = await Promise.race([this.#openSink(), aborted]);
      if (sink === "abort" || sink === undefined) return result();
      this.sink = sink;
      this.source = await this.#openSource();
    } catch (e) {
      await this.#closeAll();
      return result(e instanceof Error ? e : new Error(String(e)));
    }
    const source = this.source;
    const sink = this.sink;
    o.log.info(`relaying ${redactSecrets(source.label)} -> ${redactSecrets(sink.label)}`);
    const timed = o.realtime &&
      (isSource(o.input) || o.input.kind === "file" || o.input.kind === "stdio");
    const chunks = timed
      ? pace(source.chunks(), {
        signal: o.signal,
        onNoPcr: () => o.log.error("--realtime: no MPEG-TS PCR found; sending unpaced"),
      })
      : source.chunks();
    const it = chunks[Symbol.asyncIterator]();
    const sinkEnded = sink.ended.then(() => "ended" as const);
    let failure: Error | undefined;
    try {
      while (true) {
        const r = await Promise.race([it.next(), aborted, sinkEnded]);
        if (r === "abort" || r === "ended" || r.done) break;
        this.bytes += r.value.length;
        this.chunks++;
        const w = sink.write(r.value);
        if (w) {
          const rw = await Promise.race([w.then(() => "ok" as const), aborted, sinkEnded]);
          if (rw !== "ok") break;
        }
      }
    } catch (e) {
      failure = e instanceof Error ? e : new Error(String(e));
    }
    void it.return?.();
    await this.#closeAll();
    return result(failure ?? source.failure ?? sink.failure);
  }

  async #closeAll(): Promise<void> {
    try {
      await this.source?.close();
    } finally {
      await this.sink?.close();
    }
  }

  #chunkSize(): number {
    const o = this.#o;
    if (o.chunk !== undefined) return o.chunk;
    if (!isSink(o.output) && o.output.kind === "srt") {
      return o.output.srt.options.payloadSize ?? DEFAULT_CHUNK;
    }
    return DEFAULT_CHUNK;
  }

  #srtOptions() {
    return {
      autoReconnect: this.#o.autoReconnect ?? false,
      log: this.#o.log,
      signal: this.#o.signal,
    };
  }

  #openSink(): Promise<Sink | undefined> {
    const out = this.#o.output;
    if (isSink(out)) return Promise.resolve(out);
    switch (out.kind) {
      case "srt":
        return openSrtSink(out.text, out.srt, this.#srtOptions());
      case "srt-group":
        return openGroupSink(out.text, out.group, this.#srtOptions());
      case "udp":
        return openUdpSink(out.text, out);
      case "file":
        return openFileSink(out.text, out.path);
      case "stdio":
        return Promise.resolve(openStdoutSink(out.text));
    }
  }

  async #openSource(): Promise<Source> {
    const inp = this.#o.input;
    if (isSource(inp)) return inp;
    switch (inp.kind) {
      case "srt":
        if (inp.srt.mode === "listener" && inp.srt.options.groupConnect) {
          return openGroupListenerSource(inp.text, inp.srt, this.#srtOptions());
        }
        return openSrtSource(inp.text, inp.srt, this.#srtOptions());
      case "srt-group":
        return openGroupSource(inp.text, inp.group, this.#srtOptions());
      case "udp":
        return await openUdpSource(inp.text, inp);
      case "file":
        return await openFileSource(inp.text, inp.path, this.#chunkSize());
      case "stdio":
        return openStdinSource(inp.text, this.#chunkSize());
    }
  }
}
