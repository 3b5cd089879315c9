import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkGroupRequest,
  checkGroupResponse,
  GROUP_FLAG_SYNC_ON_MSGNO,
  groupExtension,
  groupResponse,
  GroupType,
  isGroupId,
  makeGroupId,
} from "./group_handshake.ts";
import { extensionsSize, ExtType, readExtensions, writeExtensions } from "./handshake_ext.ts";

test("group IDs carry bit 30", () => {
  assert.equal(makeGroupId(0x12345678), 0x52345678);
  assert.ok(isGroupId(makeGroupId(1)));
  assert.ok(!isGroupId(0x12345678));
});

test("the GROUP extension on the wire: ID, then type|flags|weight", () => {
  const ext = groupExtension(0x40000abc, GroupType.BACKUP, 300, true);
  const out = new Uint8Array(extensionsSize([ext]));
  writeExtensions(out, 0, [ext]);
  assert.deepEqual(
    [...out],
    [0, 8, 0, 2, 0x40, 0, 0x0a, 0xbc, 2, GROUP_FLAG_SYNC_ON_MSGNO, 0x01, 0x2c],
  );
  const [back] = readExtensions(out);
  assert.deepEqual(back, ext);
  assert.equal(back.type, ExtType.GROUP);
  assert.throws(() => groupExtension(0x1234, GroupType.BROADCAST, 0), RangeError);
  assert.throws(() => groupExtension(0x40000001, GroupType.BROADCAST, 70000), RangeError);
});

test("responder rules (libsrt 1.5.1 interpretGroup)", () => {
  const req = groupExtension(makeGroupId(99), GroupType.BROADCAST, 0);
  assert.deepEqual(checkGroupRequest(req, false), {
    ok: false,
    reason: 15,
    message: "group connections not allowed",
  });
  const ok = checkGroupRequest(req, true);
  assert.ok(ok.ok);
  assert.equal(ok.peerGroupId, makeGroupId(99));
  const rsp = groupResponse(makeGroupId(5), ok, 7);
  assert.equal(rsp.groupType, GroupType.BROADCAST);
  assert.equal(rsp.weight, 7);
  // Types libsrt 1.5.1 does not know, and socket IDs posing as group IDs.
  const r1 = checkGroupRequest({ ...req, groupType: GroupType.BALANCING }, true);
  assert.equal(!r1.ok && r1.reason, 15);
  const r2 = checkGroupRequest({ ...req, groupId: 0x1234 }, true);
  assert.equal(!r2.ok && r2.reason, 4);
});

test("initiator rules: every member must be answered by the same peer group", () => {
  const a = groupExtension(makeGroupId(5), GroupType.BROADCAST, 0);
  const first = checkGroupResponse(a, undefined);
  assert.ok(first.ok);
  assert.ok(checkGroupResponse(a, first.peerGroupId).ok);
  const other = checkGroupResponse(
    groupExtension(makeGroupId(6), GroupType.BROADCAST, 0),
    first.peerGroupId,
  );
  assert.equal(!other.ok && other.reason, 15);
  const none = checkGroupResponse(undefined, undefined);
  assert.equal(!none.ok && none.reason, 15);
});
