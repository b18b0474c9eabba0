/**
 * A session's invitations as its leaders see them (GET /sessions/:id/invitations) and an invitee declining one of
 * theirs (POST /sessions/my-invitations/:invitationId/decline).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, newUser, type TestUser } from "./helpers";

const stubOf = (id: string) => env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(id));

async function invite(user: TestUser, sessionId: string, users: object[], message?: string) {
  const response = await api("POST", `/sessions/${sessionId}/invite`, { user, body: { users, message } });
  expect(response.status).toBe(200);
  expect(response.body.data.errors).toEqual([]);
  return response.body.data.invited as { invitation_id: string; status: string }[];
}

async function list(user: TestUser, sessionId: string, query = "") {
  return api("GET", `/sessions/${sessionId}/invitations${query}`, { user });
}

/** Sets the session object's clock, so invitations sent one after another are a second apart. */
async function clockAt(sessionId: string, at: number) {
  await runInDurableObject(stubOf(sessionId), (instance: SessionRoom) => {
    instance.clock = () => at;
  });
}

/** An owner, an editor (who may invite but not manage participants) and a commenter (who may not invite). */
async function band() {
  const [owner, editor, commenter] = await Promise.all([newUser("owner"), newUser("editor"), newUser("commenter")]);
  const session = await createSession(owner!);
  await invite(owner!, session.id, [
    { user_id: editor!.id, role: "editor" },
    { user_id: commenter!.id, role: "commenter" },
  ]);
  for (const user of [editor!, commenter!]) {
    expect((await api("POST", `/sessions/${session.id}/join`, { user })).status).toBe(200);
  }
  return { owner: owner!, editor: editor!, commenter: commenter!, sessionId: session.id as string };
}

describe("the invite answer", () => {
  it("names each invitation, the same one when a pending invitation is changed", async () => {
    const { owner, editor, sessionId } = await band();
    const friend = await newUser("friend");
    const first = await invite(owner, sessionId, [
      { email: "pal@example.test", role: "viewer" },
      { user_id: friend.id, role: "viewer" },
      { user_id: editor.id, role: "viewer" },
    ]);
    expect(first.map((entry) => entry.status)).toEqual(["invited", "invited", "already_participant"]);
    expect(first[2]).not.toHaveProperty("invitation_id");
    const again = await invite(owner, sessionId, [
      { user_id: friend.id, role: "commenter" },
      { email: "pal@example.test", role: "editor" },
    ]);
    expect(again.map((entry) => entry.invitation_id)).toEqual([first[1]!.invitation_id, first[0]!.invitation_id]);
    const listed = (await list(owner, sessionId)).body.data.invitations as { id: string; role: string }[];
    expect(Object.fromEntries(listed.map((entry) => [entry.id, entry.role]))).toEqual({
      [first[0]!.invitation_id]: "editor",
      [first[1]!.invitation_id]: "commenter",
    });
  });
});

describe("the session's invitation list", () => {
  it("shows the pending invitations newest first, a page at a time", async () => {
    const { owner, sessionId } = await band();
    const start = Date.now();
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      await clockAt(sessionId, start + n * 1_000);
      const [invited] = await invite(owner, sessionId, [{ email: `guest-${n}@example.test`, role: "viewer" }], `#${n}`);
      ids.push(invited!.invitation_id);
    }
    const first = await list(owner, sessionId, "?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data.invitations).toEqual([
      {
        id: ids[4],
        user_id: null,
        email: "guest-4@example.test",
        role: "viewer",
        status: "pending",
        invited_by: { user_id: owner.id, display_name: owner.name },
        message: "#4",
        created_at: new Date(start + 4_000).toISOString(),
        declined_at: null,
      },
      expect.objectContaining({ id: ids[3], message: "#3" }),
    ]);
    const second = await list(owner, sessionId, `?limit=2&cursor=${first.body.data.next_cursor}`);
    expect(second.body.data.invitations.map((entry: { id: string }) => entry.id)).toEqual([ids[2], ids[1]]);
    const third = await list(owner, sessionId, `?limit=2&cursor=${second.body.data.next_cursor}`);
    expect(third.body.data.invitations.map((entry: { id: string }) => entry.id)).toEqual([ids[0]]);
    expect(third.body.data.next_cursor).toBeNull();
    // Accepted invitations are participants, not invitations: the two the band joined by are not listed.
    expect((await list(owner, sessionId)).body.data.invitations).toHaveLength(5);
    const bad = await list(owner, sessionId, "?cursor=not-a-cursor");
    expect([bad.status, bad.body.error.code]).toEqual([400, "VALIDATION_ERROR"]);
    expect((await list(owner, sessionId, "?status=accepted")).status).toBe(400);
  });

  it("shows an address only to those who manage participants and to whoever sent the invitation", async () => {
    const { owner, editor, commenter, sessionId } = await band();
    const [byOwner] = await invite(owner, sessionId, [{ email: "owners-guest@example.test", role: "viewer" }]);
    const [byEditor] = await invite(editor, sessionId, [{ email: "editors-guest@example.test", role: "viewer" }]);
    const someone = await newUser("someone");
    const [byId] = await invite(editor, sessionId, [{ user_id: someone.id, role: "commenter" }]);

    const forOwner = (await list(owner, sessionId)).body.data.invitations as Record<string, unknown>[];
    expect(forOwner.map((entry) => [entry.id, entry.email])).toEqual([
      [byId!.invitation_id, null],
      [byEditor!.invitation_id, "editors-guest@example.test"],
      [byOwner!.invitation_id, "owners-guest@example.test"],
    ]);
    const forEditor = (await list(editor, sessionId)).body.data.invitations as Record<string, unknown>[];
    expect(forEditor.map((entry) => entry.email)).toEqual([null, "editors-guest@example.test", undefined]);
    expect(forEditor[2]).not.toHaveProperty("email");
    expect(forEditor[0]).toMatchObject({ user_id: someone.id, invited_by: { user_id: editor.id } });

    expect((await list(commenter, sessionId)).status).toBe(403);
    const stranger = await newUser("stranger");
    expect((await list(stranger, sessionId)).status).toBe(403);
  });

  it("an ended or archived session answers 409 SESSION_NOT_ACTIVE", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { settings: { archive_after_days: 1 } });
    await invite(owner, session.id, [{ email: "late@example.test", role: "viewer" }]);
    expect((await api("POST", `/sessions/${session.id}/end`, { user: owner })).status).toBe(200);
    const ended = await list(owner, session.id);
    expect([ended.status, ended.body.error.code]).toEqual([409, "SESSION_NOT_ACTIVE"]);

    await runInDurableObject(stubOf(session.id), async (instance: SessionRoom) => {
      instance.clock = () => Date.now() + 2 * 24 * 3600_000;
      await instance.alarm();
    });
    const row = await env.DB.prepare("SELECT status FROM sessions WHERE id = ?").bind(session.id).first();
    expect(row?.status).toBe("archived");
    const archived = await list(owner, session.id);
    expect([archived.status, archived.body.error.code]).toEqual([409, "SESSION_NOT_ACTIVE"]);
    const stranger = await newUser("stranger");
    expect((await list(stranger, session.id)).status).toBe(403);
  });
});

describe("declining an invitation", () => {
  it("takes it off the invitee's list, admits nobody any more, and shows as declined to those who invite", async () => {
    const { owner, editor, sessionId } = await band();
    const invitee = await newUser("invitee");
    const [invited] = await invite(editor, sessionId, [{ user_id: invitee.id, role: "viewer" }], "Come along");
    const id = invited!.invitation_id;
    const mine = await api("GET", "/sessions/my-invitations", { user: invitee });
    expect(mine.body.data.invitations.map((entry: { id: string }) => entry.id)).toEqual([id]);

    const declined = await api("POST", `/sessions/my-invitations/${id}/decline`, { user: invitee });
    expect(declined.status).toBe(200);
    expect(declined.body.data).toEqual({ id, session_id: sessionId, declined: true });

    expect((await api("GET", "/sessions/my-invitations", { user: invitee })).body.data.invitations).toEqual([]);
    const projected = await env.DB.prepare("SELECT count(*) AS n FROM session_invitations WHERE id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(projected?.n).toBe(0);
    const join = await api("POST", `/sessions/${sessionId}/join`, { user: invitee });
    expect([join.status, join.body.error.code]).toEqual([403, "INVITATION_REQUIRED"]);
    const again = await api("POST", `/sessions/my-invitations/${id}/decline`, { user: invitee });
    expect([again.status, again.body.error.code]).toEqual([404, "NOT_FOUND"]);

    // Whoever sent it sees it declined (an editor: no private activity), and it is no longer pending.
    expect((await list(editor, sessionId)).body.data.invitations).toEqual([]);
    const declinedList = (await list(editor, sessionId, "?status=declined")).body.data.invitations;
    expect(declinedList).toEqual([
      expect.objectContaining({ id, user_id: invitee.id, status: "declined", message: "Come along" }),
    ]);
    expect(Date.parse(declinedList[0].declined_at)).not.toBeNaN();
    // The owner also finds it in the private activity; the editor does not.
    const activity = await api("GET", `/sessions/${sessionId}/activities?type=invitation_declined`, { user: owner });
    expect(activity.body.data.activities).toEqual([
      expect.objectContaining({ user_id: invitee.id, is_private: true, details: { invitation_id: id } }),
    ]);
    const forEditor = await api("GET", `/sessions/${sessionId}/activities?type=invitation_declined`, { user: editor });
    expect(forEditor.body.data.activities).toEqual([]);

    // A new invitation starts over.
    const [reinvited] = await invite(editor, sessionId, [{ user_id: invitee.id, role: "viewer" }]);
    expect(reinvited!.invitation_id).not.toBe(id);
    expect((await api("POST", `/sessions/${sessionId}/join`, { user: invitee })).status).toBe(200);
  });

  it("by the holder of the address it was sent to", async () => {
    const { owner, sessionId } = await band();
    const holder = await newUser("holder");
    const [invited] = await invite(owner, sessionId, [{ email: holder.email, role: "commenter" }]);
    const declined = await api("POST", `/sessions/my-invitations/${invited!.invitation_id}/decline`, { user: holder });
    expect(declined.status).toBe(200);
    const join = await api("POST", `/sessions/${sessionId}/join`, { user: holder });
    expect(join.body.error.code).toBe("INVITATION_REQUIRED");
  });

  it("nobody else may: a stranger, a participant, even the owner get 404, and the invitation stands", async () => {
    const { owner, editor, sessionId } = await band();
    const invitee = await newUser("invitee");
    const [invited] = await invite(owner, sessionId, [{ user_id: invitee.id, role: "editor" }]);
    const path = `/sessions/my-invitations/${invited!.invitation_id}/decline`;
    for (const user of [await newUser("stranger"), editor, owner]) {
      const refused = await api("POST", path, { user });
      expect([refused.status, refused.body.error.code]).toEqual([404, "NOT_FOUND"]);
    }
    expect(
      (await api("POST", `/sessions/my-invitations/${crypto.randomUUID()}/decline`, { user: invitee })).status,
    ).toBe(404);
    expect((await list(owner, sessionId)).body.data.invitations).toHaveLength(1);
    expect((await api("POST", `/sessions/${sessionId}/join`, { user: invitee })).status).toBe(200);
  });

  it("not once the session has ended: 409 SESSION_NOT_ACTIVE", async () => {
    const { owner, sessionId } = await band();
    const invitee = await newUser("invitee");
    const [invited] = await invite(owner, sessionId, [{ user_id: invitee.id, role: "viewer" }]);
    expect((await api("POST", `/sessions/${sessionId}/end`, { user: owner })).status).toBe(200);
    const refused = await api("POST", `/sessions/my-invitations/${invited!.invitation_id}/decline`, { user: invitee });
    expect([refused.status, refused.body.error.code]).toEqual([409, "SESSION_NOT_ACTIVE"]);
  });
});
