/** Limits on what one session may store and send, each answered with a clear code, and what counts as a contribution. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, newUser } from "./helpers";
import { connect } from "./socket-helpers";

const stubOf = (id: string) => env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(id));

/** Stores comments straight into the object, as if they had been posted over time. */
async function storeComments(sessionId: string, userId: string, count: number, text: string) {
  await runInDurableObject(stubOf(sessionId), (_room, state) => {
    for (let index = 0; index < count; index += 1) {
      state.storage.sql.exec(
        "INSERT INTO comments (user_id, text, anchor, rev, created_at) VALUES (?, ?, NULL, 0, ?)",
        userId,
        `${index} ${text}`,
        "2026-01-01T00:00:00.000Z",
      );
    }
  });
}

describe("comments", () => {
  it("one person may post ten a minute", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    const socket = await connect(owner, session.id);
    await socket.next("welcome");
    for (let index = 0; index < 10; index += 1) {
      socket.send({ type: "comment", text: `note ${index}` });
      await socket.next("comment");
    }
    socket.send({ type: "comment", text: "one too many" });
    expect(await socket.next("error")).toMatchObject({ code: "TOO_MANY_COMMENTS" });
    await socket.none("comment");
    // A minute later, again.
    await runInDurableObject(stubOf(session.id), (room) => {
      (room as SessionRoom).clock = () => Date.now() + 61_000;
    });
    socket.send({ type: "comment", text: "later" });
    expect((await socket.next("comment")).comment.text).toBe("later");
  });

  it("a session keeps at most 2,000", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    await storeComments(session.id, owner.id, 1_999, "old");
    const socket = await connect(owner, session.id);
    await socket.next("welcome");
    socket.send({ type: "comment", text: "the last one" });
    await socket.next("comment");
    socket.send({ type: "comment", text: "over" });
    expect(await socket.next("error")).toMatchObject({ code: "COMMENT_LIMIT" });
  });

  it("a welcome carries the latest hundred at most, within 64 KiB", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    await storeComments(session.id, owner.id, 300, "x".repeat(1_900));
    const socket = await connect(owner, session.id);
    const welcome = await socket.next("welcome");
    expect(welcome.comments.length).toBeGreaterThan(0);
    expect(welcome.comments.length).toBeLessThanOrEqual(100);
    expect(new TextEncoder().encode(JSON.stringify(welcome.comments)).length).toBeLessThanOrEqual(70 * 1024);
    expect(welcome.comments.at(-1).text).toMatch(/^299 /);
    const ids = welcome.comments.map((comment: { id: number }) => comment.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe("recordings", () => {
  it("stop by themselves after four hours", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { template_id: 1 });
    const socket = await connect(owner, session.id);
    await socket.next("welcome");
    const alarmAt = await runInDurableObject(stubOf(session.id), (_room, state) => state.storage.getAlarm());
    expect(alarmAt).not.toBeNull();
    await runInDurableObject(stubOf(session.id), async (room) => {
      (room as SessionRoom).clock = () => Date.now() + 4 * 3600_000 + 60_000;
      await (room as SessionRoom).alarm();
    });
    expect(await socket.next("recording")).toMatchObject({ is_recording: false });
    const status = await api("GET", `/sessions/${session.id}/recording/status`, { user: owner });
    expect(status.body.data.is_recording).toBe(false);
    const stopped = await api("GET", `/sessions/${session.id}/activities?type=recording_stopped`, { user: owner });
    expect(stopped.body.data.activities[0].details).toMatchObject({ reason: "max_length", duration_ms: 4 * 3600_000 });
  });
});

describe("recordings per session", () => {
  it("a session makes at most fifty", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    for (let index = 0; index < 50; index += 1) {
      expect((await api("POST", `/sessions/${session.id}/recording/start`, { user: owner })).status).toBe(200);
      expect((await api("POST", `/sessions/${session.id}/recording/stop`, { user: owner })).status).toBe(200);
    }
    const over = await api("POST", `/sessions/${session.id}/recording/start`, { user: owner });
    expect([over.status, over.body.error.code]).toEqual([409, "RECORDING_LIMIT"]);
  });
});

describe("contributions", () => {
  it("count each participant's applied ops and comments", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    const socket = await connect(owner, session.id);
    await socket.next("welcome");
    socket.send({ type: "op", seq: 1, rev: 0, op: ["a"] });
    await socket.next("ack");
    socket.send({ type: "op", seq: 2, rev: 1, op: ["b"] });
    await socket.next("ack");
    socket.send({ type: "op", seq: 3, rev: 0, op: [{ d: 99 }] });
    await socket.next("error");
    socket.send({ type: "comment", text: "nice" });
    await socket.next("comment");
    const participants = await api("GET", `/sessions/${session.id}/participants`, { user: owner });
    expect(participants.body.data.participants[0]).toMatchObject({ user_id: owner.id, contribution_count: 3 });
    const stats = await api("GET", `/sessions/${session.id}/stats`, { user: owner });
    expect(stats.body.data.edits).toEqual({ total: 2, by_user: { [owner.id]: 2 } });
  });
});
