/** Reading a song's versions: a page of them newest first, without their texts, or one with its text. */
import { and, desc, eq, lt } from "drizzle-orm";
import type { Database } from "./client";
import { songVersions } from "./schema";

const listed = {
  number: songVersions.number,
  created_at: songVersions.created_at,
  author_id: songVersions.author_id,
  session_id: songVersions.session_id,
  kind: songVersions.kind,
  applied: songVersions.applied,
  summary: songVersions.summary,
};

/** Versions older than `before` (a version number; the newest when absent), newest first. */
export async function listVersions(db: Database, songId: number, page: { limit: number; before?: number }) {
  const rows = await db
    .select(listed)
    .from(songVersions)
    .where(
      and(
        eq(songVersions.song_id, songId),
        page.before === undefined ? undefined : lt(songVersions.number, page.before),
      ),
    )
    .orderBy(desc(songVersions.number))
    .limit(page.limit + 1)
    .all();
  const versions = rows.slice(0, page.limit);
  const last = versions[versions.length - 1];
  return { versions, next_cursor: rows.length > page.limit && last ? String(last.number) : null };
}

export async function getVersion(db: Database, songId: number, number: number) {
  return db
    .select({ song_id: songVersions.song_id, ...listed, content: songVersions.content })
    .from(songVersions)
    .where(and(eq(songVersions.song_id, songId), eq(songVersions.number, number)))
    .get();
}
