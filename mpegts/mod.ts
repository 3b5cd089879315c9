/**
 * MPEG-TS toolkit: a streaming demultiplexer for byte chunks of any size (SRT delivers
 * 7 x 188 = 1316 bytes), with PSI/SI tables, PES reassembly, codec detection, access-unit
 * and audio-frame assembly, SCTE-35 and an ETSI TR 101 290 monitor.
 *
 * @example
 * ```ts
 * import { FrameAssembler, TsDemuxer } from "./mod.ts";
 * const demux = new TsDemuxer();
 * new FrameAssembler({ onFrame: (f) => console.log(f.pid, f.codec, f.pts) }).attach(demux);
 * demux.push(new Uint8Array(1316), performance.now());
 * ```
 *
 * @module
 */

export * from "./crc32.ts";
export * from "./packet.ts";
export * from "./packet_reader.ts";
export * from "./section_assembler.ts";
export * from "./descriptors.ts";
export * from "./psi.ts";
export * from "./pes.ts";
export * from "./stream_type.ts";
export * from "./nal.ts";
export * from "./h264.ts";
export * from "./h265.ts";
export * from "./audio_frame.ts";
export * from "./adts.ts";
export * from "./latm.ts";
export * from "./ac3.ts";
export * from "./mpeg_audio.ts";
export * from "./opus.ts";
export * from "./scte35.ts";
export * from "./demuxer.ts";
export * from "./frame_assembler.ts";
export * from "./monitor.ts";
