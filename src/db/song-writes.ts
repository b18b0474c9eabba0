/**
 * A session's text written back to its song. The session object calls it through its outbox, so it may run
 * again after a failure: a repeat of a write-back that was applied without conflicts finds its changes already
 * in the song and writes nothing.
 */
import { and, eq, not, type SQL } from "drizzle-orm";
import { mergeTexts } from "../domain/merge";
import { codePointLength, MAX_DOCUMENT_CHARS } from "../domain/text";
import { summarize } from "../domain/version-summary";
import { database } from "./client";
import { songs, songVersions } from "./schema";
import { type NewVersion, writeSongText } from "./song-text";
import { editableBy } from "./songs";

export interface SessionWriteBack {
  songId: number;
  sessionId: string;
  sessionName: string;
  /** The session's owner: the write-back is done on their behalf and needs their edit right on the song now. */
  ownerId: string;
  /**
   * The song text the session's changes are relative to: the text it started from, or what the song held after
   * its last write-back. Null when it is not known (a session from before it was kept): the song as it is then.
   */
  base: string | null;
  /** The session's text now. */
  text: string;
  /** The session's revision of `text`: a write-back delivered again with the same revision is recognised. */
  rev: number;
}

/** What a write-back did; `wrote_batch` says whether the statements given to ride along were written with it. */
export type WriteBackOutcome = (
  | { outcome: "unchanged" } // text === base: nothing written, no version
  | { outcome: "applied"; version: number; content: string; conflicts: number } // merged into the song as it is now
  | { outcome: "refused"; version: number; reason: string } // the owner may not edit the song now: the text is kept as a version that is not applied
  | { outcome: "missing" } // the song no longer exists
) & { wrote_batch?: true };

export const NO_EDIT_RIGHT = "the session's owner may not edit this song now";
export const MERGED_TOO_LONG = `merged with the song's changes it would be longer than ${MAX_DOCUMENT_CHARS.toLocaleString("en-US")} characters`;

/**
 * The song's text now when the session's write-back of revision `rev` reached it (an applied version carries that
 * revision); null when it did not.
 */
export async function writeBackLanded(
  d1: D1Database,
  songId: number,
  sessionId: string,
  rev: number,
): Promise<{ content: string } | null> {
  const row = await database(d1)
    .select({ content: songs.content })
    .from(songVersions)
    .innerJoin(songs, eq(songs.id, songVersions.song_id))
    .where(
      and(
        eq(songVersions.song_id, songId),
        eq(songVersions.session_id, sessionId),
        eq(songVersions.session_rev, rev),
        eq(songVersions.applied, true),
      ),
    )
    .get();
  return row ?? null;
}

/**
 * Writes the session's text into the song as it is now: as is when the song has not changed since `base`, else
 * merged with the song's changes (both versions kept where both changed the same lines). When the owner may not
 * edit the song now, or the merge would be too long, the text is kept as a version that is not applied.
 * After "applied" the session's next `base` is the `text` it sent; after "refused" it stays what it was.
 * Throws when other writers kept winning, so the outbox tries again later.
 */
export async function writeBackSession(
  d1: D1Database,
  input: SessionWriteBack,
  alsoWrite: readonly D1PreparedStatement[] = [],
): Promise<WriteBackOutcome> {
  if (input.text === input.base) return { outcome: "unchanged" };
  const db = database(d1);
  // Delivered before (the session did not learn the outcome): answer it again instead of merging twice.
  const earlier = await db
    .select({ number: songVersions.number })
    .from(songVersions)
    .where(
      and(
        eq(songVersions.song_id, input.songId),
        eq(songVersions.session_id, input.sessionId),
        eq(songVersions.session_rev, input.rev),
        eq(songVersions.applied, true),
      ),
    )
    .get();
  // Only an applied one: a refused one is decided again, as the owner's edit right may be back.
  if (earlier) {
    const song = await db.select({ content: songs.content }).from(songs).where(eq(songs.id, input.songId)).get();
    if (!song) return { outcome: "missing" };
    return { outcome: "applied", version: earlier.number, content: song.content, conflicts: 0 };
  }
  const mayEdit = editableBy(input.ownerId);
  // The last decision, for the answer: a retry decides again on the song as it is then.
  const decision = { refusal: null as string | null, conflicts: 0 };

  const refuse = (theirs: string, reason: string, onlyIf?: SQL): NewVersion => {
    decision.refusal = reason;
    return {
      content: input.text,
      kind: "refused",
      applied: false,
      session_id: input.sessionId,
      session_rev: input.rev,
      summary: summarize({
        kind: "refused",
        before: theirs,
        after: input.text,
        sessionName: input.sessionName,
        reason,
      }),
      onlyIf,
    };
  };

  const write = await writeSongText(
    db,
    input.songId,
    async (song) => {
      decision.refusal = null;
      decision.conflicts = 0;
      const theirs = song.content;
      // Checked again in the write itself, so a share lowered in between is not missed.
      const editable = await db.select({ editable: mayEdit }).from(songs).where(eq(songs.id, song.id)).get();
      if (!editable?.editable) return refuse(theirs, NO_EDIT_RIGHT, not(mayEdit));

      const unchangedSince = input.base === null || theirs === input.base;
      const merged = unchangedSince ? { text: input.text, conflicts: 0 } : mergeTexts(input.base!, theirs, input.text);
      if (merged.text === theirs) return null;
      if (codePointLength(merged.text) > MAX_DOCUMENT_CHARS) return refuse(theirs, MERGED_TOO_LONG);
      decision.conflicts = merged.conflicts;
      const change = { before: theirs, after: merged.text, sessionName: input.sessionName };
      return {
        content: merged.text,
        kind: unchangedSince ? "session" : "merged",
        session_id: input.sessionId,
        session_rev: input.rev,
        summary: unchangedSince
          ? summarize({ kind: "session", ...change })
          : summarize({ kind: "merged", ...change, conflicts: merged.conflicts }),
        onlyIf: mayEdit,
      };
    },
    alsoWrite,
  );

  switch (write.outcome) {
    case "missing":
      return { outcome: "missing" };
    case "busy":
      throw new Error(`Song ${input.songId} kept changing while session ${input.sessionId} wrote back; try again`);
    case "unchanged":
      return { outcome: "applied", version: write.song.version, content: write.song.content, conflicts: 0 };
    case "written":
      if (decision.refusal !== null) {
        return { outcome: "refused", version: write.version, reason: decision.refusal, wrote_batch: true };
      }
      return {
        outcome: "applied",
        version: write.version,
        content: write.song.content,
        conflicts: decision.conflicts,
        wrote_batch: true,
      };
  }
}
