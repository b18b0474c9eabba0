// RealtimeSession, the SDK's live-editing client: composes the connection and the document sync behind one API.
/**
 * The client side of the realtime protocol (CONTRACT §6) for browsers, workerd and Node. Its Connection
 * (connection.ts) gets a single-use ticket over HTTP, opens the WebSocket and keeps it open; its DocumentSync
 * (document-sync.ts) keeps the local text in step with the server's through an OtClient (one op in flight, later
 * edits buffered) and the remote cursors on it. This class routes the server's messages between them, keeps what
 * the server says about the session (role, participants, comments, status), checks local edits and comments before
 * they go out, and announces it all as events; OwnPresence (own-presence.ts) sends this user's presence.
 */

import type { Permission, Role } from "../domain/permissions";
import {
  CLOSE,
  type Comment,
  MAX_COMMENT_CHARS,
  type PresenceState,
  type PresenceStatus,
  type ServerMessage,
} from "../domain/protocol";
import type { Participant, SessionView } from "../domain/schemas";
import { Connection, cancel, type Timer } from "./connection";
import { DocumentSync } from "./document-sync";
import { type Cursor, OtClientError, type OutgoingOp, type TextOp } from "./ot-client";
import { OwnPresence } from "./own-presence";
import {
  type ConnectionStatus,
  type Emit,
  RealtimeError,
  type RealtimeEvents,
  type RealtimeSessionOptions,
} from "./realtime-types";

export type {
  ConnectionStatus,
  RealtimeErrorCode,
  RealtimeEvents,
  RealtimeSessionOptions,
  StatusEvent,
  WebSocketLike,
} from "./realtime-types";
export type { Cursor, PresenceState, PresenceStatus, TextOp };
export { RealtimeError };

type Listener<T> = (payload: T) => void;
type Message = Exclude<ServerMessage, { type: "closing" }>;

/** What the server accepts as a client id. */
const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Wait before sending the op in flight again after the server dropped a message for flooding. */
const RATE_LIMIT_RETRY_MS = 1_000;

export class RealtimeSession {
  readonly clientId: string;
  // Listener<never> accepts a listener of any payload; on() and #emit() pair each event with its payload type.
  readonly #listeners = new Map<keyof RealtimeEvents, Set<Listener<never>>>();
  readonly #connection: Connection;
  readonly #sync: DocumentSync;

  #you: { user_id: string; role: Role; permissions: Permission[] } | null = null;
  #session: SessionView | null = null;
  #participants: Participant[] = [];
  readonly #own: OwnPresence;
  #resendTimer: Timer | null = null;
  #comments: Comment[] = [];
  #pendingAnnounced = 0;

  constructor(options: RealtimeSessionOptions) {
    this.clientId = options.clientId ?? crypto.randomUUID();
    if (!CLIENT_ID.test(this.clientId)) throw new TypeError("clientId: 1 to 64 letters, digits, '-' or '_'");
    const emit: Emit = (event, payload) => this.#emit(event, payload);
    this.#sync = new DocumentSync(this.clientId, emit, (op) => this.#own.shift(op));
    this.#connection = new Connection(
      { ...options, clientId: this.clientId },
      {
        status: (event) => emit("status", event),
        ticketError: (error) => emit("error", error),
        resumeFrom: () => this.#sync.resumeFrom(),
        message: (message) => this.#onMessage(message),
        serverClosed: (code) => {
          // The server refused a frame as too big; only an op can be that big, so it was never applied.
          if (code === CLOSE.tooBig) this.#sync.planStartOver("MESSAGE_TOO_BIG", false);
        },
        detached: () => {
          this.#resendTimer = cancel(this.#resendTimer);
        },
        stopped: () => this.#own.stop(),
      },
    );
    this.#own = new OwnPresence({
      live: () => this.#connection.live,
      synchronized: () => this.#sync.synchronized,
      send: (message) => this.#connection.send(message),
    });
  }

  // ---------------------------------------------------------------- state

  get status(): ConnectionStatus {
    return this.#connection.status;
  }

  get text(): string {
    return this.#sync.text;
  }

  /** The last server revision this client has. */
  get rev(): number {
    return this.#sync.rev;
  }

  /** True when every local edit has been acknowledged by the server. */
  get synchronized(): boolean {
    return this.#sync.synchronized;
  }

  /** How many local edits the server has not acknowledged yet (sent and in flight, or waiting behind it). */
  get pendingEdits(): number {
    return this.#sync.pendingCount;
  }

  get userId(): string | null {
    return this.#you?.user_id ?? null;
  }

  get role(): Role | null {
    return this.#you?.role ?? null;
  }

  get permissions(): readonly Permission[] {
    return this.#you?.permissions ?? [];
  }

  get session(): SessionView | null {
    return this.#session;
  }

  get participants(): readonly Participant[] {
    return this.#participants;
  }

  get presence(): ReadonlyMap<string, PresenceState> {
    return this.#sync.presence;
  }

  /** The comments known so far, oldest first: the welcome's latest ones, then each new one. */
  get comments(): readonly Comment[] {
    return this.#comments;
  }

  on<K extends keyof RealtimeEvents>(event: K, listener: Listener<RealtimeEvents[K]>): () => void {
    let listeners = this.#listeners.get(event);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(event, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  // ---------------------------------------------------------------- connection

  /** Opens the session; resolves at the first welcome, rejects if the server refuses for good or close() is called. */
  connect(): Promise<void> {
    return this.#connection.start();
  }

  /** Closes the connection for good; local state stays readable. */
  close(): void {
    this.#connection.close();
  }

  /**
   * Tries to connect at once when a retry is waiting out its backoff (the network came back, say). Does nothing while
   * connected or connecting, or after close().
   */
  reconnectNow(): void {
    this.#connection.retryNow();
  }

  /**
   * Lets the current socket go and retries with the usual backoff: for when the network is known to be gone (the
   * browser went offline) and the socket may not notice for a while. Edits made meanwhile wait and go out later.
   */
  dropConnection(reason = "offline"): void {
    this.#connection.reconnectNow(reason);
  }

  // ---------------------------------------------------------------- incoming frames

  #onMessage(message: Message): void {
    try {
      this.#handle(message);
    } catch (error) {
      // A revision gap or a malformed op: the local copy cannot be trusted, so start over from the server's.
      if (!(error instanceof OtClientError)) throw error;
      // The unsent edits still stand on the last server text this client had.
      this.#sync.planStartOver(error.code, true);
      this.#connection.reconnectNow(error.message);
    }
    this.#announcePending();
  }

  /** Emits `pending` when the number of unacknowledged edits changed since it was last announced. */
  #announcePending(): void {
    const count = this.#sync.pendingCount;
    if (count === this.#pendingAnnounced) return;
    this.#pendingAnnounced = count;
    this.#emit("pending", { count });
  }

  #handle(message: Message): void {
    switch (message.type) {
      case "welcome":
        this.#onWelcome(message);
        return;
      case "ack":
        this.#sendOp(this.#sync.applyAck(message.rev, message.seq));
        this.#own.acknowledged();
        return;
      case "op":
        this.#sync.applyRemote(message.rev, message.op, message.user_id);
        return;
      case "presence":
        this.#sync.applyPresence(message, this.#you?.user_id);
        return;
      case "participant_joined":
        this.#participants = [
          ...this.#participants.filter((participant) => participant.user_id !== message.participant.user_id),
          message.participant,
        ];
        this.#emit("participants", this.#participants);
        return;
      case "participant_left":
        this.#participants = this.#participants.filter((participant) => participant.user_id !== message.user_id);
        this.#emit("participants", this.#participants);
        this.#sync.removePresence(message.user_id);
        return;
      case "role_changed":
        this.#onRoleChanged(message.user_id, message.role, message.permissions);
        return;
      case "comment":
        this.#addComments([message.comment]);
        return;
      case "recording":
        if (this.#session) this.#session = { ...this.#session, is_recording: message.is_recording };
        this.#emit("recording", { is_recording: message.is_recording, recording_id: message.recording_id });
        return;
      case "session_status":
        if (this.#session) this.#session = { ...this.#session, status: message.status };
        this.#emit("session_status", message.status);
        return;
      case "join_refused":
        this.#emit("join_refused", {
          user_id: message.user_id,
          display_name: message.display_name,
          max_participants: message.max_participants,
        });
        return;
      case "error":
        this.#onServerError(message);
        return;
      case "pong":
        return;
    }
  }

  #onWelcome(welcome: Extract<ServerMessage, { type: "welcome" }>): void {
    this.#sync.welcome(welcome);

    const previousRole = this.#you;
    this.#you = { user_id: welcome.you.user_id, role: welcome.you.role, permissions: welcome.you.permissions };
    const previousStatus = this.#session?.status;
    this.#session = welcome.session;
    this.#participants = welcome.participants;
    this.#sync.resetPresence(welcome.presence, welcome.you.user_id);

    this.#connection.welcomed();
    if (previousRole?.role !== welcome.you.role || previousRole.permissions.join() !== welcome.you.permissions.join()) {
      this.#emit("role", { role: welcome.you.role, permissions: welcome.you.permissions });
    }
    if (previousStatus !== welcome.session.status) this.#emit("session_status", welcome.session.status);
    this.#emit("participants", this.#participants);
    this.#sync.announcePresence();
    this.#addComments(welcome.comments ?? []);

    // Resumed, the op in flight goes again (same seq): the server applies it only if it has not already. Rebased,
    // the first kept edit goes out with a new seq.
    this.#sendOp(this.#sync.resendInFlight(welcome.doc.rev));
    // Others lost this client's cursor (and the lead it handed) with the connection: announce it again.
    if (!welcome.you.permissions.includes("manage_session")) this.#own.dropLead();
    this.#own.welcomed();
    this.#connection.resolveReady();
  }

  /** Records comments not seen yet (a welcome repeats the ones from before a reconnect) and announces each once. */
  #addComments(comments: readonly Comment[]): void {
    const known = new Set(this.#comments.map((comment) => comment.id));
    const fresh = comments.filter((comment) => !known.has(comment.id));
    if (fresh.length === 0) return;
    this.#comments = [...this.#comments, ...fresh].sort((first, second) => first.id - second.id);
    for (const comment of fresh) this.#emit("comment", comment);
  }

  #onRoleChanged(userId: string, role: Role, permissions: Permission[]): void {
    this.#participants = this.#participants.map((participant) =>
      participant.user_id === userId ? { ...participant, role } : participant,
    );
    this.#emit("participants", this.#participants);
    if (!this.#you || userId !== this.#you.user_id) return;
    this.#you = { ...this.#you, role, permissions };
    // The server lets a lead handed by someone who no longer runs the session lapse; so does this client.
    if (!permissions.includes("manage_session")) this.#own.dropLead();
    this.#emit("role", { role, permissions });
  }

  #onServerError(message: { code: string; message: string; seq?: number }): void {
    const { code, message: text, seq } = message;
    this.#emit("error", seq === undefined ? { code, message: text } : { code, message: text, seq });
    const inFlight = this.#sync.inFlightSeq;
    if (message.code === "RATE_LIMITED") {
      // The server dropped a message for flooding (it names the op when it was one): the op in flight and the
      // presence are safe to send again (the server acks a seq it already applied once more, and applies it once).
      this.#resendTimer = cancel(this.#resendTimer);
      this.#resendTimer = setTimeout(() => {
        this.#resendTimer = null;
        this.#sendOp(this.#sync.resendInFlight());
        this.#own.resend();
      }, RATE_LIMIT_RETRY_MS);
    } else if (message.code === "RESYNC_REQUIRED") {
      // The server no longer has the revision the op in flight is based on; the op itself was not refused.
      this.#sync.planStartOver(message.code, true);
      this.#connection.reconnectNow(message.message);
    } else if (message.seq !== undefined && message.seq === inFlight) {
      // The op in flight was refused and the buffer was built on it: start over from the server's text.
      this.#sync.planStartOver(message.code, false);
      this.#connection.reconnectNow(message.message);
    }
  }

  // ---------------------------------------------------------------- editing

  /** Inserts `text` at code point `position`. */
  insert(position: number, text: string): void {
    if (text === "") return;
    this.applyLocal(position === 0 ? [text] : [position, text]);
  }

  /** Deletes `length` code points from code point `position`. */
  delete(position: number, length: number): void {
    if (length === 0) return;
    this.applyLocal(position === 0 ? [{ d: length }] : [position, { d: length }]);
  }

  /**
   * Applies an `ot-text-unicode` op to the local text and sends it when nothing else is in flight. Throws, changing
   * nothing, before the first welcome, without the `edit` permission, when the session is not active, or for an op
   * the server would refuse (OtClientError).
   */
  applyLocal(op: TextOp): void {
    if (!this.#sync.started)
      throw new RealtimeError("NOT_CONNECTED", "Edits are possible once the session has connected");
    if (!this.permissions.includes("edit")) {
      throw new RealtimeError("FORBIDDEN", `Your role (${this.role}) does not allow editing`);
    }
    const status = this.#session?.status;
    if (status === "paused") throw new RealtimeError("FORBIDDEN", "The session is paused");
    if (status === "ended" || status === "archived") {
      throw new RealtimeError("SESSION_NOT_ACTIVE", `The session is ${status} and read-only`);
    }
    this.#sendOp(this.#sync.applyLocal(op));
    this.#announcePending();
  }

  /** Shares this user's cursor (on the local text); at most one message per 50 ms, the latest one wins. */
  setPresence(cursor: Cursor | null, status?: PresenceStatus): void {
    this.#own.set(cursor, status);
  }

  /**
   * Hands the lead (whose line the band follows in the performance view) to participant `userId`, or takes it back
   * with null. Needs `manage_session`; carried by this user's presence, so it lasts while they are connected.
   */
  handLead(userId: string | null): void {
    if (!this.permissions.includes("manage_session")) {
      throw new RealtimeError("FORBIDDEN", `Your role (${this.role}) does not allow handing the lead`);
    }
    this.#own.handLead(userId === this.userId ? null : userId);
  }

  /** Whom this user has handed the lead to; null when they have not. */
  get lead(): string | null {
    return this.#own.lead;
  }

  /** Posts a comment; it comes back to every participant, this one included, as a `comment` event. */
  comment(text: string, anchor?: { from: number; to: number }): void {
    if (!this.#connection.live) throw new RealtimeError("NOT_CONNECTED", "Comments need an open connection");
    if (!this.permissions.includes("comment")) {
      throw new RealtimeError("FORBIDDEN", `Your role (${this.role}) does not allow comments`);
    }
    const length = text.trim().length;
    if (length === 0 || length > MAX_COMMENT_CHARS) {
      throw new RealtimeError("INVALID_COMMENT", `A comment has 1 to ${MAX_COMMENT_CHARS} characters`);
    }
    this.#connection.send(anchor ? { type: "comment", text, anchor } : { type: "comment", text });
  }

  // ---------------------------------------------------------------- outgoing

  /** Sends an op now if connected; otherwise it stays in flight in the OtClient and goes again after the welcome. */
  #sendOp(outgoing: OutgoingOp | null): void {
    if (outgoing) this.#connection.send({ type: "op", seq: outgoing.seq, rev: outgoing.rev, op: outgoing.op });
  }

  #emit<K extends keyof RealtimeEvents>(event: K, payload: RealtimeEvents[K]): void {
    const listeners = this.#listeners.get(event) as Set<Listener<RealtimeEvents[K]>> | undefined;
    if (!listeners) return;
    for (const listener of [...listeners]) {
      try {
        listener(payload);
      } catch (error) {
        // A failing listener must not break the protocol state; report it where uncaught errors go.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
