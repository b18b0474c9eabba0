/**
 * The only code that writes a song's text. Every change creates a version in the same D1 batch, with optimistic
 * concurrency: a writer expects the song's version number it read, and a writer that lost the race re-reads the
 * song, decides again and retries. Old versions are dropped in the same batch past the bounds in domain/songs.
 */
import { and, eq, type SQL } from "drizzle-orm";
import {
  MAX_SONGS_PER_USER,
  MAX_VERSION_BYTES_PER_SONG,
  MAX_VERSIONS_PER_SONG,
  type VersionKind,
} from "../domain/songs";
import { utf8Length } from "../domain/text";
import type { Database } from "./client";
import { songs } from "./schema";
import type { SongRecord } from "./songs";

/** A version to write on top of the song as the writer read it. */
export interface NewVersion {
  content: string;
  kind: VersionKind;
  summary: string;
  /** False for a text kept as a version without becoming the song's text (a refused write-back). */
  applied?: boolean;
  author_id?: string | null;
  session_id?: string | null;
  /** For a session's write-back: the session's revision it carried. */
  session_rev?: number | null;
  /** A new title written with the text. */
  title?: string;
  /** A condition on the song's row that must still hold when the version is written, such as an edit right. */
  onlyIf?: SQL;
}

export type SongTextWrite =
  | { outcome: "written"; song: SongRecord; version: number }
  /** The decision was to write nothing. */
  | { outcome: "unchanged"; song: SongRecord }
  | { outcome: "missing" }
  /** Other writers won every attempt. */
  | { outcome: "busy" };

/**
 * An attempt is lost when another writer's version landed first (or the write's condition stopped holding), so
 * this many writers at once all get through.
 */
const ATTEMPTS = 8;

/**
 * Reads the song, asks `decide` what to write on top of it (null: nothing), and writes it as version
 * `song.version + 1` with the song's row, atomically; retried from the read when another writer got there first.
 * `alsoWrite` goes in the same batch when a version is written (only then).
 */
export async function writeSongText(
  db: Database,
  songId: number,
  decide: (song: SongRecord) => NewVersion | null | Promise<NewVersion | null>,
  alsoWrite: readonly D1PreparedStatement[] = [],
): Promise<SongTextWrite> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const song = await db.select().from(songs).where(eq(songs.id, songId)).get();
    if (!song) return { outcome: "missing" };
    const next = await decide(song);
    if (!next) return { outcome: "unchanged", song };
    const written = await tryWrite(db, song, next, alsoWrite);
    if (written) return { outcome: "written", song: written, version: written.version };
  }
  return { outcome: "busy" };
}

/** One attempt: the song's row moves from the version read to the next one, and that version is inserted. */
async function tryWrite(
  db: Database,
  song: SongRecord,
  next: NewVersion,
  alsoWrite: readonly D1PreparedStatement[],
): Promise<SongRecord | null> {
  const number = song.version + 1;
  const applied = next.applied ?? true;
  const now = new Date().toISOString();
  const moveSong = db
    .update(songs)
    .set(
      applied
        ? { version: number, content: next.content, updated_at: now, ...(next.title ? { title: next.title } : {}) }
        : { version: number },
    )
    .where(and(eq(songs.id, song.id), eq(songs.version, song.version), next.onlyIf))
    .returning()
    .toSQL();
  const d1 = db.$client;
  // The version is inserted only where the row moved to its number: when another writer moved it there first,
  // the unique (song_id, number) index fails the whole batch; when the row did not move, nothing is inserted.
  const insertVersion = d1
    .prepare(
      `insert into song_versions
         (song_id, number, content, content_bytes, created_at, author_id, session_id, kind, applied, summary,
          session_rev)
       select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
       where exists (select 1 from songs where id = ?1 and version = ?2)`,
    )
    .bind(
      song.id,
      number,
      next.content,
      utf8Length(next.content),
      now,
      next.author_id ?? null,
      next.session_id ?? null,
      next.kind,
      applied ? 1 : 0,
      next.summary,
      next.session_rev ?? null,
    );
  const statements = [d1.prepare(moveSong.sql).bind(...moveSong.params), insertVersion];
  if (!applied && next.session_id) statements.push(dropEarlierRefusals(d1, song.id, next.session_id, number));
  statements.push(thinSessionWriteBacks(d1, song.id, number), dropOldVersions(d1, song.id, number), ...alsoWrite);
  try {
    const [moved] = await d1.batch<SongRecord>(statements);
    return moved?.results[0] ?? null;
  } catch (error) {
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}

/**
 * A session refused again keeps only its latest refused text (which holds its earlier ones as edited since), so
 * a session writing back every few seconds without an edit right cannot push the song's history out.
 */
function dropEarlierRefusals(d1: D1Database, songId: number, sessionId: string, latest: number): D1PreparedStatement {
  return d1
    .prepare(
      `delete from song_versions
       where song_id = ?1 and session_id = ?2 and applied = 0 and number < ?3
         and exists (select 1 from song_versions where song_id = ?1 and number = ?3)`,
    )
    .bind(songId, sessionId, latest);
}

/**
 * Past MAX_VERSIONS_PER_SONG, a session's intermediate write-backs go first (oldest first): a version whose next
 * version came from the same session, so each session's last write-back stays, and the history before it (the text
 * a session started from, edits by hand) outlives a long rehearsal's auto-saves.
 */
function thinSessionWriteBacks(d1: D1Database, songId: number, latest: number): D1PreparedStatement {
  return d1
    .prepare(
      `delete from song_versions where id in (
         select v.id from song_versions v
         where v.song_id = ?1 and v.number < ?2 and v.applied = 1 and v.session_id is not null
           and v.session_id = (
             select n.session_id from song_versions n
             where n.song_id = ?1 and n.number > v.number order by n.number limit 1
           )
         order by v.number
         limit max(0, (select count(*) from song_versions where song_id = ?1) - ?3)
       )`,
    )
    .bind(songId, latest, MAX_VERSIONS_PER_SONG);
}

/**
 * Then drops the versions still past the bounds, oldest first, never the latest: all but the newest
 * MAX_VERSIONS_PER_SONG, and those whose text, added to that of all newer ones, passes MAX_VERSION_BYTES_PER_SONG.
 */
function dropOldVersions(d1: D1Database, songId: number, latest: number): D1PreparedStatement {
  return d1
    .prepare(
      `delete from song_versions
       where song_id = ?1 and number < ?2 and (
         number <= (select number from song_versions where song_id = ?1 order by number desc limit 1 offset ?3)
         or number <= (
           select max(number) from (
             select number, sum(content_bytes) over (order by number desc) as bytes_from_newest
             from song_versions where song_id = ?1
           ) where bytes_from_newest > ?4
         )
       )`,
    )
    .bind(songId, latest, MAX_VERSIONS_PER_SONG, MAX_VERSION_BYTES_PER_SONG);
}

function isUniqueViolation(error: unknown): boolean {
  const messages: string[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause) messages.push(current.message);
  return messages.some((message) => message.includes("UNIQUE constraint failed"));
}

/**
 * Creates a song with its version 1, unless the owner already has MAX_SONGS_PER_USER songs (null then). The
 * count is checked by the insert itself, so creations at the same moment cannot pass the limit together.
 */
export async function createSong(
  db: Database,
  song: { title: string; content: string; owner_id: string; summary: string },
): Promise<SongRecord | null> {
  const d1 = db.$client;
  const [inserted, , created] = await d1.batch<SongRecord>([
    d1
      .prepare(
        `insert into songs (title, content, owner_id, version)
         select ?1, ?2, ?3, 1 where (select count(*) from songs where owner_id = ?3) < ?4`,
      )
      .bind(song.title, song.content, song.owner_id, MAX_SONGS_PER_USER),
    // The owner's newest song is the one just inserted, and the only one of theirs without a version.
    d1
      .prepare(
        `insert into song_versions
           (song_id, number, content, content_bytes, created_at, author_id, session_id, kind, applied, summary)
         select id, 1, content, ?2, created_at, owner_id, null, 'created', 1, ?3 from songs
         where id = (select max(id) from songs where owner_id = ?1)
           and not exists (select 1 from song_versions where song_id = songs.id)`,
      )
      .bind(song.owner_id, utf8Length(song.content), song.summary),
    d1.prepare("select * from songs where id = (select max(id) from songs where owner_id = ?1)").bind(song.owner_id),
  ]);
  return inserted?.meta.changes === 1 ? (created?.results[0] ?? null) : null;
}
