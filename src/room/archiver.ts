/**
 * Archives an ended session once its time comes: the whole session goes to R2 as one gzip'd JSON document, D1 marks
 * it archived with the archive's key, and the object's storage is emptied. Safe to repeat at any step.
 */
import { CLOSE } from "../domain/protocol";
import type { ActivityLog } from "./activity-log";
import { archiveKey, type SessionArchive } from "./archive";
import type { Comments } from "./comments";
import { gzip } from "./compression";
import type { Lifecycle } from "./lifecycle";
import type { Outbox } from "./outbox";
import type { Participants } from "./participants";
import type { Reads } from "./reads";
import type { Recorder } from "./recorder";
import type { SessionRow } from "./rows";
import type { Sequencer } from "./sequencer";
import type { SessionState } from "./session-state";
import type { Sockets } from "./sockets";

export interface ArchiverParts {
  state: SessionState;
  lifecycle: Lifecycle;
  outbox: Outbox;
  activity: ActivityLog;
  recorder: Recorder;
  sequencer: Sequencer;
  participants: Participants;
  comments: Comments;
  reads: Reads;
  sockets: Sockets;
  bucket: R2Bucket;
  /** Empties the object's storage (alarm included) and sets up an empty schema. */
  wipe: () => Promise<void>;
}

export class Archiver {
  constructor(private readonly parts: ArchiverParts) {}

  async archiveIfDue(): Promise<void> {
    const { state, lifecycle, outbox, activity, recorder, sockets } = this.parts;
    const session = state.sessionOrNull();
    const due = session ? lifecycle.archiveDeadlineMs(session) : null;
    if (!session || due === null || due > state.clock()) return;
    if (session.status === "ended") {
      // The session's last write-back to its song (and every projection) must have landed: archiving empties the
      // object, outbox included. Until then the step fails and is tried again.
      await outbox.deliver();
      if (state.hasOutbox()) throw new Error("the outbox has not reached D1 yet; archiving waits for it");
      const days = session.settings.archive_after_days;
      state.transaction(() =>
        lifecycle.changeStatus(session, "archived", null, `Archived ${days} days after the session ended`, {
          reason: "archive_after_days",
          archive_after_days: days,
        }),
      );
    }
    await activity.flush(true);
    await recorder.flush(true);
    const archived = state.requireSession();
    const key = archiveKey(archived.id);
    await this.parts.bucket.put(key, await gzip(JSON.stringify(this.document(archived))), {
      httpMetadata: { contentType: "application/json", contentEncoding: "gzip" },
    });
    await outbox.projectArchived(archived, key);
    sockets.closeAll(CLOSE.sessionClosed, "The session has been archived");
    await this.parts.wipe();
    state.forget();
  }

  private document(session: SessionRow): SessionArchive {
    const { state, activity, recorder, sequencer, participants, comments, reads } = this.parts;
    const { invitation_code: _code, ...sessionRow } = session;
    const document = sequencer.document();
    const log = activity.kept();
    return {
      format: 1,
      archived_at: state.now(),
      session: { ...sessionRow, invitation_code: null },
      participants: reads.withContributions(participants.all()),
      activities: log.activities,
      activities_trimmed_through: log.trimmedThrough,
      activity_chunks: log.chunks,
      ops: sequencer.storedOps(-1, Number.MAX_SAFE_INTEGER),
      comments: comments.rows(),
      document: { rev: document.rev, content: document.content },
      recordings: recorder
        .all()
        .reverse()
        .map((row) => recorder.manifestOf(session.id, row)),
    };
  }
}
