/**
 * Every membership, session, ticket, recording, health and statistics route of a session against every kind of
 * caller. Expected statuses are written out here, not derived from the permission function under test.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createSession, newUser, type TestUser } from "./helpers";

type Caller = "owner" | "editor" | "commenter" | "viewer" | "stranger" | "removed" | "lessonEditor";

interface Fixture {
  sessionId: string;
  users: Record<"owner" | "editor" | "commenter" | "viewer" | "stranger" | "removed", TestUser>;
}

/** A link-access session with one participant per role and a removed user. */
async function fixture(templateId?: number): Promise<Fixture> {
  const [owner, editor, commenter, viewer, stranger, removed] = await Promise.all(
    ["owner", "editor", "commenter", "viewer", "stranger", "removed"].map((label) => newUser(label)),
  );
  const users = {
    owner: owner!,
    editor: editor!,
    commenter: commenter!,
    viewer: viewer!,
    stranger: stranger!,
    removed: removed!,
  };
  const session = await createSession(users.owner, {
    access_mode: "link-access",
    ...(templateId ? { template_id: templateId } : {}),
  });
  const invited = await api("POST", `/sessions/${session.id}/invite`, {
    user: users.owner,
    body: {
      users: [
        { user_id: users.editor.id, role: "editor" },
        { user_id: users.commenter.id, role: "commenter" },
        { user_id: users.viewer.id, role: "viewer" },
        { user_id: users.removed.id, role: "viewer" },
      ],
    },
  });
  expect(invited.status).toBe(200);
  for (const user of [users.editor, users.commenter, users.viewer, users.removed]) {
    expect((await api("POST", `/sessions/${session.id}/join`, { user })).status).toBe(200);
  }
  expect(
    (await api("DELETE", `/sessions/${session.id}/participants/${users.removed.id}`, { user: users.owner })).status,
  ).toBe(200);
  return { sessionId: session.id, users };
}

/** A fresh pending invitation, so each caller has one to revoke. */
async function pendingInvitation(f: Fixture, inviter: keyof Fixture["users"] = "owner"): Promise<string> {
  const email = `pending-${crypto.randomUUID()}@example.test`;
  await api("POST", `/sessions/${f.sessionId}/invite`, {
    user: f.users[inviter],
    body: { users: [{ email, role: "viewer" }] },
  });
  const row = await env.DB.prepare("SELECT id FROM session_invitations WHERE session_id = ? AND email = ?")
    .bind(f.sessionId, email)
    .first<{ id: string }>();
  // A caller who may not invite sent none: any id will do, the refusal comes first.
  return row?.id ?? crypto.randomUUID();
}

/** Stops the session's recording if one is running, so that the next caller may start one. */
async function noRecording(f: Fixture): Promise<string> {
  const stopped = await api("POST", `/sessions/${f.sessionId}/recording/stop`, { user: f.users.owner });
  expect([200, 409]).toContain(stopped.status);
  return "";
}

/** Starts a recording unless one is running; answers the running recording's id. */
async function aRecording(f: Fixture): Promise<string> {
  const started = await api("POST", `/sessions/${f.sessionId}/recording/start`, { user: f.users.owner });
  expect([200, 409]).toContain(started.status);
  const status = await api("GET", `/sessions/${f.sessionId}/recording/status`, { user: f.users.owner });
  expect(status.body.data.is_recording).toBe(true);
  return status.body.data.recording_id;
}

interface RouteCase {
  name: string;
  request: (f: Fixture, prepared: string) => { method: string; path: string; body?: unknown };
  /** Prepares the session before each call (as its owner); its answer is handed to `request`. */
  before?: (f: Fixture) => Promise<string>;
  expected: Record<Caller, number>;
}

const routes: RouteCase[] = [
  {
    name: "GET /sessions/:id",
    request: (f) => ({ method: "GET", path: `/sessions/${f.sessionId}` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "PATCH /sessions/:id",
    request: (f) => ({ method: "PATCH", path: `/sessions/${f.sessionId}`, body: { name: "Renamed" } }),
    expected: { owner: 200, editor: 403, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "POST /sessions/:id/pause",
    request: (f) => ({ method: "POST", path: `/sessions/${f.sessionId}/pause` }),
    expected: { owner: 200, editor: 403, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "POST /sessions/:id/resume",
    before: async (f) => {
      await api("POST", `/sessions/${f.sessionId}/pause`, { user: f.users.owner });
      return "";
    },
    request: (f) => ({ method: "POST", path: `/sessions/${f.sessionId}/resume` }),
    expected: { owner: 200, editor: 403, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "POST /sessions/:id/end",
    request: (f) => ({ method: "POST", path: `/sessions/${f.sessionId}/end` }),
    expected: { owner: 200, editor: 403, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "POST /sessions/:id/invitation-code/rotate",
    request: (f) => ({ method: "POST", path: `/sessions/${f.sessionId}/invitation-code/rotate` }),
    expected: { owner: 200, editor: 403, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "POST /sessions/:id/join (without a code)",
    request: (f) => ({ method: "POST", path: `/sessions/${f.sessionId}/join` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "POST /sessions/:id/leave",
    request: (f) => ({ method: "POST", path: `/sessions/${f.sessionId}/leave` }),
    expected: { owner: 409, editor: 200, commenter: 200, viewer: 200, stranger: 404, removed: 404, lessonEditor: 200 },
  },
  {
    name: "GET /sessions/:id/participants",
    request: (f) => ({ method: "GET", path: `/sessions/${f.sessionId}/participants` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "POST /sessions/:id/invite",
    request: (f) => ({
      method: "POST",
      path: `/sessions/${f.sessionId}/invite`,
      body: { users: [{ email: "new-friend@example.test", role: "viewer" }] },
    }),
    expected: { owner: 200, editor: 200, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    // Someone else's invitation: only those who manage participants may revoke it.
    name: "DELETE /sessions/:id/invitations/:invitationId",
    before: (f) => pendingInvitation(f, "owner"),
    request: (f, invitationId) => ({ method: "DELETE", path: `/sessions/${f.sessionId}/invitations/${invitationId}` }),
    expected: { owner: 200, editor: 403, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    // An invitation the editor sent: the editor may revoke it too.
    name: "DELETE /sessions/:id/invitations/:invitationId (the editor's own)",
    before: (f) => pendingInvitation(f, "editor"),
    request: (f, invitationId) => ({ method: "DELETE", path: `/sessions/${f.sessionId}/invitations/${invitationId}` }),
    expected: { owner: 200, editor: 200, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    // Needs `invite`; a Music Lesson editor may not invite.
    name: "GET /sessions/:id/invitations",
    request: (f) => ({ method: "GET", path: `/sessions/${f.sessionId}/invitations` }),
    expected: { owner: 200, editor: 200, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    // Only its invitee may decline an invitation: everyone else, the owner too, is told there is none.
    name: "POST /sessions/my-invitations/:invitationId/decline",
    before: (f) => pendingInvitation(f, "owner"),
    request: (_f, invitationId) => ({ method: "POST", path: `/sessions/my-invitations/${invitationId}/decline` }),
    expected: { owner: 404, editor: 404, commenter: 404, viewer: 404, stranger: 404, removed: 404, lessonEditor: 404 },
  },
  {
    name: "PATCH /sessions/:id/participants/:userId",
    request: (f) => ({
      method: "PATCH",
      path: `/sessions/${f.sessionId}/participants/${f.users.viewer.id}`,
      body: { role: "commenter" },
    }),
    expected: { owner: 200, editor: 403, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "DELETE /sessions/:id/participants/:userId",
    request: (f) => ({ method: "DELETE", path: `/sessions/${f.sessionId}/participants/${f.users.viewer.id}` }),
    expected: { owner: 200, editor: 403, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "POST /sessions/:id/transfer",
    request: (f) => ({
      method: "POST",
      path: `/sessions/${f.sessionId}/transfer`,
      body: { user_id: f.users.commenter.id },
    }),
    expected: { owner: 200, editor: 403, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "GET /sessions/:id/activities",
    request: (f) => ({ method: "GET", path: `/sessions/${f.sessionId}/activities` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "POST /sessions/:id/ticket",
    request: (f) => ({ method: "POST", path: `/sessions/${f.sessionId}/ticket` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    // Without a template an editor may record; a Music Lesson editor may not.
    name: "POST /sessions/:id/recording/start",
    before: noRecording,
    request: (f) => ({ method: "POST", path: `/sessions/${f.sessionId}/recording/start` }),
    expected: { owner: 200, editor: 200, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "POST /sessions/:id/recording/stop",
    before: aRecording,
    request: (f) => ({ method: "POST", path: `/sessions/${f.sessionId}/recording/stop` }),
    expected: { owner: 200, editor: 200, commenter: 403, viewer: 403, stranger: 403, removed: 403, lessonEditor: 403 },
  },
  {
    name: "GET /sessions/:id/recording/status",
    request: (f) => ({ method: "GET", path: `/sessions/${f.sessionId}/recording/status` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "GET /sessions/:id/recordings",
    before: aRecording,
    request: (f) => ({ method: "GET", path: `/sessions/${f.sessionId}/recordings` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "GET /sessions/:id/recordings/:rid",
    before: aRecording,
    request: (f, recordingId) => ({ method: "GET", path: `/sessions/${f.sessionId}/recordings/${recordingId}` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "GET /sessions/:id/recordings/:rid/events",
    before: aRecording,
    request: (f, recordingId) => ({
      method: "GET",
      path: `/sessions/${f.sessionId}/recordings/${recordingId}/events`,
    }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "GET /sessions/:id/recordings/:rid/snapshot",
    before: aRecording,
    request: (f, recordingId) => ({
      method: "GET",
      path: `/sessions/${f.sessionId}/recordings/${recordingId}/snapshot?at_ms=0`,
    }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "GET /sessions/:id/health",
    request: (f) => ({ method: "GET", path: `/sessions/${f.sessionId}/health` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
  {
    name: "GET /sessions/:id/stats",
    request: (f) => ({ method: "GET", path: `/sessions/${f.sessionId}/stats` }),
    expected: { owner: 200, editor: 200, commenter: 200, viewer: 200, stranger: 403, removed: 403, lessonEditor: 200 },
  },
];

// The owner goes last: most routes succeed only for the owner, and a success may change what others see.
const callers: Caller[] = ["editor", "commenter", "viewer", "stranger", "removed", "lessonEditor", "owner"];
const MUSIC_LESSON = 2;

describe("authorization matrix", () => {
  for (const route of routes) {
    it(route.name, async () => {
      const actual: Record<string, number> = {};
      const [plain, lesson] = await Promise.all([fixture(), fixture(MUSIC_LESSON)]);
      for (const caller of callers) {
        const f = caller === "lessonEditor" ? lesson! : plain!;
        const user = caller === "lessonEditor" ? f.users.editor : f.users[caller];
        const prepared = (await route.before?.(f)) ?? "";
        const { method, path, body } = route.request(f, prepared);
        const response = await api(method, path, { user, body });
        actual[caller] = response.status;
        if (response.status >= 400) {
          expect(response.body.status).toBe("error");
          expect(typeof response.body.error.code).toBe("string");
        }
      }
      expect(actual).toEqual({ ...route.expected });
    });
  }
});
