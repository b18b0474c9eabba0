import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, newUser, type TestUser } from "./helpers";
import { connect, openSocket, wrap } from "./socket-helpers";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const stubOf = (id: string) => env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(id));

/** Moves the object's clock forward, as if that much time had passed. */
async function advance(id: string, ms: number) {
  await runInDurableObject(stubOf(id), (instance) => {
    (instance as SessionRoom).clock = () => Date.now() + ms;
  });
}

/** Sets the object's clock to `at` (ms since the epoch), as if it were that time. */
async function clockAt(id: string, at: number) {
  await runInDurableObject(stubOf(id), (instance) => {
    (instance as SessionRoom).clock = () => at;
  });
}

/** When the object's alarm is set for (ms since the epoch), or null when none is set. */
function alarmOf(id: string) {
  return runInDurableObject(stubOf(id), (_room, state) => state.storage.getAlarm());
}

/** The alarm is set for `expected`, give or take a second. */
function expectAlarmAt(alarm: number | null, expected: number) {
  expect(alarm, "no alarm is set").not.toBeNull();
  expect(Math.abs(alarm! - expected), `alarm at ${alarm}, expected ${expected}`).toBeLessThanOrEqual(1_000);
}

/** Delivers the object's alarm handler, as the runtime would (also when it was already delivered). */
async function deliverAlarm(id: string) {
  await runInDurableObject(stubOf(id), (instance) => (instance as SessionRoom).alarm());
}

async function activityTypes(user: TestUser, id: string) {
  const response = await api("GET", `/sessions/${id}/activities?limit=100`, { user });
  return response.body.data.activities.map((activity: { type: string }) => activity.type) as string[];
}

describe("idle sessions", () => {
  it("end by themselves, then archive, each exactly once, and stay readable from R2", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const session = await createSession(owner, {
      template_id: 1,
      settings: { idle_timeout_minutes: 1, archive_after_days: 1 },
    });
    await api("POST", `/sessions/${session.id}/invite`, {
      user: owner,
      body: { users: [{ user_id: editor.id, role: "editor" }] },
    });
    await api("POST", `/sessions/${session.id}/join`, { user: editor });
    const socket = await connect(editor, session.id);
    await socket.next("welcome");
    socket.send({ type: "op", seq: 1, rev: 0, op: ["Idle "] });
    await socket.next("ack");

    // The alarm is set for the idle deadline.
    const alarmAt = await runInDurableObject(stubOf(session.id), (_room, state) => state.storage.getAlarm());
    expect(alarmAt).not.toBeNull();

    await advance(session.id, 2 * MINUTE);
    expect(await runDurableObjectAlarm(stubOf(session.id))).toBe(true);
    await deliverAlarm(session.id); // delivered twice: nothing more happens
    expect((await socket.closed).code).toBe(4410);

    const ended = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(ended.body.data.status).toBe("ended");
    expect(ended.body.data.is_recording).toBe(false);
    const ownerTypes = await activityTypes(owner, session.id);
    expect(ownerTypes.filter((type) => type === "session_ended")).toHaveLength(1);
    expect(ownerTypes).toContain("recording_stopped");
    expect(await activityTypes(editor, session.id)).not.toContain("session_ended");
    const endedActivity = (await api("GET", `/sessions/${session.id}/activities?type=session_ended`, { user: owner }))
      .body.data.activities[0];
    expect(endedActivity).toMatchObject({ is_private: true, details: { reason: "idle", idle_timeout_minutes: 1 } });
    const song = await api("GET", `/songs/${session.song_id}`, { user: owner });
    expect(song.body.data.content).toBe("Idle [C]Let it [G]be");
    const recordings = await api("GET", `/sessions/${session.id}/recordings`, { user: owner });
    expect(recordings.body.data.recordings[0]).toMatchObject({ status: "stopped" });
    const projected = await env.DB.prepare("SELECT status, archive_due_at FROM sessions WHERE id = ?")
      .bind(session.id)
      .first();
    expect(projected?.status).toBe("ended");

    const viewBefore = (await api("GET", `/sessions/${session.id}`, { user: owner })).body.data;
    const activitiesBefore = (await api("GET", `/sessions/${session.id}/activities?limit=100`, { user: owner })).body
      .data.activities;
    const participantsBefore = (await api("GET", `/sessions/${session.id}/participants`, { user: editor })).body.data;

    await advance(session.id, 2 * DAY);
    await deliverAlarm(session.id);
    await deliverAlarm(session.id);

    const archive = await env.BUCKET.get(`sessions/${session.id}/archive.json.gz`);
    expect(archive).not.toBeNull();
    const row = await env.DB.prepare("SELECT status, archive_key FROM sessions WHERE id = ?").bind(session.id).first();
    expect(row).toEqual({ status: "archived", archive_key: `sessions/${session.id}/archive.json.gz` });
    const leftInObject = await runInDurableObject(stubOf(session.id), (_room, state) => ({
      sessions: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM session").one().n,
      ops: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM ops").one().n,
    }));
    expect(leftInObject).toEqual({ sessions: 0, ops: 0 });

    const viewAfter = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(viewAfter.status).toBe(200);
    expect(viewAfter.body.data).toEqual({
      ...viewBefore,
      status: "archived",
      updated_at: viewAfter.body.data.updated_at,
      last_activity_at: viewAfter.body.data.last_activity_at,
      last_activity: viewAfter.body.data.last_activity,
    });
    const activitiesAfter = (await api("GET", `/sessions/${session.id}/activities?limit=100`, { user: owner })).body
      .data.activities;
    expect(activitiesAfter[0]).toMatchObject({ type: "session_archived", is_private: true });
    expect(activitiesAfter.filter((activity: { type: string }) => activity.type === "session_archived")).toHaveLength(
      1,
    );
    expect(activitiesAfter.slice(1)).toEqual(activitiesBefore);
    expect((await api("GET", `/sessions/${session.id}/participants`, { user: editor })).body.data).toEqual(
      participantsBefore,
    );
    expect(await activityTypes(editor, session.id)).not.toContain("session_archived");
    const stranger = await newUser("stranger");
    expect((await api("GET", `/sessions/${session.id}`, { user: stranger })).status).toBe(403);
    // Who is asking is checked first, as for a live session; only then is the state reported.
    expect((await api("POST", `/sessions/${session.id}/join`, { user: stranger })).body.error.code).toBe("FORBIDDEN");
    for (const path of ["stats", "health", "recording/status"]) {
      expect((await api("GET", `/sessions/${session.id}/${path}`, { user: stranger })).status).toBe(403);
      const forMember = await api("GET", `/sessions/${session.id}/${path}`, { user: editor });
      expect([forMember.status, forMember.body.error.code]).toEqual([409, "SESSION_NOT_ACTIVE"]);
    }
    expect((await api("POST", `/sessions/${session.id}/ticket`, { user: stranger })).status).toBe(403);
    const ticket = await api("POST", `/sessions/${session.id}/ticket`, { user: editor });
    expect([ticket.status, ticket.body.error.code]).toEqual([409, "SESSION_NOT_ACTIVE"]);
    const closeCodeFor = async (user: TestUser, id: string) => {
      const response = await openSocket(`http://sessions.test/api/v1/sessions/${id}/ws?client_id=c1`, {
        Authorization: `Bearer ${user.token}`,
      });
      const socket = wrap(response.webSocket!);
      const closing = await socket.next("closing");
      expect((await socket.closed).code).toBe(closing.code);
      return closing.code;
    };
    expect(await closeCodeFor(editor, session.id)).toBe(4410);
    expect(await closeCodeFor(stranger, session.id)).toBe(4403);
    expect(await closeCodeFor(editor, crypto.randomUUID())).toBe(4404);
    const rename = await api("PATCH", `/sessions/${session.id}`, { user: owner, body: { name: "Again" } });
    expect(rename.status).toBe(409);
    expect(rename.body.error.code).toBe("SESSION_NOT_ACTIVE");

    const recording = (await api("GET", `/sessions/${session.id}/recordings`, { user: owner })).body.data.recordings[0];
    const snapshot = await api(
      "GET",
      `/sessions/${session.id}/recordings/${recording.id}/snapshot?at_ms=${recording.duration_ms}`,
      {
        user: editor,
      },
    );
    expect(snapshot.body.data.content).toBe("Idle [C]Let it [G]be");
  });

  it("paused sessions end the same way; activity keeps a session alive", async () => {
    const owner = await newUser("owner");
    const paused = await createSession(owner, { settings: { idle_timeout_minutes: 10 } });
    await api("POST", `/sessions/${paused.id}/pause`, { user: owner });
    await advance(paused.id, 11 * MINUTE);
    await deliverAlarm(paused.id);
    expect((await api("GET", `/sessions/${paused.id}`, { user: owner })).body.data.status).toBe("ended");

    const busy = await createSession(owner, { settings: { idle_timeout_minutes: 10 } });
    await advance(busy.id, 9 * MINUTE);
    await api("PATCH", `/sessions/${busy.id}`, { user: owner, body: { description: "still here" } });
    await advance(busy.id, 15 * MINUTE);
    await deliverAlarm(busy.id);
    expect((await api("GET", `/sessions/${busy.id}`, { user: owner })).body.data.status).toBe("active");
  });

  it("every op and presence counts toward the idle deadline, however short it is", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { settings: { idle_timeout_minutes: 1 } });
    const socket = await connect(owner, session.id);
    await socket.next("welcome");
    const start = Date.now();
    const at = (ms: number) =>
      runInDurableObject(stubOf(session.id), (instance) => {
        (instance as SessionRoom).clock = () => start + ms;
      });
    // Someone types about once a second for most of a minute, moving the cursor now and then.
    let rev = 0;
    for (let second = 1; second <= 59; second += 1) {
      await at(second * 1000);
      if (second % 10 === 0) {
        socket.send({ type: "presence", cursor: { anchor: second, head: second } });
        await socket.none("presence");
      } else {
        socket.send({ type: "op", seq: second, rev, op: ["x"] });
        rev = (await socket.next("ack")).rev;
      }
    }
    // A minute after the session started but only seconds after the last keystroke: nothing ends.
    await at(61_500);
    await deliverAlarm(session.id);
    expect((await api("GET", `/sessions/${session.id}`, { user: owner })).body.data.status).toBe("active");
    // A minute after the last keystroke it does.
    await at(59_000 + 61_000);
    await deliverAlarm(session.id);
    expect((await api("GET", `/sessions/${session.id}`, { user: owner })).body.data.status).toBe("ended");
  });
});

describe("the alarm", () => {
  it("is set for the idle deadline, then for the archive deadline, and nothing happens before either", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { settings: { idle_timeout_minutes: 10, archive_after_days: 2 } });
    const view = async () => (await api("GET", `/sessions/${session.id}`, { user: owner })).body.data;
    const archiveKey = `sessions/${session.id}/archive.json.gz`;

    // The activities of its creation go to R2 a minute later; once they have, only the idle deadline is pending.
    await clockAt(session.id, Date.parse(session.created_at) + 2 * MINUTE);
    await deliverAlarm(session.id);
    const active = await view();
    expect(active.status).toBe("active");
    const idleDue = Date.parse(active.last_activity_at) + 10 * MINUTE;
    expectAlarmAt(await alarmOf(session.id), idleDue);

    // A second before the idle deadline, the alarm handler changes nothing.
    const activitiesBefore = await activityTypes(owner, session.id);
    await clockAt(session.id, idleDue - 1_000);
    await deliverAlarm(session.id);
    expect(await view()).toEqual(active);
    expect(await activityTypes(owner, session.id)).toEqual(activitiesBefore);
    expectAlarmAt(await alarmOf(session.id), idleDue);

    // At the deadline the alarm the object set ends the session.
    await clockAt(session.id, idleDue);
    expect(await runDurableObjectAlarm(stubOf(session.id))).toBe(true);
    const ended = await view();
    expect(ended.status).toBe("ended");
    expect(Math.abs(Date.parse(ended.ended_at) - idleDue)).toBeLessThanOrEqual(1_000);
    expect((await activityTypes(owner, session.id)).filter((type) => type === "session_ended")).toHaveLength(1);

    // Once the end's activities are in R2, only the archive deadline is pending.
    await clockAt(session.id, Date.parse(ended.ended_at) + 2 * MINUTE);
    await deliverAlarm(session.id);
    const archiveDue = Date.parse(ended.ended_at) + 2 * DAY;
    expectAlarmAt(await alarmOf(session.id), archiveDue);

    // A second before it, nothing is archived.
    await clockAt(session.id, archiveDue - 1_000);
    await deliverAlarm(session.id);
    expect((await view()).status).toBe("ended");
    expect(await env.BUCKET.head(archiveKey)).toBeNull();
    expectAlarmAt(await alarmOf(session.id), archiveDue);

    // At the deadline the alarm archives it.
    await clockAt(session.id, archiveDue);
    expect(await runDurableObjectAlarm(stubOf(session.id))).toBe(true);
    expect(await env.BUCKET.head(archiveKey)).not.toBeNull();
    expect((await view()).status).toBe("archived");
    expect(await alarmOf(session.id)).toBeNull();
  });
});

describe("the cleanup sweep", () => {
  it("is for admins, dry runs change nothing, a lost alarm is caught, and a second run does nothing", async () => {
    const owner = await newUser("owner");
    const admin = await newUser("admin", { admin: true });
    const session = await createSession(owner, { settings: { idle_timeout_minutes: 1 } });
    await advance(session.id, 2 * MINUTE);
    // The alarm was lost, and in D1 the deadline has passed.
    await runInDurableObject(stubOf(session.id), (_room, state) => state.storage.deleteAlarm());
    await env.DB.prepare("UPDATE sessions SET idle_deadline_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - MINUTE).toISOString(), session.id)
      .run();

    const refused = await api("POST", "/sessions/cleanup", { user: owner, body: {} });
    expect(refused.status).toBe(403);
    expect((await api("GET", "/sessions/stats", { user: owner })).status).toBe(403);

    const dry = await api("POST", "/sessions/cleanup", { user: admin, body: { dry_run: true } });
    expect(dry.status).toBe(200);
    // A dry run reports what a real run would do, and does none of it.
    expect(dry.body.data).toMatchObject({ dry_run: true, errors: [] });
    expect(dry.body.data.sessions_ended).toBeGreaterThanOrEqual(1);
    expect(dry.body.data.sessions_checked).toBeGreaterThanOrEqual(1);
    expect((await api("GET", `/sessions/${session.id}`, { user: owner })).body.data.status).toBe("active");

    const run = await api("POST", "/sessions/cleanup", { user: admin });
    expect(run.body.data.dry_run).toBe(false);
    expect(run.body.data.sessions_ended).toBe(dry.body.data.sessions_ended);
    expect(run.body.data.sessions_archived).toBe(dry.body.data.sessions_archived);
    expect(run.body.data.errors).toEqual([]);
    expect((await api("GET", `/sessions/${session.id}`, { user: owner })).body.data.status).toBe("ended");
    const types = await activityTypes(owner, session.id);
    expect(types.filter((type) => type === "session_ended")).toHaveLength(1);

    const again = await api("POST", "/sessions/cleanup", { user: admin, body: {} });
    expect(again.body.data).toMatchObject({ sessions_ended: 0, sessions_archived: 0 });

    const stats = await api("GET", "/sessions/stats", { user: admin });
    expect(stats.status).toBe(200);
    expect(stats.body.data.by_status.ended).toBeGreaterThanOrEqual(1);
    expect(stats.body.data.total_sessions).toBeGreaterThanOrEqual(1);
    expect(stats.body.data.total_activities).toBeGreaterThanOrEqual(3);
  });
});

describe("auto-save", () => {
  it("writes the live text back to the song once per interval while it changes", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { settings: { auto_save_interval: 30 } });
    const socket = await connect(owner, session.id);
    await socket.next("welcome");
    socket.send({ type: "op", seq: 1, rev: 0, op: ["Verse 1\n"] });
    await socket.next("ack");
    const songBefore = await api("GET", `/songs/${session.song_id}`, { user: owner });
    expect(songBefore.body.data.content).toBe("[C]Let it [G]be");

    await advance(session.id, 31_000);
    await deliverAlarm(session.id);
    const saved = await api("GET", `/songs/${session.song_id}`, { user: owner });
    expect(saved.body.data.content).toBe("Verse 1\n[C]Let it [G]be");
    const edits = (await api("GET", `/sessions/${session.id}/activities?type=content_edited`, { user: owner })).body
      .data.activities;
    expect(edits).toHaveLength(1);
    expect(edits[0].details).toMatchObject({ from_rev: 0, to_rev: 1, by_user: { [owner.id]: 1 } });

    // Nothing changed since: the next alarm writes nothing.
    await advance(session.id, 70_000);
    await deliverAlarm(session.id);
    expect(
      (await api("GET", `/sessions/${session.id}/activities?type=content_edited`, { user: owner })).body.data
        .activities,
    ).toHaveLength(1);
  });
});
