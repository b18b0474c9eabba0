import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEFAULT_PERMISSION_MAP } from "../src/domain/permissions";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, createSong, newUser } from "./helpers";

const roomStub = (id: string) => env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(id));

async function projectedRow(id: string) {
  return env.DB.prepare("SELECT * FROM sessions WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

describe("creating a session", () => {
  it("makes the creator the owner and only participant", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, "{title: Wonderwall}\n[Em]Today is gonna be");
    const response = await api("POST", "/sessions", {
      user: owner,
      body: { song_id: song.id, name: "  Friday rehearsal  ", description: "Run the set" },
    });
    expect(response.status).toBe(201);
    const session = response.body.data;
    expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(session.name).toBe("Friday rehearsal");
    expect(session.owner_id).toBe(owner.id);
    expect(session.user_role).toBe("owner");
    expect(session.participant_count).toBe(1);
    expect(session.status).toBe("active");
    expect(session.access_mode).toBe("invite-only");
    expect(session.max_participants).toBe(10);
    expect(session.is_recording).toBe(false);
    expect(session.permissions).toEqual([
      "read",
      "edit",
      "comment",
      "invite",
      "manage_participants",
      "manage_session",
      "record",
      "view_private",
    ]);
    expect(session.participants).toHaveLength(1);
    expect(session.participants[0]).toMatchObject({ user_id: owner.id, role: "owner", color: "#FF6B6B" });
    expect(session.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(session).not.toHaveProperty("invitation_code");
  });

  it("refuses a missing song_id, an unknown song, a bad name and a bad access mode", async () => {
    const owner = await newUser("owner");
    const missing = await api("POST", "/sessions", { user: owner, body: { name: "x" } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("VALIDATION_ERROR");
    expect(missing.body.error.details).toContainEqual(expect.objectContaining({ path: "song_id" }));

    const unknown = await api("POST", "/sessions", { user: owner, body: { song_id: 987654, name: "x" } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("NOT_FOUND");

    const song = await createSong(owner);
    const blank = await api("POST", "/sessions", { user: owner, body: { song_id: song.id, name: "   " } });
    expect(blank.status).toBe(400);
    const mode = await api("POST", "/sessions", {
      user: owner,
      body: { song_id: song.id, name: "x", access_mode: "open" },
    });
    expect(mode.status).toBe(400);
    const tooMany = await api("POST", "/sessions", {
      user: owner,
      body: { song_id: song.id, name: "x", max_participants: 51 },
    });
    expect(tooMany.status).toBe(400);
  });

  it("gives a link-access session an 11-character invitation code", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { access_mode: "link-access" });
    expect(session.invitation_code).toMatch(/^[A-Za-z0-9_-]{11}$/);
  });

  it("applies a template and lets explicit fields override it", async () => {
    const owner = await newUser("owner");
    const practice = await createSession(owner, { template_id: 1 });
    expect(practice.max_participants).toBe(8);
    expect(practice.default_role).toBe("viewer");
    expect(practice.is_recording).toBe(true);
    expect(practice.settings).toMatchObject({ auto_recording: true, auto_save_interval: 30 });
    // The session's own map of each role's rights comes with the view: a Music Lesson's editors may only comment.
    const lesson = await createSession(owner, { template_id: 2 });
    expect(lesson.role_permissions.editor).not.toContain("edit");
    expect(lesson.role_permissions.commenter).toEqual(expect.arrayContaining(["read", "comment"]));
    const plain = await createSession(owner);
    expect(plain.role_permissions).toEqual(DEFAULT_PERMISSION_MAP);
    const custom = await createSession(owner, {
      template_id: 1,
      max_participants: 3,
      settings: { auto_recording: false, auto_save_interval: 10 },
    });
    expect(custom.max_participants).toBe(3);
    expect(custom.is_recording).toBe(false);
    expect(custom.settings).toMatchObject({ auto_recording: false, auto_save_interval: 10 });
    const unknownTemplate = await api("POST", "/sessions", {
      user: owner,
      body: { song_id: practice.song_id, name: "x", template_id: 9999 },
    });
    expect(unknownTemplate.status).toBe(404);
  });
});

describe("reading a session", () => {
  it("answers the owner, refuses a non-member and does not know unknown ids", async () => {
    const owner = await newUser("owner");
    const stranger = await newUser("stranger");
    const session = await createSession(owner);
    const mine = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(mine.status).toBe(200);
    expect(mine.body.data.user_role).toBe("owner");
    const theirs = await api("GET", `/sessions/${session.id}`, { user: stranger });
    expect(theirs.status).toBe(403);
    expect(theirs.body.error.code).toBe("FORBIDDEN");
    const unknown = await api("GET", `/sessions/${crypto.randomUUID()}`, { user: owner });
    expect(unknown.status).toBe(404);
    const notAnId = await api("GET", "/sessions/not-a-session", { user: owner });
    expect(notAnId.status).toBe(404);
  });

  it("lets anyone read a public session, without a role", async () => {
    const owner = await newUser("owner");
    const stranger = await newUser("stranger");
    const session = await createSession(owner, { access_mode: "public" });
    const view = await api("GET", `/sessions/${session.id}`, { user: stranger });
    expect(view.status).toBe(200);
    expect(view.body.data.user_role).toBeNull();
    expect(view.body.data.permissions).toEqual([]);
    expect(view.body.data.participants[0]).not.toHaveProperty("email");
  });
});

describe("changing a session", () => {
  it("updates fields for the owner and refuses others", async () => {
    const owner = await newUser("owner");
    const stranger = await newUser("stranger");
    const session = await createSession(owner);
    const patched = await api("PATCH", `/sessions/${session.id}`, {
      user: owner,
      body: { name: "Sunday", access_mode: "link-access", max_participants: 4, settings: { idle_timeout_minutes: 60 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({ name: "Sunday", access_mode: "link-access", max_participants: 4 });
    expect(patched.body.data.settings).toMatchObject({ idle_timeout_minutes: 60, archive_after_days: 30 });
    expect(patched.body.data.invitation_code).toMatch(/^[A-Za-z0-9_-]{11}$/);
    const refused = await api("PATCH", `/sessions/${session.id}`, { user: stranger, body: { name: "Mine" } });
    expect(refused.status).toBe(403);
    const empty = await api("PATCH", `/sessions/${session.id}`, { user: owner, body: {} });
    expect(empty.status).toBe(400);
    const after = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(after.body.data.name).toBe("Sunday");
  });

  it("allows only the legal status transitions", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    const path = (action: string) => `/sessions/${session.id}/${action}`;
    expect((await api("POST", path("resume"), { user: owner })).status).toBe(409);
    const paused = await api("POST", path("pause"), { user: owner });
    expect(paused.status).toBe(200);
    expect(paused.body.data.status).toBe("paused");
    const pausedAgain = await api("POST", path("pause"), { user: owner });
    expect(pausedAgain.status).toBe(409);
    expect(pausedAgain.body.error.code).toBe("INVALID_STATUS_TRANSITION");
    expect((await api("POST", path("resume"), { user: owner })).body.data.status).toBe("active");
    const ended = await api("POST", path("end"), { user: owner });
    expect(ended.body.data.status).toBe("ended");
    expect(ended.body.data.ended_at).toMatch(/Z$/);
    expect((await api("POST", path("resume"), { user: owner })).status).toBe(409);
    expect((await api("POST", path("end"), { user: owner })).status).toBe(409);
    const readOnly = await api("PATCH", `/sessions/${session.id}`, { user: owner, body: { name: "Again" } });
    expect(readOnly.status).toBe(409);
    expect(readOnly.body.error.code).toBe("SESSION_NOT_ACTIVE");
  });

  it("rotates the invitation code of a link-access session", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { access_mode: "link-access" });
    const rotated = await api("POST", `/sessions/${session.id}/invitation-code/rotate`, { user: owner });
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.invitation_code).not.toBe(session.invitation_code);
    const view = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(view.body.data.invitation_code).toBe(rotated.body.data.invitation_code);
    const inviteOnly = await createSession(owner);
    expect((await api("POST", `/sessions/${inviteOnly.id}/invitation-code/rotate`, { user: owner })).status).toBe(409);
  });
});

describe("listing sessions", () => {
  it("pages my sessions newest activity first, without duplicates or gaps, with filters", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner);
    const created: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      created.push((await createSession(owner, { song_id: song.id, name: `Session ${index}` })).id);
    }
    await api("POST", `/sessions/${created[2]}/pause`, { user: owner });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : "?limit=3";
      const page = await api("GET", `/sessions/my-sessions${query}`, { user: owner });
      expect(page.status).toBe(200);
      for (const session of page.body.data.sessions) {
        expect(session.user_role).toBe("owner");
        expect(session).not.toHaveProperty("participants");
        seen.push(session.id);
      }
      cursor = page.body.data.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    // The paused session had the latest activity.
    expect(seen[0]).toBe(created[2]);
    expect(new Set(seen)).toEqual(new Set(created));

    const paused = await api("GET", "/sessions/my-sessions?status=paused", { user: owner });
    expect(paused.body.data.sessions.map((session: { id: string }) => session.id)).toEqual([created[2]]);
    const asViewer = await api("GET", "/sessions/my-sessions?role=viewer", { user: owner });
    expect(asViewer.body.data.sessions).toEqual([]);
    const badCursor = await api("GET", "/sessions/my-sessions?cursor=nonsense", { user: owner });
    expect(badCursor.status).toBe(400);
  });

  it("lists active public sessions for anyone", async () => {
    const owner = await newUser("owner");
    const stranger = await newUser("stranger");
    const song = await createSong(owner);
    const open = await createSession(owner, { song_id: song.id, access_mode: "public" });
    await createSession(owner, { song_id: song.id });
    const listing = await api("GET", `/sessions/public?song_id=${song.id}`, { user: stranger });
    expect(listing.status).toBe(200);
    expect(listing.body.data.sessions.map((session: { id: string }) => session.id)).toEqual([open.id]);
    expect(listing.body.data.sessions[0].user_role).toBeNull();
  });
});

describe("the D1 projection", () => {
  it("is written through the outbox and delivered by the alarm after D1 refused it", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    expect((await projectedRow(session.id))?.name).toBe("Rehearsal");

    const stub = roomStub(session.id);
    await runInDurableObject(stub, (instance) => {
      const room = instance as SessionRoom;
      const realWriter = room.projectionWriter;
      let failures = 0;
      room.projectionWriter = async (db, snapshot) => {
        if (failures === 0) {
          failures += 1;
          throw new Error("D1 is unavailable");
        }
        return realWriter(db, snapshot);
      };
    });
    const patched = await api("PATCH", `/sessions/${session.id}`, { user: owner, body: { name: "Renamed" } });
    expect(patched.status).toBe(200);
    expect(patched.body.data.name).toBe("Renamed");
    expect((await projectedRow(session.id))?.name).toBe("Rehearsal");
    const pending = await runInDurableObject(
      stub,
      (_room, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n,
    );
    expect(pending).toBe(1);

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const row = await projectedRow(session.id);
    expect(row?.name).toBe("Renamed");
    expect(row?.participant_count).toBe(1);
    const after = await runInDurableObject(
      stub,
      (_room, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n,
    );
    expect(after).toBe(0);
  });
});
