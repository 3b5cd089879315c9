// Key material of a rendezvous side: drawn when the rendezvous starts, used only by an
// Initiator, wiped by a Responder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rendezvousKeyMaterial } from "./rendezvous_km.ts";
import { resolveOptions } from "./options.ts";
import { KmState } from "../crypto/km_state.ts";

const PASS = "a rendezvous passphrase";

function counting(): { bytes: (n: number) => Uint8Array; count: () => number } {
  let n = 0;
  let x = 7;
  return {
    bytes: (len) => {
      n++;
      return Uint8Array.from({ length: len }, () => (x = (x * 73 + 41) & 0xff));
    },
    count: () => n,
  };
}

test("the Initiator's KMREQ is drawn when the rendezvous starts, not for the first CONCLUSION", () => {
  const rnd = counting();
  const km = rendezvousKeyMaterial(resolveOptions({ passphrase: PASS }), rnd.bytes);
  const atStart = rnd.count();
  assert.ok(atStart > 0, "salt and key drawn at start");
  const kmreq = km.hooks.request!();
  assert.equal(rnd.count(), atStart, "nothing drawn while building the CONCLUSION");
  assert.equal(km.hooks.request!(), kmreq, "the same KMREQ for every resent CONCLUSION");
  assert.ok(km.crypto !== undefined);
  assert.equal(km.hooks.accept!(kmreq), undefined, "our own KMREQ echoed back is accepted");
  assert.equal(km.crypto!.stats.kmState, KmState.SECURED);
});

test("a Responder does not keep the key material drawn at start", () => {
  // The peer (Initiator) has the same passphrase: the Responder opens its KMREQ.
  const peer = rendezvousKeyMaterial(resolveOptions({ passphrase: PASS }), counting().bytes);
  const peerKmreq = peer.hooks.request!();
  const km = rendezvousKeyMaterial(resolveOptions({ passphrase: PASS }), counting().bytes);
  const r = km.hooks.respond!(peerKmreq);
  assert.ok(r && "kmrsp" in r);
  assert.ok(km.crypto !== undefined);
  // Its keys are the peer's: a packet the peer encrypts decrypts here.
  const packet = new Uint8Array(16 + 100).fill(9);
  peer.crypto!.encrypt(0, packet, 5);
  assert.ok(km.crypto!.decrypt(packet, 5));
  assert.deepEqual(packet.subarray(16), new Uint8Array(100).fill(9));

  // Without enforced encryption and a peer with no passphrase, nothing encrypts: the keys
  // drawn at start must not be taken for an agreed key.
  const lone = rendezvousKeyMaterial(
    resolveOptions({ passphrase: PASS, enforcedEncryption: false }),
    counting().bytes,
  );
  assert.equal(lone.hooks.respond!(undefined), undefined);
  assert.equal(lone.crypto, undefined);
  assert.equal(lone.kmStats?.sndKmState, KmState.NOSECRET);
});
