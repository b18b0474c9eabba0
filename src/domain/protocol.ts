/**
 * The realtime protocol (CONTRACT §6): JSON text frames, each with a `type`. Both directions are typed here so the
 * object and the client SDK agree; nothing here pulls a validation library into browser bundles.
 */
import type { Permission, Role, SessionStatus } from "./permissions";
import type { Participant, SessionView } from "./schemas";

export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_COMMENT_CHARS = 2000;

/** Close codes. */
export const CLOSE = {
  badTicket: 4401,
  noAccess: 4403,
  noSession: 4404,
  tooManyConnections: 4409,
  sessionClosed: 4410,
  rateLimited: 4429,
  tooBig: 1009,
  /** A newer connection with the same user and client id took over; the client has already moved on. */
  superseded: 4000,
} as const;

/** Codes after which a client must not reconnect on its own. */
export const TERMINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE.noAccess,
  CLOSE.noSession,
  CLOSE.sessionClosed,
  CLOSE.rateLimited,
]);

export const PRESENCE_STATUSES = ["active", "idle", "typing", "away"] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

/** What a client may send; validated by the session object (src/room/messages.ts). */
export type ClientMessage =
  | { type: "op"; seq: number; rev: number; op: unknown }
  | {
      type: "presence";
      cursor: { anchor: number; head: number } | null;
      status?: PresenceStatus;
      /** Whose line the band follows (for those who run the session); null: their own; absent: unchanged. */
      lead?: string | null;
    }
  | { type: "comment"; text: string; anchor?: { from: number; to: number } }
  | { type: "ping" };

export interface Cursor {
  anchor: number;
  head: number;
}

export interface PresenceState {
  user_id: string;
  cursor: Cursor | null;
  status: PresenceStatus;
  online: boolean;
  /**
   * Set only in the presence of someone who runs the session and has handed the lead: the participant whose line
   * the band follows instead of theirs. Clients follow the owner's.
   */
  lead?: string;
}

export interface Comment {
  id: number;
  user_id: string;
  text: string;
  anchor: { from: number; to: number } | null;
  rev: number;
  created_at: string;
}

/** An op the client missed while away; its own ops come back as acks. */
export interface MissedOp {
  rev: number;
  op: unknown;
  user_id: string;
  client_id: string;
  seq: number;
}

export type ServerMessage =
  | {
      type: "welcome";
      session: SessionView;
      you: {
        user_id: string;
        role: Role;
        permissions: Permission[];
        color: string;
        client_id: string;
        /**
         * The highest seq the server has applied from this user's `client_id` (0 for none): an op in flight with a
         * seq at or below it is already in `doc`, so a client starting over from `doc` knows not to send it again.
         */
        last_seq: number;
      };
      doc: { rev: number; content: string };
      participants: Participant[];
      presence: PresenceState[];
      /** The latest comments, oldest first. */
      comments: Comment[];
      /** When the client connected with `since_rev`: every op after it, oldest first. */
      missed?: MissedOp[];
      /** True when `since_rev` was older than the kept log (or its ops too many to send): start over from `doc`. */
      resync?: boolean;
    }
  /**
   * Sent just before the server closes this connection with `code`: the client should act on it at once rather
   * than wait for the close frame (some runtimes release a server-closed connection only much later).
   */
  | { type: "closing"; code: number; reason: string }
  | { type: "ack"; seq: number; rev: number }
  | { type: "op"; rev: number; op: unknown; user_id: string }
  | ({ type: "presence" } & PresenceState)
  | { type: "participant_joined"; participant: Participant }
  | { type: "participant_left"; user_id: string }
  | { type: "role_changed"; user_id: string; role: Role; permissions: Permission[] }
  | { type: "comment"; comment: Comment }
  | { type: "recording"; is_recording: boolean; recording_id?: string }
  | { type: "session_status"; status: SessionStatus }
  /** To those who manage the session: someone was just turned away because every place is taken. */
  | { type: "join_refused"; code: "SESSION_FULL"; user_id: string; display_name: string; max_participants: number }
  | { type: "error"; code: string; message: string; seq?: number }
  | { type: "pong" };
