/**
 * The SDK's types, taken from the server's own definitions (type-only imports: nothing of the server ends up in a
 * client bundle): responses through `z.infer`, request bodies through `z.input` (fields with defaults optional).
 * The few shapes the server has no schema for follow the contract.
 */
import type { z } from "@hono/zod-openapi";
import type {
  DeclinedSchema,
  InvitationListQuerySchema,
  ListedInvitationStatus,
  SessionInvitationPageSchema,
  SessionInvitationSchema,
} from "../domain/invitation-schemas";
import type { AccessMode, AssignableRole, Permission, PermissionMap, Role, SessionStatus } from "../domain/permissions";
import type { RecordingEvent } from "../domain/recording";
import type {
  ActivityAnswerSchema,
  ActivityQuerySchema,
  AdminStatsSchema,
  HealthSchema,
  InvitationSchema,
  InviteAnswerSchema,
  InviteeSchema,
  InviteSchema,
  MySessionsQuerySchema,
  Participant,
  PlaybackRangeSchema,
  RecordingManifestSchema,
  RecordingStatusSchema,
  SessionCreateSchema,
  SessionStatsSchema,
  SessionSummary,
  SessionUpdateSchema,
  SessionView,
  SnapshotSchema,
  Template,
  TemplateCreateSchema,
  TemplateUpdateSchema,
} from "../domain/schemas";
import type { Song, SongCreateSchema, SongShareSchema, SongUpdateSchema } from "../domain/song-schemas";
import type { UserSettingsSchema, UserSettingsUpdateSchema } from "../domain/user-schemas";

// The server already names these responses; the SDK uses the same types.
export type {
  AccessMode,
  AssignableRole,
  Participant,
  Permission,
  PermissionMap,
  Role,
  SessionStatus,
  SessionSummary,
  SessionView,
  Song,
  Template,
};

// ---- songs ----
export type SongCreate = z.input<typeof SongCreateSchema>;
export type SongUpdate = z.input<typeof SongUpdateSchema>;
export type SongShare = z.input<typeof SongShareSchema>;
export interface SongShareResult {
  song_id: number;
  user_id: string | null;
  email: string | null;
  permission: string;
}

// ---- templates ----
export type TemplateCreate = z.input<typeof TemplateCreateSchema>;
export type TemplateUpdate = z.input<typeof TemplateUpdateSchema>;

// ---- sessions ----
export type SessionCreate = z.input<typeof SessionCreateSchema>;
export type SessionUpdate = z.input<typeof SessionUpdateSchema>;
export type MySessionsQuery = Partial<z.infer<typeof MySessionsQuerySchema>>;
export interface SessionPage {
  sessions: SessionSummary[];
  next_cursor: string | null;
}

// ---- membership ----
export type Invitee = z.input<typeof InviteeSchema>;
export type InviteRequest = z.input<typeof InviteSchema>;
export type InviteResult = z.infer<typeof InviteAnswerSchema>;
/** One of my pending invitations (`GET /sessions/my-invitations`). */
export type Invitation = z.infer<typeof InvitationSchema>;
/** One of a session's invitations, as those who may invite see it (`GET /sessions/:id/invitations`). */
export type SessionInvitation = z.infer<typeof SessionInvitationSchema>;
export type SessionInvitationPage = z.infer<typeof SessionInvitationPageSchema>;
/** The statuses a session's invitation list shows: pending or declined. */
export type InvitationStatus = ListedInvitationStatus;
export type InvitationListQuery = Partial<z.infer<typeof InvitationListQuerySchema>>;
export type DeclinedInvitation = z.infer<typeof DeclinedSchema>;

// ---- users ----
/** `GET /users/me`: who I am to the service, and whether it may email me invitations. */
export type UserSettings = z.infer<typeof UserSettingsSchema>;
export type UserSettingsUpdate = z.input<typeof UserSettingsUpdateSchema>;

// ---- activity ----
export type Activity = z.infer<typeof ActivityAnswerSchema>;
export type ActivityQuery = Partial<z.infer<typeof ActivityQuerySchema>>;
export interface ActivityPage {
  activities: Activity[];
  next_cursor: string | null;
}

// ---- realtime ----
export interface Ticket {
  ticket: string;
  expires_at: string;
  ws_url: string;
}

// ---- recording and playback ----
export type RecordingStatus = z.infer<typeof RecordingStatusSchema>;
export type RecordingManifest = z.infer<typeof RecordingManifestSchema>;
export type RecordingEventsQuery = z.infer<typeof PlaybackRangeSchema>;
/** The song text as it stood `at_ms` into a recording. */
export type RecordingSnapshot = z.infer<typeof SnapshotSchema>;
/** One line of a recording's NDJSON: `t` is milliseconds from the start; an edit is `type: "op"`. */
export type { RecordingEvent };

// ---- health, statistics and lifecycle ----
export type SessionHealth = z.infer<typeof HealthSchema>;
export type HealthLevel = SessionHealth["level"];
export type SessionStats = z.infer<typeof SessionStatsSchema>;
export type AdminStats = z.infer<typeof AdminStatsSchema>;

/** `POST /sessions/cleanup` (CONTRACT §4 "Lifecycle"). */
export interface CleanupResult {
  dry_run: boolean;
  sessions_checked: number;
  sessions_ended: number;
  sessions_archived: number;
  errors: { session_id: string; message: string }[];
}

/** `GET /api/v1/health`: the service itself, no token needed. */
export interface ServiceHealth {
  ok: true;
  time: string;
}

export interface DevTokenRequest {
  sub: string;
  email?: string;
  name?: string;
  admin?: boolean;
}

/** The contract's error body. */
export interface ErrorEnvelope {
  status: "error";
  /** The same text as `error.message`. */
  message: string;
  error: { code: string; message: string; details?: unknown };
}

/** One entry of a VALIDATION_ERROR's `details`. */
export interface ValidationIssue {
  path: string;
  message: string;
}
