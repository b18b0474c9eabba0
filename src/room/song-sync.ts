/**
 * The session's text and its song: auto-saves when due, and each write-back merged three ways into the song as it
 * is now (src/db/song-writes.ts), with what the song gained elsewhere brought back into the live text. It owns the
 * document row's save columns (saved_rev, saved_at, base_content, writing_rev, writing_text).
 */
import { writeBackLanded } from "../db/song-writes";
import { diffOp } from "../domain/text-diff";
import type { ActivityLog } from "./activity-log";
import type { D1Port } from "./ports";
import type { Recorder } from "./recorder";
import { RoomFailure } from "./result";
import type { DocumentRow, SessionRow } from "./rows";
import type { Sequencer } from "./sequencer";
import type { SessionState } from "./session-state";
import type { Sockets } from "./sockets";

/** The author and client of the ops that bring the song's own changes into the session's text. */
const SONG_AUTHOR = "chordme:song";
const SONG_CLIENT = "song:merge";

export class SongSync {
  constructor(
    private readonly state: SessionState,
    private readonly sequencer: Sequencer,
    private readonly recorder: Recorder,
    private readonly activity: ActivityLog,
    private readonly sockets: Sockets,
    private readonly d1: D1Port,
  ) {}

  private get sql(): SqlStorage {
    return this.state.sql;
  }

  /** When the live text is next due to be written back to the song: only while it has unsaved changes. */
  autoSaveDeadline(): number | null {
    const session = this.state.sessionOrNull();
    if (!session) return null;
    const checkpoint = this.documentRow();
    if (this.sequencer.document().rev <= checkpoint.saved_rev) return null;
    return Date.parse(checkpoint.saved_at ?? session.created_at) + session.settings.auto_save_interval * 1000;
  }

  autoSaveIfDue(): void {
    const due = this.autoSaveDeadline();
    if (due === null || due > this.state.clock()) return;
    this.state.transaction(() => this.state.enqueue("song", "session"));
  }

  /**
   * Writes the session's changes into the song as it is now, merged three ways from the text they are relative to
   * (`base_content`), on the owner's behalf and only while the owner may edit the song. Nothing is written when the
   * session changed nothing. `alsoWrite` rides in the same D1 batch; answers whether it was written. Throws when D1
   * cannot take it, so the outbox tries again.
   */
  async writeBack(session: SessionRow, alsoWrite: D1PreparedStatement[]): Promise<boolean> {
    const row = this.documentRow();
    let base = row.base_content ?? this.sequencer.textAt(row.saved_rev);
    // A write-back that reached D1 without the session learning it (a restart in between) is taken as applied,
    // as it would have been, so the same changes are never merged twice.
    if (row.writing_rev !== null && row.writing_text !== null) {
      const landed = await writeBackLanded(this.d1.db, session.song_id, session.id, row.writing_rev);
      if (landed) base = this.takeInSongText(row.writing_text, row.writing_rev, landed.content);
    }
    const { rev, content } = this.sequencer.document();
    this.sql.exec("UPDATE document SET writing_rev = ?, writing_text = ? WHERE id = 1", rev, content);
    const outcome = await this.d1.writeSong(
      this.d1.db,
      {
        songId: session.song_id,
        sessionId: session.id,
        sessionName: session.name,
        ownerId: session.owner_id,
        base,
        text: content,
        rev,
      },
      alsoWrite,
    );
    // What the song has now is the base of the next write-back; merged with changes made elsewhere, it is also
    // brought into the live text, so the band sees (and can fix) what the song holds, and the next merge does not
    // stack a conflict on one it already wrote.
    const nextBase =
      outcome.outcome === "applied"
        ? this.takeInSongText(content, rev, outcome.content)
        : outcome.outcome === "unchanged"
          ? content
          : base;
    this.state.transaction(() => {
      // What the write covered: the text as it was when it started, whatever came in meanwhile.
      this.sql.exec(
        `UPDATE document SET saved_rev = ?, saved_at = ?, base_content = ?, writing_rev = NULL, writing_text = NULL
         WHERE id = 1`,
        rev,
        this.state.now(),
        nextBase,
      );
      if (outcome.outcome === "applied") {
        this.logSavedEdits(row.saved_rev, rev, outcome.version, outcome.conflicts);
      } else if (outcome.outcome === "refused") {
        this.activity.append(
          "song_save_refused",
          null,
          `The song was not changed: ${outcome.reason}. The session's text is kept as version ${outcome.version}.`,
          { version: outcome.version, reason: outcome.reason, rev },
          true,
        );
      } else if (outcome.outcome === "missing") {
        this.activity.append(
          "song_save_refused",
          null,
          "The song no longer exists; the session's text stays here",
          { rev },
          true,
        );
      }
    });
    return outcome.wrote_batch === true;
  }

  /**
   * Applies to the live text what the song holds beyond the session's text at `rev` (edits made elsewhere, merge
   * conflicts kept for people to fix), as an op of the song's own, rebased over what came in since. Answers the
   * base of the next write-back: the song's text, or the session's when the op could not be applied.
   */
  private takeInSongText(sessionText: string, rev: number, songText: string): string {
    if (songText === sessionText) return songText;
    try {
      const result = this.sequencer.submit(
        {
          userId: SONG_AUTHOR,
          clientId: SONG_CLIENT,
          seq: this.sequencer.lastSeq(SONG_AUTHOR, SONG_CLIENT) + 1,
          baseRev: rev,
          op: diffOp(sessionText, songText),
        },
        () => this.recorder.logFloor(),
      );
      if (result.kind === "applied") {
        this.sockets.broadcast({ type: "op", rev: result.rev, op: result.op, user_id: SONG_AUTHOR });
      }
      return songText;
    } catch (error) {
      if (!(error instanceof RoomFailure)) throw error;
      console.warn("the song's text could not be taken into the session", error.error);
      return sessionText;
    }
  }

  /** The activity entry for edits that reached the song: how many, by whom, and any conflicts kept for people to fix. */
  private logSavedEdits(fromRev: number, toRev: number, version: number, conflicts: number): void {
    const editors = this.sequencer.editorsBetween(fromRev, toRev);
    const edits = editors.reduce((total, editor) => total + editor.edits, 0);
    const conflictNote =
      conflicts === 0 ? "" : `; ${conflicts} ${conflicts === 1 ? "place" : "places"} changed on both sides kept both`;
    this.activity.append(
      "content_edited",
      null,
      `${edits} ${edits === 1 ? "edit" : "edits"} saved to the song (version ${version})${conflictNote}`,
      {
        from_rev: fromRev,
        to_rev: toRev,
        version,
        conflicts,
        by_user: Object.fromEntries(editors.map((editor) => [editor.user_id, editor.edits])),
      },
    );
  }

  private documentRow(): DocumentRow {
    return this.sql
      .exec(
        "SELECT rev, content, saved_rev, saved_at, base_content, writing_rev, writing_text FROM document WHERE id = 1",
      )
      .one() as unknown as DocumentRow;
  }
}
