/**
 * ChordMe's own frontend client (`SessionManagementService` in the ChordMe repository) works against this service
 * unchanged: every call here is made the way that client makes it (method, path, query string, headers, body) and
 * only the fields it reads are read. CONTRACT.md "ChordMe compatibility" lists the aliases this relies on.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ACTIVITIES_KEPT } from "../src/room/activity-history";
import type { SessionRoom } from "../src/room/session-room";
import { parseRoute } from "../web/src/lib/routes";
import { api, createSong, newUser, type TestUser } from "./helpers";

/** ChordMe's `VITE_API_BASE_URL`. */
const API_BASE_URL = "http://sessions.test";

type Json = any;

/** One request as ChordMe's client sends it, kept so a test can check what went over the wire. */
interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * The network behaviour of ChordMe's SessionManagementService: every call sends `Content-Type: application/json`
 * and the bearer token (GETs and `leave` too, with no body); an answer is unwrapped as `data.data || data`; a
 * refusal becomes `new Error(errorData.message || errorData.error || "HTTP <status>")`.
 */
class ChordMeClient {
  readonly sent: SentRequest[] = [];

  constructor(private readonly token: string) {}

  private headers(): Record<string, string> {
    return { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` };
  }

  private async request(method: string, url: string, body?: string): Promise<Json> {
    const headers = this.headers();
    this.sent.push({ method, url, headers, body });
    const response = await exports.default.fetch(
      url,
      body === undefined ? { method, headers } : { method, headers, body },
    );
    if (!response.ok) {
      const errorData: Json = await response.json().catch(() => ({}));
      throw new Error(errorData.message || errorData.error || `HTTP ${response.status}`);
    }
    const data: Json = await response.json();
    return data.data || data;
  }

  createSession(request: Json): Promise<Json> {
    return this.request("POST", `${API_BASE_URL}/api/v1/sessions`, JSON.stringify(request));
  }

  getSession(sessionId: string): Promise<Json> {
    return this.request("GET", `${API_BASE_URL}/api/v1/sessions/${sessionId}`);
  }

  joinSession(sessionId: string, request?: { invitation_code?: string }): Promise<Json> {
    return this.request("POST", `${API_BASE_URL}/api/v1/sessions/${sessionId}/join`, JSON.stringify(request || {}));
  }

  async leaveSession(sessionId: string): Promise<void> {
    await this.request("POST", `${API_BASE_URL}/api/v1/sessions/${sessionId}/leave`);
  }

  async getSessionParticipants(sessionId: string): Promise<Json[]> {
    return (await this.request("GET", `${API_BASE_URL}/api/v1/sessions/${sessionId}/participants`)).participants;
  }

  inviteUsers(sessionId: string, request: { users: { email: string; role?: string }[]; message?: string }) {
    return this.request("POST", `${API_BASE_URL}/api/v1/sessions/${sessionId}/invite`, JSON.stringify(request));
  }

  async getSessionActivities(
    sessionId: string,
    filters?: { limit?: number; offset?: number; activity_type?: string },
  ): Promise<Json[]> {
    const params = new URLSearchParams();
    if (filters?.limit) params.append("limit", filters.limit.toString());
    if (filters?.offset) params.append("offset", filters.offset.toString());
    if (filters?.activity_type) params.append("activity_type", filters.activity_type);
    const query = params.toString();
    const url = `${API_BASE_URL}/api/v1/sessions/${sessionId}/activities${query ? `?${query}` : ""}`;
    return (await this.request("GET", url)).activities;
  }

  async getSessionTemplates(category?: string): Promise<Json[]> {
    const params = new URLSearchParams();
    if (category) params.append("category", category);
    const query = params.toString();
    return (await this.request("GET", `${API_BASE_URL}/api/v1/sessions/templates${query ? `?${query}` : ""}`))
      .templates;
  }

  async getMySessions(filters?: { status?: string; role?: string }): Promise<Json[]> {
    const params = new URLSearchParams();
    if (filters?.status) params.append("status", filters.status);
    if (filters?.role) params.append("role", filters.role);
    const query = params.toString();
    return (await this.request("GET", `${API_BASE_URL}/api/v1/sessions/my-sessions${query ? `?${query}` : ""}`))
      .sessions;
  }
}

const chordme = (user: TestUser) => new ChordMeClient(user.token);

/** The fields ChordMe's `calculateSessionHealth` reads, each usable the way it uses them. */
function expectHealthFields(session: Json) {
  const participation = session.participant_count / session.max_participants;
  expect(Number.isFinite(participation)).toBe(true);
  expect(participation).toBeGreaterThan(0);
  const hoursSinceActivity = (Date.now() - new Date(session.last_activity).getTime()) / 3_600_000;
  expect(Number.isFinite(hoursSinceActivity)).toBe(true);
  expect(hoursSinceActivity).toBeLessThan(1);
  expect(session.last_activity).toBe(session.last_activity_at);
  expect(session.started_at).toBeTruthy();
  expect(Number.isFinite(new Date(session.started_at).getTime())).toBe(true);
  expect(session.auto_save_enabled).toBe(true);
  expect(typeof session.is_recording).toBe("boolean");
}

/** The message ChordMe shows for a refusal. */
async function refusal(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(Error);
  return (error as Error).message;
}

async function newSession(owner: TestUser, fields: Record<string, unknown> = {}) {
  const song = await createSong(owner);
  return chordme(owner).createSession({ song_id: song.id, name: "Friday rehearsal", ...fields });
}

const ids = (entries: { id: number }[]) => entries.map((entry) => entry.id);

describe("ChordMe's SessionManagementService against this service", () => {
  it("creates, reads, joins and leaves a session, and lists its participants", async () => {
    const owner = await newUser("owner");
    const guest = await newUser("guest");
    const created = await newSession(owner, {
      description: "Setlist for Friday",
      access_mode: "link-access",
      max_participants: 4,
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.name).toBe("Friday rehearsal");
    expect(created.description).toBe("Setlist for Friday");
    expect(created.access_mode).toBe("link-access");
    expect(created.max_participants).toBe(4);
    expect(created.status).toBe("active");
    expectHealthFields(created);

    const joined = await chordme(guest).joinSession(created.id, { invitation_code: created.invitation_code });
    expect(joined.id).toBe(created.id);
    expect(joined.participant_count).toBe(2);
    expectHealthFields(joined);

    const seen = await chordme(guest).getSession(created.id);
    expect(seen.user_role).toBe("viewer");
    expectHealthFields(seen);

    const participants = await chordme(owner).getSessionParticipants(created.id);
    expect(participants.map((participant) => participant.user_id).sort()).toEqual([owner.id, guest.id].sort());

    const client = chordme(guest);
    await client.leaveSession(created.id);
    const leave = client.sent.at(-1)!;
    expect(leave.method).toBe("POST");
    expect(leave.body).toBeUndefined();
    expect(leave.headers["Content-Type"]).toBe("application/json");
    const after = await chordme(owner).getSessionParticipants(created.id);
    expect(after.map((participant) => participant.user_id)).toEqual([owner.id]);

    // A public session is joined with an empty body.
    const open = await newSession(owner, { access_mode: "public" });
    const entered = await chordme(guest).joinSession(open.id);
    expect(entered.user_role).toBe("viewer");
  });

  it("invites by email: invited_users carries each invitee's email, role and user_id; errors is an array", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const known = await newUser("known");
    const session = await newSession(owner);
    const client = chordme(owner);
    const result = await client.inviteUsers(session.id, {
      users: [{ email: known.email, role: "editor" }, { email: "Nobody-Yet@Example.test" }],
      message: "Join us on Friday",
    });
    expect(Array.isArray(result.errors)).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.invited_users).toHaveLength(2);
    expect(result.invited_users[0].email).toBe(known.email);
    expect(result.invited_users[0].role).toBe("editor");
    // An address is invited as an address: the answer never says whether it belongs to someone.
    expect(result.invited_users[0].user_id).toBeNull();
    expect(result.invited_users[1]).toMatchObject({ email: "nobody-yet@example.test", role: "viewer", user_id: null });

    // The invitee joins with the invitation, in the role it gave.
    const joined = await chordme(known).joinSession(session.id);
    expect(joined.user_role).toBe("editor");

    // A refused entry lands in `errors`, still an array, and not in invited_users.
    const invitedByOwner = await api("POST", `/sessions/${session.id}/invite`, {
      user: owner,
      body: {
        users: [
          { user_id: editor.id, role: "editor" },
          { email: "pending@example.test", role: "viewer" },
        ],
      },
    });
    expect(invitedByOwner.body.data.invited_users).toMatchObject([
      { user_id: editor.id, email: null, role: "editor" },
      { user_id: null, email: "pending@example.test", role: "viewer" },
    ]);
    // An invitation's id, when the session's answer carries one, is passed on.
    const nowInvited = invitedByOwner.body.data.invited.filter((entry: Json) => entry.status === "invited");
    expect(invitedByOwner.body.data.invited_users.map((entry: Json) => entry.invitation_id)).toEqual(
      nowInvited.map((entry: Json) => entry.invitation_id),
    );
    await chordme(editor).joinSession(session.id);
    const mixed = await chordme(editor).inviteUsers(session.id, {
      users: [{ email: "pending@example.test", role: "editor" }, { email: "fresh@example.test" }],
    });
    expect(Array.isArray(mixed.errors)).toBe(true);
    expect(mixed.errors).toHaveLength(1);
    expect(mixed.errors[0]).toMatchObject({ index: 0, code: "ALREADY_INVITED" });
    expect(typeof mixed.errors[0].message).toBe("string");
    expect(mixed.invited_users).toMatchObject([{ user_id: null, email: "fresh@example.test", role: "viewer" }]);

    // An entry for someone already taking part is not among the invited users either.
    const again = await api("POST", `/sessions/${session.id}/invite`, {
      user: owner,
      body: { users: [{ user_id: known.id, role: "viewer" }] },
    });
    expect(again.status).toBe(200);
    expect(again.body.data.invited).toEqual([{ user_id: known.id, role: "viewer", status: "already_participant" }]);
    expect(again.body.data.invited_users).toEqual([]);
  });

  it("lists activities: activity_type filters by type, offset skips, each entry carries activity_type", async () => {
    const owner = await newUser("owner");
    const session = await newSession(owner, { access_mode: "link-access" });
    const guests = [await newUser("guest"), await newUser("guest"), await newUser("guest")];
    for (const guest of guests) {
      await chordme(guest).joinSession(session.id, { invitation_code: session.invitation_code });
    }
    await chordme(guests[2]!).leaveSession(session.id);
    // A role change is private: only the owner sees it.
    const changed = await api("PATCH", `/sessions/${session.id}/participants/${guests[0]!.id}`, {
      user: owner,
      body: { role: "commenter" },
    });
    expect(changed.status).toBe(200);

    const joins = await chordme(owner).getSessionActivities(session.id, { activity_type: "user_joined" });
    expect(joins).toHaveLength(3);
    expect(joins.map((entry) => entry.activity_type)).toEqual(["user_joined", "user_joined", "user_joined"]);

    for (const reader of [owner, guests[1]!]) {
      const all = await chordme(reader).getSessionActivities(session.id, { limit: 100 });
      for (const entry of all) expect(entry.activity_type).toBe(entry.type);
      const privateEntries = all.filter((entry) => entry.activity_type === "permission_changed");
      expect(privateEntries).toHaveLength(reader === owner ? 1 : 0);
      for (let offset = 0; offset <= all.length; offset += 1) {
        const page = await chordme(reader).getSessionActivities(session.id, { limit: 2, offset });
        expect(ids(page), `offset ${offset}`).toEqual(ids(all.slice(offset, offset + 2)));
      }
      const laterJoins = await chordme(reader).getSessionActivities(session.id, {
        limit: 1,
        offset: 1,
        activity_type: "user_joined",
      });
      expect(ids(laterJoins)).toEqual(ids(joins.slice(1, 2)));
    }

    // Our own names still work, and an offset goes on from a cursor.
    const first = await api("GET", `/sessions/${session.id}/activities?limit=2`, { user: owner });
    const all = (await api("GET", `/sessions/${session.id}/activities`, { user: owner })).body.data.activities;
    const cursor = first.body.data.next_cursor;
    const afterCursor = await api("GET", `/sessions/${session.id}/activities?limit=2&cursor=${cursor}&offset=1`, {
      user: owner,
    });
    expect(ids(afterCursor.body.data.activities)).toEqual(ids(all.slice(3, 5)));
    const same = await api("GET", `/sessions/${session.id}/activities?type=user_left&activity_type=user_left`, {
      user: owner,
    });
    expect(same.body.data.activities.map((entry: Json) => entry.type)).toEqual(["user_left"]);
    const clash = await api("GET", `/sessions/${session.id}/activities?type=user_left&activity_type=user_joined`, {
      user: owner,
    });
    expect(clash.status).toBe(400);
  });

  it("reads templates by category and my sessions by status and role", async () => {
    const owner = await newUser("owner");
    const templates = await chordme(owner).getSessionTemplates("rehearsal");
    expect(templates.length).toBeGreaterThan(0);
    for (const template of templates) {
      expect(template.category).toBe("rehearsal");
      expect(typeof template.id).toBe("number");
      expect(typeof template.name).toBe("string");
      expect(typeof template.max_participants).toBe("number");
    }
    const session = await newSession(owner, { template_id: templates[0]!.id });
    const mine = await chordme(owner).getMySessions({ status: "active", role: "owner" });
    const listed = mine.find((entry) => entry.id === session.id);
    expect(listed).toBeDefined();
    expect(listed.user_role).toBe("owner");
    expect(listed.name).toBe("Friday rehearsal");
    expectHealthFields(listed);
    expect(await chordme(owner).getMySessions({ status: "ended" })).toEqual([]);
    expect(await chordme(owner).getMySessions({ role: "viewer" })).toEqual([]);
    expect((await chordme(owner).getMySessions()).map((entry) => entry.id)).toContain(session.id);
  });

  it("shows a readable message for every refusal", async () => {
    const owner = await newUser("owner");
    const stranger = await newUser("stranger");
    const session = await newSession(owner);

    const forbidden = await refusal(chordme(stranger).getSession(session.id));
    expect(forbidden).not.toBe("[object Object]");
    const body = (await api("GET", `/sessions/${session.id}`, { user: stranger })).body;
    expect(forbidden).toBe(body.error.message);
    expect(body.error.code).toBe("FORBIDDEN");

    const invalid = await refusal(chordme(owner).createSession({ song_id: 1, name: "" }));
    expect(invalid).toMatch(/^Invalid request: name/);
    const missing = await refusal(chordme(owner).getSession(crypto.randomUUID()));
    expect(missing).toMatch(/not found/i);
    const noInvitation = await refusal(chordme(stranger).joinSession(session.id));
    expect(typeof noInvitation).toBe("string");
    expect(noInvitation).not.toMatch(/^\[object|^HTTP /);
    const ownerLeaving = await refusal(chordme(owner).leaveSession(session.id));
    expect(ownerLeaving).toMatch(/transfer/);

    // Every refusal carries the message at the top level: routes, the sign-in check, unknown routes, the upgrade.
    for (const response of [
      await api("GET", `/sessions/${session.id}`, { user: stranger }),
      await api("GET", "/sessions/my-sessions"),
      await api("GET", "/no-such-route", { user: owner }),
      await api("GET", `/sessions/${session.id}/ws`),
      await api("GET", `/sessions/${session.id}/activities?offset=-1`, { user: owner }),
    ]) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.body.status).toBe("error");
      expect(typeof response.body.message).toBe("string");
      expect(response.body.message).toBe(response.body.error.message);
    }
  });

  it("opens ChordMe's invitation links on the join page", () => {
    const id = crypto.randomUUID();
    expect(parseRoute(`/session/${id}/join?code=Ab-cD_12345`)).toEqual({
      name: "join",
      sessionId: id,
      code: "Ab-cD_12345",
    });
    expect(parseRoute(`/session/${id}/join`)).toEqual({ name: "join", sessionId: id, code: null });
    expect(parseRoute(`/join/${id}?code=X`)).toEqual({ name: "join", sessionId: id, code: "X" });
    expect(parseRoute(`/sessions/${id}`)).toEqual({ name: "session", sessionId: id });
  });
});

// ---------------------------------------------------------------- offset over a long log

const stubOf = (id: string) => env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(id));

/** Writes `count` entries into the log (every third one private) and moves them to R2, as activity-history.test does. */
async function fillLog(sessionId: string, count: number) {
  await runInDurableObject(stubOf(sessionId), async (room, state) => {
    for (let index = 0; index < count; index += 1) {
      state.storage.sql.exec(
        "INSERT INTO activities (type, user_id, description, details, is_private, created_at) VALUES (?, NULL, ?, NULL, ?, ?)",
        index % 3 === 0 ? "secret" : "note",
        `entry ${index}`,
        index % 3 === 0 ? 1 : 0,
        new Date().toISOString(),
      );
    }
    const session = room as SessionRoom;
    session.clock = () => Date.now() + 61_000;
    for (let round = 0; round < Math.ceil(count / 1000) + 1; round += 1) await session.alarm();
    session.clock = () => Date.now();
  });
}

/** Every entry a reader sees, newest first, through the cursor. */
async function everyEntry(user: TestUser, sessionId: string, type?: string): Promise<number[]> {
  const found: number[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=100${type ? `&type=${type}` : ""}${cursor ? `&cursor=${cursor}` : ""}`;
    const page = await api("GET", `/sessions/${sessionId}/activities?${query}`, { user });
    expect(page.status).toBe(200);
    found.push(...ids(page.body.data.activities));
    cursor = page.body.data.next_cursor;
  } while (cursor);
  return found;
}

async function expectOffsetsMatch(readers: TestUser[], sessionId: string) {
  for (const reader of readers) {
    for (const type of [undefined, "note", "secret"]) {
      const all = await everyEntry(reader, sessionId, type);
      const offsets = [0, 1, 299, 300, 301, 999, 1_000, 1_234, all.length - 1, all.length, all.length + 5];
      for (const offset of new Set(offsets.filter((offset) => offset >= 0))) {
        const page = await chordme(reader).getSessionActivities(sessionId, { limit: 100, offset, activity_type: type });
        expect(ids(page), `${reader.id} ${type} offset ${offset}`).toEqual(all.slice(offset, offset + 100));
      }
    }
  }
}

describe("offset over a long log", () => {
  it("skips the entries the reader sees, also those only in R2, live and archived", async () => {
    const owner = await newUser("owner");
    const viewer = await newUser("viewer");
    const session = await newSession(owner, { access_mode: "link-access" });
    await chordme(viewer).joinSession(session.id, { invitation_code: session.invitation_code });
    await fillLog(session.id, 1_300);
    const kept = await runInDurableObject(
      stubOf(session.id),
      (_room, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM activities").one().n,
    );
    expect(kept).toBe(ACTIVITIES_KEPT);
    await expectOffsetsMatch([owner, viewer], session.id);

    const ended = await api("PATCH", `/sessions/${session.id}`, {
      user: owner,
      body: { settings: { archive_after_days: 0 } },
    });
    expect(ended.status).toBe(200);
    await api("POST", `/sessions/${session.id}/end`, { user: owner });
    await runInDurableObject(stubOf(session.id), async (room) => {
      await (room as SessionRoom).alarm();
    });
    expect((await chordme(owner).getSession(session.id)).status).toBe("archived");
    await expectOffsetsMatch([owner, viewer], session.id);
  }, 120_000);
});
