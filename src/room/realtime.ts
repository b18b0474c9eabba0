/**
 * The object's side of the WebSocket protocol: who may connect, the welcome, and each message (ops to the sequencer,
 * presence, comments, pings) with its rate limit; ops are acked to their author and sent to everyone else.
 */
import type { Actor } from "../domain/actor";
import { authorize, type Role } from "../domain/permissions";
import {
  CLOSE,
  type ClientMessage,
  MAX_FRAME_BYTES,
  type PresenceStatus,
  type ServerMessage,
} from "../domain/protocol";
import type { Comments } from "./comments";
import type { Lifecycle } from "./lifecycle";
import { parseClientMessage } from "./messages";
import type { Participants } from "./participants";
import { burstSize, takeToken } from "./rate-limit";
import type { Reads } from "./reads";
import { RECORDING_FLUSH_DELAY_MS, type Recorder } from "./recorder";
import { refusedSocket } from "./refused-socket";
import { type RoomError, RoomFailure, refuse } from "./result";
import type { SessionRow } from "./rows";
import type { Schedule } from "./schedule";
import type { Sequencer } from "./sequencer";
import type { SessionState } from "./session-state";
import type { SocketState, Sockets } from "./sockets";

/** Sockets one user may hold open to a session. */
const MAX_CONNECTIONS_PER_USER = 8;
/** Messages dropped in a row for flooding before the socket is closed. */
const MAX_STRIKES = 20;
/** A recording samples each user's presence at most this often. */
const PRESENCE_SAMPLE_MS = 1_000;
/** How long a used ticket id is remembered past its expiry. */
const TICKET_MEMORY_MS = 120_000;

export interface RealtimeParts {
  state: SessionState;
  participants: Participants;
  sequencer: Sequencer;
  sockets: Sockets;
  comments: Comments;
  recorder: Recorder;
  lifecycle: Lifecycle;
  reads: Reads;
  schedule: Schedule;
  messagesPerSecond: number;
}

/** What the upgrade asks for, as the Worker verified it. */
export interface Admission {
  actor: Actor;
  clientId: string;
  /** The ticket's id, spent here; empty for a bearer-token upgrade. */
  ticketId: string;
  sinceRev: number | null;
}

export class Realtime {
  /** When each user's presence was last sampled into the recording. */
  private readonly presenceSampledAt = new Map<string, number>();

  constructor(private readonly parts: RealtimeParts) {
    parts.sockets.onGone = (socket, state) => this.socketGone(socket, state);
  }

  /** Why the user may not open a socket now: who they are first, then the session's state, then their share. */
  refusal(session: SessionRow, userId: string): (RoomError & { close: number }) | null {
    const member = this.parts.participants.member(userId);
    if (member?.status !== "active") {
      const denial = authorize(session, member, "edit");
      const code = denial?.code ?? "FORBIDDEN";
      return { status: 403, code, message: "Join the session before connecting", close: CLOSE.noAccess };
    }
    const unreadable = authorize(session, member, "read");
    if (unreadable) return { ...unreadable, status: 403, close: CLOSE.noAccess };
    if (session.status === "ended" || session.status === "archived") {
      const message = `The session is ${session.status}`;
      return { status: 409, code: "SESSION_NOT_ACTIVE", message, close: CLOSE.sessionClosed };
    }
    // Only the member's own sockets count against them, so no one can use up another member's share.
    if (this.parts.sockets.live(userId).length >= MAX_CONNECTIONS_PER_USER) {
      return {
        status: 409,
        code: "TOO_MANY_CONNECTIONS",
        message: `You have ${MAX_CONNECTIONS_PER_USER} connections to this session already; close one first`,
        close: CLOSE.tooManyConnections,
      };
    }
    return null;
  }

  /** Whether the actor may connect now, and as what; the ticket route asks before issuing a ticket. */
  check(actor: Actor): { role: Role } {
    const refusal = this.refusal(this.parts.state.requireSession(), actor.userId);
    if (refusal) refuse(refusal.status, refusal.code, refusal.message);
    return { role: this.parts.participants.member(actor.userId)!.role };
  }

  /** Answers an upgrade: a socket of the session with its welcome, or a refused socket; 404 when there is no session. */
  admit({ actor, clientId, ticketId, sinceRev }: Admission): Response {
    const { state, sockets } = this.parts;
    const session = state.sessionOrNull();
    if (!session) return new Response(null, { status: 404 });
    const now = state.clock();
    let refusal: { close: number; message: string } | null = null;
    if (ticketId && !this.spendTicket(ticketId, now)) {
      refusal = { close: CLOSE.badTicket, message: "This ticket was already used; ask for a new one" };
    }
    refusal ??= this.refusal(session, actor.userId);
    if (refusal) return refusedSocket(refusal.close, refusal.message);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    sockets.accept(server, {
      user_id: actor.userId,
      client_id: clientId,
      connected_at: now,
      tokens: burstSize(this.parts.messagesPerSecond),
      refilled_at: now,
      strikes: 0,
      presence: { cursor: null, status: "active", sent_at: 0 },
    });
    // An older connection of this client gets nothing more, so a late frame on it can never follow this welcome.
    sockets.supersede(server, actor.userId, clientId);
    sockets.send(server, this.welcome(actor.userId, clientId, sinceRev));
    sockets.broadcast(
      { type: "presence", user_id: actor.userId, cursor: null, status: "active", online: true },
      server,
    );
    const online = sockets.onlineUsers().size;
    if (online > Number(state.meta("peak_online") ?? "0")) state.setMeta("peak_online", String(online));
    this.parts.recorder.capture("connected", actor.userId, { client_id: clientId });
    this.parts.lifecycle.noteSocketActivity();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Handles one frame; answers whether it changed what D1 or R2 must learn (then the caller settles). */
  receive(socket: WebSocket, raw: string | ArrayBuffer): boolean {
    const { sockets } = this.parts;
    const state = sockets.stateOf(socket);
    if (!state) return false;
    const size = typeof raw === "string" ? raw.length * 2 : raw.byteLength;
    if (
      size > MAX_FRAME_BYTES &&
      (typeof raw !== "string" || new TextEncoder().encode(raw).byteLength > MAX_FRAME_BYTES)
    ) {
      sockets.close(socket, CLOSE.tooBig, "Messages are limited to 64 KiB");
      return false;
    }
    // The token bucket lives in memory only: after hibernation (ten quiet seconds at least) it would be full anyway.
    if (!takeToken(state, this.parts.state.clock(), this.parts.messagesPerSecond)) {
      state.strikes += 1;
      if (state.strikes >= MAX_STRIKES) {
        sockets.close(socket, CLOSE.rateLimited, "Too many messages");
      } else {
        // A dropped op is named, so its author knows to send it again.
        const dropped = parseClientMessage(raw);
        const seq = "type" in dropped && dropped.type === "op" ? { seq: dropped.seq } : {};
        sockets.send(socket, { type: "error", code: "RATE_LIMITED", message: "Slow down: too many messages", ...seq });
      }
      return false;
    }
    state.strikes = 0;
    const message = parseClientMessage(raw);
    if ("error" in message) {
      sockets.send(socket, { type: "error", code: "INVALID_MESSAGE", message: message.error });
      return false;
    }
    try {
      return this.handle(socket, state, message);
    } catch (error) {
      if (!(error instanceof RoomFailure)) throw error;
      const seq = message.type === "op" ? { seq: message.seq } : {};
      sockets.send(socket, { type: "error", code: error.error.code, message: error.error.message, ...seq });
      return false;
    }
  }

  private handle(socket: WebSocket, state: SocketState, message: ClientMessage): boolean {
    switch (message.type) {
      case "ping":
        this.parts.sockets.send(socket, { type: "pong" });
        return false;
      case "presence": {
        this.presence(
          socket,
          state,
          message.cursor,
          message.status ?? state.presence.status,
          this.lead(state, message),
        );
        return false;
      }
      case "comment":
        this.comment(state, message.text, message.anchor ?? null);
        return true;
      case "op":
        this.op(socket, state, message.seq, message.rev, message.op);
        return false;
    }
  }

  /** Sequences one op, then acks it to its author and sends it to everyone else. */
  private op(socket: WebSocket, state: SocketState, seq: number, baseRev: number, rawOp: unknown): void {
    const { sequencer, sockets, recorder } = this.parts;
    const session = this.parts.state.requireSession();
    // A resend of an op already in the text gets its ack whatever has changed since (a pause, a demotion): it
    // changes nothing, and its author must not take it for lost.
    const earlier = sequencer.resendOf(state.user_id, state.client_id, seq);
    if (earlier !== null) {
      sockets.send(socket, { type: "ack", seq, rev: earlier });
      return;
    }
    const denial = authorize(session, this.parts.participants.member(state.user_id), "edit");
    if (denial) refuse(403, "FORBIDDEN", denial.message);
    const result = sequencer.submit({ userId: state.user_id, clientId: state.client_id, seq, baseRev, op: rawOp }, () =>
      recorder.logFloor(),
    );
    if (result.kind === "duplicate") {
      sockets.send(socket, { type: "ack", seq, rev: result.rev });
      return;
    }
    this.parts.lifecycle.noteSocketActivity();
    sockets.send(socket, { type: "ack", seq, rev: result.rev });
    sockets.broadcast({ type: "op", rev: result.rev, op: result.op, user_id: state.user_id }, socket);
    recorder.flushIfFull();
    // An op can only bring a deadline as near as the next auto-save or recording flush.
    const clock = this.parts.state.clock();
    this.parts.schedule.armBy(clock + Math.min(session.settings.auto_save_interval * 1000, RECORDING_FLUSH_DELAY_MS));
  }

  private presence(
    socket: WebSocket,
    state: SocketState,
    cursor: { anchor: number; head: number } | null,
    status: PresenceStatus,
    lead: string | null,
  ): void {
    // Every participant may send presence, whatever the role, and every one goes out: dropping one that came
    // quickly would lose the latest position. The connection's message budget (the token bucket) bounds them.
    const now = this.parts.state.clock();
    this.parts.lifecycle.noteSocketActivity();
    state.presence = { cursor, status, sent_at: now, lead };
    this.parts.sockets.keep(socket, state);
    if (now - (this.presenceSampledAt.get(state.user_id) ?? 0) >= PRESENCE_SAMPLE_MS && this.parts.recorder.active()) {
      this.presenceSampledAt.set(state.user_id, now);
      this.parts.recorder.capture("presence", state.user_id, { cursor, status });
    }
    this.parts.sockets.broadcast(
      { type: "presence", user_id: state.user_id, cursor, status, online: true, ...(lead ? { lead } : {}) },
      socket,
    );
  }

  /**
   * Whom a presence message says the sender has handed the lead to (whose line the band follows): the one it names,
   * refused when the sender may not run the session or it names no participant; or, when it names none, the one
   * handed before, which lapses quietly once it no longer holds (that person left, the sender no longer runs it).
   */
  private lead(state: SocketState, message: { lead?: string | null }): string | null {
    if (message.lead !== undefined) {
      const refusal = message.lead === null ? null : this.leadRefusal(state.user_id, message.lead);
      if (refusal) refuse(refusal.status, refusal.code, refusal.message);
      return message.lead;
    }
    const kept = state.presence.lead ?? null;
    return kept !== null && this.leadRefusal(state.user_id, kept) === null ? kept : null;
  }

  private leadRefusal(userId: string, lead: string): RoomError | null {
    const session = this.parts.state.requireSession();
    const denial = authorize(session, this.parts.participants.member(userId), "manage_session");
    if (denial) return { ...denial, message: `Only those who run the session hand the lead: ${denial.message}` };
    if (this.parts.participants.member(lead)?.status !== "active") {
      return { status: 400, code: "INVALID_LEAD", message: "The lead can only go to a participant of this session" };
    }
    return null;
  }

  private comment(state: SocketState, text: string, anchor: { from: number; to: number } | null): void {
    const session = this.parts.state.requireSession();
    const member = this.parts.participants.member(state.user_id);
    const denial = authorize(session, member, "comment");
    if (denial) refuse(403, denial.code, denial.message);
    const comment = this.parts.comments.add(member!, text, anchor);
    this.parts.sockets.broadcast({ type: "comment", comment });
  }

  private welcome(userId: string, clientId: string, sinceRev: number | null): ServerMessage {
    const { reads, participants, sequencer, sockets, comments } = this.parts;
    const view = reads.viewFor(userId);
    const member = participants.member(userId)!;
    const document = sequencer.document();
    const catchUp = sinceRev === null ? null : sequencer.catchUp(sinceRev);
    return {
      type: "welcome",
      session: view,
      you: {
        user_id: userId,
        role: member.role,
        permissions: view.permissions,
        color: member.color,
        client_id: clientId,
        last_seq: sequencer.lastSeq(userId, clientId),
      },
      doc: { rev: document.rev, content: document.content },
      participants: view.participants,
      presence: sockets.presence(),
      comments: comments.recent(),
      ...catchUp,
    };
  }

  /** A socket stopped counting: its time is added to its user's, and others learn when that user went offline. */
  private socketGone(socket: WebSocket, state: SocketState): void {
    const seconds = Math.max(0, Math.round((this.parts.state.clock() - state.connected_at) / 1000));
    this.parts.participants.addConnectedTime(state.user_id, seconds);
    const stillOnline = this.parts.sockets.live(state.user_id).some((other) => other !== socket);
    if (!stillOnline) {
      this.parts.sockets.broadcast(
        { type: "presence", user_id: state.user_id, cursor: null, status: "away", online: false },
        socket,
      );
    }
  }

  /** Spends a ticket once: a second use is refused while the ticket could still be valid. */
  private spendTicket(ticketId: string, now: number): boolean {
    const sql = this.parts.state.sql;
    sql.exec("DELETE FROM used_tickets WHERE expires_at_ms < ?", now - TICKET_MEMORY_MS);
    if (sql.exec("SELECT 1 FROM used_tickets WHERE id = ?", ticketId).toArray().length > 0) return false;
    sql.exec("INSERT INTO used_tickets (id, expires_at_ms) VALUES (?, ?)", ticketId, now + 60_000);
    return true;
  }
}
