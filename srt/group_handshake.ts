/**
 * The GROUP handshake extension (`SRT_CMD_GROUP` = 8) of socket groups ("bonding"), and
 * libsrt's rules for it (`CUDT::fillHsExtGroup`, `CUDT::interpretGroup`, libsrt 1.5.1).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Group ID (bit 30 always set)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Group Type   |  Group Flags  |         Member Weight         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * The codec itself is in `handshake_ext.ts` ({@linkcode GroupExt}); a CONCLUSION that carries
 * it sets the CONFIG extension flag. The caller (Initiator) of each member connection sends
 * its group's ID; the listener (Responder) makes or finds a "mirror" group for that peer group
 * and answers with the mirror group's ID, same type and flags, its own member weight. Every
 * member of one group must then see the same peer group ID.
 *
 * Group IDs are socket IDs with bit 30 set (`SRTGROUP_MASK`). libsrt 1.5.1 knows types
 * broadcast (1) and main/backup (2); balancing (3) and multicast (4) exist only in the draft
 * and later docs, and 1.5.1 rejects them. Debian's libsrt 1.5.1 is built without bonding at
 * all: `srt_create_group` fails and `SRTO_GROUPCONNECT` is an unknown option. Its handshake
 * parser skips the GROUP extension, so it accepts a member's CONCLUSION as a plain connection
 * and answers without GROUP (`srt/group_interop_test.ts`); {@linkcode checkGroupResponse}
 * refuses that answer.
 *
 * @module
 */

import type { GroupExt } from "./handshake_ext.ts";
import { ExtType } from "./handshake_ext.ts";
import { RejectReason } from "./reject_reason.ts";

/**
 * Group types (`SRT_GROUP_TYPE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GroupType } from "@tsrt/tsrt";
 * assert.equal(GroupType.BACKUP, 2);
 * ```
 */
export const GroupType = {
  /** Not set. */
  UNDEFINED: 0,
  /** Every packet goes over every member; the receiver keeps the first copy. */
  BROADCAST: 1,
  /** One active member, the others on standby (main/backup). */
  BACKUP: 2,
  /** Load balancing (never finished in libsrt; rejected by 1.5.1). */
  BALANCING: 3,
  /** Reserved in the draft (rejected by 1.5.1). */
  MULTICAST: 4,
} as const;
/**
 * One of the {@linkcode GroupType} values.
 *
 * @example
 * ```ts
 * import { GroupType } from "@tsrt/tsrt";
 * const t: GroupType = GroupType.BROADCAST;
 * void t;
 * ```
 */
export type GroupType = typeof GroupType[keyof typeof GroupType];

/** Group flag: members synchronise on message numbers (`SRT_GFLAG_SYNCONMSG`). */
export const GROUP_FLAG_SYNC_ON_MSGNO = 0x01;

/** Bit set in every group ID (`SRTGROUP_MASK`, 1 << 30). */
export const GROUP_ID_MASK = 0x40000000;

/** Group types libsrt 1.5.1 accepts in a handshake (below `SRT_GTYPE_E_END` = 3). */
const LIBSRT_151_TYPE_END = 3;

/**
 * True when `id` is a group ID (bit 30 set), not a plain socket ID.
 *
 * @param id a socket or group ID
 * @returns whether bit 30 is set
 */
export function isGroupId(id: number): boolean {
  return (id & GROUP_ID_MASK) !== 0;
}

/**
 * Makes a group ID from a random 30-bit value, the way libsrt numbers groups.
 *
 * @param random any integer (its low 30 bits are used)
 * @returns the ID with bit 30 set
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeGroupId } from "@tsrt/tsrt";
 * assert.equal(makeGroupId(5), 0x40000005);
 * ```
 */
export function makeGroupId(random: number): number {
  return ((random & 0x3fffffff) | GROUP_ID_MASK) >>> 0;
}

/**
 * Builds the GROUP extension a member connection sends.
 *
 * @param groupId this side's group ID (bit 30 set)
 * @param type the group type
 * @param weight this member's weight (0..65535; used by main/backup)
 * @param syncOnMsgNo set the message-number synchronisation flag
 * @returns the extension
 * @throws {RangeError} for an ID without bit 30, a weight out of range or an unknown type
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupExtension, GroupType, makeGroupId } from "@tsrt/tsrt";
 * const ext = groupExtension(makeGroupId(7), GroupType.BROADCAST, 0);
 * assert.equal(ext.groupId, 0x40000007);
 * ```
 */
export function groupExtension(
  groupId: number,
  type: GroupType,
  weight: number,
  syncOnMsgNo = false,
): GroupExt {
  if (!isGroupId(groupId)) throw new RangeError(`${groupId} is not a group ID (bit 30 clear)`);
  if (!Number.isInteger(weight) || weight < 0 || weight > 0xffff) {
    throw new RangeError(`group member weight ${weight} is not 0..65535`);
  }
  if (!Object.values(GroupType).includes(type)) throw new RangeError(`unknown group type ${type}`);
  return {
    type: ExtType.GROUP,
    groupId: groupId >>> 0,
    groupType: type,
    groupFlags: syncOnMsgNo ? GROUP_FLAG_SYNC_ON_MSGNO : 0,
    weight,
  };
}

/**
 * What a Responder does with a GROUP request: reject, or answer with its mirror group. A
 * listener's `ConnectionRequest.group` is the accepted form.
 *
 * @example
 * ```ts
 * import type { GroupRequestDecision } from "@tsrt/tsrt";
 * const describe = (d: GroupRequestDecision): string =>
 *   d.ok ? `member of peer group ${d.peerGroupId}` : `refused: ${d.message}`;
 * void describe;
 * ```
 */
export type GroupRequestDecision =
  | {
    /** Accepted. */
    readonly ok: true;
    /** The peer's group ID (this connection joins the mirror group of it). */
    readonly peerGroupId: number;
    /** The requested group type. */
    readonly type: number;
    /** Whether members synchronise on message numbers. */
    readonly syncOnMsgNo: boolean;
    /** The peer member's weight. */
    readonly weight: number;
  }
  | {
    /** Rejected. */
    readonly ok: false;
    /** `SRT_REJ_GROUP` (15) or `SRT_REJ_ROGUE` (4). */
    readonly reason: number;
    /** Why. */
    readonly message: string;
  };

/**
 * Checks a GROUP extension received in a CONCLUSION request, with libsrt 1.5.1's rules: the
 * listener must allow group connections (`SRTO_GROUPCONNECT`), the type must be one 1.5.1
 * knows (undefined, broadcast, backup), and the ID must have bit 30 set.
 *
 * @param ext the received extension
 * @param groupConnect whether this listener accepts group members
 * @returns the decision
 */
export function checkGroupRequest(ext: GroupExt, groupConnect: boolean): GroupRequestDecision {
  if (!groupConnect) {
    return { ok: false, reason: RejectReason.GROUP, message: "group connections not allowed" };
  }
  if (ext.groupType >= LIBSRT_151_TYPE_END) {
    return { ok: false, reason: RejectReason.GROUP, message: `group type ${ext.groupType}` };
  }
  if (!isGroupId(ext.groupId)) {
    return { ok: false, reason: RejectReason.ROGUE, message: "the group ID is a socket ID" };
  }
  return {
    ok: true,
    peerGroupId: ext.groupId >>> 0,
    type: ext.groupType,
    syncOnMsgNo: (ext.groupFlags & GROUP_FLAG_SYNC_ON_MSGNO) !== 0,
    weight: ext.weight,
  };
}

/**
 * The GROUP extension a Responder answers with: its mirror group's ID, the requested type and
 * flags, and its own member weight.
 *
 * @param mirrorGroupId the Responder's group for this peer group
 * @param request the accepted request
 * @param weight the Responder member's weight
 * @returns the extension for the CONCLUSION response
 */
export function groupResponse(
  mirrorGroupId: number,
  request: Extract<GroupRequestDecision, { ok: true }>,
  weight = 0,
): GroupExt {
  return groupExtension(mirrorGroupId, request.type as GroupType, weight, request.syncOnMsgNo);
}

/**
 * Checks the GROUP extension in a CONCLUSION response at the Initiator: every member of the
 * group must be answered by the same peer group.
 *
 * @param ext the extension in the response (`undefined` if absent)
 * @param knownPeerGroupId the peer group learnt from an earlier member, if any
 * @returns the peer group ID, or a rejection
 */
export function checkGroupResponse(
  ext: GroupExt | undefined,
  knownPeerGroupId: number | undefined,
): { ok: true; peerGroupId: number } | { ok: false; reason: number; message: string } {
  if (ext === undefined) {
    return { ok: false, reason: RejectReason.GROUP, message: "the peer answered without GROUP" };
  }
  if (!isGroupId(ext.groupId)) {
    return { ok: false, reason: RejectReason.ROGUE, message: "the group ID is a socket ID" };
  }
  if (knownPeerGroupId !== undefined && knownPeerGroupId >>> 0 !== ext.groupId >>> 0) {
    return {
      ok: false,
      reason: RejectReason.GROUP,
      message: `member answered by peer group ${ext.groupId}, the group has ${knownPeerGroupId}`,
    };
  }
  return { ok: true, peerGroupId: ext.groupId >>> 0 };
}

/**
 * What a member connection knows of its group, once the handshake has agreed it.
 *
 * @example
 * ```ts
 * import type { GroupMembership, SrtConnection } from "@tsrt/tsrt";
 * const sameGroup = (a: SrtConnection, b: SrtConnection): boolean => {
 *   const ga: GroupMembership | undefined = a.group;
 *   return ga !== undefined && ga.peerGroupId === b.group?.peerGroupId;
 * };
 * void sameGroup;
 * ```
 */
export interface GroupMembership {
  /** This side's group ID (a mirror group on the Responder). */
  readonly groupId: number;
  /** The peer's group ID. */
  readonly peerGroupId: number;
  /** The group type ({@linkcode GroupType}). */
  readonly type: number;
  /** Whether members synchronise on message numbers. */
  readonly syncOnMsgNo: boolean;
  /** This member's weight. */
  readonly weight: number;
  /** The peer member's weight. */
  readonly peerWeight: number;
}
