/**
 * Validation of a Haivision device's SRT settings (Makito X/X4 encoders and decoders, Media
 * Gateway, Kraken) and their mapping onto tsrt's option names: mode, latency 20–8000 ms,
 * passphrase 10–79 characters, AES-128/256, authentication none/auto/AES-GCM, maximum
 * bandwidth and overhead, and the access-control stream ID ("Standard Keys" or a publish ID).
 *
 * Sources: Makito X4 Decoder "SRT Stream Settings", Makito X/X4 Encoder stream settings and
 * CLI, Haivision Media Gateway pages, libsrt's option ranges (see the project reference).
 *
 * @module
 */

import { formatStreamId, parseStreamId } from "./stream_id.ts";

/** Haivision device defaults used when a setting is absent. */
export const HAIVISION_DEFAULTS: {
  readonly mode: "listener";
  readonly latency: number;
} = { mode: "listener", latency: 125 };

/**
 * SRT settings as a Haivision device's web UI or CLI names them. Strings are read
 * case-insensitively because they usually come from configuration files.
 */
export interface HaivisionSrtSettings {
  /** `caller`, `listener` (Makito decoder default) or `rendezvous`. */
  mode?: string;
  /** SRT latency in ms, 20–8000; default 125 (Makito X4 Decoder). */
  latency?: number;
  /** `none`, `AES128` or `AES256` (`AES-128`, `aes256` … accepted). */
  encryption?: string;
  /** Decoder "Key Length" in bits: 128 or 256. */
  keyLength?: number;
  /** Passphrase, 10–79 characters (and at most 80 bytes of UTF-8, libsrt's limit). */
  passphrase?: string;
  /** `none`, `auto` or `aes-gcm`. */
  authentication?: string;
  /** Makito X decoder "Reject Unencrypted Callers"; default on when encrypted. */
  rejectUnencrypted?: boolean;
  /** Maximum bandwidth in kbit/s. */
  maxBandwidthKbps?: number;
  /** Bandwidth overhead in percent, 5–100 (libsrt's OHEADBW range). */
  overhead?: number;
  /** Access control "Standard Keys": resource name. */
  resource?: string;
  /** Access control "Standard Keys": user name. */
  user?: string;
  /** Access control "Custom": free-form publish ID, used only without resource and user. */
  publishId?: string;
}

/**
 * The tsrt options these settings map to. Names follow libsrt's options (`latency` in ms,
 * `pbkeylen` in bytes, `maxBw` in bytes/s, `oheadBw` in percent). Declared here because the
 * connection core's options type does not have all of these fields yet.
 */
export interface TsrtSrtOptions {
  /** Connection mode. */
  mode: "caller" | "listener" | "rendezvous";
  /** SRTO_LATENCY in ms. */
  latency: number;
  /** SRTO_PASSPHRASE. */
  passphrase?: string;
  /** SRTO_PBKEYLEN in bytes: 16, 24 or 32; absent lets the sender decide. */
  pbkeylen?: 16 | 24 | 32;
  /** SRTO_CRYPTOMODE. */
  cryptoMode?: "auto" | "aes-ctr" | "aes-gcm";
  /** SRTO_ENFORCEDENCRYPTION. */
  enforcedEncryption?: boolean;
  /** SRTO_MAXBW in bytes per second. */
  maxBw?: number;
  /** SRTO_OHEADBW in percent. */
  oheadBw?: number;
  /** SRTO_STREAMID (callers). */
  streamId?: string;
}

/** A setting that cannot be used. */
export interface SettingsIssue {
  /** The setting's name in {@linkcode HaivisionSrtSettings}. */
  readonly field: keyof HaivisionSrtSettings;
  /** Why. */
  readonly message: string;
}

/** Result of {@linkcode haivisionSettingsToOptions}. */
export type HaivisionSettingsResult =
  | { readonly ok: true; readonly options: TsrtSrtOptions; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly SettingsIssue[] };

function lower(v: string | undefined): string | undefined {
  return typeof v === "string" ? v.trim().toLowerCase().replace(/[-_ ]/g, "") : undefined;
}

/**
 * Validates a Haivision device's SRT settings and maps them onto tsrt options. All problems
 * are reported at once; nothing throws.
 *
 * The stream ID is built as the device would: "Standard Keys" give `#!::u=<user>,r=<resource>`
 * (no `m`, as Makito encoders send it), otherwise the publish ID is sent verbatim.
 *
 * @param settings The device settings.
 * @returns The options and any warnings, or every error found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { haivisionSettingsToOptions } from "./haivision_settings.ts";
 *
 * const r = haivisionSettingsToOptions({
 *   mode: "caller",
 *   latency: 250,
 *   encryption: "AES256",
 *   passphrase: "correct horse battery",
 *   resource: "ietf_107_srt_overview",
 *   user: "admin",
 * });
 * assert.ok(r.ok);
 * assert.equal(r.options.pbkeylen, 32);
 * assert.equal(r.options.streamId, "#!::u=admin,r=ietf_107_srt_overview");
 *
 * const bad = haivisionSettingsToOptions({ latency: 10, passphrase: "short" });
 * assert.ok(!bad.ok);
 * assert.deepEqual(bad.errors.map((e) => e.field), ["latency", "passphrase"]);
 * ```
 */
export function haivisionSettingsToOptions(
  settings: HaivisionSrtSettings,
): HaivisionSettingsResult {
  const errors: SettingsIssue[] = [];
  const warnings: string[] = [];
  const error = (field: keyof HaivisionSrtSettings, message: string) =>
    errors.push({ field, message });

  const modeText = lower(settings.mode) ?? HAIVISION_DEFAULTS.mode;
  let mode: TsrtSrtOptions["mode"] = HAIVISION_DEFAULTS.mode;
  if (modeText === "caller" || modeText === "listener" || modeText === "rendezvous") {
    mode = modeText;
  } else {
    error(
      "mode",
      `mode must be caller, listener or rendezvous, not ${JSON.stringify(settings.mode)}`,
    );
  }

  const latency = settings.latency ?? HAIVISION_DEFAULTS.latency;
  if (!Number.isInteger(latency) || latency < 20 || latency > 8000) {
    error("latency", `latency must be a whole number of ms from 20 to 8000, not ${latency}`);
  }

  // Encryption: "none" | 16 | 32 | undefined (not said: the sender decides).
  let keyBytes: 16 | 32 | "none" | undefined;
  const enc = lower(settings.encryption);
  if (enc !== undefined) {
    if (enc === "none" || enc === "off") keyBytes = "none";
    else if (enc === "aes128") keyBytes = 16;
    else if (enc === "aes256") keyBytes = 32;
    else {
      error(
        "encryption",
        `encryption must be none, AES128 or AES256 (Haivision offers no AES-192), not ${
          JSON.stringify(settings.encryption)
        }`,
      );
    }
  }
  if (settings.keyLength !== undefined) {
    const k = settings.keyLength === 128 ? 16 : settings.keyLength === 256 ? 32 : undefined;
    if (k === undefined) {
      error("keyLength", `key length must be 128 or 256 bits, not ${settings.keyLength}`);
    } else if (keyBytes === "none") {
      error("keyLength", "key length given but encryption is none");
    } else if (keyBytes !== undefined && keyBytes !== k) {
      error(
        "keyLength",
        `key length ${settings.keyLength} contradicts encryption ${settings.encryption}`,
      );
    } else keyBytes = k;
  }

  const pass = settings.passphrase;
  if (pass !== undefined) {
    const chars = [...pass].length;
    const bytes = new TextEncoder().encode(pass).length;
    if (chars < 10 || chars > 79) {
      error("passphrase", `passphrase must be 10 to 79 characters, not ${chars}`);
    } else if (bytes > 80) {
      error("passphrase", `passphrase is ${bytes} bytes of UTF-8; libsrt accepts at most 80`);
    }
    if (keyBytes === "none") error("passphrase", "passphrase given but encryption is none");
  } else if (typeof keyBytes === "number") {
    error("passphrase", "encryption is on but no passphrase is set");
  }
  const encrypted = pass !== undefined && keyBytes !== "none";

  let cryptoMode: TsrtSrtOptions["cryptoMode"];
  const auth = lower(settings.authentication);
  if (auth === undefined || auth === "none") {
    if (encrypted) cryptoMode = "aes-ctr";
  } else if (auth === "auto") {
    if (mode !== "listener") {
      warnings.push(`authentication auto in ${mode} mode means AES-CTR (libsrt)`);
    }
    if (encrypted) cryptoMode = "auto";
  } else if (auth === "aesgcm" || auth === "gcm") {
    if (!encrypted) {
      error("authentication", "AES-GCM authentication needs encryption and a passphrase");
    }
    cryptoMode = "aes-gcm";
  } else {
    error(
      "authentication",
      `authentication must be none, auto or aes-gcm, not ${
        JSON.stringify(settings.authentication)
      }`,
    );
  }

  let maxBw: number | undefined;
  if (settings.maxBandwidthKbps !== undefined) {
    const k = settings.maxBandwidthKbps;
    if (!Number.isFinite(k) || k <= 0) {
      error("maxBandwidthKbps", `maximum bandwidth must be a positive number of kbit/s, not ${k}`);
    } else maxBw = Math.round((k * 1000) / 8);
  }
  if (settings.overhead !== undefined) {
    const o = settings.overhead;
    if (!Number.isInteger(o) || o < 5 || o > 100) {
      error("overhead", `bandwidth overhead must be a whole percentage from 5 to 100, not ${o}`);
    }
  }

  let streamId: string | undefined;
  const { resource, user, publishId } = settings;
  if (resource !== undefined || user !== undefined) {
    if (mode === "rendezvous") warnings.push("stream IDs are meaningless in rendezvous mode");
    if (publishId !== undefined) warnings.push("publishId is ignored when resource or user is set");
    for (const [field, v] of [["resource", resource], ["user", user]] as const) {
      if (v === undefined) continue;
      try {
        formatStreamId({ [field]: v });
      } catch (e) {
        error(field, `${field}: ${(e as Error).message} (stream IDs have no escaping)`);
      }
    }
    if (!errors.some((e) => e.field === "resource" || e.field === "user")) {
      try {
        streamId = formatStreamId({ user, resource });
      } catch (e) {
        error(resource !== undefined ? "resource" : "user", (e as Error).message);
      }
    }
  } else if (publishId !== undefined) {
    const parsed = parseStreamId(publishId);
    if (!parsed.ok && parsed.error.code !== "unsupported-syntax") {
      error("publishId", parsed.error.message);
    } else if (!parsed.ok) {
      warnings.push(`publishId is not a stream ID tsrt can parse: ${parsed.error.message}`);
    }
    streamId = publishId;
  }

  if (errors.length > 0) return { ok: false, errors };
  const options: TsrtSrtOptions = { mode, latency };
  if (encrypted) {
    options.passphrase = pass;
    if (typeof keyBytes === "number") options.pbkeylen = keyBytes;
    options.enforcedEncryption = settings.rejectUnencrypted ?? true;
  } else if (settings.rejectUnencrypted) {
    options.enforcedEncryption = true;
  }
  if (cryptoMode !== undefined) options.cryptoMode = cryptoMode;
  if (maxBw !== undefined) options.maxBw = maxBw;
  if (settings.overhead !== undefined) options.oheadBw = settings.overhead;
  if (streamId !== undefined) options.streamId = streamId;
  return { ok: true, options, warnings };
}
