/**
 * `file://` inputs and outputs, and the standard streams (`file://con` or `-`).
 *
 * @module
 */

import { createWriteStream, type WriteStream } from "node:fs";
import { open } from "node:fs/promises";
import process from "node:process";
import type { Sink, Source } from "./media_io.ts";

/** How many chunks are read from a file at once. */
const CHUNKS_PER_READ = 64;

/**
 * Opens a file input, read in chunks of `chunk` bytes (the last may be shorter).
 *
 * @param label the URI text
 * @param path the file
 * @param chunk chunk size in bytes
 * @returns the source
 * @throws {Error} when the file cannot be opened
 */
export async function openFileSource(label: string, path: string, chunk: number): Promise<Source> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (e) {
    throw new Error(`${label}: cannot open for reading: ${(e as Error).message}`, { cause: e });
  }
  let closed = false;
  return {
    label,
    failure: undefined,
    async *chunks() {
      while (!closed) {
        // A fresh buffer per read: chunks handed out are never written to again.
        const buf = new Uint8Array(chunk * CHUNKS_PER_READ);
        const { bytesRead } = await handle.read(buf, 0, buf.length, null);
        if (bytesRead === 0) return;
        for (let off = 0; off < bytesRead; off += chunk) {
          yield buf.subarray(off, Math.min(off + chunk, bytesRead));
        }
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

/**
 * Regroups arbitrary pieces into chunks of exactly `size` bytes (the last may be shorter).
 *
 * @param pieces the input pieces
 * @param size chunk size
 * @returns the chunks
 */
export async function* rechunk(
  pieces: AsyncIterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array = new Uint8Array(0);
  for await (const raw of pieces) {
    let piece: Uint8Array = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    if (carry.length > 0) {
      const joined = new Uint8Array(carry.length + piece.length);
      joined.set(carry);
      joined.set(piece, carry.length);
      piece = joined;
      carry = new Uint8Array(0);
    } else {
      piece = piece.slice();
    }
    let off = 0;
    for (; off + size <= piece.length; off += size) yield piece.subarray(off, off + size);
    if (off < piece.length) carry = piece.subarray(off);
  }
  if (carry.length > 0) yield carry;
}

/**
 * Opens standard input, in chunks of `chunk` bytes.
 *
 * @param label the URI text
 * @param chunk chunk size in bytes
 * @returns the source
 */
export function openStdinSource(label: string, chunk: number): Source {
  return {
    label,
    failure: undefined,
    chunks: () => rechunk(process.stdin as AsyncIterable<Uint8Array>, chunk),
    close() {
      process.stdin.pause();
      return Promise.resolve();
    },
  };
}

function streamSink(label: string, stream: NodeJS.WritableStream, end: () => Promise<void>): Sink {
  let failure: Error | undefined;
  let endSink!: () => void;
  const ended = new Promise<void>((r) => (endSink = r));
  stream.on("error", (e: Error) => {
    failure ??= new Error(`${label}: ${e.message}`, { cause: e });
    endSink();
  });
  let closed = false;
  return {
    label,
    ended,
    get failure() {
      return failure;
    },
    write(chunk) {
      if (failure) return;
      if (!stream.write(chunk)) {
        return new Promise<void>((resolve) => {
          const done = (): void => {
            stream.off("drain", done);
            stream.off("error", done);
            resolve();
          };
          stream.on("drain", done);
          stream.on("error", done);
        });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await end();
    },
  };
}

/**
 * Opens a file output (created or truncated).
 *
 * @param label the URI text
 * @param path the file
 * @returns the sink
 * @throws {Error} when the file cannot be created
 */
export async function openFileSink(label: string, path: string): Promise<Sink> {
  const stream: WriteStream = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once(
      "error",
      (e) => reject(new Error(`${label}: cannot open for writing: ${e.message}`, { cause: e })),
    );
  });
  return streamSink(label, stream, () =>
    new Promise<void>((resolve) => {
      if (stream.destroyed) return resolve();
      stream.end(() => resolve());
    }));
}

/**
 * Opens standard output.
 *
 * @param label the URI text
 * @returns the sink
 */
export function openStdoutSink(label: string): Sink {
  const out = process.stdout;
  return streamSink(label, out, () =>
    new Promise<void>((resolve) => {
      // An empty write calls back once everything before it has been handed over.
      out.write(new Uint8Array(0), () => resolve());
    }));
}
