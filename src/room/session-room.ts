/**
 * SessionRoom: one Durable Object per session, the only writer of that session's state.
 * The Worker calls its RPC methods with the verified actor; every method checks permissions through
 * `authorize` and answers a RoomResult. Changes are written to SQLite first and projected to D1 through
 * the outbox, which the alarm retries until D1 has them.
 */
import { DurableObject } from "cloudflare:workers";
import { displayName } from "../db/users";
import { colorFor } from "../domain/participants";
import {
  authorize,
  type Permission,
  type PermissionMap,
  permissionsOf,
  type Role,
  STATUS_TRANSITIONS,
} from "../domain/permissions";
import type { SessionUpdate, SessionView } from "../domain/schemas";
import { archiveDeadline, idleDeadline, mergeSettings, type SessionSettings } from "../domain/settings";
import type { SessionConfig } from "../domain/templates";
import type { Actor, Bindings } from "../env";
import {
  type OutboxKind,
  type ProjectionSnapshot,
  type ProjectionWriter,
  type SessionProjection,
  writeProjection,
} from "./projection";
import { failure, RoomFailure, type RoomResult, refuse, success } from "./result";
import type { DocumentRow, InvitationRow, ParticipantRow, SessionRow } from "./rows";
import { migrateRoom } from "./schema";

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

/** Delays between projection retries while D1 refuses them. */
const OUTBOX_RETRY_MS = [1_000, 5_000, 30_000, 120_000, 600_000];

export class SessionRoom extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;
  /** Replaced in tests to make D1 fail. */
  projectionWriter: ProjectionWriter = writeProjection;
  /** Replaced in tests to move time forward. */
  clock: () => number = () => Date.now();
  private delivery: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => migrateRoom(this.sql));
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
    this.sql.exec(
      "INSERT INTO document (id, rev, content, saved_rev, saved_at) VALUES (1, 0, ?, 0, ?)",
      init.song_content,
      now,
    );
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
    if (next.access_mode === "link-access" && !next.invitation_code) next.invitation_code = newInvitationCode();
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

  // ---------------------------------------------------------------- alarm

  override async alarm(): Promise<void> {
    await this.deliverProjection();
    this.armAlarm();
  }

  // ---------------------------------------------------------------- state access

  private sessionOrNull(): SessionRow | null {
    const row = this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM session LIMIT 1").toArray()[0];
    if (!row) return null;
    return {
      ...(row as unknown as SessionRow),
      permissions: JSON.parse(row.permissions as string) as PermissionMap,
      settings: JSON.parse(row.settings as string) as SessionSettings,
    };
  }

  protected requireSession(): SessionRow {
    const session = this.sessionOrNull();
    if (!session) refuse(404, "NOT_FOUND", "Session not found");
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
  }

  protected member(userId: string): ParticipantRow | null {
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

  private participantCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM participants WHERE status = 'active'").one().n;
  }

  private pendingInvitations(): InvitationRow[] {
    return this.sql
      .exec("SELECT * FROM invitations WHERE status = 'pending' ORDER BY created_at")
      .toArray() as unknown as InvitationRow[];
  }

  private document(): DocumentRow {
    return this.sql
      .exec("SELECT rev, content, saved_rev, saved_at FROM document WHERE id = 1")
      .one() as unknown as DocumentRow;
  }

  private isRecording(): boolean {
    return this.sql.exec("SELECT 1 FROM recordings WHERE status = 'recording' LIMIT 1").toArray().length > 0;
  }

  /** Users with at least one open socket. */
  private onlineUsers(): Set<string> {
    const online = new Set<string>();
    for (const socket of this.ctx.getWebSockets()) {
      const attachment = socket.deserializeAttachment() as { user_id?: string } | null;
      if (attachment?.user_id) online.add(attachment.user_id);
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
      this.sql.exec(
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
      this.sql.exec(
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
    this.log(type, actorId, description, { from: session.status, to: status }, actorId === null);
    if (status === "ended") {
      this.sql.exec("UPDATE recordings SET status = 'stopped', stopped_at = ? WHERE status = 'recording'", now);
      this.enqueue("song");
    }
    this.enqueue("session");
  }

  protected startRecordingRow(startedBy: string): string {
    const id = crypto.randomUUID();
    const document = this.document();
    this.sql.exec(
      `INSERT INTO recordings (id, status, started_at, started_at_ms, started_by, start_rev, start_content)
       VALUES (?, 'recording', ?, ?, ?, ?, ?)`,
      id,
      this.now(),
      this.clock(),
      startedBy,
      document.rev,
      document.content,
    );
    this.log("recording_started", startedBy, "Recording started", { recording_id: id });
    return id;
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
    const session = this.requireSession();
    const member = this.member(userId);
    const role = member?.status === "active" ? member.role : null;
    const permissions = permissionsOf(role, session.permissions);
    const online = this.onlineUsers();
    const mayInvite = authorize(session, member, "invite") === null;
    const mayManage = authorize(session, member, "manage_participants") === null;
    const view: SessionView = {
      id: session.id,
      song_id: session.song_id,
      template_id: session.template_id,
      owner_id: session.owner_id,
      name: session.name,
      description: session.description,
      access_mode: session.access_mode,
      status: session.status,
      max_participants: session.max_participants,
      participant_count: this.participantCount(),
      online_count: online.size,
      is_recording: this.isRecording(),
      default_role: session.default_role,
      settings: session.settings,
      created_at: session.created_at,
      updated_at: session.updated_at,
      started_at: session.started_at,
      ended_at: session.ended_at,
      last_activity_at: session.last_activity_at,
      user_role: role,
      permissions,
      participants: withParticipants
        ? this.participants()
            .filter((participant) => participant.status === "active")
            .map((participant) => ({
              user_id: participant.user_id,
              display_name: participant.display_name,
              role: participant.role,
              status: participant.status,
              color: participant.color,
              online: online.has(participant.user_id),
              joined_at: participant.joined_at,
              last_seen_at: participant.last_seen_at,
              contribution_count: participant.contribution_count,
              total_time_seconds: participant.total_time_seconds,
              invited_by: participant.invited_by,
              ...(mayManage ? { email: participant.email } : {}),
            }))
        : [],
    };
    if (session.access_mode === "link-access" && session.invitation_code && mayInvite) {
      view.invitation_code = session.invitation_code;
    }
    return view;
  }

  // ---------------------------------------------------------------- outbox and projection

  /** Records that D1 must learn of a change; written in the same transaction as the change itself. */
  protected enqueue(...kinds: OutboxKind[]): void {
    this.sql.exec("UPDATE session SET version = version + 1");
    for (const kind of kinds) this.sql.exec("INSERT INTO outbox (kind, created_at) VALUES (?, ?)", kind, this.now());
  }

  /** Delivers the outbox now (callers wait, so a REST change is visible in listings when it returns). */
  protected async settle(): Promise<void> {
    await this.deliverProjection();
    this.armAlarm();
  }

  private deliverProjection(): Promise<void> {
    // Deliveries run one after another; each one takes everything pending, so queued ones coalesce.
    this.delivery = this.delivery.then(() => this.deliverOnce());
    return this.delivery;
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
    const document = this.document();
    const snapshot: ProjectionSnapshot = {
      session: this.projectionOf(session),
      members: kinds.has("members")
        ? { participants: this.participants(), invitations: this.pendingInvitations() }
        : undefined,
      song: kinds.has("song") ? { content: document.content, saved_at: this.now() } : undefined,
    };
    try {
      await this.projectionWriter(this.env.DB, snapshot);
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
    if (snapshot.song)
      this.sql.exec("UPDATE document SET saved_rev = ?, saved_at = ? WHERE id = 1", document.rev, this.now());
  }

  private projectionOf(session: SessionRow): SessionProjection {
    const { invitation_code: _secret, ...row } = session;
    const active = session.status === "active" || session.status === "paused";
    return {
      ...row,
      participant_count: this.participantCount(),
      online_count: this.onlineUsers().size,
      is_recording: this.isRecording(),
      idle_deadline_at: active ? idleDeadline(session.last_activity_at, session.settings) : null,
      archive_due_at:
        session.status === "ended" && session.ended_at ? archiveDeadline(session.ended_at, session.settings) : null,
      archive_key: null,
    };
  }

  // ---------------------------------------------------------------- time

  /** Sets the one alarm to the earliest pending deadline. */
  protected armAlarm(): void {
    const deadlines: number[] = [];
    const retryAt = this.metaValue("outbox_retry_at");
    if (retryAt) deadlines.push(Number(retryAt));
    if (deadlines.length === 0) {
      void this.ctx.storage.deleteAlarm();
      return;
    }
    void this.ctx.storage.setAlarm(Math.min(...deadlines));
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
    return this.ctx.storage.transactionSync(body);
  }

  /** Runs one RPC: a refusal becomes a RoomResult error; anything else is a bug and is rethrown. */
  private async run<T>(operation: () => Promise<T>): Promise<RoomResult<T>> {
    try {
      return success(await operation());
    } catch (error) {
      if (error instanceof RoomFailure)
        return failure(error.error.status, error.error.code, error.error.message, error.error.details);
      throw error;
    }
  }
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
