import { describe, expect, it } from "vitest";
import { decideJoin, type JoinContext } from "../src/domain/membership";
import { authorize, DEFAULT_PERMISSION_MAP, type PermissionMap, permissionsOf } from "../src/domain/permissions";

const LESSON: PermissionMap = { editor: ["read", "comment"], commenter: ["read", "comment"], viewer: ["read"] };
const active = { status: "active" as const, access_mode: "invite-only" as const, permissions: DEFAULT_PERMISSION_MAP };

describe("authorize", () => {
  it("gives the owner everything, always, even under a restrictive template", () => {
    expect(permissionsOf("owner", LESSON)).toHaveLength(8);
    expect(authorize({ ...active, permissions: LESSON }, { role: "owner", status: "active" }, "edit")).toBeNull();
  });

  it("uses the template's map for everyone else", () => {
    expect(authorize(active, { role: "editor", status: "active" }, "edit")).toBeNull();
    expect(authorize({ ...active, permissions: LESSON }, { role: "editor", status: "active" }, "edit")?.code).toBe(
      "FORBIDDEN",
    );
    expect(authorize(active, { role: "viewer", status: "active" }, "comment")?.code).toBe("FORBIDDEN");
    expect(authorize(active, { role: "commenter", status: "active" }, "comment")).toBeNull();
  });

  it("lets strangers only read public sessions, and shuts removed users out of those too", () => {
    expect(authorize(active, null, "read")?.code).toBe("FORBIDDEN");
    expect(authorize({ ...active, access_mode: "public" }, null, "read")).toBeNull();
    expect(authorize({ ...active, access_mode: "public" }, null, "comment")?.code).toBe("FORBIDDEN");
    expect(authorize({ ...active, access_mode: "public" }, { role: "editor", status: "removed" }, "read")?.code).toBe(
      "REMOVED",
    );
    expect(authorize(active, { role: "editor", status: "left" }, "read")?.code).toBe("FORBIDDEN");
  });

  it("makes ended sessions read-only and paused ones refuse edits", () => {
    const owner = { role: "owner" as const, status: "active" as const };
    expect(authorize({ ...active, status: "ended" }, owner, "read")).toBeNull();
    expect(authorize({ ...active, status: "ended" }, owner, "edit")).toMatchObject({
      status: 409,
      code: "SESSION_NOT_ACTIVE",
    });
    expect(authorize({ ...active, status: "archived" }, owner, "manage_session")?.status).toBe(409);
    expect(authorize({ ...active, status: "paused" }, owner, "edit")?.code).toBe("FORBIDDEN");
    expect(authorize({ ...active, status: "paused" }, owner, "comment")).toBeNull();
  });
});

describe("decideJoin", () => {
  const base: JoinContext = {
    session: { status: "active", access_mode: "invite-only", default_role: "viewer", max_participants: 3 },
    member: null,
    invitedRole: null,
    invitedByManager: false,
    codeGiven: false,
    codeMatches: false,
    activeParticipants: 1,
  };

  it("needs an invitation for invite-only sessions and takes its role", () => {
    expect(decideJoin(base)).toMatchObject({ outcome: "refuse", denial: { code: "INVITATION_REQUIRED" } });
    expect(decideJoin({ ...base, invitedRole: "editor" })).toEqual({
      outcome: "join",
      role: "editor",
      via: "invitation",
    });
  });

  it("checks the code of link-access sessions", () => {
    const link = { ...base, session: { ...base.session, access_mode: "link-access" as const } };
    expect(decideJoin({ ...link, codeGiven: true })).toMatchObject({ denial: { code: "INVALID_INVITATION_CODE" } });
    expect(decideJoin({ ...link, codeGiven: true, codeMatches: true })).toEqual({
      outcome: "join",
      role: "viewer",
      via: "link",
    });
  });

  it("is idempotent for members, refuses removed users without an invitation, and holds the limit", () => {
    expect(decideJoin({ ...base, member: { role: "commenter", status: "active" }, activeParticipants: 3 })).toEqual({
      outcome: "already_member",
      role: "commenter",
    });
    const open = { ...base, session: { ...base.session, access_mode: "public" as const } };
    expect(decideJoin({ ...open, member: { role: "viewer", status: "removed" } })).toMatchObject({
      denial: { code: "REMOVED" },
    });
    const removed = {
      ...open,
      member: { role: "viewer" as const, status: "removed" as const },
      invitedRole: "viewer" as const,
    };
    // Only an invitation from someone who manages participants brings a removed user back.
    expect(decideJoin(removed)).toMatchObject({ denial: { code: "REMOVED" } });
    expect(decideJoin({ ...removed, invitedByManager: true }).outcome).toBe("join");
    expect(decideJoin({ ...open, activeParticipants: 3 })).toMatchObject({
      denial: { status: 409, code: "SESSION_FULL" },
    });
    expect(decideJoin({ ...open, session: { ...open.session, status: "ended" } })).toMatchObject({
      denial: { status: 409, code: "SESSION_NOT_ACTIVE" },
    });
  });
});
