import { describe, expect, it } from "vitest";
import { api, createSession, newUser, type TestUser } from "./helpers";

async function invite(owner: TestUser, sessionId: string, users: object[]) {
  const response = await api("POST", `/sessions/${sessionId}/invite`, { user: owner, body: { users } });
  expect(response.status).toBe(200);
  return response.body.data;
}

describe("joining", () => {
  it("invite-only: needs a pending invitation, by user id or by email, and takes its role", async () => {
    const owner = await newUser("owner");
    const byId = await newUser("drummer");
    const byEmail = await newUser("bassist");
    const stranger = await newUser("stranger");
    const session = await createSession(owner);
    const refused = await api("POST", `/sessions/${session.id}/join`, { user: stranger });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("INVITATION_REQUIRED");

    await invite(owner, session.id, [
      { user_id: byId.id, role: "editor" },
      { email: byEmail.email.toUpperCase(), role: "commenter" },
    ]);
    const pending = await api("GET", "/sessions/my-invitations", { user: byEmail });
    expect(pending.body.data.invitations).toEqual([
      expect.objectContaining({ session_id: session.id, role: "commenter", session_name: "Rehearsal" }),
    ]);

    const joinedById = await api("POST", `/sessions/${session.id}/join`, { user: byId });
    expect(joinedById.status).toBe(200);
    expect(joinedById.body.data.user_role).toBe("editor");
    const joinedByEmail = await api("POST", `/sessions/${session.id}/join`, { user: byEmail });
    expect(joinedByEmail.body.data.user_role).toBe("commenter");
    expect(joinedByEmail.body.data.participant_count).toBe(3);
    expect((await api("GET", "/sessions/my-invitations", { user: byEmail })).body.data.invitations).toEqual([]);

    const again = await api("POST", `/sessions/${session.id}/join`, { user: byId });
    expect(again.status).toBe(200);
    expect(again.body.data.user_role).toBe("editor");
    expect(again.body.data.participant_count).toBe(3);
  });

  it("link-access: the current code gives the default role; a rotated code stops working at once", async () => {
    const owner = await newUser("owner");
    const guest = await newUser("guest");
    const late = await newUser("late");
    const session = await createSession(owner, { access_mode: "link-access", template_id: 3 });
    expect((await api("POST", `/sessions/${session.id}/join`, { user: guest })).body.error.code).toBe(
      "INVITATION_REQUIRED",
    );
    const wrong = await api("POST", `/sessions/${session.id}/join`, {
      user: guest,
      body: { invitation_code: "AAAAAAAAAAA" },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe("INVALID_INVITATION_CODE");
    const joined = await api("POST", `/sessions/${session.id}/join`, {
      user: guest,
      body: { invitation_code: session.invitation_code },
    });
    expect(joined.status).toBe(200);
    expect(joined.body.data.user_role).toBe("editor"); // Jam Session's default role
    await api("POST", `/sessions/${session.id}/invitation-code/rotate`, { user: owner });
    const stale = await api("POST", `/sessions/${session.id}/join`, {
      user: late,
      body: { invitation_code: session.invitation_code },
    });
    expect(stale.body.error.code).toBe("INVALID_INVITATION_CODE");
  });

  it("public: anyone joins as viewer when there is no template; ended sessions refuse", async () => {
    const owner = await newUser("owner");
    const fan = await newUser("fan");
    const session = await createSession(owner, { access_mode: "public" });
    const joined = await api("POST", `/sessions/${session.id}/join`, { user: fan });
    expect(joined.body.data.user_role).toBe("viewer");
    await api("POST", `/sessions/${session.id}/end`, { user: owner });
    const late = await newUser("late");
    const refused = await api("POST", `/sessions/${session.id}/join`, { user: late });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("SESSION_NOT_ACTIVE");
  });

  it("a removed user cannot come back without a new invitation", async () => {
    const owner = await newUser("owner");
    const fan = await newUser("fan");
    const session = await createSession(owner, { access_mode: "public" });
    await api("POST", `/sessions/${session.id}/join`, { user: fan });
    expect((await api("DELETE", `/sessions/${session.id}/participants/${fan.id}`, { user: owner })).status).toBe(200);
    const back = await api("POST", `/sessions/${session.id}/join`, { user: fan });
    expect(back.status).toBe(403);
    expect(back.body.error.code).toBe("REMOVED");
    expect((await api("GET", `/sessions/${session.id}`, { user: fan })).body.error.code).toBe("REMOVED");
    await invite(owner, session.id, [{ user_id: fan.id, role: "commenter" }]);
    const invited = await api("POST", `/sessions/${session.id}/join`, { user: fan });
    expect(invited.status).toBe(200);
    expect(invited.body.data.user_role).toBe("commenter");
  });

  it("holds max_participants exactly when 30 people join a session of 10 at once", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { access_mode: "public", max_participants: 10 });
    const fans = await Promise.all(Array.from({ length: 30 }, () => newUser("fan")));
    const results = await Promise.all(fans.map((fan) => api("POST", `/sessions/${session.id}/join`, { user: fan })));
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(9);
    expect(statuses.filter((status) => status === 409)).toHaveLength(21);
    for (const result of results.filter((entry) => entry.status === 409)) {
      expect(result.body.error.code).toBe("SESSION_FULL");
    }
    const view = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(view.body.data.participant_count).toBe(10);
    const { env } = await import("cloudflare:workers");
    const row = await env.DB.prepare("SELECT participant_count FROM sessions WHERE id = ?").bind(session.id).first();
    expect(row?.participant_count).toBe(10);
    const members = await env.DB.prepare(
      "SELECT count(*) AS n FROM session_participants WHERE session_id = ? AND status = 'active'",
    )
      .bind(session.id)
      .first();
    expect(members?.n).toBe(10);
  });
});

describe("leaving and ownership", () => {
  it("the owner cannot leave until ownership is transferred; the old owner becomes editor", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const session = await createSession(owner);
    await invite(owner, session.id, [{ user_id: editor.id, role: "editor" }]);
    await api("POST", `/sessions/${session.id}/join`, { user: editor });
    const refused = await api("POST", `/sessions/${session.id}/leave`, { user: owner });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("OWNER_CANNOT_LEAVE");
    expect(
      (await api("POST", `/sessions/${session.id}/transfer`, { user: editor, body: { user_id: editor.id } })).status,
    ).toBe(403);
    const transferred = await api("POST", `/sessions/${session.id}/transfer`, {
      user: owner,
      body: { user_id: editor.id },
    });
    expect(transferred.status).toBe(200);
    expect(transferred.body.data.owner_id).toBe(editor.id);
    expect(transferred.body.data.user_role).toBe("editor");
    const left = await api("POST", `/sessions/${session.id}/leave`, { user: owner });
    expect(left.status).toBe(200);
    const view = await api("GET", `/sessions/${session.id}`, { user: editor });
    expect(view.body.data.participant_count).toBe(1);
    expect(view.body.data.user_role).toBe("owner");
    const mine = await api("GET", "/sessions/my-sessions", { user: owner });
    expect(mine.body.data.sessions).toEqual([]);
  });
});

describe("invitations", () => {
  it("answers the same shape for a registered email and an unknown one, and can be revoked", async () => {
    const owner = await newUser("owner");
    const known = await newUser("known");
    await api("GET", "/sessions/my-sessions", { user: known }); // signs in, so the directory knows the email
    const session = await createSession(owner);
    // `invited_users` is ChordMe's view of the same answer (CONTRACT §8).
    const { invited_users: invitedUsers, ...result } = await invite(owner, session.id, [
      { email: known.email, role: "viewer" },
      { email: "nobody-yet@example.test", role: "viewer" },
      { user_id: owner.id, role: "viewer" },
    ]);
    expect(result).toEqual({
      invited: [
        { email: known.email, role: "viewer", status: "invited", invitation_id: expect.any(String) },
        { email: "nobody-yet@example.test", role: "viewer", status: "invited", invitation_id: expect.any(String) },
        { user_id: owner.id, role: "viewer", status: "already_participant" },
      ],
      errors: [],
    });
    expect(invitedUsers).toMatchObject([
      { user_id: null, email: known.email, role: "viewer" },
      { user_id: null, email: "nobody-yet@example.test", role: "viewer" },
    ]);
    const tooMany = await api("POST", `/sessions/${session.id}/invite`, {
      user: owner,
      body: { users: Array.from({ length: 51 }, (_, index) => ({ email: `p${index}@example.test`, role: "viewer" })) },
    });
    expect(tooMany.status).toBe(400);
    const invitation = (await api("GET", "/sessions/my-invitations", { user: known })).body.data.invitations[0];
    const revoked = await api("DELETE", `/sessions/${session.id}/invitations/${invitation.id}`, { user: owner });
    expect(revoked.status).toBe(200);
    expect((await api("GET", "/sessions/my-invitations", { user: known })).body.data.invitations).toEqual([]);
    expect((await api("POST", `/sessions/${session.id}/join`, { user: known })).body.error.code).toBe(
      "INVITATION_REQUIRED",
    );
  });
});

describe("privacy", () => {
  it("a viewer sees no private activity, no email and no invitation code", async () => {
    const owner = await newUser("owner");
    const viewer = await newUser("viewer");
    const other = await newUser("other");
    const session = await createSession(owner, { access_mode: "link-access" });
    for (const user of [viewer, other]) {
      await api("POST", `/sessions/${session.id}/join`, { user, body: { invitation_code: session.invitation_code } });
    }
    await api("PATCH", `/sessions/${session.id}/participants/${other.id}`, {
      user: owner,
      body: { role: "commenter" },
    });
    await api("POST", `/sessions/${session.id}/invitation-code/rotate`, { user: owner });
    await api("DELETE", `/sessions/${session.id}/participants/${other.id}`, { user: owner });

    // The owner and the viewer are left; the viewer sees both, and neither one's email.
    const asViewer = await api("GET", `/sessions/${session.id}`, { user: viewer });
    expect(asViewer.body.data).not.toHaveProperty("invitation_code");
    const inView = asViewer.body.data.participants as { user_id: string }[];
    expect(inView.map((participant) => participant.user_id)).toEqual([owner.id, viewer.id]);
    for (const participant of inView) expect(participant).not.toHaveProperty("email");
    const participants = await api("GET", `/sessions/${session.id}/participants`, { user: viewer });
    const listed = participants.body.data.participants as { user_id: string }[];
    expect(listed.map((participant) => participant.user_id)).toEqual([owner.id, viewer.id]);
    for (const participant of listed) expect(participant).not.toHaveProperty("email");

    const viewerLog = await api("GET", `/sessions/${session.id}/activities`, { user: viewer });
    const viewerTypes = viewerLog.body.data.activities.map((activity: { type: string }) => activity.type);
    expect(viewerTypes).toEqual(["user_joined", "user_joined", "session_created"]);
    for (const activity of viewerLog.body.data.activities) {
      expect(activity).not.toBeNull();
      expect(activity).not.toHaveProperty("is_private");
    }

    const ownerLog = await api("GET", `/sessions/${session.id}/activities`, { user: owner });
    expect(ownerLog.body.data.activities.map((activity: { type: string }) => activity.type)).toEqual([
      "participant_removed",
      "invitation_code_rotated",
      "permission_changed",
      "user_joined",
      "user_joined",
      "session_created",
    ]);
    expect(ownerLog.body.data.activities[0].is_private).toBe(true);
    const asOwner = await api("GET", `/sessions/${session.id}/participants`, { user: owner });
    expect(asOwner.body.data.participants.map((participant: { email: string }) => participant.email)).toEqual([
      owner.email,
      viewer.email,
    ]);
  });

  it("pages activities newest first with a type filter", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { access_mode: "public" });
    for (let index = 0; index < 5; index += 1) {
      const fan = await newUser("fan");
      await api("POST", `/sessions/${session.id}/join`, { user: fan });
    }
    const first = await api("GET", `/sessions/${session.id}/activities?type=user_joined&limit=3`, { user: owner });
    expect(first.body.data.activities).toHaveLength(3);
    const second = await api(
      "GET",
      `/sessions/${session.id}/activities?type=user_joined&limit=3&cursor=${first.body.data.next_cursor}`,
      { user: owner },
    );
    expect(second.body.data.activities).toHaveLength(2);
    expect(second.body.data.next_cursor).toBeNull();
    const ids = [...first.body.data.activities, ...second.body.data.activities].map(
      (activity: { id: number }) => activity.id,
    );
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(5);
    expect((await api("GET", `/sessions/${session.id}/activities?limit=0`, { user: owner })).status).toBe(400);
    expect((await api("GET", `/sessions/${session.id}/activities?cursor=abc`, { user: owner })).status).toBe(400);
  });
});
