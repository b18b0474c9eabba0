/**
 * Invitations under attack: role ceilings, re-admitting removed users, other people's invitations, answers that
 * reveal nothing, addresses that belong to whoever holds them, link codes that never come back, and caps.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, newUser, type TestUser } from "./helpers";

async function invite(user: TestUser, sessionId: string, users: object[]) {
  const response = await api("POST", `/sessions/${sessionId}/invite`, { user, body: { users } });
  expect(response.status).toBe(200);
  return response.body.data as { invited: any[]; errors: { index: number; code: string }[] };
}

async function bandWithEditor() {
  const owner = await newUser("owner");
  const editor = await newUser("editor");
  const session = await createSession(owner);
  await invite(owner, session.id, [{ user_id: editor.id, role: "editor" }]);
  await api("POST", `/sessions/${session.id}/join`, { user: editor });
  return { owner, editor, session };
}

async function pendingFor(sessionId: string, email: string) {
  return env.DB.prepare("SELECT role, invited_by FROM session_invitations WHERE session_id = ? AND email = ?")
    .bind(sessionId, email)
    .first<{ role: string; invited_by: string }>();
}

describe("what an inviter may do", () => {
  it("invites at most at one's own role", async () => {
    const owner = await newUser("owner");
    const template = await api("POST", "/sessions/templates", {
      user: owner,
      body: {
        name: "Open door",
        category: "jamming",
        permissions: { editor: ["read", "edit", "invite"], commenter: ["read", "comment"], viewer: ["read", "invite"] },
      },
    });
    expect(template.status).toBe(201);
    const viewer = await newUser("viewer");
    const session = await createSession(owner, { template_id: template.body.data.id });
    await invite(owner, session.id, [{ user_id: viewer.id, role: "viewer" }]);
    await api("POST", `/sessions/${session.id}/join`, { user: viewer });
    const target = await newUser("target");
    const above = await invite(viewer, session.id, [
      { user_id: target.id, role: "editor" },
      { email: "friend@example.test", role: "commenter" },
      { email: "other@example.test", role: "viewer" },
    ]);
    expect(above.errors).toEqual([
      { index: 0, code: "ROLE_ABOVE_YOURS", message: "You can invite people as viewer at most" },
      { index: 1, code: "ROLE_ABOVE_YOURS", message: "You can invite people as viewer at most" },
    ]);
    expect(above.invited).toEqual([
      { email: "other@example.test", role: "viewer", status: "invited", invitation_id: expect.any(String) },
    ]);
    // Nothing was stored for the refused entries: the target cannot join.
    expect((await api("POST", `/sessions/${session.id}/join`, { user: target })).body.error.code).toBe(
      "INVITATION_REQUIRED",
    );
  });

  it("re-admitting a removed user needs manage_participants", async () => {
    const { owner, editor, session } = await bandWithEditor();
    const removed = await newUser("removed");
    await invite(owner, session.id, [{ user_id: removed.id, role: "viewer" }]);
    await api("POST", `/sessions/${session.id}/join`, { user: removed });
    await api("DELETE", `/sessions/${session.id}/participants/${removed.id}`, { user: owner });
    // The answer is the same as for anyone (it must not tell who was removed), but the invitation cannot bring
    // them back: only one from someone who manages participants can.
    const byEditor = await invite(editor, session.id, [
      { user_id: removed.id, role: "editor" },
      { email: removed.email, role: "editor" },
    ]);
    expect(byEditor.errors).toEqual([]);
    expect(byEditor.invited.map((entry) => entry.status)).toEqual(["invited", "invited"]);
    expect((await api("POST", `/sessions/${session.id}/join`, { user: removed })).body.error.code).toBe("REMOVED");
    const byOwner = await invite(owner, session.id, [{ user_id: removed.id, role: "viewer" }]);
    expect(byOwner.errors).toEqual([]);
    expect((await api("POST", `/sessions/${session.id}/join`, { user: removed })).body.data.user_role).toBe("viewer");
  });

  it("an invitation is never worth more than its sender could send now", async () => {
    const { owner, editor, session } = await bandWithEditor();
    const friend = await newUser("friend");
    const other = await newUser("other");
    await invite(editor, session.id, [
      { user_id: friend.id, role: "editor" },
      { user_id: other.id, role: "viewer" },
    ]);
    // Demoted to commenter, the editor's editor invitation goes; the viewer one stays only while they may invite.
    await api("PATCH", `/sessions/${session.id}/participants/${editor.id}`, {
      user: owner,
      body: { role: "commenter" },
    });
    expect((await api("POST", `/sessions/${session.id}/join`, { user: friend })).body.error.code).toBe(
      "INVITATION_REQUIRED",
    );
    expect((await api("POST", `/sessions/${session.id}/join`, { user: other })).body.error.code).toBe(
      "INVITATION_REQUIRED",
    );
    const second = await bandWithEditor();
    await invite(second.editor, second.session.id, [{ user_id: friend.id, role: "viewer" }]);
    await api("DELETE", `/sessions/${second.session.id}/participants/${second.editor.id}`, { user: second.owner });
    expect((await api("POST", `/sessions/${second.session.id}/join`, { user: friend })).body.error.code).toBe(
      "INVITATION_REQUIRED",
    );
  });

  it("changing or revoking someone else's pending invitation needs manage_participants", async () => {
    const { owner, editor, session } = await bandWithEditor();
    await invite(owner, session.id, [{ email: "singer@example.test", role: "viewer" }]);
    const raised = await invite(editor, session.id, [{ email: "singer@example.test", role: "editor" }]);
    expect(raised.errors).toEqual([expect.objectContaining({ index: 0, code: "ALREADY_INVITED" })]);
    expect(await pendingFor(session.id, "singer@example.test")).toEqual({ role: "viewer", invited_by: owner.id });
    // The owner may change it.
    expect((await invite(owner, session.id, [{ email: "singer@example.test", role: "commenter" }])).errors).toEqual([]);
    expect(await pendingFor(session.id, "singer@example.test")).toEqual({ role: "commenter", invited_by: owner.id });
    // An editor changes and revokes their own.
    await invite(editor, session.id, [{ email: "drums@example.test", role: "viewer" }]);
    expect((await invite(editor, session.id, [{ email: "drums@example.test", role: "editor" }])).errors).toEqual([]);
    expect(await pendingFor(session.id, "drums@example.test")).toEqual({ role: "editor", invited_by: editor.id });
  });
});

describe("answers that reveal nothing", () => {
  it("an address is answered the same whether or not it belongs to a participant", async () => {
    const { owner, editor, session } = await bandWithEditor();
    const member = await newUser("member");
    await invite(owner, session.id, [{ user_id: member.id, role: "viewer" }]);
    await api("POST", `/sessions/${session.id}/join`, { user: member });
    const answer = await invite(editor, session.id, [
      { email: member.email, role: "viewer" },
      { email: "stranger@example.test", role: "viewer" },
    ]);
    expect(answer.invited).toEqual([
      { email: member.email, role: "viewer", status: "invited", invitation_id: expect.any(String) },
      { email: "stranger@example.test", role: "viewer", status: "invited", invitation_id: expect.any(String) },
    ]);
    // The member's own joining is unaffected, and the invitation to their address is closed when they use it.
    const again = await api("POST", `/sessions/${session.id}/join`, { user: member });
    expect(again.body.data.user_role).toBe("viewer");
    expect(await pendingFor(session.id, member.email)).toBeNull();
  });

  it("an invitation to an address belongs to whoever holds the address when they join", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    const first = await newUser("first");
    // The first account signs in while it holds the address, then its address changes.
    await api("GET", "/songs", { user: first });
    await invite(owner, session.id, [{ email: first.email, role: "editor" }]);
    const { signDevToken } = await import("../src/auth/tokens");
    const moved: TestUser = {
      ...first,
      email: "moved@example.test",
      token: await signDevToken({ sub: first.id, email: "moved@example.test", name: first.name }, env.JWT_SECRET),
    };
    expect((await api("GET", "/sessions/my-invitations", { user: moved })).body.data.invitations).toEqual([]);
    expect((await api("POST", `/sessions/${session.id}/join`, { user: moved })).body.error.code).toBe(
      "INVITATION_REQUIRED",
    );
    const holder: TestUser = {
      ...(await newUser("holder")),
      email: first.email,
    };
    holder.token = await signDevToken({ sub: holder.id, email: first.email, name: holder.name }, env.JWT_SECRET);
    const joined = await api("POST", `/sessions/${session.id}/join`, { user: holder });
    expect(joined.body.data.user_role).toBe("editor");
  });
});

describe("link access", () => {
  it("turning it off and on again issues a fresh code; the old link stays dead", async () => {
    const owner = await newUser("owner");
    const guest = await newUser("guest");
    const session = await createSession(owner, { access_mode: "link-access" });
    const old = session.invitation_code as string;
    await api("PATCH", `/sessions/${session.id}`, { user: owner, body: { access_mode: "invite-only" } });
    const off = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(off.body.data.invitation_code).toBeUndefined();
    const on = await api("PATCH", `/sessions/${session.id}`, { user: owner, body: { access_mode: "link-access" } });
    expect(on.body.data.invitation_code).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(on.body.data.invitation_code).not.toBe(old);
    const withOld = await api("POST", `/sessions/${session.id}/join`, { user: guest, body: { invitation_code: old } });
    expect(withOld.body.error.code).toBe("INVALID_INVITATION_CODE");
    const withNew = await api("POST", `/sessions/${session.id}/join`, {
      user: guest,
      body: { invitation_code: on.body.data.invitation_code },
    });
    expect(withNew.status).toBe(200);
  });
});

describe("caps and paging", () => {
  it("pages my invitations, newest first", async () => {
    const invitee = await newUser("invitee");
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const owner = await newUser("owner");
      const session = await createSession(owner);
      await invite(owner, session.id, [{ user_id: invitee.id, role: "viewer" }]);
      ids.unshift(session.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const page = await api("GET", `/sessions/my-invitations${query}`, { user: invitee });
      expect(page.status).toBe(200);
      expect(page.body.data.invitations.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.invitations.map((invitation: { session_id: string }) => invitation.session_id));
      cursor = page.body.data.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    const bad = await api("GET", "/sessions/my-invitations?cursor=nonsense", { user: invitee });
    expect(bad.status).toBe(400);
  });

  it("caps one account's pending invitations across all its sessions", async () => {
    const spammer = await newUser("spammer");
    for (let session = 0; session < 10; session += 1) {
      const created = await createSession(spammer);
      await invite(
        spammer,
        created.id,
        Array.from({ length: 50 }, (_, index) => ({ email: `s${session}-${index}@example.test`, role: "viewer" })),
      );
    }
    const fifth = await createSession(spammer);
    const refused = await api("POST", `/sessions/${fifth.id}/invite`, {
      user: spammer,
      body: { users: [{ email: "victim@example.test", role: "viewer" }] },
    });
    expect([refused.status, refused.body.error.code]).toEqual([429, "INVITATION_LIMIT"]);
    expect(refused.headers.get("Retry-After")).toBe("3600");
  });

  it("caps invitations per inviter per day and pending invitations per session", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    const batch = (from: number) =>
      Array.from({ length: 50 }, (_, index) => ({ email: `fan${from + index}@example.test`, role: "viewer" }));
    await invite(owner, session.id, batch(0));
    const second = await invite(owner, session.id, batch(50));
    expect(second.invited).toHaveLength(50);
    const third = await invite(owner, session.id, batch(100));
    expect(third.invited).toHaveLength(0);
    expect(third.errors).toHaveLength(50);
    expect(third.errors[0]).toMatchObject({ code: "INVITATION_LIMIT" });
    // A day later the inviter may go on, up to the session's cap of pending invitations.
    await runInDurableObject(env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(session.id)), (room) => {
      (room as SessionRoom).clock = () => Date.now() + 25 * 3600_000;
    });
    await invite(owner, session.id, batch(100));
    const full = await invite(owner, session.id, batch(150));
    expect(full.invited).toHaveLength(50);
    const over = await invite(owner, session.id, [{ email: "one-more@example.test", role: "viewer" }]);
    expect(over.errors).toEqual([expect.objectContaining({ code: "INVITATION_LIMIT" })]);
  });
});
