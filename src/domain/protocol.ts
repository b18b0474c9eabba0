/**
 * The realtime protocol (CONTRACT §6): JSON text frames, each with a `type`. Client messages are validated with
 * these schemas; server messages are typed here so the object and the client SDK agree.
 */
import { z } from "zod";
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

const CursorSchema = z.object({ anchor: z.int().min(0), head: z.int().min(0) });

export const ClientMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("op"), seq: z.int().min(1), rev: z.int().min(0), op: z.unknown() }),
  z.object({
    type: z.literal("presence"),
    cursor: CursorSchema.nullable(),
    status: z.enum(PRESENCE_STATUSES).optional(),
  }),
  z.object({
    type: z.literal("comment"),
    text: z.string().trim().min(1).max(MAX_COMMENT_CHARS),
    anchor: z.object({ from: z.int().min(0), to: z.int().min(0) }).optional(),
  }),
  z.object({ type: z.literal("ping") }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export interface Cursor {
  anchor: number;
  head: number;
}

export interface PresenceState {
  user_id: string;
  cursor: Cursor | null;
  status: PresenceStatus;
  online: boolean;
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
      you: { user_id: string; role: Role; permissions: Permission[]; color: string; client_id: string };
      doc: { rev: number; content: string };
      participants: Participant[];
      presence: PresenceState[];
      /** The latest comments, oldest first. */
      comments: Comment[];
      /** When the client connected with `since_rev`: every op after it, oldest first. */
      missed?: MissedOp[];
      /** True when `since_rev` was older than the kept log: start over from `doc`. */
      resync?: boolean;
    }
  | { type: "ack"; seq: number; rev: number }
  | { type: "op"; rev: number; op: unknown; user_id: string }
  | ({ type: "presence" } & PresenceState)
  | { type: "participant_joined"; participant: Participant }
  | { type: "participant_left"; user_id: string }
  | { type: "role_changed"; user_id: string; role: Role; permissions: Permission[] }
  | { type: "comment"; comment: Comment }
  | { type: "recording"; is_recording: boolean; recording_id?: string }
  | { type: "session_status"; status: SessionStatus }
  | { type: "error"; code: string; message: string; seq?: number }
  | { type: "pong" };
