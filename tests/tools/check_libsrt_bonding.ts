/**
 * Says whether the installed libsrt was built with bonding (socket groups), by asking the
 * library itself through Deno's FFI:
 *
 * - `srt_create_group(SRT_GTYPE_BROADCAST)` returns a group ID when bonding is built in, -1
 *   otherwise (the C API symbol exists either way);
 * - `srt_setsockflag(sock, SRTO_GROUPCONNECT = 57, 1)` succeeds only with bonding (without it,
 *   libsrt logs "OPTION: #57 UNKNOWN").
 *
 * Usage: `deno run -A tests/tools/check_libsrt_bonding.ts [/path/to/libsrt.so]`. Prints a
 * JSON line and exits 0 either way (this is a probe, not a test). Debian 12's libsrt 1.5.1
 * (`libsrt1.5-gnutls 1.5.1-1+deb12u2`) answers `"bonding": false`.
 *
 * @module
 */

const DEFAULT_LIBS = [
  "/usr/lib/x86_64-linux-gnu/libsrt-gnutls.so.1.5",
  "/usr/lib/x86_64-linux-gnu/libsrt-openssl.so.1.5",
  "/usr/lib/x86_64-linux-gnu/libsrt.so.1.5",
];

function firstExisting(paths: string[]): string | undefined {
  for (const p of paths) {
    try {
      Deno.statSync(p);
      return p;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

const path = Deno.args[0] ?? firstExisting(DEFAULT_LIBS);
if (path === undefined) {
  console.log(JSON.stringify({ library: null, error: "no libsrt found" }));
  Deno.exit(0);
}
const lib = Deno.dlopen(path, {
  srt_startup: { parameters: [], result: "i32" },
  srt_cleanup: { parameters: [], result: "i32" },
  srt_create_group: { parameters: ["i32"], result: "i32" },
  srt_create_socket: { parameters: [], result: "i32" },
  srt_close: { parameters: ["i32"], result: "i32" },
  srt_setsockflag: { parameters: ["i32", "i32", "buffer", "i32"], result: "i32" },
  srt_getversion: { parameters: [], result: "u32" },
});
const s = lib.symbols;
s.srt_startup();
const version = s.srt_getversion();
const group = s.srt_create_group(1);
const sock = s.srt_create_socket();
const one = new Int32Array([1]);
const groupConnect = s.srt_setsockflag(sock, 57, new Uint8Array(one.buffer), 4);
s.srt_close(sock);
if (group !== -1) s.srt_close(group);
s.srt_cleanup();
lib.close();
console.log(JSON.stringify({
  library: path,
  version: `${version >>> 16}.${(version >>> 8) & 0xff}.${version & 0xff}`,
  srt_create_group: group,
  setsockflag_SRTO_GROUPCONNECT: groupConnect,
  bonding: group !== -1 && groupConnect === 0,
}));
