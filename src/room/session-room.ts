/**
 * SessionRoom: one Durable Object per session, the only writer of that session's state.
 * The Worker calls its RPC methods with the verified actor; every method checks permissions through
 * `authorize` and answers a RoomResult. Changes are written to SQLite first and projected to D1 through
 * the outbox, which the alarm retries until D1 has them.
 */
import { DurableObject } from "cloudflare:workers";
import { writeBackLanded, writeBackSession } from "../db/song-writes";
import type { Actor } from "../domain/actor";
import { displayName } from "../domain/actor";
import { type Health, healthOf } from "../domain/health";
import { decideJoin, invitationStands, inviteRefusal } from "../domain/membership";
import type { MeasuredText } from "../domain/ot";
import { colorFor } from "../domain/participants";
import {
  type AssignableRole,
  authorize,
  type Permission,
  type PermissionMap,
  permissionsOf,
  type Role,
  STATUS_TRANSITIONS,
} from "../domain/permissions";
import {
  CLOSE,
  type ClientMessage,
  type Comment,
  MAX_FRAME_BYTES,
  type PresenceState,
  type PresenceStatus,
  type ServerMessage,
} from "../domain/protocol";
import {
  chunkKey,
  manifestKey,
  type RecordingEvent,
  type RecordingManifest,
  type RecordingPlayback,
  type RecordingStatus,
} from "../domain/recording";
import type { Activity, ActivityQuery, InviteResult, Participant, SessionUpdate, SessionView } from "../domain/schemas";
import { archiveDeadline, idleDeadline, mergeSettings, type SessionSettings } from "../domain/settings";
import type { SessionConfig } from "../domain/templates";
import { diffOp } from "../domain/text-diff";
import type { Bindings } from "../env";
import {
  ACTIVITIES_KEPT,
  type ActivityChunk,
  activityChunkKey,
  MAX_CHUNKS_PER_PAGE,
  pageWithHistory,
} from "./activity-history";
import { archiveKey, type SessionArchive } from "./archive";
import { gzip, gzipNdjson } from "./compression";
import { parseClientMessage } from "./messages";
import {
  type OutboxKind,
  type ProjectionSnapshot,
  type ProjectionWriter,
  projectionStatements,
  type SessionProjection,
  writeProjection,
} from "./projection";
import { refusedSocket } from "./refused-socket";
import { type RoomError, RoomFailure, type RoomResult, refuse, success } from "./result";
import type { ActivityRow, DocumentRow, InvitationRow, ParticipantRow, RecordingRow, SessionRow } from "./rows";
import { migrateRoom } from "./schema";
import { Sequencer } from "./sequencer";
import { activityView, participantView, participantViews, sessionView, type ViewInput } from "./views";

export interface CreateSessionInit {
  id: string;
  song_id: number;
  song_content: string;
  template_id: number | null;
  name: string;
  description: string | null;
  access_mode: SessionRow["access_mode"];
  config: SessionConfig;
}

export interface SessionStats {
  participants: { total: number; active: number; online: number; peak_online: number };
  edits: { total: number; by_user: Record<string, number> };
  comments: number;
  activities: number;
  duration_seconds: number;
  recordings: { count: number; total_duration_ms: number; events: number };
  last_activity_at: string;
}

/** Someone to invite: a user id, or an address (lower-cased) that belongs to whoever holds it when they join. */
export interface Invitee {
  email?: string;
  user_id?: string;
  role: AssignableRole;
}

/** Pending invitations a session may hold, and invitations one inviter may send in a day, in one session. */
const MAX_PENDING_INVITATIONS = 200;
const MAX_INVITATIONS_PER_INVITER_PER_DAY = 100;

/** What each socket carries across hibernation. */
interface SocketState {
  user_id: string;
  client_id: string;
  connected_at: number;
  /** Token bucket for incoming messages. */
  tokens: number;
  refilled_at: number;
  strikes: number;
  presence: { cursor: { anchor: number; head: number } | null; status: PresenceStatus; sent_at: number };
}

/** A recording event on its way to R2: a buffered event (`event_id`) or an op from the log (`op_rev`). */
interface UnflushedEvent {
  t: number;
  line: string;
  event_id?: number;
  op_rev?: number;
}

/** The latest comments a welcome carries: at most this many, and at most this much text. */
const WELCOME_COMMENTS = 100;
const WELCOME_COMMENT_BYTES = 64 * 1024;
/** Comments a session keeps, and comments one person may post in a minute. */
const MAX_COMMENTS_PER_SESSION = 2_000;
const MAX_COMMENTS_PER_USER_PER_MINUTE = 10;
/**
 * Who an op taking the song's own changes into the live text is by: no user can be this client, since client ids
 * have no colon.
 */
const SONG_AUTHOR = "chordme:song";
const SONG_CLIENT = "song:merge";
/** Recordings a session may make (each keeps the text it started from). */
const MAX_RECORDINGS = 50;
/** A recording stops by itself after this long. */
export const MAX_RECORDING_MS = 4 * 3600_000;
const MAX_CONNECTIONS_PER_USER = 8;
/** Refused messages in a row before a flooding connection is closed. */
const MAX_STRIKES = 20;
const PRESENCE_MIN_INTERVAL_MS = 40;
/** Presence goes into a recording at most once a second per user. */
const PRESENCE_SAMPLE_MS = 1_000;
/** Recording events go to R2 in chunks: when this many wait, or when the oldest has waited this long. */
const RECORDING_CHUNK_EVENTS = 1_000;
const RECORDING_FLUSH_DELAY_MS = 30_000;
/** A failed alarm step is tried again after this long. */
const STEP_RETRY_MS = 30_000;
/** Socket activity is written to `last_activity_at` at most this often. */
const ACTIVITY_WRITE_INTERVAL_MS = 60_000;

/** Activity goes to R2 in chunks: when this many are waiting, or when the oldest has waited this long. */
const ACTIVITY_CHUNK_SIZE = 50;
const ACTIVITY_FLUSH_DELAY_MS = 60_000;

/** Delays between projection retries while D1 refuses them. */
const OUTBOX_RETRY_MS = [1_000, 5_000, 30_000, 120_000, 600_000];

export class SessionRoom extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;
  /** Replaced in tests to make D1 fail. */
  projectionWriter: ProjectionWriter = writeProjection;
  songWriter: typeof writeBackSession = writeBackSession;
  /** Replaced in tests to move time forward. */
  clock: () => number = () => Date.now();
  private delivery: Promise<void> = Promise.resolve();
  private readonly queues = new Map<string, Promise<void>>();
  /** The text, its op log and the order of ops. */
  private readonly sequencer: Sequencer;
  /** Each socket's state while the object is awake (the attachment keeps it across hibernation); null once gone. */
  private readonly socketStates = new WeakMap<WebSocket, SocketState | null>();
  /** Participant rows by user id, read once per change (every op asks for its author's role). */
  private readonly memberCache = new Map<string, ParticipantRow | null>();
  /** Rows of the active recording in recording_events (its events other than ops); undefined until counted. */
  private bufferedEvents: number | undefined;
  /** The session row, parsed; undefined until read. */
  private sessionCache: SessionRow | null | undefined;
  /** The active recording, cached because every op asks; undefined until read. */
  private recordingCache: RecordingRow | null | undefined;
  /** When each user's presence was last sampled into the recording. */
  private readonly presenceSampledAt = new Map<string, number>();
  /** The latest socket activity while awake; a hibernating object had none for a while. */
  private socketActivityAt = 0;
  /** The deadline the alarm is set for, so unchanged deadlines are not written again. */
  private armedFor: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sequencer = new Sequencer(ctx.storage, () => this.now());
    void ctx.blockConcurrencyWhile(async () => migrateRoom(this.sql));
    // Answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  // ---------------------------------------------------------------- RPC: sessions

  async create(init: CreateSessionInit, owner: Actor): Promise<RoomResult<SessionView>> {
    return this.run(async () => {
      this.transaction(() => this.insertSession(init, owner));
      await this.settle();
      return this.viewFor(owner.userId);
    });
  }

  private insertSession(init: CreateSessionInit, owner: Actor): void {
    if (this.sessionOrNull()) refuse(409, "CONFLICT", "A session with this id already exists");
    const now = this.now();
    const invitationCode = init.access_mode === "link-access" ? newInvitationCode() : null;
    this.sql.exec(
      `INSERT INTO session (id, song_id, template_id, owner_id, name, description, access_mode, status,
           max_participants, default_role, permissions, settings, invitation_code, created_at, updated_at,
           started_at, last_activity_at, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      init.id,
      init.song_id,
      init.template_id,
      owner.userId,
      init.name,
      init.description,
      init.access_mode,
      init.config.max_participants,
      init.config.default_role,
      JSON.stringify(init.config.permissions),
      JSON.stringify(init.config.settings),
      invitationCode,
      now,
      now,
      now,
      now,
    );
    this.sessionCache = undefined;
    this.sequencer.create(init.song_content);
    this.addParticipant(owner, "owner", null);
    this.log("session_created", owner.userId, `${displayName(owner)} created the session "${init.name}"`, {
      template_id: init.template_id,
      access_mode: init.access_mode,
    });
    if (init.config.settings.auto_recording) this.startRecordingRow(owner.userId);
    this.enqueue("session", "members");
  }

  async view(actor: Actor): Promise<RoomResult<SessionView>> {
    return this.run(async () => {
      this.requirePermission(actor, "read");
      return this.viewFor(actor.userId);
    });
  }

  async update(actor: Actor, patch: SessionUpdate): Promise<RoomResult<SessionView>> {
    return this.run(async () => {
      this.transaction(() => this.applyUpdate(actor, patch));
      await this.settle();
      return this.viewFor(actor.userId);
    });
  }

  private applyUpdate(actor: Actor, patch: SessionUpdate): void {
    const session = this.requirePermission(actor, "manage_session");
    if (patch.max_participants !== undefined && patch.max_participants < this.participantCount()) {
      refuse(
        409,
        "PARTICIPANT_LIMIT_TOO_LOW",
        `The session already has ${this.participantCount()} participants; the limit cannot go below that`,
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
    this.saveSession(next);
    this.log("session_updated", actor.userId, `${displayName(actor)} changed ${changed.join(", ")}`, {
      changed,
    });
    this.enqueue("session");
  }

  async transition(actor: Actor, action: keyof typeof STATUS_TRANSITIONS): Promise<RoomResult<SessionView>> {
    return this.run(async () => {
      this.transaction(() => this.applyTransition(actor, action));
      this.announceStatus();
      await this.settle();
      return this.viewFor(actor.userId);
    });
  }

  private applyTransition(actor: Actor, action: keyof typeof STATUS_TRANSITIONS): void {
    const session = this.requireSession();
    const member = this.member(actor.userId);
    // Status checks come after the permission check, so a read-only session still says who may manage it.
    const denial = authorize({ ...session, status: "active" }, member, "manage_session");
    if (denial) refuse(denial.status, denial.code, denial.message);
    const transition = STATUS_TRANSITIONS[action];
    if (!transition.from.includes(session.status)) {
      refuse(409, "INVALID_STATUS_TRANSITION", `Cannot ${action} a session that is ${session.status}`);
    }
    this.changeStatus(session, transition.to, actor.userId, `${displayName(actor)} ${pastTense(action)} the session`);
  }

  async rotateInvitationCode(actor: Actor): Promise<RoomResult<{ invitation_code: string }>> {
    return this.run(async () => {
      const session = this.requirePermission(actor, "manage_session");
      if (session.access_mode !== "link-access") {
        refuse(409, "NOT_LINK_ACCESS", "Only link-access sessions have an invitation code");
      }
      const code = newInvitationCode();
      this.saveSession({ ...session, invitation_code: code });
      this.log(
        "invitation_code_rotated",
        actor.userId,
        `${displayName(actor)} rotated the invitation link`,
        null,
        true,
      );
      await this.settle();
      return { invitation_code: code };
    });
  }

  // ---------------------------------------------------------------- RPC: membership

  async join(actor: Actor, invitationCode: string | undefined): Promise<RoomResult<SessionView>> {
    return this.run(async () => {
      const joined = this.transaction(() => {
        const session = this.requireSession();
        const member = this.member(actor.userId);
        const invitations = this.pendingInvitationsFor(actor);
        const byManager = (invitation: InvitationRow) =>
          authorize(session, this.member(invitation.invited_by), "manage_participants") === null;
        // The newest invitation, or for someone who was removed the newest one that can bring them back.
        const invitation =
          (member?.status === "removed" ? invitations.find(byManager) : undefined) ?? invitations[0] ?? null;
        const decision = decideJoin({
          session,
          member,
          invitedRole: invitation?.role ?? null,
          invitedByManager: invitation !== null && byManager(invitation),
          codeGiven: invitationCode !== undefined,
          codeMatches:
            invitationCode !== undefined &&
            session.invitation_code !== null &&
            codesMatch(invitationCode, session.invitation_code),
          activeParticipants: this.participantCount(),
        });
        if (decision.outcome === "refuse")
          refuse(decision.denial.status, decision.denial.code, decision.denial.message);
        // Every invitation addressed to them has done its job once they are in.
        for (const addressed of invitations) this.closeInvitation(addressed.id, "accepted");
        if (decision.outcome === "already_member") return null;
        const participant = this.addParticipant(actor, decision.role, invitation?.invited_by ?? null);
        this.log("user_joined", actor.userId, `${participant.display_name} joined as ${decision.role}`, {
          role: decision.role,
          via: decision.via,
        });
        this.capture("user_joined", actor.userId, { role: decision.role });
        this.touch();
        this.enqueue("session", "members");
        return participant;
      });
      if (joined)
        this.broadcast({
          type: "participant_joined",
          participant: participantView(this.withContributions([joined])[0]!, false, this.onlineUsers()),
        });
      await this.settle();
      return this.viewFor(actor.userId);
    });
  }

  async leave(actor: Actor): Promise<RoomResult<{ user_id: string; left: true }>> {
    return this.run(async () => {
      this.transaction(() => {
        const session = this.requireSession();
        const member = this.member(actor.userId);
        if (member?.status !== "active") refuse(404, "NOT_FOUND", "You are not a participant of this session");
        if (session.owner_id === actor.userId) {
          refuse(409, "OWNER_CANNOT_LEAVE", "The owner cannot leave; transfer ownership first");
        }
        this.writeParticipants(
          "UPDATE participants SET status = 'left', last_seen_at = ? WHERE user_id = ?",
          this.now(),
          actor.userId,
        );
        this.log("user_left", actor.userId, `${member.display_name} left the session`);
        this.capture("user_left", actor.userId, null);
        this.touch();
        this.enqueue("session", "members");
      });
      this.closeSocketsOf(actor.userId, CLOSE.noAccess, "You left the session");
      this.broadcast({ type: "participant_left", user_id: actor.userId });
      await this.settle();
      return { user_id: actor.userId, left: true as const };
    });
  }

  async invite(actor: Actor, invitees: Invitee[], message: string | undefined): Promise<RoomResult<InviteResult>> {
    return this.run(async () => {
      const result = this.transaction(() => {
        const session = this.requirePermission(actor, "invite");
        const inviter = this.member(actor.userId)!;
        const mayManage = authorize(session, inviter, "manage_participants") === null;
        const outcome: InviteResult = { invited: [], errors: [] };
        const dayAgo = new Date(this.clock() - 24 * 3600_000).toISOString();
        let pendingCount = this.sql
          .exec<{ n: number }>("SELECT count(*) AS n FROM invitations WHERE status = 'pending'")
          .one().n;
        let sentToday = this.sql
          .exec<{ n: number }>(
            "SELECT count(*) AS n FROM invitations WHERE invited_by = ? AND created_at >= ?",
            actor.userId,
            dayAgo,
          )
          .one().n;
        for (const [index, invitee] of invitees.entries()) {
          const userId = invitee.user_id ?? null;
          const email = invitee.email ?? null;
          // Answer in the shape of the request. An address is invited as an address, whoever holds it, and is
          // answered the same whether or not it belongs to a participant.
          const echo = email !== null ? { email } : { user_id: userId! };
          const member = userId ? this.member(userId) : null;
          if (member?.status === "active") {
            outcome.invited.push({ ...echo, role: invitee.role, status: "already_participant" });
            continue;
          }
          const pending = this.pendingInvitationTo(userId, email);
          const refusal = inviteRefusal({
            inviterId: actor.userId,
            inviterRole: inviter.role,
            mayManage,
            role: invitee.role,
            pendingInvitedBy: pending?.invited_by ?? null,
          });
          if (refusal) {
            outcome.errors.push({ index, ...refusal });
            continue;
          }
          if (pending) {
            this.sql.exec(
              "UPDATE invitations SET role = ?, invited_by = ?, message = ? WHERE id = ?",
              invitee.role,
              actor.userId,
              message ?? null,
              pending.id,
            );
          } else {
            if (pendingCount >= MAX_PENDING_INVITATIONS) {
              outcome.errors.push({
                index,
                code: "INVITATION_LIMIT",
                message: `A session can have at most ${MAX_PENDING_INVITATIONS} pending invitations; revoke some first`,
              });
              continue;
            }
            if (sentToday >= MAX_INVITATIONS_PER_INVITER_PER_DAY) {
              outcome.errors.push({
                index,
                code: "INVITATION_LIMIT",
                message: `You can send at most ${MAX_INVITATIONS_PER_INVITER_PER_DAY} invitations a day in a session`,
              });
              continue;
            }
            this.sql.exec(
              `INSERT INTO invitations (id, user_id, email, role, invited_by, message, status, created_at)
               VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
              crypto.randomUUID(),
              userId,
              email,
              invitee.role,
              actor.userId,
              message ?? null,
              this.now(),
            );
            pendingCount += 1;
            sentToday += 1;
          }
          outcome.invited.push({ ...echo, role: invitee.role, status: "invited" });
        }
        const invitedCount = outcome.invited.filter((entry) => entry.status === "invited").length;
        if (invitedCount > 0) {
          this.log(
            "user_invited",
            actor.userId,
            `${displayName(actor)} invited ${invitedCount} ${invitedCount === 1 ? "person" : "people"}`,
            { count: invitedCount },
          );
          this.touch();
          this.enqueue("members");
        }
        return outcome;
      });
      await this.settle();
      return result;
    });
  }

  /** Revokes the pending invitations a user sent that they could not send now (after a demotion or a removal). */
  private withdrawInvitationsFrom(senderId: string): void {
    const session = this.requireSession();
    const sender = this.member(senderId);
    const role = sender?.status === "active" ? sender.role : null;
    const mayInvite = authorize(session, sender, "invite") === null;
    const sent = this.sql
      .exec<{ id: string; role: AssignableRole }>(
        "SELECT id, role FROM invitations WHERE status = 'pending' AND invited_by = ?",
        senderId,
      )
      .toArray();
    for (const invitation of sent) {
      if (!invitationStands(invitation.role, role, mayInvite)) this.closeInvitation(invitation.id, "revoked");
    }
  }

  private closeInvitation(id: string, status: "accepted" | "revoked"): void {
    this.sql.exec("UPDATE invitations SET status = ?, closed_at = ? WHERE id = ?", status, this.now(), id);
    this.enqueue("members");
  }

  /** The pending invitation addressed to this user id or this address, if any. */
  private pendingInvitationTo(userId: string | null, email: string | null): InvitationRow | null {
    return (
      (this.sql
        .exec(
          `SELECT * FROM invitations WHERE status = 'pending'
           AND ((? IS NOT NULL AND user_id = ?) OR (? IS NOT NULL AND email = ?)) LIMIT 1`,
          userId,
          userId,
          email,
          email,
        )
        .toArray()[0] as unknown as InvitationRow | undefined) ?? null
    );
  }

  async revokeInvitation(actor: Actor, invitationId: string): Promise<RoomResult<{ id: string; revoked: true }>> {
    return this.run(async () => {
      this.transaction(() => {
        const session = this.requirePermission(actor, "invite");
        const invitation = this.sql
          .exec<{ invited_by: string }>(
            "SELECT invited_by FROM invitations WHERE id = ? AND status = 'pending'",
            invitationId,
          )
          .toArray()[0];
        if (!invitation) refuse(404, "NOT_FOUND", "No pending invitation with this id");
        if (
          invitation.invited_by !== actor.userId &&
          authorize(session, this.member(actor.userId), "manage_participants") !== null
        ) {
          refuse(
            403,
            "FORBIDDEN",
            "Only whoever sent an invitation, or someone who manages participants, may revoke it",
          );
        }
        this.sql.exec(
          "UPDATE invitations SET status = 'revoked', closed_at = ? WHERE id = ?",
          this.now(),
          invitationId,
        );
        this.log("invitation_revoked", actor.userId, `${displayName(actor)} revoked an invitation`, null, true);
        this.enqueue("members");
      });
      await this.settle();
      return { id: invitationId, revoked: true as const };
    });
  }

  async listParticipants(actor: Actor): Promise<RoomResult<{ participants: Participant[] }>> {
    return this.run(async () => {
      this.requirePermission(actor, "read");
      return { participants: this.participantViews(actor.userId) };
    });
  }

  async changeRole(actor: Actor, userId: string, role: AssignableRole): Promise<RoomResult<Participant>> {
    return this.run(async () => {
      const changed = this.transaction(() => {
        const session = this.requirePermission(actor, "manage_participants");
        const target = this.member(userId);
        if (target?.status !== "active") refuse(404, "NOT_FOUND", "No such participant");
        if (userId === session.owner_id)
          refuse(403, "FORBIDDEN", "The owner's role changes only by transferring ownership");
        this.writeParticipants("UPDATE participants SET role = ? WHERE user_id = ?", role, userId);
        this.withdrawInvitationsFrom(userId);
        this.capture("role_changed", actor.userId, { user_id: userId, role }, true);
        this.log(
          "permission_changed",
          actor.userId,
          `${displayName(actor)} made ${target.display_name} ${role}`,
          { user_id: userId, from: target.role, to: role },
          true,
        );
        this.touch();
        this.enqueue("members");
        return { session, participant: this.member(userId)! };
      });
      // A role without `read` has no business on a socket of the session.
      if (authorize(changed.session, changed.participant, "read") !== null) {
        this.closeSocketsOf(userId, CLOSE.noAccess, "Your role no longer lets you see this session");
      }
      // A role change is private: it reaches its subject and those who may see private activity.
      this.sendWhere((viewerId) => viewerId === userId || this.seesPrivate(viewerId), {
        type: "role_changed",
        user_id: userId,
        role,
        permissions: permissionsOf(role, changed.session.permissions),
      });
      await this.settle();
      return participantView(
        this.withContributions([changed.participant])[0]!,
        this.canSeeEmails(actor.userId),
        this.onlineUsers(),
      );
    });
  }

  async removeParticipant(actor: Actor, userId: string): Promise<RoomResult<{ user_id: string; removed: true }>> {
    return this.run(async () => {
      this.transaction(() => {
        const session = this.requirePermission(actor, "manage_participants");
        const target = this.member(userId);
        if (target?.status !== "active") refuse(404, "NOT_FOUND", "No such participant");
        if (userId === session.owner_id) refuse(403, "FORBIDDEN", "The owner cannot be removed");
        if (userId === actor.userId) refuse(409, "CONFLICT", "Leave the session instead of removing yourself");
        this.writeParticipants(
          "UPDATE participants SET status = 'removed', last_seen_at = ? WHERE user_id = ?",
          this.now(),
          userId,
        );
        this.capture("participant_removed", actor.userId, { user_id: userId }, true);
        this.withdrawInvitationsFrom(userId);
        // A removal also withdraws whatever invitation was still open for them.
        this.sql.exec(
          "UPDATE invitations SET status = 'revoked', closed_at = ? WHERE status = 'pending' AND (user_id = ? OR (email IS NOT NULL AND email = ?))",
          this.now(),
          userId,
          target.email,
        );
        this.log(
          "participant_removed",
          actor.userId,
          `${displayName(actor)} removed ${target.display_name}`,
          { user_id: userId },
          true,
        );
        this.touch();
        this.enqueue("session", "members");
      });
      this.closeSocketsOf(userId, CLOSE.noAccess, "You were removed from the session");
      this.broadcast({ type: "participant_left", user_id: userId });
      await this.settle();
      return { user_id: userId, removed: true as const };
    });
  }

  async transfer(actor: Actor, userId: string): Promise<RoomResult<SessionView>> {
    return this.run(async () => {
      const session = this.transaction(() => {
        const session = this.requireSession();
        if (session.owner_id !== actor.userId) refuse(403, "FORBIDDEN", "Only the owner may transfer ownership");
        if (session.status === "ended" || session.status === "archived") {
          refuse(409, "SESSION_NOT_ACTIVE", `The session is ${session.status} and read-only`);
        }
        const target = this.member(userId);
        if (target?.status !== "active") refuse(404, "NOT_FOUND", "The new owner must be a participant");
        if (userId === actor.userId) refuse(409, "CONFLICT", "You already own this session");
        this.writeParticipants("UPDATE participants SET role = 'editor' WHERE user_id = ?", actor.userId);
        this.writeParticipants("UPDATE participants SET role = 'owner' WHERE user_id = ?", userId);
        this.sql.exec("UPDATE session SET owner_id = ?, updated_at = ?", userId, this.now());
        this.sessionCache = undefined;
        this.log(
          "ownership_transferred",
          actor.userId,
          `${displayName(actor)} handed the session to ${target.display_name}`,
          {
            from: actor.userId,
            to: userId,
          },
        );
        this.touch();
        this.enqueue("session", "members");
        return this.requireSession();
      });
      this.broadcast({
        type: "role_changed",
        user_id: userId,
        role: "owner",
        permissions: permissionsOf("owner", session.permissions),
      });
      this.broadcast({
        type: "role_changed",
        user_id: actor.userId,
        role: "editor",
        permissions: permissionsOf("editor", session.permissions),
      });
      await this.settle();
      return this.viewFor(actor.userId);
    });
  }

  async activities(
    actor: Actor,
    query: ActivityQuery,
  ): Promise<RoomResult<{ activities: Activity[]; next_cursor: string | null }>> {
    return this.run(async () => {
      this.requirePermission(actor, "read");
      const seesPrivate = this.seesPrivate(actor.userId);
      const before = query.cursor ? Number(query.cursor) : Number.MAX_SAFE_INTEGER;
      const rows = this.sql
        .exec(
          `SELECT * FROM activities WHERE (? IS NULL OR type = ?) AND (? = 1 OR is_private = 0) AND id < ?
           ORDER BY id DESC LIMIT ?`,
          query.type ?? null,
          query.type ?? null,
          seesPrivate ? 1 : 0,
          before,
          query.limit + 1,
        )
        .toArray() as unknown as ActivityRow[];
      const kept = rows.map((row) => activityView(row, seesPrivate));
      const trimmedThrough = Number(this.metaValue("activity_trimmed_id") ?? "0");
      if (rows.length > query.limit || trimmedThrough === 0 || before <= 1) {
        const page = kept.slice(0, query.limit);
        return { activities: page, next_cursor: rows.length > query.limit ? String(page.at(-1)!.id) : null };
      }
      // The rest of the page is older than what the session keeps: it is read from the log's chunks in R2.
      const beforeId = Math.min(before, trimmedThrough + 1);
      const chunks = this.sql
        .exec<{ first_id: number; key: string }>(
          "SELECT first_id, key FROM activity_chunks WHERE first_id < ? ORDER BY first_id DESC LIMIT ?",
          beforeId,
          MAX_CHUNKS_PER_PAGE + 1,
        )
        .toArray();
      return pageWithHistory(this.env.BUCKET, query, seesPrivate, kept, beforeId, chunks);
    });
  }

  // ---------------------------------------------------------------- RPC: realtime

  /** Whether the actor may open a socket now; the ticket route asks before issuing one. */
  async connectionCheck(actor: Actor): Promise<RoomResult<{ role: Role }>> {
    return this.run(async () => {
      const refusal = this.connectionRefusal(this.requireSession(), actor.userId);
      if (refusal) refuse(refusal.status, refusal.code, refusal.message);
      return { role: this.member(actor.userId)!.role };
    });
  }

  /** Why the user may not open a socket now: who they are first, then the session's state, then their share. */
  private connectionRefusal(session: SessionRow, userId: string): (RoomError & { close: number }) | null {
    const member = this.member(userId);
    if (member?.status !== "active") {
      const denial = authorize(session, member, "edit");
      return {
        status: 403,
        code: denial?.code ?? "FORBIDDEN",
        message: "Join the session before connecting",
        close: CLOSE.noAccess,
      };
    }
    const unreadable = authorize(session, member, "read");
    if (unreadable) return { ...unreadable, status: 403, close: CLOSE.noAccess };
    if (session.status === "ended" || session.status === "archived") {
      return {
        status: 409,
        code: "SESSION_NOT_ACTIVE",
        message: `The session is ${session.status}`,
        close: CLOSE.sessionClosed,
      };
    }
    // Only the member's own sockets count against them, so no one can use up another member's share.
    if (this.liveSockets(userTag(userId)).length >= MAX_CONNECTIONS_PER_USER) {
      return {
        status: 409,
        code: "TOO_MANY_CONNECTIONS",
        message: `You have ${MAX_CONNECTIONS_PER_USER} connections to this session already; close one first`,
        close: CLOSE.tooManyConnections,
      };
    }
    return null;
  }

  /** The WebSocket upgrade, forwarded by the Worker with the verified actor. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const actor = JSON.parse(request.headers.get("X-Actor") ?? "null") as Actor | null;
    if (url.pathname !== "/ws" || !actor || request.headers.get("Upgrade") !== "websocket") {
      return new Response("Not found", { status: 404 });
    }
    const clientId = url.searchParams.get("client_id") ?? crypto.randomUUID();
    const ticketId = url.searchParams.get("ticket_id") ?? "";
    const sinceRevText = url.searchParams.get("since_rev") ?? "";
    // No session here (never created, or archived and emptied): the Worker tells which.
    const session = this.sessionOrNull();
    if (!session) return new Response(null, { status: 404 });
    const now = this.clock();
    let refusal: { close: number; message: string } | null = null;
    if (ticketId && !this.consumeTicket(ticketId, now)) {
      refusal = { close: CLOSE.badTicket, message: "This ticket was already used; ask for a new one" };
    }
    refusal ??= this.connectionRefusal(session, actor.userId);
    if (refusal) return refusedSocket(refusal.close, refusal.message);
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [userTag(actor.userId)]);
    const state: SocketState = {
      user_id: actor.userId,
      client_id: clientId,
      connected_at: now,
      tokens: this.burstSize(),
      refilled_at: now,
      strikes: 0,
      presence: { cursor: null, status: "active", sent_at: 0 },
    };
    this.keepSocketState(server, state);
    // An older connection of this same client is dead to it: it receives nothing more and what still arrives on it
    // is ignored, so a late frame from it can never be applied after this connection's welcome.
    for (const older of this.liveSockets(userTag(actor.userId))) {
      if (older === server || this.socketState(older)?.client_id !== clientId) continue;
      this.socketGone(older);
      try {
        older.close(CLOSE.superseded, "A newer connection of this client took over");
      } catch {
        // already closed
      }
    }
    this.send(server, this.welcome(actor.userId, clientId, sinceRevText === "" ? null : Number(sinceRevText)));
    this.broadcastExcept(server, {
      type: "presence",
      user_id: actor.userId,
      cursor: null,
      status: "active",
      online: true,
    });
    const online = this.onlineUsers().size;
    if (online > Number(this.metaValue("peak_online") ?? "0")) this.setMeta("peak_online", String(online));
    this.capture("connected", actor.userId, { client_id: clientId });
    this.noteSocketActivity();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(socket: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const state = this.socketState(socket);
    if (!state) return;
    const size = typeof raw === "string" ? raw.length * 2 : raw.byteLength;
    if (
      size > MAX_FRAME_BYTES &&
      (typeof raw !== "string" || new TextEncoder().encode(raw).byteLength > MAX_FRAME_BYTES)
    ) {
      this.closeSocket(socket, CLOSE.tooBig, "Messages are limited to 64 KiB");
      return;
    }
    // The token bucket lives in memory only: after hibernation (ten quiet seconds at least) it would be full anyway.
    if (!this.takeToken(state)) {
      state.strikes += 1;
      if (state.strikes >= MAX_STRIKES) {
        this.closeSocket(socket, CLOSE.rateLimited, "Too many messages");
      } else {
        // A dropped op is named, so its author knows to send it again.
        const dropped = parseClientMessage(raw);
        const seq = "type" in dropped && dropped.type === "op" ? { seq: dropped.seq } : {};
        this.send(socket, { type: "error", code: "RATE_LIMITED", message: "Slow down: too many messages", ...seq });
      }
      return;
    }
    state.strikes = 0;
    const message = parseClientMessage(raw);
    if ("error" in message) {
      this.send(socket, { type: "error", code: "INVALID_MESSAGE", message: message.error });
      return;
    }
    try {
      this.handleMessage(socket, state, message);
    } catch (error) {
      if (!(error instanceof RoomFailure)) throw error;
      const seq = message.type === "op" ? { seq: message.seq } : {};
      this.send(socket, { type: "error", code: error.error.code, message: error.error.message, ...seq });
    }
  }

  /** A socket's state, read from its attachment once per wake; null for a socket that closed or was refused. */
  private socketState(socket: WebSocket): SocketState | null {
    let state = this.socketStates.get(socket);
    if (state === undefined) {
      state = socket.deserializeAttachment() as SocketState | null;
      this.socketStates.set(socket, state);
    }
    return state;
  }

  /** Keeps a socket's state in memory and in its attachment, which is what survives hibernation. */
  private keepSocketState(socket: WebSocket, state: SocketState | null): void {
    this.socketStates.set(socket, state);
    socket.serializeAttachment(state);
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    this.socketGone(socket);
    try {
      socket.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.socketGone(socket);
  }

  private handleMessage(socket: WebSocket, state: SocketState, message: ClientMessage): void {
    switch (message.type) {
      case "ping":
        this.send(socket, { type: "pong" });
        return;
      case "presence":
        this.handlePresence(socket, state, message.cursor, message.status ?? state.presence.status);
        return;
      case "comment":
        this.handleComment(state, message.text, message.anchor ?? null);
        return;
      case "op":
        this.handleOp(socket, state, message.seq, message.rev, message.op);
        return;
    }
  }

  /** Sequences one op through the sequencer, then acks it to its author and sends it to everyone else. */
  private handleOp(socket: WebSocket, state: SocketState, seq: number, baseRev: number, rawOp: unknown): void {
    const session = this.requireSession();
    // A resend of an op already in the text gets its ack whatever has changed since (a pause, a demotion): it
    // changes nothing, and its author must not take it for lost.
    const earlier = this.sequencer.resendOf(state.user_id, state.client_id, seq);
    if (earlier !== null) {
      this.send(socket, { type: "ack", seq, rev: earlier });
      return;
    }
    const denial = authorize(session, this.member(state.user_id), "edit");
    if (denial) refuse(403, "FORBIDDEN", denial.message);
    const result = this.sequencer.submit(
      { userId: state.user_id, clientId: state.client_id, seq, baseRev, op: rawOp },
      () => this.recordingLogFloor(),
    );
    if (result.kind === "duplicate") {
      this.send(socket, { type: "ack", seq, rev: result.rev });
      return;
    }
    this.noteSocketActivity();
    this.send(socket, { type: "ack", seq, rev: result.rev });
    this.broadcastExcept(socket, { type: "op", rev: result.rev, op: result.op, user_id: state.user_id });
    this.flushRecordingIfFull();
    // An op can only bring a deadline as near as the next auto-save or recording flush.
    const nearest = this.clock() + Math.min(session.settings.auto_save_interval * 1000, RECORDING_FLUSH_DELAY_MS);
    if (this.armedFor == null || this.armedFor > nearest) this.armAlarm();
  }

  /** The lowest revision a recording still has to read from the op log. */
  private recordingLogFloor(): number {
    return (
      this.sql
        .exec<{ rev: number | null }>(
          "SELECT min(ops_flushed_rev) AS rev FROM recordings WHERE status = 'recording' OR stop_rev > ops_flushed_rev",
        )
        .one().rev ?? Number.POSITIVE_INFINITY
    );
  }

  private handlePresence(
    socket: WebSocket,
    state: SocketState,
    cursor: { anchor: number; head: number } | null,
    status: PresenceStatus,
  ): void {
    // Every participant may send presence, whatever the role; floods are dropped, not refused.
    const now = this.clock();
    if (now - state.presence.sent_at < PRESENCE_MIN_INTERVAL_MS) return;
    state.presence = { cursor, status, sent_at: now };
    this.keepSocketState(socket, state);
    this.noteSocketActivity();
    if (now - (this.presenceSampledAt.get(state.user_id) ?? 0) >= PRESENCE_SAMPLE_MS && this.activeRecording()) {
      this.presenceSampledAt.set(state.user_id, now);
      this.capture("presence", state.user_id, { cursor, status });
    }
    this.broadcastExcept(socket, { type: "presence", user_id: state.user_id, cursor, status, online: true });
  }

  private handleComment(state: SocketState, text: string, anchor: { from: number; to: number } | null): void {
    const session = this.requireSession();
    const member = this.member(state.user_id);
    const denial = authorize(session, member, "comment");
    if (denial) refuse(403, denial.code, denial.message);
    const document = this.document();
    if (anchor && (anchor.from > anchor.to || anchor.to > document.length)) {
      refuse(400, "INVALID_ANCHOR", "The comment's anchor is outside the text");
    }
    const minuteAgo = new Date(this.clock() - 60_000).toISOString();
    const recent = this.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM comments WHERE user_id = ? AND created_at > ?",
        state.user_id,
        minuteAgo,
      )
      .one().n;
    if (recent >= MAX_COMMENTS_PER_USER_PER_MINUTE) {
      refuse(429, "TOO_MANY_COMMENTS", `At most ${MAX_COMMENTS_PER_USER_PER_MINUTE} comments a minute; wait a little`);
    }
    if (this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM comments").one().n >= MAX_COMMENTS_PER_SESSION) {
      refuse(409, "COMMENT_LIMIT", `This session has ${MAX_COMMENTS_PER_SESSION} comments, as many as it keeps`);
    }
    const comment = this.transaction(() => {
      const now = this.now();
      const id = this.sql
        .exec<{ id: number }>(
          "INSERT INTO comments (user_id, text, anchor, rev, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
          state.user_id,
          text,
          anchor ? JSON.stringify(anchor) : null,
          document.rev,
          now,
        )
        .one().id;
      this.log("comment_added", state.user_id, `${member!.display_name} commented`, {
        comment_id: id,
        text: text.slice(0, 200),
      });
      this.capture("comment", state.user_id, { id, text, anchor, rev: document.rev });
      this.touch();
      return { id, user_id: state.user_id, text, anchor, rev: document.rev, created_at: now } satisfies Comment;
    });
    this.broadcast({ type: "comment", comment });
    void this.settle();
  }

  private welcome(userId: string, clientId: string, sinceRev: number | null): ServerMessage {
    const view = this.viewFor(userId);
    const member = this.member(userId)!;
    const document = this.document();
    const catchUp = sinceRev === null ? null : this.sequencer.catchUp(sinceRev);
    return {
      type: "welcome",
      session: view,
      you: {
        user_id: userId,
        role: member.role,
        permissions: view.permissions,
        color: member.color,
        client_id: clientId,
        last_seq: this.sequencer.lastSeq(userId, clientId),
      },
      doc: { rev: document.rev, content: document.content },
      participants: view.participants,
      presence: this.presenceStates(),
      comments: this.recentComments(),
      ...catchUp,
    };
  }

  /** The latest comments, oldest first. */
  private recentComments(): Comment[] {
    const comments: Comment[] = [];
    let bytes = 0;
    for (const row of this.sql.exec<{
      id: number;
      user_id: string;
      text: string;
      anchor: string | null;
      rev: number;
      created_at: string;
    }>("SELECT * FROM comments ORDER BY id DESC LIMIT ?", WELCOME_COMMENTS)) {
      bytes += row.text.length * 3;
      if (bytes > WELCOME_COMMENT_BYTES) break;
      comments.push({ ...row, anchor: row.anchor ? (JSON.parse(row.anchor) as Comment["anchor"]) : null });
    }
    return comments.reverse();
  }

  private presenceStates(): PresenceState[] {
    const byUser = new Map<string, PresenceState>();
    for (const socket of this.ctx.getWebSockets()) {
      const state = this.socketState(socket);
      if (!state) continue;
      const known = byUser.get(state.user_id);
      if (!known || state.presence.sent_at > 0) {
        byUser.set(state.user_id, { user_id: state.user_id, ...omitSentAt(state.presence), online: true });
      }
    }
    return [...byUser.values()];
  }

  private socketGone(socket: WebSocket): void {
    const state = this.socketState(socket);
    if (!state) return;
    this.keepSocketState(socket, null);
    const now = this.clock();
    const seconds = Math.max(0, Math.round((now - state.connected_at) / 1000));
    this.writeParticipants(
      "UPDATE participants SET total_time_seconds = total_time_seconds + ?, last_seen_at = ? WHERE user_id = ?",
      seconds,
      this.now(),
      state.user_id,
    );
    const stillOnline = this.ctx
      .getWebSockets(userTag(state.user_id))
      .some((other) => other !== socket && this.socketState(other));
    if (!stillOnline) {
      this.broadcastExcept(socket, {
        type: "presence",
        user_id: state.user_id,
        cursor: null,
        status: "away",
        online: false,
      });
    }
  }

  private consumeTicket(ticketId: string, now: number): boolean {
    this.sql.exec("DELETE FROM used_tickets WHERE expires_at_ms < ?", now - 120_000);
    const used = this.sql.exec("SELECT 1 FROM used_tickets WHERE id = ?", ticketId).toArray().length > 0;
    if (used) return false;
    this.sql.exec("INSERT INTO used_tickets (id, expires_at_ms) VALUES (?, ?)", ticketId, now + 60_000);
    return true;
  }

  private burstSize(): number {
    return this.messagesPerSecond() * 3;
  }

  private messagesPerSecond(): number {
    const configured = Number(this.env.WS_MESSAGES_PER_SECOND);
    return Number.isFinite(configured) && configured > 0 ? configured : 40;
  }

  /** Token bucket per connection: a burst of three seconds' worth, refilled continuously. */
  private takeToken(state: SocketState): boolean {
    const now = this.clock();
    const rate = this.messagesPerSecond();
    state.tokens = Math.min(this.burstSize(), state.tokens + ((now - state.refilled_at) / 1000) * rate);
    state.refilled_at = now;
    if (state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  /**
   * Socket traffic (ops, comments, presence) keeps the session alive. It is noted in memory each time, which the idle
   * deadline reads, and written down at most once a minute (a quarter of the idle timeout when that is shorter).
   */
  private noteSocketActivity(): void {
    const now = this.clock();
    this.socketActivityAt = Math.max(this.socketActivityAt, now);
    const session = this.sessionOrNull();
    if (!session) return;
    const interval = Math.min(ACTIVITY_WRITE_INTERVAL_MS, (session.settings.idle_timeout_minutes * 60_000) / 4);
    if (now - Date.parse(session.last_activity_at) >= interval) this.touch();
  }

  /** When the session was last used: what is written down, or later socket activity noted in memory. */
  private lastActivityMs(session: SessionRow): number {
    return Math.max(Date.parse(session.last_activity_at), this.socketActivityAt);
  }

  protected send(socket: WebSocket, message: ServerMessage): void {
    try {
      socket.send(JSON.stringify(message));
    } catch {
      // the socket is closing; its close handler cleans up
    }
  }

  protected broadcastExcept(except: WebSocket | null, message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const socket of this.ctx.getWebSockets()) {
      if (socket === except || !this.socketState(socket)) continue;
      try {
        socket.send(text);
      } catch {
        // closing
      }
    }
  }

  // ---------------------------------------------------------------- RPC: recording and playback

  async startRecording(actor: Actor): Promise<RoomResult<RecordingStatus>> {
    return this.run(async () => {
      const id = this.transaction(() => {
        this.requirePermission(actor, "record");
        if (this.activeRecording()) refuse(409, "ALREADY_RECORDING", "A recording is already running");
        if (this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM recordings").one().n >= MAX_RECORDINGS) {
          refuse(409, "RECORDING_LIMIT", `A session keeps at most ${MAX_RECORDINGS} recordings`);
        }
        const started = this.startRecordingRow(actor.userId);
        this.touch();
        this.enqueue("session");
        return started;
      });
      this.broadcast({ type: "recording", is_recording: true, recording_id: id });
      await this.settle();
      return this.recordingStatusNow();
    });
  }

  /** Stops the recording; answers once every event is in R2. */
  async stopRecording(actor: Actor): Promise<RoomResult<RecordingStatus & { recording_id: string }>> {
    return this.run(async () => {
      const recording = this.transaction(() => {
        this.requirePermission(actor, "record");
        const active = this.activeRecording();
        if (!active) refuse(409, "NOT_RECORDING", "Nothing is being recorded");
        this.stopRecordingRow(active, actor.userId);
        this.touch();
        this.enqueue("session");
        return active;
      });
      this.broadcast({ type: "recording", is_recording: false, recording_id: recording.id });
      await this.flushRecordings(true);
      await this.settle();
      const stopped = this.recordingRow(recording.id)!;
      return {
        is_recording: false,
        recording_id: stopped.id,
        started_at: stopped.started_at,
        events_count: stopped.events_count + this.bufferedCount(stopped),
        duration_ms: stopped.duration_ms,
      };
    });
  }

  async recordingStatus(actor: Actor): Promise<RoomResult<RecordingStatus>> {
    return this.run(async () => {
      this.requirePermission(actor, "read");
      return this.recordingStatusNow();
    });
  }

  async listRecordings(actor: Actor): Promise<RoomResult<{ recordings: RecordingManifest[] }>> {
    return this.run(async () => {
      const session = this.requirePermission(actor, "read");
      const rows = this.sql
        .exec("SELECT * FROM recordings ORDER BY started_at_ms DESC")
        .toArray() as unknown as RecordingRow[];
      return { recordings: rows.map((row) => this.manifestOf(session.id, row)) };
    });
  }

  /**
   * A recording's manifest and the events not yet in R2, read together: chunks 1..chunks_count are in R2 and
   * `tail` holds everything after them.
   */
  async recordingPlayback(actor: Actor, recordingId: string): Promise<RoomResult<RecordingPlayback>> {
    return this.run(async () => {
      const session = this.requirePermission(actor, "read");
      const row = this.recordingRow(recordingId);
      if (!row) refuse(404, "NOT_FOUND", "Recording not found");
      const tail = this.unflushedEvents(row).map((event) => JSON.parse(event.line) as RecordingEvent);
      return {
        manifest: this.manifestOf(session.id, row),
        tail,
        reader: { user_id: actor.userId, sees_private: this.seesPrivate(actor.userId) },
      };
    });
  }

  private recordingRow(id: string): RecordingRow | null {
    return (
      (this.sql.exec("SELECT * FROM recordings WHERE id = ?", id).toArray()[0] as unknown as
        | RecordingRow
        | undefined) ?? null
    );
  }

  private recordingStatusNow(): RecordingStatus {
    const active = this.activeRecording();
    if (!active) return { is_recording: false, events_count: 0, duration_ms: 0 };
    return {
      is_recording: true,
      recording_id: active.id,
      started_at: active.started_at,
      events_count: active.events_count + this.bufferedCount(active),
      duration_ms: Math.max(0, this.clock() - active.started_at_ms),
    };
  }

  private manifestOf(sessionId: string, row: RecordingRow): RecordingManifest {
    return {
      id: row.id,
      session_id: sessionId,
      status: row.status,
      started_at: row.started_at,
      stopped_at: row.stopped_at,
      started_by: row.started_by,
      duration_ms: row.status === "recording" ? Math.max(0, this.clock() - row.started_at_ms) : row.duration_ms,
      events_count: row.events_count + this.bufferedCount(row),
      chunks_count: row.chunks_count,
      start_rev: row.start_rev,
      start_content: row.start_content,
    };
  }

  /** Starts a flush when the active recording's buffer is full; ops call it without waiting. */
  private flushRecordingIfFull(): void {
    const recording = this.activeRecording();
    if (!recording) return;
    this.bufferedEvents ??= this.eventRowsOf(recording.id);
    const waiting = this.bufferedEvents + this.recordedUntilRev(recording) - recording.ops_flushed_rev;
    if (waiting >= RECORDING_CHUNK_EVENTS) void this.flushRecordings(false);
  }

  /** A recording's events not in R2 yet: its buffered events and the ops after `ops_flushed_rev`. */
  private bufferedCount(row: RecordingRow): number {
    return this.eventRowsOf(row.id) + Math.max(0, this.recordedUntilRev(row) - row.ops_flushed_rev);
  }

  private eventRowsOf(recordingId: string): number {
    return this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM recording_events WHERE recording_id = ?", recordingId)
      .one().n;
  }

  /** The last revision a recording covers: where it stopped, or the current one while it runs. */
  private recordedUntilRev(row: RecordingRow): number {
    return row.stop_rev ?? this.document().rev;
  }

  /**
   * A recording's events not in R2 yet, oldest first, at most `limit`: its buffered events merged with the ops it
   * covers, read from the op log (an op is stored once, not copied per recording). A buffered event notes the
   * revision it followed, which places it exactly among the ops.
   */
  private unflushedEvents(row: RecordingRow, limit = Number.POSITIVE_INFINITY): UnflushedEvent[] {
    const sqlLimit = Number.isFinite(limit) ? limit : -1;
    const events = this.sql
      .exec<{ id: number; rev: number; t: number; line: string }>(
        "SELECT id, rev, t, line FROM recording_events WHERE recording_id = ? ORDER BY id LIMIT ?",
        row.id,
        sqlLimit,
      )
      .toArray();
    const ops = this.sql
      .exec<{ rev: number; user_id: string; op: string; created_at: string }>(
        "SELECT rev, user_id, op, created_at FROM ops WHERE rev > ? AND rev <= ? ORDER BY rev LIMIT ?",
        row.ops_flushed_rev,
        this.recordedUntilRev(row),
        sqlLimit,
      )
      .toArray();
    const merged: UnflushedEvent[] = [];
    let eventIndex = 0;
    let opIndex = 0;
    while (merged.length < limit && (eventIndex < events.length || opIndex < ops.length)) {
      const event = events[eventIndex];
      const op = ops[opIndex];
      if (op && (!event || op.rev <= event.rev)) {
        const t = Math.max(0, Date.parse(op.created_at) - row.started_at_ms);
        const recorded: RecordingEvent = {
          t,
          at: op.created_at,
          type: "op",
          user_id: op.user_id,
          data: { rev: op.rev, op: JSON.parse(op.op) },
        };
        merged.push({ t, line: JSON.stringify(recorded), op_rev: op.rev });
        opIndex += 1;
      } else if (event) {
        merged.push({ t: event.t, line: event.line, event_id: event.id });
        eventIndex += 1;
      }
    }
    return merged;
  }

  /**
   * Moves buffered recording events to R2 as gzip NDJSON chunks and keeps each manifest in R2 up to date.
   * A running recording flushes when its buffer is full or its oldest event has waited long enough (or `force`);
   * a stopped one always flushes everything.
   */
  protected flushRecordings(force: boolean): Promise<void> {
    return this.serially("recording", async () => {
      const session = this.sessionOrNull();
      if (!session) return;
      for (const listed of this.recordingsToFlush(true)) {
        for (;;) {
          const row = this.recordingRow(listed.id)!;
          const events = this.unflushedEvents(row, RECORDING_CHUNK_EVENTS * 5);
          const first = events[0];
          const last = events[events.length - 1];
          if (!first || !last) break;
          const due =
            row.status === "stopped" ||
            force ||
            events.length >= RECORDING_CHUNK_EVENTS ||
            row.started_at_ms + first.t + RECORDING_FLUSH_DELAY_MS <= this.clock();
          if (!due) break;
          const chunk = row.chunks_count + 1;
          const body = await gzip(`${events.map((event) => event.line).join("\n")}\n`);
          await this.env.BUCKET.put(chunkKey(session.id, row.id, chunk), body, {
            httpMetadata: { contentType: "application/x-ndjson", contentEncoding: "gzip" },
            customMetadata: { first_t: String(first.t), last_t: String(last.t), events: String(events.length) },
          });
          let lastEventId: number | null = null;
          let lastOpRev = row.ops_flushed_rev;
          for (const event of events) {
            if (event.event_id !== undefined) lastEventId = event.event_id;
            if (event.op_rev !== undefined) lastOpRev = event.op_rev;
          }
          this.transaction(() => {
            if (lastEventId !== null) {
              this.sql.exec("DELETE FROM recording_events WHERE recording_id = ? AND id <= ?", row.id, lastEventId);
            }
            this.sql.exec(
              "UPDATE recordings SET chunks_count = ?, events_count = events_count + ?, ops_flushed_rev = ? WHERE id = ?",
              chunk,
              events.length,
              lastOpRev,
              row.id,
            );
          });
          this.recordingCache = undefined;
          this.bufferedEvents = undefined;
        }
        const current = this.recordingRow(listed.id)!;
        if (current.manifest_status !== current.status) {
          await this.env.BUCKET.put(
            manifestKey(session.id, current.id),
            JSON.stringify(this.manifestOf(session.id, current)),
            {
              httpMetadata: { contentType: "application/json" },
            },
          );
          this.sql.exec("UPDATE recordings SET manifest_status = ? WHERE id = ?", current.status, current.id);
        }
      }
    });
  }

  private recordingFlushDeadline(): number | null {
    const unwritten = this.sql
      .exec("SELECT 1 FROM recordings WHERE manifest_status IS NOT status LIMIT 1")
      .toArray().length;
    if (unwritten) return this.clock();
    let deadline: number | null = null;
    for (const row of this.recordingsToFlush(false)) {
      const first = this.unflushedEvents(row, 1)[0];
      if (!first) continue;
      const due = row.status === "stopped" ? this.clock() : row.started_at_ms + first.t + RECORDING_FLUSH_DELAY_MS;
      deadline = deadline === null ? due : Math.min(deadline, due);
    }
    return deadline;
  }

  /** Recordings that may have events to write: the running one, and stopped ones with events or ops left. */
  private recordingsToFlush(withUnwrittenManifests: boolean): RecordingRow[] {
    return this.sql
      .exec(
        `SELECT * FROM recordings WHERE status = 'recording' OR stop_rev > ops_flushed_rev
           OR id IN (SELECT DISTINCT recording_id FROM recording_events)
           OR (? = 1 AND manifest_status IS NOT status)`,
        withUnwrittenManifests ? 1 : 0,
      )
      .toArray() as unknown as RecordingRow[];
  }

  // ---------------------------------------------------------------- RPC: health and statistics

  async health(actor: Actor): Promise<RoomResult<Health>> {
    return this.run(async () => {
      const session = this.requirePermission(actor, "read");
      const now = this.clock();
      const dayAgo = new Date(now - 24 * 3600_000).toISOString();
      const hourAgo = new Date(now - 3600_000).toISOString();
      const contributors = this.sql
        .exec<{ n: number }>(
          `SELECT count(*) AS n FROM (SELECT user_id FROM ops WHERE created_at >= ?
             UNION SELECT user_id FROM comments WHERE created_at >= ?)`,
          dayAgo,
          dayAgo,
        )
        .one().n;
      return healthOf({
        activeParticipants: this.participantCount(),
        maxParticipants: session.max_participants,
        onlineParticipants: this.onlineUsers().size,
        hoursSinceActivity: Math.max(0, (now - Date.parse(session.last_activity_at)) / 3600_000),
        contributors24h: contributors,
        editsLastHour: this.sql
          .exec<{ n: number }>("SELECT count(*) AS n FROM ops WHERE created_at >= ?", hourAgo)
          .one().n,
        comments24h: this.sql
          .exec<{ n: number }>("SELECT count(*) AS n FROM comments WHERE created_at >= ?", dayAgo)
          .one().n,
        hasRecording: this.sql.exec("SELECT 1 FROM recordings LIMIT 1").toArray().length > 0,
      });
    });
  }

  async stats(actor: Actor): Promise<RoomResult<SessionStats>> {
    return this.run(async () => {
      const session = this.requirePermission(actor, "read");
      const count = (query: string) => this.sql.exec<{ n: number }>(query).one().n;
      const byUser = this.sequencer.editCounts();
      const recordings = this.sql.exec("SELECT * FROM recordings").toArray() as unknown as RecordingRow[];
      const end = session.ended_at ? Date.parse(session.ended_at) : this.clock();
      return {
        participants: {
          total: count("SELECT count(*) AS n FROM participants"),
          active: this.participantCount(),
          online: this.onlineUsers().size,
          peak_online: Number(this.metaValue("peak_online") ?? "0"),
        },
        edits: {
          total: [...byUser.values()].reduce((total, edits) => total + edits, 0),
          by_user: Object.fromEntries(byUser),
        },
        comments: count("SELECT count(*) AS n FROM comments"),
        activities: this.activityCount(),
        duration_seconds: Math.max(0, Math.round((end - Date.parse(session.started_at)) / 1000)),
        recordings: {
          count: recordings.length,
          total_duration_ms: recordings.reduce(
            (total, row) => total + (row.status === "recording" ? this.clock() - row.started_at_ms : row.duration_ms),
            0,
          ),
          events: recordings.reduce((total, row) => total + row.events_count + this.bufferedCount(row), 0),
        },
        last_activity_at: session.last_activity_at,
      };
    });
  }

  // ---------------------------------------------------------------- alarm

  override async alarm(): Promise<void> {
    this.armedFor = undefined; // the runtime cleared the alarm that woke us
    await this.runDueWork();
  }

  /** What the cleanup sweep asks of an object it thinks is overdue: the same work as the alarm. */
  async runLifecycle(): Promise<RoomResult<{ ended: boolean; archived: boolean }>> {
    return this.run(async () => {
      const before = this.sessionOrNull()?.status;
      await this.runDueWork();
      const after = this.sessionOrNull()?.status ?? "archived";
      if (after === before && before) {
        // Nothing was due: D1's deadline was stale, so give it the object's truth.
        this.enqueue("session");
        await this.settle();
      }
      return {
        ended: (before === "active" || before === "paused") && after !== before,
        archived: before !== undefined && before !== "archived" && after === "archived",
      };
    });
  }

  /** What `runLifecycle` would do now, changing nothing: the cleanup sweep's dry run. */
  async previewLifecycle(): Promise<RoomResult<{ ended: boolean; archived: boolean }>> {
    return this.run(async () => {
      const session = this.sessionOrNull();
      if (!session) return { ended: false, archived: false };
      const now = this.clock();
      const idleDue = this.idleDeadlineMs(session);
      if (idleDue !== null && idleDue <= now) {
        // Ended now, it is archived in the same run when its archive delay is zero.
        const archiveDue = Date.parse(archiveDeadline(new Date(now).toISOString(), session.settings));
        return { ended: true, archived: archiveDue <= now };
      }
      const archiveDue = this.archiveDeadlineMs(session);
      return { ended: false, archived: session.status === "ended" && archiveDue !== null && archiveDue <= now };
    });
  }

  /**
   * Everything whose time has come: idle end, auto-save, projection, activity and recording flushes, archive.
   * Each step is idempotent and independent; a step that fails is retried by the next alarm without redoing the rest.
   */
  private async runDueWork(): Promise<void> {
    const steps: [string, () => Promise<unknown> | unknown][] = [
      ["idle end", () => this.endIfIdle()],
      ["recording limit", () => this.stopRecordingAtLimit()],
      ["auto-save", () => this.autoSaveIfDue()],
      ["projection", () => this.deliverProjection()],
      ["activity", () => this.flushActivities(false)],
      ["recording", () => this.flushRecordings(false)],
      ["archive", () => this.archiveIfDue()],
    ];
    let failed = false;
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        failed = true;
        console.error(`session step '${name}' failed; retrying later`, error);
      }
    }
    if (!this.sessionOrNull()) return;
    this.armAlarm(failed ? this.clock() + STEP_RETRY_MS : undefined);
  }

  // ---------------------------------------------------------------- lifecycle

  private idleDeadlineMs(session: SessionRow): number | null {
    if (session.status !== "active" && session.status !== "paused") return null;
    return Date.parse(idleDeadline(new Date(this.lastActivityMs(session)).toISOString(), session.settings));
  }

  private archiveDeadlineMs(session: SessionRow): number | null {
    if (session.status === "archived") return this.clock();
    if (session.status !== "ended" || !session.ended_at) return null;
    return Date.parse(archiveDeadline(session.ended_at, session.settings));
  }

  /** Ends a session nobody used for its idle timeout, paused ones included. */
  private endIfIdle(): void {
    const ended = this.transaction(() => {
      const session = this.sessionOrNull();
      const due = session ? this.idleDeadlineMs(session) : null;
      if (!session || due === null) return false;
      if (due > this.clock()) {
        // Used since it was last written down: write it now, so D1's deadline follows.
        if (this.socketActivityAt > Date.parse(session.last_activity_at)) {
          this.touch(this.socketActivityAt);
          this.enqueue("session");
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
    if (ended) this.announceStatus();
  }

  /**
   * Archives an ended session once its time comes: the whole session goes to R2 as one gzip'd JSON document, D1
   * marks it archived with the archive's key, and the object's storage is deleted. Safe to repeat at any step.
   */
  private async archiveIfDue(): Promise<void> {
    const session = this.sessionOrNull();
    const due = session ? this.archiveDeadlineMs(session) : null;
    if (!session || due === null || due > this.clock()) return;
    if (session.status === "ended") {
      // The session's last write-back to its song (and every projection) must have landed: archiving empties the
      // object, outbox included. Until then the step fails and is tried again.
      await this.deliverProjection();
      if (this.sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length > 0) {
        throw new Error("the outbox has not reached D1 yet; archiving waits for it");
      }
      const days = session.settings.archive_after_days;
      this.transaction(() =>
        this.changeStatus(session, "archived", null, `Archived ${days} days after the session ended`, {
          reason: "archive_after_days",
          archive_after_days: days,
        }),
      );
    }
    await this.flushActivities(true);
    await this.flushRecordings(true);
    const archived = this.requireSession();
    const key = archiveKey(archived.id);
    await this.env.BUCKET.put(key, await gzip(JSON.stringify(this.archiveDocument(archived))), {
      httpMetadata: { contentType: "application/json", contentEncoding: "gzip" },
    });
    await this.projectionWriter(this.env.DB, {
      session: { ...this.projectionOf(archived), archive_key: key },
      members: { participants: this.participants(), invitations: [] },
    });
    for (const socket of this.ctx.getWebSockets()) {
      this.closeSocket(socket, CLOSE.sessionClosed, "The session has been archived");
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.sessionCache = undefined;
    this.memberCache.clear();
    this.sequencer.forget();
    this.recordingCache = undefined;
    this.armedFor = undefined;
    // An empty schema, so later calls find no session (the Worker then serves the archive).
    migrateRoom(this.sql);
  }

  private archiveDocument(session: SessionRow): SessionArchive {
    const rows = <T>(query: string) => this.sql.exec(query).toArray() as unknown as T[];
    const { invitation_code: _code, ...sessionRow } = session;
    const document = this.document();
    return {
      format: 1,
      archived_at: this.now(),
      session: { ...sessionRow, invitation_code: null },
      participants: this.withContributions(this.participants()),
      activities: rows<ActivityRow>("SELECT * FROM activities ORDER BY id"),
      activities_trimmed_through: Number(this.metaValue("activity_trimmed_id") ?? "0"),
      activity_chunks: rows<ActivityChunk>("SELECT first_id, key FROM activity_chunks ORDER BY first_id"),
      ops: rows<SessionArchive["ops"][number]>(
        "SELECT rev, client_id, seq, user_id, op, created_at FROM ops ORDER BY rev",
      ),
      comments: rows<SessionArchive["comments"][number]>("SELECT * FROM comments ORDER BY id"),
      document: { rev: document.rev, content: document.content },
      recordings: rows<RecordingRow>("SELECT * FROM recordings ORDER BY started_at_ms").map((row) =>
        this.manifestOf(session.id, row),
      ),
    };
  }

  // ---------------------------------------------------------------- state access

  /** The session row, parsed; cached because every message asks, and dropped on every write. */
  private sessionOrNull(): SessionRow | null {
    if (this.sessionCache !== undefined) return this.sessionCache;
    const row = this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM session LIMIT 1").toArray()[0];
    this.sessionCache = row
      ? {
          ...(row as unknown as SessionRow),
          permissions: JSON.parse(row.permissions as string) as PermissionMap,
          settings: JSON.parse(row.settings as string) as SessionSettings,
        }
      : null;
    return this.sessionCache;
  }

  protected requireSession(): SessionRow {
    const session = this.sessionOrNull();
    if (!session)
      throw new RoomFailure({ status: 404, code: "NOT_FOUND", message: "Session not found", missing_session: true });
    return session;
  }

  private saveSession(session: SessionRow): void {
    this.sql.exec(
      `UPDATE session SET name = ?, description = ?, access_mode = ?, status = ?, max_participants = ?,
         default_role = ?, permissions = ?, settings = ?, invitation_code = ?, updated_at = ?, ended_at = ?,
         last_activity_at = ?`,
      session.name,
      session.description,
      session.access_mode,
      session.status,
      session.max_participants,
      session.default_role,
      JSON.stringify(session.permissions),
      JSON.stringify(session.settings),
      session.invitation_code,
      this.now(),
      session.ended_at,
      this.now(),
    );
    this.sessionCache = undefined;
  }

  /** Every write to participants goes through here, so the cache of rows never goes stale. */
  private writeParticipants(query: string, ...params: SqlStorageValue[]): void {
    this.sql.exec(query, ...params);
    this.memberCache.clear();
  }

  protected member(userId: string): ParticipantRow | null {
    const cached = this.memberCache.get(userId);
    if (cached !== undefined) return cached;
    const row = this.memberRow(userId);
    this.memberCache.set(userId, row);
    return row;
  }

  private memberRow(userId: string): ParticipantRow | null {
    return (
      (this.sql.exec("SELECT * FROM participants WHERE user_id = ?", userId).toArray()[0] as unknown as
        | ParticipantRow
        | undefined) ?? null
    );
  }

  private participants(): ParticipantRow[] {
    return this.sql
      .exec("SELECT * FROM participants ORDER BY joined_at, rowid")
      .toArray() as unknown as ParticipantRow[];
  }

  /** The rows with `contribution_count`: the ops each applied over the whole session, plus their comments. */
  private withContributions(rows: ParticipantRow[]): ParticipantRow[] {
    const edits = this.sequencer.editCounts();
    const comments = new Map(
      this.sql
        .exec<{ user_id: string; n: number }>("SELECT user_id, count(*) AS n FROM comments GROUP BY user_id")
        .toArray()
        .map((row) => [row.user_id, row.n]),
    );
    return rows.map((row) => ({
      ...row,
      contribution_count: (edits.get(row.user_id) ?? 0) + (comments.get(row.user_id) ?? 0),
    }));
  }

  private participantCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM participants WHERE status = 'active'").one().n;
  }

  private pendingInvitations(): InvitationRow[] {
    return this.sql
      .exec("SELECT * FROM invitations WHERE status = 'pending' ORDER BY created_at")
      .toArray() as unknown as InvitationRow[];
  }

  private documentRow(): DocumentRow {
    return this.sql
      .exec(
        "SELECT rev, content, saved_rev, saved_at, base_content, writing_rev, writing_text FROM document WHERE id = 1",
      )
      .one() as unknown as DocumentRow;
  }

  /** The text as it stands. */
  protected document(): { rev: number } & MeasuredText {
    return this.sequencer.document();
  }

  private isRecording(): boolean {
    return this.activeRecording() !== null;
  }

  /** Users with at least one open socket. */
  private onlineUsers(): Set<string> {
    const online = new Set<string>();
    for (const socket of this.ctx.getWebSockets()) {
      const state = this.socketState(socket);
      if (state) online.add(state.user_id);
    }
    return online;
  }

  /** Checks `permission` for the actor; returns the session when allowed. */
  protected requirePermission(actor: Actor, permission: Permission): SessionRow {
    const session = this.requireSession();
    const denial = authorize(session, this.member(actor.userId), permission);
    if (denial) refuse(denial.status, denial.code, denial.message);
    return session;
  }

  // ---------------------------------------------------------------- changes

  protected addParticipant(actor: Actor, role: Role, invitedBy: string | null): ParticipantRow {
    const now = this.now();
    const existing = this.member(actor.userId);
    if (existing) {
      this.writeParticipants(
        "UPDATE participants SET role = ?, status = 'active', joined_at = ?, display_name = ?, email = ?, invited_by = ? WHERE user_id = ?",
        role,
        now,
        displayName(actor),
        actor.email,
        invitedBy,
        actor.userId,
      );
    } else {
      const joinIndex = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM participants").one().n;
      this.writeParticipants(
        `INSERT INTO participants (user_id, display_name, email, role, status, color, joined_at, invited_by)
         VALUES (?, ?, ?, ?, 'active', ?, ?, ?)`,
        actor.userId,
        displayName(actor),
        actor.email,
        role,
        colorFor(joinIndex),
        now,
        invitedBy,
      );
    }
    return this.member(actor.userId)!;
  }

  protected changeStatus(
    session: SessionRow,
    status: SessionRow["status"],
    actorId: string | null,
    description: string,
    reason: Record<string, unknown> = {},
  ) {
    const now = this.now();
    const next: SessionRow = { ...session, status, ended_at: status === "ended" ? now : session.ended_at };
    this.saveSession(next);
    const type = {
      active: "session_resumed",
      paused: "session_paused",
      ended: "session_ended",
      archived: "session_archived",
    }[status];
    this.log(type, actorId, description, { from: session.status, to: status, ...reason }, actorId === null);
    this.capture("session_status", actorId, { status });
    if (status === "ended") {
      const recording = this.activeRecording();
      if (recording) this.stopRecordingRow(recording, actorId);
      this.enqueue("song");
    }
    this.enqueue("session");
  }

  protected startRecordingRow(startedBy: string): string {
    const id = crypto.randomUUID();
    const document = this.document();
    this.sql.exec(
      `INSERT INTO recordings (id, status, started_at, started_at_ms, started_by, start_rev, start_content, ops_flushed_rev)
       VALUES (?, 'recording', ?, ?, ?, ?, ?, ?)`,
      id,
      this.now(),
      this.clock(),
      startedBy,
      document.rev,
      document.content,
      document.rev,
    );
    this.recordingCache = undefined;
    this.log("recording_started", startedBy, "Recording started", { recording_id: id });
    return id;
  }

  private stopRecordingRow(recording: RecordingRow, stoppedBy: string | null, reason?: "max_length"): void {
    // A recording that ran past its limit ends at the limit, whenever the alarm came.
    const now = Math.min(this.clock(), recording.started_at_ms + MAX_RECORDING_MS);
    const durationMs = Math.max(0, now - recording.started_at_ms);
    this.sql.exec(
      "UPDATE recordings SET status = 'stopped', stopped_at = ?, duration_ms = ?, stop_rev = ? WHERE id = ?",
      new Date(now).toISOString(),
      durationMs,
      this.document().rev,
      recording.id,
    );
    this.recordingCache = undefined;
    this.log(
      "recording_stopped",
      stoppedBy,
      reason === "max_length"
        ? `Recording stopped after ${MAX_RECORDING_MS / 3600_000} hours, its longest`
        : "Recording stopped",
      { recording_id: recording.id, duration_ms: durationMs, ...(reason ? { reason } : {}) },
    );
  }

  /** Stops a recording that reached its maximum length. */
  private stopRecordingAtLimit(): void {
    const active = this.activeRecording();
    if (!active || active.started_at_ms + MAX_RECORDING_MS > this.clock()) return;
    this.transaction(() => {
      this.stopRecordingRow(active, null, "max_length");
      this.enqueue("session");
    });
    this.broadcast({ type: "recording", is_recording: false, recording_id: active.id });
  }

  protected activeRecording(): RecordingRow | null {
    if (this.recordingCache === undefined) {
      this.recordingCache =
        (this.sql.exec("SELECT * FROM recordings WHERE status = 'recording' LIMIT 1").toArray()[0] as unknown as
          | RecordingRow
          | undefined) ?? null;
    }
    return this.recordingCache;
  }

  /** Appends an event to the active recording, if any; durable with the change it describes. */
  protected capture(type: string, userId: string | null, data: unknown, isPrivate = false): void {
    const recording = this.activeRecording();
    if (!recording) return;
    const now = this.clock();
    const event: RecordingEvent = {
      t: Math.max(0, now - recording.started_at_ms),
      at: new Date(now).toISOString(),
      type,
      user_id: userId,
      data,
      ...(isPrivate ? { private: true as const } : {}),
    };
    this.sql.exec(
      "INSERT INTO recording_events (recording_id, t, rev, line) VALUES (?, ?, ?, ?)",
      recording.id,
      event.t,
      this.document().rev,
      JSON.stringify(event),
    );
    if (this.bufferedEvents !== undefined) this.bufferedEvents += 1;
  }

  /** Marks the session as used (now, or at `at`): idle sessions end by themselves. */
  protected touch(at = this.clock()): void {
    this.sql.exec("UPDATE session SET last_activity_at = ?", new Date(at).toISOString());
    this.sessionCache = undefined;
  }

  protected log(
    type: string,
    userId: string | null,
    description: string,
    details: unknown = null,
    isPrivate = false,
  ): void {
    this.sql.exec(
      "INSERT INTO activities (type, user_id, description, details, is_private, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      type,
      userId,
      description,
      details === null ? null : JSON.stringify(details),
      isPrivate ? 1 : 0,
      this.now(),
    );
  }

  // ---------------------------------------------------------------- views

  protected viewFor(userId: string, withParticipants = true): SessionView {
    return sessionView(this.viewInput(), userId, withParticipants);
  }

  private viewInput(): ViewInput {
    return {
      session: this.requireSession(),
      participants: this.withContributions(this.participants()),
      online: this.onlineUsers(),
      isRecording: this.isRecording(),
    };
  }

  private participantViews(viewerId: string): Participant[] {
    return participantViews(this.viewInput(), viewerId);
  }

  /** Emails are shown only to those who manage participants. */
  private canSeeEmails(viewerId: string): boolean {
    return authorize(this.requireSession(), this.member(viewerId), "manage_participants") === null;
  }

  /** Pending invitations addressed to the actor, by user id or by the (verified) email in their token, newest first. */
  private pendingInvitationsFor(actor: Actor): InvitationRow[] {
    return this.sql
      .exec(
        `SELECT * FROM invitations WHERE status = 'pending' AND (user_id = ? OR (? IS NOT NULL AND email = ?))
         ORDER BY created_at DESC`,
        actor.userId,
        actor.email,
        actor.email,
      )
      .toArray() as unknown as InvitationRow[];
  }

  // ---------------------------------------------------------------- sockets

  /** Sends a message to every open socket of the session. */
  protected broadcast(message: ServerMessage): void {
    this.broadcastExcept(null, message);
  }

  /** Sends a message to the open sockets of the users `include` accepts. */
  private sendWhere(include: (userId: string) => boolean, message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const socket of this.liveSockets()) {
      if (!include(this.socketState(socket)!.user_id)) continue;
      try {
        socket.send(text);
      } catch {
        // closing
      }
    }
  }

  private seesPrivate(userId: string): boolean {
    return authorize(this.requireSession(), this.member(userId), "view_private") === null;
  }

  /** Tells every socket the session's status; an ended session closes them. */
  protected announceStatus(): void {
    const status = this.requireSession().status;
    this.broadcast({ type: "session_status", status });
    if (status === "ended" || status === "archived") {
      for (const socket of this.ctx.getWebSockets())
        this.closeSocket(socket, CLOSE.sessionClosed, `The session has ${status}`);
    }
  }

  protected closeSocketsOf(userId: string, code: number, reason: string): void {
    for (const socket of this.ctx.getWebSockets(userTag(userId))) this.closeSocket(socket, code, reason);
  }

  /**
   * Closes a socket from the object's side. The `closing` message goes first: the runtime sends the close frame at
   * once but keeps a hibernatable socket's connection open until the object is evicted, so clients act on the
   * message. The socket stops counting, and receiving, at once.
   */
  private closeSocket(socket: WebSocket, code: number, reason: string): void {
    if (!this.socketState(socket)) return;
    this.send(socket, { type: "closing", code, reason });
    this.socketGone(socket);
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  /** Sockets the object has accepted and not closed (all of them, or those with `tag`). */
  private liveSockets(tag?: string): WebSocket[] {
    return this.ctx.getWebSockets(tag).filter((socket) => this.socketState(socket) !== null);
  }

  // ---------------------------------------------------------------- outbox and projection

  /** Records that D1 must learn of a change; written in the same transaction as the change itself. */
  protected enqueue(...kinds: OutboxKind[]): void {
    this.sql.exec("UPDATE session SET version = version + 1");
    this.sessionCache = undefined;
    for (const kind of kinds) this.sql.exec("INSERT INTO outbox (kind, created_at) VALUES (?, ?)", kind, this.now());
  }

  /** Delivers the outbox now (callers wait, so a REST change is visible in listings when it returns). */
  protected async settle(): Promise<void> {
    await this.deliverProjection();
    await this.flushActivities(false);
    await this.flushRecordings(false);
    this.armAlarm();
  }

  // ---------------------------------------------------------------- activity chunks in R2

  /** Writes waiting activity to R2 as one gzip NDJSON chunk, when enough has gathered or waited (or `force`). */
  protected flushActivities(force: boolean): Promise<void> {
    return this.serially("activity", async () => {
      const flushedId = Number(this.metaValue("activity_flushed_id") ?? "0");
      const rows = this.sql
        .exec("SELECT * FROM activities WHERE id > ? ORDER BY id LIMIT 1000", flushedId)
        .toArray() as unknown as ActivityRow[];
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (!first || !last) return;
      const due = Date.parse(first.created_at) + ACTIVITY_FLUSH_DELAY_MS <= this.clock();
      if (!force && rows.length < ACTIVITY_CHUNK_SIZE && !due) return;
      const session = this.sessionOrNull();
      if (!session) return;
      const body = await gzipNdjson(rows.map((row) => activityView(row, true)));
      const key = activityChunkKey(session.id, first.id, last.id);
      await this.env.BUCKET.put(key, body, {
        httpMetadata: { contentType: "application/x-ndjson", contentEncoding: "gzip" },
      });
      this.transaction(() => {
        // A chunk written again from the same entry (its bookkeeping was lost) replaces the earlier one.
        this.sql.exec(
          "INSERT OR REPLACE INTO activity_chunks (first_id, last_id, key) VALUES (?, ?, ?)",
          first.id,
          last.id,
          key,
        );
        this.setMeta("activity_flushed_id", String(last.id));
        // Entries in R2 leave the session's storage once ACTIVITIES_KEPT newer ones stand after them.
        const newest = this.sql.exec<{ id: number }>("SELECT max(id) AS id FROM activities").one().id;
        const through = Math.min(last.id, newest - ACTIVITIES_KEPT);
        if (through > Number(this.metaValue("activity_trimmed_id") ?? "0")) {
          this.sql.exec("DELETE FROM activities WHERE id <= ?", through);
          this.setMeta("activity_trimmed_id", String(through));
        }
      });
    });
  }

  // ---------------------------------------------------------------- auto-save

  /** When the live text is next due to be written back to the song: only while it has unsaved changes. */
  private autoSaveDeadline(): number | null {
    const session = this.sessionOrNull();
    if (!session) return null;
    const checkpoint = this.documentRow();
    if (this.document().rev <= checkpoint.saved_rev) return null;
    return Date.parse(checkpoint.saved_at ?? session.created_at) + session.settings.auto_save_interval * 1000;
  }

  private autoSaveIfDue(): void {
    const due = this.autoSaveDeadline();
    if (due === null || due > this.clock()) return;
    this.transaction(() => this.enqueue("song", "session"));
  }

  /**
   * Writes the session's changes into the song as it is now, merged three ways from the text they are relative to
   * (`base_content`), on the owner's behalf and only while the owner may edit the song. Nothing is written when the
   * session changed nothing. Throws when D1 cannot take it, so the outbox tries again.
   */
  private async writeBackSong(session: SessionRow, alsoWrite: D1PreparedStatement[]): Promise<boolean> {
    const row = this.documentRow();
    let base = row.base_content ?? this.sequencer.textAt(row.saved_rev);
    // A write-back that reached D1 without the session learning it (a restart in between) is taken as applied,
    // as it would have been, so the same changes are never merged twice.
    if (row.writing_rev !== null && row.writing_text !== null) {
      const landed = await writeBackLanded(this.env.DB, session.song_id, session.id, row.writing_rev);
      if (landed) base = this.takeInSongText(row.writing_text, row.writing_rev, landed.content);
    }
    const { rev, content } = this.document();
    this.sql.exec("UPDATE document SET writing_rev = ?, writing_text = ? WHERE id = 1", rev, content);
    const outcome = await this.songWriter(
      this.env.DB,
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
    this.transaction(() => {
      // What the write covered: the text as it was when it started, whatever came in meanwhile.
      this.sql.exec(
        `UPDATE document SET saved_rev = ?, saved_at = ?, base_content = ?, writing_rev = NULL, writing_text = NULL
         WHERE id = 1`,
        rev,
        this.now(),
        nextBase,
      );
      if (outcome.outcome === "applied") {
        this.logSavedEdits(row.saved_rev, rev, outcome.version, outcome.conflicts);
      } else if (outcome.outcome === "refused") {
        this.log(
          "song_save_refused",
          null,
          `The song was not changed: ${outcome.reason}. The session's text is kept as version ${outcome.version}.`,
          { version: outcome.version, reason: outcome.reason, rev },
          true,
        );
      } else if (outcome.outcome === "missing") {
        this.log("song_save_refused", null, "The song no longer exists; the session's text stays here", { rev }, true);
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
        () => this.recordingLogFloor(),
      );
      if (result.kind === "applied") {
        this.broadcast({ type: "op", rev: result.rev, op: result.op, user_id: SONG_AUTHOR });
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
    const editors = this.sql
      .exec<{ user_id: string; edits: number }>(
        "SELECT user_id, count(*) AS edits FROM ops WHERE rev > ? AND rev <= ? GROUP BY user_id ORDER BY edits DESC",
        fromRev,
        toRev,
      )
      .toArray();
    const edits = editors.reduce((total, editor) => total + editor.edits, 0);
    const conflictNote =
      conflicts === 0 ? "" : `; ${conflicts} ${conflicts === 1 ? "place" : "places"} changed on both sides kept both`;
    this.log(
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

  /** Every entry the log ever had, also those only in R2 now (ids are never reused). */
  private activityCount(): number {
    return this.sql.exec<{ n: number | null }>("SELECT max(id) AS n FROM activities").one().n ?? 0;
  }

  private activityFlushDeadline(): number | null {
    const flushedId = Number(this.metaValue("activity_flushed_id") ?? "0");
    const oldest = this.sql
      .exec<{ created_at: string; waiting: number }>(
        "SELECT min(created_at) AS created_at, count(*) AS waiting FROM activities WHERE id > ?",
        flushedId,
      )
      .one();
    if (!oldest.waiting) return null;
    return Date.parse(oldest.created_at) + ACTIVITY_FLUSH_DELAY_MS;
  }

  /** Runs tasks of one kind one after another, so two flushes never write overlapping chunks. */
  private serially(kind: string, task: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(kind) ?? Promise.resolve();
    const next = previous.then(task, task);
    this.queues.set(
      kind,
      next.catch(() => undefined),
    );
    return next;
  }

  private deliverProjection(): Promise<void> {
    // Deliveries run one after another; each one takes everything pending, so queued ones coalesce. One that throws
    // fails its caller only: the next one still runs.
    const next = this.delivery.then(
      () => this.deliverOnce(),
      () => this.deliverOnce(),
    );
    this.delivery = next.catch(() => undefined);
    return next;
  }

  private async deliverOnce(): Promise<void> {
    const pending = this.sql
      .exec<{ kind: OutboxKind; last: number }>("SELECT kind, max(id) AS last FROM outbox GROUP BY kind")
      .toArray();
    if (pending.length === 0) return;
    const session = this.sessionOrNull();
    const lastId = Math.max(...pending.map((entry) => entry.last));
    if (!session) {
      this.sql.exec("DELETE FROM outbox WHERE id <= ?", lastId);
      return;
    }
    const kinds = new Set(pending.map((entry) => entry.kind));
    const snapshot: ProjectionSnapshot = {
      session: this.projectionOf(session),
      members: kinds.has("members")
        ? { participants: this.participants(), invitations: this.pendingInvitations() }
        : undefined,
    };
    try {
      // A save's write to the song carries the projection in the same D1 batch; otherwise it has one of its own.
      const projected =
        kinds.has("song") && (await this.writeBackSong(session, projectionStatements(this.env.DB, snapshot)));
      if (!projected) await this.projectionWriter(this.env.DB, snapshot);
    } catch (error) {
      const attempts = Number(this.metaValue("outbox_attempts") ?? "0") + 1;
      this.setMeta("outbox_attempts", String(attempts));
      this.setMeta(
        "outbox_retry_at",
        String(this.clock() + OUTBOX_RETRY_MS[Math.min(attempts, OUTBOX_RETRY_MS.length) - 1]!),
      );
      console.warn("projection to D1 failed; the alarm will retry", session.id, error);
      return;
    }
    this.sql.exec("DELETE FROM outbox WHERE id <= ?", lastId);
    this.deleteMeta("outbox_attempts");
    this.deleteMeta("outbox_retry_at");
  }

  private projectionOf(session: SessionRow): SessionProjection {
    const { invitation_code: _secret, ...row } = session;
    const active = session.status === "active" || session.status === "paused";
    return {
      ...row,
      participant_count: this.participantCount(),
      online_count: this.onlineUsers().size,
      is_recording: this.isRecording(),
      idle_deadline_at: active ? new Date(this.idleDeadlineMs(session)!).toISOString() : null,
      archive_due_at:
        session.status === "ended" && session.ended_at ? archiveDeadline(session.ended_at, session.settings) : null,
      archive_key: null,
      activity_count: this.activityCount(),
    };
  }

  // ---------------------------------------------------------------- time

  /** Sets the one alarm to the earliest pending deadline. */
  protected armAlarm(retryAt?: number): void {
    const deadlines: number[] = retryAt === undefined ? [] : [retryAt];
    const session = this.sessionOrNull();
    if (!session) return;
    const idleDue = this.idleDeadlineMs(session);
    if (idleDue !== null) deadlines.push(idleDue);
    const archiveDue = this.archiveDeadlineMs(session);
    if (archiveDue !== null) deadlines.push(archiveDue);
    const outboxRetryAt = this.metaValue("outbox_retry_at");
    if (outboxRetryAt) deadlines.push(Number(outboxRetryAt));
    const activityDue = this.activityFlushDeadline();
    if (activityDue !== null) deadlines.push(activityDue);
    const saveDue = this.autoSaveDeadline();
    if (saveDue !== null) deadlines.push(saveDue);
    const recordingDue = this.recordingFlushDeadline();
    if (recordingDue !== null) deadlines.push(recordingDue);
    const active = this.activeRecording();
    if (active) deadlines.push(active.started_at_ms + MAX_RECORDING_MS);
    const next = deadlines.length ? Math.min(...deadlines) : null;
    if (next === this.armedFor) return;
    this.armedFor = next;
    if (next === null) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(next);
  }

  protected now(): string {
    return new Date(this.clock()).toISOString();
  }

  private metaValue(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  private deleteMeta(key: string): void {
    this.sql.exec("DELETE FROM meta WHERE key = ?", key);
  }

  // ---------------------------------------------------------------- RPC plumbing

  /** Writes that commit together or, when a check refuses midway, not at all. */
  protected transaction<T>(body: () => T): T {
    try {
      return this.ctx.storage.transactionSync(body);
    } catch (error) {
      // Rolled back: what the body cached may describe writes that no longer exist.
      this.sessionCache = undefined;
      this.recordingCache = undefined;
      this.bufferedEvents = undefined;
      this.memberCache.clear();
      this.sequencer.forget();
      throw error;
    }
  }

  /** Runs one RPC: a refusal becomes a RoomResult error; anything else is a bug and is rethrown. */
  private async run<T>(operation: () => Promise<T>): Promise<RoomResult<T>> {
    try {
      return success(await operation());
    } catch (error) {
      if (error instanceof RoomFailure) return { ok: false, error: error.error };
      throw error;
    }
  }
}

function omitSentAt(presence: SocketState["presence"]): Omit<SocketState["presence"], "sent_at"> {
  return { cursor: presence.cursor, status: presence.status };
}

export function userTag(userId: string): string {
  return `user:${userId}`;
}

/** Compares invitation codes in constant time (for codes of equal length, which every real code has). */
function codesMatch(given: string, actual: string): boolean {
  const encoder = new TextEncoder();
  const left = encoder.encode(given);
  const right = encoder.encode(actual);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}

function pastTense(action: keyof typeof STATUS_TRANSITIONS): string {
  return { pause: "paused", resume: "resumed", end: "ended" }[action];
}

/** 11 URL-safe characters (64 bits of randomness). */
export function newInvitationCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
