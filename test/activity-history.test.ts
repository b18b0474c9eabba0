/**
 * A long session's activity log: the object keeps the latest entries, every entry is in R2, and the activity API
 * pages through all of them, old ones read from R2 with the same filters and privacy as the ones kept.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ACTIVITIES_KEPT } from "../src/room/activity-history";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, newUser, type TestUser } from "./helpers";

const stubOf = (id: string) => env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(id));

/**
 * Writes `count` entries straight into the log (every third one private), then moves them all to R2: the alarm, a
 * minute later, writes one chunk of up to 1,000 waiting entries each time it rings.
 */
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

async function allPages(user: TestUser, sessionId: string, query = "") {
  const ids: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const after: string = cursor ? `&cursor=${cursor}` : "";
    const page = await api("GET", `/sessions/${sessionId}/activities?limit=100${query}${after}`, { user });
    expect(page.status).toBe(200);
    ids.push(...page.body.data.activities.map((activity: { id: number }) => activity.id));
    cursor = page.body.data.next_cursor;
    pages += 1;
  } while (cursor && pages < 100);
  return ids;
}

describe("a long activity log", () => {
  it("keeps the latest entries in the session and pages through all of them, old ones from R2", async () => {
    const owner = await newUser("owner");
    const viewer = await newUser("viewer");
    const session = await createSession(owner, { access_mode: "link-access" });
    await api("POST", `/sessions/${session.id}/join`, {
      user: viewer,
      body: { invitation_code: session.invitation_code },
    });
    const before = await allPages(owner, session.id);
    await fillLog(session.id, 2_500);
    const kept = await runInDurableObject(
      stubOf(session.id),
      (_room, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM activities").one().n,
    );
    expect(kept).toBeLessThanOrEqual(ACTIVITIES_KEPT);

    const all = await allPages(owner, session.id);
    expect(all).toHaveLength(before.length + 2_500);
    expect(all).toEqual([...all].sort((a, b) => b - a));
    expect(new Set(all).size).toBe(all.length);
    // A reader without view_private sees neither the private ones kept nor those in R2.
    const forViewer = await allPages(viewer, session.id, "&type=secret");
    expect(forViewer).toEqual([]);
    const secrets = await allPages(owner, session.id, "&type=secret");
    expect(secrets).toHaveLength(834);
    const notes = await allPages(viewer, session.id, "&type=note");
    expect(notes).toHaveLength(1_666);
    const stats = await api("GET", `/sessions/${session.id}/stats`, { user: owner });
    expect(stats.body.data.activities).toBe(all.length);
  });

  it("an archived session pages through the entries in R2 too", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { settings: { archive_after_days: 0 } });
    await fillLog(session.id, 1_500);
    await api("POST", `/sessions/${session.id}/end`, { user: owner });
    await runInDurableObject(stubOf(session.id), async (room) => {
      await (room as SessionRoom).alarm();
    });
    expect((await api("GET", `/sessions/${session.id}`, { user: owner })).body.data.status).toBe("archived");
    const all = await allPages(owner, session.id);
    expect(all.length).toBeGreaterThanOrEqual(1_500);
    expect(all.at(-1)).toBe(1);
    expect(new Set(all).size).toBe(all.length);
  });
});
