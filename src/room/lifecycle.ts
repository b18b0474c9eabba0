/**
 * The session's life: created, changed, paused, resumed and ended by people; ended by itself when idle; when it is
 * due to be archived; and when it was last used (socket traffic noted in memory, written down now and then).
 */
import type { Actor } from "../domain/actor";
import { displayName } from "../domain/actor";
import { authorize, STATUS_TRANSITIONS } from "../domain/permissions";
import { CLOSE } from "../domain/protocol";
import type { SessionUpdate } from "../domain/schemas";
import { archiveDeadline, idleDeadline, mergeSettings } from "../domain/settings";
import type { ActivityLog } from "./activity-log";
import type { Participants } from "./participants";
import type { Recorder } from "./recorder";
import { refuse } from "./result";
import type { SessionRow } from "./rows";
import type { CreateSessionInit, LifecycleOutcome } from "./rpc-types";
import type { Sequencer } from "./sequencer";
import type { SessionState } from "./session-state";
import type { Sockets } from "./sockets";

/** How often socket traffic is written down as the session's last activity, at most. */
const ACTIVITY_WRITE_INTERVAL_MS = 60_000;

export type StatusAction = keyof typeof STATUS_TRANSITIONS;

export class Lifecycle {
  /** The latest socket activity while awake; a hibernating object had none for a while. */
  private socketActivityAt = 0;

  constructor(
    private readonly state: SessionState,
    private readonly participants: Participants,
    private readonly sequencer: Sequencer,
    private readonly recorder: Recorder,
    private readonly activity: ActivityLog,
    private readonly sockets: Sockets,
  ) {}

  create(init: CreateSessionInit, owner: Actor): void {
    if (this.state.sessionOrNull()) refuse(409, "CONFLICT", "A session with this id already exists");
    this.state.insert(init, owner.userId, init.access_mode === "link-access" ? newInvitationCode() : null);
    this.sequencer.create(init.song_content);
    this.participants.add(owner, "owner", null);
    this.activity.append("session_created", owner.userId, `${displayName(owner)} created the session "${init.name}"`, {
      template_id: init.template_id,
      access_mode: init.access_mode,
    });
    if (init.config.settings.auto_recording) this.recorder.start(owner.userId);
    this.state.enqueue("session", "members");
  }

  update(session: SessionRow, actor: Actor, patch: SessionUpdate): void {
    const active = this.participants.activeCount();
    if (patch.max_participants !== undefined && patch.max_participants < active) {
      refuse(
        409,
        "PARTICIPANT_LIMIT_TOO_LOW",
        `The session already has ${active} participants; the limit cannot go below that`,
      );
    }
    const next: SessionRow = {
      ...session,
      name: patch.name ?? session.name,
      description: patch.description === undefined ? session.description : patch.description,
      access_mode: patch.access_mode ?? session.access_mode,
      max_participants: patch.max_participants ?? session.max_participants,
      default_role: patch.default_role ?? session.default_role,
      settings: patch.settings ? mergeSettings(session.settings, patch.settings) : session.settings,
    };
    // Turning link access on issues a fresh code; turning it off forgets the old one, so an old link never returns.
    if (next.access_mode !== session.access_mode) {
      next.invitation_code = next.access_mode === "link-access" ? newInvitationCode() : null;
    }
    const changed = (Object.keys(patch) as (keyof SessionUpdate)[]).filter((key) => patch[key] !== undefined);
    this.state.save(next);
    this.activity.append("session_updated", actor.userId, `${displayName(actor)} changed ${changed.join(", ")}`, {
      changed,
    });
    this.state.enqueue("session");
  }

  /** Pauses, resumes or ends the session by hand; whoever manages it may, also while it is read-only. */
  transition(actor: Actor, action: StatusAction): void {
    const session = this.state.requireSession();
    // Status checks come after the permission check, so a read-only session still says who may manage it.
    const denial = authorize(
      { ...session, status: "active" },
      this.participants.member(actor.userId),
      "manage_session",
    );
    if (denial) refuse(denial.status, denial.code, denial.message);
    const transition = STATUS_TRANSITIONS[action];
    if (!transition.from.includes(session.status)) {
      refuse(409, "INVALID_STATUS_TRANSITION", `Cannot ${action} a session that is ${session.status}`);
    }
    const pastTense = { pause: "paused", resume: "resumed", end: "ended" }[action];
    this.changeStatus(session, transition.to, actor.userId, `${displayName(actor)} ${pastTense} the session`);
  }

  rotateInvitationCode(session: SessionRow, actor: Actor): string {
    if (session.access_mode !== "link-access") {
      refuse(409, "NOT_LINK_ACCESS", "Only link-access sessions have an invitation code");
    }
    const code = newInvitationCode();
    this.state.save({ ...session, invitation_code: code });
    this.activity.append(
      "invitation_code_rotated",
      actor.userId,
      `${displayName(actor)} rotated the invitation link`,
      null,
      true,
    );
    return code;
  }

  changeStatus(
    session: SessionRow,
    status: SessionRow["status"],
    actorId: string | null,
    description: string,
    reason: Record<string, unknown> = {},
  ): void {
    const next: SessionRow = { ...session, status, ended_at: status === "ended" ? this.state.now() : session.ended_at };
    this.state.save(next);
    const type = {
      active: "session_resumed",
      paused: "session_paused",
      ended: "session_ended",
      archived: "session_archived",
    }[status];
    this.activity.append(type, actorId, description, { from: session.status, to: status, ...reason }, actorId === null);
    this.recorder.capture("session_status", actorId, { status });
    if (status === "ended") {
      const recording = this.recorder.active();
      if (recording) this.recorder.stop(recording, actorId);
      this.state.enqueue("song");
    }
    this.state.enqueue("session");
  }

  /** Tells every socket the session's status; an ended session closes them. */
  announceStatus(): void {
    const status = this.state.requireSession().status;
    this.sockets.broadcast({ type: "session_status", status });
    if (status === "ended" || status === "archived")
      this.sockets.closeAll(CLOSE.sessionClosed, `The session has ${status}`);
  }

  /**
   * Socket traffic (ops, comments, presence) keeps the session alive. It is noted in memory each time, which the idle
   * deadline reads, and written down at most once a minute (a quarter of the idle timeout when that is shorter).
   */
  noteSocketActivity(): void {
    const now = this.state.clock();
    this.socketActivityAt = Math.max(this.socketActivityAt, now);
    const session = this.state.sessionOrNull();
    if (!session) return;
    const interval = Math.min(ACTIVITY_WRITE_INTERVAL_MS, (session.settings.idle_timeout_minutes * 60_000) / 4);
    if (now - Date.parse(session.last_activity_at) >= interval) this.state.touch();
  }

  idleDeadlineMs(session: SessionRow): number | null {
    if (session.status !== "active" && session.status !== "paused") return null;
    const lastActivity = Math.max(Date.parse(session.last_activity_at), this.socketActivityAt);
    return Date.parse(idleDeadline(new Date(lastActivity).toISOString(), session.settings));
  }

  archiveDeadlineMs(session: SessionRow): number | null {
    if (session.status === "archived") return this.state.clock();
    if (session.status !== "ended" || !session.ended_at) return null;
    return Date.parse(archiveDeadline(session.ended_at, session.settings));
  }

  /** Ends a session nobody used for its idle timeout, paused ones included; answers whether it ended it. */
  endIfIdle(): boolean {
    return this.state.transaction(() => {
      const session = this.state.sessionOrNull();
      const due = session ? this.idleDeadlineMs(session) : null;
      if (!session || due === null) return false;
      if (due > this.state.clock()) {
        // Used since it was last written down: write it now, so D1's deadline follows.
        if (this.socketActivityAt > Date.parse(session.last_activity_at)) {
          this.state.touch(this.socketActivityAt);
          this.state.enqueue("session");
        }
        return false;
      }
      const minutes = session.settings.idle_timeout_minutes;
      this.changeStatus(session, "ended", null, `Ended after ${minutes} minutes without activity`, {
        reason: "idle",
        idle_timeout_minutes: minutes,
      });
      return true;
    });
  }

  /** What the lifecycle step would do now, changing nothing: the cleanup sweep's dry run. */
  preview(): LifecycleOutcome {
    const session = this.state.sessionOrNull();
    if (!session) return { ended: false, archived: false };
    const now = this.state.clock();
    const idleDue = this.idleDeadlineMs(session);
    if (idleDue !== null && idleDue <= now) {
      // Ended now, it is archived in the same run when its archive delay is zero.
      const archiveDue = Date.parse(archiveDeadline(new Date(now).toISOString(), session.settings));
      return { ended: true, archived: archiveDue <= now };
    }
    const archiveDue = this.archiveDeadlineMs(session);
    return { ended: false, archived: session.status === "ended" && archiveDue !== null && archiveDue <= now };
  }
}

/** 11 URL-safe characters (64 bits of randomness). */
export function newInvitationCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
