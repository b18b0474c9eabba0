/**
 * RealtimeSession: the client side of the realtime protocol (CONTRACT §6) for browsers, workerd and Node. It gets a
 * single-use ticket over HTTP, opens the WebSocket, feeds the server's messages to an OtClient (one op in flight,
 * later edits buffered) and keeps remote cursors in step with the local text.
 *
 * Reconnects: every attempt gets a fresh ticket and, once the client holds a document, asks for `since_rev`, the
 * last server revision it has. The welcome's `missed` ops are replayed oldest first (this client's own ops come back
 * as acks), then the op still in flight is sent again with its seq; the server applies a (client_id, seq) at most
 * once. Where that cannot work (the server answers `resync` or RESYNC_REQUIRED, or the revisions do not line up)
 * the client starts over from a fresh welcome and moves its unsent edits onto the server's text (rebase-unsent.ts),
 * sending them again with new seqs (`resynced`). Only when the server refused the op in flight (the later edits were
 * built on it) does it drop them, reporting them as `lost_edits`.
 *
 * The server announces each close it starts with a `closing` message; the client acts on it at once, as on the
 * close itself, because some runtimes deliver the close frame's event seconds later.
 */

import { parseOp } from "../domain/ot";
import type { Permission, Role, SessionStatus } from "../domain/permissions";
import {
  CLOSE,
  type Comment,
  MAX_COMMENT_CHARS,
  type MissedOp,
  type PresenceState,
  type PresenceStatus,
  type ServerMessage,
  TERMINAL_CLOSE_CODES,
} from "../domain/protocol";
import type { Participant, SessionView } from "../domain/schemas";
import { diffOp } from "../domain/text-diff";
import { type Cursor, OtClient, OtClientError, type OutgoingOp, type TextOp, transformCursor } from "./ot-client";
import { carryUnsentOnto } from "./rebase-unsent";

export type { Cursor, PresenceState, PresenceStatus, TextOp };

/** The part of a WebSocket this client uses, so tests and workerd (`response.webSocket`) can supply their own. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "error", listener: () => void): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
}

export interface RealtimeSessionOptions {
  /** Origin of the API, e.g. "https://sessions.example.com"; routes live under /api/v1. */
  baseUrl: string;
  sessionId: string;
  /** Called before every ticket request, so a refreshed token is picked up on reconnect. */
  getToken: () => string | Promise<string>;
  /** Identifies this editor instance; the server dedups resent ops by (client_id, seq). */
  clientId?: string;
  connect?: (url: string) => WebSocketLike;
  fetch?: typeof fetch;
  /** Full-jitter exponential backoff: delay = random() * min(maxMs, initialMs * 2^attempt). */
  backoff?: { initialMs: number; maxMs: number };
  random?: () => number;
  /** Ping interval; a connection (or handshake) silent for twice this long is dropped and reopened. 0: never. */
  heartbeatMs?: number;
}

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "closed";

export type StatusEvent =
  | { status: "connecting"; attempt: number }
  | { status: "connected" }
  | { status: "reconnecting"; code: number; reason: string; attempt: number; delayMs: number }
  | { status: "closed"; code: number; reason: string; terminal: boolean };

export interface RealtimeEvents {
  status: StatusEvent;
  /** The local text changed; `op` turns the previous text into `text` (code points). */
  text: { text: string; op: TextOp; origin: "local" | "remote" };
  /** Other users' presence, cursors mapped onto the local text. */
  presence: ReadonlyMap<string, PresenceState>;
  comment: Comment;
  participants: readonly Participant[];
  role: { role: Role; permissions: readonly Permission[] };
  session_status: SessionStatus;
  recording: { is_recording: boolean; recording_id?: string };
  /** A server `error` frame, or a failed ticket request. */
  error: { code: string; message: string; seq?: number };
  /** Local edits the server never applied, dropped when the client started over from the server's text. */
  lost_edits: { ops: TextOp[]; text: string; reason: string };
  /**
   * The client started over from the server's text (`reason`: RESYNC, RESYNC_REQUIRED, REVISION_GAP, …) and kept
   * its unsent edits: `kept` holds them as moved onto that text (they go to the server again with new seqs), `text`
   * is the result. An edit that could not be kept is reported by a `lost_edits` just before.
   */
  resynced: { reason: string; kept: TextOp[]; text: string };
}

type Listener<T> = (payload: T) => void;

export type RealtimeErrorCode = "NOT_CONNECTED" | "FORBIDDEN" | "SESSION_NOT_ACTIVE" | "INVALID_COMMENT" | "CLOSED";

export class RealtimeError extends Error {
  constructor(
    readonly code: RealtimeErrorCode,
    message: string,
    readonly closeCode?: number,
  ) {
    super(message);
    this.name = "RealtimeError";
  }
}

const SOCKET_OPEN = 1;
const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 };
const DEFAULT_HEARTBEAT_MS = 30_000;
const PRESENCE_INTERVAL_MS = 50;
/** Close code this client uses when it drops a connection itself (to start over, or a silent peer). */
const CLIENT_DROP = 4000;

/** What the server accepts as a client id. */
const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Wait before sending the op in flight again after the server dropped a message for flooding. */
const RATE_LIMIT_RETRY_MS = 1_000;

/**
 * The close code matching a ticket refusal that retrying will not cure, or null to retry. A 409 is final only for a
 * session that ended; "too many connections" (also a 409) may clear up, like close code 4409.
 */
function terminalTicketCode(error: TicketError): number | null {
  if (error.status === 403) return CLOSE.noAccess;
  if (error.status === 400 || error.status === 404) return CLOSE.noSession;
  if (error.status === 410 || (error.status === 409 && error.code === "SESSION_NOT_ACTIVE")) return CLOSE.sessionClosed;
  return null;
}

class TicketError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Timer = ReturnType<typeof setTimeout>;

/** Clears a timer; null in, null out. Browser, Node and Workers typings disagree on what clearTimeout accepts. */
function cancel(timer: Timer | null): null {
  if (timer !== null) clearTimeout(timer);
  return null;
}

export class RealtimeSession {
  readonly clientId: string;
  readonly #sessionId: string;
  readonly #baseUrl: string;
  readonly #getToken: () => string | Promise<string>;
  readonly #openSocket: (url: string) => WebSocketLike;
  readonly #fetch: typeof fetch;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #random: () => number;
  readonly #heartbeatMs: number;
  // Listener<never> accepts a listener of any payload; on() and #emit() pair each event with its payload type.
  readonly #listeners = new Map<keyof RealtimeEvents, Set<Listener<never>>>();

  #ot: OtClient | null = null;
  #socket: WebSocketLike | null = null;
  /** The current socket has delivered its welcome: ops may flow. */
  #welcomed = false;
  /** The revision this attempt asked to resume from; null asks for a fresh start. */
  #sinceRev: number | null = null;
  /**
   * Set when the next welcome must replace the local document. `keepUnsent`: the unsent edits still stand on the
   * server text this client knew, so they can be moved onto the new one; false once the server refused one of them.
   */
  #startOver: { reason: string; keepUnsent: boolean } | null = null;
  #status: ConnectionStatus = "closed";
  /** close() was called or the server refused for good: no more attempts. */
  #stopped = true;
  /** Consecutive attempts without a welcome, for the backoff. */
  #attempt = 0;
  /** Bumped by every attempt and by close(), so a stale ticket request drops its result. */
  #generation = 0;
  #ready: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | null = null;
  #reconnectTimer: Timer | null = null;
  #heartbeatTimer: Timer | null = null;
  #lastFrameAt = 0;

  #you: { user_id: string; role: Role; permissions: Permission[] } | null = null;
  #session: SessionView | null = null;
  #participants: Participant[] = [];
  #presence = new Map<string, PresenceState>();
  #myPresence: { cursor: Cursor | null; status?: PresenceStatus } | null = null;
  #presenceDirty = false;
  #presenceSentAt = Number.NEGATIVE_INFINITY;
  #presenceTimer: Timer | null = null;
  #resendTimer: Timer | null = null;
  #comments: Comment[] = [];

  constructor(options: RealtimeSessionOptions) {
    this.clientId = options.clientId ?? crypto.randomUUID();
    if (!CLIENT_ID.test(this.clientId)) throw new TypeError("clientId: 1 to 64 letters, digits, '-' or '_'");
    this.#sessionId = options.sessionId;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#getToken = options.getToken;
    this.#openSocket = options.connect ?? ((url) => new WebSocket(url));
    // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    const fetchImpl = options.fetch ?? fetch;
    this.#fetch = (input, init) => fetchImpl(input, init);
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  // ---------------------------------------------------------------- state

  get status(): ConnectionStatus {
    return this.#status;
  }

  get text(): string {
    return this.#ot?.text ?? "";
  }

  /** The last server revision this client has. */
  get rev(): number {
    return this.#ot?.rev ?? 0;
  }

  /** True when every local edit has been acknowledged by the server. */
  get synchronized(): boolean {
    return this.#ot === null || this.#ot.state === "synchronized";
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
    return this.#presence;
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
    if (this.#ready) return this.#ready.promise;
    let resolve: () => void = () => {};
    let reject: (error: Error) => void = () => {};
    const promise = new Promise<void>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    // Callers that never await it must not get an unhandled rejection; those that do still see it.
    promise.catch(() => {});
    this.#ready = { promise, resolve, reject };
    this.#stopped = false;
    this.#attempt = 0;
    void this.#open();
    return promise;
  }

  /** Closes the connection for good; local state stays readable. */
  close(): void {
    if (this.#stopped) return;
    this.#dropSocket(1000, "closed by client");
    this.#finish(1000, "closed by client", false);
  }

  async #open(): Promise<void> {
    const generation = ++this.#generation;
    this.#setStatus({ status: "connecting", attempt: this.#attempt });
    let url: string;
    try {
      url = await this.#requestSocketUrl();
    } catch (error) {
      if (generation !== this.#generation || this.#stopped) return;
      const code = error instanceof TicketError ? error.code : "NETWORK_ERROR";
      const message = error instanceof Error ? error.message : String(error);
      this.#emit("error", { code, message });
      const terminalCode = error instanceof TicketError ? terminalTicketCode(error) : null;
      if (terminalCode !== null) this.#finish(terminalCode, message, true);
      else this.#scheduleReconnect(1006, message);
      return;
    }
    if (generation !== this.#generation || this.#stopped) return;
    let socket: WebSocketLike;
    try {
      socket = this.#openSocket(url);
    } catch (error) {
      this.#scheduleReconnect(1006, error instanceof Error ? error.message : String(error));
      return;
    }
    this.#socket = socket;
    this.#welcomed = false;
    socket.addEventListener("message", (event) => {
      if (this.#socket === socket) this.#onFrame(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (this.#socket === socket) this.#onSocketClosed(event.code, event.reason);
    });
    // Started now rather than at the welcome, so a handshake that never completes is given up too.
    this.#lastFrameAt = Date.now();
    this.#startHeartbeat();
  }

  /** Gets a ticket and builds the WebSocket URL with this client's id and the revision to resume from. */
  async #requestSocketUrl(): Promise<string> {
    let token: string;
    try {
      token = await this.#getToken();
    } catch (error) {
      throw new TicketError(0, "TOKEN_UNAVAILABLE", error instanceof Error ? error.message : String(error));
    }
    const response = await this.#fetch(
      `${this.#baseUrl}/api/v1/sessions/${encodeURIComponent(this.#sessionId)}/ticket`,
      { method: "POST", headers: { Authorization: `Bearer ${token}` } },
    );
    const body = (await response.json().catch(() => null)) as {
      data?: { ws_url?: string };
      error?: { code?: string; message?: string };
    } | null;
    const wsUrl = body?.data?.ws_url;
    if (!response.ok || typeof wsUrl !== "string") {
      throw new TicketError(
        response.status,
        body?.error?.code ?? `HTTP_${response.status}`,
        body?.error?.message ?? `The ticket request failed with HTTP ${response.status}`,
      );
    }
    const url = new URL(wsUrl, this.#baseUrl);
    if (url.protocol === "http:" || url.protocol === "https:") url.protocol = url.protocol.replace("http", "ws");
    url.searchParams.set("client_id", this.clientId);
    this.#sinceRev = this.#ot !== null && this.#startOver === null ? this.#ot.rev : null;
    if (this.#sinceRev !== null) url.searchParams.set("since_rev", String(this.#sinceRev));
    return url.toString();
  }

  #onSocketClosed(code: number, reason: string): void {
    this.#detachSocket();
    this.#afterClose(code, reason);
  }

  /**
   * The server said it is closing this connection: close it from this side and go on as its close would, now. The
   * socket is detached first, so its own close event, whenever it comes, is ignored.
   */
  #onClosing(code: number, reason: string): void {
    this.#dropSocket(1000, "closing");
    this.#afterClose(code, reason);
  }

  #afterClose(code: number, reason: string): void {
    if (TERMINAL_CLOSE_CODES.has(code)) {
      this.#finish(code, reason, true);
      return;
    }
    // The server refused a frame as too big; only an op can be that big, so it was never applied.
    if (code === CLOSE.tooBig) this.#planStartOver("MESSAGE_TOO_BIG", false);
    this.#scheduleReconnect(code, reason);
  }

  /** Drops the current connection from this side and tries again. */
  #reconnectNow(reason: string): void {
    if (!this.#socket) return;
    this.#dropSocket(CLIENT_DROP, reason);
    this.#scheduleReconnect(CLIENT_DROP, reason);
  }

  /** Detaches the current socket and closes it from this side; its close event will not be acted on. */
  #dropSocket(code: number, reason: string): void {
    const socket = this.#socket;
    this.#detachSocket();
    try {
      socket?.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** The next welcome replaces the local document; the first reason is reported, and one refusal drops the edits. */
  #planStartOver(reason: string, keepUnsent: boolean): void {
    this.#startOver = {
      reason: this.#startOver?.reason ?? reason,
      keepUnsent: (this.#startOver?.keepUnsent ?? true) && keepUnsent,
    };
  }

  #scheduleReconnect(code: number, reason: string): void {
    const { initialMs, maxMs } = this.#backoff;
    // The exponent is capped so the product cannot overflow to Infinity (or NaN with initialMs 0).
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(this.#attempt, 30));
    const delayMs = Math.floor(this.#random() * ceiling);
    this.#attempt++;
    this.#setStatus({ status: "reconnecting", code, reason, attempt: this.#attempt, delayMs });
    this.#reconnectTimer = cancel(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      void this.#open();
    }, delayMs);
  }

  #finish(code: number, reason: string, terminal: boolean): void {
    this.#stopped = true;
    this.#generation++;
    this.#reconnectTimer = cancel(this.#reconnectTimer);
    this.#presenceTimer = cancel(this.#presenceTimer);
    this.#setStatus({ status: "closed", code, reason, terminal });
    this.#ready?.reject(new RealtimeError("CLOSED", `The session connection closed (${code}): ${reason}`, code));
    this.#ready = null;
  }

  #detachSocket(): void {
    this.#socket = null;
    this.#welcomed = false;
    this.#heartbeatTimer = cancel(this.#heartbeatTimer);
    this.#resendTimer = cancel(this.#resendTimer);
  }

  #startHeartbeat(): void {
    if (this.#heartbeatMs <= 0) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeatTimer = null;
      if (Date.now() - this.#lastFrameAt >= 2 * this.#heartbeatMs) {
        this.#reconnectNow("no answer to ping");
        return;
      }
      this.#send({ type: "ping" });
      this.#startHeartbeat();
    }, this.#heartbeatMs);
  }

  #setStatus(event: StatusEvent): void {
    this.#status = event.status;
    this.#emit("status", event);
  }

  // ---------------------------------------------------------------- incoming frames

  #onFrame(data: unknown): void {
    this.#lastFrameAt = Date.now();
    if (typeof data !== "string") return;
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    // The server speaks first with a welcome (or a refusal); anything else before it would be out of context.
    if (!this.#welcomed && message.type !== "welcome" && message.type !== "closing") return;
    try {
      this.#handle(message);
    } catch (error) {
      // A revision gap or a malformed op: the local copy cannot be trusted, so start over from the server's.
      if (!(error instanceof OtClientError)) throw error;
      // The unsent edits still stand on the last server text this client had.
      this.#planStartOver(error.code, true);
      this.#reconnectNow(error.message);
    }
  }

  #handle(message: ServerMessage): void {
    const ot = this.#ot;
    switch (message.type) {
      case "welcome":
        this.#onWelcome(message);
        return;
      case "closing":
        this.#onClosing(message.code, message.reason);
        return;
      case "ack":
        this.#sendOp(ot?.applyServerAck(message.rev, message.seq) ?? null);
        return;
      case "op":
        this.#applyRemoteOp(message.rev, message.op, message.user_id);
        return;
      case "presence":
        this.#onPresence(message);
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
        if (this.#presence.delete(message.user_id)) this.#emitPresence();
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
      case "error":
        this.#onServerError(message);
        return;
      case "pong":
        return;
    }
  }

  #onWelcome(welcome: Extract<ServerMessage, { type: "welcome" }>): void {
    const ot = this.#ot;
    const resumed = ot !== null && this.#sinceRev !== null && welcome.resync !== true && this.#catchUp(ot, welcome);
    if (!resumed) {
      const plan = this.#startOver ?? { reason: welcome.resync ? "RESYNC" : "REVISION_MISMATCH", keepUnsent: true };
      // Without last_seq (an older server) the op in flight may already be in the text: keeping it could double it.
      if (ot && plan.keepUnsent && typeof welcome.you.last_seq === "number") {
        this.#rebaseOnto(ot, welcome.doc, welcome.you.last_seq, plan.reason);
      } else {
        this.#startFrom(welcome.doc, plan.reason);
      }
    }
    this.#startOver = null;
    // A client id the server knows (kept across a reload, say) goes on after the seqs it has already applied.
    this.#ot?.skipSeqsThrough(welcome.you.last_seq ?? 0);

    const previousRole = this.#you;
    this.#you = { user_id: welcome.you.user_id, role: welcome.you.role, permissions: welcome.you.permissions };
    const previousStatus = this.#session?.status;
    this.#session = welcome.session;
    this.#participants = welcome.participants;
    this.#presence = new Map();
    for (const state of welcome.presence) this.#storePresence(state);

    this.#welcomed = true;
    this.#attempt = 0;
    this.#setStatus({ status: "connected" });
    if (previousRole?.role !== welcome.you.role || previousRole.permissions.join() !== welcome.you.permissions.join()) {
      this.#emit("role", { role: welcome.you.role, permissions: welcome.you.permissions });
    }
    if (previousStatus !== welcome.session.status) this.#emit("session_status", welcome.session.status);
    this.#emit("participants", this.#participants);
    this.#emitPresence();
    this.#addComments(welcome.comments ?? []);

    // Resumed, the op in flight goes again (same seq): the server applies it only if it has not already. Rebased,
    // the first kept edit goes out with a new seq.
    this.#sendOp(this.#ot?.resendOnReconnect(welcome.doc.rev) ?? null);
    // Others lost this client's cursor with the connection: announce it again.
    if (this.#myPresence) this.#presenceDirty = true;
    this.#flushPresence();
    this.#ready?.resolve();
  }

  /** Replays the ops missed since `since_rev`; false when the result does not line up with the server's. */
  #catchUp(ot: OtClient, welcome: Extract<ServerMessage, { type: "welcome" }>): boolean {
    if (welcome.missed === undefined && welcome.doc.rev !== ot.rev) return false;
    try {
      for (const missed of welcome.missed ?? []) this.#applyMissed(ot, missed, welcome.you.user_id);
      return ot.rev === welcome.doc.rev;
    } catch (error) {
      if (error instanceof OtClientError) return false;
      throw error;
    }
  }

  #applyMissed(ot: OtClient, missed: MissedOp, userId: string): void {
    // An op is known by (user, client_id, seq): another user's op with this client id is someone else's edit.
    if (missed.client_id === this.clientId && missed.user_id === userId) {
      // Its own op: the ack that was lost. The next op it releases is sent after the replay, by the resend.
      ot.applyServerAck(missed.rev, missed.seq);
      if (ot.rev === missed.rev) return;
    }
    this.#applyRemoteOp(missed.rev, missed.op, missed.user_id);
  }

  /** Replaces the local document with the server's, reporting the pending edits that go with it. */
  #startFrom(doc: { rev: number; content: string }, reason: string): void {
    const previous = this.#ot;
    const before = previous?.text ?? "";
    const lost = previous ? [...previous.pending] : [];
    // Same client id, so seqs keep counting: the server would drop a (client_id, seq) it has seen as a duplicate.
    this.#ot = new OtClient(doc.content, doc.rev, previous?.nextSeq ?? 1);
    if (lost.length > 0) this.#emit("lost_edits", { ops: lost, text: before, reason });
    this.#announceReplacedText(diffOp(before, doc.content));
  }

  /** Replaces the local document with the server's, keeping the unsent edits of `previous` on top of it. */
  #rebaseOnto(previous: OtClient, doc: { rev: number; content: string }, lastSeq: number, reason: string): void {
    const { ot, kept, lost, change } = carryUnsentOnto(previous, doc, lastSeq);
    this.#ot = ot;
    if (lost.length > 0) this.#emit("lost_edits", { ops: lost, text: previous.text, reason });
    this.#announceReplacedText(change);
    this.#emit("resynced", { reason, kept, text: ot.text });
  }

  /** The local text was replaced by a start over; `op` turns the previous one into the current one. */
  #announceReplacedText(op: TextOp): void {
    if (op.length === 0 || !this.#ot) return;
    this.#shiftMyPresence(op);
    this.#emit("text", { text: this.#ot.text, op, origin: "remote" });
  }

  #applyRemoteOp(rev: number, raw: unknown, userId: string): void {
    const ot = this.#ot;
    if (!ot) return;
    const parsed = parseOp(raw);
    if (!parsed.ok) throw new OtClientError(parsed.code, `Revision ${rev} from the server: ${parsed.message}`);
    const applied = ot.applyRemote(rev, parsed.op);
    if (applied === null || applied.length === 0) return;
    let moved = false;
    for (const [user, state] of this.#presence) {
      if (state.cursor === null) continue;
      // The author's caret follows their own typing; everyone else's stays put.
      this.#presence.set(user, { ...state, cursor: transformCursor(state.cursor, applied, user === userId) });
      moved = true;
    }
    this.#shiftMyPresence(applied);
    this.#emit("text", { text: ot.text, op: applied, origin: "remote" });
    if (moved) this.#emitPresence();
  }

  #onPresence(message: PresenceState): void {
    if (message.user_id === this.#you?.user_id) return;
    this.#storePresence(message);
    this.#emitPresence();
  }

  /** Stores a remote presence; the server's cursor is on its latest text, this client's may have pending edits. */
  #storePresence(state: PresenceState): void {
    if (state.user_id === this.#you?.user_id) return;
    const cursor = this.#ot ? this.#ot.transformCursor(state.cursor) : state.cursor;
    this.#presence.set(state.user_id, {
      user_id: state.user_id,
      cursor,
      status: state.status,
      online: state.online,
    });
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
    this.#emit("role", { role, permissions });
  }

  #onServerError(message: { code: string; message: string; seq?: number }): void {
    const { code, message: text, seq } = message;
    this.#emit("error", seq === undefined ? { code, message: text } : { code, message: text, seq });
    const inFlight = this.#ot?.inFlight?.seq;
    if (message.code === "RATE_LIMITED") {
      // The server dropped a message for flooding (it names the op when it was one): the op in flight and the
      // presence are safe to send again (the server acks a seq it already applied once more, and applies it once).
      this.#resendTimer = cancel(this.#resendTimer);
      this.#resendTimer = setTimeout(() => {
        this.#resendTimer = null;
        this.#sendOp(this.#ot?.resendOnReconnect() ?? null);
        if (this.#myPresence) this.#presenceDirty = true;
        this.#flushPresence();
      }, RATE_LIMIT_RETRY_MS);
    } else if (message.code === "RESYNC_REQUIRED") {
      // The server no longer has the revision the op in flight is based on; the op itself was not refused.
      this.#planStartOver(message.code, true);
      this.#reconnectNow(message.message);
    } else if (message.seq !== undefined && message.seq === inFlight) {
      // The op in flight was refused and the buffer was built on it: start over from the server's text.
      this.#planStartOver(message.code, false);
      this.#reconnectNow(message.message);
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
    const ot = this.#ot;
    if (!ot) throw new RealtimeError("NOT_CONNECTED", "Edits are possible once the session has connected");
    if (!this.permissions.includes("edit")) {
      throw new RealtimeError("FORBIDDEN", `Your role (${this.role}) does not allow editing`);
    }
    const status = this.#session?.status;
    if (status === "paused") throw new RealtimeError("FORBIDDEN", "The session is paused");
    if (status === "ended" || status === "archived") {
      throw new RealtimeError("SESSION_NOT_ACTIVE", `The session is ${status} and read-only`);
    }
    const parsed = parseOp(op);
    if (!parsed.ok) throw new OtClientError(parsed.code, parsed.message);
    if (parsed.op.length === 0) return;
    const outgoing = ot.applyLocal(parsed.op);
    let moved = false;
    for (const [user, state] of this.#presence) {
      if (state.cursor === null) continue;
      this.#presence.set(user, { ...state, cursor: transformCursor(state.cursor, parsed.op, false) });
      moved = true;
    }
    this.#emit("text", { text: ot.text, op: parsed.op, origin: "local" });
    if (moved) this.#emitPresence();
    this.#sendOp(outgoing);
  }

  /** Shares this user's cursor (on the local text); at most one message per 50 ms, the latest one wins. */
  setPresence(cursor: Cursor | null, status?: PresenceStatus): void {
    this.#myPresence = status === undefined ? { cursor } : { cursor, status };
    this.#presenceDirty = true;
    this.#flushPresence();
  }

  /** Posts a comment; it comes back to every participant, this one included, as a `comment` event. */
  comment(text: string, anchor?: { from: number; to: number }): void {
    if (!this.#isLive()) throw new RealtimeError("NOT_CONNECTED", "Comments need an open connection");
    if (!this.permissions.includes("comment")) {
      throw new RealtimeError("FORBIDDEN", `Your role (${this.role}) does not allow comments`);
    }
    const length = text.trim().length;
    if (length === 0 || length > MAX_COMMENT_CHARS) {
      throw new RealtimeError("INVALID_COMMENT", `A comment has 1 to ${MAX_COMMENT_CHARS} characters`);
    }
    this.#send(anchor ? { type: "comment", text, anchor } : { type: "comment", text });
  }

  #flushPresence(): void {
    if (!this.#presenceDirty || this.#presenceTimer !== null || !this.#isLive() || !this.#myPresence) return;
    const wait = this.#presenceSentAt + PRESENCE_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.#presenceTimer = setTimeout(() => {
        this.#presenceTimer = null;
        this.#flushPresence();
      }, wait);
      return;
    }
    this.#presenceDirty = false;
    this.#presenceSentAt = Date.now();
    this.#send({ type: "presence", ...this.#myPresence });
  }

  /** A cursor waiting for the throttle was placed on the text before `op`. */
  #shiftMyPresence(op: TextOp): void {
    if (this.#presenceDirty && this.#myPresence?.cursor) {
      this.#myPresence = { ...this.#myPresence, cursor: transformCursor(this.#myPresence.cursor, op, false) };
    }
  }

  // ---------------------------------------------------------------- outgoing frames

  #isLive(): boolean {
    return this.#socket !== null && this.#welcomed && this.#socket.readyState === SOCKET_OPEN;
  }

  /** Sends an op now if connected; otherwise it stays in flight in the OtClient and goes again after the welcome. */
  #sendOp(outgoing: OutgoingOp | null): void {
    if (outgoing) this.#send({ type: "op", seq: outgoing.seq, rev: outgoing.rev, op: outgoing.op });
  }

  #send(message: object): void {
    if (!this.#isLive()) return;
    try {
      this.#socket?.send(JSON.stringify(message));
    } catch {
      // The socket is closing; its close event schedules the reconnect and the resend.
    }
  }

  #emitPresence(): void {
    this.#emit("presence", new Map(this.#presence));
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
