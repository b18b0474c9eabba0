/** What the session shows its readers, changing nothing: the session and participant views, health, statistics. */
import { type Health, healthOf } from "../domain/health";
import { authorize } from "../domain/permissions";
import type { Participant, SessionView } from "../domain/schemas";
import type { ActivityLog } from "./activity-log";
import type { Comments } from "./comments";
import type { Participants } from "./participants";
import type { Recorder } from "./recorder";
import type { ParticipantRow, SessionRow } from "./rows";
import type { SessionStats } from "./rpc-types";
import type { Sequencer } from "./sequencer";
import type { SessionState } from "./session-state";
import type { Sockets } from "./sockets";
import { participantView, participantViews, sessionView, type ViewInput } from "./views";

export class Reads {
  constructor(
    private readonly state: SessionState,
    private readonly participants: Participants,
    private readonly sequencer: Sequencer,
    private readonly comments: Comments,
    private readonly recorder: Recorder,
    private readonly activity: ActivityLog,
    private readonly sockets: Sockets,
  ) {}

  viewFor(userId: string, withParticipants = true): SessionView {
    return sessionView(this.viewInput(), userId, withParticipants);
  }

  participantViews(viewerId: string): Participant[] {
    return participantViews(this.viewInput(), viewerId);
  }

  /** One participant as `viewerId` sees them (emails only for those who manage participants). */
  participantView(row: ParticipantRow, viewerId: string | null): Participant {
    const withEmail = viewerId !== null && this.may(viewerId, "manage_participants");
    return participantView(this.withContributions([row])[0]!, withEmail, this.sockets.onlineUsers());
  }

  /** Whether the user may see private activity (role changes, removals, refused saves). */
  seesPrivate(userId: string): boolean {
    return this.may(userId, "view_private");
  }

  /** The rows with `contribution_count`: the ops each applied over the whole session, plus their comments. */
  withContributions(rows: ParticipantRow[]): ParticipantRow[] {
    const edits = this.sequencer.editCounts();
    const comments = this.comments.countsByUser();
    return rows.map((row) => ({
      ...row,
      contribution_count: (edits.get(row.user_id) ?? 0) + (comments.get(row.user_id) ?? 0),
    }));
  }

  health(session: SessionRow): Health {
    const now = this.state.clock();
    const dayAgo = new Date(now - 24 * 3600_000).toISOString();
    const hourAgo = new Date(now - 3600_000).toISOString();
    const contributors = new Set([...this.sequencer.editorsSince(dayAgo), ...this.comments.authorsSince(dayAgo)]);
    return healthOf({
      activeParticipants: this.participants.activeCount(),
      maxParticipants: session.max_participants,
      onlineParticipants: this.sockets.onlineUsers().size,
      hoursSinceActivity: Math.max(0, (now - Date.parse(session.last_activity_at)) / 3600_000),
      contributors24h: contributors.size,
      editsLastHour: this.sequencer.editsSince(hourAgo),
      comments24h: this.comments.countSince(dayAgo),
      hasRecording: this.recorder.hasAny(),
    });
  }

  stats(session: SessionRow): SessionStats {
    const byUser = this.sequencer.editCounts();
    const recordings = this.recorder.all();
    const end = session.ended_at ? Date.parse(session.ended_at) : this.state.clock();
    return {
      participants: {
        total: this.participants.total(),
        active: this.participants.activeCount(),
        online: this.sockets.onlineUsers().size,
        peak_online: Number(this.state.meta("peak_online") ?? "0"),
      },
      edits: {
        total: [...byUser.values()].reduce((total, edits) => total + edits, 0),
        by_user: Object.fromEntries(byUser),
      },
      comments: this.comments.count(),
      activities: this.activity.count(),
      duration_seconds: Math.max(0, Math.round((end - Date.parse(session.started_at)) / 1000)),
      recordings: {
        count: recordings.length,
        total_duration_ms: recordings.reduce((total, row) => total + this.recorder.durationOf(row), 0),
        events: recordings.reduce((total, row) => total + this.recorder.eventsCount(row), 0),
      },
      last_activity_at: session.last_activity_at,
    };
  }

  private may(userId: string, permission: "manage_participants" | "view_private"): boolean {
    return authorize(this.state.requireSession(), this.participants.member(userId), permission) === null;
  }

  private viewInput(): ViewInput {
    return {
      session: this.state.requireSession(),
      participants: this.withContributions(this.participants.all()),
      online: this.sockets.onlineUsers(),
      isRecording: this.recorder.active() !== null,
    };
  }
}
