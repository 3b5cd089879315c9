/**
 * libsrt statistics under the names Haivision's statistics pages use (Makito X/X4 "SRT" and
 * "Statistics" sections of the SRT deployment guide, Makito X User's Guide, Kraken "SRT
 * Statistics"). Labels the documentation found does not give are marked best-effort.
 *
 * @module
 */

/** One libsrt statistic and the label a Haivision statistics page shows for it. */
export interface HaivisionStatLabel {
  /** libsrt `CBytePerfMon` field name. */
  readonly field: string;
  /** Label on the Haivision page. */
  readonly label: string;
  /** Shown on the source (encoder, sender), the destination (decoder, receiver), or both. */
  readonly side: "source" | "destination" | "both";
  /** Unit of the displayed value. */
  readonly unit: string;
  /** Multiply the libsrt value by this to get the displayed unit. */
  readonly scale: number;
  /**
   * True if the label and meaning are taken from Haivision documentation; false for a
   * best-effort name where the documentation found says nothing.
   */
  readonly documented: boolean;
}

/**
 * libsrt statistics with the names Haivision's Makito/Kraken/HMG statistics pages use.
 *
 * Note the vocabulary clash: on the encoder, Haivision's **"Dropped Packets"** is what libsrt
 * calls loss reported by the receiver (`pktSndLossTotal`) and may still be recovered, while
 * libsrt's too-late drops on the receiver (`pktRcvDropTotal`) are Haivision's **"Skipped
 * Packets"**.
 */
export const HAIVISION_STAT_LABELS: readonly HaivisionStatLabel[] = [
  {
    field: "pktSentTotal",
    label: "Sent Packets",
    side: "source",
    unit: "packets",
    scale: 1,
    documented: true,
  },
  {
    field: "byteSentTotal",
    label: "Sent Bytes",
    side: "source",
    unit: "bytes",
    scale: 1,
    documented: false,
  },
  {
    field: "pktSndDropTotal",
    label: "Unsent Packets",
    side: "source",
    unit: "packets",
    scale: 1,
    documented: false,
  },
  {
    field: "pktRetransTotal",
    label: "Resent Packets",
    side: "source",
    unit: "packets",
    scale: 1,
    documented: true,
  },
  {
    field: "byteRetransTotal",
    label: "Resent Bytes",
    side: "source",
    unit: "bytes",
    scale: 1,
    documented: true,
  },
  {
    field: "pktSndLossTotal",
    label: "Dropped Packets",
    side: "source",
    unit: "packets",
    scale: 1,
    documented: true,
  },
  {
    field: "pktRecvACKTotal",
    label: "Received ACKs",
    side: "source",
    unit: "packets",
    scale: 1,
    documented: true,
  },
  {
    field: "pktRecvNAKTotal",
    label: "Received NAKs",
    side: "source",
    unit: "packets",
    scale: 1,
    documented: false,
  },
  {
    field: "pktRecvTotal",
    label: "Received Packets",
    side: "destination",
    unit: "packets",
    scale: 1,
    documented: true,
  },
  {
    field: "byteRecvTotal",
    label: "Received Bytes",
    side: "destination",
    unit: "bytes",
    scale: 1,
    documented: true,
  },
  {
    field: "pktRcvLossTotal",
    label: "Lost Packets",
    side: "destination",
    unit: "packets",
    scale: 1,
    documented: true,
  },
  {
    field: "pktRcvDropTotal",
    label: "Skipped Packets",
    side: "destination",
    unit: "packets",
    scale: 1,
    documented: true,
  },
  {
    field: "pktSentACKTotal",
    label: "Sent ACKs",
    side: "destination",
    unit: "packets",
    scale: 1,
    documented: false,
  },
  {
    field: "pktSentNAKTotal",
    label: "Sent NAKs",
    side: "destination",
    unit: "packets",
    scale: 1,
    documented: false,
  },
  {
    field: "pktRcvUndecryptTotal",
    label: "Undecrypted Packets",
    side: "destination",
    unit: "packets",
    scale: 1,
    documented: false,
  },
  {
    field: "mbpsSendRate",
    label: "Bitrate",
    side: "source",
    unit: "kbps",
    scale: 1000,
    documented: true,
  },
  {
    field: "mbpsRecvRate",
    label: "Bitrate",
    side: "destination",
    unit: "kbps",
    scale: 1000,
    documented: true,
  },
  {
    field: "mbpsBandwidth",
    label: "Path Max Bandwidth",
    side: "source",
    unit: "Mbps",
    scale: 1,
    documented: true,
  },
  { field: "msRTT", label: "RTT", side: "both", unit: "ms", scale: 1, documented: true },
  { field: "msSndBuf", label: "Buffer", side: "source", unit: "ms", scale: 1, documented: true },
  {
    field: "msRcvBuf",
    label: "Buffer",
    side: "destination",
    unit: "ms",
    scale: 1,
    documented: true,
  },
  {
    field: "msRcvTsbPdDelay",
    label: "Latency",
    side: "destination",
    unit: "ms",
    scale: 1,
    documented: true,
  },
  {
    field: "msSndTsbPdDelay",
    label: "Latency",
    side: "source",
    unit: "ms",
    scale: 1,
    documented: true,
  },
];

/** One row of {@linkcode toHaivisionStats}. */
export interface HaivisionStatRow {
  /** The Haivision label. */
  readonly label: string;
  /** The value in `unit`. */
  readonly value: number;
  /** The unit. */
  readonly unit: string;
  /** The libsrt field it came from. */
  readonly field: string;
}

/**
 * Renders a libsrt-style stats object with Haivision's labels, in the order of
 * {@linkcode HAIVISION_STAT_LABELS}, keeping only the fields present (finite numbers).
 *
 * @param stats Stats with libsrt field names (e.g. tsrt's `SrtStats`).
 * @param side `source` for a sender's page, `destination` for a receiver's.
 * @returns Label/value rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHaivisionStats } from "./haivision_stats.ts";
 *
 * const rows = toHaivisionStats({ pktRcvDropTotal: 3, msRTT: 12.5, pktSentTotal: 9 }, "destination");
 * assert.deepEqual(rows.map((r) => [r.label, r.value]), [["Skipped Packets", 3], ["RTT", 12.5]]);
 * ```
 */
export function toHaivisionStats(
  stats: Readonly<Record<string, unknown>>,
  side: "source" | "destination",
): HaivisionStatRow[] {
  const rows: HaivisionStatRow[] = [];
  for (const e of HAIVISION_STAT_LABELS) {
    if (e.side !== side && e.side !== "both") continue;
    const v = stats[e.field];
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    rows.push({ label: e.label, value: v * e.scale, unit: e.unit, field: e.field });
  }
  return rows;
}
