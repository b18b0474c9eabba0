/**
 * Delivers the outbox to D1: the session's projection, its members, and the song's write-back, one delivery at a
 * time, retried with backoff by the alarm until D1 has them.
 */
import { archiveDeadline } from "../domain/settings";
import type { ActivityLog } from "./activity-log";
import type { Invitations } from "./invitations";
import type { Lifecycle } from "./lifecycle";
import type { Participants } from "./participants";
import type { D1Port } from "./ports";
import { type ProjectionSnapshot, projectionStatements, type SessionProjection } from "./projection";
import type { Recorder } from "./recorder";
import type { SessionRow } from "./rows";
import type { SessionState } from "./session-state";
import type { Sockets } from "./sockets";
import type { SongSync } from "./song-sync";

/** Waits between failed deliveries, growing with each failure. */
const OUTBOX_RETRY_MS = [1_000, 5_000, 30_000, 120_000, 600_000];

export class Outbox {
  private delivery: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: SessionState,
    private readonly participants: Participants,
    private readonly invitations: Invitations,
    private readonly lifecycle: Lifecycle,
    private readonly recorder: Recorder,
    private readonly activity: ActivityLog,
    private readonly sockets: Sockets,
    private readonly songSync: SongSync,
    private readonly d1: D1Port,
  ) {}

  /**
   * Delivers what is pending. Deliveries run one after another; each takes everything pending, so queued ones
   * coalesce. One that fails fails its caller only: the next one still runs.
   */
  deliver(): Promise<void> {
    const next = this.delivery.then(
      () => this.deliverOnce(),
      () => this.deliverOnce(),
    );
    this.delivery = next.catch(() => undefined);
    return next;
  }

  /** When a failed delivery is due again, if one failed. */
  retryDeadline(): number | null {
    const retryAt = this.state.meta("outbox_retry_at");
    return retryAt ? Number(retryAt) : null;
  }

  /** The session's row as D1 keeps it (never with its invitation code). */
  projectionOf(session: SessionRow): SessionProjection {
    const { invitation_code: _secret, ...row } = session;
    const active = session.status === "active" || session.status === "paused";
    return {
      ...row,
      participant_count: this.participants.activeCount(),
      online_count: this.sockets.onlineUsers().size,
      is_recording: this.recorder.active() !== null,
      idle_deadline_at: active ? new Date(this.lifecycle.idleDeadlineMs(session)!).toISOString() : null,
      archive_due_at:
        session.status === "ended" && session.ended_at ? archiveDeadline(session.ended_at, session.settings) : null,
      archive_key: null,
      activity_count: this.activity.count(),
    };
  }

  /** Writes the archived session's row, pointing at its archive, and its last members. */
  async projectArchived(session: SessionRow, archiveKey: string): Promise<void> {
    await this.d1.writeProjection(this.d1.db, {
      session: { ...this.projectionOf(session), archive_key: archiveKey },
      members: { participants: this.participants.all(), invitations: [] },
    });
  }

  private async deliverOnce(): Promise<void> {
    const pending = this.state.pendingOutbox();
    if (pending.length === 0) return;
    const session = this.state.sessionOrNull();
    const lastId = Math.max(...pending.map((entry) => entry.last));
    if (!session) {
      this.state.clearOutboxThrough(lastId);
      return;
    }
    const kinds = new Set(pending.map((entry) => entry.kind));
    const snapshot: ProjectionSnapshot = {
      session: this.projectionOf(session),
      members: kinds.has("members")
        ? { participants: this.participants.all(), invitations: this.invitations.pending() }
        : undefined,
    };
    try {
      // A save's write to the song carries the projection in the same D1 batch; otherwise it has one of its own.
      const projected =
        kinds.has("song") && (await this.songSync.writeBack(session, projectionStatements(this.d1.db, snapshot)));
      if (!projected) await this.d1.writeProjection(this.d1.db, snapshot);
    } catch (error) {
      const attempts = Number(this.state.meta("outbox_attempts") ?? "0") + 1;
      this.state.setMeta("outbox_attempts", String(attempts));
      const wait = OUTBOX_RETRY_MS[Math.min(attempts, OUTBOX_RETRY_MS.length) - 1]!;
      this.state.setMeta("outbox_retry_at", String(this.state.clock() + wait));
      console.warn("projection to D1 failed; the alarm will retry", session.id, error);
      return;
    }
    this.state.clearOutboxThrough(lastId);
    this.state.deleteMeta("outbox_attempts");
    this.state.deleteMeta("outbox_retry_at");
  }
}
