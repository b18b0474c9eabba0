/**
 * Archived sessions: the whole session as one gzip'd JSON document in R2. Once archived, the Worker serves reads
 * from it, through the same view functions the live object uses.
 */

import type { Actor } from "../domain/actor";
import { authorize } from "../domain/permissions";
import type { RecordingManifest, RecordingPlayback } from "../domain/recording";
import type { ActivityQuery, Participant, SessionView } from "../domain/schemas";
import type { Bindings } from "../env";
import {
  type ActivityChunk,
  type ActivityPage,
  chunksBefore,
  pageAfterOffset,
  pageWithHistory,
  visibleActivity,
} from "./activity-history";
import { gunzip } from "./compression";
import { failure, type RoomResult, success } from "./result";
import type { ActivityRow, ParticipantRow, SessionRow } from "./rows";
import { activityView, memberOf, participantViews, sessionView, type ViewInput } from "./views";

export interface SessionArchive {
  format: 1;
  archived_at: string;
  session: SessionRow;
  participants: ParticipantRow[];
  /** The latest entries of the activity log; older ones are in R2 (see activity-history.ts). */
  activities: ActivityRow[];
  /** The entries up to this id left the session's storage for R2 only (0 or absent: none did). */
  activities_trimmed_through?: number;
  /** Where those entries are: the log's chunks in R2. */
  activity_chunks?: ActivityChunk[];
  ops: { rev: number; client_id: string; seq: number; user_id: string; op: string; created_at: string }[];
  comments: { id: number; user_id: string; text: string; anchor: string | null; rev: number; created_at: string }[];
  document: { rev: number; content: string };
  recordings: RecordingManifest[];
}

export function archiveKey(sessionId: string): string {
  return `sessions/${sessionId}/archive.json.gz`;
}

export async function loadArchive(env: Bindings, key: string): Promise<SessionArchive | null> {
  const object = await env.BUCKET.get(key);
  if (!object) return null;
  return JSON.parse(await gunzip(object.body)) as SessionArchive;
}

/** Answers the read-only questions of an archived session the way its object used to. */
export class ArchivedSession {
  constructor(
    private readonly archive: SessionArchive,
    private readonly bucket: R2Bucket,
  ) {}

  private input(): ViewInput {
    return {
      session: this.archive.session,
      participants: this.archive.participants,
      online: new Set(),
      isRecording: false,
    };
  }

  private check<T>(actor: Actor, permission: "read" | "view_private", answer: () => T): RoomResult<T> {
    const denial = authorize(this.archive.session, memberOf(this.archive.participants, actor.userId), permission);
    if (denial) return failure(denial.status, denial.code, denial.message);
    return success(answer());
  }

  view(actor: Actor): RoomResult<SessionView> {
    return this.check(actor, "read", () => sessionView(this.input(), actor.userId));
  }

  listParticipants(actor: Actor): RoomResult<{ participants: Participant[] }> {
    return this.check(actor, "read", () => ({ participants: participantViews(this.input(), actor.userId) }));
  }

  async activities(actor: Actor, query: ActivityQuery): Promise<RoomResult<ActivityPage>> {
    const denial = this.check(actor, "read", () => null);
    if (!denial.ok) return denial;
    const seesPrivate = this.check(actor, "view_private", () => true).ok;
    return success(await pageAfterOffset(query, (step) => this.activityPage(step, seesPrivate)));
  }

  /** One page from the cursor (or the newest entry), newest first, as the live log answers it. */
  private async activityPage(query: ActivityQuery, seesPrivate: boolean): Promise<ActivityPage> {
    const before = query.cursor ? Number(query.cursor) : Number.POSITIVE_INFINITY;
    const kept = [...this.archive.activities]
      .sort((a, b) => b.id - a.id)
      .filter((row) => row.id < before)
      .map((row) => visibleActivity(activityView(row, true), query, seesPrivate))
      .filter((entry) => entry !== null);
    const trimmedThrough = this.archive.activities_trimmed_through ?? 0;
    if (kept.length > query.limit || trimmedThrough === 0 || before <= 1) {
      const page = kept.slice(0, query.limit);
      return { activities: page, next_cursor: kept.length > query.limit ? String(page.at(-1)!.id) : null };
    }
    const beforeId = Math.min(before, trimmedThrough + 1);
    const chunks = chunksBefore(this.archive.activity_chunks ?? [], beforeId);
    return pageWithHistory(this.bucket, query, seesPrivate, kept, beforeId, chunks);
  }

  listRecordings(actor: Actor): RoomResult<{ recordings: RecordingManifest[] }> {
    return this.check(actor, "read", () => ({ recordings: [...this.archive.recordings].reverse() }));
  }

  recordingPlayback(actor: Actor, recordingId: string): RoomResult<RecordingPlayback> {
    const denial = this.check(actor, "read", () => null);
    if (!denial.ok) return denial;
    const found = this.archive.recordings.find((recording) => recording.id === recordingId);
    if (!found) return failure(404, "NOT_FOUND", "Recording not found");
    const seesPrivate = this.check(actor, "view_private", () => true).ok;
    return success({ manifest: found, tail: [], reader: { user_id: actor.userId, sees_private: seesPrivate } });
  }
}
