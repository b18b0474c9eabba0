/**
 * SessionRoom: one Durable Object per session, the only writer of that session's state. It only adapts: it builds the
 * session's modules over the runtime's storage, sockets, alarm, R2 and D1 (assembly.ts), checks the caller's
 * permission once at the door of each RPC call, and forwards RPC calls, socket events and the alarm. Every call
 * answers a RoomResult; what a change left for D1 and R2 is delivered before the call answers (the schedule).
 */
import { DurableObject } from "cloudflare:workers";
import { writeBackSession } from "../db/song-writes";
import type { Actor } from "../domain/actor";
import type { Health } from "../domain/health";
import type { SessionInvitationPage } from "../domain/invitation-schemas";
import { type AssignableRole, authorize, type Permission, type Role } from "../domain/permissions";
import type { RecordingManifest, RecordingPlayback, RecordingStatus } from "../domain/recording";
import type { Activity, ActivityQuery, InviteResult, Participant, SessionUpdate, SessionView } from "../domain/schemas";
import type { Bindings } from "../env";
import { buildRoom, type RoomModules } from "./assembly";
import { sendWithBinding } from "./invitation-mail";
import type { StatusAction } from "./lifecycle";
import type { EmailSender } from "./ports";
import { type ProjectionWriter, writeProjection } from "./projection";
import { RoomFailure, type RoomResult, refuse, success } from "./result";
import type { SessionRow } from "./rows";
import type { CreateSessionInit, InvitationPageQuery, Invitee, LifecycleOutcome, SessionStats } from "./rpc-types";
import { runtimePorts } from "./runtime-ports";
import { migrateRoom } from "./schema";
import { readUpgrade } from "./upgrade-request";

export class SessionRoom extends DurableObject<Bindings> {
  /** Replaced in tests: to make D1 or the mail service fail, to see the emails sent, and to move time forward. */
  projectionWriter: ProjectionWriter = writeProjection;
  songWriter: typeof writeBackSession = writeBackSession;
  emailSender: EmailSender = (email) => sendWithBinding(this.env.EMAIL, email);
  clock: () => number = () => Date.now();
  private readonly room: RoomModules;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.room = buildRoom(runtimePorts(ctx, env, this));
    void ctx.blockConcurrencyWhile(async () => migrateRoom(ctx.storage.sql));
    // Answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  // ---------------------------------------------------------------- RPC: the session

  create(init: CreateSessionInit, owner: Actor): Promise<RoomResult<SessionView>> {
    const { state, lifecycle, reads } = this.room;
    return this.change(
      () => state.transaction(() => lifecycle.create(init, owner)),
      () => reads.viewFor(owner.userId),
    );
  }

  view(actor: Actor): Promise<RoomResult<SessionView>> {
    return this.read(actor, "read", () => this.room.reads.viewFor(actor.userId));
  }

  update(actor: Actor, patch: SessionUpdate): Promise<RoomResult<SessionView>> {
    const { state, lifecycle, reads } = this.room;
    return this.change(
      () => state.transaction(() => lifecycle.update(this.authorize(actor, "manage_session"), actor, patch)),
      () => reads.viewFor(actor.userId),
    );
  }

  /** Pause, resume or end; the lifecycle checks `manage_session` itself, so a read-only session still says who may. */
  transition(actor: Actor, action: StatusAction): Promise<RoomResult<SessionView>> {
    const { state, lifecycle, reads } = this.room;
    return this.change(
      () => {
        state.transaction(() => lifecycle.transition(actor, action));
        lifecycle.announceStatus();
      },
      () => reads.viewFor(actor.userId),
    );
  }

  rotateInvitationCode(actor: Actor): Promise<RoomResult<{ invitation_code: string }>> {
    return this.change(
      () => this.room.lifecycle.rotateInvitationCode(this.authorize(actor, "manage_session"), actor),
      (code) => ({ invitation_code: code }),
    );
  }

  // ---------------------------------------------------------------- RPC: membership

  /** Anyone may ask to join; the session's rules decide. */
  join(actor: Actor, invitationCode: string | undefined): Promise<RoomResult<SessionView>> {
    return this.change(
      () => this.room.membership.join(actor, invitationCode),
      () => this.room.reads.viewFor(actor.userId),
    );
  }

  leave(actor: Actor): Promise<RoomResult<{ user_id: string; left: true }>> {
    return this.change(
      () => this.room.membership.leave(actor),
      () => ({ user_id: actor.userId, left: true as const }),
    );
  }

  invite(actor: Actor, invitees: Invitee[], message: string | undefined): Promise<RoomResult<InviteResult>> {
    const { state, invitations } = this.room;
    return this.change(
      () => state.transaction(() => invitations.invite(this.authorize(actor, "invite"), actor, invitees, message)),
      (result) => result,
    );
  }

  revokeInvitation(actor: Actor, invitationId: string): Promise<RoomResult<{ id: string; revoked: true }>> {
    const { state, invitations } = this.room;
    return this.change(
      () => state.transaction(() => invitations.revoke(this.authorize(actor, "invite"), actor, invitationId)),
      () => ({ id: invitationId, revoked: true as const }),
    );
  }

  listInvitations(actor: Actor, query: InvitationPageQuery): Promise<RoomResult<SessionInvitationPage>> {
    return this.read(actor, "invite", (session) => this.room.invitations.page(session, actor, query));
  }

  /** Only its invitee may decline an invitation; it needs no permission in the session. */
  declineInvitation(actor: Actor, invitationId: string): Promise<RoomResult<{ id: string; declined: true }>> {
    const { state, invitations } = this.room;
    return this.change(
      () => state.transaction(() => invitations.decline(actor, invitationId)),
      () => ({ id: invitationId, declined: true as const }),
    );
  }

  listParticipants(actor: Actor): Promise<RoomResult<{ participants: Participant[] }>> {
    return this.read(actor, "read", () => ({ participants: this.room.reads.participantViews(actor.userId) }));
  }

  changeRole(actor: Actor, userId: string, role: AssignableRole): Promise<RoomResult<Participant>> {
    const { membership, reads } = this.room;
    return this.change(
      () => membership.changeRole(this.authorize(actor, "manage_participants"), actor, userId, role),
      (changed) => reads.participantView(changed, actor.userId),
    );
  }

  removeParticipant(actor: Actor, userId: string): Promise<RoomResult<{ user_id: string; removed: true }>> {
    return this.change(
      () => this.room.membership.remove(this.authorize(actor, "manage_participants"), actor, userId),
      () => ({ user_id: userId, removed: true as const }),
    );
  }

  /** Only the owner may hand the session over; membership checks that. */
  transfer(actor: Actor, userId: string): Promise<RoomResult<SessionView>> {
    return this.change(
      () => this.room.membership.transfer(actor, userId),
      () => this.room.reads.viewFor(actor.userId),
    );
  }

  activities(
    actor: Actor,
    query: ActivityQuery,
  ): Promise<RoomResult<{ activities: Activity[]; next_cursor: string | null }>> {
    return this.read(actor, "read", () => this.room.activity.page(query, this.room.reads.seesPrivate(actor.userId)));
  }

  // ---------------------------------------------------------------- RPC: recording, health and statistics

  startRecording(actor: Actor): Promise<RoomResult<RecordingStatus>> {
    const { state, recorder, sockets } = this.room;
    return this.change(
      () => {
        this.authorize(actor, "record");
        const id = state.transaction(() => recorder.startBy(actor.userId));
        sockets.broadcast({ type: "recording", is_recording: true, recording_id: id });
      },
      () => recorder.status(),
    );
  }

  /** Stops the recording; answers once every event is in R2. */
  stopRecording(actor: Actor): Promise<RoomResult<RecordingStatus & { recording_id: string }>> {
    const { state, recorder, sockets } = this.room;
    return this.change(
      async () => {
        this.authorize(actor, "record");
        const id = state.transaction(() => recorder.stopBy(actor.userId));
        sockets.broadcast({ type: "recording", is_recording: false, recording_id: id });
        await recorder.flush(true);
        return id;
      },
      (id) => recorder.stoppedStatus(id),
    );
  }

  recordingStatus(actor: Actor): Promise<RoomResult<RecordingStatus>> {
    return this.read(actor, "read", () => this.room.recorder.status());
  }

  listRecordings(actor: Actor): Promise<RoomResult<{ recordings: RecordingManifest[] }>> {
    const { recorder } = this.room;
    return this.read(actor, "read", (session) => ({
      recordings: recorder.all().map((row) => recorder.manifestOf(session.id, row)),
    }));
  }

  /** A recording's manifest and the events not yet in R2: chunks 1..chunks_count are in R2, `tail` the rest. */
  recordingPlayback(actor: Actor, recordingId: string): Promise<RoomResult<RecordingPlayback>> {
    const { recorder, reads } = this.room;
    return this.read(actor, "read", (session) => {
      const row = recorder.row(recordingId);
      if (!row) refuse(404, "NOT_FOUND", "Recording not found");
      const reader = { user_id: actor.userId, sees_private: reads.seesPrivate(actor.userId) };
      return { manifest: recorder.manifestOf(session.id, row), tail: recorder.tail(row), reader };
    });
  }

  health(actor: Actor): Promise<RoomResult<Health>> {
    return this.read(actor, "read", (session) => this.room.reads.health(session));
  }

  stats(actor: Actor): Promise<RoomResult<SessionStats>> {
    return this.read(actor, "read", (session) => this.room.reads.stats(session));
  }

  // ---------------------------------------------------------------- RPC: realtime and the cleanup sweep

  /** Whether the actor may open a socket now; the ticket route asks before issuing one. */
  connectionCheck(actor: Actor): Promise<RoomResult<{ role: Role }>> {
    return this.run(() => this.room.realtime.check(actor));
  }

  /** What the cleanup sweep asks of an object it thinks is overdue: the same work as the alarm. */
  runLifecycle(): Promise<RoomResult<LifecycleOutcome>> {
    return this.run(() => this.room.sweep());
  }

  /** What `runLifecycle` would do now, changing nothing: the cleanup sweep's dry run. */
  previewLifecycle(): Promise<RoomResult<LifecycleOutcome>> {
    return this.run(() => this.room.lifecycle.preview());
  }

  // ---------------------------------------------------------------- the runtime's handlers

  /** The WebSocket upgrade, forwarded by the Worker with the verified actor (upgrade-request.ts). */
  override async fetch(request: Request): Promise<Response> {
    const admission = readUpgrade(request);
    return admission ? this.room.realtime.admit(admission) : new Response("Not found", { status: 404 });
  }

  override async webSocketMessage(socket: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    if (this.room.realtime.receive(socket, raw)) void this.room.schedule.settle();
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    this.room.sockets.closedByClient(socket, code, reason);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.room.sockets.forget(socket);
  }

  override async alarm(): Promise<void> {
    this.room.schedule.rang();
    await this.room.schedule.runDue();
  }

  // ---------------------------------------------------------------- the door

  /** The session, when the actor holds `permission` in it; a refusal otherwise. */
  private authorize(actor: Actor, permission: Permission): SessionRow {
    const session = this.room.state.requireSession();
    const denial = authorize(session, this.room.participants.member(actor.userId), permission);
    if (denial) refuse(denial.status, denial.code, denial.message);
    return session;
  }

  /** A call that changes nothing, once the actor holds `permission`. */
  private read<T>(actor: Actor, permission: Permission, answer: (session: SessionRow) => T | Promise<T>) {
    return this.run(() => answer(this.authorize(actor, permission)));
  }

  /** A call that changes the session: the change, then what follows a change, then the answer. */
  private change<R, T>(mutate: () => R | Promise<R>, answer: (result: R) => T): Promise<RoomResult<T>> {
    return this.run(async () => {
      const result = await mutate();
      await this.room.schedule.settle();
      return answer(result);
    });
  }

  /** Runs one RPC: a refusal becomes a RoomResult error; anything else is a bug and is rethrown. */
  private async run<T>(operation: () => T | Promise<T>): Promise<RoomResult<T>> {
    try {
      return success(await operation());
    } catch (error) {
      if (error instanceof RoomFailure) return { ok: false, error: error.error };
      throw error;
    }
  }
}
