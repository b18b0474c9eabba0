/** Song versions: every change of a song's text is one, listed and restored over REST, bounded in D1. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../src/db/client";
import { writeSongText } from "../src/db/song-text";
import { MAX_SONGS_PER_USER, MAX_VERSION_BYTES_PER_SONG, MAX_VERSIONS_PER_SONG } from "../src/domain/songs";
import { api, createSong, errorCode, newUser, type TestUser } from "./helpers";

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function versions(user: TestUser, songId: number, query = "") {
  const response = await api("GET", `/songs/${songId}/versions${query}`, { user });
  expect(response.status).toBe(200);
  return response.body.data as { versions: any[]; next_cursor: string | null };
}

async function put(user: TestUser, songId: number, body: Record<string, unknown>) {
  const response = await api("PUT", `/songs/${songId}`, { user, body });
  expect(response.status).toBe(200);
  return response.body.data;
}

/** Writes a version straight through the one writer, as many tests need more versions than a user may PUT a minute. */
async function writeVersion(songId: number, content: string) {
  const written = await writeSongText(database(env.DB), songId, () => ({ content, kind: "edited", summary: "test" }));
  expect(written.outcome).toBe("written");
}

describe("versions of a song", () => {
  it("creating a song is version 1", async () => {
    const owner = await newUser("composer");
    const song = await createSong(owner, "[C]one\n[G]two\n");
    expect(song).toMatchObject({ version: 1 });
    const page = await versions(owner, song.id);
    expect(page).toEqual({
      versions: [
        {
          number: 1,
          created_at: expect.stringMatching(ISO_UTC),
          author_id: owner.id,
          session_id: null,
          kind: "created",
          applied: true,
          summary: "+2 −0 lines",
        },
      ],
      next_cursor: null,
    });
    const first = await api("GET", `/songs/${song.id}/versions/1`, { user: owner });
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ song_id: song.id, number: 1, content: "[C]one\n[G]two\n" });
  });

  it("a new text is a new version; the same text again or a new title alone is none", async () => {
    const owner = await newUser("composer");
    const song = await createSong(owner, "[C]one\n[G]two\n");
    const edited = await put(owner, song.id, { content: "[C]one\n[G]two, changed\n[F]three\n" });
    expect(edited).toMatchObject({ version: 2, content: "[C]one\n[G]two, changed\n[F]three\n" });
    expect(await put(owner, song.id, { content: "[C]one\n[G]two, changed\n[F]three\n" })).toMatchObject({ version: 2 });
    expect(await put(owner, song.id, { title: "Renamed" })).toMatchObject({ version: 2, title: "Renamed" });
    const both = await put(owner, song.id, { title: "Renamed again", content: "[C]one\n" });
    expect(both).toMatchObject({ version: 3, title: "Renamed again", content: "[C]one\n" });

    const page = await versions(owner, song.id);
    expect(page.versions.map((version) => [version.number, version.kind, version.summary])).toEqual([
      [3, "edited", "+0 −2 lines"],
      [2, "edited", "+2 −1 lines"],
      [1, "created", "+2 −0 lines"],
    ]);
    expect(page.versions[0]).not.toHaveProperty("content");
    expect((await api("GET", `/songs/${song.id}/versions/2`, { user: owner })).body.data.content).toBe(
      "[C]one\n[G]two, changed\n[F]three\n",
    );
  });

  it("an editor's change names them as its author", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const song = await createSong(owner);
    await api("POST", `/songs/${song.id}/share`, { user: owner, body: { user_id: editor.id, permission: "edit" } });
    await put(editor, song.id, { content: "[D]Let it [A]be" });
    const [latest] = (await versions(owner, song.id)).versions;
    expect(latest).toMatchObject({ number: 2, author_id: editor.id, kind: "edited", applied: true });
  });

  it("pages newest first with a cursor", async () => {
    const owner = await newUser("pager");
    const song = await createSong(owner, "v1");
    for (const text of ["v2", "v3", "v4", "v5"]) await writeVersion(song.id, text);
    const first = await versions(owner, song.id, "?limit=2");
    expect(first.versions.map((version) => version.number)).toEqual([5, 4]);
    expect(first.next_cursor).toBe("4");
    const second = await versions(owner, song.id, `?limit=2&cursor=${first.next_cursor}`);
    expect(second.versions.map((version) => version.number)).toEqual([3, 2]);
    const third = await versions(owner, song.id, `?limit=2&cursor=${second.next_cursor}`);
    expect(third).toMatchObject({ versions: [{ number: 1 }], next_cursor: null });
    expect((await versions(owner, song.id)).versions).toHaveLength(5);

    for (const query of ["?limit=0", "?limit=101", "?cursor=abc", "?cursor=-1"]) {
      const response = await api("GET", `/songs/${song.id}/versions${query}`, { user: owner });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe("VALIDATION_ERROR");
    }
  });

  it("a version that does not exist is a 404", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner);
    for (const path of [
      `/songs/${song.id}/versions/2`,
      `/songs/${song.id}/versions/0`,
      `/songs/${song.id}/versions/x`,
      "/songs/987654321/versions/1",
      "/songs/987654321/versions",
    ]) {
      const response = await api("GET", path, { user: owner });
      expect(response.status).toBe(404);
      expect(errorCode(response)).toBe("NOT_FOUND");
    }
    const restore = await api("POST", `/songs/${song.id}/versions/9/restore`, { user: owner });
    expect(restore.status).toBe(404);
  });

  it("follow the song's permissions: readers read them, editors restore, strangers see nothing", async () => {
    const owner = await newUser("owner");
    const reader = await newUser("reader");
    const stranger = await newUser("stranger");
    const song = await createSong(owner, "first");
    await writeVersion(song.id, "second");
    await api("POST", `/songs/${song.id}/share`, { user: owner, body: { user_id: reader.id, permission: "read" } });

    expect((await versions(reader, song.id)).versions).toHaveLength(2);
    expect((await api("GET", `/songs/${song.id}/versions/1`, { user: reader })).body.data.content).toBe("first");
    const refused = await api("POST", `/songs/${song.id}/versions/1/restore`, { user: reader });
    expect(refused.status).toBe(403);
    expect(errorCode(refused)).toBe("FORBIDDEN");

    for (const [method, path] of [
      ["GET", `/songs/${song.id}/versions`],
      ["GET", `/songs/${song.id}/versions/1`],
      ["POST", `/songs/${song.id}/versions/1/restore`],
    ]) {
      const response = await api(method!, path!, { user: stranger });
      expect(response.status).toBe(404);
    }
    expect((await api("GET", `/songs/${song.id}`, { user: owner })).body.data).toMatchObject({
      content: "second",
      version: 2,
    });
  });
});

describe("restoring a version", () => {
  it("makes its text the song's again, as a new version", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, "[C]original\n");
    await put(owner, song.id, { content: "[C]original\n[G]added\n" });
    const restored = await api("POST", `/songs/${song.id}/versions/1/restore`, { user: owner });
    expect(restored.status).toBe(200);
    expect(restored.body.data).toMatchObject({
      id: song.id,
      content: "[C]original\n",
      version: 3,
      permission: "owner",
    });
    const [latest] = (await versions(owner, song.id)).versions;
    expect(latest).toMatchObject({
      number: 3,
      kind: "restored",
      author_id: owner.id,
      applied: true,
      summary: "+0 −1 lines, restored from version 1",
    });
    expect((await api("GET", `/songs/${song.id}`, { user: owner })).body.data.content).toBe("[C]original\n");
  });

  it("restoring the text the song has now changes nothing", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner, "same");
    const restored = await api("POST", `/songs/${song.id}/versions/1/restore`, { user: owner });
    expect(restored.status).toBe(200);
    expect(restored.body.data).toMatchObject({ content: "same", version: 1 });
    expect((await versions(owner, song.id)).versions).toHaveLength(1);
  });
});

describe("writing a song's text", () => {
  it("writers at the same moment all get their version, one after the other", async () => {
    const owner = await newUser("busy");
    const song = await createSong(owner, "start");
    const texts = ["one", "two", "three", "four", "five"];
    const responses = await Promise.all(
      texts.map((content) => api("PUT", `/songs/${song.id}`, { user: owner, body: { content } })),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    const page = await versions(owner, song.id);
    expect(page.versions.map((version) => version.number)).toEqual([6, 5, 4, 3, 2, 1]);
    const contents = await Promise.all(
      page.versions.map(
        async (version) =>
          (await api("GET", `/songs/${song.id}/versions/${version.number}`, { user: owner })).body.data.content,
      ),
    );
    expect([...contents.slice(0, 5)].sort()).toEqual([...texts].sort());
    const now = (await api("GET", `/songs/${song.id}`, { user: owner })).body.data;
    expect(now).toMatchObject({ version: 6, content: contents[0] });
  });

  it("writes nothing when its condition no longer holds", async () => {
    const owner = await newUser("guarded");
    const song = await createSong(owner, "kept");
    const { sql } = await import("drizzle-orm");
    const written = await writeSongText(database(env.DB), song.id, () => ({
      content: "never",
      kind: "edited",
      summary: "test",
      onlyIf: sql`0`,
    }));
    expect(written.outcome).toBe("busy");
    expect((await api("GET", `/songs/${song.id}`, { user: owner })).body.data).toMatchObject({
      content: "kept",
      version: 1,
    });
    expect((await versions(owner, song.id)).versions).toHaveLength(1);
  });
});

describe("bounds", () => {
  it(`keeps the latest ${MAX_VERSIONS_PER_SONG} versions of a song`, async () => {
    const owner = await newUser("prolific");
    const song = await createSong(owner, "v1");
    for (let number = 2; number <= MAX_VERSIONS_PER_SONG + 5; number++) await writeVersion(song.id, `v${number}`);
    const numbers: number[] = [];
    for (let cursor: string | null = ""; cursor !== null; ) {
      const page = await versions(owner, song.id, `?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
      numbers.push(...page.versions.map((version) => version.number));
      cursor = page.next_cursor;
    }
    expect(numbers).toHaveLength(MAX_VERSIONS_PER_SONG);
    expect(numbers[0]).toBe(MAX_VERSIONS_PER_SONG + 5);
    expect(numbers[numbers.length - 1]).toBe(6);
    expect((await api("GET", `/songs/${song.id}/versions/5`, { user: owner })).status).toBe(404);
  });

  it(`keeps at most ${MAX_VERSION_BYTES_PER_SONG / 1024 / 1024} MiB of version text per song, dropping the oldest`, async () => {
    const owner = await newUser("verbose");
    const song = await createSong(owner, "small");
    // 100,000 emoji: the largest song, 400,000 bytes of UTF-8.
    const largest = (mark: string) => `${mark}${"😀".repeat(99_999)}`;
    for (const mark of ["a", "b", "c", "d", "e", "f", "g"]) await writeVersion(song.id, largest(mark));
    const kept = (await versions(owner, song.id)).versions.map((version) => version.number);
    expect(kept).toEqual([8, 7, 6, 5, 4]);
    const bytes = await env.DB.prepare("select sum(content_bytes) as bytes from song_versions where song_id = ?")
      .bind(song.id)
      .first<{ bytes: number }>();
    expect(bytes!.bytes).toBe(5 * 400_000 - 4 * 5 + 5);
    expect(bytes!.bytes).toBeLessThanOrEqual(MAX_VERSION_BYTES_PER_SONG);
    expect((await api("GET", `/songs/${song.id}/versions/8`, { user: owner })).body.data.content).toBe(largest("g"));
  });

  it(`a user owns at most ${MAX_SONGS_PER_USER} songs`, async () => {
    const owner = await newUser("collector");
    const other = await newUser("other");
    await env.DB.prepare(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?2)
       insert into songs (title, content, owner_id) select 'Old ' || i, '', ?1 from n`,
    )
      .bind(owner.id, MAX_SONGS_PER_USER - 1)
      .run();
    const last = await api("POST", "/songs", { user: owner, body: { title: "The last one", content: "" } });
    expect(last.status).toBe(201);
    const over = await api("POST", "/songs", { user: owner, body: { title: "One too many", content: "" } });
    expect(over.status).toBe(409);
    expect(errorCode(over)).toBe("SONG_LIMIT_REACHED");
    const count = await env.DB.prepare("select count(*) as songs from songs where owner_id = ?")
      .bind(owner.id)
      .first<{ songs: number }>();
    expect(count!.songs).toBe(MAX_SONGS_PER_USER);
    expect((await api("POST", "/songs", { user: other, body: { title: "Mine", content: "" } })).status).toBe(201);
  });
});
