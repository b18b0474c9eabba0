/** The shapes the session object's RPC calls take and answer, shared by the Worker's routes and the object. */
import type { Cursor } from "../db/sessions";
import type { ListedInvitationStatus } from "../domain/invitation-schemas";
import type { AssignableRole } from "../domain/permissions";
import type { SessionConfig } from "../domain/templates";
import type { SessionRow } from "./rows";

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

/** Someone to invite: a user id, or an address (lower-cased) that belongs to whoever holds it when they join. */
export interface Invitee {
  email?: string;
  user_id?: string;
  role: AssignableRole;
}

/** A page of a session's invitation list; the route decodes the cursor. */
export interface InvitationPageQuery {
  status: ListedInvitationStatus;
  limit: number;
  cursor: Cursor | null;
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

/** What the lifecycle step did, or would do (the cleanup sweep's dry run). */
export interface LifecycleOutcome {
  ended: boolean;
  archived: boolean;
}
