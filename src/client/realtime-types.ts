// The realtime client's public vocabulary: its options, its events and their payloads, its errors.
import type { Permission, Role, SessionStatus } from "../domain/permissions";
import type { Comment, PresenceState } from "../domain/protocol";
import type { Participant } from "../domain/schemas";
import type { TextOp } from "./ot-client";

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
  /**
   * A ticket request or WebSocket handshake not completed after this long is given up and retried (default 15 s).
   * 0: never.
   */
  connectTimeoutMs?: number;
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
  /** For those who manage the session: someone was turned away because every place is taken. */
  join_refused: { user_id: string; display_name: string; max_participants: number };
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
  /** The number of local edits the server has not acknowledged yet changed; 0: everything typed is saved. */
  pending: { count: number };
}

/** Announces one event to the session's listeners. */
export type Emit = <K extends keyof RealtimeEvents>(event: K, payload: RealtimeEvents[K]) => void;

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
