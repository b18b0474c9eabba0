/** D1 migrations that move data, run on rows shaped as they were before the migration. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { utf8Length } from "../src/domain/text";

function statementOf(migration: string, starting: string): string {
  const found = env.TEST_MIGRATIONS.find((entry) => entry.name.startsWith(migration));
  const statement = found?.queries.find((query) =>
    query
      .trimStart()
      .replace(/^--.*\n/gm, "")
      .startsWith(starting),
  );
  if (!statement) throw new Error(`${migration}: no statement starting with ${starting}`);
  return statement;
}

describe("0003_song_versions", () => {
  it("gives every song that exists version 1 holding its current text", async () => {
    // Songs written before versions existed: rows with no version. This file's D1 is its own.
    await env.DB.batch([
      env.DB.prepare("delete from song_versions"),
      env.DB.prepare(
        "insert into songs (title, content, owner_id, updated_at) values ('Old', '[C]old 😀 text', 'old-owner', '2025-01-02T03:04:05.000Z')",
      ),
      env.DB.prepare("insert into songs (title, content, owner_id) values ('Empty', '', 'old-owner')"),
    ]);
    await env.DB.prepare(statementOf("0003_song_versions", "INSERT INTO `song_versions`")).run();

    const { results } = await env.DB.prepare(
      `select s.title, s.version, v.number, v.content = s.content as same_text, v.content_bytes, v.created_at,
         v.author_id, v.session_id, v.kind, v.applied, v.summary
       from songs s join song_versions v on v.song_id = s.id order by s.id`,
    ).all();
    expect(results).toEqual([
      {
        title: "Old",
        version: 1,
        number: 1,
        same_text: 1,
        content_bytes: utf8Length("[C]old 😀 text"),
        created_at: "2025-01-02T03:04:05.000Z",
        author_id: null,
        session_id: null,
        kind: "created",
        applied: 1,
        summary: "The text when versions began",
      },
      expect.objectContaining({ title: "Empty", version: 1, number: 1, same_text: 1, content_bytes: 0 }),
    ]);
  });
});
