/**
 * The `tsrt --help` text and the version.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** tsrt's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** The text printed by `tsrt --help`. */
export const HELP: string = `tsrt ${VERSION} - SRT live transmit in pure TypeScript (Deno and Bun)

Usage:
  tsrt [options] <input-uri> <output-uri>   relay a live stream
  tsrt inspect [options] <input-uri>        report SRT health and MPEG-TS analysis
  tsrt serve --config tsrt.yaml             run an SRT stream server (tsrt serve --help)

URIs:
  srt://host:port?key=value&...   SRT caller (a host is given)
  srt://:port  srt://host:port?mode=listener
                                  SRT listener; accepts one connection at a time
  srt://host:port?mode=rendezvous&port=LOCAL
                                  SRT rendezvous with host:port from local port LOCAL
                                  (default: the same port as the remote one)
  srt:////group?type=backup&nodes=HOST1:PORT1?weight=10,HOST2:PORT2&key=value
                                  SRT socket group (bonding) of callers, one per node:
                                  type=broadcast (every packet on every path) or backup
                                  (one path at a time, failover without a gap)
  srt://:port?groupconnect=1      SRT listener that also accepts socket groups
  udp://host:port                 UDP: input binds and receives, output sends
  udp://:port                     UDP input on any address
  udp://239.1.1.1:port?adapter=IP multicast input joins the group (on the adapter's interface)
  file:///path/to/file            file: input reads, output writes
  file://con  or  -               standard input / standard output
  SRT keys use libsrt's names and units (latency=200, streamid=..., payloadsize=1316,
  conntimeo, peeridletimeo, rcvlatency, peerlatency, mss, fc, tlpktdrop, nakreport,
  linger, transtype=live, adapter, port, ipv6only=-1|0|1, mode=caller|listener|rendezvous,
  packetfilter=fec,cols:10,rows:5[,layout:even|staircase][,arq:always|onreq|never]).

Options:
  -c, --chunk <bytes>          bytes read at once from files and stdin
                               (default: the SRT payload size, 1316)
  -r, --realtime               pace file and stdin input by its MPEG-TS PCR (like ffmpeg -re);
                               without it input is sent as fast as it is read
  -s, --stats-every <ms>       print SRT statistics every <ms> milliseconds
      --stats-format <fmt>     json, csv or text (default text)
      --stats-out <file>       write statistics to <file> (default stderr)
  -a, --auto-reconnect[:no]    reconnect a caller with backoff (a listener accepts again)
                               when the connection drops (default no)
  -t, --timeout <s>            stop after <s> seconds
  -v, --verbose                more messages; the live status line also when not on a terminal
  -q, --quiet                  errors only, no status line
      --passphrase-env <VAR>   passphrase from an environment variable
      --passphrase-file <file> passphrase from a file
      --json                   inspect: print a JSON document at the end (each period with -s)
  -h, --help                   show this help
      --version                show the version
  Options also take srt-live-transmit's spellings: -chunk, -pf, -statsout, -a:no, -to.

Exit status: 0 done or interrupted (SIGINT, SIGTERM, --timeout), 1 failure (e.g. connection
rejected or lost), 2 usage error.

Examples:
  tsrt udp://:5000 "srt://203.0.113.7:9000?streamid=#!::r=live/cam1,m=publish&latency=200"
  tsrt srt://:9000 file:///tmp/rec.ts
  tsrt --realtime file:///tmp/clip.ts srt://127.0.0.1:9000
  tsrt inspect -t 10 srt://:9000
`;
