/**
 * What a session does to its song: nothing when it changed nothing, its changes merged into the song as it is now
 * otherwise (edits made elsewhere survive, conflicting ones are both kept), and never when its owner may no longer
 * edit the song. Through the REST API, the WebSocket and the object's alarm, as they happen.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CONFLICT_END, CONFLICT_OURS, CONFLICT_THEIRS } from "../src/domain/merge";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, createSong, newUser, type TestUser } from "./helpers";
import { connect } from "./socket-helpers";

const SHEET = "{title: Let It Be}\n[C]When I find myself\n[G]in times of trouble\n[F]Let it be\n";

const stubOf = (id: string) => env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(id));

async function songText(user: TestUser, songId: number): Promise<string> {
  return (await api("GET", `/songs/${songId}`, { user })).body.data.content;
}

async function versions(user: TestUser, songId: number) {
  return (await api("GET", `/songs/${songId}/versions`, { user })).body.data.versions as {
    number: number;
    kind: string;
    applied: boolean;
    session_id: string | null;
    summary: string;
  }[];
}

/** Applies one edit over the socket as the session's owner and waits for its ack. */
async function edit(user: TestUser, sessionId: string, op: unknown[]) {
  const socket = await connect(user, sessionId);
  const welcome = await socket.next("welcome");
  socket.send({ type: "op", seq: 1, rev: welcome.doc.rev, op });
  await socket.next("ack");
  socket.close();
}

const endSession = (user: TestUser, id: string) => api("POST", `/sessions/${id}/end`, { user });
const lineStart = (text: string, line: number) => text.split("\n").slice(0, line).join("\n").length + 1;

describe("a session and its song", () => {
  it("a session that changed nothing writes nothing, also when it ends by itself", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, SHEET);
    const ended = await createSession(owner, { song_id: song.id });
    const idle = await createSession(owner, { song_id: song.id, settings: { idle_timeout_minutes: 1 } });
    const edited = `${SHEET}[C]Speaking words of wisdom\n`;
    expect((await api("PUT", `/songs/${song.id}`, { user: owner, body: { content: edited } })).status).toBe(200);
    await endSession(owner, ended.id);
    await runInDurableObject(stubOf(idle.id), async (room) => {
      (room as SessionRoom).clock = () => Date.now() + 2 * 60_000;
      await (room as SessionRoom).alarm();
    });
    expect((await api("GET", `/sessions/${idle.id}`, { user: owner })).body.data.status).toBe("ended");
    expect(await songText(owner, song.id)).toBe(edited);
    expect((await versions(owner, song.id)).map((version) => version.kind)).toEqual(["edited", "created"]);
  });

  it("two sessions on one song each keep their acknowledged edit", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, SHEET);
    const first = await createSession(owner, { song_id: song.id });
    const second = await createSession(owner, { song_id: song.id });
    await edit(owner, first.id, [lineStart(SHEET, 1), "(intro) "]);
    await edit(owner, second.id, [lineStart(SHEET, 3), "(softly) "]);
    await endSession(owner, first.id);
    await endSession(owner, second.id);
    const text = await songText(owner, song.id);
    expect(text).toContain("(intro) [C]When I find myself");
    expect(text).toContain("(softly) [F]Let it be");
    expect((await versions(owner, song.id)).map((version) => version.kind)).toEqual(["merged", "session", "created"]);
  });

  it("keeps a PUT made during the session, and keeps both where both changed the same line", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, SHEET);
    const session = await createSession(owner, { song_id: song.id });
    await edit(owner, session.id, [lineStart(SHEET, 3), "Oh "]);
    const elsewhere = SHEET.replace("[F]Let it be", "[F]Let it be (x2)").replace(
      "[C]When I find myself",
      "[Am]When I find myself",
    );
    await api("PUT", `/songs/${song.id}`, { user: owner, body: { content: elsewhere } });
    await endSession(owner, session.id);
    const text = await songText(owner, song.id);
    expect(text).toContain("[Am]When I find myself");
    expect(text).toBe(
      [
        "{title: Let It Be}",
        "[Am]When I find myself",
        "[G]in times of trouble",
        CONFLICT_OURS,
        "Oh [F]Let it be",
        CONFLICT_THEIRS,
        "[F]Let it be (x2)",
        CONFLICT_END,
        "",
      ].join("\n"),
    );
    const [merged] = await versions(owner, song.id);
    expect(merged).toMatchObject({ kind: "merged", applied: true, session_id: session.id });
    const activity = await api("GET", `/sessions/${session.id}/activities?type=content_edited`, { user: owner });
    expect(activity.body.data.activities[0].details).toMatchObject({ conflicts: 1, by_user: { [owner.id]: 1 } });
  });

  it("a session whose owner may no longer edit the song keeps its text as a version and changes nothing", async () => {
    const songOwner = await newUser("songwriter");
    const leader = await newUser("leader");
    const song = await createSong(songOwner, SHEET);
    await api("POST", `/songs/${song.id}/share`, { user: songOwner, body: { user_id: leader.id, permission: "edit" } });
    const session = await createSession(leader, { song_id: song.id });
    await edit(leader, session.id, ["VANDALISED BY EX-EDITOR\n"]);
    await api("POST", `/songs/${song.id}/share`, { user: songOwner, body: { user_id: leader.id, permission: "read" } });
    expect((await api("PUT", `/songs/${song.id}`, { user: leader, body: { content: "x" } })).status).toBe(403);
    await endSession(leader, session.id);
    expect(await songText(songOwner, song.id)).toBe(SHEET);
    const [kept] = await versions(songOwner, song.id);
    expect(kept).toMatchObject({ kind: "refused", applied: false, session_id: session.id });
    // The session's owner sees why.
    const refused = await api("GET", `/sessions/${session.id}/activities?type=song_save_refused`, { user: leader });
    expect(refused.body.data.activities).toEqual([
      expect.objectContaining({ is_private: true, details: expect.objectContaining({ version: kept!.number }) }),
    ]);
    expect(refused.body.data.activities[0].description).toMatch(/may not edit/);
    // The song's owner can take it after all.
    const restored = await api("POST", `/songs/${song.id}/versions/${kept!.number}/restore`, { user: songOwner });
    expect(restored.status).toBe(200);
    expect(await songText(songOwner, song.id)).toBe(`VANDALISED BY EX-EDITOR\n${SHEET}`);
  });

  it("what the song holds beyond the session comes into the live text, so conflicts are fixed there, not stacked", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, SHEET);
    const session = await createSession(owner, { song_id: song.id, settings: { auto_save_interval: 30 } });
    const band = await connect(owner, session.id);
    let rev = (await band.next("welcome")).doc.rev;
    const type = async (op: unknown[]) => {
      band.send({ type: "op", seq: rev + 1, rev, op });
      rev = (await band.next("ack")).rev;
    };
    const save = (ms: number) =>
      runInDurableObject(stubOf(session.id), async (room) => {
        (room as SessionRoom).clock = () => Date.now() + ms;
        await (room as SessionRoom).alarm();
      });
    await type([lineStart(SHEET, 3), "Oh "]);
    await api("PUT", `/songs/${song.id}`, {
      user: owner,
      body: { content: SHEET.replace("[F]Let it be", "[F]Let it be (x2)").replace("[C]When", "[Am]When") },
    });
    await save(31_000);
    // The merge comes to the session as an op by the song.
    const fromSong = await band.next("op");
    expect(fromSong.user_id).toBe("chordme:song");
    rev = fromSong.rev;
    const live = (await connect(owner, session.id).then((socket) => socket.next("welcome"))).doc.content as string;
    expect(live).toBe(await songText(owner, song.id));
    expect(live).toContain(CONFLICT_OURS);
    // The band keeps editing the line in conflict, then resolves it in the sheet; the song never nests conflicts.
    await type([lineStart(live, live.split("\n").indexOf("Oh [F]Let it be")), "Yes "]);
    await save(62_000);
    const afterSecondSave = await songText(owner, song.id);
    expect(afterSecondSave.split(CONFLICT_OURS)).toHaveLength(2);
    expect(afterSecondSave).toContain("Yes Oh [F]Let it be");
    expect(afterSecondSave).toContain("[Am]When I find myself");
  });

  it("a write-back that reached the song without the session learning it is not merged again", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, SHEET);
    const session = await createSession(owner, { song_id: song.id, settings: { auto_save_interval: 30 } });
    await edit(owner, session.id, [lineStart(SHEET, 3), "Oh "]);
    await api("PUT", `/songs/${song.id}`, {
      user: owner,
      body: { content: SHEET.replace("[F]Let it be", "[F]Let it be (x2)") },
    });
    // The write lands in D1, but its answer is lost (as when the object restarts while waiting).
    await runInDurableObject(stubOf(session.id), async (room) => {
      const { writeBackSession } = await import("../src/db/song-writes");
      (room as SessionRoom).songWriter = async (d1, input) => {
        await writeBackSession(d1, input);
        throw new Error("the connection to D1 was lost");
      };
      (room as SessionRoom).clock = () => Date.now() + 31_000;
      await (room as SessionRoom).alarm();
    });
    const once = await songText(owner, song.id);
    expect(once.split(CONFLICT_OURS)).toHaveLength(2);
    // More edits on the same line, then the retry.
    await edit(owner, session.id, [lineStart(SHEET, 3), "Yes "]);
    await runInDurableObject(stubOf(session.id), async (room) => {
      const { writeBackSession } = await import("../src/db/song-writes");
      (room as SessionRoom).songWriter = writeBackSession;
      (room as SessionRoom).clock = () => Date.now() + 10 * 60_000;
      await (room as SessionRoom).alarm();
    });
    const after = await songText(owner, song.id);
    expect(after.split(CONFLICT_OURS)).toHaveLength(2);
    expect(after).toContain("Yes");
  });

  it("a refused write-back is decided again when the owner's edit right is back", async () => {
    const songOwner = await newUser("songwriter");
    const leader = await newUser("leader");
    const song = await createSong(songOwner, SHEET);
    const share = (permission: string) =>
      api("POST", `/songs/${song.id}/share`, { user: songOwner, body: { user_id: leader.id, permission } });
    await share("edit");
    const session = await createSession(leader, { song_id: song.id, settings: { auto_save_interval: 30 } });
    await edit(leader, session.id, ["Intro\n"]);
    await share("read");
    await runInDurableObject(stubOf(session.id), async (room) => {
      (room as SessionRoom).clock = () => Date.now() + 31_000;
      await (room as SessionRoom).alarm();
    });
    expect(await songText(songOwner, song.id)).toBe(SHEET);
    await share("edit");
    await endSession(leader, session.id);
    expect(await songText(songOwner, song.id)).toBe(`Intro\n${SHEET}`);
  });

  it("an ended session is archived only once its last write-back reached the song", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, SHEET);
    const session = await createSession(owner, { song_id: song.id, settings: { archive_after_days: 0 } });
    await edit(owner, session.id, ["Last words\n"]);
    await runInDurableObject(stubOf(session.id), (room) => {
      (room as SessionRoom).songWriter = async () => {
        throw new Error("D1 is unavailable");
      };
    });
    await endSession(owner, session.id);
    await runInDurableObject(stubOf(session.id), async (room) => {
      await (room as SessionRoom).alarm();
    });
    expect((await api("GET", `/sessions/${session.id}`, { user: owner })).body.data.status).toBe("ended");
    expect(await songText(owner, song.id)).toBe(SHEET);
    // D1 is back; a later alarm delivers the write-back, then archives.
    await runInDurableObject(stubOf(session.id), async (room) => {
      const { writeBackSession } = await import("../src/db/song-writes");
      (room as SessionRoom).songWriter = writeBackSession;
      (room as SessionRoom).clock = () => Date.now() + 10 * 60_000;
      await (room as SessionRoom).alarm();
    });
    expect(await songText(owner, song.id)).toBe(`Last words\n${SHEET}`);
    expect((await api("GET", `/sessions/${session.id}`, { user: owner })).body.data.status).toBe("archived");
  });

  it("auto-save writes a version per save and the next save carries only what changed since", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, SHEET);
    const session = await createSession(owner, { song_id: song.id, settings: { auto_save_interval: 30 } });
    await edit(owner, session.id, ["A\n"]);
    const save = (ms: number) =>
      runInDurableObject(stubOf(session.id), async (room) => {
        (room as SessionRoom).clock = () => Date.now() + ms;
        await (room as SessionRoom).alarm();
      });
    await save(31_000);
    expect(await songText(owner, song.id)).toBe(`A\n${SHEET}`);
    // Meanwhile someone edits the song elsewhere; the session's next save keeps that edit.
    await api("PUT", `/songs/${song.id}`, { user: owner, body: { content: `A\n${SHEET}[G]Whisper words\n` } });
    await edit(owner, session.id, [2, "B\n"]);
    await save(62_000);
    expect(await songText(owner, song.id)).toBe(`A\nB\n${SHEET}[G]Whisper words\n`);
    expect((await versions(owner, song.id)).map((version) => version.kind)).toEqual([
      "merged",
      "edited",
      "session",
      "created",
    ]);
  });
});
