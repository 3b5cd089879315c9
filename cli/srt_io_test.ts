import { test } from "node:test";
import assert from "node:assert/strict";
import { SrtError } from "../srt/errors.ts";
import { RejectReason } from "../srt/reject_reason.ts";
import { describeSrtError } from "./srt_io.ts";

test("describeSrtError() names the rejection reason", () => {
  const e = new SrtError("CONNECTION_REJECTED", "rejected by the listener", {
    reason: RejectReason.FORBIDDEN,
  });
  assert.equal(describeSrtError(e), "rejected: FORBIDDEN (1403)");
  assert.equal(
    describeSrtError(new SrtError("CONNECTION_REJECTED", "x", { reason: 2001 })),
    "rejected: USER (2001)",
  );
});

test("describeSrtError() explains timeouts and passes other messages on", () => {
  assert.match(
    describeSrtError(new SrtError("CONNECTION_TIMEOUT", "connection timed out")),
    /no response from the peer/,
  );
  assert.equal(
    describeSrtError(new SrtError("PEER_IDLE_TIMEOUT", "peer idle timeout: nothing received")),
    "peer idle timeout: nothing received",
  );
  assert.equal(describeSrtError(new Error("boom")), "boom");
});
