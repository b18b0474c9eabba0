/**
 * Private events (role changes, removals) reach only those who may see private activity, live and in recordings;
 * the person an event is about sees that something changed about them.
 */
import { describe, expect, it } from "vitest";
import { api, createSession, newUser, type TestUser } from "./helpers";
import { connect } from "./socket-helpers";

async function recordedTypes(user: TestUser, sessionId: string, recordingId: string) {
  const response = await api("GET", `/sessions/${sessionId}/recordings/${recordingId}/events`, { user });
  expect(response.status).toBe(200);
  return String(response.body)
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string; data: { user_id?: string } });
}

describe("private events", () => {
  it("a role change reaches its subject and the owner, not the rest of the band, live and when played back", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const viewer = await newUser("viewer");
    const removed = await newUser("removed");
    // Band Practice records from the start; its viewers may read (and so play back) the session.
    const session = await createSession(owner, { template_id: 1 });
    await api("POST", `/sessions/${session.id}/invite`, {
      user: owner,
      body: {
        users: [
          { user_id: editor.id, role: "editor" },
          { user_id: viewer.id, role: "viewer" },
          { user_id: removed.id, role: "viewer" },
        ],
      },
    });
    for (const user of [editor, viewer, removed]) await api("POST", `/sessions/${session.id}/join`, { user });
    const sockets = {
      owner: await connect(owner, session.id),
      editor: await connect(editor, session.id),
      viewer: await connect(viewer, session.id),
    };
    for (const socket of Object.values(sockets)) await socket.next("welcome");

    await api("PATCH", `/sessions/${session.id}/participants/${viewer.id}`, {
      user: owner,
      body: { role: "commenter" },
    });
    expect(await sockets.viewer.next("role_changed")).toMatchObject({ user_id: viewer.id, role: "commenter" });
    expect(await sockets.owner.next("role_changed")).toMatchObject({ user_id: viewer.id, role: "commenter" });
    await sockets.editor.none("role_changed");
    await api("DELETE", `/sessions/${session.id}/participants/${removed.id}`, { user: owner });
    // Others learn only that the person is no longer a participant.
    expect(await sockets.editor.next("participant_left")).toEqual({ type: "participant_left", user_id: removed.id });

    const status = await api("GET", `/sessions/${session.id}/recording/status`, { user: owner });
    const recordingId = status.body.data.recording_id as string;
    const ownerView = (await recordedTypes(owner, session.id, recordingId)).map((event) => event.type);
    expect(ownerView).toEqual(expect.arrayContaining(["role_changed", "participant_removed"]));
    const editorView = (await recordedTypes(editor, session.id, recordingId)).map((event) => event.type);
    expect(editorView).not.toContain("role_changed");
    expect(editorView).not.toContain("participant_removed");
    expect(editorView).toContain("user_joined");
    // The subject sees their own change.
    const subjectView = await recordedTypes(viewer, session.id, recordingId);
    expect(subjectView.filter((event) => event.type === "role_changed")).toEqual([
      expect.objectContaining({ data: { user_id: viewer.id, role: "commenter" } }),
    ]);
    expect(subjectView.map((event) => event.type)).not.toContain("participant_removed");
    // Also once the events are in R2.
    await api("POST", `/sessions/${session.id}/recording/stop`, { user: owner });
    const flushed = (await recordedTypes(editor, session.id, recordingId)).map((event) => event.type);
    expect(flushed).not.toContain("role_changed");
    expect((await recordedTypes(owner, session.id, recordingId)).map((event) => event.type)).toContain("role_changed");
  });
});

describe("someone turned away from a full session", () => {
  it("is told live to those who may raise the limit, and to nobody else", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner, { access_mode: "public", max_participants: 2 });
    const member = await newUser("member");
    expect((await api("POST", `/sessions/${session.id}/join`, { user: member })).status).toBe(200);
    const leaderSocket = await connect(owner, session.id);
    await leaderSocket.next("welcome");
    const memberSocket = await connect(member, session.id);
    await memberSocket.next("welcome");

    const late = await newUser("late");
    const refused = await api("POST", `/sessions/${session.id}/join`, { user: late });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("SESSION_FULL");
    expect(await leaderSocket.next("join_refused")).toEqual({
      type: "join_refused",
      code: "SESSION_FULL",
      user_id: late.id,
      display_name: expect.any(String),
      max_participants: 2,
    });
    await memberSocket.none("join_refused");
    // Refused, they are still not a participant.
    const view = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(view.body.data.participant_count).toBe(2);
  });
});
