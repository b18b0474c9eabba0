/** A session's text written back to its song (src/db/song-writes.ts), called directly as the session object will. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signDevToken } from "../src/auth/tokens";
import { MERGED_TOO_LONG, NO_EDIT_RIGHT, type SessionWriteBack, writeBackSession } from "../src/db/song-writes";
import { CONFLICT_END, CONFLICT_OURS, CONFLICT_THEIRS } from "../src/domain/merge";
import { api, createSong, newUser, type TestUser } from "./helpers";

const SHEET = "{title: Let It Be}\n[C]When I find myself\n[G]in times of trouble\n{chorus}\n[F]Let it be\n";

let revs = 0;

function writeBack(
  song: { id: number },
  owner: TestUser,
  base: string,
  text: string,
  sessionId = crypto.randomUUID(),
  rev = ++revs,
) {
  const input: SessionWriteBack = {
    songId: song.id,
    sessionId,
    sessionName: "Friday rehearsal",
    ownerId: owner.id,
    base,
    text,
    rev,
  };
  return writeBackSession(env.DB, input);
}

async function song(user: TestUser, songId: number) {
  const response = await api("GET", `/songs/${songId}`, { user });
  expect(response.status).toBe(200);
  return response.body.data;
}

async function versionList(user: TestUser, songId: number) {
  return (await api("GET", `/songs/${songId}/versions`, { user })).body.data.versions as any[];
}

describe("writeBackSession", () => {
  it("writes nothing when the session changed nothing", async () => {
    const owner = await newUser("leader");
    const created = await createSong(owner, SHEET);
    expect(await writeBack(created, owner, SHEET, SHEET)).toEqual({ outcome: "unchanged" });
    expect(await versionList(owner, created.id)).toHaveLength(1);
    expect((await song(owner, created.id)).version).toBe(1);
  });

  it("writes the session's text as it is when the song has not changed since", async () => {
    const owner = await newUser("leader");
    const created = await createSong(owner, SHEET);
    const text = SHEET.replace("[F]Let it be", "[F]Let it be, let it be");
    const sessionId = crypto.randomUUID();
    expect(await writeBack(created, owner, SHEET, text, sessionId)).toEqual({
      outcome: "applied",
      version: 2,
      content: text,
      conflicts: 0,
      wrote_batch: true,
    });
    expect(await song(owner, created.id)).toMatchObject({ content: text, version: 2 });
    const [latest] = await versionList(owner, created.id);
    expect(latest).toMatchObject({
      number: 2,
      kind: "session",
      session_id: sessionId,
      author_id: null,
      applied: true,
      summary: "+1 −1 lines from session “Friday rehearsal”",
    });
  });

  it("keeps an edit made over REST during the session and the session's edit", async () => {
    const owner = await newUser("leader");
    const created = await createSong(owner, SHEET);
    const put = await api("PUT", `/songs/${created.id}`, {
      user: owner,
      body: { content: SHEET.replace("{title: Let It Be}", "{title: Let It Be (1970)}") },
    });
    expect(put.status).toBe(200);
    const text = SHEET.replace("[F]Let it be", "[F]Let it [C]be");
    const outcome = await writeBack(created, owner, SHEET, text);
    const both = SHEET.replace("{title: Let It Be}", "{title: Let It Be (1970)}").replace(
      "[F]Let it be",
      "[F]Let it [C]be",
    );
    expect(outcome).toEqual({ outcome: "applied", version: 3, content: both, conflicts: 0, wrote_batch: true });
    expect((await song(owner, created.id)).content).toBe(both);
    expect((await versionList(owner, created.id))[0]).toMatchObject({
      kind: "merged",
      applied: true,
      summary: "+1 −1 lines from session “Friday rehearsal”, merged with changes made meanwhile",
    });
  });

  it("keeps both sessions' edits when two sessions on the same song write back", async () => {
    const owner = await newUser("leader");
    const created = await createSong(owner, SHEET);
    const first = SHEET.replace("[C]When I find myself", "[Cmaj7]When I find myself");
    const second = SHEET.replace("[F]Let it be", "[F]Let it be, whisper words of wisdom");
    const outcomes = await Promise.all([
      writeBack(created, owner, SHEET, first),
      writeBack(created, owner, SHEET, second),
    ]);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(["applied", "applied"]);
    const both = first.replace("[F]Let it be", "[F]Let it be, whisper words of wisdom");
    expect(await song(owner, created.id)).toMatchObject({ content: both, version: 3 });
    expect((await versionList(owner, created.id)).map((version) => version.kind).sort()).toEqual([
      "created",
      "merged",
      "session",
    ]);

    // A session writing back again is relative to the text it last wrote back.
    const third = second.replace("{chorus}", "{chorus: Let it be}");
    const again = await writeBack(created, owner, second, third);
    expect(again).toMatchObject({ outcome: "applied", version: 4, conflicts: 0 });
    expect((await song(owner, created.id)).content).toBe(both.replace("{chorus}", "{chorus: Let it be}"));
  });

  it("keeps both versions where the session and the song changed the same line", async () => {
    const owner = await newUser("leader");
    const created = await createSong(owner, SHEET);
    const theirs = SHEET.replace("[G]in times of trouble", "[Em]in times of trouble");
    await api("PUT", `/songs/${created.id}`, { user: owner, body: { content: theirs } });
    const ours = SHEET.replace("[G]in times of trouble", "[G]in times of [Am]trouble");
    const outcome = await writeBack(created, owner, SHEET, ours);
    const merged = SHEET.replace(
      "[G]in times of trouble\n",
      `${[CONFLICT_OURS, "[G]in times of [Am]trouble", CONFLICT_THEIRS, "[Em]in times of trouble", CONFLICT_END].join("\n")}\n`,
    );
    expect(outcome).toEqual({ outcome: "applied", version: 3, content: merged, conflicts: 1, wrote_batch: true });
    expect((await song(owner, created.id)).content).toBe(merged);
    expect((await versionList(owner, created.id))[0].summary).toBe(
      "+4 −0 lines from session “Friday rehearsal”, merged with changes made meanwhile; 1 conflict kept for you to resolve",
    );
  });

  it("keeps the text of a session whose owner may no longer edit as a version that is not applied", async () => {
    const owner = await newUser("song-owner");
    const leader = await newUser("leader");
    const created = await createSong(owner, SHEET);
    await api("POST", `/songs/${created.id}/share`, { user: owner, body: { user_id: leader.id, permission: "edit" } });
    const text = SHEET.replace("[F]Let it be", "[F]Let it be (the session's take)");
    expect(await writeBack(created, leader, SHEET, text)).toMatchObject({ outcome: "applied", version: 2 });

    // The song's owner lowers the share to read while the session goes on.
    await api("POST", `/songs/${created.id}/share`, { user: owner, body: { user_id: leader.id, permission: "read" } });
    const before = await song(owner, created.id);
    const later = text.replace("{chorus}", "{chorus: sung twice}");
    expect(await writeBack(created, leader, text, later)).toEqual({
      outcome: "refused",
      version: 3,
      reason: NO_EDIT_RIGHT,
      wrote_batch: true,
    });
    expect(await song(owner, created.id)).toMatchObject({
      content: before.content,
      updated_at: before.updated_at,
      version: 3,
    });
    const [refused] = await versionList(owner, created.id);
    expect(refused).toMatchObject({ number: 3, kind: "refused", applied: false });
    expect(refused.summary).toBe(`Not applied: ${NO_EDIT_RIGHT}. +1 −1 lines from session “Friday rehearsal”`);
    const kept = await api("GET", `/songs/${created.id}/versions/3`, { user: owner });
    expect(kept.body.data).toMatchObject({ content: later, applied: false });

    // Refused again, the session keeps only its latest refused text, so it cannot push the song's history out.
    const sessionId = crypto.randomUUID();
    await writeBack(created, leader, text, `${later}[C]one\n`, sessionId);
    expect(await writeBack(created, leader, text, `${later}[C]one\n[G]two\n`, sessionId)).toMatchObject({
      outcome: "refused",
      version: 5,
    });
    expect((await versionList(owner, created.id)).map((version) => [version.number, version.kind])).toEqual([
      [5, "refused"],
      [3, "refused"],
      [2, "session"],
      [1, "created"],
    ]);

    // Restoring a refused version is how the song's owner accepts it.
    const accepted = await api("POST", `/songs/${created.id}/versions/3/restore`, { user: owner });
    expect(accepted.body.data).toMatchObject({ content: later, version: 6 });
  });

  it("refuses a session whose owner has no share on the song, and answers missing for a song that is gone", async () => {
    const owner = await newUser("song-owner");
    const stranger = await newUser("stranger");
    const created = await createSong(owner, SHEET);
    // An edit share on another song gives nothing on this one.
    const other = await createSong(owner, SHEET);
    await api("POST", `/songs/${other.id}/share`, { user: owner, body: { user_id: stranger.id, permission: "edit" } });
    expect(await writeBack(created, stranger, SHEET, `${SHEET}more\n`)).toMatchObject({ outcome: "refused" });
    expect(await writeBack(other, stranger, SHEET, `${SHEET}more\n`)).toMatchObject({ outcome: "applied" });
    expect((await song(owner, created.id)).content).toBe(SHEET);
    expect(await writeBack({ id: 987_654_321 }, owner, SHEET, `${SHEET}more\n`)).toEqual({ outcome: "missing" });
  });

  it("checks an email share against the email the session's owner holds now", async () => {
    const owner = await newUser("song-owner");
    const leader = await newUser("leader");
    await api("GET", "/songs", { user: leader }); // the directory now holds the leader's email
    const created = await createSong(owner, SHEET);
    await api("POST", `/songs/${created.id}/share`, { user: owner, body: { email: leader.email, permission: "edit" } });
    const text = `${SHEET}[C]coda\n`;
    expect(await writeBack(created, leader, SHEET, text)).toMatchObject({ outcome: "applied", version: 2 });

    // The leader signs in with a token that carries another email: the address, and its share, are no longer theirs.
    const moved = await signDevToken({ sub: leader.id, email: `moved-${leader.email}` }, env.JWT_SECRET);
    await api("GET", "/songs", { token: moved });
    const later = `${text}[G]outro\n`;
    expect(await writeBack(created, leader, text, later)).toMatchObject({ outcome: "refused", reason: NO_EDIT_RIGHT });
    expect((await song(owner, created.id)).content).toBe(text);
  });

  it("refuses a merge that would make the song too long, keeping the session's text", async () => {
    const owner = await newUser("leader");
    const created = await createSong(owner, "base\n");
    const theirs = `${"[C]theirs\n".repeat(6_000)}`;
    await api("PUT", `/songs/${created.id}`, { user: owner, body: { content: theirs } });
    const ours = `${"[G]ours!\n".repeat(6_000)}`;
    expect(await writeBack(created, owner, "base\n", ours)).toEqual({
      outcome: "refused",
      version: 3,
      reason: MERGED_TOO_LONG,
      wrote_batch: true,
    });
    expect((await song(owner, created.id)).content).toBe(theirs);
  });

  it("a repeat of a write-back that was applied writes nothing more", async () => {
    const owner = await newUser("leader");
    const created = await createSong(owner, SHEET);
    await api("PUT", `/songs/${created.id}`, { user: owner, body: { content: `${SHEET}[C]end\n` } });
    const text = SHEET.replace("{chorus}", "{chorus: twice}");
    const first = await writeBack(created, owner, SHEET, text);
    expect(first).toMatchObject({ outcome: "applied", version: 3 });
    // The same answer, and this time nothing was written.
    const { wrote_batch: wrote, ...answer } = first as typeof first & { wrote_batch?: true };
    expect(wrote).toBe(true);
    expect(await writeBack(created, owner, SHEET, text)).toEqual(answer);
    expect(await versionList(owner, created.id)).toHaveLength(3);
  });

  it("the same write-back delivered twice is recognised, even after a merge with conflicts", async () => {
    const owner = await newUser("leader");
    const created = await createSong(owner, SHEET);
    await api("PUT", `/songs/${created.id}`, {
      user: owner,
      body: { content: SHEET.replace("[F]Let it be", "[F]Let it be (x2)") },
    });
    const text = SHEET.replace("[F]Let it be", "[F]Let it be, let it be");
    const sessionId = crypto.randomUUID();
    const first = await writeBack(created, owner, SHEET, text, sessionId, 7);
    expect(first).toMatchObject({ outcome: "applied", conflicts: 1 });
    const merged = (await song(owner, created.id)).content;
    const again = await writeBack(created, owner, SHEET, text, sessionId, 7);
    expect(again).toMatchObject({ outcome: "applied", version: (first as { version: number }).version });
    expect((await song(owner, created.id)).content).toBe(merged);
  });

  it("a long rehearsal's auto-saves give way first, so the text it started from stays", async () => {
    const owner = await newUser("leader");
    const created = await createSong(owner, SHEET);
    const sessionId = crypto.randomUUID();
    let base = SHEET;
    for (let save = 1; save <= 110; save += 1) {
      const text = `${base}[C]bar ${save}\n`;
      expect(await writeBack(created, owner, base, text, sessionId, save)).toMatchObject({ outcome: "applied" });
      base = text;
    }
    const page = (await api("GET", `/songs/${created.id}/versions?limit=100`, { user: owner })).body.data;
    expect(page.versions).toHaveLength(100);
    expect(page.next_cursor).toBeNull();
    expect(page.versions.at(-1)).toMatchObject({ number: 1, kind: "created" });
    expect(page.versions[0]).toMatchObject({ number: 111, kind: "session" });
  });
});
